"""Shared helpers for the benchmarks: data paths, LUDB reference parsing, neurokit2 reference run.

LUDB reference (Kalyakulina et al., IEEE Access 8, 2020): one annotation file per lead with
``(`` onset, ``p``/``N``/``t`` peak, ``)`` offset of every P, QRS and T wave marked by cardiologists.
Global reference intervals of a beat are built as clinical programs build theirs: earliest onset
and latest offset across the 12 leads (IEC 60601-2-25), on the beats marked in every lead that
marks the wave; a record's reference is the median over those beats (:func:`global_intervals`).
"""
from __future__ import annotations

import json
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


def run_with_limit(name: str, doc: str, run, report, argv=None, with_fs: bool = False) -> dict:
    """The ``main`` of a bench over PTB-XL records with a ``--limit N`` option: parse ``argv``,
    run ``run(limit)`` with warnings silenced, print ``report(res)``, save it as ``name``.

    ``with_fs``: the bench also takes ``--fs HZ`` (records resampled to that rate first,
    :func:`at_rate`), runs ``run(limit, fs=HZ)`` and saves as ``<name>_fs<HZ>``."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    if with_fs:
        ap.add_argument("--fs", type=float, default=None, help=FS_HELP)
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    fs = getattr(a, "fs", None)
    res = run(a.limit, fs=fs) if with_fs else run(a.limit)
    print(report(res))
    save_results(name if fs is None else f"{name}_fs{fs:g}", res)
    return res


FS_HELP = ("resample every record to this rate (Hz, 100..1000) before measuring it, as a user's file at that "
           "rate would arrive; the references stay the 500 Hz annotations and labels")


LEADS_HELP = ("measure only these leads (comma-separated standard names, e.g. II or I,II,III,aVR,aVL,aVF), as a "
              "single-lead or limb-lead recording would arrive; the references stay the 12-lead annotations")


def with_leads(rec, leads: list[str] | None):
    """The record cut to ``leads`` (standard names, in the record's order), or itself when None.

    Raises:
        ValueError: a name is not one of the record's leads.
    """
    from ecg import ECG

    if not leads:
        return rec
    bad = [n for n in leads if n not in rec.leads]
    if bad:
        raise ValueError(f"lead(s) {', '.join(bad)} not in the record; it has {', '.join(rec.leads)}")
    idx = [i for i, n in enumerate(rec.leads) if n in leads]
    return ECG(rec.signal[idx], rec.fs, [rec.leads[i] for i in idx], meta=dict(rec.meta))


def at_rate(rec, fs: float | None):
    """The record resampled to ``fs`` Hz (``ecg.filters.resample``: polyphase, anti-aliased), or the
    record itself when ``fs`` is None or its own rate. What a recording made at that rate (a 100 Hz
    PTB-XL download, a 250 Hz Holter, a 1000 Hz research cart) gives :func:`ecg.measure.measure`."""
    from ecg import ECG
    from ecg.filters import resample

    if fs is None or abs(float(fs) - rec.fs) < 1e-9:
        return rec
    return ECG(resample(rec.signal, rec.fs, float(fs)), float(fs), list(rec.leads), meta=dict(rec.meta))


def mitbih_208_excerpt():
    """5 min of MIT-BIH 208 (19:35-24:35, lead MLII, 360 Hz, as once shipped by SciPy;
    ``../shared/data/mitbih/ecg.dat``) as an :class:`ecg.ECG` in mV: ADC values less 1024, over
    200 per mV. Record 208 has frequent wide ventricular complexes, couplets and fusion beats;
    no beat annotations come with the excerpt."""
    from ecg import ECG

    adc = np.load(MITBIH / "ecg.dat")["ecg"].astype(np.float64)
    return ECG(((adc - 1024.0) / 200.0)[None, :].astype(np.float32), 360.0, ["II"],
               meta={"record_id": "MIT-BIH 208 excerpt"})


def save_results(name: str, res: dict) -> Path:
    """Write a bench's results to ``bench/out/<name>.json`` (git-ignored) and return the path;
    values JSON cannot hold (numpy scalars, tuples of objects) are written as text."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(res, indent=1, default=str))
    return path


def ludb_limb_leads_restored(rec):
    """Undo the per-lead amplitude normalization of the LUDB copy in ../shared/data, limb leads only.

    In that copy every lead is scaled on its own to 1.0 mV peak to peak (checked: every lead of
    every record), so Einthoven's law (II = I + III) fails (lead II of record 1 fits
    1.42 I + 1.02 III exactly) and the frontal axis, which compares limb-lead amplitudes, is
    distorted. The limb leads are exact linear combinations of two potentials, so their relative
    scales come back from Einthoven's and Goldberger's equations by least squares, with lead II
    kept as it is (the common scale stays unknown; the axis does not depend on it). Precordial
    leads cannot be restored and are returned unchanged.

    Args:
        rec: :class:`ecg.ECG` of a LUDB record (standard lead names).
    Returns:
        A new ECG with I, III, aVR, aVL, aVF rescaled; ``meta["limb_scales"]`` holds the factors.
    """
    from ecg import ECG

    x = rec.signal.astype(np.float64)
    ix = {n: rec.leads.index(n) for n in ("I", "II", "III", "aVR", "aVL", "aVF")}
    i_, ii, iii = x[ix["I"]], x[ix["II"]], x[ix["III"]]
    a, c = np.linalg.lstsq(np.c_[i_, iii], ii, rcond=None)[0]          # II = a I' + c III'
    true_i, true_iii = a * i_, c * iii
    targets = {"aVR": -(true_i + ii) / 2, "aVL": (true_i - true_iii) / 2, "aVF": (ii + true_iii) / 2}
    scales = {"I": float(a), "II": 1.0, "III": float(c)}
    for n, t in targets.items():
        v = x[ix[n]]
        scales[n] = float(np.dot(v, t) / max(np.dot(v, v), 1e-12))
    y = x.copy()
    for n, k in scales.items():
        y[ix[n]] = x[ix[n]] * k
    return ECG(y.astype(np.float32), rec.fs, list(rec.leads), meta={**dict(rec.meta), "limb_scales": scales})


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


def _beats_of(waves_by_lead: dict, fs: float) -> list[dict]:
    """Group the per-lead QRS annotations into beats: a lead's QRS joins the current beat when its
    onset..offset overlaps the beat's span (QRS complexes of one beat overlap in time in every
    lead, even when a wide QRS puts the leads' peaks more than 100 ms apart)."""
    qrs = sorted((on, pk, off, ld) for ld, ws in waves_by_lead.items() for (w, on, pk, off) in ws
                 if w == "QRS" and on is not None and off is not None)
    beats: list[dict] = []
    for on, pk, off, ld in qrs:
        b = beats[-1] if beats else None
        if b is not None and on <= b["off_med"] and ld not in b["qrs"]:
            b["qrs"][ld] = (on, pk, off)
            b["off_med"] = int(np.median([x[2] for x in b["qrs"].values()]))
        else:
            beats.append({"qrs": {ld: (on, pk, off)}, "off_med": off})
    return beats


def _beat_waves(waves_by_lead: dict, fs: float) -> tuple[list[dict], list[tuple[int, int, int]]]:
    """The beats of :func:`_beats_of` marked in at least half the leads, each with its per-lead P
    (peak between the previous beat's QRS and this QRS onset, at most 450 ms before) and T (peak
    between this QRS offset and the next QRS onset) as ``b["P"]``, ``b["T"]``; and per beat its
    (earliest QRS onset, latest QRS offset, median QRS peak) in samples."""
    n_leads = len(waves_by_lead)
    beats = [b for b in _beats_of(waves_by_lead, fs) if len(b["qrs"]) >= max(1, n_leads // 2)]
    spans = [(min(x[0] for x in b["qrs"].values()), max(x[2] for x in b["qrs"].values()),
              int(np.median([x[1] for x in b["qrs"].values()]))) for b in beats]
    for i, b in enumerate(beats):
        qon, qoff, qpk = spans[i]
        prev_off = spans[i - 1][1] if i > 0 else qon - 0.45 * fs
        next_on = spans[i + 1][0] if i + 1 < len(spans) else qpk + 0.9 * fs
        b["P"], b["T"] = {}, {}
        for ld, ws in waves_by_lead.items():
            for (w, on, pk, off) in ws:
                if on is None or off is None or pk is None:
                    continue
                if w == "P" and max(prev_off, qon - 0.45 * fs) < pk < qon:
                    b["P"][ld] = (on, pk, off)
                elif w == "T" and qoff < pk < next_on:
                    b["T"].setdefault(ld, (on, pk, off))
    return beats, spans


def median_beat_intervals(waves_by_lead: dict[str, list[tuple[str, int, int, int]]], fs: float = 500.0) -> dict:
    """Global intervals (ms) from per-lead waves built the way a median-beat program builds its own.

    Per lead, each annotated onset and offset is taken relative to its beat (the median QRS peak
    of the beat across leads) and its median over the beats is that lead's "median beat"
    fiducial; the global onset is then the earliest of those over the leads and the global offset
    the latest (IEC 60601-2-25 global measurements on representative beats; the CSE study). The
    issue's STRICT reference (:func:`global_intervals`) takes the earliest / latest of the 12 hand
    marks beat by beat, so every beat's annotation scatter widens it; here the per-lead median
    removes the beat-to-beat scatter of the marks and keeps the differences between leads. Keys:
    p_duration_ms, pr_ms, qrs_ms, qt_ms (None where no lead marks the waves).
    """
    beats, spans = _beat_waves(waves_by_lead, fs)
    rel: dict[str, dict[str, list[int]]] = {}
    for b, (_, _, qpk) in zip(beats, spans):
        for ld in waves_by_lead:
            r = rel.setdefault(ld, {})
            for key, wave in (("qrs", b["qrs"]), ("p", b["P"]), ("t", b["T"])):
                if ld in wave:
                    on, _, off = wave[ld]
                    r.setdefault(key + "_on", []).append(on - qpk)
                    r.setdefault(key + "_off", []).append(off - qpk)
    med = {k: [float(np.median(r[k])) for r in rel.values() if r.get(k)] for k in
           ("qrs_on", "qrs_off", "p_on", "p_off", "t_off")}
    out = {"p_duration_ms": None, "pr_ms": None, "qrs_ms": None, "qt_ms": None}
    if med["qrs_on"] and med["qrs_off"]:
        qon = min(med["qrs_on"])
        out["qrs_ms"] = (max(med["qrs_off"]) - qon) * 1000 / fs
        if med["t_off"]:
            out["qt_ms"] = (max(med["t_off"]) - qon) * 1000 / fs
        if med["p_on"] and med["p_off"]:
            out["pr_ms"] = (qon - min(med["p_on"])) * 1000 / fs
            out["p_duration_ms"] = (max(med["p_off"]) - min(med["p_on"])) * 1000 / fs
    return out


def global_intervals(waves_by_lead: dict[str, list[tuple[str, int, int, int]]], fs: float = 500.0,
                     robust: bool = False, per_beat: bool = False) -> dict:
    """Global intervals (ms) from per-lead waves, as clinical programs define them.

    Beats are the QRS annotations grouped across leads by overlap (:func:`_beats_of`). For each
    beat and wave (P before the QRS, QRS, T after it) the global onset is the earliest onset and
    the global offset the latest offset across the leads that mark the wave (IEC 60601-2-25
    global measurements; the issue's strict reference). A beat enters a wave's reference only
    when every lead that marks this wave anywhere in the record marks it on this beat: a lead
    skipped on one beat (LUDB leaves some beats unmarked in some leads) would otherwise move
    that beat's earliest onset / latest offset. The record's value is the median over beats.
    ``robust=True`` takes the second-earliest onset and second-latest offset instead (one
    outlying lead does not move it). Keys: p_duration_ms, pr_ms, qrs_ms, qt_ms (None if no
    complete beat has the waves); with ``per_beat`` also ``beats``: per-beat values and the
    global fiducials in samples (qrs_on, qrs_off, p_on, p_off, t_off).
    """
    beats, spans = _beat_waves(waves_by_lead, fs)
    n_leads = len(waves_by_lead)
    lo = (lambda v: sorted(v)[1] if len(v) > 2 else min(v)) if robust else min
    hi = (lambda v: sorted(v)[-2] if len(v) > 2 else max(v)) if robust else max
    # the leads that mark each wave somewhere in the record
    marks = {w: set().union(*[set(b[w if w != "QRS" else "qrs"]) for b in beats]) if beats else set()
             for w in ("P", "QRS", "T")}

    def got(b, w):
        return set(b["qrs"] if w == "QRS" else b[w])

    # if no beat is marked in all those leads, the beats marked in the most leads are used
    most = {w: max((len(got(b, w)) for b in beats), default=0) for w in marks}
    strict_ok = {w: any(marks[w] <= got(b, w) for b in beats) for w in marks}

    def complete(b, w):
        g = got(b, w)
        if len(g) < max(1, n_leads // 2):
            return False
        return marks[w] <= g if strict_ok[w] else len(g) == most[w]

    per = {"p_duration_ms": [], "pr_ms": [], "qrs_ms": [], "qt_ms": []}
    rows = []
    for b, (qon0, qoff0, _) in zip(beats, spans):
        row = {}
        q = list(b["qrs"].values())
        if complete(b, "QRS"):
            qon, qoff = lo([x[0] for x in q]), hi([x[2] for x in q])
            row["qrs_ms"] = (qoff - qon) * 1000 / fs
            row["qrs_on"], row["qrs_off"] = qon, qoff
            if complete(b, "P"):
                p = list(b["P"].values())
                pon, poff = lo([x[0] for x in p]), hi([x[2] for x in p])
                row["p_duration_ms"] = (poff - pon) * 1000 / fs
                row["pr_ms"] = (qon - pon) * 1000 / fs
                row["p_on"], row["p_off"] = pon, poff
            if complete(b, "T"):
                row["t_off"] = hi([x[2] for x in b["T"].values()])
                row["qt_ms"] = (row["t_off"] - qon) * 1000 / fs
        for k, v in row.items():
            if k in per:
                per[k].append(v)
        rows.append(row)
    out = {k: (float(np.median(v)) if v else None) for k, v in per.items()}
    if per_beat:
        out["beats"] = rows
    return out


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


def complete_waves(by_lead: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Per lead, the waves ``(wave, onset, peak, offset)`` of :func:`nk_delineate_lead` that have all
    three fiducials (neurokit2 leaves some as None): what :func:`global_intervals` and
    :func:`median_beat_intervals` take."""
    return {ld: [w for w in ws if None not in w[1:]] for ld, ws in by_lead.items()}


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
