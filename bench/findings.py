"""Findings against PTB-XL ``scp_codes`` and ``heart_axis`` (353 records in ../shared/data/ptbxl).

Run: ``python -m bench.findings [--limit N] [--fs HZ]`` (``--fs``: every record resampled to that
rate first, as a file recorded at it would arrive; results then go to ``findings_fs<HZ>.json``).

A PTB-XL statement counts as present when its code is a key of ``scp_codes`` (any likelihood,
as in the PTB-XL benchmark of Strodthoff et al., IEEE JBHI 25:1519, 2021: PTB-XL gives a
likelihood (15..100) only to diagnostic statements; form and rhythm statements such as SR,
SARRH, PAC, QWAVE, STD_ carry 0, which means "not graded", not "absent" (Wagner et al., Sci Data
7:154, 2020)). Statements equal to ours by definition count as ours (:data:`EQUIV`: LPR for
1AVB, VCLVH for LVH); Q waves are also scored against the infarction statements (:data:`WIDER`,
outside the macro F1); PTB-XL's ``extra_beats`` column adds PAC (SVES) and PVC (VES), and a record
with extrasystoles of unnamed type is not scored for either (:data:`EXTRA_BEATS`). Our codes are the
SCP codes themselves; where our name differs it is mapped: STD -> STD_ (non-specific ST
depression), STE -> STE_, LONG_QTC -> LNGQT, TINV -> INVT. LAD/RAD are compared with
``heart_axis`` (LAD, ALAD -> LAD; RAD, ARAD -> RAD) on the records that have an axis label.
Printed per statement: positives, sensitivity, PPV, F1; macro F1 over statements with at least
5 positives; rhythm statements (SR, SBRAD, STACH, SARRH, AFIB, AFLT, PACE) are scored only on the
records with a rhythm statement in ``scp_codes`` (331 of 353); rhythm F1 (SR, AFIB, SBRAD, STACH) and conduction F1 (1AVB, CLBBB, CRBBB) against
the targets; and the frontal QRS axis against the axis class (within 15 degrees of the range).

The neurokit2 side: neurokit2 has no criteria-based interpretation, so no reference run is
printed here; the rate-based statements (SBRAD/STACH/SR by rate) from neurokit2's
``ecg_rate`` are printed as a baseline for the rate rules only.
"""
from __future__ import annotations

import ast
import time

import numpy as np

from ._common import PTBXL, at_rate, run_with_limit

MAP = {"STD": "STD_", "STE": "STE_", "LONG_QTC": "LNGQT", "TINV": "INVT"}
EVAL = ["SR", "SBRAD", "STACH", "SARRH", "AFIB", "AFLT", "PAC", "PVC", "1AVB", "CLBBB", "CRBBB", "ILBBB",
        "IRBBB", "IVCD", "LAFB", "LPFB", "LVH", "LVOLT", "PACE", "QWAVE", "STD_", "STE_", "LNGQT", "INVT"]
