"""Deterministic, grounded replies built only from the measurements, findings, cases and knowledge.

These are the answers' backbone: they state the measured values with their citation tags and
compare them with the named limits. The LLM adds explanation around them, and when its text fails
verification, these replies are shown alone.

Limits used (also in ``data/knowledge.json`` with their sources):
- heart rate 60-100 bpm, AHA/ACC/HRS Part II (Mason 2007), with the bradycardia and tachycardia limits the
  findings use (``ecg/criteria.json``: sinus rate below 50 bpm, 2018 ACC/AHA/HRS bradycardia guideline);
- PR 120-200 ms, QRS below 110 ms and 120 ms for complete bundle branch block, Part III (Surawicz 2009);
- QTc prolonged at 450 ms or more (men) / 460 ms or more (women), short at 390 ms or less, Part IV (Rautaharju 2009);
  with a QRS of 120 ms or more, judged with the wide QRS replaced by a normal one (the findings' QTC_WIDE_QRS);
- frontal QRS axis -30..+90 degrees normal, Parts II-III;
- P wave of 120 ms or more in lead II suggesting left atrial abnormality, Part V (Hancock 2009): quoted, not
  applied to the 12-lead P duration.
"""
from __future__ import annotations

from ecg.beats import PACE_MIN_FS
from ecg.interpret import criteria
from ecg.measure import LATER_ONLY_PARTS, confidence_without
from ecg.record import clock, span

from .context import (PRINTED, UNCERTAINTY_NAMES, Context, artefact_beats, artefact_stretches, evidence_text, fmt,
                      conditioning, filter_band, hf_noisy_leads, largest_qrs, longest_obscured_rr, longest_rr)
from .hedging import DECLINE_CONFIDENCE, VALUE_KEY, hedge, is_low, page_caution
from .knowledge import get_snippet

OVERREAD = "⚕️ Computer-generated from measurements; a clinician must overread this ECG before any decision."

#: the QTc limits of the findings (criteria.json, AHA/ACC/HRS Part IV), so the chat and the findings agree
QTC_LONG_MS = {"M": float(criteria()["qtc"]["long_male_ms"]["value"]), "F": float(criteria()["qtc"]["long_female_ms"]["value"])}
QTC_SHORT_MS = float(criteria()["qtc"]["short_ms"]["value"])


def _stmt(d: dict) -> str:
    """A finding's statement without its closing full stop, to be followed by its tag."""
    return str(d["statement"]).rstrip(". ")


def _unsure(ctx: Context, key: str, mkey: str) -> str:
    conf = (ctx.measurements.get("confidence") or {}).get(mkey)
    if conf is None or conf >= 0.5:
        return ""
    s = f" I am not confident in this value (confidence {conf:.2f}): check it by hand."
    ev = (ctx.measurements.get("confidence_evidence") or {}).get(mkey) or {}
    later = [n for n in LATER_ONLY_PARTS if (ev.get("uncertainty_parts_ms") or {}).get(n)]
    c_long = confidence_without(ev) if later else None
    if c_long is not None and c_long >= 0.5:
        s += (" Much of that doubt comes from leads whose T wave is too flat to show its end; such a lead can only "
              f"hide a later end, not an earlier one, so the QT is not shorter on their account (without them its "
              f"confidence is {c_long:.2f}).")
    return s


#: How far a printed machine measurement may differ from ours and still "agree": the IEC 60601-2-25
#: limits for interval-measuring programs (PR and QRS 10 ms, QT 25 ms); rate and axis are our own
#: (5 bpm; 15 degrees, the width of an axis class).
PRINTED_TOLERANCE = {"vent_rate_bpm": 5.0, "pr_ms": 10.0, "qrs_ms": 10.0, "qt_ms": 25.0, "qtc_ms": 25.0,
                     "qrs_axis_deg": 15.0}


def _printed(ctx: Context, *pairs: tuple[str, float | None]) -> str:
    """A sentence comparing machine measurements printed on the page with ours ("" if none printed).

    Args:
        pairs: ``(printed key, our value or None)``, e.g. ``("qt_ms", 438.0), ("qtc_ms", 451.0)``.
    """
    items = [(p, k, ours) for k, ours in pairs if (p := ctx.printed_fact(k)) is not None]
    if not items:
        return ""
    short = {key: name for key, _, _, name in PRINTED}
    named = " and ".join(f"{short[k]} {fmt(p.value)} {p.unit} {p.tag}" for p, k, _ in items)
    verdicts = []
    for p, k, ours in items:
        if ours is None:
            verdicts.append(f"{short[k]}: no measurement of mine to confirm it, so it is the machine's claim only")
            continue
        diff = abs((p.value - ours + 180) % 360 - 180) if k == "qrs_axis_deg" else abs(p.value - ours)
        verdicts.append(f"{short[k]}: agrees with my measurement" if diff <= PRINTED_TOLERANCE[k] else
                        f"{short[k]}: differs from my measurement by more than the tolerance allowed for "
                        "measuring programs, so check it by hand on the tracing")
    return f" The recording machine's statement printed on the page gives {named} ({'; '.join(verdicts)})."


#: Our measurement key -> the key of the same value in a page's printed machine statement.
PRINTED_KEY = {"heart_rate_bpm": "vent_rate_bpm", "pr_ms": "pr_ms", "qrs_ms": "qrs_ms", "qt_ms": "qt_ms",
               "qtc_ms.bazett": "qtc_ms", "axis_deg": "qrs_axis_deg", "axis_deg.qrs": "qrs_axis_deg"}


def _in_leads(ctx: Context, key: str, what: str) -> str:
    """The interval ``key`` (``p_duration``, ``pr``, ``qrs``, ``qt``) on the own median beat of each
    lead the question names, with why it differs from the global value ("" if none is named)."""
    said, without = [], ""
    for lead in ctx.leads_asked:
        if (f := ctx.fact(f"lead:{lead}:{key}")) is not None:
            said.append(f"{fmt(f.value)} ms in {lead} {f.tag}")
        else:
            without += _lead_without(ctx, lead, f"the {what} has no onset and offset of its own there")
    s = ""
    if said:
        whose = "the lead's" if len(said) == 1 else "each lead's"
        s += (f" On {whose} own median beat the {what} is " + ", ".join(said) + "; the global value runs from the "
              "earliest onset to the latest offset across all the leads, so one lead's is usually shorter.")
    return s + without


def _lead_without(ctx: Context, lead: str, why: str) -> str:
    """Why a named lead has no value: not recorded, or ``why``."""
    return f" {lead}: " + ("not recorded." if lead not in (ctx.measurements.get("leads") or []) else f"{why}.")


def _missing(ctx: Context, mkey: str, what: str) -> str:
    reason = (ctx.measurements.get("null_reasons") or {}).get(mkey)
    s = f"I could not measure the {what} on this ECG" + (f" ({reason})." if reason else ".")
    return s + (_printed(ctx, (PRINTED_KEY[mkey], None)) if mkey in PRINTED_KEY else "")


