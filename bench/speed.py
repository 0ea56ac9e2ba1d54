"""Speed: median milliseconds per 10 s 12-lead 500 Hz record on one core, ours vs neurokit2.

Run: ``python -m bench.speed [--n 20] [--hours H]``. BLAS/OpenMP pools are limited to one thread. Ours is the
full ``ecg.measure.measure`` (beats, median beats, delineation, amplitudes, axes, quality and
``interpret``); neurokit2 is ``ecg_clean`` + ``ecg_peaks`` + ``ecg_delineate(method='dwt')`` on each
of the 12 leads (what it takes to get per-lead P/QRS/T fiducials from neurokit2). Records: the
first N PTB-XL records of ../shared/data/ptbxl, one warm-up call each side.

``--hours H`` adds a long-record run: MIT-BIH record 100 (30 min, 2 leads, 360 Hz, real) repeated
end to end to H hours and measured as one record (60 s windows, up to 120 of them delineated, the
rest beat-detected and classified), with wall time, beats found against the reference beats the
repetition holds, and the process's peak resident memory after the call (and before it, with the
record already in memory); neurokit2's ``ecg_peaks`` on lead MLII of the same record is the
reference run, after ours.
"""
from __future__ import annotations

from ._common import single_core

single_core()

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from ._common import PTBXL, nk_delineate_lead, save_results  # noqa: E402


def run(n: int = 20) -> dict:
    import pandas as pd

    from ecg import load
    from ecg.measure import measure

    df = pd.read_csv(PTBXL / "ptbxl_database.csv").iloc[:n]
    recs = [load(PTBXL / f) for f in df["filename_hr"]]
    measure(recs[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nk_delineate_lead(recs[0].signal[1])
        ours, nk = [], []
        for r in recs:
            t0 = time.perf_counter()
            measure(r)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(r.n_leads):
                nk_delineate_lead(r.signal[i])
            nk.append(time.perf_counter() - t0)
    o, k = 1000 * float(np.median(ours)), 1000 * float(np.median(nk))
    return {"n": len(recs), "ours_ms": o, "nk_ms": k, "ratio": k / o}


def run_long(hours: float) -> dict:
    """One ``hours``-long record made of MIT-BIH 100 repeated; see the module docstring."""
    import resource

    import wfdb

    from ecg import ECG, load
    from ecg.measure import measure

    from ._common import MITBIH

    src = load(MITBIH / "100")
    n = int(round(hours * 3600 * src.fs))
    reps = int(np.ceil(n / src.signal.shape[1]))
    rec = ECG(np.tile(src.signal, (1, reps))[:, :n], src.fs, src.leads, {"record_id": f"100 x {reps}"})
    ann = wfdb.rdann(str(MITBIH / "100"), "atr")
    n_ref_one = sum(1 for s in ann.symbol if s in "NLRBAaJSVrFejnE/fQ?")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    m = measure(rec)
    ours_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux reports KiB)
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        _, info = nk.ecg_peaks(rec.signal[0], sampling_rate=int(rec.fs))
        nk_s = time.perf_counter() - t0
    return {"hours": hours, "samples_per_lead": n, "leads": rec.n_leads, "fs_hz": rec.fs,
            "ours_s": ours_s, "peak_rss_mb": peak, "rss_before_mb": before, "ours_beats": len(m.beats["r_peaks_ms"]),
            "ref_beats_approx": int(round(n_ref_one * n / src.signal.shape[1])),
            "nk_peaks_s": nk_s, "nk_beats": int(len(info["ECG_R_Peaks"])),
            "heart_rate_bpm": m.heart_rate_bpm, "qt_ms": m.qt_ms, "findings": [f.code for f in m.findings]}


def report(res: dict) -> str:
    s = (f"Speed, {res['n']} PTB-XL records (10 s, 12 leads, 500 Hz), one thread, median ms per record\n"
         f"  ours (measure + interpret): {res['ours_ms']:.1f} ms   neurokit2 dwt x 12 leads: {res['nk_ms']:.1f} ms   "
         f"ratio {res['ratio']:.1f}x   (targets: <= 50 ms, >= 8x)")
    lg = res.get("long")
    if lg:
        s += (f"\nLong record: MIT-BIH 100 repeated to {lg['hours']:g} h ({lg['leads']} leads, {lg['fs_hz']:g} Hz, "
              f"{lg['samples_per_lead']} samples per lead), one thread\n"
              f"  ours (measure + interpret): {lg['ours_s']:.1f} s, process peak RSS {lg['peak_rss_mb']:.0f} MiB "
              f"({lg['rss_before_mb']:.0f} MiB before the call, the record included), "
              f"{lg['ours_beats']} beats (reference about {lg['ref_beats_approx']})   "
              f"neurokit2 ecg_peaks (MLII only, no delineation): {lg['nk_peaks_s']:.1f} s, {lg['nk_beats']} beats\n"
              f"  HR {lg['heart_rate_bpm']:.0f}/min, QT {lg['qt_ms']} ms, findings {', '.join(lg['findings'])}")
    return s


def main(argv=None) -> dict:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--hours", type=float, default=0.0, help="also measure one record this long (MIT-BIH 100 repeated)")
    a = ap.parse_args(argv)
    res = run(a.n)
    if a.hours > 0:
        res["long"] = run_long(a.hours)
    print(report(res))
    save_results("speed", res)
    return res


if __name__ == "__main__":
    main()