#: PTB-XL rhythm statements (``scp_statements.csv``, column ``rhythm``). A record without any of
#: them has no rhythm label (22 of the 353: "trace only requested", or reports such as
#: "sinustachykardi" whose rhythm was not coded), so rhythm codes are scored only on records that
#: carry one: a missing label is not a negative.
RHYTHM_CODES = {"SR", "SBRAD", "STACH", "SARRH", "AFIB", "AFLT", "PACE", "BIGU", "TRIGU", "PSVT", "SVARR", "SVTAC"}
#: PTB-XL statements that say the same as one of ours by definition: "prolonged PR interval" (LPR)
#: is the defining criterion of first-degree AV block (PR > 200 ms, AHA/ACC/HRS Part II); our LVH
#: is stated from voltage criteria, which PTB-XL codes as VCLVH ("voltage criteria (QRS) for left
#: ventricular hypertrophy") when the cardiologist did not call LVH itself. A record carrying the
#: equivalent statement counts as positive for ours.
EQUIV = {"1AVB": {"LPR"}, "LVH": {"VCLVH"}}
#: PTB-XL's ``extra_beats`` column (extrasystoles noted with the signal metadata: "SVES", "VES",
#: or "ES"/"1ES" without their type, Wagner et al. 2020) adds premature complexes that
#: ``scp_codes`` leaves out (242, 357: reports say "supraventricular extrasystoles"): SVES
#: makes a record positive for PAC and VES for PVC; a record with extrasystoles of unnamed type and
#: neither code is not scored for PAC or PVC (its premature beat may be either).
EXTRA_BEATS = {"PAC": "SVES", "PVC": "VES"}
#: Our statements scored a second time against a wider PTB-XL reference, outside the macro F1:
#: name -> (our code, PTB-XL codes). The Q-wave criteria are UDMI4's "ECG changes associated with
#: prior myocardial infarction", and PTB-XL codes the infarct (inferior, anteroseptal... MI,
#: diagnostic class MI without the acute injury statements INJ*) where its cardiologists saw Q
#: waves, the form statement QWAVE on 8 of the 353 records only. Likewise PTB-XL's cardiologists
#: coded ST depression and T inversion as ischaemic ST-T change (ISC_ and its territories ISCAL,
#: ISCAN, ISCAS, ISCIL, ISCIN, ISCLA) or as non-specific ST (NST_) or T-wave change (NT_, TAB_)
#: far more often than with the form statements STD_ (17 records) and INVT (3 records): those rows
#: score our STD and TINV against any of them.
ISCHAEMIC = {"ISC_", "ISCAL", "ISCAN", "ISCAS", "ISCIL", "ISCIN", "ISCLA"}
WIDER = {"QWAVE~MI": ("QWAVE", {"QWAVE", "IMI", "ASMI", "ILMI", "AMI", "ALMI", "LMI", "IPLMI", "IPMI", "PMI"}),
         "STD_~ST-T": ("STD_", {"STD_", "NST_"} | ISCHAEMIC),
         "INVT~ST-T": ("INVT", {"INVT", "NT_", "TAB_"} | ISCHAEMIC)}
AXIS_MAP = {"LAD": "LAD", "ALAD": "LAD", "RAD": "RAD", "ARAD": "RAD"}
#: PTB-XL heart_axis classes as degree ranges: our reading of them (PTB-XL does not publish the
#: ranges; its labels follow the German axis types, where "left type" starts at about 0 degrees):
#: MID normal, AXL/LAD left (to 0 deg), ALAD abnormal left (beyond -30), AXR/RAD/ARAD right.
AXIS_RANGE = {"MID": (-30, 90), "AXL": (-30, 0), "LAD": (-90, 0), "ALAD": (-90, -30),
              "AXR": (90, 120), "RAD": (90, 180), "ARAD": (120, 180)}
RHYTHM = ("SR", "AFIB", "SBRAD", "STACH")
#: Statements that leave a normal ECG normal: the sinus rhythms, the technical statements (about
#: the recording, not the heart), and QTC_WIDE_QRS (a QTc that is not prolonged once the wide QRS,
#: stated on its own, is taken out). Statements named BORDERLINE_* are counted apart.
NORMAL_READ = {"SR", "SARRH", "SBRAD", "STACH", "POOR_QUALITY", "REDUCED_LEADS", "PACING_NOT_ASSESSED",
               "LIMB_LEADS_INCONSISTENT", "LEADS_NORMALIZED", "QTC_WIDE_QRS"}
CONDUCTION = ("1AVB", "CLBBB", "CRBBB")


