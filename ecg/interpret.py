"""Criteria-based ECG statements from measurements.

``interpret(x, sex=None, age=None) -> list[Finding]``. Every finding names the rule it applied
(with the threshold), the source of that threshold, and the measured values behind it. Thresholds
live in ``ecg/criteria.json`` (one place, each with its source: the AHA/ACC/HRS recommendations
for the standardization and interpretation of the ECG, parts I-VI, the Fourth Universal
Definition of MI, and the papers named there).

Codes are PTB-XL SCP codes where one exists (SR, SBRAD, STACH, SARRH, AFIB, AFLT, PAC, PVC,
1AVB, CLBBB, CRBBB, ILBBB, IRBBB, IVCD, LAFB, LPFB, LVH, VCLVH, LVOLT, LAD, RAD, PACE, QWAVE), otherwise
upper-case names (LONG_QTC, SHORT_QTC, SHORT_PR, STE, STD, TINV, LIMB_REVERSAL, POOR_QUALITY,
PACING_NOT_ASSESSED, REDUCED_LEADS, BORDERLINE_PR, BORDERLINE_QRS, BORDERLINE_QTC, BORDERLINE_SHORT_QTC, BORDERLINE_QWAVE, SECONDARY_STT, NONSINUS_P,
LIMB_LEADS_INCONSISTENT, LEADS_NORMALIZED, QTC_WIDE_QRS, NO_VISIBLE_P).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .leads import LIMB_LEADS
from .record import clock

CRITERIA_PATH = Path(__file__).with_name("criteria.json")

#: Pairs of contiguous leads (UDMI4: I-aVL lateral; II, III, aVF inferior; V1-V6 in sequence).
CONTIGUOUS = [("I", "aVL"), ("II", "III"), ("II", "aVF"), ("III", "aVF"), ("V1", "V2"), ("V2", "V3"),
              ("V3", "V4"), ("V4", "V5"), ("V5", "V6"), ("I", "V6")]
TERRITORY = {"inferior": ("II", "III", "aVF"), "lateral": ("I", "aVL", "V5", "V6"),
             "septal": ("V1", "V2"), "anterior": ("V3", "V4")}


@dataclass
class Finding:
    """One statement about an ECG.

    Attributes:
        code: PTB-XL SCP code where one exists, else an upper-case name.
        statement: plain English sentence.
        criterion: the rule applied, with its threshold.
        source: citation of the threshold.
        values: measured values behind it, names carry units (``{"pr_ms": 224.0}``).
        leads: leads involved (may be empty).
        confidence: 0..1, from the confidences of the values used and the margin to the threshold.
    """

    code: str
    statement: str
    criterion: str
    source: str
    values: dict = field(default_factory=dict)
    leads: list = field(default_factory=list)
    confidence: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["confidence"] = round(float(self.confidence), 3)
        return d


@lru_cache(maxsize=1)
def criteria() -> dict:
    """The thresholds of ``ecg/criteria.json`` (parsed once)."""
    return json.loads(CRITERIA_PATH.read_text())


def _c(group: str, name: str):
    return criteria()[group][name]["value"]


def _src(group: str, name: str) -> str:
    key = criteria()[group][name]["source"]
    return criteria()["sources"][key]


def _margin_conf(value: float, thr: float, scale: float, base: float = 1.0) -> float:
    """Confidence from the distance to a threshold: 0.5 at the threshold, -> base far beyond it."""
    import math

    z = abs(value - thr) / max(scale, 1e-9)
    return max(0.0, min(1.0, base * (0.5 + 0.5 * (1 - math.exp(-z)))))


def interpret(x, sex: str | None = None, age: float | None = None) -> list[Finding]:
    """Interpret an ECG or its measurements.

    Args:
        x: :class:`ecg.record.ECG` (measured first) or :class:`ecg.measure.Measurements` or its
            ``to_dict()``.
        sex: ``"M"``/``"F"`` (sex-specific QTc, Cornell and ST limits); read from ``ecg.meta``
            (or the measurements' ``meta``) when not given.
        age: years, a number (the ST-elevation limit in V2-V3 for men depends on age 40, the
            Sokolow-Lyon voltage counts from age 40); NaN is taken as unknown.

    Returns:
        list of :class:`Finding`, rhythm first, then conduction, axis, hypertrophy, QT,
        ST-T, Q waves, technical.

    Raises:
        TypeError: ``x`` is none of the accepted types.
        ValueError: ``age`` is not a number.
    """
    from .measure import Measurements, measure
    from .record import ECG

    meta: dict = {}
    if isinstance(x, ECG):
        meta = dict(x.meta)
        m = measure(x, interpret=False).to_dict()
    elif isinstance(x, Measurements):
        meta = dict(x.meta or {})
        m = x.to_dict()
    elif isinstance(x, dict) and "heart_rate_bpm" in x:
        m = x
        meta = dict(x.get("meta") or {})
    else:
        raise TypeError(f"interpret() takes an ECG or Measurements; got {type(x).__name__}.")
    sex = sex if sex is not None else meta.get("sex")
    age = age if age is not None else meta.get("age")
    sex = sex.upper()[:1] if isinstance(sex, str) and sex else None
    if age is not None:
        try:
            age = float(age)
        except (TypeError, ValueError):
            raise ValueError(f"age must be a number of years, for example 54; got {age!r}.") from None
        age = None if math.isnan(age) else age
    out: list[Finding] = []
    out += _rhythm(m)
    out += _conduction(m, {f.code for f in out})
    out += _axis(m)
    out += _hypertrophy(m, sex, age, {f.code for f in out})
    out += _qt(m, sex)
    out += _st_t(m, sex, age, {f.code for f in out})
    out += _q_waves(m, {f.code for f in out})
    _reciprocal_depression(m, out)
    _anterior_ste_formula(m, out)
    out += _technical(m, {f.code for f in out}, bool(meta.get("digitized")))
    return _withhold_on_inconsistent_leads(_withhold_on_reversal(out))


#: Findings that rest on the frontal axis: a limb-electrode reversal makes them artefacts.
AXIS_FINDINGS = ("LAD", "RAD", "NW_AXIS", "LAFB", "LPFB")


def _withhold_on_reversal(out: list[Finding]) -> list[Finding]:
    """With a suspected limb-electrode reversal, the statements it would fake are not made: those
    that rest on the frontal axis (:data:`AXIS_FINDINGS`) and those (Q waves, ST, T) found in limb
    leads only; the reversal statement names what was withheld."""
    rev = next((f for f in out if f.code == "LIMB_REVERSAL"), None)
    if rev is None:
        return out
    limb = set(LIMB_LEADS)
    withheld = [f for f in out if f.code in AXIS_FINDINGS
                or (f.code not in ("LIMB_REVERSAL", "POOR_QUALITY", "REDUCED_LEADS") and f.leads and set(f.leads) <= limb)]
    if not withheld:
        return out
    names = ", ".join(f.code + (f" ({', '.join(f.leads)})" if f.leads and f.code not in AXIS_FINDINGS else "")
                      for f in withheld)
    return _withhold(out, rev, withheld, f"Withheld until then: {names}.")


def _withhold(out: list[Finding], tech: Finding, withheld: list[Finding], said: str) -> list[Finding]:
    """``out`` without ``withheld``; the technical finding ``tech`` that withholds them ends its
    statement with ``said`` and lists their codes in ``values["withheld"]``."""
    tech.statement += " " + said
    tech.values["withheld"] = [f.code for f in withheld]
    return [f for f in out if f not in withheld]


#: Findings that compare millivolt amplitudes with fixed limits: leads normalized one by one
#: (LEADS_NORMALIZED) make them artefacts.
AMPLITUDE_FINDINGS = ("LVOLT", "LVH", "VCLVH", "STE", "STD", "TINV", "SECONDARY_STT", "QWAVE", "BORDERLINE_QWAVE")


def _withhold_on_inconsistent_leads(out: list[Finding]) -> list[Finding]:
    """With LIMB_LEADS_INCONSISTENT, the statements resting on the frontal axis
    (:data:`AXIS_FINDINGS`, and a suspected limb-electrode reversal, read from the axes) are not
    made; with LEADS_NORMALIZED, those resting on millivolt limits (:data:`AMPLITUDE_FINDINGS`).
    Each technical statement names what it withheld."""
    for code, held in (("LIMB_LEADS_INCONSISTENT", AXIS_FINDINGS + ("LIMB_REVERSAL",)),
                       ("LEADS_NORMALIZED", AMPLITUDE_FINDINGS)):
        tech = next((f for f in out if f.code == code), None)
        if tech is None:
            continue
        withheld = [f for f in out if f.code in held]
        if withheld:
            out = _withhold(out, tech, withheld, f"Withheld: {', '.join(f.code for f in withheld)}.")
    return out


def _lead_consistency(m: dict) -> list[Finding]:
    """LIMB_LEADS_INCONSISTENT when Einthoven's law fails (``lead_consistency.einthoven_max_residual``),
    LEADS_NORMALIZED when every lead spans the same range (``normalized_range_spread``), from
    ``Measurements.lead_consistency`` (:func:`ecg.measure.lead_consistency`)."""
    lc = m.get("lead_consistency") or {}
    f = []
    res, fit, spread = lc.get("einthoven_residual"), lc.get("einthoven_fit") or {}, lc.get("lead_range_spread")
    lim = _c("lead_consistency", "einthoven_max_residual")
    if res is not None and res > lim:
        f.append(Finding("LIMB_LEADS_INCONSISTENT",
                         f"The limb leads do not obey Einthoven's law (II = I + III): lead II differs from I + III by "
                         f"{res:.0%} of its own size and fits {fit.get('I', float('nan')):.2f} x I + "
                         f"{fit.get('III', float('nan')):.2f} x III. They were scaled or filtered one by one, mislabelled, "
                         "or not recorded together: the frontal axis is not reliable.",
                         f"RMS of II - (I + III) > {lim:.0%} of the RMS of II", _src("lead_consistency", "einthoven_max_residual"),
                         {"einthoven_residual": res, "einthoven_fit_I": fit.get("I"), "einthoven_fit_III": fit.get("III")},
                         ["I", "II", "III"], 0.9))
    tol = _c("lead_consistency", "normalized_range_spread")
    if spread is not None and spread <= tol:
        f.append(Finding("LEADS_NORMALIZED",
                         "Every lead spans the same peak-to-peak range: the amplitudes were normalized lead by lead, so "
                         "the millivolt values are not those of the recording and no statement resting on a millivolt "
                         "limit is made. Intervals, rate and rhythm are not affected.",
                         f"peak-to-peak range of every lead within {tol:.0%} of their median (at least 3 leads)",
                         _src("lead_consistency", "normalized_range_spread"), {"lead_range_spread": spread}, [], 0.9))
    return f


# ----------------------------------------------------------------------------------------- rhythm


def atrial_arrhythmia(m: dict) -> str | None:
    """``"AFIB"`` or ``"AFLT"`` where the rhythm criteria find atrial fibrillation or flutter, else None.

    Args:
        m: measurement dict with at least ``rhythm``, ``heart_rate_bpm``, ``confidence``, ``pr_ms``,
            ``axis_deg`` and ``beats`` (as :meth:`ecg.measure.Measurements.to_dict` gives).
    """
    codes = {f.code for f in _rhythm(m)}
    return next((c for c in ("AFIB", "AFLT") if c in codes), None)


def paced_rhythm(rhythm: dict | None) -> bool:
    """True where most beats are paced: ``rhythm["n_paced"] / rhythm["n_beats"]`` at least the
    ``paced.paced_fraction`` of ``criteria.json`` (0.5; AHA/ACC/HRS Part II). ``rhythm`` is the
    ``rhythm`` dict of :class:`ecg.measure.Measurements`; None or no beats gives False."""
    rh = rhythm or {}
    n = rh.get("n_beats") or 0
    return bool(n) and rh.get("n_paced", 0) / n >= _c("paced", "paced_fraction")


def _rhythm(m: dict) -> list[Finding]:
    f: list[Finding] = []
    rh = m.get("rhythm") or {}
    hr = m.get("heart_rate_bpm")
    conf = m.get("confidence", {})
    n = rh.get("n_beats", 0)
    vals = {"heart_rate_bpm": None if hr is None else round(hr, 1)}
    if paced_rhythm(rh):
        pr, pcons = m.get("pr_ms"), rh.get("p_consistency")
        if pr is not None and (pcons is None or pcons >= _c("pr", "min_p_consistency")):
            atria = (f" A P wave precedes each paced QRS at a constant interval ({pr:.0f} ms): the ventricles are "
                     "paced in step with the atria (atrial-sensed or atrial-paced).")
        elif pr is not None:
            atria = (f" A P wave is found {pr:.0f} ms before the paced QRS, but it does not repeat clearly from beat "
                     f"to beat (P consistency {pcons:.2f}): whether the ventricles follow the atria is uncertain.")
        elif rh.get("p_withdrawn") == "PACE" or (rh.get("p_present_fraction") or 0.0) < 0.5:
            atria = (" No P wave stands at a constant interval before the paced QRS complexes: the atrial rhythm "
                     "beneath (sinus P waves dissociated from the paced beats, or atrial fibrillation or flutter) "
                     "is not determined from this record.")
        else:
            atria = ""
        f.append(Finding("PACE", f"Paced rhythm: most QRS complexes follow a pacemaker stimulus.{atria}",
                         f"pacemaker spike before >= {_c('paced', 'paced_fraction'):.0%} of beats (a beat without a "
                         "visible spike counts when its QRS matches the stimulated beats')",
                         _src("paced", "paced_fraction"),
                         {"paced_beats": rh.get("n_paced"), "beats": n, **vals,
                          **({"pr_ms": pr} if pr is not None else {})}, [], 0.8))
        return f + _ectopy(m, False)
    irr = rh.get("irregular_fraction")
    rmssd = rh.get("rmssd_norm")
    pcons = rh.get("p_consistency")
    ppres = rh.get("p_present_fraction", 0.0) or 0.0
    pr = m.get("pr_ms")
    irregular = irr is not None and rmssd is not None and irr >= _c("af", "irregular_fraction_min") and rmssd >= _c("af", "rmssd_norm_min")
    # (a PR withdrawn by measure() because these same criteria found AF/flutter is not evidence)
    no_p = (pr is None and not rh.get("p_withdrawn")) or ppres < 0.5 or (pcons is not None and pcons < _c("af", "p_consistency_max"))
    # weak P: the P window still correlates beat to beat (the previous T wave in it at fast rates,
    # coarse f waves) but holds no P peak above its noise, and the RR between normal beats alone
    # stays irregular (premature beats do not explain the irregularity)
    # (irregular as above: both the share of large successive differences and the normalized RMSSD)
    psnr, irr_nn, rmssd_nn = rh.get("p_snr"), rh.get("irregular_fraction_nn"), rh.get("rmssd_norm_nn")
    weak_p = (not no_p and pcons is not None and pcons < _c("af", "weak_p_consistency_max") and psnr is not None
              and psnr < _c("af", "p_snr_max") and irr_nn is not None and irr_nn >= _c("af", "irregular_fraction_min")
              and rmssd_nn is not None and rmssd_nn >= _c("af", "rmssd_norm_min"))
    ahz, aconc = rh.get("atrial_dominant_hz"), rh.get("atrial_concentration")
    # flutter waves repeat as regularly as P waves do (the P-window correlation stays high), so the
    # regular atrial activity at 210-350/min after QRST cancellation decides, not the P criteria
    flutter = (ahz is not None and aconc is not None and
               _c("flutter", "atrial_hz_min") <= ahz <= _c("flutter", "atrial_hz_max") and aconc >= _c("flutter", "concentration_min"))
    if flutter:
        f.append(Finding("AFLT", f"Atrial flutter: regular atrial waves at about {ahz * 60:.0f}/min without distinct P waves.",
                         f"dominant atrial frequency {_c('flutter', 'atrial_hz_min')}-{_c('flutter', 'atrial_hz_max')} Hz "
                         f"after QRST cancellation, spectral concentration >= {_c('flutter', 'concentration_min')}, no repeating P wave",
                         _src("flutter", "atrial_hz_min"),
                         {"atrial_rate_per_min": round(ahz * 60), "spectral_concentration": round(aconc, 2), **vals}, [], 0.6))
    elif irregular and (no_p or weak_p):
        c = min(1.0, 0.5 + 0.5 * min(irr, 1.0)) * (1.0 if pcons is None else min(1.0, 1.2 - pcons))
        if no_p:
            p_crit = f"no repeating P wave (P-window beat correlation < {_c('af', 'p_consistency_max')})"
        else:
            p_crit = (f"no distinct P wave (P peak < {_c('af', 'p_snr_max')}x its noise, P-window beat correlation "
                      f"< {_c('af', 'weak_p_consistency_max')}) and RR between normal beats irregular")
        f.append(Finding("AFIB", "Atrial fibrillation: irregularly irregular ventricular rhythm without distinct P waves.",
                         f"irregular RR (>= {_c('af', 'irregular_fraction_min'):.0%} of successive RR differences > 8% of mean RR, "
                         f"normalized RMSSD >= {_c('af', 'rmssd_norm_min')}) and {p_crit}",
                         _src("af", "irregular_fraction_min"),
                         {"irregular_fraction": round(irr, 2), "rmssd_norm": round(rmssd, 3),
                          "p_consistency": None if pcons is None else round(pcons, 2),
                          **({} if no_p else {"p_snr": round(psnr, 2), "irregular_fraction_nn": round(irr_nn, 2),
                                              "rmssd_norm_nn": None if rmssd_nn is None else round(rmssd_nn, 3)}), **vals},
                         [], max(0.5, c)))
    elif not no_p and hr is not None:
        p_axis = (m.get("axis_deg") or {}).get("p")
        lo, hi = _c("sinus", "p_axis_min_deg"), _c("sinus", "p_axis_max_deg")
        c_pax = conf.get("axis_deg.p", 1.0)
        weak_pax = p_axis is not None and not lo <= p_axis <= hi and c_pax < _c("sinus", "p_axis_min_confidence")
        sinus_p = p_axis is None or lo <= p_axis <= hi or weak_pax
        if sinus_p:
            rng = rh.get("rr_range_ms")
            brady, tachy = _c("rate", "brady_bpm"), _c("rate", "tachy_bpm")
            c_hr = conf.get("heart_rate_bpm", 0.8)
            pv = {**vals, "pr_ms": pr, "p_axis_deg": p_axis}
            pax_note = (f" The frontal P axis ({p_axis:.0f} deg, outside {lo}..{hi}) is too uncertain (confidence "
                        f"{c_pax:.2f}) to argue against a sinus origin." if weak_pax else "")
            if weak_pax:
                pv["p_axis_confidence"] = c_pax
            if hr < brady:
                f.append(Finding("SBRAD", f"Sinus bradycardia at {hr:.0f}/min.{pax_note}",
                                 f"sinus P waves and rate < {brady}/min", _src("rate", "brady_bpm"), pv, [],
                                 _margin_conf(hr, brady, 3, c_hr)))
            elif hr > tachy:
                f.append(Finding("STACH", f"Sinus tachycardia at {hr:.0f}/min.{pax_note}",
                                 f"sinus P waves and rate > {tachy}/min", _src("rate", "tachy_bpm"), pv, [],
                                 _margin_conf(hr, tachy, 3, c_hr)))
            elif rng is not None and rng > _c("sinus", "arrhythmia_rr_range_ms") and rh.get("n_premature_supraventricular", 0) == 0 \
                    and rh.get("n_premature_ventricular", 0) == 0:
                f.append(Finding("SARRH", f"Sinus arrhythmia: sinus rhythm at {hr:.0f}/min with RR varying by {rng:.0f} ms.{pax_note}",
                                 f"sinus P waves, RR range of sinus beats > {_c('sinus', 'arrhythmia_rr_range_ms')} ms",
                                 _src("sinus", "arrhythmia_rr_range_ms"), {**pv, "rr_range_ms": rng}, [],
                                 _margin_conf(rng, _c("sinus", "arrhythmia_rr_range_ms"), 60, c_hr)))
            else:
                mild = _c("sinus", "mild_arrhythmia_rr_range_ms")
                extra = "" if rng is None or rng <= mild else (
                    f" RR between sinus beats varies by {rng:.0f} ms ("
                    f"{'mild ' if rng <= _c('sinus', 'arrhythmia_rr_range_ms') else ''}sinus arrhythmia).")
                if extra:
                    pv = {**pv, "rr_range_ms": rng}
                f.append(Finding("SR", f"Sinus rhythm at {hr:.0f}/min.{extra}{pax_note}",
                                 f"P wave before every QRS with a constant PR, frontal P axis {lo}..{hi} deg, rate {brady}-{tachy}/min",
                                 _src("rate", "brady_bpm"), pv, [],
                                 min(c_hr, 0.5 + 0.5 * min(1.0, (pcons or 0.5) + 0.2))))
        else:
            # P waves precede the QRS but their frontal axis is not a sinus one: say what was seen
            # rather than nothing, and why it is not called sinus
            f.append(Finding("NONSINUS_P", f"Rhythm at {hr:.0f}/min with a P wave before each QRS, but a frontal P axis of "
                             f"{p_axis:.0f} deg, outside the sinus range: an ectopic atrial rhythm, misplaced limb "
                             "electrodes, or a P wave measured wrongly; not called sinus rhythm.",
                             f"frontal P axis outside {lo}..{hi} deg with P waves present, P-axis confidence "
                             f">= {_c('sinus', 'p_axis_min_confidence')}",
                             _src("sinus", "p_axis_min_deg"), {**vals, "pr_ms": pr, "p_axis_deg": p_axis}, [], 0.4))
    elif hr is not None:
        # no P wave found, and neither the irregularity of AF nor flutter waves: say what was seen
        # and what it may be (Part II's rhythm statements), not nothing
        qrs, wide, tachy = m.get("qrs_ms"), _c("qrs", "complete_bbb_ms"), _c("rate", "tachy_bpm")
        if qrs is None:
            width, maybe = "", "the atrial rhythm and the origin of the QRS complexes are not determined"
        elif qrs < wide and hr > tachy:
            width, maybe = (f" narrow-QRS ({qrs:.0f} ms) tachycardia", "a supraventricular tachycardia (AV nodal or "
                            "AV re-entry, atrial tachycardia, flutter with 2:1 conduction) or sinus tachycardia with "
                            "the P wave hidden in the T wave")
        elif qrs < wide:
            width, maybe = f" narrow-QRS ({qrs:.0f} ms)", ("a junctional rhythm, or sinus rhythm with P waves too "
                                                         "small to see")
        elif hr > tachy:
            width, maybe = (f" wide-QRS ({qrs:.0f} ms) tachycardia", "ventricular tachycardia, or a supraventricular "
                            "tachycardia with bundle branch block or aberrant conduction; needs urgent review")
        else:
            width, maybe = f" wide-QRS ({qrs:.0f} ms)", ("a junctional or ventricular (idioventricular) escape "
                                                       "rhythm, or sinus rhythm with P waves too small to see "
                                                       "conducted with a bundle branch block")
        reg = "Regular" if irr is None or irr < _c("af", "irregular_fraction_min") else "Irregular"
        f.append(Finding("NO_VISIBLE_P", f"{reg}{width} rhythm at {hr:.0f}/min without identifiable P waves: {maybe}.",
                         f"no repeating P wave before the QRS complexes (P found before < 50% of beats or P consistency "
                         f"< {_c('af', 'p_consistency_max')}), RR without the irregularity of atrial fibrillation, no "
                         f"flutter waves; QRS >= {wide} ms is wide, rate > {tachy}/min is a tachycardia",
                         _src("rate", "tachy_bpm") + "; " + _src("qrs", "complete_bbb_ms"),
                         {**vals, "qrs_ms": qrs, "p_present_fraction": round(ppres, 2),
                          "irregular_fraction": None if irr is None else round(irr, 2)}, [], 0.4))
    return f + _ectopy(m, any(x.code in ("AFIB", "AFLT") for x in f))


def _ectopy(m: dict, af: bool) -> list[Finding]:
    from .beats import class_criterion

    f = []
    b = m.get("beats") or {}
    cls, times = b.get("classes", []), b.get("r_peaks_ms", [])
    for code, name, word in (("PVC", "premature_ventricular", "Premature ventricular complexes"),
                             ("PAC", "premature_supraventricular", "Premature atrial (supraventricular) complexes")):
        at = [round(t / 1000.0, 2) for t, c in zip(times, cls) if c == name]
        if at and not (code == "PAC" and af):
            n = len(cls)
            crit = class_criterion(name)
            dur = float(m.get("duration_s") or 0.0)
            shown = ", ".join(clock(t, dur) for t in at[:10]) + (f" and {len(at) - 10} more" if len(at) > 10 else "")
            f.append(Finding(code, f"{word}: {len(at)} of {n} beats, at {shown}.", crit, criteria()["sources"]["AAMI_EC57"],
                             {"count": len(at), "beats": n, "times_s": at[:50]}, [], 0.7))
    return f


# ----------------------------------------------------------------------------------------- conduction


def _pl(m, lead, key):
    v = (m.get("per_lead") or {}).get(lead) or {}
    return v.get(key)


SINUS_CODES = {"SR", "SBRAD", "STACH", "SARRH"}
#: Statements after which the QRS and ST-T are changed by the abnormal ventricular activation
#: itself, so that the Q-wave (UDMI4) and ST-T criteria do not apply as such (Part III, Part VI).
SECONDARY_REPOLARIZATION = {"CLBBB", "PACE"}


def _conduction(m: dict, rhythm: set | None = None) -> list[Finding]:
    f: list[Finding] = []
    conf = m.get("confidence", {})
    pr, qrs = m.get("pr_ms"), m.get("qrs_ms")
    rh = m.get("rhythm") or {}
    sinus = rhythm is None or bool(rhythm & SINUS_CODES)
    if pr is not None and sinus:
        t1, ts = _c("pr", "first_degree_ms"), _c("pr", "short_ms")
        margin, k_u, pmin = _c("pr", "definite_margin_ms"), _c("pr", "uncertainty_factor"), _c("pr", "min_p_consistency")
        c_pr = conf.get("pr_ms", 0.7)
        u = (m.get("uncertainty_ms") or {}).get("pr_ms")
        pcons = rh.get("p_consistency")
        repeating = pcons is None or pcons >= pmin
        # how far the PR must exceed the limit: the measurement tolerance, or k_u times the PR's own
        # uncertainty where that is larger (a measurement without one needs confidence >= 0.5)
        need = margin if u is None else max(margin, k_u * u)
        solid = repeating and (u is not None or c_pr >= 0.5)
        vals = {"pr_ms": pr, "pr_uncertainty_ms": u, "pr_confidence": c_pr,
                "p_consistency": None if pcons is None else round(pcons, 2)}
        if pr > t1 + need and solid:
            f.append(Finding("1AVB", f"First-degree AV block: PR interval {pr:.0f} ms.",
                             f"sinus rhythm, PR > {t1} ms by more than the PR measurement tolerance ({margin} ms) and "
                             f"{k_u:g} times the PR uncertainty, repeating P wave (P consistency >= {pmin})",
                             _src("pr", "first_degree_ms") + "; " + _src("pr", "definite_margin_ms"), vals, [],
                             _margin_conf(pr, t1, max(10.0, u or 10.0), 0.95 if u is not None else c_pr)))
        elif pr > t1:
            if not repeating:
                why = f"the P wave does not repeat clearly beat to beat (P consistency {pcons:.2f})"
            elif not solid:
                why = f"the PR is uncertain (confidence {c_pr:.2f}, no uncertainty in ms given)"
            elif need > margin:
                why = f"the PR is uncertain by about {u:.0f} ms"
            else:
                why = f"within {margin} ms of the limit, the PR measurement tolerance"
            f.append(Finding("BORDERLINE_PR", f"Borderline PR interval {pr:.0f} ms: possible first-degree AV block ({why}).",
                             f"PR > {t1} ms but not by more than {margin} ms and {k_u:g} times its uncertainty, "
                             f"or P consistency < {pmin}",
                             _src("pr", "definite_margin_ms"), vals, [], min(0.5, c_pr)))
        elif pr < ts and repeating and c_pr >= 0.5:
            f.append(Finding("SHORT_PR", f"Short PR interval: {pr:.0f} ms.", f"PR < {ts} ms",
                             _src("pr", "short_ms"), {"pr_ms": pr}, [], _margin_conf(pr, ts, 10, c_pr)))
    if qrs is None or (rhythm is not None and "PACE" in rhythm):
        # a paced QRS is wide by the way the ventricles are stimulated: the bundle branch block and
        # conduction delay criteria (Part III) are for conducted supraventricular beats
        return f
    cq = conf.get("qrs_ms", 0.7)
    full, inc, ivcd = _c("qrs", "complete_bbb_ms"), _c("qrs", "incomplete_bbb_ms"), _c("qrs", "ivcd_ms")
    rbbb = _rbbb_pattern(m)
    lbbb = _lbbb_pattern(m)
    axis = (m.get("axis_deg") or {}).get("qrs")
    vals = {"qrs_ms": qrs}
    wide_vals = {**vals, "rbbb_v1_v2_pattern": rbbb[2].get("rbbb_v1_v2_pattern")}  # (IVCD, borderline QRS)
    if rbbb[0] and lbbb[0]:
        # both patterns: the R peak time > 60 ms in V5-V6 is LBBB's; in RBBB it is normal there
        # (Part III, RBBB criterion 4)
        rbbb = (False,) + rbbb[1:]
    if qrs >= full and rbbb[0]:
        f.append(Finding("CRBBB", f"Complete right bundle branch block: QRS {qrs:.0f} ms with {rbbb[1]}.",
                         f"QRS >= {full} ms; rsr'/rsR'/rSR' or broad R in V1-V2; S wider than R or > "
                         f"{_c('qrs', 'rbbb_terminal_s_ms')} ms in I and V6",
                         _src("qrs", "complete_bbb_ms"), {**vals, **rbbb[2]}, ["V1", "V2", "I", "V6"], _margin_conf(qrs, full, 8, cq)))
    elif qrs >= full and lbbb[0] and _broad_r(lbbb):
        bw = _c("qrs", "lbbb_broad_r_half_width_ms")
        f.append(Finding("CLBBB", f"Complete left bundle branch block: QRS {qrs:.0f} ms with {lbbb[1]}, "
                         f"broad R in I/aVL ({lbbb[2]['r_half_width_i_avl_ms']:.0f} ms at half its height).",
                         f"QRS >= {full} ms; broad R in I, aVL (>= {bw} ms at half its height), V5-V6 without q; "
                         f"R peak time > {_c('qrs', 'lbbb_r_peak_time_ms')} ms in V5-V6; QS or rS in V1",
                         _src("qrs", "complete_bbb_ms"), {**vals, **lbbb[2]}, ["I", "aVL", "V1", "V5", "V6"], _margin_conf(qrs, full, 8, cq)))
    elif inc <= qrs < full and rbbb[0]:
        f.append(Finding("IRBBB", f"Incomplete right bundle branch block: QRS {qrs:.0f} ms with {rbbb[1]}.",
                         f"QRS {inc}-{full - 1} ms with the RBBB pattern in V1-V2", _src("qrs", "incomplete_bbb_ms"),
                         {**vals, **rbbb[2]}, ["V1", "V2"], 0.6))
    elif inc <= qrs < full and lbbb[0]:
        f.append(Finding("ILBBB", f"Incomplete left bundle branch block: QRS {qrs:.0f} ms with {lbbb[1]}.",
                         f"QRS {inc}-{full - 1} ms with R peak time > 60 ms in V5-V6 and no q in I, V5, V6",
                         _src("qrs", "incomplete_bbb_ms"), {**vals, **lbbb[2]}, ["I", "V5", "V6"], 0.55))
    elif qrs > ivcd + _c("qrs", "ivcd_margin_ms"):
        f.append(Finding("IVCD", f"Nonspecific intraventricular conduction delay: QRS {qrs:.0f} ms {_without_bbb(rbbb)}.",
                         f"QRS > {ivcd} ms without the criteria of LBBB or RBBB", _src("qrs", "ivcd_ms"), wide_vals, [],
                         _margin_conf(qrs, ivcd, 8, cq)))
    elif qrs > ivcd:
        mg = _c("qrs", "ivcd_margin_ms")
        f.append(Finding("BORDERLINE_QRS", f"Borderline QRS duration {qrs:.0f} ms {_without_bbb(rbbb)} "
                         "(possible nonspecific intraventricular conduction delay).",
                         f"QRS > {ivcd} ms but not by more than {mg} ms (the QRS measurement tolerance), no LBBB/RBBB criteria",
                         _src("qrs", "ivcd_margin_ms"), wide_vals, [], 0.4))
    with_rbbb = qrs >= full and rbbb[0]
    if axis is not None and (qrs < full or with_rbbb):
        # (RBBB leaves the initial, fascicular part of the QRS and the frontal axis as they are:
        # an axis of -45..-90 deg with RBBB is LAFB as well, a bifascicular block, Part III)
        lafb = _c("qrs", "lafb_axis_deg")
        qr_avl = _starts_qr(m, "aVL")
        if -90 <= axis <= lafb:
            f.append(Finding("LAFB", f"Left anterior fascicular block: QRS axis {axis:.0f} deg, QRS {qrs:.0f} ms"
                             + (" (with the right bundle branch block: bifascicular block)." if with_rbbb else "."),
                             f"frontal QRS axis {lafb} to -90 deg, QRS < {full} ms or with RBBB (qR in aVL supports it)",
                             _src("qrs", "lafb_axis_deg"), {"axis_qrs_deg": axis, "qrs_ms": qrs, "qR_in_aVL": qr_avl},
                             ["aVL", "II", "III", "aVF"],
                             _margin_conf(axis, lafb, 8, (m.get("confidence") or {}).get("axis_deg.qrs", 0.7)) * (1.0 if qr_avl else 0.8)))
        lp = _c("qrs", "lpfb_axis_deg")
        rs_i = (_pl(m, "I", "qrs_morphology") or "").startswith("rS")
        qr_iii = _starts_qr(m, "III")
        if lp < axis <= 180 and rs_i and qr_iii:
            f.append(Finding("LPFB", f"Left posterior fascicular block: QRS axis {axis:.0f} deg with rS in I and qR in III.",
                             f"frontal QRS axis above +{lp} to +180 deg, rS in I, qR in III, QRS < {full} ms or with RBBB "
                             "(exclude right ventricular hypertrophy clinically)",
                             _src("qrs", "lpfb_axis_deg"), {"axis_qrs_deg": axis, "qrs_ms": qrs}, ["I", "aVL", "III", "aVF"], 0.5))
    return f


def _rbbb_pattern(m) -> tuple[bool, str, dict]:
    """RBBB morphology, AHA/ACC/HRS Part III (Surawicz 2009), criteria 2 and 3 of complete RBBB:
    rsr', rsR' or rSR' in V1 or V2 with the R' wider than the initial R (or, for a QRS >= 120 ms,
    a broad monophasic or notched R in V1), and an S wave of greater duration than the R wave or
    longer than 40 ms in both I and V6."""
    rp, which = False, ""
    s_lim = _c("qrs", "rbbb_terminal_s_ms")
    for lead in ("V1", "V2"):
        mo = _pl(m, lead, "qrs_morphology") or ""
        rd, rpd = _pl(m, lead, "r_dur_ms"), _pl(m, lead, "r_prime_dur_ms")
        if rd is not None and rpd is not None and rpd > rd:
            rp, which = True, f"{mo} in {lead} (R' {rpd:.0f} ms wider than R {rd:.0f} ms)"
            break
    if not rp:
        mo = _pl(m, "V1", "qrs_morphology") or ""
        r1, s1 = _pl(m, "V1", "r_amp_mv") or 0.0, abs(_pl(m, "V1", "s_amp_mv") or 0.0)
        if mo in ("R", "qR", "QR", "Rs", "qRs") and r1 > s1 and (m.get("qrs_ms") or 0) >= _c("qrs", "complete_bbb_ms"):
            rp, which = True, f"broad dominant R ({mo}) in V1"

    def wide_s(lead):
        rd, sd = _pl(m, lead, "r_dur_ms"), _pl(m, lead, "s_dur_ms")
        return sd is not None and (sd > s_lim or (rd is not None and sd > rd))

    s_ok = wide_s("I") and wide_s("V6")
    ok = rp and s_ok
    vals = {"V1_morphology": _pl(m, "V1", "qrs_morphology"), "V2_morphology": _pl(m, "V2", "qrs_morphology"),
            "S_dur_I_ms": _pl(m, "I", "s_dur_ms"), "S_dur_V6_ms": _pl(m, "V6", "s_dur_ms"),
            "rbbb_v1_v2_pattern": which if rp else None, "rbbb_terminal_s": s_ok}
    return ok, which + (f", S wider than R or > {s_lim} ms in I and V6" if ok else ""), vals


def _starts_qr(m: dict, lead: str) -> bool:
    """The lead's QRS morphology begins with a q or Q followed by an r or R (qR, QR, qr, qRs...)."""
    return (_pl(m, lead, "qrs_morphology") or "").lower().startswith("qr")


def _without_bbb(rbbb: tuple[bool, str, dict]) -> str:
    """How a wide QRS without bundle branch block criteria reads: with the V1-V2 half of the RBBB
    pattern but not the terminal S in I and V6 (Part III needs both, for incomplete RBBB too), or
    without a bundle branch block pattern."""
    half = rbbb[2].get("rbbb_v1_v2_pattern")
    if half and not rbbb[2].get("rbbb_terminal_s"):
        return (f"with {half} but not the S wave wider than R or > {_c('qrs', 'rbbb_terminal_s_ms')} ms in I and V6 "
                "that right bundle branch block also needs")
    return "without a bundle branch block pattern"


def _broad_r(lbbb: tuple[bool, str, dict]) -> bool:
    """Part III's "broad notched or slurred R wave in leads I, aVL, V5 and V6" of complete LBBB,
    read in I and aVL (V5-V6 may show an RS complex from a displaced transition): the wider R of
    the two is at least ``qrs.lbbb_broad_r_half_width_ms`` wide at half its height. The tall,
    narrow lateral R of left ventricular hypertrophy with a long R peak time does not meet it."""
    w = lbbb[2].get("r_half_width_i_avl_ms")
    return w is not None and w >= _c("qrs", "lbbb_broad_r_half_width_ms")


def _lbbb_pattern(m) -> tuple[bool, str, dict]:
    """LBBB morphology, AHA/ACC/HRS Part III: broad R in I, aVL, V5, V6 (here: QRS net positive in
    I and V6), absent q in I, V5 and V6, R peak time > 60 ms in V5 and V6 (in V6 alone where V5
    shows an RS complex: Part III's "occasional RS pattern in V5 and V6 attributed to displaced
    transition"), and a negative QRS (QS or rS) in V1; no RBBB terminal S."""
    v1 = _pl(m, "V1", "qrs_morphology") or ""
    v1_neg = v1 in ("QS", "rS", "rs", "Qr", "qrS", "QRs") or (_pl(m, "V1", "qrs_polarity") == "negative")
    no_q = all((_pl(m, ld, "q_amp_mv") or 0) > -0.05 for ld in ("I", "V5", "V6") if _pl(m, ld, "q_amp_mv") is not None)
    rpt = [(_pl(m, ld, "r_peak_time_ms")) for ld in ("V5", "V6")]
    rpt = [v for v in rpt if v is not None]
    late = len(rpt) == 2 and min(rpt) > _c("qrs", "lbbb_r_peak_time_ms")
    if not late and len(rpt) == 2 and rpt[1] > _c("qrs", "lbbb_r_peak_time_ms"):
        # Part III allows "an occasional RS pattern in V5 and V6 attributed to displaced transition":
        # an RS complex in V5 (S at least as deep as R is tall) does not need the late R there
        r5, s5 = _pl(m, "V5", "r_amp_mv"), _pl(m, "V5", "s_amp_mv")
        late = r5 is not None and s5 is not None and -s5 >= r5
    pos_lat = (_pl(m, "I", "qrs_polarity") == "positive") and (_pl(m, "V6", "qrs_polarity") in ("positive", "isoelectric"))
    ok = v1_neg and no_q and pos_lat and late
    widths = [w for w in (_pl(m, ld, "r_half_width_ms") for ld in ("I", "aVL")) if w is not None]
    broad = max(widths, default=None)
    return ok, f"{v1 or 'negative QRS'} in V1, no q in I/V5/V6, R peak time {min(rpt) if rpt else 'n/a'}-{max(rpt) if rpt else 'n/a'} ms in V5-V6", \
        {"V1_morphology": v1, "r_peak_time_v5_v6_ms": rpt or None, "r_half_width_i_avl_ms": broad}


# ----------------------------------------------------------------------------------------- axis


def _axis(m: dict) -> list[Finding]:
    f = []
    ax = (m.get("axis_deg") or {}).get("qrs")
    if ax is None:
        return f
    lo, hi = _c("axis", "normal_min_deg"), _c("axis", "normal_max_deg")
    c = (m.get("confidence") or {}).get("axis_deg.qrs", 0.7)
    if -90 <= ax < lo:
        text = f"Left axis deviation: frontal QRS axis {ax:.0f} deg."
        lafb = _c("qrs", "lafb_axis_deg")
        qrs = m.get("qrs_ms")
        inferior_rs = (all((_pl(m, ld, "qrs_polarity") or "") == "negative" for ld in ("III", "aVF"))
                       and (_pl(m, "II", "qrs_polarity") or "") != "positive")
        if (ax > lafb and _starts_qr(m, "aVL") and inferior_rs
                and qrs is not None and qrs < _c("qrs", "complete_bbb_ms")):
            # what many readers call left anterior fascicular block, short of Part III's axis limit
            text += (f" The QRS has the shape of left anterior fascicular block (qR in aVL, negative in III and aVF, "
                     f"not positive in II), but the axis is not beyond {lafb} deg, which AHA Part III requires for it.")
        f.append(Finding("LAD", text, f"QRS axis between {lo} and -90 deg",
                         _src("axis", "normal_min_deg"), {"axis_qrs_deg": ax}, [], _margin_conf(ax, lo, 8, c)))
    elif hi < ax <= 180:
        f.append(Finding("RAD", f"Right axis deviation: frontal QRS axis {ax:.0f} deg.", f"QRS axis between {hi} and 180 deg",
                         _src("axis", "normal_max_deg"), {"axis_qrs_deg": ax}, [], _margin_conf(ax, hi, 8, c)))
    elif -180 < ax < -90:
        f.append(Finding("NW_AXIS", f"Extreme (north-west) axis: frontal QRS axis {ax:.0f} deg.", "QRS axis between -90 and -180 deg",
                         _src("axis", "normal_min_deg"), {"axis_qrs_deg": ax}, [], 0.6 * c + 0.2))
    return f


# ----------------------------------------------------------------------------------------- hypertrophy / voltage


def _hypertrophy(m: dict, sex, age=None, stated: set | None = None) -> list[Finding]:
    """LVH by voltage criteria (Sokolow-Lyon, Cornell, R(aVL); AHA Part V) and low QRS voltage.

    Met voltage criteria are stated as LVH only where they apply: Sokolow-Lyon from age
    ``sokolow_lyon_min_age_y`` (when the age is known), the aVL-based criteria not with LAFB, and
    none with complete LBBB (:data:`criteria` ``lvh``); otherwise they are stated as voltage
    criteria only (``VCLVH``, PTB-XL's code for it), with the reason."""
    f = []
    stated = stated or set()
    v = m.get("voltages") or {}
    sl, co = v.get("sokolow_lyon_mv"), v.get("cornell_mv")
    ravl = _pl(m, "aVL", "r_amp_mv")
    hits, vals, why_not = [], {}, []
    young = age is not None and age < _c("lvh", "sokolow_lyon_min_age_y")
    lafb = "LAFB" in stated and _c("lvh", "no_avl_criteria_with_lafb")
    lbbb = "CLBBB" in stated and _c("lvh", "no_voltage_lvh_with_lbbb")
    applies = {}
    if sl is not None and sl > _c("lvh", "sokolow_lyon_mv"):
        hits.append(f"Sokolow-Lyon {sl:.2f} mV > {_c('lvh', 'sokolow_lyon_mv')} mV")
        vals["sokolow_lyon_mv"] = sl
        applies["Sokolow-Lyon"] = not young
        if young:
            why_not.append(f"Sokolow-Lyon is not reliable below age {_c('lvh', 'sokolow_lyon_min_age_y')} (age {age:.0f})")
    if co is not None:
        thr = _c("lvh", "cornell_female_mv") if sex == "F" else _c("lvh", "cornell_male_mv")
        if co > thr:
            hits.append(f"Cornell {co:.2f} mV > {thr} mV ({'women' if sex == 'F' else 'men' if sex == 'M' else 'sex unknown: male limit'})")
            vals["cornell_mv"] = co
            applies["Cornell"] = not lafb
    if ravl is not None and ravl > _c("lvh", "ravl_mv"):
        hits.append(f"R(aVL) {ravl:.2f} mV > {_c('lvh', 'ravl_mv')} mV")
        vals["r_avl_mv"] = ravl
        applies["R(aVL)"] = not lafb
    if lafb and applies.keys() & {"Cornell", "R(aVL)"}:
        why_not.append("criteria using R(aVL) are not reliable with left anterior fascicular block")
    if lbbb:
        applies = {k: False for k in applies}
        why_not = ["complete left bundle branch block changes the QRS voltages itself"]
    src = "; ".join([criteria()["sources"]["SOKOLOW"], criteria()["sources"]["CORNELL"], criteria()["sources"]["AHA_V"]])
    crit = "Sokolow-Lyon S(V1)+R(V5/V6) > 3.5 mV, or Cornell R(aVL)+S(V3) > 2.8 mV (men) / 2.0 mV (women), or R(aVL) > 1.1 mV"
    if any(applies.values()):
        f.append(Finding("LVH", "Left ventricular hypertrophy by voltage criteria (" + "; ".join(hits) + ").",
                         crit, src, vals, ["V1", "V5", "V6", "aVL", "V3"], 0.5 + 0.15 * sum(applies.values())))
    elif hits:
        f.append(Finding("VCLVH", "Voltage criteria for left ventricular hypertrophy are met (" + "; ".join(hits) +
                         "), but not stated as hypertrophy: " + "; ".join(why_not) + ".",
                         crit + f"; Sokolow-Lyon from age {_c('lvh', 'sokolow_lyon_min_age_y')}, no R(aVL) criteria with LAFB, "
                         "none with complete LBBB", src, vals, ["V1", "V5", "V6", "aVL", "V3"], 0.6))
    limb = [_pl(m, ld, "qrs_pp_mv") for ld in ("I", "II", "III", "aVR", "aVL", "aVF")]
    limb = [x for x in limb if x is not None]
    prec = [_pl(m, ld, "qrs_pp_mv") for ld in ("V1", "V2", "V3", "V4", "V5", "V6")]
    prec = [x for x in prec if x is not None]
    tl, tp = _c("low_voltage", "limb_pp_mv"), _c("low_voltage", "precordial_pp_mv")
    low_l = len(limb) >= 3 and max(limb) < tl
    low_p = len(prec) >= 3 and max(prec) < tp
    if low_l or low_p:
        where = " and ".join(w for w, b in (("limb", low_l), ("precordial", low_p)) if b)
        f.append(Finding("LVOLT", f"Low QRS voltage in the {where} leads.",
                         f"QRS peak-to-peak < {tl} mV in every limb lead or < {tp} mV in every precordial lead",
                         _src("low_voltage", "limb_pp_mv"),
                         {"max_limb_qrs_pp_mv": max(limb) if limb else None, "max_precordial_qrs_pp_mv": max(prec) if prec else None},
                         [], 0.7))
    return f


# ----------------------------------------------------------------------------------------- QT


def _qtc_for_the_long_side(m: dict, q: float, form: str, sex) -> tuple[float, str, str, str, dict, float]:
    """The QTc (ms) a prolonged QT is judged on, with its wording, criterion and source.

    A QRS of ``wide_qrs_ms`` or more lengthens the QT without a longer repolarization, so the QTc
    ``q`` is taken with the measured QRS replaced by a normal one (``normal_qrs_*_ms``: the JTc
    kept; J Electrocardiol 2018;51:481). Returns ``(qtc, name, criterion, source, values, c_qrs)``:
    ``values`` holds ``qrs_ms``, ``jt_ms``, ``normal_qrs_ms`` and ``qtc_qrs_adjusted_ms`` (empty for
    a narrow QRS, where the QTc is ``q`` itself), ``c_qrs`` the replaced QRS's confidence (1.0 if none)."""
    name, crit, src = f"{q:.0f} ms ({form.capitalize()})", f"QTc ({form})", _src("qtc", "long_male_ms")
    qrs = m.get("qrs_ms")
    if qrs is None or qrs < (wide := _c("qtc", "wide_qrs_ms")):
        return q, name, crit, src, {}, 1.0
    nq = _c("qtc", "normal_qrs_female_ms") if sex == "F" else _c("qtc", "normal_qrs_male_ms")
    q_long = q - qrs + nq
    adj = {"qrs_ms": qrs, "jt_ms": None if m.get("qt_ms") is None else round(m["qt_ms"] - qrs),
           "normal_qrs_ms": nq, "qtc_qrs_adjusted_ms": round(q_long)}
    name = f"{q_long:.0f} ms with the wide QRS ({qrs:.0f} ms) replaced by a normal one of {nq} ms ({form.capitalize()} {q:.0f} ms)"
    crit = (f"QRS >= {wide} ms: QTc ({form}) - QRS + {nq} ms (the JTc kept, the wide QRS replaced by a normal one, "
            f"{'women' if sex == 'F' else 'men'})")
    src = _src("qtc", "wide_qrs_ms") + "; " + _src("qtc", "normal_qrs_male_ms") + "; " + src
    return q_long, name, crit, src, adj, (m.get("confidence") or {}).get("qrs_ms", 0.7)


def _qt(m: dict, sex) -> list[Finding]:
    f = []
    form = _c("qtc", "formula")
    q = (m.get("qtc_ms") or {}).get(form)
    if q is None:
        return f
    q = float(round(q))  # judged as shown (whole ms), so a QTc shown at a limit is judged at it
    from .measure import LATER_ONLY_PARTS, confidence_without, uncertainty_without

    c = (m.get("confidence") or {}).get("qt_ms", 0.7)
    # flat T waves in some leads can only hide a later T end: they weaken a short QT, not a long one
    c_long = confidence_without((m.get("confidence_evidence") or {}).get("qt_ms"))
    c_long = c if c_long is None else max(c, round(c_long, 3))
    lim = _c("qtc", "long_female_ms") if sex == "F" else _c("qtc", "long_male_ms")
    who = "women" if sex == "F" else "men" if sex == "M" else "sex unknown: the lower (male) limit"
    vals = {f"qtc_{k}_ms": (None if v is None else round(v)) for k, v in (m.get("qtc_ms") or {}).items()}
    vals["qt_ms"] = m.get("qt_ms")
    vals["heart_rate_bpm"] = None if m.get("heart_rate_bpm") is None else round(m["heart_rate_bpm"], 1)
    mg, cmin = _c("qtc", "definite_margin_ms"), _c("qtc", "min_confidence")
    vals["qt_confidence"] = c
    if c_long != c:
        vals["qt_confidence_without_flat_t_leads"] = c_long

    def why(conf):  # why a short QTc is only borderline
        return (f"within {mg} ms of the limit, the QT measurement tolerance" if conf >= cmin
                else f"the QT has low confidence ({conf:.2f}): T end uncertain")

    q_long, name, crit, src, adj, c_qrs = _qtc_for_the_long_side(m, q, form, sex)
    # how far the QTc must exceed the limit: the QT measurement tolerance, or k_u times the QT's own
    # uncertainty where that is larger (the PR rule's; flat-T leads left out of it, as they can only
    # hide a later T end); a QT given without an uncertainty needs confidence >= min_confidence
    k_u, high = _c("qtc", "uncertainty_factor"), _c("qtc", "high_risk_ms")
    ev = (m.get("confidence_evidence") or {}).get("qt_ms") or {}
    parts = ev.get("uncertainty_parts_ms")
    u = uncertainty_without(ev)
    if u is not None:
        vals["qt_uncertainty_ms"] = round(u, 1)
    need = mg if u is None else max(mg, k_u * u)
    solid = u is not None or c_long >= cmin
    beyond = q_long - lim > need or (q_long >= high and (u is None or q_long - k_u * u >= lim))
    if u is None and c_long < cmin:
        doubt = f"the QT has low confidence ({c_long:.2f}): T end uncertain"
    elif need > mg and q_long < high:
        doubt = f"the QT is uncertain by about {u:.0f} ms"
    elif q_long >= high:
        doubt = f"the QT is uncertain by about {u:.0f} ms, more than half its excess over the limit"
    else:
        doubt = f"within {mg} ms of the limit, the QT measurement tolerance"
    flat = " (leads with a T wave too flat to count left out: they can only hide a later T end)" if parts and any(
        parts.get(k) for k in LATER_ONLY_PARTS) else ""
    rule = (f"by more than the QT measurement tolerance ({mg} ms) and {k_u:g} times the QT uncertainty{flat}, or >= "
            f"{high} ms and above the limit by more than {k_u:g} times that uncertainty")
    if beyond and solid:
        sure = "" if c_long >= cmin or u is None else (
            f"; its T end is uncertain by about {u:.0f} ms, but the QTc exceeds the limit by more than {k_u:g} times that")
        f.append(Finding("LONG_QTC", f"Prolonged QTc: {name}{sure}.", f"{crit} >= {lim} ms ({who}) {rule}",
                         src + "; " + _src("qtc", "definite_margin_ms") + "; " + _src("qtc", "uncertainty_factor"),
                         vals | adj, [],
                         _margin_conf(q_long, lim, max(10.0, u or 10.0), min(c_qrs, 0.95 if u is not None else c_long))))
    elif q_long >= lim:
        f.append(Finding("BORDERLINE_QTC", f"Borderline QTc {name}: possibly prolonged ({doubt}).",
                         f"{crit} >= {lim} ms ({who}) but not {rule}",
                         src + "; " + _src("qtc", "definite_margin_ms"), vals | adj, [], min(0.5, c_long, c_qrs)))
    elif q >= lim:
        # the QTc alone would be prolonged: say why it is not called so (only a wide QRS gets here)
        f.append(Finding("QTC_WIDE_QRS", f"QTc {q:.0f} ms ({form.capitalize()}) lengthened by the wide QRS ({adj['qrs_ms']:.0f} ms): "
                         f"with a normal QRS of {adj['normal_qrs_ms']} ms in its place, {q_long:.0f} ms, below the {lim} ms limit ({who}).",
                         f"{crit} < {lim} ms ({who})", src, vals | adj, [], _margin_conf(q_long, lim, 10, min(c_long, c_qrs))))
    elif q <= (short := _c("qtc", "short_ms")):
        # the long side's rule mirrored: a short QTc rests on the QT alone, so it is stated only
        # when it lies below the limit by more than the QT measurement tolerance (QTc <= 360 ms,
        # where the HRS/EHRA/APHRS 2013 consensus starts to diagnose short QT syndrome); a QTc
        # of 361-390 ms (12 of the 200 normal PTB-XL ECGs) is borderline
        if q <= short - mg and c >= cmin:
            f.append(Finding("SHORT_QTC", f"Short QTc: {q:.0f} ms ({form.capitalize()}).",
                             f"QTc ({form}) <= {short} ms by more than the QT measurement tolerance ({mg} ms); "
                             f"QT confidence >= {cmin}",
                             _src("qtc", "short_ms") + "; " + _src("qtc", "definite_margin_ms"), vals, [],
                             _margin_conf(q, short, 10, c)))
        else:
            f.append(Finding("BORDERLINE_SHORT_QTC", f"Borderline QTc {q:.0f} ms ({form.capitalize()}): at or below the "
                             f"{short} ms limit of a short QTc ({why(c)}).",
                             f"QTc ({form}) <= {short} ms but not by more than {mg} ms with QT confidence >= {cmin}",
                             _src("qtc", "short_ms") + "; " + _src("qtc", "definite_margin_ms"), vals, [], min(0.5, c)))
    return f


# ----------------------------------------------------------------------------------------- ST-T, Q


def _contiguous(leads: set[str]) -> list[str]:
    hit = set()
    for a, b in CONTIGUOUS:
        if a in leads and b in leads:
            hit.update((a, b))
    return sorted(hit, key=lambda x: ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6").index(x)
                  if x in ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6") else 99)


def _territories(leads) -> str:
    names = [t for t, ls in TERRITORY.items() if sum(1 for x in leads if x in ls) >= (1 if t in ("septal", "anterior") else 2)]
    return ", ".join(names) if names else "contiguous"


def _st_t(m: dict, sex, age, stated: set | None = None) -> list[Finding]:
    """ST elevation / depression and T inversion (UDMI4 thresholds), or, with LBBB or a paced
    rhythm, whose ST-T segments are displaced opposite to the QRS as a matter of course (AHA Part
    III, Part VI), the Sgarbossa criteria (:func:`_st_t_secondary`)."""
    pl = m.get("per_lead") or {}
    qual = m.get("signal_quality") or {}
    good = {ld for ld, q in qual.items() if q and not q.get("flat") and (q.get("score") or 0) >= 0.3}
    if stated and stated & SECONDARY_REPOLARIZATION:
        return _st_t_secondary(pl, good, "PACE" in stated)
    f = []
    ste, std, tinv = {}, {}, {}
    other = _c("st", "ste_other_mv")
    if sex == "F":
        v23 = _c("st", "ste_v2v3_female_mv")
    elif sex == "M" and age is not None and age < 40:
        v23 = _c("st", "ste_v2v3_male_young_mv")
    else:
        v23 = _c("st", "ste_v2v3_male_40_mv")
    # with voltage LVH the right precordial ST segment rises opposite to the deep S wave as a
    # secondary change; there ST elevation counts only in proportion to the QRS (Armstrong 2012)
    lvh = bool(stated and stated & {"LVH", "VCLVH"})
    ratio = _c("st", "lvh_ste_qrs_ratio")
    secondary = {}
    # with complete RBBB, ST depression and T inversion in the right precordial leads lie opposite
    # to the terminal R' as a matter of course (Part III): secondary there, not ischemia
    rbbb_leads = set(_c("st", "rbbb_secondary_leads")) if stated and "CRBBB" in stated else set()
    rbbb_sec: dict = {}
    k_se = _c("st", "uncertainty_factor")
    clear: dict = {"STE": set(), "STD": set(), "TINV": set()}  # leads past the limit by k_se amplitude SEs

    def past(code: str, ld: str, by: float) -> None:
        if by >= k_se * float(pl[ld].get("amplitude_se_mv") or 0.0):
            clear[code].add(ld)

    for ld, d in pl.items():
        if ld not in good or not d or d.get("st_j_mv") is None or ld == "aVR":
            continue
        j, j60 = d["st_j_mv"], d["st_j60_mv"]
        thr = v23 if ld in ("V2", "V3") else other
        if j >= thr:
            pp = d.get("qrs_pp_mv") or 0.0
            if lvh and ld in ("V1", "V2", "V3") and d.get("qrs_polarity") == "negative" and j < ratio * pp:
                secondary[ld] = j
            else:
                ste[ld] = j
                past("STE", ld, j - thr)
        terminal_r = ld in rbbb_leads and _terminal_positive(d)
        if j <= -_c("st", "std_mv") and j60 is not None and j60 <= j + 0.02:
            if terminal_r:
                rbbb_sec.setdefault(ld, {})["st_j_mv"] = j
            else:
                std[ld] = j
                past("STD", ld, -j - _c("st", "std_mv"))
        t = d.get("t_amp_mv")
        r, s = d.get("r_amp_mv") or 0, abs(d.get("s_amp_mv") or 0)
        if t is not None and t <= -_c("st", "tinv_mv"):
            if terminal_r:
                rbbb_sec.setdefault(ld, {})["t_amp_mv"] = t
            elif r >= 0.3 and r > s:
                tinv[ld] = t
                past("TINV", ld, -t - _c("st", "tinv_mv"))
    for code, hits, word, crit, key in (
        ("STE", ste, "ST elevation", f"J-point elevation >= {v23} mV in V2-V3 ({'women' if sex == 'F' else 'men'}) or >= {other} mV in other leads, in two contiguous leads", "ste_other_mv"),
        ("STD", std, "ST depression", f"horizontal or down-sloping ST depression >= {_c('st', 'std_mv')} mV at the J point in two contiguous leads", "std_mv"),
        ("TINV", tinv, "T-wave inversion", f"T wave inverted > {_c('st', 'tinv_mv')} mV in two contiguous leads with a prominent R wave (R > S)", "tinv_mv"),
    ):
        cont = _contiguous(set(hits))
        if cont:
            where = _territories(cont)
            vals = {f"{('st_j' if code != 'TINV' else 't_amp')}_mv_{ld}": hits[ld] for ld in cont}
            if _contiguous(clear[code] & set(cont)):
                f.append(Finding(code, f"{word} in {', '.join(cont)} ({where}).", crit, _src("st", key), vals, cont,
                                 0.5 + 0.1 * min(4, len(cont))))
            else:
                # no two contiguous leads pass the limit by k_se times their beat-to-beat amplitude
                # standard error: the beats themselves leave the statement in doubt
                vals.update({f"amplitude_se_mv_{ld}": (pl[ld].get("amplitude_se_mv")) for ld in cont})
                f.append(Finding(code, f"Possible {word} in {', '.join(cont)} ({where}): in no two "
                                 f"contiguous leads beyond its limit by {k_se:g} times the level's beat-to-beat standard error.",
                                 f"{crit}; definite when two contiguous leads pass it by {k_se:g} amplitude standard errors",
                                 _src("st", key) + "; " + _src("st", "uncertainty_factor"), vals, cont, 0.4))
    cont = _contiguous(set(secondary) | set(ste))
    held = [ld for ld in cont if ld in secondary]
    if held:
        f.append(Finding("SECONDARY_STT", f"ST elevation in {', '.join(held)} opposite to the deep S wave of left ventricular "
                         f"hypertrophy, under {ratio:.0%} of the QRS amplitude: a secondary repolarization change, "
                         "not stated as ST elevation.",
                         f"with voltage LVH, ST elevation in V1-V3 counts as ST elevation only from {ratio:.0%} of the lead's "
                         "QRS peak-to-nadir amplitude", _src("st", "lvh_ste_qrs_ratio"),
                         {f"st_j_mv_{ld}": secondary[ld] for ld in held} |
                         {f"qrs_pp_mv_{ld}": (pl.get(ld) or {}).get("qrs_pp_mv") for ld in held}, held, 0.6))
    if rbbb_sec:
        leads = [ld for ld in ("V1", "V2", "V3") if ld in rbbb_sec]
        what = " and ".join(w for w, k in (("ST depression", "st_j_mv"), ("T-wave inversion", "t_amp_mv"))
                            if any(k in rbbb_sec[ld] for ld in leads))
        f.append(Finding("SECONDARY_STT", f"{what} in {', '.join(leads)} opposite to the terminal R' of right bundle branch "
                         "block: a secondary repolarization change, not stated as ischemia.",
                         f"with complete RBBB, ST depression >= {_c('st', 'std_mv')} mV or T inversion > {_c('st', 'tinv_mv')} mV "
                         f"in {', '.join(_c('st', 'rbbb_secondary_leads'))} with a positive terminal QRS deflection is secondary",
                         _src("st", "rbbb_secondary_leads"),
                         {f"{k}_{ld}": v for ld in leads for k, v in rbbb_sec[ld].items()}, leads, 0.6))
    return f


def _terminal_positive(d: dict) -> bool:
    """The lead's QRS ends on a positive deflection (its morphology's last wave is an R or r: rsR',
    qR, R), as the right precordial leads do in RBBB."""
    mo = (d or {}).get("qrs_morphology") or ""
    return bool(mo) and mo.rstrip("'")[-1:] in ("R", "r")


#: The leads whose ST depression mirrors ST elevation elsewhere (AHA Part VI): inferior elevation
#: is mirrored in I and aVL, anterior, septal and lateral elevation in II, III and aVF.
RECIPROCAL = ((("II", "III", "aVF"), ("I", "aVL")),
              (("I", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"), ("II", "III", "aVF")))


def _reciprocal_depression(m: dict, out: list[Finding]) -> None:
    """Name reciprocal ST depression in the ST-elevation finding (criteria
    ``st.reciprocal_std_mv``, :data:`RECIPROCAL`): J point at or below the limit in at least one
    lead opposite the elevated ones. It supports acute injury; its absence is not stated."""
    ste = next((f for f in out if f.code == "STE"), None)
    if ste is None or any(f.code in ("CLBBB", "PACE") for f in out):  # (Sgarbossa's elevation: discordance is expected)
        return
    pl = m.get("per_lead") or {}
    lim = _c("st", "reciprocal_std_mv")
    opposite = []
    for elevated, mirror in RECIPROCAL:
        if set(ste.leads) & set(elevated):
            opposite += [ld for ld in mirror if ld not in ste.leads and ld not in opposite]
    dep = {ld: pl[ld]["st_j_mv"] for ld in opposite
           if (pl.get(ld) or {}).get("st_j_mv") is not None and pl[ld]["st_j_mv"] <= -lim}
    if not dep:
        return
    ste.statement = (ste.statement.rstrip(".") + f", with reciprocal ST depression in {', '.join(dep)}, which supports "
                     "acute injury.")
    ste.values.update({f"reciprocal_st_j_mv_{ld}": v for ld, v in dep.items()})
    ste.criterion += f"; reciprocal: J point <= -{lim} mV in a lead opposite the elevated ones"
    ste.source += "; " + _src("st", "reciprocal_std_mv")


#: Findings under which the 3-variable formula was not derived (Smith 2012 exclusions we state).
SMITH_EXCLUDED = {"CLBBB", "CRBBB", "IVCD", "PACE", "LVH", "VCLVH"}


def _anterior_ste_formula(m: dict, out: list[Finding]) -> None:
    """Amend an ST-elevation finding that includes V2, V3 or V4 with Smith's 3-variable formula
    (criteria ``st.smith_3var_*``, Smith 2012): 1.196 x STE 60 ms after the J point in V3 (mm) +
    0.059 x QTc Bazett (ms) - 0.326 x R in V4 (mm), < 23.4 favouring normal-variant ST elevation
    (early repolarization) over a subtle LAD occlusion. Applied only where none of the formula's
    exclusions that we measure holds (``smith_3var_cutoff``'s note); the statement, its values and
    the criterion say what it gave. The ST-elevation finding itself stays."""
    ste = next((f for f in out if f.code == "STE"), None)  # (with LBBB or pacing, Sgarbossa's: excluded below)
    if ste is None or not set(ste.leads) & {"V2", "V3", "V4"}:
        return
    codes = {f.code for f in out}
    pl = m.get("per_lead") or {}
    v3, v4 = pl.get("V3") or {}, pl.get("V4") or {}
    qtcb = (m.get("qtc_ms") or {}).get("bazett")
    why_not = []
    if codes & SMITH_EXCLUDED:
        why_not.append(", ".join(sorted(codes & SMITH_EXCLUDED)))
    if any((pl.get(ld) or {}).get("t_amp_mv") is not None and pl[ld]["t_amp_mv"] <= -_c("st", "tinv_mv")
           for ld in ("V2", "V3", "V4", "V5", "V6")):
        why_not.append("T inversion in V2-V6")
    if any((d or {}).get("st_j_mv") is not None and d["st_j_mv"] > _c("st", "smith_max_ste_mv") for d in pl.values()):
        why_not.append(f"ST elevation > {_c('st', 'smith_max_ste_mv')} mV")
    if any(abs((pl.get(ld) or {}).get("s_amp_mv") or 0.0) < _c("st", "smith_min_s_mv")
           and (pl.get(ld) or {}).get("j_wave_mv") is None for ld in ("V2", "V3")):
        why_not.append("neither an S wave nor a J wave in V2 or V3 (terminal QRS distortion)")
    std = next((f for f in out if f.code == "STD"), None)
    if std is not None and set(std.leads) & {"II", "III", "aVF", "V2", "V3", "V4", "V5", "V6"}:
        why_not.append("ST depression in " + ", ".join(ld for ld in std.leads if ld not in ("I", "aVL", "V1", "aVR")))
    qw = next((f for f in out if f.code in ("QWAVE", "BORDERLINE_QWAVE")), None)
    if qw is not None and set(qw.leads) & {"V2", "V3", "V4"}:
        why_not.append("Q waves in V2-V4")
    if v3.get("st_j60_mv") is None or v4.get("r_amp_mv") is None or qtcb is None:
        why_not.append("STE60 in V3, R in V4 or the QTc not measured")
    if why_not:
        ste.values["smith_3var_not_applied"] = "; ".join(why_not)
        return
    k_ste, k_qtc, k_r = _c("st", "smith_3var_coef")
    cut = _c("st", "smith_3var_cutoff")
    score = k_ste * 10.0 * v3["st_j60_mv"] + k_qtc * qtcb + k_r * 10.0 * v4["r_amp_mv"]
    ste.values.update({"smith_3var": round(score, 1), "st_j60_mv_V3": v3["st_j60_mv"], "r_amp_mv_V4": v4["r_amp_mv"],
                       "qtc_bazett_ms": round(qtcb)})
    if score < cut:
        ste.statement = (ste.statement.rstrip(".") + f"; Smith's 3-variable formula gives {score:.1f} (< {cut}), which favours "
                         "normal-variant ST elevation (early repolarization) over a subtle anterior occlusion. It does not "
                         "exclude one: compare with symptoms and prior or serial ECGs.")
    else:
        ste.statement = (ste.statement.rstrip(".") + f"; Smith's 3-variable formula gives {score:.1f} (>= {cut}), which favours "
                         "a subtle anterior (LAD) occlusion over normal-variant ST elevation: urgent clinical correlation.")
    ste.criterion += (f"; then {k_ste:g} x STE60(V3, mm) + {k_qtc:g} x QTc Bazett (ms) - {-k_r:g} x R(V4, mm) < {cut} "
                      "favours normal-variant ST elevation (ST convexity and LV aneurysm not assessed)")
    ste.source += "; " + _src("st", "smith_3var_cutoff")


def _st_t_secondary(pl: dict, good: set, paced: bool) -> list[Finding]:
    """ST changes on a QRS widened by LBBB or ventricular pacing: only those concordant with the
    QRS count (Sgarbossa criteria 1 and 2: ST elevation >= 1 mm in a lead with a positive QRS;
    ST depression >= 1 mm in V1-V3); the discordant rest is stated as secondary."""
    cause = "ventricular pacing" if paced else "left bundle branch block"
    lim = _c("st", "sgarbossa_mv")
    elev = {ld: d["st_j_mv"] for ld, d in pl.items() if ld in good and d and d.get("st_j_mv") is not None
            and d.get("qrs_polarity") == "positive" and d["st_j_mv"] >= lim}
    dep = {ld: d["st_j_mv"] for ld, d in pl.items() if ld in good and ld in ("V1", "V2", "V3") and d
           and d.get("st_j_mv") is not None and d["st_j_mv"] <= -lim}
    f = []
    for code, hits, what in (("STE", elev, "ST elevation concordant with the QRS"),
                             ("STD", dep, "ST depression in V1-V3 concordant with the QRS")):
        if hits:
            f.append(Finding(code, f"{what} despite {cause}, in {', '.join(hits)}: suspicious of acute ischemia.",
                             f"Sgarbossa criterion: {'ST elevation >= ' + str(lim) + ' mV in a lead with a positive QRS' if code == 'STE' else 'ST depression >= ' + str(lim) + ' mV in V1, V2 or V3'}",
                             _src("st", "sgarbossa_mv"), {f"st_j_mv_{ld}": v for ld, v in hits.items()}, list(hits), 0.6))
    if not f:
        # the values behind "not met": the highest J point among the leads with a positive QRS and
        # the lowest in V1-V3 (mV), each short of the limit
        pos = [d["st_j_mv"] for ld, d in pl.items() if ld in good and d and d.get("st_j_mv") is not None
               and d.get("qrs_polarity") == "positive"]
        v13 = [d["st_j_mv"] for ld, d in pl.items() if ld in good and ld in ("V1", "V2", "V3") and d
               and d.get("st_j_mv") is not None]
        f.append(Finding("SECONDARY_STT", f"ST-T changes secondary to {cause} (displaced opposite to the QRS); "
                         "no concordant ST change (Sgarbossa criteria not met).",
                         "with LBBB or ventricular pacing the ST-T segment is expected to be discordant; "
                         f"only concordant ST elevation >= {lim} mV or ST depression >= {lim} mV in V1-V3 is reported",
                         _src("st", "sgarbossa_mv"),
                         {"max_st_j_mv_positive_qrs": max(pos) if pos else None, "min_st_j_mv_V1_V3": min(v13) if v13 else None},
                         [], 0.6))
    return f


def _q_waves(m: dict, stated: set | None = None) -> list[Finding]:
    """Pathological Q waves (UDMI4 criteria of prior MI), in two contiguous leads; V1 counts
    beside a Q wave in V2 (both in UDMI4's V1-V6 grouping) with a QS or a Q of ``other_dur_ms``.

    Not stated with LBBB or a paced rhythm, where the Q-wave criteria do not apply (UDMI4, ECG in
    conduction disturbances and pacing). A Q wave only up to ``definite_margin_ms`` beyond the
    duration limit (within the QRS-onset measurement error) makes a BORDERLINE_QWAVE ("possible")
    statement unless two contiguous leads pass beyond the margin or show QS complexes.
    """
    if stated and stated & SECONDARY_REPOLARIZATION:
        return []
    pl = m.get("per_lead") or {}
    hits, solid = {}, set()
    d23, dot, dep = _c("q_wave", "v2v3_dur_ms"), _c("q_wave", "other_dur_ms"), _c("q_wave", "other_depth_mv")
    margin = _c("q_wave", "definite_margin_ms")
    for ld, d in pl.items():
        if not d or d.get("q_dur_ms") is None or ld in ("aVR", "V1"):
            continue
        qs = d.get("qrs_morphology") == "QS"
        lim = d23 if ld in ("V2", "V3") else dot
        deep = ld in ("V2", "V3") or (d.get("q_amp_mv") or 0) <= -dep
        if (d["q_dur_ms"] >= lim and deep) or (qs and ld != "III"):
            hits[ld] = d["q_dur_ms"]
            if qs or d["q_dur_ms"] >= lim + margin:
                solid.add(ld)
    if "V2" in hits and "V3" not in hits and (pl.get("V2") or {}).get("qrs_morphology") == "QS":
        hits.pop("V2")
        solid.discard("V2")
    # V1 is in UDMI4's V1-V6 grouping but in neither of its Q-wave lead lists (a QS in V1 alone is
    # common in normal hearts): it counts only as the contiguous partner of a Q wave in V2, with a
    # QS complex or a Q wave as long as the other leads' limit (the septal pattern of PTB-XL 199,
    # 307, 492, coded anteroseptal infarction, with no other Q-wave lead)
    v1 = pl.get("V1") or {}
    if "V2" in hits and v1.get("q_dur_ms") is not None and (v1["q_dur_ms"] >= dot or v1.get("qrs_morphology") == "QS"):
        hits["V1"] = v1["q_dur_ms"]
        if "V2" in solid and (v1.get("qrs_morphology") == "QS" or v1["q_dur_ms"] >= dot + margin):
            solid.add("V1")
    cont = _contiguous(set(hits))
    if not cont:
        return []
    rule = (f"Q >= {d23} ms or QS in V2-V3; Q >= {dot} ms and >= {dep} mV deep or QS in I, II, aVL, aVF, V4-V6; "
            f"Q >= {dot} ms or QS in V1 beside a Q wave in V2; two contiguous leads")
    vals = {f"q_dur_ms_{ld}": hits[ld] for ld in cont}
    if _contiguous(solid):
        return [Finding("QWAVE", f"Pathological Q waves in {', '.join(cont)} ({_territories(cont)}).", rule,
                        _src("q_wave", "other_dur_ms"), vals, cont, 0.6)]
    return [Finding("BORDERLINE_QWAVE", f"Possible pathological Q waves in {', '.join(cont)} ({_territories(cont)}): "
                    f"their duration is within {margin:g} ms of the limit, inside the error of measuring the QRS onset.",
                    f"{rule}; not by more than {margin:g} ms in two contiguous leads",
                    _src("q_wave", "definite_margin_ms"), vals, cont, 0.4)]


# ----------------------------------------------------------------------------------------- technical


def _reduced_leads(m: dict) -> list[Finding]:
    """Fewer than the 12 standard leads: the global intervals of a 12-lead ECG take the earliest
    onset and latest offset across all leads (IEC 60601-2-25), so from fewer leads QRS and QT come
    out shorter, by the amounts our LUDB bench measures for lead II alone and for the limb leads
    (``criteria.json``, ``reduced_leads``); criteria that read the missing leads are not assessed."""
    from .leads import LIMB_LEADS, STANDARD_LEADS

    have = [n for n in STANDARD_LEADS if n in (m.get("leads") or [])]
    if not have or len(have) == len(STANDARD_LEADS):
        return []
    missing = [n for n in STANDARD_LEADS if n not in have]
    # the lead sets the bench measured (their key in criteria.json), and how the statement names them
    if len(have) == 1:
        key, kind, ref = "single_lead", "one lead", "lead II alone"
    elif set(have) == set(LIMB_LEADS):
        key, kind, ref = "limb_leads", "the limb leads", "the limb leads alone"
    else:
        key, kind, ref = None, f"{len(have)} leads", None
    q = None if key is None else _c("reduced_leads", f"{key}_qrs_bias_ms")
    t = None if key is None else _c("reduced_leads", f"{key}_qt_bias_ms")
    src = _src("reduced_leads", f"{key or 'limb_leads'}_qrs_bias_ms")
    bias = ("" if q is None else
            f" (on {ref}, our QRS averages {abs(q)} ms and our QT {abs(t)} ms shorter than the 12-lead value)")
    return [Finding("REDUCED_LEADS",
                    f"Measured on {kind} ({', '.join(have)}), not all 12: a 12-lead QRS and QT run from the earliest "
                    f"onset to the latest offset across the leads, so these may be shorter{bias}; criteria that need "
                    f"{', '.join(missing)} are not assessed.",
                    f"fewer than the 12 standard leads ({len(have)} of 12)", src,
                    {"leads": len(have), "qrs_bias_ms": q, "qt_bias_ms": t}, have, 0.9)]


def _pacing_not_assessed(m: dict, stated: set, digitized: bool = False) -> list[Finding]:
    """A wide (or unmeasured) QRS where pacemaker stimuli may not show: recorded below the rate at
    which they are sought, or traced from an image.

    A stimulus lasts under 2 ms (AHA/ACC/HRS Part I, on pacemaker pulse detection); below
    :data:`ecg.beats.PACE_MIN_FS` (400 Hz, our limit) it is not reliably sampled and
    :func:`ecg.beats.pacing_spikes` does not look for it, so a paced rhythm cannot be recognized
    there (PTB-XL 385, paced, read at 100 or 250 Hz: "sinus rhythm, IVCD, Q waves"). On a paper ECG
    it prints as a hairline spike that the digitized trace may not keep (``digitized``: the
    measurements' ``meta``; of PTB-XL 385 and LUDB 95 and 111, paced, rendered at 200 dpi and
    digitized, only 385 kept its stimuli). Stated when the QRS is at least the complete-BBB width
    (Part III, 120 ms) or was not measured: the conduction, ST-T and Q-wave statements then hold
    only if no pacemaker is present."""
    from .beats import PACE_MIN_FS

    fs, qrs = m.get("fs_hz") or 0.0, m.get("qrs_ms")
    wide = _c("qrs", "complete_bbb_ms")
    low_rate = bool(fs) and fs < PACE_MIN_FS
    if not (low_rate or digitized) or (qrs is not None and qrs < wide) or "PACE" in stated:
        return []
    what = f"the wide QRS ({qrs:.0f} ms)" if qrs is not None else "the QRS complexes"
    if low_rate:
        why = (f"this ECG is sampled at {fs:g} Hz, too coarse to show pacemaker stimuli (they are sought from "
               f"{PACE_MIN_FS:g} Hz)")
        crit = f"sampling rate < {PACE_MIN_FS:g} Hz and QRS >= {wide} ms (or not measured)"
    else:
        why = ("this ECG was digitized from an image, and a pacemaker stimulus, a hairline spike on paper, may not "
               "survive in the traced signal")
        crit = f"signal digitized from an image, no stimulus found, and QRS >= {wide} ms (or not measured)"
    return [Finding("PACING_NOT_ASSESSED",
                    f"Pacing not assessed: {why}. If the patient has a pacemaker, "
                    f"{what} may be paced, and the conduction, ST-T and Q-wave statements would not apply.",
                    crit, criteria()["sources"]["AHA_I"] + " (pacemaker pulse detection); " + _src("qrs", "complete_bbb_ms"),
                    {"fs_hz": fs, "qrs_ms": qrs, "digitized": digitized}, [], 0.9)]


#: Names of the limb-electrode swaps :func:`_reversal` can recognize.
REVERSAL_NAMES = {"LA/RA": "left arm / right arm", "RA/LL": "right arm / left leg"}


def _reflect(angle: float, c: float) -> float:
    """``c - angle`` wrapped to -180..180 (deg): the frontal angle after swapping two limb electrodes."""
    return float((c - angle + 180.0) % 360.0 - 180.0)


def arm_reversal_pattern(per_lead: dict) -> bool:
    """The lead I / aVR pattern of a left/right arm swap (Batchvarov et al. 2007): P (below
    -0.03 mV) and QRS negative in lead I with an upright QRS in aVR. ``per_lead``: the
    ``per_lead`` dict of the measurements."""
    i, avr = per_lead.get("I") or {}, per_lead.get("aVR") or {}
    return i.get("qrs_polarity") == "negative" and (i.get("p_amp_mv") or 0) < -0.03 and avr.get("qrs_polarity") == "positive"


def _reversal(m: dict) -> Finding | None:
    """Suspected limb-electrode reversal (``LIMB_REVERSAL``): LA/RA from the P, QRS and T axes or
    the lead I / aVR pattern, RA/LL from the axes (``criteria.json`` ``reversal``)."""
    ax = m.get("axis_deg") or {}
    p, q, t = ax.get("p"), ax.get("qrs"), ax.get("t")
    ranges = {"P": (_c("sinus", "p_axis_min_deg"), _c("sinus", "p_axis_max_deg")),
              "QRS": (_c("axis", "normal_min_deg"), _c("axis", "normal_max_deg")),
              "T": (_c("reversal", "t_axis_min_deg"), _c("reversal", "t_axis_max_deg"))}
    inside = lambda a, w: ranges[w][0] <= a <= ranges[w][1]  # noqa: E731
    if p is not None and q is not None and t is not None:
        for kind, c in _c("reversal", "reflection_deg").items():
            axes = {"P": p, "QRS": q, "T": t}
            back = {w: _reflect(a, c) for w, a in axes.items()}
            if all(not inside(a, w) and inside(back[w], w) for w, a in axes.items()):
                shown = ", ".join(f"{w} {a:+.0f}" for w, a in axes.items())
                undone = ", ".join(f"{w} {a:+.0f}" for w, a in back.items())
                extra = (" Dextrocardia gives the same limb-lead pattern; it also reverses the precordial R-wave "
                         "progression." if kind == "LA/RA" else "")
                return Finding(
                    "LIMB_REVERSAL",
                    f"Suspected {REVERSAL_NAMES[kind]} electrode reversal: the P, QRS and T axes ({shown} deg) are all "
                    f"abnormal and all become normal with those electrodes swapped back ({undone} deg). The axis and "
                    f"the limb-lead statements are unreliable; repeat the ECG with the electrodes checked.{extra}",
                    f"P axis outside {ranges['P'][0]}..{ranges['P'][1]}, QRS axis outside {ranges['QRS'][0]}.."
                    f"{ranges['QRS'][1]}, T axis outside {ranges['T'][0]}..{ranges['T'][1]} deg, and each inside its "
                    f"range after the {kind} swap is undone (angle a -> {c} - a)",
                    _src("reversal", "reflection_deg"),
                    {"reversal": kind, "p_axis_deg": p, "qrs_axis_deg": q, "t_axis_deg": t,
                     **{f"{w.lower()}_axis_swapped_back_deg": round(a) for w, a in back.items()}}, list(LIMB_LEADS), 0.7)
    pl = m.get("per_lead") or {}
    i, avr = pl.get("I") or {}, pl.get("aVR") or {}
    if arm_reversal_pattern(pl):
        # (a right arm / left leg swap can give this pattern too: lead I then reads -III and aVR reads aVF;
        # requiring an upright P in II to tell them apart lost more LA/RA swaps than it named right)
        return Finding("LIMB_REVERSAL",
                       "Suspected limb-electrode reversal, most likely left arm / right arm (a right arm / left leg "
                       "swap can look alike): P and QRS negative in lead I, QRS positive in aVR. The axis and the "
                       "limb-lead statements are unreliable; repeat the ECG with the electrodes checked. Dextrocardia "
                       "gives the same limb-lead pattern; it also reverses the precordial R-wave progression.",
                       "inverted P and QRS in lead I with upright QRS in aVR (LA/RA reversal pattern)",
                       criteria()["sources"]["BATCHVAROV"],
                       {"reversal": "LA/RA", "p_amp_I_mv": i.get("p_amp_mv"), "qrs_polarity_I": i.get("qrs_polarity"),
                        "qrs_polarity_aVR": avr.get("qrs_polarity")}, ["I", "aVR"], 0.6)
    return None


def _technical(m: dict, stated: set, digitized: bool = False) -> list[Finding]:
    f = _lead_consistency(m)
    rev = _reversal(m)
    if rev is not None:
        f.append(rev)
    f += _pacing_not_assessed(m, stated, digitized)
    f += _reduced_leads(m)
    q = m.get("signal_quality") or {}
    thr = _c("quality", "poor_score")
    bad = [ld for ld, v in q.items() if v and (v.get("flat") or (v.get("score") or 0) < thr)]
    if bad:
        why = {ld: q[ld].get("reason") for ld in bad}
        f.append(Finding("POOR_QUALITY", f"Poor signal quality in leads {', '.join(bad)}; measurements there are unreliable.",
                         f"lead quality score < {thr} (median-beat SNR) or flat line", _src("quality", "poor_score"),
                         {f"quality_{ld}": q[ld].get("score") for ld in bad} | {f"reason_{ld}": why[ld] for ld in bad}, bad, 0.8))
    return f
