"""The case library: a FAISS index of real PTB-XL records with their reports and labels.

Layout on disk (``folder``): ``cases.faiss`` (inner-product index over L2-normalized vectors, so
scores are cosine similarities), ``cases.json`` (one metadata entry per row: record id, report,
SCP codes with their English descriptions, age, sex, key measurements), ``standardizer.npz``.
"""
from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ecg.errors import ECGError
from ecg.io import load_wfdb

from .features import DIM, Standardizer, record_vector

INDEX_FILE, META_FILE, STD_FILE = "cases.faiss", "cases.json", "standardizer.npz"
PROBE_FILE = "probe.npy"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = PROJECT_ROOT / "data" / "ptbxl"
DEFAULT_INDEX_DIR = PROJECT_ROOT / "data" / "index"


class LibraryError(RuntimeError):
    """The case library is missing or unreadable; the message says how to build it."""


@dataclass
class Case:
    """One retrieved case: ``case_no`` (1-based rank), ``record_id``, cosine ``similarity`` (-1..1),
    cardiologist ``report``, ``labels`` (SCP code -> description), key ``measurements``."""

    case_no: int
    record_id: str
    similarity: float
    report: str
    labels: dict[str, str]
    scp_codes: dict[str, float] = field(default_factory=dict)
    age: float | None = None
    sex: str | None = None
    measurements: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "case_no": self.case_no, "record_id": self.record_id, "similarity": round(self.similarity, 3),
            "report": self.report, "labels": self.labels, "scp_codes": self.scp_codes,
            "age": self.age, "sex": self.sex, "measurements": self.measurements,
        }


def _ptbxl_rows(source: Path) -> dict[str, dict]:
    """Map record stem (``00001_hr``) to its PTB-XL database row and label descriptions."""
    import pandas as pd

    db_path = source / "ptbxl_database.csv"
    if not db_path.exists():
        return {}
    db = pd.read_csv(db_path)
    scp_path = source / "scp_statements.csv"
    desc = {}
    if scp_path.exists():
        scp = pd.read_csv(scp_path, index_col=0)
        desc = {str(k): str(v) for k, v in scp["description"].items()}
    rows = {}
    for _, r in db.iterrows():
        stem = Path(str(r["filename_hr"])).name
        codes = ast.literal_eval(r["scp_codes"]) if isinstance(r["scp_codes"], str) else {}
        rows[stem] = {
            "report": str(r["report"]).strip() if isinstance(r["report"], str) else "",
            "scp_codes": {k: float(v) for k, v in codes.items()},
            "labels": {k: desc.get(k, k) for k in codes},
            "age": None if r["age"] != r["age"] else float(r["age"]),
            "sex": None if r["sex"] != r["sex"] else ("F" if int(r["sex"]) == 1 else "M"),
            "heart_axis": r["heart_axis"] if isinstance(r["heart_axis"], str) else None,
        }
    return rows


def find_records(source: Path) -> list[Path]:
    """All WFDB headers under ``source`` (recursively), sorted."""
    return sorted(source.rglob("*.hea"))


KEY_MEASUREMENTS = ("heart_rate_bpm", "pr_ms", "qrs_ms", "qt_ms")


