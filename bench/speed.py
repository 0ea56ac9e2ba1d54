"""Speed: median milliseconds per 10 s 12-lead 500 Hz record on one core, ours vs neurokit2.

Run: ``python -m bench.speed [--n 20]``. BLAS/OpenMP pools are limited to one thread. Ours is the
full ``ecg.measure.measure`` (beats, median beats, delineation, amplitudes, axes, quality and
``interpret``); neurokit2 is ``ecg_clean`` + ``ecg_peaks`` + ``ecg_delineate(method='dwt')`` on each
of the 12 leads (what it takes to get per-lead P/QRS/T fiducials from neurokit2). Records: the
first N PTB-XL records of ../shared/data/ptbxl, one warm-up call each side.
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


def report(res: dict) -> str:
    return (f"Speed, {res['n']} PTB-XL records (10 s, 12 leads, 500 Hz), one thread, median ms per record\n"
            f"  ours (measure + interpret): {res['ours_ms']:.1f} ms   neurokit2 dwt x 12 leads: {res['nk_ms']:.1f} ms   "
            f"ratio {res['ratio']:.1f}x   (targets: <= 50 ms, >= 8x)")


def main(argv=None) -> dict:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    a = ap.parse_args(argv)
    res = run(a.n)
    print(report(res))
    save_results("speed", res)
    return res


if __name__ == "__main__":
    main()
