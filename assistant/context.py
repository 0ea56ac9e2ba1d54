"""The grounding context of one answer: measured facts, findings, similar cases and knowledge.

Everything the LLM may say comes from here, and every number it writes is checked against
:meth:`Context.allowed_numbers`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ecg.beats import PACE_MIN_FS
from ecg.interpret import criteria
from ecg.leads import STANDARD_LEADS
from ecg.measure import confidence_without
from ecg.record import clock, span

from .hedging import is_low
from .knowledge import Snippet


@dataclass(frozen=True)
class Fact:
    """One measured value with its citation tag, e.g. key ``qtc_bazett``, tag ``[QTc 452 ms, Bazett]``."""

    key: str
    label: str
    value: float
    unit: str
    tag: str
    confidence: float | None = None

    @property
    def text(self) -> str:
        value = f"{self.value:.2f}" if self.unit == "mV" else fmt(self.value)  # amplitudes to 0.01 mV
        return f"{self.label}: {value} {self.unit}".strip()


def fmt(value: float) -> str:
    """Numbers as shown to the user: integers for ms, bpm and degrees (the precision of a clinical printout)."""
    return str(int(round(value)))


_SCALARS = [
    ("heart_rate", "heart_rate_bpm", "Heart rate", "bpm", "HR {} bpm"),
    ("rr", "rr_ms", "RR interval", "ms", "RR {} ms"),
    ("p_duration", "p_duration_ms", "P duration", "ms", "P {} ms"),
    ("pr", "pr_ms", "PR interval", "ms", "PR {} ms"),
    ("qrs", "qrs_ms", "QRS duration", "ms", "QRS {} ms"),
    ("qt", "qt_ms", "QT interval", "ms", "QT {} ms"),
]
#: Machine measurements a digitized page may print: (key, label, unit, short name for the tag).
PRINTED = [
    ("vent_rate_bpm", "Printed ventricular rate", "bpm", "rate"),
    ("pr_ms", "Printed PR interval", "ms", "PR"),
    ("qrs_ms", "Printed QRS duration", "ms", "QRS"),
    ("qt_ms", "Printed QT interval", "ms", "QT"),
    ("qtc_ms", "Printed QTc", "ms", "QTc"),
    ("qrs_axis_deg", "Printed QRS axis", "degrees", "QRS axis"),
]
QTC_FORMULAS = ("bazett", "fridericia", "framingham", "hodges")
#: The voltages of the LVH criteria (mV): key, name, where in ``Measurements.to_dict()``, short
#: name for the tag, and the ``criteria.json`` ``lvh`` limits the prompt gives beside it.
VOLTAGES = (("sokolow_lyon", "Sokolow-Lyon voltage (S in V1 plus the taller R in V5 or V6)", ("voltages", "sokolow_lyon_mv"),
             "Sokolow-Lyon", ("sokolow_lyon_mv",)),
            ("cornell", "Cornell voltage (R in aVL plus S in V3)", ("voltages", "cornell_mv"), "Cornell",
             ("cornell_male_mv", "cornell_female_mv")),
            ("r_avl", "R-wave amplitude in aVL", ("per_lead", "aVL", "r_amp_mv"), "R aVL", ("ravl_mv",)))


#: The measurements whose reason for being null the prompt gives (``null_reasons`` keys).
NULL_NAMES = {"heart_rate_bpm": "heart rate", "p_duration_ms": "P duration", "pr_ms": "PR interval",
              "qrs_ms": "QRS duration", "qt_ms": "QT interval", "axis_deg.qrs": "QRS axis",
              "voltages.sokolow_lyon_mv": "Sokolow-Lyon voltage", "voltages.cornell_mv": "Cornell voltage"}
LIMB_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF")
PRECORDIAL_LEADS = ("V1", "V2", "V3", "V4", "V5", "V6")
#: Whom a sex-specific limit is for, as the prompt names it.
LIMIT_WHO = {"cornell_male_mv": " in men", "cornell_female_mv": " in women"}

#: The named components of an interval's uncertainty (``Measurements.confidence_evidence``), in words.
UNCERTAINTY_PARTS = {
    "split_half": "the median beats of the odd and of the even beats differ on its two fiducials by",
    "qrs_onset_threshold_spread": "the QRS onset moves with its detection threshold, which adds",
    "p_onset_threshold_spread": "the P onset moves with its detection threshold, which adds",
    "t_end_dispersion": "the leads disagree on where the T wave ends, which adds",
    "flat_t_leads": "some leads have a T wave too flat to show its end, which adds",
    "sampling": "the sampling step adds",
    "reduced_lead_set": "fewer than the 12 standard leads were recorded (on LUDB such a lead set errs by that much more), which adds",
}
#: The same components in a few words, for the app's measurement table.
UNCERTAINTY_SHORT = {"split_half": "odd vs even beats", "qrs_onset_threshold_spread": "QRS onset vs threshold",
                     "p_onset_threshold_spread": "P onset vs threshold", "t_end_dispersion": "T ends across leads",
                     "flat_t_leads": "flat T leads", "sampling": "sampling", "reduced_lead_set": "fewer leads"}
UNCERTAINTY_NAMES = {"p_duration_ms": "P duration", "pr_ms": "PR interval", "qrs_ms": "QRS duration",
                     "qt_ms": "QT interval"}


def evidence_text(ev: dict) -> str:
    """One interval's ``confidence_evidence`` entry in words, e.g. "the median beats of ... by 4 ms; ...;
    signal quality 0.99; confidence 0.5 would mean an uncertainty of 20 ms"."""
    items = sorted((ev.get("uncertainty_parts_ms") or {}).items(), key=lambda kv: -kv[1])  # largest first
    parts = [f"{UNCERTAINTY_PARTS.get(n, n)} {fmt(v)} ms" for n, v in items]
    if ev.get("signal_quality") is not None:
        parts.append(f"signal quality {ev['signal_quality']:.2f} (of 1)")
    if ev.get("tolerance_ms") is not None:
        parts.append(f"confidence 0.5 would mean an uncertainty of {fmt(ev['tolerance_ms'])} ms")
    return "; ".join(parts)


