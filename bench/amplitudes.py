"""Does the per-lead amplitude confidence mean something? PTB-XL split-half check.

Run: ``python -m bench.amplitudes [--limit N]``.

No reference annotates amplitudes beat by beat, so the check is internal: each PTB-XL record (real
mV) is measured whole and as its two 5 s halves, and per lead the R amplitude and the ST level at
J+60 ms of the two halves are compared. A confidence that means something gives larger half-to-half
differences on the leads it rates below 0.5. Printed side by side: ours
(``per_lead.amplitude_confidence``: signal-quality score and the standard error of the median beat
from the beat-to-beat noise) and the lead's signal-quality score alone (``signal_quality.score``,
what a confidence without the standard error would say).
"""
from __future__ import annotations


import numpy as np

from ._common import PTBXL, run_with_limit


def run(limit: int | None = None) -> dict:
    import pandas as pd

    from ecg import ECG, load
    from ecg.measure import measure

    df = pd.read_csv(PTBXL / "ptbxl_database.csv")
    if limit:
        df = df.iloc[:limit]
    rows = []  # (amplitude confidence, quality score, |dR| mV, |dST| mV)
    for _, r in df.iterrows():
        rec = load(PTBXL / r["filename_hr"])
        half = rec.signal.shape[1] // 2
        m = measure(rec, interpret=False)
        h1 = measure(ECG(rec.signal[:, :half], rec.fs, rec.leads), interpret=False)
        h2 = measure(ECG(rec.signal[:, half:], rec.fs, rec.leads), interpret=False)
        for ld in rec.leads:
            c = m.per_lead[ld].get("amplitude_confidence")
            q = (m.signal_quality.get(ld) or {}).get("score")
            a1, a2 = h1.per_lead[ld].get("r_amp_mv"), h2.per_lead[ld].get("r_amp_mv")
            s1, s2 = h1.per_lead[ld].get("st_j60_mv"), h2.per_lead[ld].get("st_j60_mv")
            if c is None or q is None or a1 is None or a2 is None or s1 is None or s2 is None:
                continue
            rows.append((c, q, abs(a1 - a2), abs(s1 - s2)))
    R = np.array(rows, float).reshape(-1, 4)
    out = {"records": len(df), "leads": int(R.shape[0])}
    for name, col in (("ours", 0), ("quality score alone", 1)):
        lo = R[:, col] < 0.5
        out[name] = {"low_n": int(lo.sum()), "high_n": int((~lo).sum()),
                     "r_low": float(R[lo, 2].mean()) if lo.any() else None, "r_high": float(R[~lo, 2].mean()),
                     "st_low": float(R[lo, 3].mean()) if lo.any() else None, "st_high": float(R[~lo, 3].mean())}
    return out


def report(res: dict) -> str:
    f = lambda v: "   n/a" if v is None else f"{v:6.3f}"
    L = [f"Amplitude confidence vs half-to-half differences, PTB-XL {res['records']} records, {res['leads']} leads",
         "(mean |first 5 s - last 5 s| in mV; confidence < 0.5 vs >= 0.5)",
         f"{'confidence':22} {'n <0.5':>7} {'R <0.5':>7} {'R >=0.5':>8} {'ST <0.5':>8} {'ST >=0.5':>9}"]
    for name in ("ours", "quality score alone"):
        v = res[name]
        L.append(f"{name:22} {v['low_n']:7d} {f(v['r_low']):>7} {f(v['r_high']):>8} {f(v['st_low']):>8} {f(v['st_high']):>9}")
    return "\n".join(L)


def main(argv=None) -> dict:
    return run_with_limit("amplitudes", __doc__, run, report, argv)


if __name__ == "__main__":
    main()