#: Findings that name the underlying rhythm (the rate answer adds the first of them).
RHYTHM_CODES = ("SR", "SBRAD", "STACH", "AFIB", "AFLT", "SARRH", "NONSINUS_P", "NO_VISIBLE_P")


def heart_rate(ctx: Context, with_rhythm: bool = True) -> str:
    """The rate with its band and source; ``with_rhythm``: add the rhythm statement (off where the
    caller has stated the rhythm already)."""
    hr, rr = ctx.fact("heart_rate"), ctx.fact("rr")
    if hr is None:
        return _missing(ctx, "heart_rate_bpm", "heart rate")
    v = round(hr.value)
    brady = int(criteria()["rate"]["brady_bpm"]["value"])  # the limit the findings use (2018 guideline: 50)
    tachy = int(criteria()["rate"]["tachy_bpm"]["value"])
    if v < brady:
        band = f"below {brady} bpm (bradycardia range)"
    elif v < 60:
        band = (f"below the traditional 60 bpm limit of bradycardia, but within the {brady} to {tachy} bpm range "
                "that the current ACC/AHA/HRS bradycardia guideline takes as normal")
    elif v > tachy:
        band = f"above {tachy} bpm (tachycardia range)"
    else:
        band = f"within the normal resting range of 60 to {tachy} bpm"
    s = f"The heart rate is {fmt(hr.value)} bpm {hr.tag}"
    if rr is not None:
        s += f", from a mean RR interval of {fmt(rr.value)} ms {rr.tag}"
    s += f". That is {band} {get_snippet('heart-rate').tag}."
    s += _long_term_rate(ctx)
    rhythm = [f for f in ctx.findings if f.get("code") in RHYTHM_CODES]
    if rhythm and with_rhythm:
        s += " " + " ".join(_finding_text(f, criterion=False) for f in rhythm[:2])
    return s + _printed(ctx, ("vent_rate_bpm", hr.value)) + _unsure(ctx, "heart_rate", "heart_rate_bpm")


def _long_term_rate(ctx: Context) -> str:
    """For a long record, the range of its per-window mean rates and its longest RR ("" otherwise)."""
    lt = ctx.measurements.get("long_term") or {}
    hr = lt.get("heart_rate_bpm")
    if not hr:
        return ""
    dur = float(ctx.measurements.get("duration_s") or 0.0)
    win = fmt(lt.get("window_s", 60.0))
    s = (f" Over the {span(dur)} recording, the mean rate of each {win} s window ranged from "
         f"{fmt(hr['min'])} bpm (the window starting at {clock(hr['min_at_s'], dur)}) to {fmt(hr['max'])} bpm "
         f"(starting at {clock(hr['max_at_s'], dur)}) [finding: long-term].")
    rr = lt.get("longest_rr_ms")
    if rr:
        s += f" The longest RR interval is {fmt(rr['value'])} ms, ending at {clock(rr['at_s'], dur)} [finding: long-term]."
    return s


def qt(ctx: Context) -> str:
    qt_f, b, fr = ctx.fact("qt"), ctx.fact("qtc_bazett"), ctx.fact("qtc_fridericia")
    if qt_f is None or b is None:
        return _missing(ctx, "qt_ms", "QT interval")
    s = f"The QT interval is {fmt(qt_f.value)} ms {qt_f.tag}; corrected for rate, the QTc is {fmt(b.value)} ms by Bazett {b.tag}"
    if fr is not None:
        s += f" and {fmt(fr.value)} ms by Fridericia {fr.tag}"
    s += ". "
    # the verdict uses the correction the findings use (criteria.json; AHA/ACC/HRS Part IV prefers a
    # linear correction to Bazett's), so the chat and the findings never disagree
    form = str(criteria()["qtc"]["formula"]["value"])
    judged = ctx.fact(f"qtc_{form}") or b
    if judged is not b:
        s += f"By the {form.capitalize()} correction, which the findings use, it is {fmt(judged.value)} ms {judged.tag}. "
    long_tag = get_snippet("long-qtc").tag
    qtc = round(judged.value)
    codes = ("LONG_QTC", "BORDERLINE_QTC", "SHORT_QTC", "BORDERLINE_SHORT_QTC", "QTC_WIDE_QRS")
    stated = {d.get("code"): d for d in ctx.findings if d.get("code") in codes}
    said = next((c for c in codes if c in stated), None)
    if said is not None:
        tag = get_snippet("short-qtc").tag if "SHORT" in said else long_tag
        if "qtc_qrs_adjusted_ms" in (stated[said].get("values") or {}) and "SHORT" not in said:
            tag += " " + get_snippet("qt-wide-qrs").tag  # judged with the wide QRS taken out: say why
        s += f"{_stmt(stated[said])} [finding: {said}] {tag}."
    elif qtc <= QTC_SHORT_MS:
        s += f"That is at or below the {fmt(QTC_SHORT_MS)} ms limit of a short QTc {get_snippet('short-qtc').tag}."
    elif ctx.sex in QTC_LONG_MS:
        who = "men" if ctx.sex == "M" else "women"
        s += f"That is not prolonged: the limit for {who} is {fmt(QTC_LONG_MS[ctx.sex])} ms {long_tag}."
    else:
        m_lim, f_lim = QTC_LONG_MS["M"], QTC_LONG_MS["F"]
        if qtc >= m_lim:  # findings apply the male limit when sex is unknown; say what differs
            s += (f"That reaches the limit for a man ({fmt(m_lim)} ms) within the measurement tolerance; for a woman "
                  f"the limit is {fmt(f_lim)} ms, and the patient's sex is not known {long_tag}.")
        else:
            s += f"That is not prolonged (limits {fmt(m_lim)} ms for men, {fmt(f_lim)} ms for women) {long_tag}."
    hr = ctx.fact("heart_rate")
    if hr is not None and (hr.value > 90 or hr.value < 55) and fr is not None:
        s += " At this heart rate Bazett's correction is less reliable; Fridericia's value is the better guide."
    s += _in_leads(ctx, "qt", "QT interval") + _printed(ctx, ("qt_ms", qt_f.value), ("qtc_ms", b.value))
    fewer = _findings_with(ctx, ("REDUCED_LEADS",), "")
    return s + _unsure(ctx, "qt", "qt_ms") + (" " + fewer if fewer else "")


