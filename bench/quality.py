"""Per-lead signal quality against PTB-XL's noise annotations (353 records, 4236 leads).

Run: ``python -m bench.quality [--limit N]``. PTB-XL's technical validation marks, per record,
the leads with static noise, burst noise and baseline drift (columns ``static_noise``,
``burst_noise``, ``baseline_drift``: lead lists such as ``I-AVR``, ``V2,3`` or ``alles`` = all
leads; Wagner et al., Sci Data 7:154, 2020). A lead counts as marked when it is named. Printed: for
each annotation, the area under the ROC curve with which each per-lead index of ours ranks the
marked leads above the others (1 - ``score``, ``noise``, ``baseline_wander``, ``hf_noise_mv``), and
in the same run neurokit2's ``ecg_quality`` (method ``averageQRS``, 1 - its mean over the lead,
on ``ecg_clean``) as the reference. Also: how many leads reach :data:`ecg.quality.HF_VISIBLE_MV`.
"""
from __future__ import annotations

import re
import time

import numpy as np

from ._common import PTBXL, run_with_limit

ANNOTATIONS = ("static_noise", "burst_noise", "baseline_drift")
_PTB = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def marked_leads(text) -> set[str]:
    """The leads a PTB-XL noise annotation names (standard names); empty for none or no lead list."""
    from ecg.leads import STANDARD_LEADS

    if not isinstance(text, str):
        return set()
    s = text.upper().replace(" ", "").replace(".", ",").strip(",")
    if "ALLES" in s:
        return set(STANDARD_LEADS)
    out: set[str] = set()
    for part in filter(None, s.split(",")):
        if "-" in part:
            a, b = part.split("-", 1)
            if a in _PTB and b in _PTB:
                out |= set(STANDARD_LEADS[_PTB.index(a): _PTB.index(b) + 1])
        elif part in _PTB:
            out.add(STANDARD_LEADS[_PTB.index(part)])
        elif re.fullmatch(r"\d", part) and out:  # "V2,3": V3
            out.add("V" + part)
    return out


def auc(y: np.ndarray, x: np.ndarray) -> float | None:
    """Area under the ROC curve of score ``x`` for labels ``y``: the Mann-Whitney U of the positives
    over n_pos * n_neg (ties count half); NaN scores are left out."""
    from scipy.stats import mannwhitneyu

    ok = np.isfinite(x)
    y, x = y[ok].astype(bool), x[ok]
    pos, neg = x[y], x[~y]
    if not pos.size or not neg.size:
        return None
    return float(mannwhitneyu(pos, neg).statistic / (pos.size * neg.size))


def run(limit=None) -> dict:
    import neurokit2 as nk
    import pandas as pd

    from ecg import load
    from ecg.measure import measure
    from ecg.quality import HF_VISIBLE_MV

    df = pd.read_csv(PTBXL / "ptbxl_database.csv")
    if limit:
        df = df.iloc[:limit]
    rows = []
    t_ours = t_nk = 0.0
    for _, r in df.iterrows():
        rec = load(PTBXL / r["filename_hr"])
        t0 = time.perf_counter()
        q = measure(rec, interpret=False).signal_quality
        t_ours += time.perf_counter() - t0
        marks = {a: marked_leads(r[a]) for a in ANNOTATIONS}
        for i, ld in enumerate(rec.leads):
            t0 = time.perf_counter()
            try:
                nkq = 1.0 - float(np.nanmean(nk.ecg_quality(nk.ecg_clean(rec.signal[i], sampling_rate=int(rec.fs)),
                                                            sampling_rate=int(rec.fs), method="averageQRS")))
            except Exception:  # neurokit2 finds no beats on a flat or very noisy lead
                nkq = np.nan
            t_nk += time.perf_counter() - t0
            ql = q.get(ld) or {}
            rows.append({"id": int(r["ecg_id"]), "lead": ld, **{a: ld in marks[a] for a in ANNOTATIONS},
                         "1 - score": 1.0 - (ql.get("score") or 0.0), "noise": ql.get("noise"),
                         "baseline_wander": ql.get("baseline_wander"), "hf_noise_mv": ql.get("hf_noise_mv"),
                         "nk averageQRS": nkq})
    d = pd.DataFrame(rows)
    indices = ("1 - score", "noise", "baseline_wander", "hf_noise_mv", "nk averageQRS")
    res = {"records": int(d.id.nunique()), "leads": len(d),
           "marked": {a: int(d[a].sum()) for a in ANNOTATIONS},
           "auc": {a: {k: auc(d[a].to_numpy(), d[k].astype(float).to_numpy()) for k in indices} for a in ANNOTATIONS},
           "hf_visible_leads": int((d["hf_noise_mv"].astype(float) >= HF_VISIBLE_MV).sum()),
           "hf_visible_records": int(d[d["hf_noise_mv"].astype(float) >= HF_VISIBLE_MV].id.nunique()),
           "seconds": {"ours": t_ours, "nk": t_nk}}
    return res


def report(res: dict) -> str:
    from ecg.quality import HF_VISIBLE_MV

    keys = list(next(iter(res["auc"].values())))
    L = [f"Per-lead quality vs PTB-XL noise annotations: {res['records']} records, {res['leads']} leads; AUC of each "
         "index for the leads marked (0.5 = no better than chance)",
         f"{'annotation':16} {'marked':>6} " + " ".join(f"{k:>16}" for k in keys)]
    for a, row in res["auc"].items():
        L.append(f"{a:16} {res['marked'][a]:6d} " + " ".join(
            f"{'n/a' if v is None else f'{v:.3f}':>16}" for v in row.values()))
    L.append(f"leads with hf_noise_mv >= {HF_VISIBLE_MV} mV (named in their reason): {res['hf_visible_leads']} on "
             f"{res['hf_visible_records']} records; time ours (measure) {res['seconds']['ours']:.1f} s, "
             f"neurokit2 ecg_quality {res['seconds']['nk']:.1f} s")
    return "\n".join(L)


def main(argv=None) -> dict:
    return run_with_limit("quality", __doc__, run, report, argv)


if __name__ == "__main__":
    main()
