"""Which leads an answer rests on, and whether their quality lets us state it.

A value is only as good as the leads it was measured on. Every answer names the leads it rests
on (:data:`RESTS_ON`); when some of them are of low quality the answer says which and why, and
when too few good leads remain it declines to give the value and says what would help.

Lead quality comes from two places, and the worse one counts:

- the measurement's per-lead signal quality (``signal_quality``, median-beat SNR after Clifford et
  al., Physiol Meas 33:1419, 2012; the poor-quality limit is the one ``ecg.interpret`` reports,
  from ``ecg/criteria.json``);
- for a digitized image, the digitizer's per-lead trace quality (``meta["digitization"]
  ["lead_quality"]`` and ``["lead_quality_reasons"]``): how much of the printed trace was followed
  and how much other ink crowded it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ecg.interpret import criteria
from ecg.leads import LIMB_LEADS
from ecg.quality import MIN_RECORDED_S

#: A digitized lead whose trace quality is below this is low quality (the digitizer gives a reason
#: for every lead below 0.8; below 0.5 less than about half of its trace is trustworthy).
IMAGE_LOW_QUALITY = 0.5
#: A value is declined when fewer than this many of the leads it rests on are of good quality.
MIN_GOOD_LEADS = {"rate": 1, "axis": 3, "global": 3}
#: A value whose confidence is below this is not stated: its evidence disagrees with itself by
#: about three times the IEC 60601-2-25 tolerance or more (see ``ecg.measure.TOL_MS``).
DECLINE_CONFIDENCE = 0.1
#: The measured value each intent states, and its key in ``measurements["confidence"]``.
VALUE_KEY = {"heart_rate": "heart_rate_bpm", "axis": "axis_deg.qrs", "pr": "pr_ms", "p_wave": "p_duration_ms",
             "qrs": "qrs_ms", "qt": "qt_ms"}
#: Which group of leads each intent's values rest on.
RESTS_ON = {
    "heart_rate": "rate", "rhythm": "rate", "extra_beats": "rate", "pause": "rate", "pacing": "rate",
    "axis": "axis",
    "pr": "global", "p_wave": "global", "qrs": "global", "qt": "global", "qt_method": "global", "intervals": "global", "summary": "global",
    "lvh": "global", "st": "global", "amplitudes": "global", "low_voltage": "global", "teach": "global",
}
_WHAT = {"rate": "the rhythm leads", "axis": "the limb leads", "global": "the leads measured"}
_VALUE = {"heart_rate": "heart rate", "rhythm": "rhythm", "extra_beats": "beat classification",
          "pause": "RR intervals", "pacing": "pacing assessment", "amplitudes": "QRS amplitudes", "axis": "QRS axis",
          "pr": "PR interval", "p_wave": "P wave", "qrs": "QRS duration", "qt": "QT interval", "qt_method": "QT interval", "intervals": "intervals",
          "summary": "interpretation", "lvh": "voltage criteria", "st": "ST-segment assessment",
          "low_voltage": "QRS voltage", "teach": "walk-through"}


@dataclass(frozen=True)
class LeadQuality:
    """Quality of one lead: ``score`` 0..1 (the worse of signal and trace quality), ``reason`` text."""

    score: float
    reason: str
    recorded_s: float | None = None


def merge_lead_quality(measurements: dict, digitization: dict | None = None) -> dict[str, LeadQuality]:
    """Per-lead quality from the measurement (and, for an image, the digitizer), the worse one counting.

    Args:
        measurements: ``Measurements.to_dict()``.
        digitization: ``ECG.meta["digitization"]`` of a digitized image, or None.

    Returns:
        lead name -> :class:`LeadQuality`, for every lead in the measurement.
    """
    sig = measurements.get("signal_quality") or {}
    img_q = (digitization or {}).get("lead_quality") or {}
    img_why = (digitization or {}).get("lead_quality_reasons") or {}
    out = {}
    for lead in measurements.get("leads") or list(sig):
        q = sig.get(lead) or {}
        score = float(q.get("score") if q.get("score") is not None else 1.0)
        reason = "" if str(q.get("reason", "ok")).startswith("ok") else str(q.get("reason"))
        if q.get("flat"):
            score = 0.0
        if lead in img_q and float(img_q[lead]) < score:
            score = float(img_q[lead])
            reason = "; ".join(r for r in (str(img_why.get(lead) or "trace quality low"), reason) if r)
        out[lead] = LeadQuality(round(score, 3), reason or "ok", q.get("recorded_s"))
    return out


def is_low(lead: str, quality: dict[str, LeadQuality], source: str) -> bool:
    """True if the lead's quality score (0..1) is below the low-quality limit for ``source`` (see :func:`hedge`)."""
    q = quality.get(lead)
    if q is None:
        return False
    limit = IMAGE_LOW_QUALITY if source == "image" else float(criteria()["quality"]["poor_score"]["value"])
    return q.score < limit


def rests_on(group: str, measurements: dict, quality: dict[str, LeadQuality]) -> list[str]:
    """The leads a group of values rests on, among the leads with a recorded signal.

    ``rate``: the leads recorded over at least half the record (the rhythm strip of a paper ECG),
    or every recorded lead if none; ``axis``: the six limb leads; ``global``: every recorded lead.
    """
    recorded = [ld for ld, q in quality.items() if q.recorded_s is None or q.recorded_s >= MIN_RECORDED_S]
    if group == "axis":
        return [ld for ld in recorded if ld in LIMB_LEADS]
    if group == "rate":
        dur = float(measurements.get("duration_s") or 0)
        long = [ld for ld in recorded if (quality[ld].recorded_s or dur) >= 0.5 * dur]
        return long or recorded
    return recorded