def qt_method(ctx: Context) -> str:
    """How the QTc is calculated (knowledge entry ``qt-interval``, with the four formulas of
    :mod:`ecg.measure`), worked on this ECG's QT and RR with each formula's result."""
    ref = get_snippet("qt-interval")
    s = f"{ref.text} {ref.tag}"
    qt_f, rr, hr = ctx.fact("qt"), ctx.fact("rr"), ctx.fact("heart_rate")
    if qt_f is None or rr is None:
        return s + " " + _missing(ctx, "qt_ms", "QT interval")
    how = {"bazett": "QT divided by the square root of the RR in seconds", "fridericia": "QT divided by the cube root of the RR in seconds",
           "framingham": "QT plus 154 ms times (one minus the RR in seconds)",
           "hodges": "QT plus 1.75 ms per bpm above 60"}
    done = [f"{name.capitalize()}, {text}: {fmt(f.value)} ms {f.tag}" for name, text in how.items()
            if (f := ctx.fact(f"qtc_{name}")) is not None]
    s += (f" On this ECG the QT is {fmt(qt_f.value)} ms {qt_f.tag} and the RR {fmt(rr.value)} ms {rr.tag}"
          + (f" (heart rate {fmt(hr.value)} bpm {hr.tag})" if hr is not None else "") + ". " + "; ".join(done) + ".")
    return s + " The findings judge the QTc by Hodges."


def explain_qt(ctx: Context) -> str:
    s = get_snippet("long-qtc").text + " " + get_snippet("long-qtc").tag
    b = ctx.fact("qtc_bazett")
    if b is not None:
        s += f" On this ECG the QTc is {fmt(b.value)} ms by Bazett {b.tag}."
    return s


#: The findings that judge the frontal QRS axis (ecg.interpret), and the fascicular blocks stated from it.
AXIS_CODES = ("LAD", "RAD", "NW_AXIS", "LAFB", "LPFB", "LIMB_REVERSAL", "LIMB_LEADS_INCONSISTENT")


def axis(ctx: Context) -> str:
    q = ctx.fact("axis_qrs")
    if q is None:
        return _missing(ctx, "axis_deg", "QRS axis")
    v = round(q.value)
    lo, hi = criteria()["axis"]["normal_min_deg"]["value"], criteria()["axis"]["normal_max_deg"]["value"]
    s = f"The frontal QRS axis is {v:+d}° {q.tag}"
    # the class is the findings' (LAD, RAD, extreme axis, with their criteria; a fascicular block
    # that rests on the axis too), so the chat and the findings never disagree
    stated = [d for d in ctx.findings if d.get("code") in AXIS_CODES]
    if stated:
        s += ". " + " ".join(_finding_text(d) for d in stated) + f" The normal adult axis is {lo:+d}° to {hi:+d}° {get_snippet('axis').tag}."
    elif lo <= v <= hi:
        s += f", within the normal adult range of {lo:+d}° to {hi:+d}° {get_snippet('axis').tag}."
    else:
        s += f", outside the normal adult range of {lo:+d}° to {hi:+d}° {get_snippet('axis').tag}."
    others = [f"{name} axis {round(f.value):+d}° {f.tag}" for name, f in (("P", ctx.fact("axis_p")), ("T", ctx.fact("axis_t"))) if f]
    if others:
        s += " The " + others[0].replace(" axis ", " axis is ", 1) + "".join(" and the " + o for o in others[1:]) + "."
    return s + _printed(ctx, ("qrs_axis_deg", q.value)) + _unsure(ctx, "axis_qrs", "axis_deg.qrs")


#: The findings that judge the PR interval (ecg.interpret: first-degree AV block, borderline, short).
PR_CODES = ("1AVB", "BORDERLINE_PR", "SHORT_PR")
#: A PR uncertainty (ms, ``uncertainty_ms.pr_ms``) from which the answer says how uncertain it is:
#: half the 10 ms SD that IEC 60601-2-25 permits for PR measurements.
PR_UNCERTAIN_MS = 5.0


def pr(ctx: Context) -> str:
    f = ctx.fact("pr")
    if f is None:
        return _missing(ctx, "pr_ms", "PR interval")
    v = round(f.value)
    tag = get_snippet("pr-interval").tag
    s = f"The PR interval is {v} ms {f.tag}"
    u = (ctx.measurements.get("uncertainty_ms") or {}).get("pr_ms")
    if u is not None and u >= PR_UNCERTAIN_MS:
        parts = ((ctx.measurements.get("confidence_evidence") or {}).get("pr_ms") or {}).get("uncertainty_parts_ms") or {}
        why = ("its P onset moves with the detection threshold (a P wave that rises slowly out of the baseline)"
               if parts.get("p_onset_threshold_spread", 0.0) > parts.get("split_half", 0.0)
               else "its P and QRS onsets differ between the odd and the even beats")
        s += f", uncertain by about {round(u)} ms ({why})"
    # the verdict is the findings' (first-degree AV block, borderline or short PR, each with its
    # criterion), so the chat never calls a block the criteria did not state
    stated = [d for d in ctx.findings if d.get("code") in PR_CODES]
    # why no statement was made is said only where the rhythm criteria ran (a rhythm statement exists)
    judged = any(d.get("code") in RHYTHM_CODES for d in ctx.findings)
    lo, hi = criteria()["pr"]["short_ms"]["value"], criteria()["pr"]["first_degree_ms"]["value"]
    if stated:
        s += ". " + " ".join(_finding_text(d) for d in stated) + f" The normal PR is {lo} to {hi} ms {tag}."
    elif v > hi:
        s += (f", longer than {hi} ms" + ("; no first-degree AV block is stated: that statement needs sinus rhythm, "
                                          "which the rhythm criteria did not find" if judged else "") + f" {tag}.")
    elif v < lo:
        s += (f", shorter than {lo} ms" + ("; no short-PR statement is made: it needs sinus rhythm and a clear P wave "
                                           "that repeats beat to beat" if judged else "") + f" {tag}.")
    else:
        s += f", within the normal {lo} to {hi} ms {tag}."
    return s + _in_leads(ctx, "pr", "PR interval") + _printed(ctx, ("pr_ms", f.value)) + _unsure(ctx, "pr", "pr_ms")


#: The findings that say what the P waves are (or that there are none), quoted by the P-wave answer.
P_CODES = RHYTHM_CODES + ("PACE",)


def p_wave(ctx: Context) -> str:
    """The P wave: its duration across the leads, its frontal axis against the sinus range, the
    lead-II limit of left atrial abnormality (AHA/ACCF/HRS Part V) with why none is stated from it,
    and the rhythm finding that says what the P waves are."""
    f = ctx.fact("p_duration")
    stated = [d for d in ctx.findings if d.get("code") in P_CODES]
    if f is None:
        s = _missing(ctx, "p_duration_ms", "P wave duration")
        return s + (" " + " ".join(_finding_text(d) for d in stated) if stated else "")
    s = (f"The P wave lasts {fmt(f.value)} ms {f.tag}, from its earliest onset to its latest offset across the leads "
         f"measured.")
    pa = ctx.fact("axis_p")
    if pa is not None:
        lo, hi = criteria()["sinus"]["p_axis_min_deg"]["value"], criteria()["sinus"]["p_axis_max_deg"]["value"]
        where = "within" if lo <= pa.value <= hi else "outside"
        # the range written as the rhythm criteria write it (the findings quoted below carry it)
        s += f" Its frontal axis is {round(pa.value):+d}° {pa.tag}, {where} the sinus criteria's frontal P axis {lo}..{hi} deg."
    s += (" Read in lead II, 120 ms or more suggests left atrial abnormality; measured across all the leads a P wave "
          f"runs longer, so no atrial abnormality is stated from the duration alone {get_snippet('p-wave').tag}.")
    if stated:
        s += " " + " ".join(_finding_text(d) for d in stated)
    return s + _in_leads(ctx, "p_duration", "P duration") + _unsure(ctx, "p_duration", "p_duration_ms")


