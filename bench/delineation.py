"""Delineation and global intervals on LUDB, ours vs neurokit2 ``ecg_delineate(method='dwt')``.

Run: ``python -m bench.delineation [--limit N] [--step K] [--no-nk] [--fs HZ] [--leads II,...]``
(``--fs``: every record resampled to that rate first, neurokit2 run at it too; the references stay
the 500 Hz annotations, compared in ms; ``--leads``: only those leads measured, against the same
12-lead references; results then go to ``delineation[_fs<HZ>][_<leads>].json``).

Prints, for both methods in the same run:

* per wave (P, QRS, T) and per lead: detection sensitivity, PPV, F1 against the cardiologists'
  waves (a detected wave matches a reference wave of the same type in the same lead when its
  peak lies within the reference onset..offset or the reference peak within its onset..offset;
  one-to-one, in time order; only detections inside the span where the lead marks that wave
  count, see :func:`wave_spans`; ectopic beats count as detected QRS without onset/offset);
* onset/offset error (detected - reference) mean and SD in ms over matched waves;
* global P duration, PR, QRS, QT error (ms, mean and SD over records) against the reference
  global intervals (earliest onset / latest offset across leads per beat, median over beats);
  neurokit2 works per lead, so its global intervals are built from its per-lead waves the same
  way as the reference's;
* both references: STRICT (the issue's definition: earliest onset / latest offset of the 12
  annotated leads) and robust (second-earliest / second-latest). The delineator's constant
  shifts are calibrated to the robust one (``--calibrate``): the extreme of 12 independently
  hand-marked leads is pushed outward by annotation scatter (a normal QRS is 119 ms on LUDB's
  normal records, where clinical programs, whose measurements the AHA thresholds rest on, put it
  near 90-100 ms), so against the strict reference our QRS and QT run about 10-20 ms short;
* where most of the beats LUDB annotated are of another class of ours than the dominant one
  (LUDB 95: paced, with only its conducted beats annotated), QRS and QT are compared with that
  class's own median beat (``fiducials.median_beat.by_class``), like for like; the record's row
  keeps the headline errors too (:func:`compared_intervals`);
* a third reference, MEDIAN-BEAT STRICT (:func:`_common.median_beat_intervals`): the issue's
  earliest onset / latest offset across leads, applied to each lead's median annotated fiducial
  over the beats, the construction our measurement (and every median-beat program) uses; it keeps
  the differences between leads and drops the beat-to-beat scatter of the hand marks that widens
  the per-beat STRICT reference;
* frontal QRS axis against the LUDB axis class (within 15 degrees of the class range), measured
  on the record with its limb-lead scales restored (``_common.ludb_limb_leads_restored``: the
  LUDB copy in ../shared/data scales every lead to 1 mV peak to peak);
* our confidence against our error: mean |error| for values with confidence < 0.5 and >= 0.5.

Our per-lead waves on each dominant beat are the median-beat per-lead fiducials placed on the
beat (``fiducials.median_beat.per_lead`` + ``beats.r_peaks_ms``).
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from ecg.leads import LIMB_LEADS

from ._common import (FS_HELP, LEADS_HELP, LUDB, ludb_limb_leads_restored, STD_LEADS, DATA, at_rate, complete_waves, fmt, global_intervals,
                      ludb_ids, ludb_waves, median_beat_intervals, nk_delineate_lead, save_results, with_leads)

WAVES = ("P", "QRS", "T")
INTERVALS = ("p_duration_ms", "pr_ms", "qrs_ms", "qt_ms")

#: LUDB axis classes (Kalyakulina et al. 2020 use the Russian clinical convention):
#: degrees ranges. Left deviation is "axis < 0" there; we accept -90..0.
LUDB_AXIS = {"normal": (30, 70), "vertical": (70, 90), "horizontal": (0, 30),
             "left axis deviation": (-90, 0), "right axis deviation": (90, 180)}


def our_waves(d: dict, fs: float = 500.0, own_only: bool = False) -> dict[str, list[tuple[str, int | None, int | None, int | None]]]:
    """Per-lead waves (samples) of our measurement dict, on every dominant beat.

    ``own_only``: leave out the P and T waves a lead took from the global wave (``p_from_global``,
    ``t_from_global``: the lead's own wave was too small to delineate)."""
    mb = d["fiducials"].get("median_beat", {})
    align = mb.get("align_ms", 400.0)
    cls = d["beats"]["classes"]
    dom = "paced" if cls.count("paced") > cls.count("normal") else "normal"
    r = [t for t, c in zip(d["beats"]["r_peaks_ms"], cls) if c == dom]
    out = {}
    by_class = mb.get("by_class") or {}
    for lead, f in (mb.get("per_lead") or {}).items():
        if not f:
            out[lead] = []
            continue
        ws = []

        def s(rt, k):
            v = f.get(k)
            return None if v is None else int(round((rt + v - align) * fs / 1000))

        for rt, c in zip(d["beats"]["r_peaks_ms"], cls):
            if dom == "normal" and c in ("premature_supraventricular", "unclassified"):
                # conducted like the dominant beats: their QRS and T, not their P (ecg.measure._fiducials)
                ws.append(("QRS", s(rt, "qrs_on"), s(rt, "r_peak"), s(rt, "qrs_off")))
                if f.get("t_off") is not None and not (own_only and f.get("t_from_global")):
                    ws.append(("T", s(rt, "t_on"), s(rt, "t_peak"), s(rt, "t_off")))
            elif ((by_class.get(c) or {}).get("per_lead") or {}).get(lead) and by_class[c]["per_lead"][lead].get("qrs_on") is not None:
                # their own class's median beat (ecg.measure: median_beat.by_class)
                fv = by_class[c]["per_lead"][lead]
                sv = lambda k: None if fv.get(k) is None else int(round((rt + fv[k] - align) * fs / 1000))
                ws.append(("QRS", sv("qrs_on"), sv("r_peak"), sv("qrs_off")))
                if fv.get("t_off") is not None and not (own_only and fv.get("t_from_global")):
                    ws.append(("T", sv("t_on"), sv("t_peak"), sv("t_off")))
            elif c != dom:  # ectopic beat: detected (R peak), not delineated (no onset/offset)
                ws.append(("QRS", None, int(round(rt * fs / 1000)), None))
        for rt in r:
            ws.append(("QRS", s(rt, "qrs_on"), s(rt, "r_peak"), s(rt, "qrs_off")))
            if f.get("p_on") is not None and not (own_only and f.get("p_from_global")):
                ws.append(("P", s(rt, "p_on"), s(rt, "p_peak"), s(rt, "p_off")))
            if f.get("t_off") is not None and not (own_only and f.get("t_from_global")):
                ws.append(("T", s(rt, "t_on"), s(rt, "t_peak"), s(rt, "t_off")))
        out[lead] = ws
    return out


def wave_spans(ref_by_lead: dict) -> dict:
    """Where each lead's annotation of each wave type may be scored: ``{lead: {wave: (lo, hi) or None}}``.

    LUDB marks only part of each record (usually not the first and last beats), and a lead may
    leave a wave type unmarked while the other leads mark it. A wave type W is scored in a lead
    from its first marked W's onset to its last marked W's offset (+/- 40 ms); a lead that marks
    no W while other leads of the record do is not scored for W (None); when no lead of the record
    marks W (no P waves in atrial fibrillation or flutter), W is scored over the lead's marked
    QRS span, so detected P waves there count as false positives.
    """
    tol = 20  # samples (40 ms)
    marked = {w: any(x[0] == w for ws in ref_by_lead.values() for x in ws) for w in WAVES}
    out = {}
    for lead, ws in ref_by_lead.items():
        sp = {}
        q = [x for x in ws if x[0] == "QRS"]
        for w in WAVES:
            mine = [x for x in ws if x[0] == w]
            if mine:
                sp[w] = (min(x[1] for x in mine) - tol, max(x[3] for x in mine) + tol)
            elif not marked[w] and q:
                sp[w] = (min(x[1] for x in q), max(x[3] for x in q))
            else:
                sp[w] = None
        out[lead] = sp
    return out


def match_lead(ref, det, stats, spans=None):
    """Accumulate TP/FP/FN and onset/offset errors of one lead into ``stats``.

    ``spans``: this lead's entry of :func:`wave_spans` (computed from ``ref`` alone if None);
    detections outside a wave type's span are not scored.
    """
    if not ref:
        return
    if spans is None:
        spans = wave_spans({"_": ref})["_"]
    for wave in WAVES:
        if spans.get(wave) is None:
            continue
        lo, hi = spans[wave]
        R = sorted([w for w in ref if w[0] == wave], key=lambda w: w[2])
        D = [w for w in det if w[0] == wave and _center(w) is not None and lo <= _center(w) <= hi]
        D = sorted(D, key=_center)
        used = set()
        tp = 0
        for rw in R:
            best, bd = None, None
            for j, dw in enumerate(D):
                if j in used:
                    continue
                c = _center(dw)
                inside = rw[1] <= c <= rw[3]
                dl, dh = dw[1] if dw[1] is not None else c - 10, dw[3] if dw[3] is not None else c + 10
                inside = inside or (dl <= rw[2] <= dh)
                if inside:
                    dist = abs(c - rw[2])
                    if bd is None or dist < bd:
                        best, bd = j, dist
            if best is not None:
                used.add(best)
                tp += 1
                dw = D[best]
                if dw[1] is not None:
                    stats[wave]["on"].append((dw[1] - rw[1]) * 2.0)
                if dw[3] is not None:
                    stats[wave]["off"].append((dw[3] - rw[3]) * 2.0)
        stats[wave]["tp"] += tp
        stats[wave]["fn"] += len(R) - tp
        stats[wave]["fp"] += len(D) - len(used)


def _center(w):
    if w[2] is not None:
        return w[2]
    if w[1] is not None and w[3] is not None:
        return (w[1] + w[3]) // 2
    return None


def _new_stats():
    return {w: {"tp": 0, "fp": 0, "fn": 0, "on": [], "off": []} for w in WAVES}


def _ludb_axis_classes() -> dict[int, str]:
    import pandas as pd

    df = pd.read_csv(DATA / "ludb" / "ludb.csv")
    col = [c for c in df.columns if "axis" in c.lower()][0]
    out = {}
    for _, row in df.iterrows():
        v = str(row[col]).replace("\n", " ").lower()
        v = v.split(":")[-1].strip()
        out[int(row["ID"])] = v
    return out


def axis_ok(axis: float | None, cls: str, tol: float = 15.0) -> bool | None:
    rng = LUDB_AXIS.get(cls)
    if rng is None or axis is None:
        return None
    lo, hi = rng
    return (lo - tol) <= axis <= (hi + tol)


def annotated_class(d: dict, ref: dict) -> str | None:
    """Our beat class of the beats LUDB annotated: the majority class of our beats nearest (within
    200 ms) to the QRS onsets of the reference beats that enter :func:`global_intervals`, counting
    premature supraventricular and unclassified beats as the dominant class where it is "normal"
    (they carry the dominant QRS and T, ``ecg.measure._fiducials``). None where that majority is
    the dominant class (nearly every record) or no beat matches."""
    cls = d["beats"]["classes"]
    rp = np.asarray(d["beats"]["r_peaks_ms"], float)
    if rp.size == 0:
        return None
    dom = "paced" if cls.count("paced") > cls.count("normal") else "normal"
    same = {dom} | ({"premature_supraventricular", "unclassified"} if dom == "normal" else set())
    got = []
    for b in global_intervals(ref, robust=True, per_beat=True)["beats"]:
        if "qrs_on" in b:
            t = b["qrs_on"] * 2.0
            j = int(np.argmin(np.abs(rp - t)))
            if abs(rp[j] - t) < 200:
                got.append(dom if cls[j] in same else cls[j])
    if not got:
        return None
    top = max(set(got), key=got.count)
    return None if top == dom or got.count(top) * 2 <= len(got) else top


def compared_intervals(d: dict, ref: dict) -> tuple[dict, str | None]:
    """Our global intervals to compare with the reference, and the beat class they come from.

    Normally the reported (headline) values, which are those of the dominant class's median beat.
    Where most of the beats LUDB annotated belong to another class of ours (:func:`annotated_class`:
    LUDB 95 is paced with conducted beats from 5.5 s, and only those are annotated), the reference
    describes those beats, so the like-for-like comparison is with that class's own median beat
    (``fiducials.median_beat.by_class``, which places those beats' fiducials in the output): QRS and
    QT from it; P duration and PR stay the headline ones (the by-class medians carry no P). The
    record's row keeps the headline errors as ``headline_robust_qrs_ms`` / ``headline_robust_qt_ms``.
    """
    iv = {k: d[k] for k in INTERVALS}
    c = annotated_class(d, ref)
    bc = ((d["fiducials"].get("median_beat") or {}).get("by_class") or {}).get(c or "")
    if c is None or not bc or bc.get("qrs_on") is None or bc.get("qrs_off") is None:
        return iv, None
    iv["qrs_ms"] = bc["qrs_off"] - bc["qrs_on"]
    iv["qt_ms"] = None if bc.get("t_off") is None else bc["t_off"] - bc["qrs_on"]
    return iv, c


SUBSETS = (("all", lambda i: True), ("tune (odd ids)", lambda i: i % 2 == 1),
           ("held-out (even ids)", lambda i: i % 2 == 0))


def _nk_at_500(x: np.ndarray, fs: float) -> list:
    """:func:`nk_delineate_lead` on a lead sampled at ``fs``, its sample indices put on the 500 Hz
    grid of the annotations."""
    k = 500.0 / fs
    sc = lambda v: None if v is None else int(round(v * k))
    return [(w, sc(a), sc(b), sc(c)) for w, a, b, c in nk_delineate_lead(x, fs)]


def run(limit=None, step=1, with_nk=True, verbose=False, fs=None, leads=None) -> dict:
    from ecg import load
    from ecg.measure import measure

    ids = ludb_ids(limit, step)
    per_rec = []   # (id, our stats, nk stats, {who: {interval: error}}, {interval: (conf, |err| strict, |err| robust)})
    axis_hits, axis_rows = [], []
    classes = _ludb_axis_classes()
    t_ours = t_nk = 0.0
    rows = []
    for rid in ids:
        rec = with_leads(at_rate(load(LUDB / str(rid)), fs), leads)
        ref = ludb_waves(rid)
        spans = wave_spans(ref)
        gref = global_intervals(ref)
        gref_r = global_intervals(ref, robust=True)
        gref_m = median_beat_intervals(ref)
        t0 = time.perf_counter()
        m = measure(rec)
        t_ours += time.perf_counter() - t0
        d = m.to_dict()
        det = our_waves(d)
        det_own = our_waves(d, own_only=True)
        ours, own, nks = _new_stats(), _new_stats(), _new_stats()
        for lead in (ld for ld in STD_LEADS if ld in rec.leads):  # per-wave scores: the measured leads
            match_lead(ref.get(lead, []), det.get(lead, []), ours, spans.get(lead))
            match_lead(ref.get(lead, []), det_own.get(lead, []), own, spans.get(lead))
        row = {"id": rid}
        err = {w: {} for w in ("ours", "nk", "ours_robust", "nk_robust", "ours_mb", "nk_mb")}
        conf = {}
        ours_iv, cmp_cls = compared_intervals(d, ref)
        if cmp_cls is not None:
            row["compared_class"] = cmp_cls
            for k in ("qrs_ms", "qt_ms"):
                if gref_r[k] is not None and d[k] is not None:
                    row["headline_robust_" + k] = round(d[k] - gref_r[k], 1)
        for k in INTERVALS:
            v = ours_iv[k]
            if gref[k] is not None and v is not None:
                err["ours"][k] = v - gref[k]
                row[k] = round(v - gref[k], 1)
            if gref_r[k] is not None and v is not None:
                err["ours_robust"][k] = v - gref_r[k]
                row["robust_" + k] = round(v - gref_r[k], 1)
            if gref_m[k] is not None and v is not None:
                err["ours_mb"][k] = v - gref_m[k]
                row["mb_" + k] = round(v - gref_m[k], 1)
            if gref[k] is not None and gref_r[k] is not None and gref_m[k] is not None and v is not None:
                conf[k] = (d["confidence"].get(k, 0.0), abs(v - gref[k]), abs(v - gref_r[k]), abs(v - gref_m[k]))
                row["conf_" + k] = d["confidence"].get(k)
        # the axis on the record with its limb-lead scales restored (this LUDB copy scales each
        # lead to 1 mV peak to peak, which distorts limb-lead amplitude ratios)
        limb = set(LIMB_LEADS) <= set(rec.leads)
        ma = (measure(ludb_limb_leads_restored(rec), interpret=False)
              if classes.get(rid) in LUDB_AXIS and limb else None)
        ax = ma.axis_deg["qrs"] if ma is not None else None
        ok = axis_ok(ax, classes.get(rid, ""))
        if ok is not None:
            axis_hits.append(ok)
            axis_rows.append((rid, classes.get(rid), ax, ok, ma.confidence.get("axis_deg.qrs")))
        if with_nk:
            t0 = time.perf_counter()
            nk_by_lead = {lead: _nk_at_500(rec.signal[i], rec.fs) for i, lead in enumerate(rec.leads)}
            t_nk += time.perf_counter() - t0
            for lead in (ld for ld in STD_LEADS if ld in rec.leads):
                match_lead(ref.get(lead, []), nk_by_lead.get(lead, []), nks, spans.get(lead))
            clean = complete_waves(nk_by_lead)
            gnk = global_intervals(clean)
            gnk_r = global_intervals(clean, robust=True)
            gnk_m = median_beat_intervals(clean)
            for k in INTERVALS:
                if gref_r[k] is not None and gnk_r[k] is not None:
                    err["nk_robust"][k] = gnk_r[k] - gref_r[k]
                if gref_m[k] is not None and gnk_m[k] is not None:
                    err["nk_mb"][k] = gnk_m[k] - gref_m[k]
                if gref[k] is not None and gnk[k] is not None:
                    err["nk"][k] = gnk[k] - gref[k]
                    row["nk_" + k] = round(gnk[k] - gref[k], 1)
        per_rec.append((rid, ours, nks if with_nk else None, err, conf, own))
        rows.append(row)
        if verbose:
            print(row, flush=True)
    res = {"records": len(ids), "fs_hz": fs or 500.0, "leads": leads or STD_LEADS, "subsets": {}, "axis_within_15deg": float(np.mean(axis_hits)) if axis_hits else None,
           "axis_n": len(axis_hits), "axis_misses": [r for r in axis_rows if not r[3]], "axis_rows": axis_rows,
           "seconds": {"ours": t_ours, "nk": t_nk}, "rows": rows,
           "compared_class": {r["id"]: r["compared_class"] for r in rows if "compared_class" in r}}
    for name, keep in SUBSETS:
        sel = [r for r in per_rec if keep(r[0])]
        if not sel:
            continue
        res["subsets"][name] = {
            "records": len(sel),
            "ours": _summ(_merge([r[1] for r in sel])),
            "ours_own": _summ(_merge([r[5] for r in sel])),
            "nk": _summ(_merge([r[2] for r in sel])) if with_nk else None,
            "global": {who: {k: _ms([r[3][who][k] for r in sel if k in r[3][who]]) for k in INTERVALS}
                       for who in ("ours", "nk", "ours_robust", "nk_robust", "ours_mb", "nk_mb")},
            "confidence": {k: _conf([r[4][k] for r in sel if k in r[4]]) for k in INTERVALS},
        }
    return res


def _merge(stats_list):
    out = _new_stats()
    for st in stats_list:
        for w in WAVES:
            for k in ("tp", "fp", "fn"):
                out[w][k] += st[w][k]
            out[w]["on"] += st[w]["on"]
            out[w]["off"] += st[w]["off"]
    return out


def _summ(st):
    out = {}
    for w, s in st.items():
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        se = tp / (tp + fn) if tp + fn else None
        ppv = tp / (tp + fp) if tp + fp else None
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[w] = {"se": se, "ppv": ppv, "f1": f1, "n_ref": tp + fn,
                  "on": _ms(s["on"]), "off": _ms(s["off"])}
    return out


def _ms(v):
    v = np.asarray(v, float)
    return {"mean": float(v.mean()) if v.size else None, "sd": float(v.std()) if v.size else None, "n": int(v.size)}


def _conf(triples):
    out = {}
    for j, ref in ((1, "strict"), (2, "robust"), (3, "median_beat")):
        lo = [t[j] for t in triples if t[0] < 0.5]
        hi = [t[j] for t in triples if t[0] >= 0.5]
        out[ref] = {"low_n": len(lo), "low_mae": float(np.mean(lo)) if lo else None,
                    "high_n": len(hi), "high_mae": float(np.mean(hi)) if hi else None}
    return out


SHIFTS = ("QRS_ON_SHIFT", "QRS_OFF_SHIFT", "P_ON_SHIFT", "P_OFF_SHIFT", "T_OFF_SHIFT")
FID_OF_SHIFT = {"QRS_ON_SHIFT": "qrs_on", "QRS_OFF_SHIFT": "qrs_off", "P_ON_SHIFT": "p_on",
                "P_OFF_SHIFT": "p_off", "T_OFF_SHIFT": "t_off"}


def calibrate(ids) -> dict:
    """Per-fiducial error of the unshifted detector against both references.

    Runs ``measure`` with every constant shift of :mod:`ecg.delineate` set to 0 and compares the
    global fiducials of each dominant beat with the reference beat (nearest QRS onset within
    60 ms; :func:`global_intervals` with ``per_beat``). Returns, per fiducial and reference, the
    median over records of each record's median error, in samples at 500 Hz: the shift that makes
    the median error 0. Used on the odd LUDB ids only (the even ids stay held out).
    """
    import ecg.delineate as dlm
    from ecg import load
    from ecg.measure import measure

    saved = {k: getattr(dlm, k) for k in SHIFTS}
    for k in SHIFTS:
        setattr(dlm, k, 0)
    per = {ref: {f: [] for f in FID_OF_SHIFT.values()} for ref in ("strict", "robust")}
    try:
        for rid in ids:
            ref = ludb_waves(rid)
            d = measure(load(LUDB / str(rid)), interpret=False).to_dict()
            fb = d["fiducials"]["beats"]
            ours = [{f: (None if fb[f + "_ms"][j] is None else fb[f + "_ms"][j] / 2.0) for f in per["strict"]}
                    for j in range(len(fb["qrs_on_ms"])) if fb["p_on_ms"][j] is not None or fb["t_off_ms"][j] is not None
                    or d["beats"]["classes"][j] in ("normal", "paced")]
            for name, robust in (("strict", False), ("robust", True)):
                rows = global_intervals(ref, robust=robust, per_beat=True)["beats"]
                errs = {f: [] for f in per[name]}
                for r in rows:
                    if "qrs_on" not in r:
                        continue
                    o = min(ours, key=lambda o: abs(o["qrs_on"] - r["qrs_on"]), default=None)
                    if o is None or abs(o["qrs_on"] - r["qrs_on"]) > 30:
                        continue
                    for f in errs:
                        if r.get(f) is not None and o.get(f) is not None:
                            errs[f].append(o[f] - r[f])
                for f, v in errs.items():
                    if v:
                        per[name][f].append(float(np.median(v)))
    finally:
        for k, v in saved.items():
            setattr(dlm, k, v)
    return {name: {f: {"median": float(np.median(v)) if v else None, "n": len(v)} for f, v in d.items()}
            for name, d in per.items()}


TARGET = {"p_duration_ms": "|mean|<=5, SD<=12", "pr_ms": "|mean|<=5, SD<=10", "qrs_ms": "|mean|<=5, SD<=10",
          "qt_ms": "|mean|<=5, SD<=15"}


def report(res: dict) -> str:
    fs = res.get("fs_hz", 500.0)
    rate = "500 Hz" if fs == 500.0 else f"resampled from 500 to {fs:g} Hz before measuring"
    nl = len(res.get("leads") or STD_LEADS)
    lds = "12 leads" if nl == 12 else f"{nl} lead{'s' if nl > 1 else ''} ({', '.join(res['leads'])}; the references stay the 12-lead ones)"
    L = [f"LUDB delineation, {res['records']} records x {lds} ({rate}); reference: cardiologist annotations",
         f"time: ours {res['seconds']['ours']:.1f} s, neurokit2 dwt ({nl} lead{'s' if nl > 1 else ''}) {res['seconds']['nk']:.1f} s",
         "Subsets: all records; 'tune' = odd LUDB ids (the delineator's constants were set on these);"
         " 'held-out' = even ids (not used for setting anything)."]
    for name, sub in res["subsets"].items():
        L += ["", f"=== {name}: {sub['records']} records ===",
              "Per-wave detection and onset/offset error (ms, detected - reference), per lead "
              "('ours, own': without the P/T a lead takes from the global wave where its own is too small)",
              f"{'wave':5} {'method':10} {'Se':>6} {'PPV':>6} {'F1':>6} {'on mean':>8} {'on SD':>6} {'off mean':>8} {'off SD':>6}  n_ref"]
        for w in WAVES:
            for who in ("ours", "ours_own", "nk"):
                s = sub.get(who)
                if not s or (who == "ours_own" and w == "QRS"):
                    continue
                s = s[w]
                L.append(f"{w:5} {({'ours': 'ours', 'ours_own': 'ours, own', 'nk': 'neurokit2'}[who]):10} {fmt(s['se'], 3)} {fmt(s['ppv'], 3)} {fmt(s['f1'], 3)} "
                         f"{fmt(s['on']['mean']):>8} {fmt(s['on']['sd']):>6} {fmt(s['off']['mean']):>8} {fmt(s['off']['sd']):>6}  {s['n_ref']}")
        for suffix, title in (("", "STRICT (the issue's definition): earliest onset / latest offset across the 12 leads"),
                              ("_robust", "robust: second-earliest onset / second-latest offset across the 12 leads"),
                              ("_mb", "MEDIAN-BEAT STRICT: per lead the median of each annotated onset/offset over the "
                                      "beats, then the earliest onset / latest offset of those across the 12 leads")):
            L += [f"Global intervals vs reference {title}; error ms over records",
                  f"{'interval':14} {'ours mean':>9} {'ours SD':>8} {'n':>4}   {'nk mean':>8} {'nk SD':>7} {'n':>4}   target"]
            for k in INTERVALS:
                o, n = sub["global"]["ours" + suffix][k], sub["global"]["nk" + suffix][k]
                L.append(f"{k:14} {fmt(o['mean']):>9} {fmt(o['sd']):>8} {o['n']:4d}   {fmt(n['mean']):>8} {fmt(n['sd']):>7} {n['n']:4d}   {TARGET[k]}")
        L.append("Confidence vs error (ours): mean |error| ms, confidence < 0.5 vs >= 0.5 (strict | robust | "
                 "median-beat strict reference)")
        for k, c in sub["confidence"].items():
            a, b, m = c["strict"], c["robust"], c["median_beat"]
            L.append(f"  {k:14} conf<0.5: n={a['low_n']:3d} MAE={fmt(a['low_mae'])} | {fmt(b['low_mae'])} | {fmt(m['low_mae'])}"
                     f"   conf>=0.5: n={a['high_n']:3d} MAE={fmt(a['high_mae'])} | {fmt(b['high_mae'])} | {fmt(m['high_mae'])}")
    if res.get("compared_class"):
        L += ["", "Compared on the median beat of the class LUDB annotated (not our dominant class; see "
                  "compared_intervals): " + ", ".join(f"LUDB {i} ({c})" for i, c in res["compared_class"].items())]
    if res["axis_within_15deg"] is not None:
        L += ["", f"Frontal QRS axis within 15 deg of the LUDB axis class: {res['axis_within_15deg']:.3f} "
                  f"({res['axis_n']} records; target >= 0.95; limb-lead scales restored, see the module docstring)"]
        by_cls: dict = {}
        for r in res.get("axis_rows", []):
            by_cls.setdefault(r[1], []).append(r[2])
        L.append("  measured axis by LUDB class (n, median, min..max deg; the class's range as read here): " + "; ".join(
            f"{c} {len(v)}, {np.median(v):.0f}, {min(v):.0f}..{max(v):.0f} ({LUDB_AXIS[c][0]}..{LUDB_AXIS[c][1]})"
            for c, v in sorted(by_cls.items(), key=lambda kv: float(np.median(kv[1])))))
        if res["axis_misses"]:
            L.append("  misses (id, class, axis): " + "; ".join(f"{r[0]} {r[1]} {r[2]}" for r in res["axis_misses"][:15]))
        rows = [r for r in res.get("axis_rows", []) if r[4] is not None]
        lo, hi = [r for r in rows if r[4] < 0.5], [r for r in rows if r[4] >= 0.5]
        if lo and hi:
            L.append(f"  axis confidence < 0.5 vs >= 0.5: within 15 deg of the class {np.mean([r[3] for r in lo]):.3f} "
                     f"(n={len(lo)}) vs {np.mean([r[3] for r in hi]):.3f} (n={len(hi)})")
    return "\n".join(L)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N records")
    ap.add_argument("--step", type=int, default=1, help="every K-th record")
    ap.add_argument("--no-nk", action="store_true", help="skip the neurokit2 reference run")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--fs", type=float, default=None, help=FS_HELP)
    ap.add_argument("--leads", default=None, help=LEADS_HELP)
    ap.add_argument("--calibrate", action="store_true",
                    help="only print the median per-fiducial error of the unshifted detector on the odd ids")
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    if a.calibrate:
        ids = [i for i in ludb_ids(a.limit, a.step) if i % 2 == 1]
        cal = calibrate(ids)
        print(f"Unshifted detector, odd LUDB ids ({len(ids)} records): median over records of the median "
              "per-beat error (samples at 500 Hz; the constant shift is minus this)")
        for k, f in FID_OF_SHIFT.items():
            print(f"  {k:14} {f:8} strict {fmt(cal['strict'][f]['median'])} (n {cal['strict'][f]['n']})"
                  f"   robust {fmt(cal['robust'][f]['median'])} (n {cal['robust'][f]['n']})")
        return cal
    leads = [x.strip() for x in a.leads.split(",")] if a.leads else None
    res = run(a.limit, a.step, not a.no_nk, a.verbose, fs=a.fs, leads=leads)
    print(report(res))
    name = "delineation" + ("" if a.fs is None else f"_fs{a.fs:g}") + ("" if not leads else "_" + "-".join(leads))
    save_results(name, res)
    return res


if __name__ == "__main__":
    main()