def _why(low: list[str], quality: dict[str, LeadQuality]) -> str:
    """``"I, aVL: flat line (quality 0.00); V2: noise (quality 0.31)"``: leads grouped by reason."""
    groups: dict[str, list[str]] = {}
    for ld in low:
        groups.setdefault(quality[ld].reason, []).append(ld)
    return "; ".join(f"{', '.join(lds)}: {why} (quality {max(quality[ld].score for ld in lds):.2f})"
                     for why, lds in groups.items())


@dataclass(frozen=True)
class Hedge:
    """What the lead quality means for one intent's answer.

    Attributes:
        decline: True if too few good leads remain to give the value.
        text: the sentence to add (empty if every lead it rests on is fine).
        low: the low-quality leads it rests on.
    """

    decline: bool
    text: str
    low: tuple[str, ...] = ()


def hedge(intent: str, measurements: dict, quality: dict[str, LeadQuality], source: str) -> Hedge:
    """How the quality of the leads ``intent`` rests on, and the value's own confidence, limit its answer.

    Args:
        intent: a router intent (``"qrs"``, ``"axis"``, ...); intents outside :data:`RESTS_ON` get no hedge.
        measurements: ``Measurements.to_dict()`` (its ``confidence``, ``duration_s``).
        quality: lead -> :class:`LeadQuality` (:func:`merge_lead_quality`).
        source: ``"signal"`` or ``"image"``: the low-quality limit is the findings' poor-quality score
            (``ecg/criteria.json``, after Clifford et al. 2012) for signals, :data:`IMAGE_LOW_QUALITY` for images.

    Returns:
        :class:`Hedge`: declined when the value's confidence is below :data:`DECLINE_CONFIDENCE` or fewer
        than :data:`MIN_GOOD_LEADS` good leads remain; otherwise a caution naming the low-quality leads.
    """
    what = _VALUE.get(intent, intent)
    conf = (measurements.get("confidence") or {}).get(VALUE_KEY.get(intent, ""))
    if conf is not None and conf < DECLINE_CONFIDENCE:
        return Hedge(True, f"I could not measure the {what} reliably on this ECG (confidence {conf:.2f}: the "
                           "onsets and ends found in different beats and leads disagree), so I will not state it. "
                           "Check it by hand on the tracing.")
    group = RESTS_ON.get(intent)
    if group is None or not quality:
        return Hedge(False, "")
    leads = rests_on(group, measurements, quality)
    low = [ld for ld in leads if is_low(ld, quality, source)]
    if not low:
        return Hedge(False, "")
    good = len(leads) - len(low)
    if group == "rate" and good >= len(leads) / 2:
        return Hedge(False, "", tuple(low))  # beats are found on all leads together: a few bad ones do not matter
    why = _why(low, quality)
    better = ("a sharper, flatter photo or scan of the page, or the original signal file" if source == "image"
              else "a new recording with better electrode contact")
    if good < MIN_GOOD_LEADS[group]:
        return Hedge(True, f"I will not state the {what}: it rests on {_WHAT[group]} ({', '.join(leads)}), and "
                           f"{'all' if good == 0 else f'all but {good}'} of them are of low quality ({why}). "
                           f"Check it by hand on the tracing, or give me {better}.", tuple(low))
    return Hedge(False, f"Caution: {len(low)} of the {len(leads)} leads this rests on "
                        f"{'is' if len(low) == 1 else 'are'} of low quality ({why}); the value may be off.",
                 tuple(low))


#: Page-level flags of a digitized image (``meta["digitization"]["page_flags"]``) -> the intents whose
#: answers they put in doubt, and why.
PAGE_FLAG_CAUTION = {
    "time_scale_mismatch": (
        ("heart_rate", "rhythm", "extra_beats", "pr", "qrs", "qt", "intervals", "summary"),
        "the heart rate printed on the page disagrees with the one measured on its traces beyond the tolerance, "
        "so the time scale read from the page (paper speed or grid) may be wrong and every rate and interval "
        "may be off in proportion"),
    "grid_in_ink": (
        ("heart_rate", "rhythm", "extra_beats", "pr", "qrs", "qt", "intervals", "axis", "lvh", "st", "summary"),
        "the grid lines on this page are as dark as the trace, so pieces of the grid may have been followed "
        "as trace and the rate, intervals and amplitudes may be wrong"),
    "layout_uncertain": (
        ("axis", "lvh", "st", "qrs", "summary"),
        "the page's layout could not be determined reliably, so the lead names may be wrong, and with them "
        "every statement about particular leads (axis, ST segments, voltages, bundle branch block)"),
}


def page_caution(intent: str, page_flags: list[str] | tuple[str, ...] | None) -> str:
    """The caution a digitized page's flags add to an answer about ``intent`` ("" if none applies).

    Args:
        intent: a router intent.
        page_flags: ``meta["digitization"]["page_flags"]`` of the image (``time_scale_mismatch``,
            ``grid_in_ink``, ``layout_uncertain``; see :func:`ecg.digitize.digitize`).
    """
    why = [PAGE_FLAG_CAUTION[f][1] for f in (page_flags or ()) if f in PAGE_FLAG_CAUTION
           and intent in PAGE_FLAG_CAUTION[f][0]]
    if not why:
        return ""
    return "Caution about this page: " + "; and ".join(why) + ". Check these values by hand on the page."