class CaseLibrary:
    """A searchable set of cases. Build with :meth:`build`, open with :meth:`load`."""

    def __init__(self, index, meta: list[dict], standardizer: Standardizer):
        self.index = index
        self.meta = meta
        self.standardizer = standardizer

    def __len__(self) -> int:
        return len(self.meta)

    @classmethod
    def build(cls, source: str | os.PathLike = DEFAULT_SOURCE, out_dir: str | os.PathLike | None = DEFAULT_INDEX_DIR,
              progress: Callable[[int, int, str], None] | None = None, limit: int | None = None) -> "CaseLibrary":
        """Measure every WFDB record under ``source`` and index it.

        Args:
            source: folder of WFDB records; a PTB-XL style ``ptbxl_database.csv`` there gives reports and labels.
            out_dir: where to persist the library (None: keep in memory only).
            progress: called as ``progress(done, total, record_id)`` after each record.
            limit: index only the first ``limit`` records (for quick checks).

        Raises:
            LibraryError: no WFDB record under ``source``, or none could be measured.
        """
        import faiss

        from ecg.measure import measure

        source = Path(source)
        headers = find_records(source)[:limit]
        if not headers:
            raise LibraryError(f"No WFDB records (.hea files) were found under {source}.")
        rows = _ptbxl_rows(source)
        raws, meta = [], []
        for i, hea in enumerate(headers, 1):
            stem = hea.stem
            try:
                ecg = load_wfdb(hea)
                m = measure(ecg)
            except ECGError as exc:
                if progress:
                    progress(i, len(headers), f"{stem} skipped: {exc}")
                continue
            md = m.to_dict()
            info = rows.get(stem, {"report": "", "scp_codes": {}, "labels": {}, "age": None, "sex": None})
            meta.append({
                "record_id": stem,
                "path": str(hea.relative_to(source).with_suffix("")),
                **info,
                "measurements": {k: md.get(k) for k in KEY_MEASUREMENTS}
                | {"qtc_bazett_ms": (md.get("qtc_ms") or {}).get("bazett"),
                   "qrs_axis_deg": (md.get("axis_deg") or {}).get("qrs")},
            })
            raws.append(record_vector(m))
            if progress:
                progress(i, len(headers), stem)
        if not raws:
            raise LibraryError(f"None of the {len(headers)} records under {source} could be measured.")
        raw = np.stack(raws)
        std = Standardizer.fit(raw)
        vecs = std.transform(raw)
        index = faiss.IndexFlatIP(DIM)
        index.add(vecs)
        lib = cls(index, meta, std)
        lib.probe = raws[0]
        lib.probe_path = str(headers[0])
        if out_dir is not None:
            lib.save(out_dir)
        return lib

    def save(self, out_dir: str | os.PathLike) -> None:
        """Write the index, metadata and standardizer to ``out_dir`` (atomically per file)."""
        import faiss

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(out / (INDEX_FILE + ".tmp")))
        (out / (META_FILE + ".tmp")).write_text(json.dumps(self.meta, ensure_ascii=False))
        np.savez(out / "standardizer.tmp.npz", mean=self.standardizer.mean, std=self.standardizer.std)
        os.replace(out / (INDEX_FILE + ".tmp"), out / INDEX_FILE)
        os.replace(out / (META_FILE + ".tmp"), out / META_FILE)
        os.replace(out / "standardizer.tmp.npz", out / STD_FILE)
        if getattr(self, "probe", None) is not None:
            np.save(out / PROBE_FILE, self.probe)

    @classmethod
    def load(cls, folder: str | os.PathLike = DEFAULT_INDEX_DIR) -> "CaseLibrary":
        """Open a persisted library.

        Raises:
            LibraryError: files missing or inconsistent (says to run ``ecgchat index build``).
        """
        import faiss

        folder = Path(folder)
        missing = [f for f in (INDEX_FILE, META_FILE, STD_FILE) if not (folder / f).exists()]
        if missing:
            raise LibraryError(
                f"The case library at {folder} is missing {', '.join(missing)}; build it with "
                "`ecgchat index build data/ptbxl`."
            )
        index = faiss.read_index(str(folder / INDEX_FILE))
        meta = json.loads((folder / META_FILE).read_text())
        s = np.load(folder / STD_FILE)
        if index.ntotal != len(meta) or index.d != DIM:
            raise LibraryError(f"The case library at {folder} is inconsistent or outdated; rebuild it with "
                               "`ecgchat index build data/ptbxl`.")
        return cls(index, meta, Standardizer(s["mean"], s["std"]))

    def search(self, measurements, k: int = 5, exclude: Iterable[str] = ()) -> list[Case]:
        """The ``k`` most similar cases to a measured record, most similar first.

        Args:
            measurements: :class:`ecg.measure.Measurements` of the query record.
            k: number of cases (at most the library size).
            exclude: record ids to leave out (for example the query itself).
        """
        exclude = set(exclude)
        q = self.standardizer.transform(record_vector(measurements)[None, :])
        n = min(len(self), k + len(exclude))
        scores, idx = self.index.search(q, n)
        cases = []
        for s, i in zip(scores[0], idx[0]):
            if i < 0 or self.meta[i]["record_id"] in exclude:
                continue
            m = self.meta[i]
            cases.append(Case(case_no=len(cases) + 1, record_id=m["record_id"], similarity=float(s),
                              report=m.get("report", ""), labels=m.get("labels", {}),
                              scp_codes=m.get("scp_codes", {}), age=m.get("age"), sex=m.get("sex"),
                              measurements=m.get("measurements", {})))
            if len(cases) == k:
                break
        return cases


def is_current(folder: str | os.PathLike = DEFAULT_INDEX_DIR, source: str | os.PathLike = DEFAULT_SOURCE) -> bool:
    """True if the persisted library was built by the measurement code installed now.

    The library keeps the raw vector of its first record (``probe.npy``); the record is measured
    again and the vectors compared, so any change to the measurement engine that changes the
    vectors is noticed (an index from older measurements would no longer find a record itself).
    """
    from ecg.measure import measure

    probe = Path(folder) / PROBE_FILE
    headers = find_records(Path(source))
    if not probe.exists() or not headers:
        return False
    try:
        now = record_vector(measure(load_wfdb(headers[0])))
    except ECGError:
        return False
    return bool(np.allclose(np.load(probe), now, equal_nan=True, atol=1e-4))


def open_or_build(folder: str | os.PathLike = DEFAULT_INDEX_DIR, source: str | os.PathLike = DEFAULT_SOURCE,
                  progress: Callable[[int, int, str], None] | None = None) -> CaseLibrary:
    """Open the persisted library, building it from ``source`` first if it is absent or outdated
    (see :func:`is_current`)."""
    try:
        lib = CaseLibrary.load(folder)
        if is_current(folder, source):
            return lib
    except LibraryError:
        pass
    return CaseLibrary.build(source, folder, progress=progress)