def facts_from_measurements(m: dict) -> list[Fact]:
    """Facts for every non-null global measurement in a ``Measurements.to_dict()``, the QRS
    duration of the premature ventricular beats' own median beat where there is one, the longest RR,
    the voltages of the LVH criteria (:data:`VOLTAGES`, mV, as absolute values) and the largest QRS
    peak-to-peak amplitude of the limb and of the precordial leads (mV, the low-voltage criteria)."""
    conf = m.get("confidence") or {}
    facts = []
    for key, mkey, label, unit, tag in _SCALARS:
        v = m.get(mkey)
        if v is not None:
            facts.append(Fact(key, label, float(v), unit, "[" + tag.format(fmt(v)) + "]", conf.get(mkey)))
    for f in QTC_FORMULAS:
        v = (m.get("qtc_ms") or {}).get(f)
        if v is not None:
            facts.append(Fact(f"qtc_{f}", f"QTc ({f.capitalize()})", float(v), "ms",
                              f"[QTc {fmt(v)} ms, {f.capitalize()}]", conf.get(f"qtc_ms.{f}", conf.get("qtc_ms"))))
    pv = (((m.get("fiducials") or {}).get("median_beat") or {}).get("by_class") or {}).get("premature_ventricular")
    if pv and pv.get("qrs_on") is not None and pv.get("qrs_off") is not None:
        v = float(pv["qrs_off"]) - float(pv["qrs_on"])
        facts.append(Fact("pvc_qrs", "QRS duration of the premature ventricular beats", v, "ms",
                          f"[PVC QRS {fmt(v)} ms]", None))
    longest = longest_rr(m)
    if longest is not None:
        facts.append(Fact("rr_longest", "Longest RR interval", longest[0], "ms", f"[longest RR {fmt(longest[0])} ms]", None))
    hidden = longest_obscured_rr(m)
    if hidden is not None:
        facts.append(Fact("rr_obscured", "Longest RR interval hidden by an artefact (not counted as a pause)", hidden[0],
                          "ms", f"[RR under artefact {fmt(hidden[0])} ms]", None))
    for key, label, path, short, _ in VOLTAGES:
        v = m
        for k in path:
            v = (v or {}).get(k)
        if v is not None:
            facts.append(Fact(key, label, abs(float(v)), "mV", f"[{short} {abs(float(v)):.2f} mV]", None))
    for key, group in (("qrs_pp_limb", "limb"), ("qrs_pp_precordial", "precordial")):
        big = largest_qrs(m, group)
        if big is not None:
            v, ld = big
            facts.append(Fact(key, f"Largest QRS peak-to-peak amplitude of the {group} leads (in {ld})", v, "mV",
                              f"[{ld} QRS {v:.2f} mV peak to peak]", None))
    for a in ("p", "qrs", "t"):
        v = (m.get("axis_deg") or {}).get(a)
        if v is not None:
            name = a.upper()
            facts.append(Fact(f"axis_{a}", f"{name} axis", float(v), "degrees",
                              f"[{name} axis {fmt(v)}°]", conf.get(f"axis_deg.{a}")))
    return facts


