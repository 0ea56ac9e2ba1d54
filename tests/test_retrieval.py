"""The case library on the bundled real PTB-XL records."""
from __future__ import annotations

import numpy as np
import pytest

from ecg import load
from ecg.measure import measure
from retrieval import CaseLibrary, LibraryError
from retrieval.library import DEFAULT_SOURCE, find_records


def test_library_indexes_every_bundled_record(case_library):
    assert len(case_library) == len(find_records(DEFAULT_SOURCE)) == 353
    m = case_library.meta[0]
    assert m["report"] and m["labels"] and m["scp_codes"]


@pytest.mark.parametrize("stem", ["00001_hr", "00256_hr", "00351_hr", "00102_hr"])
def test_indexed_record_finds_itself_first(case_library, stem):
    path = next(p for p in find_records(DEFAULT_SOURCE) if p.stem == stem)
    cases = case_library.search(measure(load(path)), k=5)
    assert cases[0].record_id == stem
    assert cases[0].similarity == pytest.approx(1.0, abs=1e-4)
    sims = [c.similarity for c in cases]
    assert sims == sorted(sims, reverse=True) and len(cases) == 5
    assert [c.case_no for c in cases] == [1, 2, 3, 4, 5]


def test_exclude_leaves_the_record_out(case_library):
    path = next(p for p in find_records(DEFAULT_SOURCE) if p.stem == "00001_hr")
    cases = case_library.search(measure(load(path)), k=3, exclude=["00001_hr"])
    assert "00001_hr" not in [c.record_id for c in cases] and len(cases) == 3


def test_persisted_library_round_trips(case_library, tmp_path):
    case_library.save(tmp_path)
    back = CaseLibrary.load(tmp_path)
    assert len(back) == len(case_library)
    np.testing.assert_array_equal(back.standardizer.mean, case_library.standardizer.mean)


def test_missing_library_says_how_to_build(tmp_path):
    with pytest.raises(LibraryError, match="ecgchat index build"):
        CaseLibrary.load(tmp_path)


def test_library_from_other_measurements_is_rebuilt(case_library, tmp_path):
    from retrieval.library import PROBE_FILE, is_current, open_or_build

    case_library.save(tmp_path)
    assert is_current(tmp_path)
    probe = np.load(tmp_path / PROBE_FILE)
    np.save(tmp_path / PROBE_FILE, probe + 1.0)  # as if built by another version of measure()
    assert not is_current(tmp_path)
    rebuilt = open_or_build(tmp_path)
    assert is_current(tmp_path) and len(rebuilt) == len(case_library)


def test_analysis_leaves_the_record_itself_out_of_its_cases(case_library):
    """A demo record is in the library: its cases are the five nearest other records, numbered
    1..5; a different ECG that only shares its file name keeps that library record."""
    from assistant.service import analyze

    path = next(p for p in find_records(DEFAULT_SOURCE) if p.stem == "00001_hr")
    rec = load(path)
    cases = analyze(rec, case_library).cases
    assert len(cases) == 5 and "00001_hr" not in [c["record_id"] for c in cases]
    assert [c["case_no"] for c in cases] == [1, 2, 3, 4, 5]
    nearest = case_library.search(measure(rec), k=6)[1:]
    assert [c["record_id"] for c in cases] == [c.record_id for c in nearest]
    # its nearest neighbour, renamed 00001_hr: another ECG, whose own cases include the library's
    # 00001_hr; sharing the name does not make it the same record, so nothing is left out
    other = load(next(p for p in find_records(DEFAULT_SOURCE) if p.stem == cases[0]["record_id"]))
    own = case_library.search(measure(other), k=6)[1:]
    assert "00001_hr" in [c.record_id for c in own]
    other.meta["record_id"] = "00001_hr"
    kept = analyze(other, case_library).cases
    assert [c["record_id"] for c in kept] == [c.record_id for c in case_library.search(measure(other), k=5)]
    assert "00001_hr" in [c["record_id"] for c in kept]