def run(limit=None, fs=None) -> dict:
    import pandas as pd

    from ecg import load
    from ecg.measure import measure
    from ecg.interpret import interpret

    df = pd.read_csv(PTBXL / "ptbxl_database.csv")
    if limit:
        df = df.iloc[:limit]
    truth, pred, axis_rows, normal_reads, ste_rows = [], [], [], [], []
    t_total = 0.0
    for _, row in df.iterrows():
        path = PTBXL / row["filename_hr"]
        rec = at_rate(load(path), fs)
        sex = None if pd.isna(row["sex"]) else ("F" if int(row["sex"]) == 1 else "M")
        age = None if pd.isna(row["age"]) or row["age"] > 120 else float(row["age"])
        t0 = time.perf_counter()
        m = measure(rec, interpret=False)
        f = interpret(m, sex=sex, age=age)
        t_total += time.perf_counter() - t0
        codes = {MAP.get(x.code, x.code) for x in f}
        scp = set(ast.literal_eval(row["scp_codes"]).keys())
        ax = row["heart_axis"] if isinstance(row["heart_axis"], str) else None
        eb = row["extra_beats"] if isinstance(row.get("extra_beats"), str) else ""
        if "SVES" in eb:
            scp.add("PAC")
        if "VES" in eb.replace("SVES", ""):
            scp.add("PVC")
        if eb and "ES" in eb and not scp & set(EXTRA_BEATS):
            scp.add("_ES_UNTYPED")
        truth.append((scp, ax))
        pred.append(codes)
        normal = "NORM" in scp and scp <= {"NORM"} | RHYTHM_CODES  # (extra_beats has added PAC/PVC to scp)
        if normal:
            normal_reads.append(codes)
        for x in f:  # how Smith's formula weighed each ST elevation
            if x.code == "STE" and set(x.leads) & {"V2", "V3", "V4"}:
                ste_rows.append((int(row["ecg_id"]), normal, x.values.get("smith_3var"), x.values.get("smith_3var_not_applied")))
        qa = m.axis_deg["qrs"]
        if ax in AXIS_RANGE and qa is not None:
            lo, hi = AXIS_RANGE[ax]
            axis_rows.append((int(row["ecg_id"]), ax, qa, lo - 15 <= qa <= hi + 15))
    per = {}
    for code in EVAL + ["LAD", "RAD"]:
        tp = fp = fn = 0
        for (scp, ax), p in zip(truth, pred):
            if code in ("LAD", "RAD"):
                if ax is None:
                    continue
                t = AXIS_MAP.get(ax) == code
            else:
                if code in RHYTHM_CODES and not (scp & RHYTHM_CODES):
                    continue
                if code in EXTRA_BEATS and "_ES_UNTYPED" in scp:
                    continue
                t = code in scp or bool(scp & EQUIV.get(code, set()))
            q = code in p
            tp += t and q
            fp += q and not t
            fn += t and not q
        per[code] = _scores(tp, fp, fn)
    big = [c for c, v in per.items() if v["pos"] >= 5]
    macro = float(np.mean([per[c]["f1"] for c in big])) if big else None
    for name, (code, ref) in WIDER.items():
        tp = sum(1 for (scp, _), p in zip(truth, pred) if scp & ref and code in p)
        fp = sum(1 for (scp, _), p in zip(truth, pred) if not scp & ref and code in p)
        fn = sum(1 for (scp, _), p in zip(truth, pred) if scp & ref and code not in p)
        per[name] = _scores(tp, fp, fn)
    return {"records": len(df), "fs_hz": fs or 500.0, "per": per, "macro_f1_5pos": macro, "macro_codes": big,
            "axis_within_15deg": float(np.mean([r[3] for r in axis_rows])) if axis_rows else None,
            "axis_n": len(axis_rows), "axis_misses": [r for r in axis_rows if not r[3]],
            "ms_per_record": 1000 * t_total / max(1, len(df)), "normal_ecgs": _normal_reads(normal_reads),
            "anterior_ste": ste_rows}


