"""Findings against the LUDB diagnosis labels (140 records in ../shared/data/ludb, ``ludb.csv``).

Run: ``python -m bench.findings_ludb [--limit N]``.

A second labelled set beside PTB-XL (``bench.findings``), with more positives for some rhythm and
conduction statements (atrial fibrillation 14, sinus bradycardia 19, first-degree AV block 10,
paced 10). LUDB's labels (Kalyakulina et al., IEEE Access 8, 2020) are read from its columns
``Rhythms``, ``Conduction abnormalities``, ``Extrasystolies`` and ``Cardiac pacing`` (:data:`LABELS`;
a cell may hold several lines). Scored per statement: positives, calls, sensitivity, PPV, F1, on
all records and on the held-out even ids (the odd ids were used to set the rhythm constants).

What is and is not comparable:

* Rhythm and conduction statements are scored on the records without a pacemaker: under pacing
  we state the paced rhythm and, where no P wave repeats before the paced QRS, that the atrial
  rhythm beneath is not determined (LUDB 8, 93, 95 carry atrial fibrillation beneath ventricular
  pacing; 34, 74, 90, 104, 111 sinus rhythm with third-degree AV block).
* "sinus" is any of our sinus statements (SR, SBRAD, STACH, SARRH) against any of LUDB's sinus
  rhythms: LUDB follows the convention of a normal sinus rate of 60-90/min (its sinus bradycardia
  records run 45-57/min, its tachycardia ones 90-93/min), our limits are 50 and 100/min
  (``criteria.json``), so SBRAD and STACH are also scored at LUDB's limits from our measured rate
  (``SBRAD@60``, ``STACH@90``): that compares the rate and the sinus call, not the criterion.
* Each record is measured with its limb-lead scales restored (``bench._common.ludb_limb_leads_restored``:
  this copy of LUDB scales every lead to 1 mV peak to peak, which distorts the frontal axis that LAFB
  rests on). Amplitude statements (LVH, low voltage, ST levels) are not scored: the precordial
  scales cannot be restored.
"""
from __future__ import annotations

import numpy as np

from ._common import LUDB, ludb_limb_leads_restored, run_with_limit

#: LUDB label text (lower case, start of a line of its cell) -> our statement code.
LABELS = {
    "Rhythms": {"sinus rhythm": "SINUS", "sinus bradycardia": "SINUS", "sinus tachycardia": "SINUS",
                "sinus arrhythmia": "SINUS", "irregular sinus rhythm": "SINUS",
                "atrial fibrillation": "AFIB", "atrial flutter": "AFLT"},
    "Conduction abnormalities": {"i degree av block": "1AVB", "complete right bundle branch block": "CRBBB",
                                 "incomplete right bundle branch block": "IRBBB",
                                 "complete left bundle branch block": "CLBBB",
                                 "incomplete left bundle branch block": "ILBBB", "left anterior hemiblock": "LAFB",
                                 "non-specific intravintricular conduction delay": "IVCD"},
    "Extrasystolies": {"atrial extrasystole": "PAC", "ventricular extrasystole": "PVC"},
}
#: LUDB sinus-rate labels at LUDB's own limits (see the module docstring).
LUDB_RATE = {"SBRAD@60": ("sinus bradycardia", lambda hr: hr < 60), "STACH@90": ("sinus tachycardia", lambda hr: hr > 90)}
SINUS = {"SR", "SBRAD", "STACH", "SARRH"}
CODES = ["SINUS", "SBRAD@60", "STACH@90", "AFIB", "AFLT", "PAC", "PVC", "1AVB", "CRBBB", "IRBBB", "CLBBB", "ILBBB",
         "LAFB", "IVCD", "PACE"]


def labels_of(row) -> tuple[set[str], set[str]]:
    """(our codes LUDB states, LUDB's rhythm lines in lower case) for one ``ludb.csv`` row."""
    out, rhythm = set(), set()
    for col, table in LABELS.items():
        cell = row.get(col)
        for line in (cell.split("\n") if isinstance(cell, str) else []):
            line = line.strip().lower()
            if col == "Rhythms":
                rhythm.add(line)
            for text, code in table.items():
                if line.startswith(text):
                    out.add(code)
    if isinstance(row.get("Cardiac pacing"), str) and row["Cardiac pacing"].strip():
        out.add("PACE")
    return out, rhythm