def largest_qrs(m: dict, group: str) -> tuple[float, str] | None:
    """The largest QRS peak-to-peak amplitude (mV, ``per_lead.qrs_pp_mv``) of the ``"limb"`` or the
    ``"precordial"`` leads, and its lead; None where none of them was measured."""
    leads = LIMB_LEADS if group == "limb" else PRECORDIAL_LEADS
    pp = [(float(v), ld) for ld in leads if (v := ((m.get("per_lead") or {}).get(ld) or {}).get("qrs_pp_mv")) is not None]
    return max(pp) if pp else None


def longest_rr(m: dict) -> tuple[float, float, str | None] | None:
    """The longest RR interval (ms), the time (s) of the beat that ends it and the class of the beat
    that starts it (``beats.classes``: a premature beat's is its compensatory pause): over the whole
    recording for one measured in windows (``long_term.longest_rr_ms``, class None), else from the
    beats' RR series; None without two beats."""
    return _longest(m, hidden=False)


def longest_obscured_rr(m: dict) -> tuple[float, float, str | None] | None:
    """As :func:`longest_rr`, over the RR intervals that an artefact hides instead
    (``beats.rr_obscured``, ``long_term.longest_obscured_rr_ms``; ecg.measure): in every lead the
    tracing leaves its baseline by more than its QRS complexes, so a beat there could not be seen.
    :func:`longest_rr` leaves these out. None where there is none."""
    return _longest(m, hidden=True)


def _longest(m: dict, hidden: bool) -> tuple[float, float, str | None] | None:
    lt = m.get("long_term") or {}
    if lt:
        e = lt.get("longest_obscured_rr_ms" if hidden else "longest_rr_ms")
        return (float(e["value"]), float(e["at_s"]), None) if e else None
    b = m.get("beats") or {}
    rr, t, cls = b.get("rr_ms") or [], b.get("r_peaks_ms") or [], b.get("classes") or []
    if not rr or len(t) != len(rr) + 1:
        return None
    obscured = set(b.get("rr_obscured") or [])
    ks = [i for i in range(len(rr)) if (i in obscured) == hidden]
    if not ks:
        return None
    k = max(ks, key=lambda i: rr[i])
    return float(rr[k]), float(t[k + 1]) / 1000.0, (cls[k] if len(cls) == len(t) else None)


def artefact_stretches(m: dict) -> list[tuple[float, float, int]]:
    """The stretches where no lead shows an ECG (``beats.artefact_s``, ecg.measure), each as
    (start s, end s, number of beats inside, all unclassified there but paced ones, which are not
    counted)."""
    hidden = artefact_beats(m)
    return [(float(a), float(e), sum(1 for t in hidden if a <= t / 1000.0 < e))
            for a, e in ((m.get("beats") or {}).get("artefact_s") or [])]


def artefact_beats(m: dict) -> set[float]:
    """The R-peak times (ms, ``beats.r_peaks_ms``) of the unclassified beats that lie in a
    stretch where no lead shows an ECG (:func:`artefact_stretches`)."""
    b = m.get("beats") or {}
    spans = b.get("artefact_s") or []
    return {t for t, c in zip(b.get("r_peaks_ms") or [], b.get("classes") or [])
            if c == "unclassified" and any(a <= t / 1000.0 < e for a, e in spans)}


def filter_band(m: dict) -> tuple[float, float]:
    """The band-pass (Hz) the measurements ``m`` were made in (``filters.band_hz``;
    :data:`ecg.measure.MEASURE_BAND_HZ` for a measurement dict from before that key)."""
    from ecg.measure import MEASURE_BAND_HZ

    lo, hi = (m.get("filters") or {}).get("band_hz") or MEASURE_BAND_HZ
    return float(lo), float(hi)