#: The conduction findings that rest on the QRS (ecg.interpret), stated with their criteria.
QRS_CODES = ("CLBBB", "CRBBB", "ILBBB", "IRBBB", "IVCD", "BORDERLINE_QRS", "LAFB", "LPFB", "PACING_NOT_ASSESSED",
             "REDUCED_LEADS")


def qrs(ctx: Context) -> str:
    f = ctx.fact("qrs")
    if f is None:
        return _missing(ctx, "qrs_ms", "QRS duration")
    v = round(f.value)
    tag = get_snippet("qrs-duration").tag
    full, inc = criteria()["qrs"]["complete_bbb_ms"]["value"], criteria()["qrs"]["incomplete_bbb_ms"]["value"]
    if v >= full:
        s = f"The QRS duration is {v} ms {f.tag}: wide ({full} ms or more) {tag}."
    elif v >= inc:
        s = f"The QRS duration is {v} ms {f.tag}: mildly prolonged ({inc} to {full - 1} ms) {tag}."
    else:
        s = f"The QRS duration is {v} ms {f.tag}: normal (below {inc} ms) {tag}."
    conduction = [d for d in ctx.findings if d.get("code") in QRS_CODES]
    if conduction:
        s += " " + " ".join(_finding_text(d) for d in conduction)
    return s + _in_leads(ctx, "qrs", "QRS duration") + _printed(ctx, ("qrs_ms", f.value)) + _unsure(ctx, "qrs", "qrs_ms")


def _findings_with(ctx: Context, codes: tuple[str, ...] | None, empty: str) -> str:
    chosen = [d for d in ctx.findings if codes is None or d.get("code") in codes]
    if not chosen:
        return empty
    return " ".join(_finding_text(d) for d in chosen)


#: A finding whose confidence is below this is stated as possible, not as a fact.
POSSIBLE_BELOW = 0.5


def _finding_text(d: dict, criterion: bool = True) -> str:
    """A finding with its criterion and tag; "Possible: ..." when its confidence is below 0.5."""
    c = d.get("confidence")
    lead = f"Possible (confidence {c:.2f}): " if c is not None and c < POSSIBLE_BELOW else ""
    crit = f" (criterion: {d['criterion']})" if criterion else ""
    return f"{lead}{_stmt(d)}{crit} [finding: {d['code']}]."


def rhythm(ctx: Context) -> str:
    return _findings_with(ctx, RHYTHM_CODES + ("PACE", "PACING_NOT_ASSESSED", "PAC", "PVC"),
                          "No rhythm statement could be made from the measurements.") + " " + heart_rate(ctx, with_rhythm=False)


def extra_beats(ctx: Context) -> str:
    beats = ctx.measurements.get("beats") or {}
    classes = beats.get("classes") or []
    times = beats.get("r_peaks_ms") or []
    names = {"premature_ventricular": "premature ventricular", "premature_supraventricular": "premature supraventricular"}
    extra = [(t, c) for t, c in zip(times, classes) if c in names]
    in_art = artefact_beats(ctx.measurements)
    hidden = [t for t in times if t in in_art]
    odd = [t for t, c in zip(times, classes) if c == "unclassified" and t not in in_art]
    dur = float(ctx.measurements.get("duration_s") or 0.0)
    odd_s = "" if not hidden else (
        f" {len(hidden)} beat{'s' if len(hidden) > 1 else ''} {'lie' if len(hidden) > 1 else 'lies'} in stretches where "
        "no lead shows an ECG (artefact), and I do not classify "
        + ("them" if len(hidden) > 1 else "it") + " [finding: signal quality].")
    odd_s += "" if not odd else (
        f" {len(odd)} beat{'s' if len(odd) > 1 else ''} at "
        + ", ".join(clock(t / 1000, dur) for t in odd[:8])
        + (" look" if len(odd) > 1 else " looks") + " very different but "
        + ("come" if len(odd) > 1 else "comes") + " on time without a pause, so I leave "
        + ("them" if len(odd) > 1 else "it") + " unclassified (noise, a fusion beat "
        "or intermittent aberrant conduction look like this): check "
        + ("them" if len(odd) > 1 else "it") + " on the tracing [finding: beats].")
    if not classes:
        return "I could not classify the beats on this ECG."
    if not extra:
        if not odd and not hidden:
            return f"No premature beats: all {len(classes)} detected beats look like the underlying rhythm [finding: beats]."
        return (f"No premature beats: {len(classes) - len(odd) - len(hidden)} of the {len(classes)} detected beats look "
                f"like the underlying rhythm [finding: beats].{odd_s}")
    groups = []
    for c, name in names.items():
        at = [t for t, k in extra if k == c]
        if at:
            more = f" and {len(at) - 10} more" if len(at) > 10 else ""
            groups.append(f"{len(at)} {name} (at {', '.join(clock(t / 1000, dur) for t in at[:10])}{more})")
    where = "; ".join(groups)
    s = f"Of {len(classes)} detected beats, {len(extra)} {'is' if len(extra) == 1 else 'are'} premature: {where} [finding: beats].{odd_s} "
    pvq, qrs = ctx.fact("pvc_qrs"), ctx.fact("qrs")
    if pvq is not None:
        s += (f"The premature ventricular beats have their own QRS of {fmt(pvq.value)} ms {pvq.tag}, measured on their "
              "median beat" + (f", against {fmt(qrs.value)} ms {qrs.tag} for the underlying rhythm. " if qrs else ". "))
    return s + _findings_with(ctx, ("PAC", "PVC"), "")


def pause(ctx: Context) -> str:
    """The longest RR interval against the sinus-pause limit (``rate.pause_s``, 2018 ACC/AHA/HRS
    bradycardia guideline), over the whole recording where it was measured in windows; a long RR
    that follows a premature beat is named as its compensatory pause."""
    f = ctx.fact("rr_longest")
    hidden = ctx.fact("rr_obscured")
    if f is None:
        return "I could not measure the RR intervals on this ECG, so I cannot say whether there is a pause." + (
            _hidden_rr(ctx, hidden) if hidden is not None else "")
    lim = float(criteria()["rate"]["pause_s"]["value"])
    s = f"The longest RR interval is {fmt(f.value)} ms {f.tag}"
    rr = ctx.fact("rr")
    if rr is not None:
        s += f", against a mean RR of {fmt(rr.value)} ms {rr.tag}"
    if f.value > lim * 1000.0:
        s += (f": longer than the {lim:g} s that defines a sinus pause in the ACC/AHA/HRS bradycardia guideline, "
              "so there is a pause; look on the tracing for P waves during it (a blocked P wave points to AV block, "
              "none to sinus arrest or exit block).")
    else:
        s += (f": no pause, since the bradycardia guideline's sinus pause lasts more than {lim:g} s.")
    before = longest_rr(ctx.measurements)[2]
    if before in ("premature_ventricular", "premature_supraventricular"):
        kind = "ventricular" if before == "premature_ventricular" else "supraventricular"
        s += f" The longest RR follows a premature {kind} beat: it is that beat's compensatory pause [finding: beats]."
    return s + (_hidden_rr(ctx, hidden) if hidden is not None else "")