def score(rows: list[tuple[int, set, set, set, float | None]], ids=None) -> dict:
    """Per code: pos, pred, se, ppv, f1 over ``rows`` (id, truth codes, LUDB rhythm lines, our codes,
    heart rate); rhythm, conduction and ectopy codes only on the records without a pacemaker."""
    per = {}
    for code in CODES:
        tp = fp = fn = 0
        for rid, truth, rhythm, ours, hr in rows:
            if ids is not None and rid not in ids:
                continue
            if code != "PACE" and "PACE" in truth:
                continue
            if code in LUDB_RATE:
                text, rule = LUDB_RATE[code]
                t = text in rhythm
                q = bool(ours & SINUS) and hr is not None and rule(hr)
            elif code == "SINUS":
                t, q = "SINUS" in truth, bool(ours & SINUS)
            else:
                t, q = code in truth, code in ours
            tp += t and q
            fp += q and not t
            fn += t and not q
        per[code] = {"pos": tp + fn, "pred": tp + fp, "se": tp / (tp + fn) if tp + fn else None,
                     "ppv": tp / (tp + fp) if tp + fp else None,
                     "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None}
    return per


def run(limit=None) -> dict:
    import pandas as pd

    from ecg import load
    from ecg.interpret import interpret
    from ecg.measure import measure

    df = pd.read_csv(LUDB.parent / "ludb.csv")
    if limit:
        df = df.iloc[:limit]
    rows, errors = [], []
    for _, row in df.iterrows():
        rid = int(row["ID"])
        sex = row["Sex"][0].upper() if isinstance(row.get("Sex"), str) and row["Sex"][:1].upper() in "MF" else None
        age = pd.to_numeric(row.get("Age"), errors="coerce")
        m = measure(ludb_limb_leads_restored(load(LUDB / str(rid))), interpret=False)
        ours = {x.code for x in interpret(m, sex=sex, age=None if pd.isna(age) else float(age))}
        truth, rhythm = labels_of(row)
        rows.append((rid, truth, rhythm, ours, m.heart_rate_bpm))
        scored = {"PACE"} if "PACE" in truth else set(CODES) - {"SINUS"}
        miss = sorted(c for c in truth & scored if c not in ours)
        extra = sorted(c for c in ours & scored & {"AFIB", "AFLT", "PACE", "1AVB", "CRBBB", "CLBBB", "LAFB"} if c not in truth)
        if miss or extra:
            errors.append((rid, miss, extra))
    even = {r[0] for r in rows if r[0] % 2 == 0}
    return {"records": len(rows), "per": score(rows), "per_even": score(rows, even), "n_even": len(even),
            "n_paced": sum("PACE" in r[1] for r in rows), "disagreements": errors}


def report(res: dict) -> str:
    f = lambda v: "   n/a" if v is None else f"{v:6.3f}"
    L = [f"Findings vs LUDB labels, {res['records']} records ({res['n_paced']} with a pacemaker: only PACE is scored "
         f"on those); all records | held-out even ids ({res['n_even']})",
         f"{'code':9} {'pos':>4} {'pred':>5} {'Se':>6} {'PPV':>6} {'F1':>6}   | {'pos':>4} {'pred':>5} {'F1':>6}"]
    for c in CODES:
        a, e = res["per"][c], res["per_even"][c]
        if a["pos"] or a["pred"]:
            L.append(f"{c:9} {a['pos']:4d} {a['pred']:5d} {f(a['se'])} {f(a['ppv'])} {f(a['f1'])}   | "
                     f"{e['pos']:4d} {e['pred']:5d} {f(e['f1'])}")
    L.append("SINUS: any of our sinus statements vs any LUDB sinus rhythm; SBRAD@60 / STACH@90: our sinus call with "
             "our rate below 60 / above 90 (LUDB's limits) vs LUDB's sinus bradycardia / tachycardia")
    if res["disagreements"]:
        L.append("disagreements (id: LUDB states, we do not | we state, LUDB does not): " + "; ".join(
            f"{i}: {','.join(a) or '-'} | {','.join(b) or '-'}" for i, a, b in res["disagreements"]))
    return "\n".join(L)


def main(argv=None) -> dict:
    return run_with_limit("findings_ludb", __doc__, run, report, argv)


if __name__ == "__main__":
    main()