def conditioning(m: dict) -> list[str]:
    """What was done to the signal beyond the plain band-pass before it was measured
    (``filters``): the mains frequencies notched out, and the PR-segment spline with the PR-level
    step that called for it; phrases, empty when neither was needed."""
    f = m.get("filters") or {}
    out = [f"a {fmt(hz)} Hz mains hum was notched out" for hz in f.get("mains_notch_hz") or []]
    if f.get("pr_spline") and f.get("pr_wander_mv") is not None:
        out.append(f"the baseline, whose PR-segment level stepped by {f['pr_wander_mv']:.2f} mV from beat to beat, was "
                   "straightened with a spline through the PR segments")
    return out


def hf_noisy_leads(m: dict) -> list[tuple[str, float]]:
    """The recorded leads whose unfiltered trace shows high-frequency noise (muscle tremor, mains),
    with its level in mV (``signal_quality``: ``hf_noise_mv``, ``reason``)."""
    return [(ld, float(v["hf_noise_mv"])) for ld, v in (m.get("signal_quality") or {}).items()
            if v and not v.get("flat") and "high-frequency noise" in (v.get("reason") or "")]


#: A lead named in a question: V1-V6 and aVR/aVL/aVF anywhere, I/II/III after "lead(s)" (or in a
#: list that follows it: "leads II and III"), II and III also after "in", and I after "in" only in a
#: list ("in I and aVL"), since "I" is also a word.
_ONE_LEAD = r"(?:i{1,3}|v[1-6]|av[rlf])\b"
_LEAD_RE = re.compile(rf"\b(v[1-6]|av[rlf])\b|\b(?:leads?|in)\s+({_ONE_LEAD}(?:\s*(?:,|and|or|&)?\s*{_ONE_LEAD})+|(?:ii|iii)\b)"
                      rf"|\bleads?\s+({_ONE_LEAD})", re.I)


def leads_named(question: str) -> list[str]:
    """The standard leads a question names, in the order named ("the QRS in V1" -> ["V1"];
    "leads II and III" -> ["II", "III"]; "a Q wave in III" -> ["III"]); "I" counts as "lead I" or in a
    list after "in" ("in I and aVL"), not as the pronoun."""
    out = []
    for m in _LEAD_RE.finditer(question or ""):
        words = [m.group(1)] if m.group(1) else re.findall(r"i{1,3}|v[1-6]|av[rlf]", m.group(2) or m.group(3), re.I)
        for w in words:
            name = next(n for n in STANDARD_LEADS if n.lower() == w.lower())
            if name not in out:
                out.append(name)
    return out


#: Per-lead intervals of a lead's own median beat (``fiducials.median_beat.per_lead``): key, name,
#: the two fiducials (ms in the median window) that bound it.
LEAD_INTERVALS = (("p_duration", "P duration", "p_on", "p_off"), ("pr", "PR interval", "p_on", "qrs_on"),
                  ("qrs", "QRS duration", "qrs_on", "qrs_off"), ("qt", "QT interval", "qrs_on", "t_off"))


#: Per-lead ST-T amplitudes (``per_lead``, mV): key, name, measurement key, short name for the tag.
LEAD_LEVELS = (("st_j", "J-point level", "st_j_mv", "J"), ("st_j60", "ST level 60 ms after the J point", "st_j60_mv", "ST60"),
               ("t_amp", "T-wave amplitude", "t_amp_mv", "T"), ("q_amp", "Q-wave amplitude", "q_amp_mv", "Q"),
               ("r_amp", "R-wave amplitude", "r_amp_mv", "R"), ("s_amp", "S-wave amplitude", "s_amp_mv", "S"),
               ("r_prime_amp", "R'-wave amplitude", "r_prime_amp_mv", "R'"),
               ("r_first_amp", "amplitude of the first R wave", "r_first_amp_mv", "first R"))
#: Per-lead QRS timings (``per_lead``, ms): key, name, measurement key, short name for the tag.
LEAD_TIMES = (("q_dur", "Q-wave duration", "q_dur_ms", "Q"), ("r_peak_time", "R peak time", "r_peak_time_ms", "R peak time"))


