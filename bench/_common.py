"""Shared helpers for the benchmarks: data paths, LUDB reference parsing, neurokit2 reference run.

LUDB reference (Kalyakulina et al., IEEE Access 8, 2020): one annotation file per lead with
``(`` onset, ``p``/``N``/``t`` peak, ``)`` offset of every P, QRS and T wave marked by cardiologists.
Global reference intervals of a beat are built as clinical programs build theirs: earliest onset
and latest offset across the 12 leads (IEC 60601-2-25); a record's reference is the median over
its annotated beats.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LUDB = DATA / "ludb" / "data"
PTBXL = DATA / "ptbxl"
MITBIH = DATA / "mitbih"
OUT = ROOT / "bench" / "out"

LUDB_LEADS = ["i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"]
STD_LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
WAVE_OF = {"p": "P", "N": "QRS", "t": "T"}


def ludb_ids(limit: int | None = None, step: int = 1) -> list[int]:
    rec = DATA / "ludb" / "RECORDS"
    ids = [int(x.split("/")[-1]) for x in rec.read_text().split() if x.strip()] if rec.exists() else list(range(1, 141))
    ids = ids[::step]
    return ids[:limit] if limit else ids


def ludb_waves(rec_id: int) -> dict[str, list[tuple[str, int, int, int]]]:
    """Reference waves per lead: ``{lead: [(wave, onset, peak, offset), ...]}`` in samples (500 Hz)."""
    import wfdb

    out = {}
    for ll, std in zip(LUDB_LEADS, STD_LEADS):
        a = wfdb.rdann(str(LUDB / str(rec_id)), ll)
        sym, smp = list(a.symbol), list(a.sample)
        waves = []
        for k, s in enumerate(sym):
            if s in WAVE_OF and 0 < k < len(sym) - 1 and sym[k - 1] == "(" and sym[k + 1] == ")":
                waves.append((WAVE_OF[s], int(smp[k - 1]), int(smp[k]), int(smp[k + 1])))
        out[std] = waves
    return out


def global_intervals(waves_by_lead: dict[str, list[tuple[str, int, int, int]]], fs: float = 500.0,
                     robust: bool = False) -> dict:
    """Global intervals (ms) from per-lead waves: beats are QRS complexes clustered across leads
    (peaks within 100 ms); per beat the earliest onset and latest offset across leads; the
    record's value is the median over beats. ``robust=True`` takes the second-earliest onset and
    second-latest offset instead (one outlying lead annotation does not move it). Keys: p_duration_ms, pr_ms, qrs_ms, qt_ms (None if
    no beat has the waves)."""
    qrs = sorted((pk, on, off) for ws in waves_by_lead.values() for (w, on, pk, off) in ws if w == "QRS")
    clusters: list[list[tuple[int, int, int]]] = []
    for q in qrs:
        if clusters and q[0] - clusters[-1][0][0] < 0.1 * fs:
            clusters[-1].append(q)
        else:
            clusters.append([q])
    ps = [(on, pk, off) for ws in waves_by_lead.values() for (w, on, pk, off) in ws if w == "P"]
    ts = [(on, pk, off) for ws in waves_by_lead.values() for (w, on, pk, off) in ws if w == "T"]
    per = {"p_duration_ms": [], "pr_ms": [], "qrs_ms": [], "qt_ms": []}
    need = max(1, len(waves_by_lead) // 2)
    clusters = [c for c in clusters if len(c) >= need]
    lo = (lambda v: sorted(v)[1] if len(v) > 2 else min(v)) if robust else min
    hi = (lambda v: sorted(v)[-2] if len(v) > 2 else max(v)) if robust else max
    bounds = [(lo([x[1] for x in c]), hi([x[2] for x in c]), int(np.median([x[0] for x in c]))) for c in clusters]
    for i, (qon, qoff, qpk) in enumerate(bounds):
        prev_off = bounds[i - 1][1] if i > 0 else qon - 0.45 * fs
        next_on = bounds[i + 1][0] if i + 1 < len(bounds) else qpk + 0.75 * fs
        pw = [p for p in ps if max(prev_off, qon - 0.45 * fs) < p[1] < qon]
        tw = [t for t in ts if qoff < t[1] < min(next_on, qpk + 0.75 * fs)]
        per["qrs_ms"].append((qoff - qon) * 1000 / fs)
        if len(pw) >= need:
            pon, poff = lo([p[0] for p in pw]), hi([p[2] for p in pw])
            per["p_duration_ms"].append((poff - pon) * 1000 / fs)
            per["pr_ms"].append((qon - pon) * 1000 / fs)
        if len(tw) >= need:
            per["qt_ms"].append((hi([t[2] for t in tw]) - qon) * 1000 / fs)
    return {k: (float(np.median(v)) if v else None) for k, v in per.items()}


def nk_delineate_lead(x: np.ndarray, fs: float = 500.0) -> list[tuple[str, int | None, int | None, int | None]]:
    """neurokit2 0.2 ``ecg_clean`` + ``ecg_peaks`` + ``ecg_delineate(method='dwt')`` on one lead.

    Returns waves ``(wave, onset, peak, offset)`` in samples (None where neurokit2 gave NaN).
    """
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = nk.ecg_clean(x.astype(float), sampling_rate=int(fs))
        _, info = nk.ecg_peaks(c, sampling_rate=int(fs))
        r = np.asarray(info["ECG_R_Peaks"])
        if r.size < 2:
            return []
        try:
            _, w = nk.ecg_delineate(c, r, sampling_rate=int(fs), method="dwt")
        except Exception:
            return [("QRS", None, int(p), None) for p in r]

    def g(key, i):
        v = w.get(key)
        if v is None or i >= len(v):
            return None
        v = v[i]
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)

    out = []
    for i, pk in enumerate(r):
        out.append(("QRS", g("ECG_R_Onsets", i), int(pk), g("ECG_R_Offsets", i)))
        if g("ECG_P_Peaks", i) is not None or g("ECG_P_Onsets", i) is not None:
            out.append(("P", g("ECG_P_Onsets", i), g("ECG_P_Peaks", i), g("ECG_P_Offsets", i)))
        if g("ECG_T_Peaks", i) is not None or g("ECG_T_Offsets", i) is not None:
            out.append(("T", g("ECG_T_Onsets", i), g("ECG_T_Peaks", i), g("ECG_T_Offsets", i)))
    return out


def single_core() -> None:
    """Limit BLAS/OpenMP pools to one thread (for speed figures 'on one core')."""
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(k, "1")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:
        pass


def fmt(v, nd=1) -> str:
    return "   n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:6.{nd}f}"