def _hidden_rr(ctx: Context, f) -> str:
    """The sentence on the longest RR interval that an artefact hides (fact ``rr_obscured``)."""
    at = longest_obscured_rr(ctx.measurements)[1]
    return (f" One longer RR, {fmt(f.value)} ms {f.tag} ending at "
            f"{clock(at, float(ctx.measurements.get('duration_s') or 0.0))}, is not counted: during it the tracing "
            "leaves its baseline by more than the QRS complexes in every lead (an artefact, such as an electrode "
            "coming loose), so beats there could be hidden. Look at the tracing there.")


def low_voltage(ctx: Context) -> str:
    """Low QRS voltage: the LVOLT statement, or the largest QRS peak-to-peak amplitude of the limb
    and of the precordial leads against the limits (``criteria.json`` ``low_voltage``); nothing in
    mV where the leads were normalized one by one."""
    if _normalized(ctx):
        return _findings_with(ctx, ("LEADS_NORMALIZED",), "")
    stated = _findings_with(ctx, ("LVOLT",), "")
    lim = criteria()["low_voltage"]
    parts = []
    for key, group in (("qrs_pp_limb", "limb"), ("qrs_pp_precordial", "precordial")):
        f, big = ctx.fact(key), largest_qrs(ctx.measurements, group)
        if f is not None and big is not None:
            ld = big[1]
            parts.append(f"the largest QRS of the {group} leads spans {f.value:.2f} mV in {ld} {f.tag} (low when every "
                         f"{group} lead is below {lim[group + '_pp_mv']['value']:g} mV)")
    if not parts:
        return stated or "The QRS amplitudes could not be measured on this ECG."
    if stated:
        return stated + " Measured: " + "; ".join(parts) + "."
    return "The QRS voltage is not low: " + "; ".join(parts) + "."


def lvh(ctx: Context) -> str:
    """The LVH and low-voltage statements, then each voltage of the LVH criteria against its limit
    (``criteria.json`` ``lvh``; Cornell's for the patient's sex, or both when it is not known), and
    where no criterion is met, that the voltage criteria are specific but not sensitive (knowledge
    entry ``lvh``). No voltage where the leads were normalized one by one."""
    stated = _findings_with(ctx, ("LVH", "VCLVH", "LVOLT", "LEADS_NORMALIZED"), "")
    if _normalized(ctx):
        return stated
    lim = criteria()["lvh"]
    cornell = {"M": f"{lim['cornell_male_mv']['value']:g} mV in men", "F": f"{lim['cornell_female_mv']['value']:g} mV in women"}
    limits = {"sokolow_lyon": f"{lim['sokolow_lyon_mv']['value']:g} mV",
              "cornell": cornell.get(ctx.sex) or " and ".join(cornell.values()),
              "r_avl": f"{lim['ravl_mv']['value']:g} mV"}
    parts = [f"{f.label} {f.value:.2f} mV {f.tag} (criterion above {limits[k]})"
             for k in limits if (f := ctx.fact(k)) is not None]
    met = any(d.get("code") in ("LVH", "VCLVH") for d in ctx.findings)
    if not parts:
        return (stated or "The voltages of the LVH criteria could not be measured on this ECG.") + " " + \
            get_snippet("lvh").text + " " + get_snippet("lvh").tag
    if met:
        return stated + " The voltages: " + "; ".join(parts) + "."
    s = (stated + " " if stated else "") + "The voltage criteria for left ventricular hypertrophy are not met: " + \
        "; ".join(parts) + "."
    return s + " " + get_snippet("lvh").text + " " + get_snippet("lvh").tag


def st(ctx: Context) -> str:
    stt = _findings_with(ctx, ("STE", "STD", "TINV", "SECONDARY_STT", "NST_", "ISC_", "PACING_NOT_ASSESSED",
                               "LEADS_NORMALIZED"), "")
    q = _findings_with(ctx, ("QWAVE", "BORDERLINE_QWAVE"), "")
    if not stt and not q:
        s = "No ST elevation, ST depression, T-wave inversion or pathological Q waves met their criteria."
    else:
        # the Q-wave statements come after the ST-T ones, or after saying there are none
        s = (stt or "No ST elevation, ST depression or T-wave inversion met their criteria.") + (" " + q if q else "")
    s += " " + get_snippet("st-changes").tag
    # the ST elevation was weighed by Smith's formula (normal variant vs subtle anterior occlusion)
    if any("smith_3var" in (d.get("values") or {}) for d in ctx.findings if d.get("code") == "STE"):
        s += " " + get_snippet("normal-variant-ste").tag
    return s + _st_in_leads(ctx)


def _normalized(ctx: Context) -> bool:
    """The leads were normalized one by one (the LEADS_NORMALIZED finding): no value in mV is the heart's."""
    return any(d.get("code") == "LEADS_NORMALIZED" for d in ctx.findings)


def _st_in_leads(ctx: Context) -> str:
    """The J point, the ST level at J+60 ms and the T wave of each lead the question names, in mV
    (none where the leads were normalized one by one: their millivolts are not the heart's)."""
    if not ctx.leads_asked:
        return ""
    if _normalized(ctx):
        return f" The ST and T amplitudes of {', '.join(ctx.leads_asked)} are not given: the leads were normalized one by one."
    out = []
    for lead in ctx.leads_asked:
        j, st60, t = (ctx.fact(f"lead:{lead}:{k}") for k in ("st_j", "st_j60", "t_amp"))
        if j is None and st60 is None and t is None:
            out.append(_lead_without(ctx, lead, "no ST or T amplitude could be measured").strip())
            continue
        parts = [f"the J point at {f.value:+.2f} mV {f.tag}" for f in (j,) if f is not None]
        parts += [f"the ST segment 60 ms later at {f.value:+.2f} mV {f.tag}" for f in (st60,) if f is not None]
        pol = (((ctx.measurements.get("per_lead") or {}).get(lead) or {}).get("t_polarity"))
        parts += [f"a {pol + ' ' if pol else ''}T wave of {f.value:+.2f} mV {f.tag}" for f in (t,) if f is not None]
        out.append(f"In {lead}, " + ", ".join(parts) + " (against the isoelectric level before the QRS).")
    return " " + " ".join(out)