def lead_facts(m: dict, leads: list[str]) -> list[Fact]:
    """Facts for the P duration, PR, QRS and QT (ms) of each named lead's own median beat (key
    ``lead:V1:qrs``, tag ``[V1 QRS 96 ms]``), its Q duration and R peak time (ms), and its J-point
    level, ST level at J+60 ms, T-wave and Q, R, S, R' amplitudes (mV, tag ``[V1 ST60 +0.05 mV]``);
    none for a lead not recorded or a wave it does not show."""
    per = (((m.get("fiducials") or {}).get("median_beat") or {}).get("per_lead") or {})
    out = []
    for lead in leads:
        fd = per.get(lead) or {}
        for key, label, a, b in LEAD_INTERVALS:
            if fd.get(a) is not None and fd.get(b) is not None and fd[b] > fd[a]:
                v = float(fd[b]) - float(fd[a])
                out.append(Fact(f"lead:{lead}:{key}", f"{label} in {lead}", v, "ms",
                                f"[{lead} {label.split()[0]} {fmt(v)} ms]", None))
        pl = (m.get("per_lead") or {}).get(lead) or {}
        for key, label, mkey, short in LEAD_TIMES:
            if pl.get(mkey):  # (0: no such wave)
                v = float(pl[mkey])
                out.append(Fact(f"lead:{lead}:{key}", f"{label} in {lead}", v, "ms", f"[{lead} {short} {fmt(v)} ms]", None))
        for key, label, mkey, short in LEAD_LEVELS:
            if key in ("q_amp", "r_prime_amp") and not pl.get(mkey):
                continue  # no Q wave, no R' wave
            if key == "r_first_amp" and not pl.get("r_prime_amp_mv"):
                continue  # one R wave: the R-wave amplitude is its own
            if pl.get(mkey) is not None:
                v = float(pl[mkey])
                out.append(Fact(f"lead:{lead}:{key}", f"{label} in {lead}", v, "mV", f"[{lead} {short} {v:+.2f} mV]",
                                pl.get("amplitude_confidence")))
    return out


