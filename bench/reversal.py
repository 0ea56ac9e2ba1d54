"""Limb-electrode reversal on real records with the swap applied to their limb leads.

Run: ``python -m bench.reversal [--limit N]``. Each record is measured as recorded and with each
of the three limb-electrode swaps applied (:func:`ecg.leads.swap_limb_electrodes`: LA/RA, LA/LL,
RA/LL, exact linear maps of the recorded limb leads; the precordial leads do not change). Scored:
the share of swapped records on which ``LIMB_REVERSAL`` names that swap (sensitivity), the share
on which it names another, and the share of records as recorded on which it fires (false
positives; neither set holds a record known to be reversed: PTB-XL's ``electrodes_problems``
marks only one record, for V1). Sets: LUDB with its limb-lead scales restored
(:func:`bench._common.ludb_limb_leads_restored`; odd ids = where the rule's ranges were checked,
even ids held out) and PTB-XL (353 records, test set). Printed beside it, in the same run: the
lead I / aVR polarity rule alone (inverted P and QRS in I with an upright QRS in aVR, the rule used
before), as the reference; neurokit2 has no reversal detection.
"""
from __future__ import annotations

import time

import numpy as np

from ._common import LUDB, PTBXL, ludb_ids, ludb_limb_leads_restored, run_with_limit, save_results

KINDS = ("LA/RA", "LA/LL", "RA/LL")


def _called(m) -> str | None:
    f = next((f for f in m.findings if f.code == "LIMB_REVERSAL"), None)
    return None if f is None else f.values.get("reversal", "?")


def _records(limit):
    from ecg import load
    import pandas as pd

    ids = ludb_ids(limit)
    for rid in ids:
        yield ("LUDB odd" if rid % 2 else "LUDB even"), rid, ludb_limb_leads_restored(load(LUDB / str(rid)))
    df = pd.read_csv(PTBXL / "ptbxl_database.csv")
    if limit:
        df = df.iloc[:limit]
    for _, row in df.iterrows():
        yield "PTB-XL", int(row["ecg_id"]), load(PTBXL / row["filename_hr"])


def run(limit=None) -> dict:
    from ecg.interpret import arm_reversal_pattern
    from ecg.leads import swap_limb_electrodes
    from ecg.measure import measure

    tally: dict = {}
    false_calls: dict = {}
    t0 = time.perf_counter()
    for group, rid, rec in _records(limit):
        g = tally.setdefault(group, {k: {"n": 0, "right": 0, "other": 0, "polarity_rule": 0} for k in ("as recorded",) + KINDS})
        for kind in ("as recorded",) + KINDS:
            m = measure(rec if kind == "as recorded" else swap_limb_electrodes(rec, kind))
            c = _called(m)
            t = g[kind]
            t["n"] += 1
            t["polarity_rule"] += int(arm_reversal_pattern(m.per_lead))
            if kind == "as recorded":
                t["other"] += int(c is not None)
                if c is not None:
                    false_calls.setdefault(group, []).append((rid, c))
            else:
                t["right"] += int(c == kind)
                t["other"] += int(c is not None and c != kind)
    return {"tally": tally, "false_calls": false_calls, "seconds": time.perf_counter() - t0}


def report(res: dict) -> str:
    L = ["Limb-electrode reversal, swaps applied to real records (share of records). 'ours': LIMB_REVERSAL naming "
         "that swap (on 'as recorded': any call, a false one); 'other': naming another swap; 'reference': the "
         "lead I / aVR polarity rule alone, in the same run",
         f"{'set':10} {'record':12} {'n':>4} {'ours':>7} {'other':>7} {'reference':>10}"]
    for group, g in res["tally"].items():
        for kind, t in g.items():
            n = max(1, t["n"])
            ours = (t["other"] if kind == "as recorded" else t["right"]) / n
            other = 0.0 if kind == "as recorded" else t["other"] / n
            L.append(f"{group:10} {kind:12} {t['n']:4d} {ours:7.3f} {other:7.3f} {t['polarity_rule'] / n:10.3f}")
    for group, calls in res["false_calls"].items():
        L.append(f"  false calls, {group}: " + ", ".join(f"{rid} ({c})" for rid, c in calls))
    L.append("LA/LL maps normal axes onto normal axes (a -> 60 - a) and is not sought (its row shows what fires by "
             "chance). Target for 'as recorded': no call.")
    return "\n".join(L)


def main(argv=None) -> dict:
    return run_with_limit("reversal", __doc__, run, report, argv)


if __name__ == "__main__":
    main()