def amplitudes(ctx: Context) -> str:
    """The QRS of each lead the question names: its morphology (capitals for large deflections,
    primes for later ones), Q, R, S and R' amplitudes (mV, against the level before the QRS), Q
    duration and R peak time; none in mV where the leads were normalized one by one."""
    if not ctx.leads_asked:
        if len(ctx.intents) > 1:
            return ""  # ("are there Q waves?": the other intent answers; the per-lead values need a lead)
        return ("Name a lead to get its QRS complex, for example \"the R wave in V5\" or \"the QRS morphology in V1\": "
                "I give its morphology, Q, R and S amplitudes, Q duration and R peak time.")
    normalized = _normalized(ctx)
    out = []
    for lead in ctx.leads_asked:
        pl = (ctx.measurements.get("per_lead") or {}).get(lead)
        if not pl:
            out.append(_lead_without(ctx, lead, "no QRS complex could be measured there").strip())
            continue
        parts = []
        if pl.get("qrs_morphology"):
            parts.append(f"QRS morphology {pl['qrs_morphology']}")
        if not normalized:
            # with an R' the waves in their order (first R, S, R'), else Q, R (the tallest), S
            waves = ((("q_amp", "Q"), ("r_first_amp", "R"), ("s_amp", "S"), ("r_prime_amp", "R'"))
                     if ctx.fact(f"lead:{lead}:r_first_amp") is not None else
                     (("q_amp", "Q"), ("r_amp", "R"), ("s_amp", "S")))
            parts += [f"{name} {f.value:+.2f} mV {f.tag}" for k, name in waves
                      if (f := ctx.fact(f"lead:{lead}:{k}")) is not None and round(f.value, 2)]  # (0: no such wave)
        parts += [f"{name} {fmt(f.value)} ms {f.tag}" for k, name in (("q_dur", "a Q wave lasting"), ("r_peak_time", "R peak time"))
                  if (f := ctx.fact(f"lead:{lead}:{k}")) is not None]
        s = f"In {lead}: " + (", ".join(parts) if parts else "no QRS deflection measured") + "."
        if lead in ctx.lead_quality and is_low(lead, ctx.lead_quality, ctx.source):
            s += f" {lead} is of low quality ({ctx.lead_quality[lead].reason}): check it on the tracing."
        c = pl.get("amplitude_confidence")
        if not normalized and c is not None and c < POSSIBLE_BELOW:
            s += f" Its amplitudes are uncertain (confidence {c:.2f}): the beats differ from one another there."
        out.append(s)
    if normalized:
        out.append("The amplitudes are not given: the leads were normalized one by one, so their millivolts are not the "
                   "heart's [finding: LEADS_NORMALIZED].")
    return " ".join(out)


def intervals(ctx: Context) -> str:
    facts = [f for f in ctx.facts if f.key in ("heart_rate", "p_duration", "pr", "qrs", "qt", "qtc_bazett", "qtc_fridericia",
                                               "axis_qrs")]
    if not facts:
        return "Nothing could be measured on this ECG."
    shown = [v for f in facts if (v := _shown(f))]
    held = [f.label for f in facts if not _shown(f)]
    s = ("Measurements: " + "; ".join(shown) + ".") if shown else ""
    if held:
        s += (" " if s else "") + (f"Not stated because too uncertain (confidence below {DECLINE_CONFIDENCE}): "
                                   f"{', '.join(held)}; check them by hand.")
    fewer = _findings_with(ctx, ("REDUCED_LEADS",), "")
    return s + (" " + fewer if s and fewer else "")


def summary(ctx: Context) -> str:
    return intervals(ctx) + " " + _findings_with(ctx, None, "No finding met its criteria.")


def similar_cases(ctx: Context) -> str:
    if not ctx.cases:
        return "The case library is not available, so I cannot show similar cases."
    lines = [f"The {len(ctx.cases)} most similar cases in the library:"]
    for c in ctx.cases:
        labels = ", ".join(c.get("labels", {}).values()) or "no labels"
        lines.append(f"{ctx.case_tag(c)} {c['record_id']} (similarity {c['similarity']:.2f}): {labels}; "
                     f"report: \"{c.get('report', '')}\"")
    return "\n".join(lines)


def technical(ctx: Context) -> str:
    """Electrode placement: the reversal statement, or why none was made, and whether the leads
    relate as the leads of one recording; then the signal quality (:func:`quality`) unless the
    question asks about it as well (its own intent answers it then)."""
    rev = [d for d in ctx.findings if d.get("code") == "LIMB_REVERSAL"]
    if rev:
        s = _finding_text(rev[0])
    else:
        axes = [f for f in (ctx.fact("axis_p"), ctx.fact("axis_qrs"), ctx.fact("axis_t")) if f]
        if len(axes) == 3:
            shown = ", ".join(f"{f.label.split()[0]} {round(f.value):+d}° {f.tag}" for f in axes)
            s = (f"No limb-electrode reversal pattern: the frontal axes ({shown}) are not those of a left arm / right "
                 "arm or right arm / left leg swap. A left arm / left leg swap cannot be recognized from the axes.")
        else:
            s = "Limb-electrode reversal was not assessed: it needs the P, QRS and T axes from the six limb leads."
    s += _consistency(ctx)
    return s if "quality" in ctx.intents else s + " " + _lead_quality(ctx)


def _consistency(ctx: Context) -> str:
    """The statements that the leads do not relate as the leads of one recording (Einthoven's law,
    amplitudes normalized lead by lead), each after a space; empty if none."""
    return "".join(" " + _finding_text(d) for d in ctx.findings
                   if d.get("code") in ("LIMB_LEADS_INCONSISTENT", "LEADS_NORMALIZED"))


def _lead_quality(ctx: Context) -> str:
    """The leads of poor quality, or that none is, and those whose unfiltered trace shows
    high-frequency noise."""
    poor = [d for d in ctx.findings if d.get("code") == "POOR_QUALITY"]
    noisy = [f"{ld} ({mv:.2f} mV)" for ld, mv in hf_noisy_leads(ctx.measurements)]
    art = artefact_stretches(ctx.measurements)
    s = _finding_text(poor[0]) if poor else (
        f"No lead is of poor quality for measuring{' over the recording as a whole' if art else ''} "
        "[finding: signal quality].")
    if noisy:
        s += (f" High-frequency noise (muscle tremor or mains) shows on the unfiltered trace in {', '.join(noisy)}; "
              "the measurements are made on the filtered signal [finding: signal quality].")
    cond = conditioning(ctx.measurements)
    if cond or "quality" in ctx.intents:
        band = filter_band(ctx.measurements)
        s += (f" Filtering before measurement: a {band[0]:g}-{band[1]:g} Hz band-pass (zero phase)"
              + ("; besides, " + " and ".join(cond) if cond else "; no mains hum or beat-to-beat baseline wander "
                 "called for more") + " [finding: signal quality].")
    if art:
        dur = float(ctx.measurements.get("duration_s") or 0.0)
        where = ", ".join(f"{clock(a, dur)} to {clock(b, dur)}" for a, b, _ in art[:6]) + (
            f" and {len(art) - 6} more" if len(art) > 6 else "")
        n = sum(k for *_, k in art)
        s += (f" {'In one stretch' if len(art) == 1 else f'In {len(art)} stretches'} ({where}) no lead shows an ECG: "
              "every lead leaves its baseline by more than its QRS complexes (an artefact: a loose electrode, movement, "
              f"or an amplifier at its limit). The {n} beats detected there are left unclassified, and no rhythm or "
              "premature beat is read from them [finding: signal quality].")
    return s