@dataclass
class Context:
    """Everything one answer may rest on.

    Attributes:
        measurements: ``Measurements.to_dict()`` of the ECG.
        findings: list of finding dicts (code, statement, criterion, source, values, leads).
        cases: list of similar-case dicts (``Case.to_dict()``).
        snippets: knowledge entries chosen for the question.
        sex: "M"/"F"/None, for sex-specific limits.
        source: "signal" or "image" (a digitized image is less certain).
        lead_quality: lead -> :class:`assistant.hedging.LeadQuality`.
        printed: machine measurements printed on a digitized page (``vent_rate_bpm``, ``pr_ms``,
            ``qrs_ms``, ``qt_ms``, ``qtc_ms``, ``qrs_axis_deg``...), read by OCR: evidence to compare
            with, never a measurement of ours.
        page_flags: a digitized page's flags (``time_scale_mismatch``, ``grid_in_ink``,
            ``layout_uncertain``): answers they put in doubt say so (:func:`assistant.hedging.page_caution`).
        intents: what the question was routed to (a question about confidence puts the evidence
            behind each interval's confidence into the prompt).
        leads_asked: the standard leads the question names (:func:`leads_named`), and those of the
            conditions in ``topics``: their own median-beat intervals and their per-lead levels and
            amplitudes become facts too (:func:`lead_facts`).
        topics: the conditions the question names that no finding states
            (:func:`assistant.router.not_assessed`).
    """

    measurements: dict
    findings: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    snippets: list[Snippet] = field(default_factory=list)
    sex: str | None = None
    source: str = "signal"
    lead_quality: dict = field(default_factory=dict)
    printed: dict = field(default_factory=dict)
    page_flags: list = field(default_factory=list)
    intents: list = field(default_factory=list)
    leads_asked: list = field(default_factory=list)
    topics: list = field(default_factory=list)

    @property
    def facts(self) -> list[Fact]:
        return facts_from_measurements(self.measurements) + lead_facts(self.measurements, self.leads_asked)

    @property
    def printed_facts(self) -> list[Fact]:
        """The printed machine measurements as facts with ``[printed: ...]`` tags."""
        out = []
        for key, label, unit, short in PRINTED:
            v = self.printed.get(key)
            if v is not None:
                out.append(Fact(key, label, float(v), unit, f"[printed: {short} {fmt(v)} {unit}]"))
        return out

    def printed_fact(self, key: str) -> Fact | None:
        return next((f for f in self.printed_facts if f.key == key), None)

    def fact(self, key: str) -> Fact | None:
        return next((f for f in self.facts if f.key == key), None)

    def case_tag(self, case: dict) -> str:
        return f"[case {case['case_no']}]"

    def render(self) -> str:
        """The context as prompt text: facts with their tags, findings, cases, knowledge."""
        lines = ["Measured on this ECG (tag to cite in brackets):"]
        unc = self.measurements.get("uncertainty_ms") or {}

        ev = self.measurements.get("confidence_evidence") or {}
        c = criteria()

        def about(f: Fact) -> str:  # what the answers quote beside a value: its confidence and uncertainty, limits
            u = unc.get(f"{f.key}_ms")
            parts = ([] if f.confidence is None else [f"confidence {f.confidence:.2f}"]) + (
                [] if u is None else [f"uncertain by about {fmt(u)} ms"])
            if f.key == "qt" and (c_long := confidence_without(ev.get("qt_ms"))) is not None \
                    and f.confidence is not None and c_long > f.confidence:
                parts.append(f"confidence {c_long:.2f} without the leads whose T wave is too flat to show its end")
            if f.key == "heart_rate":
                parts.append(f"bradycardia below {c['rate']['brady_bpm']['value']} bpm and tachycardia above "
                             f"{c['rate']['tachy_bpm']['value']} bpm by the findings' criteria")
            if f.key == "rr_longest":
                lr = longest_rr(self.measurements)
                parts.append(f"ending with the beat at {clock(lr[1], float(self.measurements.get('duration_s') or 0.0))}; "
                             f"a sinus pause lasts more than {c['rate']['pause_s']['value']:g} s by the 2018 "
                             "ACC/AHA/HRS bradycardia guideline")
            if f.key in ("qrs_pp_limb", "qrs_pp_precordial"):
                group = "limb" if f.key == "qrs_pp_limb" else "precordial"
                parts.append(f"low QRS voltage when below {c['low_voltage'][group + '_pp_mv']['value']:g} mV in every "
                             f"{group} lead")
            lvh_limits = next((lims for k, *_, lims in VOLTAGES if k == f.key), None)
            if lvh_limits:
                parts.append("LVH limit " + ", ".join(f"{c['lvh'][k]['value']:g} mV" + LIMIT_WHO.get(k, "")
                                                      for k in lvh_limits))
            if f.key == "axis_p":
                parts.append(f"sinus P axis range {c['sinus']['p_axis_min_deg']['value']} to "
                             f"{c['sinus']['p_axis_max_deg']['value']} degrees")
            return f" ({'; '.join(parts)})" if parts else ""

        lines += [f"- {f.text} {f.tag}" + about(f) for f in self.facts] or ["- nothing could be measured"]
        nr = self.measurements.get("null_reasons") or {}
        unmeasured = [f"{name} ({nr[k]})" for k, name in NULL_NAMES.items() if nr.get(k)]
        if unmeasured:
            lines.append("Not measured: " + "; ".join(unmeasured))
        if self.measurements.get("fs_hz"):
            lines.append(f"Recording: sampled at {self.measurements['fs_hz']:g} Hz; pacemaker stimuli are sought from "
                         f"{PACE_MIN_FS:g} Hz")
        rh = self.measurements.get("rhythm") or {}
        if rh.get("n_beats"):
            kinds = [(rh.get(f"n_{k}") or 0, k.replace("_", " ")) for k in
                     ("normal", "premature_supraventricular", "premature_ventricular", "paced", "unclassified")]
            b = self.measurements.get("beats") or {}
            dur = float(self.measurements.get("duration_s") or 0.0)

            in_art = artefact_beats(self.measurements)

            def at(kind: str) -> str:  # the times of the beats of a non-dominant class, as the answers give them
                ts = [t for t, k in zip(b.get("r_peaks_ms") or [], b.get("classes") or []) if k == kind
                      and t not in in_art]
                more = f" and {len(ts) - 10} more" if len(ts) > 10 else ""
                return "" if kind == "normal" or not ts else " (at " + ", ".join(clock(t / 1000, dur) for t in ts[:10]) + more + ")"
            n_prem = sum(n for n, name in kinds if name.startswith("premature"))
            lines.append(f"Beats [finding: beats]: {rh['n_beats']} detected; "
                         + ", ".join(f"{n} {name}{at(name.replace(' ', '_'))}" for n, name in kinds if n)
                         + (f"; {n_prem} premature in all" if n_prem else ""))
        if self.lead_quality:
            low = [ld for ld in self.lead_quality if is_low(ld, self.lead_quality, self.source)]
            lines.append(f"Lead quality: {len(self.lead_quality)} leads recorded, {len(low)} of low quality"
                         + "".join(f"; {ld} {self.lead_quality[ld].score:.2f} ({self.lead_quality[ld].reason})" for ld in low))
        cond = conditioning(self.measurements)
        if cond or "quality" in self.intents:
            band = filter_band(self.measurements)
            lines.append(f"Signal conditioning [finding: signal quality]: {band[0]:g}-{band[1]:g} Hz band-pass (zero "
                         "phase); " + ("; ".join(cond) if cond else "no mains notch or baseline spline was needed"))
        hf = [f"{ld} {mv:.2f} mV" for ld, mv in hf_noisy_leads(self.measurements)]
        if hf:
            lines.append("High-frequency noise on the unfiltered trace [finding: signal quality]: " + ", ".join(hf))
        art = artefact_stretches(self.measurements)
        if art:
            dur = float(self.measurements.get("duration_s") or 0.0)
            n_art = sum(n for *_, n in art)
            lines.append("Stretches where no lead shows an ECG (artefact), their beats unclassified [finding: signal "
                         "quality]: " + ", ".join(f"{clock(a, dur)}-{clock(b, dur)} ({n} beats)" for a, b, n in art)
                         + f"; {n_art} beats in all, {(rh.get('n_unclassified') or 0) - n_art} unclassified beats elsewhere")
        lt = self.measurements.get("long_term") or {}
        if lt.get("heart_rate_bpm"):
            hr, rr = lt["heart_rate_bpm"], lt.get("longest_rr_ms") or {}
            dur = float(self.measurements.get("duration_s") or 0.0)
            lines.append(f"Long recording ({span(dur)}, {lt['n_windows']} windows of {fmt(lt['window_s'])} s) "
                         "[finding: long-term]:")
            lines.append(f"- window mean rate from {fmt(hr['min'])} bpm (window starting at {clock(hr['min_at_s'], dur)}) "
                         f"to {fmt(hr['max'])} bpm (starting at {clock(hr['max_at_s'], dur)})")
            if rr:
                lines.append(f"- longest RR interval {fmt(rr['value'])} ms, ending at {clock(rr['at_s'], dur)}")
            if hid := lt.get("longest_obscured_rr_ms"):
                lines.append(f"- an RR interval of {fmt(hid['value'])} ms, ending at {clock(hid['at_s'], dur)}, lies "
                             "under an artefact in every lead (not counted as the longest RR: beats there could be hidden)")
            pph = lt.get("premature_per_hour") or {}
            lines.append(f"- premature beats per hour: supraventricular {pph.get('supraventricular')}, "
                         f"ventricular {pph.get('ventricular')}")
        if "confidence" in self.intents:
            lines.append("What each interval's confidence rests on (uncertainty components, ms):")
            lines += [f"- {UNCERTAINTY_NAMES.get(k, k)}: uncertainty about {fmt(unc[k])} ms; " + evidence_text(ev)
                      for k, ev in (self.measurements.get("confidence_evidence") or {}).items() if k in unc]
        if self.printed_facts:
            lines.append("Printed on the page by the recording machine (read from the image; evidence, not verified):")
            lines += [f"- {f.text} {f.tag}" for f in self.printed_facts]
        if self.findings:
            lines.append("Findings from criteria:")
            lines += [f"- {d['statement']} (criterion: {d['criterion']}) [finding: {d['code']}]"
                      + ("" if d.get("confidence") is None else f" (confidence {d['confidence']:.2f})")
                      for d in self.findings]
        if self.cases:
            lines.append("Similar historical cases:")
            for c in self.cases:
                labels = ", ".join(c.get("labels", {}).values()) or "no labels"
                lines.append(f"- {self.case_tag(c)} {c['record_id']}, similarity {c['similarity']:.2f}: {labels}. "
                             f"Report: {c.get('report', '')}")
        if self.snippets:
            lines.append("Clinical knowledge:")
            lines += [f"- {s.text} {s.tag}" for s in self.snippets]
        return "\n".join(lines)