def _scores(tp: int, fp: int, fn: int) -> dict:
    """Positives, calls, sensitivity, PPV and F1 from the counts (None where undefined)."""
    return {"pos": tp + fn, "pred": tp + fp, "se": tp / (tp + fn) if tp + fn else None,
            "ppv": tp / (tp + fp) if tp + fp else None, "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None}


def _normal_reads(reads: list[set]) -> dict:
    """How the ECGs PTB-XL reads as normal (NORM and rhythm statements only, no extrasystoles)
    are read by us: the share with no statement beyond :data:`NORMAL_READ`, the share with
    borderline statements at most, and the statements found on them, most frequent first."""
    from collections import Counter

    n = len(reads)
    plain = sum(1 for c in reads if c <= NORMAL_READ)
    border = sum(1 for c in reads if all(x in NORMAL_READ or x.startswith("BORDERLINE_") for x in c))
    seen = Counter(x for c in reads for x in c if x not in NORMAL_READ)
    return {"n": n, "read_normal": plain / n if n else None, "normal_or_borderline": border / n if n else None,
            "statements": seen.most_common()}


def report(res: dict) -> str:
    L = [f"Findings vs PTB-XL statements, {res['records']} records at {res.get('fs_hz', 500.0):g} Hz "
         f"(measure + interpret {res['ms_per_record']:.0f} ms/record)",
         f"{'code':7} {'pos':>4} {'pred':>5} {'Se':>6} {'PPV':>6} {'F1':>6}"]
    f = lambda v: "   n/a" if v is None else f"{v:6.3f}"
    for c, v in res["per"].items():
        if v["pos"] or v["pred"]:
            L.append(f"{c:7} {v['pos']:4d} {v['pred']:5d} {f(v['se'])} {f(v['ppv'])} {f(v['f1'])}")
    if any(w in res["per"] for w in WIDER):
        L.append("  (" + "; ".join(f"{w}: our {c} against PTB-XL's {', '.join(sorted(r))}" for w, (c, r) in WIDER.items())
                 + "; not in the macro F1)")
    L.append(f"macro F1 over statements with >= 5 positives ({', '.join(res['macro_codes'])}): {f(res['macro_f1_5pos'])}")
    r = [res["per"][c]["f1"] for c in RHYTHM if res["per"][c]["f1"] is not None]
    L.append("rhythm F1 (target >= 0.95): " + ", ".join(f"{c} {f(res['per'][c]['f1']).strip()}" for c in RHYTHM))
    L.append("conduction F1 (target >= 0.90): " + ", ".join(f"{c} {f(res['per'][c]['f1']).strip()}" for c in CONDUCTION))
    if res["axis_within_15deg"] is not None:
        L.append(f"QRS axis within 15 deg of the PTB-XL heart_axis class: {res['axis_within_15deg']:.3f} of {res['axis_n']} "
                 "labelled records (target >= 0.95)")
        if res["axis_misses"]:
            L.append("  misses (ecg_id, class, axis): " + "; ".join(f"{a} {b} {c:.0f}" for a, b, c, _ in res["axis_misses"][:12]))
    nr = res.get("normal_ecgs") or {}
    if nr.get("n"):
        L.append(f"PTB-XL normal ECGs (NORM and rhythm statements only, {nr['n']}): read with no statement beyond sinus "
                 f"rhythm {nr['read_normal']:.3f}, with borderline statements at most {nr['normal_or_borderline']:.3f}; "
                 "statements on them: " + ", ".join(f"{c} {k}" for c, k in nr["statements"][:12]))
    ste = res.get("anterior_ste") or []
    if ste:
        from ecg.interpret import criteria

        cut = criteria()["st"]["smith_3var_cutoff"]["value"]
        done = [r for r in ste if r[2] is not None]
        L.append(f"ST elevation including V2-V4: {len(ste)} statements ({sum(r[1] for r in ste)} on normal ECGs); Smith's "
                 f"formula applied on {len(done)}, below {cut} (normal variant) on {sum(r[2] < cut for r in done)} "
                 f"(normal ECGs {sum(r[2] < cut for r in done if r[1])} of {sum(r[1] for r in done)}): "
                 + "; ".join(f"{i}{' (normal)' if n else ''} {v:.1f}" for i, n, v, _ in done)
                 + (("; not applied: " + "; ".join(f"{i}{' (normal)' if n else ''} {w}" for i, n, v, w in ste if v is None))
                    if len(done) < len(ste) else ""))
    return "\n".join(L)


def main(argv=None) -> dict:
    return run_with_limit("findings", __doc__, run, report, argv, with_fs=True)


if __name__ == "__main__":
    main()