def quality(ctx: Context) -> str:
    """Signal quality: the leads of poor quality or with high-frequency noise, and the lead
    consistency statements unless the electrode-placement answer (:func:`technical`) gives them."""
    s = _lead_quality(ctx)
    return s if "technical" in ctx.intents else s + _consistency(ctx)


def pacing(ctx: Context) -> str:
    """Whether the rhythm is paced: the PACE finding with the paced-beat count and what it changes in
    the reading, PACING_NOT_ASSESSED below the sampling rate stimuli are sought at
    (:data:`ecg.beats.PACE_MIN_FS`), or that no stimulus precedes the beats."""
    fs = float(ctx.measurements.get("fs_hz") or 0.0)
    rh = ctx.measurements.get("rhythm") or {}
    n, n_paced = int(rh.get("n_beats") or 0), int(rh.get("n_paced") or 0)
    by_code = {d.get("code"): d for d in ctx.findings}
    if "PACE" in by_code:
        s = _finding_text(by_code["PACE"])
        if n:
            s += f" {n_paced} of the {n} detected beats are paced [finding: beats]."
        return s + (" With a paced rhythm the bundle branch block and conduction-delay criteria are not applied (they "
                    "are for conducted beats), and ST-T changes opposite to the paced QRS are its expected secondary "
                    "change: ischaemia is judged by Sgarbossa's criteria instead " + get_snippet("pacing").tag + ".")
    if "PACING_NOT_ASSESSED" in by_code:
        return _finding_text(by_code["PACING_NOT_ASSESSED"]) + " " + get_snippet("pacing").tag
    if fs and fs < PACE_MIN_FS:
        # (no inference from the QRS width: at these rates a stimulus left in the trace can make a
        # paced QRS measure narrow, LUDB 95 at 250 Hz: 110 ms against 166 ms at 500 Hz)
        return (f"Pacing is not assessed: this ECG is sampled at {fs:g} Hz, and pacemaker stimuli, shorter than a "
                f"sample here, are sought only from {PACE_MIN_FS:g} Hz. A paced rhythm can be neither recognized nor "
                "excluded on it: if the patient has a pacemaker, read the conduction, ST-T and Q-wave statements with "
                "that in mind " + get_snippet("pacing").tag + ".")
    if not n:
        return "I could not detect the beats on this ECG, so pacing was not assessed."
    if ctx.source == "image":
        # the digitizer follows the trace at its own resolution and may lose a stimulus drawn as a
        # hairline spike (PTB-XL 385 kept, LUDB 95 and 111 lost theirs at 200 dpi): its absence says little
        return ("No pacemaker stimulus was found before the beats of the trace digitized from this image, but a "
                "stimulus prints as a hairline spike that the traced signal may not keep: look on the image itself for "
                "thin vertical spikes just before the P waves or QRS complexes " + get_snippet("pacing").tag + ".")
    s = (f"No paced rhythm: no pacemaker stimulus precedes most of the {n} detected beats [finding: beats] (this ECG is "
         f"sampled at {fs:g} Hz; stimuli are sought from {PACE_MIN_FS:g} Hz).")
    if n_paced:
        s += f" {n_paced} beat{'s are' if n_paced > 1 else ' is'} paced [finding: beats]."
    return s + (" A device that records or exports the ECG with its stimuli filtered out defeats this, so a "
                "pacemaker is not excluded if the patient is known to have one " + get_snippet("pacing").tag + ".")


def not_assessed(ctx: Context) -> str:
    """What the findings do not state, for each such condition the question names
    (:data:`assistant.router.NOT_ASSESSED`): that no criterion of ours states it and what recognizing
    it takes; the measured answers that bear on it follow as their own intents."""
    if not ctx.topics:
        return ""
    s = " ".join(f"{u.name} is the clinician's to make, not mine: it rests on {u.needs}." if u.decision else
                 f"{u.name} is not among the statements I make: recognizing it takes {u.needs}." for u in ctx.topics)
    if any(u.intents for u in ctx.topics):
        s += " What I measured that bears on " + ("it:" if len(ctx.topics) == 1 else "them:")
    return s


#: The steps of the walk-through (:func:`teach`), in the order of the knowledge entry
#: ``reading-order``: (step, the facts it states, the findings it states). Findings of no step are
#: stated at the morphology step.
WALK_STEPS = (
    ("Signal quality and electrodes", (), ("POOR_QUALITY", "LIMB_REVERSAL", "LIMB_LEADS_INCONSISTENT", "LEADS_NORMALIZED",
                                     "REDUCED_LEADS", "PACING_NOT_ASSESSED")),
    ("Rate", ("heart_rate",), ("SBRAD", "STACH")),
    ("Rhythm", (), ("SR", "AFIB", "AFLT", "SARRH", "NONSINUS_P", "NO_VISIBLE_P", "PACE", "PAC", "PVC")),
    ("PR interval", ("pr",), PR_CODES),
    ("QRS duration", ("qrs",), ("CLBBB", "CRBBB", "ILBBB", "IRBBB", "IVCD", "BORDERLINE_QRS")),
    ("QT and QTc", ("qt", "qtc_hodges"), ("LONG_QTC", "BORDERLINE_QTC", "SHORT_QTC", "BORDERLINE_SHORT_QTC", "QTC_WIDE_QRS")),
    ("Axis", ("axis_qrs",), ("LAD", "RAD", "NW_AXIS", "LAFB", "LPFB")),
    ("P wave, QRS, ST segment and T wave by lead", ("p_duration",), None),
)


#: The measurement (``null_reasons`` key) behind each fact the walk-through states.
_NULL_KEY = {"heart_rate": "heart_rate_bpm", "pr": "pr_ms", "qrs": "qrs_ms", "qt": "qt_ms", "axis_qrs": "axis_deg.qrs",
             "p_duration": "p_duration_ms"}


def _shown(f) -> str | None:
    """A fact as the answers state it: value, unit and tag, "(uncertain, confidence ...)" below 0.5,
    None below :data:`DECLINE_CONFIDENCE` (too uncertain to state)."""
    if f.confidence is not None and f.confidence < DECLINE_CONFIDENCE:
        return None
    s = f"{f.label} {fmt(f.value)} {f.unit} {f.tag}"
    return s + (f" (uncertain, confidence {f.confidence:.2f})" if f.confidence is not None and f.confidence < 0.5 else "")


