"""Loaders on real PTB-XL, LUDB and MIT-BIH records, and the project's clear errors on bad input."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import wfdb

from ecg import ECG, STANDARD_LEADS, load, load_uploaded
from ecg.errors import ECGError, ECGLoadError, ECGSignalError

from conftest import LUDB, MITBIH


def test_ptbxl_record_shape_units_leads(ptbxl_record):
    ecg = load(ptbxl_record)
    ref = wfdb.rdrecord(str(ptbxl_record))
    assert ecg.signal.dtype == np.float32
    assert ecg.signal.shape == (12, 5000)
    assert ecg.fs == 500.0
    assert ecg.leads == list(STANDARD_LEADS)
    np.testing.assert_allclose(ecg.signal, ref.p_signal.T.astype(np.float32), atol=1e-6)  # millivolts


def test_ludb_lower_case_leads_are_standardized():
    ecg = load(LUDB / "1.hea")
    assert ecg.leads == list(STANDARD_LEADS)
    assert ecg.signal.shape == (12, 5000) and ecg.fs == 500.0
    assert ecg.meta["sex"] == "F" and ecg.meta["age"] == 51.0


def test_mitbih_mlii_maps_to_lead_ii():
    ecg = load(MITBIH / "100")
    assert ecg.leads == ["II", "V5"]
    assert ecg.fs == 360.0
    assert ecg.n_samples == 650000
    # physiological millivolt range
    assert 0.5 < np.ptp(ecg.lead("II")[:3600]) < 5.0


def test_csv_round_trip(tmp_path, ptbxl_record):
    ecg = load(ptbxl_record)
    path = tmp_path / "rec.csv"
    header = ",".join(ecg.leads)
    np.savetxt(path, ecg.signal.T, delimiter=",", header=f"fs=500\n{header}", comments="# ", fmt="%.4f")
    # the first commented line carries fs; the header row of lead names follows
    text = path.read_text().splitlines()
    path.write_text("# fs=500\n" + header + "\n" + "\n".join(text[2:]) + "\n")
    back = load(path)
    assert back.fs == 500.0 and back.leads == ecg.leads
    np.testing.assert_allclose(back.signal, ecg.signal, atol=1e-3)


def test_uploaded_wfdb_pair(ptbxl_record):
    files = {p.name: p.read_bytes() for p in (ptbxl_record.with_suffix(".hea"), ptbxl_record.with_suffix(".dat"))}
    ecg = load_uploaded(files)
    assert ecg.record_id == "00001_hr" and ecg.signal.shape == (12, 5000)


def test_truncated_dat_is_refused(tmp_path, ptbxl_record):
    shutil.copy(ptbxl_record.with_suffix(".hea"), tmp_path / "00001_hr.hea")
    data = ptbxl_record.with_suffix(".dat").read_bytes()
    (tmp_path / "00001_hr.dat").write_bytes(data[: len(data) // 3])
    with pytest.raises(ECGLoadError, match="truncated"):
        load(tmp_path / "00001_hr")


def test_header_without_data_file(ptbxl_record):
    with pytest.raises(ECGLoadError, match=r"00001_hr\.dat.*not found"):
        load_uploaded({"00001_hr.hea": ptbxl_record.with_suffix(".hea").read_bytes()})


def test_csv_of_text_is_refused():
    with pytest.raises(ECGLoadError, match="no numeric lead columns"):
        load_uploaded({"notes.csv": b"name,comment\nalice,hello\nbob,world\n"}, fs=500)


def test_two_sample_signal_is_refused():
    with pytest.raises(ECGSignalError, match="at least 2 s"):
        load_uploaded({"tiny.csv": b"I,II\n0.1,0.2\n0.3,0.1\n"}, fs=500)


def test_csv_without_sampling_rate_says_how_to_give_it():
    rows = "\n".join(f"{np.sin(i / 20):.3f}" for i in range(3000))
    with pytest.raises(ECGLoadError, match="sampling rate"):
        load_uploaded({"lead.csv": ("II\n" + rows).encode()})


def test_image_goes_to_the_digitizer_not_the_loader(shared_data):
    img = shared_data / "images" / "ecg-image-kit" / "ecg00001.png"
    with pytest.raises(ECGLoadError, match="image"):
        load(img)


def test_every_error_is_an_ecg_error():
    assert issubclass(ECGLoadError, ECGError) and issubclass(ECGSignalError, ValueError)


def test_record_rejects_mismatched_leads():
    with pytest.raises(ECGSignalError, match="lead names"):
        ECG(signal=np.zeros((3, 1000)), fs=500, leads=["I", "II"])


def test_cli_digitize_writes_a_readable_wfdb_record(shared_data, tmp_path):
    from ecgchat.cli import main

    photo = shared_data / "images" / "ecg-image-kit" / "ecg00027.jpg"
    assert main(["digitize", str(photo), "--out", str(tmp_path)]) == 0
    back = load(tmp_path / "ecg00027")
    assert back.leads == list(STANDARD_LEADS) and back.fs == 500.0
    assert np.isfinite(back.lead("II")).sum() > 2 * 500  # a rhythm strip of at least 2 s came out