def teach(ctx: Context) -> str:
    """A walk through this ECG in the systematic reading order (knowledge entry ``reading-order``):
    at each step the values measured for it and the statements its criteria made, or that none was
    made; the criteria themselves are in the answers to each step's own question."""
    ref = get_snippet("reading-order")
    placed = {c for _, _, codes in WALK_STEPS if codes for c in codes}
    steps = []
    for k, (name, keys, codes) in enumerate(WALK_STEPS, 1):
        vals = [v for key in keys if (f := ctx.fact(key)) is not None and (v := _shown(f))]
        found = [d for d in ctx.findings if (d.get("code") not in placed if codes is None else d.get("code") in codes)]
        said = " ".join(_finding_text(d, criterion=False) for d in found)
        if not said:
            reasons = [r for key in keys if (r := (ctx.measurements.get("null_reasons") or {}).get(_NULL_KEY.get(key)))]
            said = ("No lead of poor quality, no electrode reversal pattern." if k == 1 else
                    "No statement beyond normal limits." if vals or codes is None else
                    "Not measured" + (f": {reasons[0]}." if reasons else "."))
        steps.append(f"- {name}: " + ("; ".join(vals) + ". " if vals else "") + said)  # (no step numbers: every
        # number in an answer must be a measured or quoted one)
    steps.append("- Compare with a previous ECG of the patient: I have none, so a change from it cannot be judged here.")
    return (f"{ref.text} {ref.tag} This ECG, step by step:\n" + "\n".join(steps) +
            "\nAsk about any step (\"why is the QRS wide?\", \"what is the criterion for the axis?\") for its "
            "criterion and source.")


def general(ctx: Context) -> str:
    return ("I can answer questions about this ECG's rate, rhythm, extra beats and pauses, pacing, P wave, PR, QRS, "
            "QT/QTc, axis, voltage, ST segments, electrode placement and signal quality, how sure each value is, and show "
            "similar cases. " + intervals(ctx))


#: The values a question about confidence asks about, from the other intents it names (all four
#: intervals, the rate and the QRS axis when it names none).
CONFIDENCE_KEYS = {"qt": ("qt_ms",), "explain_qt": ("qt_ms",), "pr": ("pr_ms",), "p_wave": ("p_duration_ms",), "qrs": ("qrs_ms",),
                   "intervals": ("p_duration_ms", "pr_ms", "qrs_ms", "qt_ms"), "heart_rate": ("heart_rate_bpm",),
                   "rhythm": ("heart_rate_bpm",), "axis": ("axis_deg.qrs",)}
_FACT_OF = {"heart_rate_bpm": "heart_rate", "p_duration_ms": "p_duration", "pr_ms": "pr", "qrs_ms": "qrs",
            "qt_ms": "qt", "axis_deg.qrs": "axis_qrs"}
_NAME_OF = {**UNCERTAINTY_NAMES, "heart_rate_bpm": "heart rate", "axis_deg.qrs": "QRS axis"}
_WHY_OTHER = {"heart_rate_bpm": "from the signal quality of the leads and the number of beats",
              "axis_deg.qrs": "from how large the limb leads' net QRS deflections are against their noise: a small "
                              "net QRS points in no clear direction"}


def certainty(ctx: Context) -> str:
    """How sure each asked-about value is: its confidence, its uncertainty (ms) and the named
    evidence it comes from (``confidence_evidence`` of :class:`ecg.measure.Measurements`)."""
    others = [i for i in ctx.intents if i != "confidence"]
    keys = [k for i in others for k in CONFIDENCE_KEYS.get(i, ())]
    keys = list(dict.fromkeys(keys)) or ["heart_rate_bpm", "p_duration_ms", "pr_ms", "qrs_ms", "qt_ms", "axis_deg.qrs"]
    conf = ctx.measurements.get("confidence") or {}
    unc = ctx.measurements.get("uncertainty_ms") or {}
    ev = ctx.measurements.get("confidence_evidence") or {}
    nr = ctx.measurements.get("null_reasons") or {}
    out, stated = [], False
    for k in keys:
        f = ctx.fact(_FACT_OF[k])
        name = _NAME_OF[k]
        if f is None:
            out.append(f"The {name} was not measured ({nr.get(k, 'no value')}), so there is no confidence to give.")
            continue
        c = conf.get(k)
        if c is None:
            continue
        s = f"The {name} {f.tag} has confidence {c:.2f}"
        if k in unc:
            s += f", an uncertainty of about {fmt(unc[k])} ms"
        if k in ev:
            s += ": " + evidence_text(ev[k]) + "."
        else:
            s += f" ({_WHY_OTHER.get(k, 'from the signal quality')})."
        if c < 0.5:
            s += " That is low: check it by hand on the tracing."
        out.append(s)
        stated = True
    if not out:
        return "I have no confidence figures for those values."
    if not stated:
        return " ".join(out)
    return (" ".join(out) + " Confidence is 1 / (1 + (uncertainty / tolerance)^2), scaled down by poor signal "
            "quality; below 0.5 I call a value uncertain.")


REPLIES = {
    "heart_rate": heart_rate, "qt": qt, "explain_qt": explain_qt, "qt_method": qt_method, "axis": axis, "pr": pr, "p_wave": p_wave, "qrs": qrs,
    "rhythm": rhythm, "extra_beats": extra_beats, "lvh": lvh, "st": st, "intervals": intervals,
    "summary": summary, "similar_cases": similar_cases, "teach": teach, "general": general,
    "confidence": certainty, "technical": technical, "quality": quality, "low_voltage": low_voltage, "pacing": pacing, "pause": pause, "not_assessed": not_assessed,
    "amplitudes": amplitudes,
}

#: The measured values an answer to an intent must state.
REQUIRED_FACTS = {
    "heart_rate": ("heart_rate",), "qt": ("qtc_bazett",), "axis": ("axis_qrs",), "pr": ("pr",), "p_wave": ("p_duration",),
    "qrs": ("qrs",), "intervals": ("heart_rate", "qrs", "qt"),
}


def declined(intents: list[str], ctx: Context) -> set[str]:
    """The intents whose values rest on too few good-quality leads to be stated."""
    return {i for i in intents if hedge(i, ctx.measurements, ctx.lead_quality, ctx.source).decline}


def grounded_reply(intents: list[str], ctx: Context) -> str:
    """The deterministic reply to the intents, in order, without the overread line.

    Each reply names the low-quality leads it rests on, or declines to state a value that rests on
    too few good leads (:mod:`assistant.hedging`).
    """
    parts = []
    for i in intents:
        if i not in REPLIES:
            continue
        h = hedge(i, ctx.measurements, ctx.lead_quality, ctx.source)
        if h.decline:
            key = PRINTED_KEY.get(VALUE_KEY.get(i, ""))
            parts.append(h.text + (_printed(ctx, (key, None)) if key else ""))
        else:
            page = page_caution(i, ctx.page_flags)
            reply = REPLIES[i](ctx)
            if reply:
                parts.append(reply + (" " + h.text if h.text else "") + (" " + page if page else ""))
    text = "\n\n".join(parts).strip()
    if ctx.source == "image" and text:
        text += ("\n\nThese values were measured on a signal digitized from an image, so treat them with more "
                 "caution than values from a signal file; the overlay shows which traces were followed.")
    return text
