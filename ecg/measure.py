"""ECG measurement engine: rate, intervals, axes, amplitudes, beats, fiducials, quality.

``measure(ecg) -> Measurements``. Pipeline (all at the internal rate of 500 Hz):

1. resample (:func:`ecg.filters.resample`), band-pass 0.5-40 Hz zero phase;
2. beat detection over all usable leads and beat classification (:mod:`ecg.beats`);
3. median beat per lead over the dominant beats, delineated globally and per lead
   (:mod:`ecg.delineate`): global intervals from the earliest onset and latest offset across
   leads, as clinical programs do (IEC 60601-2-25:2011, 201.12.4.4.103);
4. per-lead amplitudes, ST level at J+60 ms, polarities, axes, voltages, signal quality;
5. a confidence per value from named evidence (split-half beat agreement, SNR, lead count);
6. findings from :func:`ecg.interpret.interpret`.

Records longer than 60 s are measured in 60 s windows: beats and classes over the whole
record, intervals as the median over (up to 120 evenly spaced) windows.

Formulas (reported values obey them exactly, computed from the rounded RR and QT):

* heart rate ``HR = 60000 / RR`` with RR the mean of all RR intervals (ms);
* QTc Bazett ``QT / sqrt(RR_s)`` (Bazett, Heart 7:353, 1920); Fridericia ``QT / RR_s ** (1/3)``
  (Fridericia, Acta Med Scand 53:469, 1920); Framingham ``QT + 154 (1 - RR_s)`` (Sagie et al.,
  Am J Cardiol 70:797, 1992); Hodges ``QT + 1.75 (HR - 60)`` (Hodges et al., JACC 1:694, 1983).
* Sokolow-Lyon voltage ``S(V1) + max(R(V5), R(V6))`` (Sokolow & Lyon, Am Heart J 37:161, 1949);
  Cornell voltage ``R(aVL) + S(V3)`` (Casale et al., JACC 6:572, 1985).
* frontal axes: least-squares direction of the net wave areas of the available limb leads on the
  hexaxial reference system (lead angles I 0, II 60, III 120, aVR -150, aVL -30, aVF 90 degrees;
  augmented leads scaled by sqrt(3)/2; Einthoven/Goldberger relations, see Part I, Kligfield 2007).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import beats as _beats
from . import delineate as _dl
from .errors import ECGSignalError
from .filters import WORK_FS, bandpass, fill_nan, mains_hum_hz, mains_notch, resample
from .leads import LIMB_LEADS, STANDARD_LEADS
from .quality import ARTEFACT_DILATE_S, artefact_spans, lead_quality
from .record import ECG, MIN_DURATION_S

#: Accepted sampling rates (Hz). Below 100 Hz QRS onset/offset cannot be located to 10 ms.
MIN_FS, MAX_FS = 100.0, 1000.0
#: Hz: the zero-phase band-pass every measurement is made in (``ecg.filters`` gives the reasons).
MEASURE_BAND_HZ = (0.5, 40.0)
#: Records longer than this are measured in windows of this length (s).
WINDOW_S = 60.0
#: Each window is analysed with this much (s) of the record on either side, and keeps the beats
#: of its own span: a beat at a window's edge then has its RR intervals on both sides (for its
#: class and for the search for a missed beat in a long RR), as every other beat has.
WINDOW_PAD_S = 5.0
#: A lead needs at least this much recorded signal (s) to enter the median beats; a 3x4 paper
#: ECG prints 2.5 s of each lead (the rest is NaN after digitization).
MIN_LEAD_S = 2.0
#: A lead with at least this much recorded signal (s), but less than MIN_LEAD_S, still helps to
#: find the beats (a page cut at its right edge can leave the last column 1.8 s long).
MIN_DETECT_S = 0.5
#: A pacemaker stimulus paces a beat when it comes at most this long (s) before the beat's
#: detection point (a stimulus-to-QRS-peak delay of a wide paced QRS reaches 150-200 ms).
PACE_BEFORE_S = 0.2
#: Where every lead holds one sample value for at least this long (s) at the start or end of a
#: record, the recorder was not recording: all 353 PTB-XL records end with 80-120 ms held at one
#: value, most of them after a step that cuts the last QRS short. A beat whose QRS window reaches
#: into those samples is not classified by its shape (it stays normal; a cut QRS looks like no
#: other). Real signal does not hold every lead to the same value for 20 ms. Our limit.
HELD_END_MIN_S = 0.02
#: At most this many windows are delineated in a long record (evenly spaced).
MAX_DELINEATED_WINDOWS = 120

LEAD_ANGLE_DEG = {"I": 0.0, "II": 60.0, "III": 120.0, "aVR": -150.0, "aVL": -30.0, "aVF": 90.0}
LEAD_GAIN = {"I": 1.0, "II": 1.0, "III": 1.0, "aVR": math.sqrt(3) / 2, "aVL": math.sqrt(3) / 2,
             "aVF": math.sqrt(3) / 2}

#: Tolerances (ms) that map an estimated uncertainty to confidence 0.5 (the IEC 60601-2-25 SD
#: limits: 10 ms for PR and QRS, 30 ms for QT; 12 ms used for P duration).
TOL_MS = {"p_duration_ms": 12.0, "pr_ms": 10.0, "qrs_ms": 10.0, "qt_ms": 20.0}
#: Share of the T-end dispersion (global T end minus the median end of the leads that count for
#: it, ms) added to the QT uncertainty: the latest end may be off by about half of how far it lies
#: beyond the middle of the leads. Checked on the odd LUDB ids (confidence < 0.5 must mean a larger
#: QT error), not set on the even ones.
T_END_DISPERSION_WEIGHT = 0.5
#: Added to the QT uncertainty (ms) for each lead whose T wave does not count for the global T
#: end (smaller than ``ecg.delineate.T_MIN_MV`` or ``T_REL_AMP`` of the largest, or its end not
#: found): the global T end is the latest across the leads, and in a flat T wave the end is not
#: seen, so it may lie later (the annotators of LUDB mark an end in flat T waves too). Chosen on the
#: odd LUDB ids from 0, 1, 2, 3, 4, 5, 6, 8 ms (QT confidence < 0.5 vs >= 0.5, mean |error| against
#: the strict / robust / median-beat strict reference: 24.1 vs 21.9, 12.2 vs 10.1, 17.1 vs 15.3 ms
#: without it; 29.0 vs 16.8, 12.8 vs 8.8, 20.1 vs 12.0 at 4). On the even ids without it 15.0 vs
#: 21.4 (inverted), 12.5 vs 11.5, 13.3 vs 15.8 (inverted); at 4: 20.8 vs 18.5, 16.4 vs 7.9,
#: 16.9 vs 13.7. A single lead's T wave always counts.
T_UNCOUNTED_LEAD_MS = 4.0
#: Share of the QRS-onset threshold spread (how far the onset moves between half and twice its
#: detection threshold, ms; ``ecg.delineate``) added to the QRS uncertainty. Chosen on the odd LUDB
#: ids from 0, 0.25, 0.5, 0.75, 1 (QRS confidence < 0.5 vs >= 0.5, mean |error| against the robust
#: reference: 0.5 gives 9.3 vs 7.9 ms there, 10.0 vs 8.8 on the even ids; without it 6.7 vs 8.1 and
#: 6.0 vs 9.2: the split-half spread alone no longer ranked the QRS error once the QRS walks
#: stopped running through noise). The offset's spread did not separate on the odd ids.
QRS_ON_SPREAD_WEIGHT = 0.5
#: Share of the P-onset threshold spread (how far the P onset moves between half and twice its
#: detection threshold, ms; ``ecg.delineate``) added to the PR and P-duration uncertainties: a low,
#: slowly rising P wave has no sharp onset (PTB-XL 256, 408, 492: P 0.03-0.1 mV, P duration 186-206
#: ms, PR 226-266 ms on ECGs read without AV block). Chosen on the odd LUDB ids from 0, 0.15, 0.2,
#: 0.25, 0.3, 0.5 (PR confidence < 0.5 vs >= 0.5, mean |error| against the robust reference: 11.1
#: vs 5.3 ms without it, 12.4 vs 4.2 at 0.25, 7.0 vs 4.0 at 0.5, where 40 of 59 PRs fall below 0.5);
#: on the even ids PR 9.0 vs 7.4 -> 10.4 vs 6.2 and P duration 6.8 vs 9.6 (inverted) -> 11.6 vs 8.5.
P_ON_SPREAD_WEIGHT = 0.25

#: mV: the median beat is rebuilt on beats with the PR-segment spline (``ecg.delineate.pr_baseline``)
#: subtracted where the PR level steps by more than this from one beat to the next (median over
#: beats and leads). Our threshold: above every LUDB and PTB-XL record here with a P wave (LUDB
#: 0.003-0.026; PTB-XL 0.006-0.038 without a drift annotation, 0.040 at most with one), and below
#: the step that a 0.5 mV 0.3 Hz wander (IEC 60601-2-51's baseline test signal) leaves after the
#: 0.5 Hz high-pass (LUDB: 0.042-0.085, 124 of 128 records with a P wave above it). At 0.03 it
#: also acted on 10 PTB-XL and 3 LUDB records with no wander to speak of and no measurable gain,
#: and lost PTB-XL 50's low P wave (SR read as AFIB). Paced rhythms (no PR segment before a
#: stimulus) and rhythms without a P wave (AF; flutter waves) are left as they are, and so are
#: signals digitized from an image: their PR levels step by 0.06-0.07 mV on phone photos (ecg00027,
#: 28, 30) with the tracing's jitter over a printed lead's 2-3 beats, and with the spline the paper
#: round trip (``bench.digitization --groups roundtrip``) kept PR within 10 ms on 91 % of the
#: pages, 95 % without.
PR_SPLINE_MIN_MV = 0.045

#: ms: the uncertainty a recording with fewer than the 12 standard leads adds to each interval: the
#: RMS error of our interval from that lead set against LUDB's 12-lead robust reference, beyond the
#: 12-lead RMS error (sqrt(rms_set^2 - rms_12^2); ``python -m bench.delineation --leads II`` and
#: ``--leads I,II,III,aVR,aVL,aVF``, 140 records: 12 leads P 11.9, PR 9.2, QRS 11.0, QT 16.2; lead
#: II alone 17.6, 12.3, 18.4, 39.4; the limb leads 14.0, 11.1, 15.0, 26.4). Without it the fewer
#: the leads, the higher the confidence: the T-end dispersion and the flat-T leads of the other
#: leads are not there to add theirs (lead II alone: mean QT confidence 0.77 against 0.52 with
#: all 12, at twice the error). One or two leads take the single-lead figures, three to six the
#: limb-lead ones, seven to eleven the limb-lead ones scaled by sqrt((12 - n) / 6) (our
#: interpolation, the variance falling linearly to 0 at 12 leads).
REDUCED_LEAD_MS = {"single_lead": {"p_duration_ms": 13.0, "pr_ms": 8.2, "qrs_ms": 14.7, "qt_ms": 35.9},
                   "limb_leads": {"p_duration_ms": 7.3, "pr_ms": 6.2, "qrs_ms": 10.2, "qt_ms": 20.8}}


def reduced_lead_uncertainty(leads: list[str]) -> dict[str, float]:
    """The uncertainty (ms per interval, :data:`REDUCED_LEAD_MS`) that measuring on ``leads`` rather
    than the 12 standard leads adds; empty for all 12 (or for leads with no standard name)."""
    n = len(set(leads) & set(STANDARD_LEADS))
    if n == 0 or n >= len(STANDARD_LEADS):
        return {}
    if n <= 2:
        return dict(REDUCED_LEAD_MS["single_lead"])
    k = 1.0 if n <= 6 else math.sqrt((12 - n) / 6.0)
    return {iv: round(v * k, 1) for iv, v in REDUCED_LEAD_MS["limb_leads"].items()}


#: A QRS measured wider than this (ms) is taken as a QRS end that was not found (see
#: :data:`ecg.delineate.QRS_MAX_MS`).
QRS_MAX_MS = _dl.QRS_MAX_MS
#: ms: the split-half spread taken for each P-wave fiducial of a window with fewer than 4 dominant
#: beats (no odd/even halves to compare). A P wave averaged over 2-3 beats keeps their baseline wander
#: and noise: on PTB-XL records cut to their first 2.5 s (every 3rd record, 116 with a P wave) the PR
#: and P duration differ from the full 10 s record's by SD 20-24 and 24-27 ms with 2-3 beats, 6-7 ms
#: with 4, while the uncertainty with the earlier 4 ms per fiducial stayed about 10 ms
FEW_BEATS_P_SPLIT_MS = 16.0

SCALAR_KEYS = ("heart_rate_bpm", "rr_ms", "p_duration_ms", "pr_ms", "qrs_ms", "qt_ms")


@dataclass
class Measurements:
    """Everything :func:`measure` found. ``to_dict()`` gives the JSON-safe view.

    Units: ms for times and intervals (from record start for fiducials and beats), mV for
    amplitudes, degrees (-180..180, frontal plane) for axes, bpm for heart rate.

    ``uncertainty_ms``: for each global interval (p_duration_ms, pr_ms, qrs_ms, qt_ms) its
    estimated measurement uncertainty in ms: the root-sum-square of the split-half differences of
    its two fiducials (median beat of the odd beats vs of the even beats) and a 2 ms sampling
    floor, plus for QRS half the QRS-onset threshold spread, for PR and P duration a quarter of the
    P-onset threshold spread, and for QT half the T-end dispersion among the leads and
    :data:`T_UNCOUNTED_LEAD_MS` for each lead whose T wave is too flat to count (:func:`_intervals`). The
    interval's ``confidence`` is ``1 / (1 + (u / TOL_MS)**2)`` scaled by the signal quality.

    ``confidence_evidence``: for each interval with a confidence, what it was derived from:
    ``uncertainty_parts_ms`` (the named components above, ms: ``split_half``, ``sampling``,
    ``qrs_onset_threshold_spread``, ``p_onset_threshold_spread``, ``t_end_dispersion``,
    ``flat_t_leads``), ``tolerance_ms`` (the uncertainty that maps to 0.5), ``signal_quality`` (0..1, the factor's
    input) and ``windows`` (how many measured windows the median is over).

    ``long_term``: for a record measured in more than one :data:`WINDOW_S` window (longer than
    about 90 s), the summary a Holter reader expects (:func:`_long_term`): ``heart_rate_bpm``
    (``mean`` of all beats, ``min`` / ``max`` of the mean rates of the windows at least half a
    window long, with ``min_at_s`` / ``max_at_s``, the window start), ``longest_rr_ms`` (``value``, ``at_s``: the beat ending it;
    leaving out the RR intervals an artefact hides, whose longest is ``longest_obscured_rr_ms``),
    ``premature_per_hour`` (``supraventricular``, ``ventricular``), ``qtc_bazett_ms`` (``min``,
    ``median``, ``max`` over the delineated windows, each with its own window's RR), and
    ``per_window``: ``start_s``, ``end_s``, ``n_beats``, ``heart_rate_bpm``, the premature beat
    counts, and for delineated windows ``pr_ms``, ``qrs_ms``, ``qt_ms``, ``qtc_bazett_ms``. Empty for
    shorter records.

    ``lead_consistency``: whether the leads relate as leads of one recording do
    (:func:`lead_consistency`): ``einthoven_residual``, ``einthoven_fit``, ``lead_range_spread``,
    ``not_assessed``.

    ``filters``: how the signal was conditioned before it was measured: ``band_hz`` (the
    zero-phase band-pass, :data:`MEASURE_BAND_HZ`), ``mains_notch_hz`` (the mains frequencies notched out
    in some window, where :func:`ecg.filters.mains_hum_hz` found a hum), ``pr_spline`` (the median
    beat shown was built on beats with the PR-segment spline subtracted,
    :data:`PR_SPLINE_MIN_MV`) and ``pr_wander_mv`` (the step of the PR-segment level from one beat
    to the next that decides it, median over beats and leads; None without a P wave).

    Attributes not in ``to_dict()``:
        median_beats: float32 ``(n_leads, 600)``, 500 Hz, 1.2 s window with the QRS alignment
            point at sample 200 (400 ms); NaN rows for leads without one; rows in ``leads`` order.
        rr_series_ms: float ``(n_beats - 1,)`` RR intervals in ms.
    """

    heart_rate_bpm: float | None = None
    rr_ms: float | None = None
    p_duration_ms: float | None = None
    pr_ms: float | None = None
    qrs_ms: float | None = None
    qt_ms: float | None = None
    qtc_ms: dict = field(default_factory=lambda: {"bazett": None, "fridericia": None, "framingham": None, "hodges": None})
    axis_deg: dict = field(default_factory=lambda: {"p": None, "qrs": None, "t": None})
    fs_hz: float = 0.0
    leads: list = field(default_factory=list)
    duration_s: float = 0.0
    confidence: dict = field(default_factory=dict)
    uncertainty_ms: dict = field(default_factory=dict)
    confidence_evidence: dict = field(default_factory=dict)
    long_term: dict = field(default_factory=dict)
    null_reasons: dict = field(default_factory=dict)
    per_lead: dict = field(default_factory=dict)
    voltages: dict = field(default_factory=lambda: {"sokolow_lyon_mv": None, "cornell_mv": None})
    #: ``r_peaks_ms``, ``classes`` (one per beat), ``rr_ms``, ``rr_obscured`` (the indices into
    #: ``rr_ms`` of the long RR intervals an artefact hides in every lead, :func:`_obscured_rr`)
    #: and ``artefact_s`` (``[start_s, end_s]`` stretches where no lead shows an ECG, whose beats
    #: are unclassified: :func:`ecg.quality.artefact_spans`)
    beats: dict = field(default_factory=lambda: {"r_peaks_ms": [], "classes": [], "rr_ms": [], "rr_obscured": [],
                                                 "artefact_s": []})
    rhythm: dict = field(default_factory=dict)
    fiducials: dict = field(default_factory=dict)
    signal_quality: dict = field(default_factory=dict)
    lead_consistency: dict = field(default_factory=dict)
    filters: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    median_beats: np.ndarray | None = field(default=None, repr=False)
    rr_series_ms: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (plain floats/ints/None/str/bool/lists/dicts; NaN -> None)."""
        d = {
            "heart_rate_bpm": self.heart_rate_bpm, "rr_ms": self.rr_ms,
            "p_duration_ms": self.p_duration_ms, "pr_ms": self.pr_ms, "qrs_ms": self.qrs_ms,
            "qt_ms": self.qt_ms, "qtc_ms": self.qtc_ms, "axis_deg": self.axis_deg,
            "fs_hz": self.fs_hz, "leads": self.leads, "duration_s": self.duration_s,
            "confidence": self.confidence, "uncertainty_ms": self.uncertainty_ms,
            "confidence_evidence": self.confidence_evidence, "long_term": self.long_term,
            "null_reasons": self.null_reasons,
            "per_lead": self.per_lead, "voltages": self.voltages, "beats": self.beats,
            "rhythm": self.rhythm, "fiducials": self.fiducials,
            "signal_quality": self.signal_quality, "lead_consistency": self.lead_consistency,
            "filters": self.filters,
            "findings": [f.to_dict() if hasattr(f, "to_dict") else f for f in self.findings],
        }
        return _json_safe(d)


def _json_safe(o):
    if isinstance(o, dict):
        return {str(k): _json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_json_safe(v) for v in o]
    if isinstance(o, np.ndarray):
        return [_json_safe(v) for v in o.tolist()]
    if isinstance(o, (bool, np.bool_)):
        return bool(o)
    if isinstance(o, (int, np.integer)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        f = float(o)
        return f if math.isfinite(f) else None
    return o


# --------------------------------------------------------------------------------------------
# window analysis


@dataclass
class _Window:
    start: int                      # first sample (500 Hz) of the analysed segment in the record
    beats: np.ndarray               # aligned QRS positions, record samples at 500 Hz
    classes: list
    dominant: np.ndarray            # bool per beat
    median: np.ndarray | None = None
    dl: Any = None
    halves: list = field(default_factory=list)
    quality: list = field(default_factory=list)
    noise: np.ndarray | None = None
    n_beats_lead: np.ndarray | None = None  # dominant beats in each lead's median
    rr_dom: float | None = None
    p_consistency: float | None = None
    atrial: dict = field(default_factory=dict)
    dl_other: dict = field(default_factory=dict)  # beat class -> delineation of that class's median beat
                                                  # (ventricular ectopics; paced beats among conducted ones)
    span: tuple | None = None       # (first, end) record samples (500 Hz) whose beats the window
                                    # reports (its segment without the padding); None: all
    artefact: list = field(default_factory=list)  # (first, end) record samples (500 Hz) where no
                                                  # lead shows an ECG (ecg.quality.artefact_spans)
    pr_wander_mv: float | None = None  # median step of the PR-segment level between beats (mV)
    pr_spline: bool = False         # the median beat was built after subtracting the PR spline
    mains_hz: list = field(default_factory=list)  # mains frequencies notched out (Hz)


def _held_ends(raw: np.ndarray, fs_in: float, n500: int) -> np.ndarray:
    """``(n500,)`` booleans at the work rate, True over the samples at either end of ``raw``
    (``(n_leads, n)`` at ``fs_in``) where every lead holds one value for at least
    :data:`HELD_END_MIN_S` (NaN counts as holding)."""
    held = np.zeros(n500, bool)
    if raw.shape[1] < 2:
        return held
    moves = np.flatnonzero(np.nan_to_num(np.abs(np.diff(raw, axis=1)), nan=0.0).max(axis=0) > 0)
    if moves.size == 0:
        return held
    head, tail = int(moves[0]) + 1, int(raw.shape[1] - 1 - moves[-1])   # samples equal to their neighbour
    k = WORK_FS / fs_in
    if head >= HELD_END_MIN_S * fs_in:
        held[:int(np.ceil(head * k))] = True
    if tail >= HELD_END_MIN_S * fs_in:
        held[max(0, n500 - int(np.ceil(tail * k))):] = True
    return held


def _analyze_window(raw: np.ndarray, fs_in: float, start500: int, delineate: bool, usable: np.ndarray,
                    spline: bool = True) -> _Window:
    x500 = resample(raw, fs_in, WORK_FS)
    x500, nan = fill_nan(x500)
    # a mains hum is notched out before the band-pass (what the 40 Hz low-pass leaves of it stays
    # in every beat); the unfiltered copy keeps it for the pacing spikes and the quality indices
    hum = mains_hum_hz(x500, WORK_FS, fs_in)
    xf = bandpass(mains_notch(x500, WORK_FS, hum), WORK_FS, *MEASURE_BAND_HZ)
    ptp = np.array([
        np.percentile(row[~m], 99.5) - np.percentile(row[~m], 0.5) if (~m).sum() > 10 else 0.0
        for row, m in zip(xf, nan)
    ])
    # leads with >= MIN_LEAD_S of signal carry median beats (a 3x4 page prints 2.5 s per lead);
    # beat detection prefers the leads recorded over most of the window
    part = usable & ((~nan).sum(axis=1) >= MIN_LEAD_S * WORK_FS) & (ptp >= 0.05)
    w = part.astype(float)
    w[nan.mean(axis=1) > 0.5] = 0.0
    if not w.any():
        # no lead covers most of the window (a paper page without a rhythm strip): every lead
        # with enough signal to hold a beat helps to find the beats, each during its own span
        w = (part | (((~nan).sum(axis=1) >= MIN_DETECT_S * WORK_FS) & (ptp >= 0.05))).astype(float)
    if not w.any():
        return _Window(start500, np.zeros(0, int), [], np.zeros(0, bool), quality=lead_quality(x500, xf, nan, None, None, WORK_FS, None, fs_in),
                       mains_hz=hum)
    rec = (w[:, None] > 0) & ~nan  # where each lead used for the beats was recorded
    r = _beats.detect_r_peaks(xf, WORK_FS, w, recorded=rec)
    spikes = _beats.pacing_spikes(raw, fs_in)
    if fs_in > WORK_FS:
        # a stimulus recorded, or upsampled, at a high rate through a band limit spreads over
        # several samples, and its second difference at that rate falls below the spike limit
        # (LUDB 111 upsampled to 1000 Hz: 0 of its 15 stimuli found, all at 500 Hz); the 500 Hz
        # copy is searched as well and the two lists joined
        spikes = _beats.merge_spikes(np.concatenate([spikes, _beats.pacing_spikes(x500, WORK_FS)]))
    paced = None
    if spikes.size and r.size:
        # a paced rhythm: a stimulus before (or, where the detector locked onto it, at) most beats
        t_r = r / WORK_FS
        near = np.array([np.any((spikes > tr - PACE_BEFORE_S) & (spikes < tr + 0.02)) for tr in t_r])
        if near.mean() >= 0.3:  # isolated spike-like artefacts are not a paced rhythm
            # blank the stimuli (straight line over +/- 6 ms) so that neither the beat detector
            # nor the delineator takes a spike for a QRS slope, then detect the beats again
            x500 = _dl.blank_spikes(x500, [int(round(t * WORK_FS)) for t in spikes], half=3)
            xf = bandpass(mains_notch(x500, WORK_FS, hum), WORK_FS, *MEASURE_BAND_HZ)
            r = _beats.detect_r_peaks(xf, WORK_FS, w, recorded=rec)
            t_r = r / WORK_FS
            # a beat is paced when a stimulus precedes its detection point, or lies within the
            # blanked +/- 6 ms around it (the detector lands on the paced QRS onset that starts
            # where the blanked stimulus ends)
            paced = np.array([np.any((spikes > tr - PACE_BEFORE_S) & (spikes < tr + 0.006)) for tr in t_r])
            if paced.mean() < 0.3:
                paced = None
    xw = np.where(w[:, None] > 0, xf, 0.0)
    bad = _beats.spurious_detections(r, xw, WORK_FS, recorded=rec)
    if bad.any():  # noise bursts taken for beats: they are not beats (rate, RR, ectopy)
        r = r[~bad]
        if paced is not None:
            paced = paced[~bad]
    held = _held_ends(raw, fs_in, xw.shape[1])
    classes, corr, _ = _beats.classify_beats(r, xw, WORK_FS, paced, recorded=rec & ~held[None, :])
    # a beat inside a stretch where no lead shows an ECG cannot be told apart from the artefact
    # (AAMI EC57 class Q): it is neither a premature beat nor part of the median beats
    spans = artefact_spans(xf, nan, r[np.array(classes, dtype=object) == "normal"], WORK_FS) if r.size else []
    for s0, s1 in spans:
        for j in np.flatnonzero((r >= s0) & (r < s1)):
            if classes[j] != "paced":
                classes[j] = "unclassified"
    cls = np.array(classes, dtype=object)
    if r.size:
        counts = {c: int(np.sum(cls == c)) for c in ("normal", "paced")}
        dom_class = "paced" if counts["paced"] > counts["normal"] else "normal"
        dominant = cls == dom_class
        if dominant.sum() < 1:
            dominant = np.ones(r.size, bool)
    else:
        dominant = np.zeros(0, bool)
        dom_class = "normal"
    xm = np.where(part[:, None] & ~nan, xf, np.nan)
    win = _Window(start500, r, classes, dominant, mains_hz=hum)
    win.artefact = [(s0 + start500, s1 + start500) for s0, s1 in spans]
    stack = None
    pace_at = None
    if r.size:
        med, aligned, stack = _dl.median_beats(xm, r, dominant)
        win.beats = aligned
        if paced is not None and dom_class == "paced":
            pace_at = _pace_in_median(spikes * WORK_FS, aligned[dominant])
        win.median = med
        dom = aligned[dominant]
        rr_d = np.diff(aligned)
        win.rr_dom = float(np.median(rr_d)) if rr_d.size else None
        win.noise, win.n_beats_lead = _median_noise(stack, med)
        if delineate:
            # a lead recorded for part of the window (a paper ECG's 2.5 s) has fewer beats in its
            # median, hence more noise: weight its share of the multi-lead P magnitude by its
            # beat count (inverse-variance weighting; all 1 for a full record)
            n_in = np.isfinite(stack[:, :, _dl.ALIGN]).sum(axis=0).astype(float)
            lw = n_in / max(1.0, float(n_in.max()))
            win.dl = _dl.delineate_median(med, win.rr_dom, win.noise, pace_at, lw)
            if spline and win.dl.p_present and win.dl.qrs_on is not None and pace_at is None:
                # baseline wander the 0.5 Hz high-pass left: subtract the spline through the PR
                # segments and measure again on the median beat of the corrected beats (only where
                # there is an isoelectric PR segment to put the knots on: not in AF or flutter)
                base, win.pr_wander_mv = _dl.pr_baseline(xm, dom, win.dl.qrs_on - _dl.ALIGN, PR_SPLINE_MIN_MV)
                if base is not None:
                    xm = np.where(np.isfinite(base), xm - base, xm)
                    med, _, stack = _dl.median_beats(xm, aligned, dominant, refine=False)
                    win.median = med
                    win.noise, win.n_beats_lead = _median_noise(stack, med)
                    win.dl = _dl.delineate_median(med, win.rr_dom, win.noise, pace_at, lw)
                    win.pr_spline = True
            if dom.size >= 4:
                for half in (0, 1):
                    sel = np.zeros(aligned.size, bool)
                    di = np.flatnonzero(dominant)[half::2]
                    sel[di] = True
                    mh, _, _ = _dl.median_beats(xm, aligned, sel, refine=False)
                    win.halves.append(_dl.delineate_median(mh, win.rr_dom, None, pace_at, lw))
            if win.dl.p_present and stack.shape[0] >= 3:
                win.p_consistency = _p_consistency(stack, med, win.dl)
            # ventricular ectopics, and paced beats among conducted ones (or the reverse), have
            # their own QRS and T: delineate each such class's median beat too
            for c in OWN_MEDIAN_CLASSES:
                sel = cls == c
                if c != dom_class and sel.any():
                    med_c, _, _ = _dl.median_beats(xm, aligned, sel, refine=False)
                    dl_c = _dl.delineate_median(med_c, win.rr_dom, None, None, lw)
                    if dl_c.qrs_on is not None and dl_c.qrs_off is not None and _dl.ms(dl_c.qrs_off - dl_c.qrs_on) <= QRS_MAX_MS:
                        win.dl_other[c] = dl_c
        win.atrial = _atrial_activity(xf, w, aligned, med, win.dl if delineate else None)
    win.quality = lead_quality(x500, xf, nan, stack, win.median, WORK_FS, win.beats, fs_in)
    win.beats = win.beats + start500
    return win


def _median_noise(stack: np.ndarray, med: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Beat-to-beat noise of each lead's median beat: the median over beats of the RMS residual
    from the median (mV; None with fewer than two beats), and the number of beats per lead."""
    noise = None
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if stack.shape[0] >= 2:
                res = stack - med[None]
                noise = np.sqrt(np.nanmedian(np.nanmean(res[:, :, 20:580] ** 2, axis=2), axis=0))
            n_beats = np.isfinite(stack[:, :, _dl.ALIGN]).sum(axis=0)
    return noise, n_beats


def _pace_in_median(spikes500: np.ndarray, beats: np.ndarray) -> int | None:
    """Position of the ventricular pacemaker stimulus in the median-beat window.

    Args:
        spikes500: spike positions (samples at 500 Hz, record time).
        beats: ``(n,)`` alignment points of the dominant (paced) beats, samples at 500 Hz.

    Returns:
        the median over beats of each beat's last spike within :data:`PACE_BEFORE_S` before its
        alignment point, as a sample of the 600-sample window; None if under half the beats
        have one.
    """
    if spikes500.size == 0 or beats.size == 0:
        return None
    v_off = []
    for b in beats:
        rel = spikes500 - b
        near = rel[(rel > -PACE_BEFORE_S * WORK_FS) & (rel < 0)]
        if near.size:
            v_off.append(float(near.max()))
    if len(v_off) < 0.5 * beats.size:
        return None
    return int(round(_dl.ALIGN + np.median(v_off)))


def _p_consistency(stack: np.ndarray, med: np.ndarray, dl) -> float:
    """Mean correlation of each beat's P-wave window with the median beat's (-1..1).

    Sinus P waves repeat beat after beat; in atrial fibrillation the "P window" holds f waves
    that do not correlate with their average.
    """
    a, b = max(0, dl.p_on - 10), min(_dl.N_MEDIAN, dl.p_off + 10)
    ok = np.all(np.isfinite(med[:, a:b]), axis=1)
    m = np.where(ok[:, None], med[:, a:b], 0.0)
    m = m - m.mean(axis=1, keepdims=True)
    cs = []
    for s in stack:
        # leads recorded during this beat only (a paper ECG prints each lead for 2.5 s)
        rows = ok & np.all(np.isfinite(s[:, a:b]), axis=1)
        if not rows.any():
            continue
        y = s[rows, a:b]
        y = y - y.mean(axis=1, keepdims=True)
        mm = m[rows]
        den = np.linalg.norm(y) * np.linalg.norm(mm)
        if den > 0:
            cs.append(float(np.sum(y * mm) / den))
    return float(np.median(cs)) if cs else 0.0


def _atrial_activity(xf, w, beats, med, dl) -> dict:
    """Spectral summary of atrial activity after cancelling the median QRST complex.

    The dominant frequency of the residual in the leads where atrial activity is largest
    (II, III, aVF, V1; here: all usable leads) is 4-9 Hz in atrial fibrillation and a sharp
    peak near 4-6 Hz (240-350/min) in typical flutter (Bollmann et al., Europace 8:911, 2006).
    """
    try:
        n_l, n = xf.shape
        res = np.array(xf, dtype=np.float64, copy=True)
        if med is None or not np.isfinite(med).any():
            return {}
        for b in beats:
            lo, hi = b - _dl.PRE, b + _dl.POST
            a0, a1 = max(0, lo), min(n, hi)
            seg = med[:, a0 - lo: a1 - lo]
            good = np.isfinite(seg)
            res[:, a0:a1] = np.where(good, res[:, a0:a1] - np.nan_to_num(seg), res[:, a0:a1])
        use = np.flatnonzero(w > 0)
        if use.size == 0 or n < 1000:
            return {}
        from scipy.signal import welch

        f, p = welch(res[use], fs=WORK_FS, nperseg=min(n, 1024), axis=-1)
        p = p.sum(axis=0)
        band = (f >= 3.0) & (f <= 10.0)
        if not band.any():
            return {}
        pk = int(np.argmax(np.where(band, p, 0)))
        tot = float(p[(f >= 1.0) & (f <= 20.0)].sum()) + 1e-12
        conc = float(p[max(0, pk - 2): pk + 3].sum() / tot)
        return {"dominant_hz": float(f[pk]), "concentration": conc}
    except Exception:  # never let an auxiliary estimate break a measurement
        return {}


# --------------------------------------------------------------------------------------------
# measure


def measure(ecg: ECG, interpret: bool = True) -> Measurements:
    """Measure an ECG.

    Args:
        ecg: :class:`ecg.record.ECG`; any ``fs`` from 100 to 1000 Hz, 1 to 12 (or more) leads,
            2 s to 24 h. NaN samples are treated as not recorded.
        interpret: also run :func:`ecg.interpret.interpret` and fill ``findings``.

    Returns:
        :class:`Measurements`. Values that cannot be measured are None with a reason in
        ``null_reasons``.

    Raises:
        ECGSignalError: the record is shorter than 2 s, its rate is outside 100-1000 Hz, no lead
            holds a signal, or no heart beat can be found.
    """
    if not isinstance(ecg, ECG):
        raise ECGSignalError(f"measure() needs an ecg.ECG record; got {type(ecg).__name__}. Load one with ecg.load().")
    fs = float(ecg.fs)
    if fs < MIN_FS or fs > MAX_FS:
        raise ECGSignalError(
            f"The sampling rate is {fs:g} Hz; measurements need 100 to 1000 Hz. Resample the record "
            "into that range (500 Hz is standard for diagnostic ECGs)."
        )
    if ecg.duration_s < MIN_DURATION_S:
        raise ECGSignalError(
            f"The record lasts {ecg.duration_s:.2f} s; at least {MIN_DURATION_S:g} s is needed to measure "
            "a heart rate (a standard 12-lead ECG is 10 s)."
        )
    sig = ecg.signal
    finite = np.isfinite(sig)
    usable = finite.sum(axis=1) >= MIN_LEAD_S * fs
    if not usable.any():
        raise ECGSignalError(
            f"No lead holds at least {MIN_LEAD_S:g} s of recorded signal (the samples are missing); nothing can be "
            "measured. A lead needs 2 s or more of samples, a standard ECG has 10 s."
        )
    n_in = sig.shape[1]
    win_in = int(WINDOW_S * fs)
    # no PR spline on a signal traced from an image: its PR levels step with the tracing's jitter
    # over the 2-3 beats of a printed lead, not with a wandering baseline (PR_SPLINE_MIN_MV)
    spline = "digitization" not in ecg.meta
    if n_in <= win_in * 1.5:
        windows = [_analyze_window(sig, fs, 0, True, usable, spline)]
    else:
        starts = list(range(0, n_in - int(2 * fs), win_in))
        n_w = len(starts)
        pick = set(np.unique(np.linspace(0, n_w - 1, min(n_w, MAX_DELINEATED_WINDOWS)).round().astype(int)).tolist())
        windows = []
        for k, s in enumerate(starts):
            e = min(n_in, s + win_in)
            if n_in - e < 2 * fs:
                e = n_in
            pad = int(WINDOW_PAD_S * fs)
            a, b = max(0, s - pad), min(n_in, e + pad)
            win = _analyze_window(sig[:, a:b], fs, int(round(a * WORK_FS / fs)), k in pick, usable, spline)
            win.span = (int(round(s * WORK_FS / fs)), int(round(e * WORK_FS / fs)))
            windows.append(win)
            if e == n_in:
                break
    return _summarize(ecg, windows, interpret)


#: Fewest leads for ``lead_range_spread`` (with one or two, equal ranges say nothing).
EQUAL_RANGE_MIN_LEADS = 3
#: Seconds of the record the Einthoven fit is taken over (enough beats; a 24 h record stays fast).
EINTHOVEN_MAX_S = 60.0


def lead_consistency(ecg: ECG) -> dict:
    """Whether the leads of ``ecg`` relate as the leads of one recording do.

    Returns:
        dict: ``einthoven_residual`` (RMS of II - (I + III) over the RMS of II, band-passed 0.5-40
        Hz, over the first :data:`EINTHOVEN_MAX_S` s where all three are recorded; None without I,
        II and III), ``einthoven_fit`` (``{"I": a, "III": c}``, the least-squares II = a I + c III:
        both 1 in a consistent recording; rescaled leads show as other factors),
        ``lead_range_spread`` (the largest relative difference of a lead's peak-to-peak range over
        the record from the median range of the leads, with at least :data:`EQUAL_RANGE_MIN_LEADS`
        leads: near 0 when the amplitudes were normalized lead by lead) and ``not_assessed`` (why
        the Einthoven check was not made, or None). The limits applied to them are in
        ``criteria.json`` (``lead_consistency``, each with its source; ``ecg.interpret``). A
        digitized image is not assessed: its leads are traced one by one, and tracing errors are
        not a recording fault. Takes an :class:`ecg.record.ECG` (any rate, any leads; NaN where a
        lead was not recorded); raises nothing: what cannot be assessed is None, with the reason in
        ``not_assessed``.
    """
    out = {"einthoven_residual": None, "einthoven_fit": None, "lead_range_spread": None, "not_assessed": None}
    if (ecg.meta or {}).get("source") == "image":
        out["not_assessed"] = "digitized image: its leads are traced one by one"
        return out
    x = ecg.signal  # float32; only the Einthoven span below is taken to float64 (a 24 h record stays uncopied)
    rng = np.array([float(np.nanmax(r)) - float(np.nanmin(r)) if np.isfinite(r).any() else np.nan for r in x])
    ok = np.isfinite(rng) & (rng > 0)
    if ok.sum() >= EQUAL_RANGE_MIN_LEADS:
        med = float(np.median(rng[ok]))
        out["lead_range_spread"] = round(float(np.max(np.abs(rng[ok] - med))) / med, 4)
    if not all(n in ecg.leads for n in ("I", "II", "III")):
        out["not_assessed"] = "Einthoven's law needs leads I, II and III"
        return out
    n = min(x.shape[1], int(EINTHOVEN_MAX_S * ecg.fs))
    lim = np.asarray(x[[ecg.leads.index(k) for k in ("I", "II", "III")], :n], np.float64)
    fin = np.all(np.isfinite(lim), axis=0)
    if fin.sum() < int(2.0 * ecg.fs):
        out["not_assessed"] = "leads I, II and III are recorded together for less than 2 s"
        return out
    y = bandpass(np.where(fin, lim, 0.0), ecg.fs, 0.5, 40.0)[:, fin]
    i_, ii, iii = y
    rms = float(np.sqrt(np.mean(ii ** 2)))
    if rms <= 1e-6:
        out["not_assessed"] = "lead II is flat"
        return out
    out["einthoven_residual"] = round(float(np.sqrt(np.mean((ii - i_ - iii) ** 2))) / rms, 4)
    (a, c), *_ = np.linalg.lstsq(np.c_[i_, iii], ii, rcond=None)
    out["einthoven_fit"] = {"I": round(float(a), 3), "III": round(float(c), 3)}
    return out


def _summarize(ecg: ECG, windows: list[_Window], interpret: bool) -> Measurements:
    leads = list(ecg.leads)
    n_l = len(leads)
    m = Measurements(fs_hz=float(ecg.fs), leads=leads, duration_s=round(ecg.duration_s, 3))
    m.meta = {k: ecg.meta.get(k) for k in ("record_id", "age", "sex") if k in ecg.meta}
    if "digitization" in ecg.meta:
        m.meta["digitized"] = True  # (a signal traced from an image: ecg.interpret's pacing caution)
    own = [np.ones(w.beats.size, bool) if w.span is None else (w.beats >= w.span[0]) & (w.beats < w.span[1])
           for w in windows]
    all_beats = np.concatenate([w.beats[k] for w, k in zip(windows, own)]) if windows else np.zeros(0, int)
    all_cls = sum(([c for c, keep in zip(w.classes, k) if keep] for w, k in zip(windows, own)), [])
    order = np.argsort(all_beats, kind="stable")
    all_beats = all_beats[order]
    all_cls = [all_cls[i] for i in order]
    # drop duplicates at window borders (within 150 ms)
    if all_beats.size:
        keep = np.concatenate(([True], np.diff(all_beats) > 0.15 * WORK_FS))
        all_beats = all_beats[keep]
        all_cls = [c for c, k in zip(all_cls, keep) if k]
    # signal quality: per lead, worst-of-median over windows
    qual = {}
    for i, name in enumerate(leads):
        qs = [w.quality[i] for w in windows if w.quality]
        if not qs:
            continue
        scores = [q["score"] for q in qs]
        qi = qs[int(np.argsort(scores)[len(scores) // 2])]
        qual[name] = dict(qi)
    m.signal_quality = qual
    m.lead_consistency = lead_consistency(ecg)
    m.filters = {"band_hz": list(MEASURE_BAND_HZ), "mains_notch_hz": sorted({f for w in windows for f in w.mains_hz}),
                 "pr_spline": False, "pr_wander_mv": None}
    if all_beats.size < 2:
        if all_beats.size == 0:
            raise ECGSignalError(
                "No heart beat could be found in any lead (flat, noise-only, or not an ECG). "
                "Check the electrodes and the units (the signal should be in millivolts)."
            )
    r_ms = all_beats * 1000.0 / WORK_FS
    rr = np.diff(r_ms)
    m.rr_series_ms = rr.astype(float)
    m.beats = {
        "r_peaks_ms": [round(float(v), 1) for v in r_ms],
        "classes": list(all_cls),
        "rr_ms": [round(float(v), 1) for v in rr],
        "rr_obscured": _obscured_rr(ecg, r_ms, rr),
        "artefact_s": _artefact_s(windows),
    }
    nr: dict[str, str] = {}
    conf: dict[str, float] = {}
    qvals = [q["score"] for q in qual.values() if not q["flat"]]
    mean_q = float(np.mean(qvals)) if qvals else 0.0
    if rr.size:
        m.rr_ms = float(round(float(np.mean(rr))))
        m.heart_rate_bpm = 60000.0 / m.rr_ms
        conf["rr_ms"] = conf["heart_rate_bpm"] = round(min(1.0, 0.4 + 0.6 * mean_q) * (1.0 if rr.size >= 3 else 0.7), 3)
    else:
        nr["rr_ms"] = nr["heart_rate_bpm"] = "only one beat was found; a rate needs two"
    # rhythm descriptors
    m.rhythm = _rhythm_summary(rr, all_cls, windows, r_ms)

    # intervals: median over delineated windows
    dws = [w for w in windows if w.dl is not None and w.dl.qrs_on is not None]
    if not dws:
        for k in ("p_duration_ms", "pr_ms", "qrs_ms", "qt_ms"):
            nr[k] = "no median beat could be formed (too few clean beats)"
        m.median_beats = np.full((n_l, _dl.N_MEDIAN), np.nan, np.float32)
        m.null_reasons, m.confidence = nr, conf
        _finish_qtc(m, nr, conf)
        if interpret:
            _add_findings(m, ecg)
        return m
    vals = {k: [] for k in ("p_duration_ms", "pr_ms", "qrs_ms", "qt_ms")}
    uncs = {k: [] for k in vals}
    parts = {k: [] for k in vals}
    window_iv = {}  # id(window) -> its intervals, for the representative window and the long-term summary
    for w in dws:
        pw: dict = {}
        iv, un = _intervals(w, pw)
        window_iv[id(w)] = iv
        for k in vals:
            if iv[k] is not None:
                vals[k].append(iv[k])
                uncs[k].append(un[k])
                parts[k].append(pw.get(k, {}))
    # representative window: the one whose QRS duration is the median
    qrs_list = [(window_iv[id(w)]["qrs_ms"] or 0.0) for w in dws]
    rep = dws[int(np.argsort(qrs_list)[len(qrs_list) // 2])]
    dl = rep.dl
    snr_q = mean_q
    fewer = reduced_lead_uncertainty([n for n, q in qual.items() if not q["flat"]])
    for k in vals:
        if vals[k]:
            v = float(np.median(vals[k]))
            setattr(m, k, float(round(v)))
            u = float(np.median(uncs[k]))
            # the evidence behind it: the components of the window whose uncertainty is the median
            pk = parts[k][int(np.argsort(uncs[k])[len(uncs[k]) // 2])]
            if k in fewer:
                u = math.sqrt(u * u + fewer[k] ** 2)
                pk = {**pk, "reduced_lead_set": fewer[k]}
            m.uncertainty_ms[k] = round(u, 1)
            conf[k] = round(interval_confidence(u, TOL_MS[k], snr_q), 3)
            m.confidence_evidence[k] = {"uncertainty_parts_ms": pk, "tolerance_ms": TOL_MS[k],
                                        "signal_quality": round(snr_q, 3), "windows": len(uncs[k])}
        else:
            if k in ("p_duration_ms", "pr_ms"):
                nr[k] = ("no P wave was found before the QRS (atrial fibrillation/flutter, junctional rhythm, "
                         "or P too small for the noise)")
            elif k == "qt_ms":
                nr[k] = "the end of the T wave (or the QRS onset) could not be located"
            else:
                nr[k] = ("QRS onset/offset could not be located (no quiet segment around the QRS, or an end "
                         f"more than {QRS_MAX_MS:g} ms after the onset: a noisy or jittery trace"
                         + (f", or pacemaker stimuli, which are not sought below {_beats.PACE_MIN_FS:g} Hz"
                            if ecg.fs < _beats.PACE_MIN_FS else "") + ")")
    m.median_beats = rep.median.astype(np.float32) if rep.median is not None else None
    m.null_reasons, m.confidence = nr, conf
    _per_lead(m, rep, leads)
    _axes(m, rep, leads, nr, conf)
    _voltages(m)
    other = {}
    for w in [rep, *dws]:
        for c, d in w.dl_other.items():
            other.setdefault(c, d)
    m.filters.update(pr_spline=bool(rep.pr_spline), pr_wander_mv=None if rep.pr_wander_mv is None or not
                     np.isfinite(rep.pr_wander_mv) else round(float(rep.pr_wander_mv), 4))
    _fiducials(m, rep, leads, other)
    _finish_qtc(m, nr, conf)
    if len(windows) > 1:
        m.long_term = _long_term(windows, window_iv, all_beats, all_cls, float(ecg.duration_s), m.heart_rate_bpm,
                                 m.beats["rr_obscured"])
    _no_p_waves_in_af(m, nr, conf)
    m.null_reasons, m.confidence = nr, conf
    if interpret:
        _add_findings(m, ecg)
    return m


def _long_term(windows: list[_Window], window_iv: dict, beats: np.ndarray, classes: list, duration_s: float,
               mean_hr: float | None, obscured: list | tuple = ()) -> dict:
    """The long-record summary of :attr:`Measurements.long_term` from the windows, the intervals
    of the delineated ones (``window_iv``: ``id(window)`` -> :func:`_intervals`) and all beats
    (``beats``: record samples at 500 Hz, sorted and deduplicated; ``classes`` one per beat;
    ``obscured``: the RR intervals, by index, that an artefact hides, :func:`_obscured_rr`)."""
    t = beats / WORK_FS
    starts = [(w.start if w.span is None else w.span[0]) / WORK_FS for w in windows]
    ends = starts[1:] + [duration_s]
    per = []
    for w, a, b in zip(windows, starts, ends):
        lo, hi = np.searchsorted(t, (a, b))
        rr_w = np.diff(t[lo:hi]) * 1000.0
        cls_w = classes[lo:hi]
        e = {"start_s": round(a, 1), "end_s": round(b, 1), "n_beats": int(hi - lo),
             "heart_rate_bpm": round(60000.0 / float(np.mean(rr_w)), 1) if rr_w.size else None,
             "n_premature_supraventricular": cls_w.count("premature_supraventricular"),
             "n_premature_ventricular": cls_w.count("premature_ventricular")}
        iv = window_iv.get(id(w))
        if iv is not None:
            e.update({k: iv[k] for k in ("pr_ms", "qrs_ms", "qt_ms")})
            e["qtc_bazett_ms"] = (round(iv["qt_ms"] / math.sqrt(float(np.mean(rr_w)) / 1000.0), 1)
                                  if iv["qt_ms"] is not None and rr_w.size else None)
        per.append(e)
    # the rate extremes from full-length windows (a last window of a few seconds is listed, not ranked)
    hrs = [(e["heart_rate_bpm"], e["start_s"]) for e in per
           if e["heart_rate_bpm"] is not None and e["end_s"] - e["start_s"] >= 0.5 * WINDOW_S]
    out: dict = {"window_s": WINDOW_S, "n_windows": len(per),
                 "n_delineated": sum(1 for e in per if "qrs_ms" in e), "per_window": per}
    if hrs:
        lo, hi = min(hrs), max(hrs)
        out["heart_rate_bpm"] = {"mean": None if mean_hr is None else round(mean_hr, 1), "min": lo[0],
                                 "min_at_s": lo[1], "max": hi[0], "max_at_s": hi[1]}
    if beats.size >= 2:
        rr = np.diff(t) * 1000.0
        seen = np.ones(rr.size, bool)
        seen[list(obscured)] = False
        for key, sel in (("longest_rr_ms", seen), ("longest_obscured_rr_ms", ~seen)):
            if sel.any():
                k = int(np.flatnonzero(sel)[np.argmax(rr[sel])])
                out[key] = {"value": round(float(rr[k]), 1), "at_s": round(float(t[k + 1]), 2)}
    hours = duration_s / 3600.0
    out["premature_per_hour"] = {"supraventricular": round(classes.count("premature_supraventricular") / hours, 1),
                                 "ventricular": round(classes.count("premature_ventricular") / hours, 1)}
    qtc = [e["qtc_bazett_ms"] for e in per if e.get("qtc_bazett_ms") is not None]
    if qtc:
        out["qtc_bazett_ms"] = {"min": min(qtc), "median": float(np.median(qtc)), "max": max(qtc)}
    return out


def _artefact_s(windows: list[_Window]) -> list[list[float]]:
    """The windows' artefact stretches (each clipped to the window's own span), merged where
    they lie within :data:`ecg.quality.ARTEFACT_DILATE_S` of each other, as
    ``[[start_s, end_s], ...]`` from record start."""
    got = []
    for w in windows:
        lo, hi = w.span if w.span is not None else (-np.inf, np.inf)
        got += [(max(a, lo), min(b, hi)) for a, b in w.artefact if min(b, hi) > max(a, lo)]
    out: list[list[float]] = []
    for a, b in sorted(got):
        if out and a <= (out[-1][1] + ARTEFACT_DILATE_S) * WORK_FS:
            out[-1][1] = max(out[-1][1], round(b / WORK_FS, 2))
        else:
            out.append([round(a / WORK_FS, 2), round(b / WORK_FS, 2)])
    return out


#: RR intervals longer than this (ms) are checked for an artefact that could hide beats
#: (:func:`_obscured_rr`); shorter ones cannot be taken for a pause.
OBSCURED_MIN_RR_MS = 2000.0


def _obscured_rr(ecg: ECG, r_ms: np.ndarray, rr: np.ndarray) -> list[int]:
    """Indices of the RR intervals longer than :data:`OBSCURED_MIN_RR_MS` during which no lead
    can show whether a beat occurred: in every lead recorded over the interval whose QRS
    complexes reach 0.3 mV peak to peak, the signal (low-passed at 40 Hz, baseline wander kept)
    spans a wider range between 250 ms after the first beat (its T wave) and 100 ms before the
    next than the lead's QRS complexes do (the median peak-to-peak of up to 10 beats on either
    side). An amplifier driven off its baseline and recovering, or an electrode coming off, does
    this (MIT-BIH 208 at 3:29: a 2.3 mV step, then a 4 s decay without a QRS); a sinus pause or
    asystole, whose baseline holds P waves or nothing, does not. Our criterion: a long RR counts
    as a pause only where the tracing shows that nothing happened in it."""
    out: list[int] = []
    fs = float(ecg.fs)
    h = max(1, int(0.06 * fs))
    for k in np.flatnonzero(rr > OBSCURED_MIN_RR_MS):
        near = r_ms[max(0, k - 9):k + 11]
        lo = max(0, int((near[0] / 1000.0 - 1.0) * fs))
        hi = min(ecg.signal.shape[1], int((near[-1] / 1000.0 + 1.0) * fs))
        a = int((r_ms[k] / 1000.0 + 0.25) * fs) - lo
        b = int((r_ms[k + 1] / 1000.0 - 0.1) * fs) - lo
        if b <= a:
            continue
        seg = np.asarray(ecg.signal[:, lo:hi], np.float64)
        at = [int(t / 1000.0 * fs) - lo for t in near]
        counted, readable = 0, False
        for row in seg:
            if not np.isfinite(row).all():
                continue
            y = bandpass(row[None, :], fs, 0.0, 40.0)[0]
            pp = [np.ptp(y[max(0, i - h):i + h + 1]) for i in at if 0 <= i < y.size]
            qrs = float(np.median(pp)) if pp else 0.0
            if qrs < 0.3:
                continue
            counted += 1
            if np.ptp(y[a:b]) <= qrs:
                readable = True
                break
        if counted and not readable:
            out.append(int(k))
    return out


def _no_p_waves_in_af(m: Measurements, nr: dict, conf: dict) -> None:
    """Withdraw the P wave where the rhythm criteria find atrial fibrillation or flutter, or where a
    paced rhythm has no P wave repeating before its paced QRS complexes.

    Whatever the delineator found before the QRS of an AF or flutter median beat is an average of
    f or F waves, not a P wave (AHA/ACC/HRS Part II: AF has no P waves), so P duration, PR, the P
    axis and the P fiducials become null with that reason, as clinical programs report them.
    """
    from .interpret import atrial_arrhythmia, criteria, paced_rhythm

    pcons_max = criteria()["af"]["p_consistency_max"]["value"]

    code = atrial_arrhythmia({"rhythm": m.rhythm, "heart_rate_bpm": m.heart_rate_bpm, "confidence": conf,
                              "pr_ms": m.pr_ms, "axis_deg": m.axis_deg, "beats": m.beats})
    pcons = (m.rhythm or {}).get("p_consistency")
    if (code is None and m.pr_ms is not None and paced_rhythm(m.rhythm)
            and pcons is not None and pcons < pcons_max):
        # a paced rhythm has a regular RR whatever the atria do, so the AF criteria never see it;
        # a P window that does not repeat from beat to beat before paced QRS complexes holds
        # f waves or dissociated P waves, not a P wave conducted or sensed at a constant interval
        code = "PACE"
    if code is None:
        return
    if code == "PACE":
        why = (f"paced rhythm: no P wave at a constant interval before the paced QRS (P-window beat "
               f"correlation {pcons:.2f} < {pcons_max}; see findings)")
    else:
        why = ("atrial fibrillation: no P waves (see findings)" if code == "AFIB" else
               "atrial flutter: flutter waves, not P waves (see findings)")
    m.p_duration_ms = m.pr_ms = None
    m.axis_deg["p"] = None
    m.rhythm["p_withdrawn"] = code  # the criteria judged the atrial activity before the P was withdrawn
    for k in ("p_duration_ms", "pr_ms", "axis_deg.p"):
        nr[k] = why
        conf.pop(k, None)
        m.uncertainty_ms.pop(k, None)
        m.confidence_evidence.pop(k, None)
    pkeys = ("p_on", "p_peak", "p_off")
    fd = m.fiducials or {}
    for d in [fd.get("global"), fd.get("median_beat"), *(fd.get("per_lead") or {}).values(),
              *((fd.get("median_beat") or {}).get("per_lead") or {}).values()]:
        if d:
            d.update({k: None for k in pkeys})
            d.pop("p_from_global", None)
    for k in ("p_on_ms", "p_off_ms"):
        if k in (fd.get("beats") or {}):
            fd["beats"][k] = [None] * len(fd["beats"][k])
    for pl in m.per_lead.values():
        if pl and "p_amp_mv" in pl:
            pl["p_amp_mv"] = None


def _finish_qtc(m: Measurements, nr: dict, conf: dict) -> None:
    if m.qt_ms is not None and m.rr_ms is not None:
        rr_s = m.rr_ms / 1000.0
        hr = 60000.0 / m.rr_ms
        m.qtc_ms = {
            "bazett": m.qt_ms / math.sqrt(rr_s),
            "fridericia": m.qt_ms / rr_s ** (1.0 / 3.0),
            "framingham": m.qt_ms + 154.0 * (1.0 - rr_s),
            "hodges": m.qt_ms + 1.75 * (hr - 60.0),
        }
        for k in m.qtc_ms:
            conf[f"qtc_ms.{k}"] = round(min(conf.get("qt_ms", 0.5), conf.get("rr_ms", 0.5)), 3)
    else:
        why = nr.get("qt_ms") or nr.get("rr_ms") or "QT or RR not measured"
        for k in ("bazett", "fridericia", "framingham", "hodges"):
            m.qtc_ms[k] = None
            nr[f"qtc_ms.{k}"] = why


def interval_confidence(uncertainty_ms: float, tolerance_ms: float, signal_quality: float) -> float:
    """Confidence 0..1 of an interval from its uncertainty (ms): ``1 / (1 + (u / tol)**2)``, 0.5
    where the uncertainty equals the tolerance (ms; :data:`TOL_MS`, the IEC 60601-2-25 SD limits),
    times ``0.5 + 0.5 * q`` for the signal quality ``q`` (0..1). Scalars in, float out; a
    tolerance of 0 raises ZeroDivisionError."""
    return float(1.0 / (1.0 + (uncertainty_ms / tolerance_ms) ** 2) * (0.5 + 0.5 * signal_quality))


#: Uncertainty parts that can only hide a later T end (never an earlier one): they lower the
#: confidence that a QT is not too short, not that it is not too long.
LATER_ONLY_PARTS = ("flat_t_leads",)


def uncertainty_without(evidence: dict, leave_out: tuple = LATER_ONLY_PARTS) -> float | None:
    """An interval's uncertainty (ms) recomputed from its ``confidence_evidence`` entry (a dict with
    ``uncertainty_parts_ms``, ms) as the root-sum-square of its parts without those named in
    ``leave_out``; None, not an error, when the entry has no parts."""
    parts = (evidence or {}).get("uncertainty_parts_ms")
    if not parts:
        return None
    return math.sqrt(sum(v * v for k, v in parts.items() if k not in leave_out))


def confidence_without(evidence: dict, leave_out: tuple = LATER_ONLY_PARTS) -> float | None:
    """An interval's confidence (0..1) recomputed from its ``confidence_evidence`` entry (a dict:
    ``uncertainty_parts_ms`` in ms, ``tolerance_ms``, ``signal_quality``) without the uncertainty
    parts named in ``leave_out`` (:func:`uncertainty_without`, :func:`interval_confidence`); None,
    not an error, when the entry lacks its parts, tolerance or signal quality."""
    u, tol, q = uncertainty_without(evidence, leave_out), (evidence or {}).get("tolerance_ms"), (evidence or {}).get("signal_quality")
    if u is None or tol is None or q is None:
        return None
    return interval_confidence(u, tol, q)


def _intervals(w: _Window, parts: dict | None = None) -> tuple[dict, dict]:
    """Global intervals (ms) of a window's median beat and their uncertainties (ms).

    ``parts``, when given, receives for each interval the named components of its uncertainty
    (ms; their root-sum-square is the uncertainty): ``split_half`` (both fiducials), ``sampling``,
    and ``qrs_onset_threshold_spread``, ``p_onset_threshold_spread``, or ``t_end_dispersion`` and
    ``flat_t_leads`` (the weighted share that enters).

    Uncertainty = root-sum-square of the split-half differences of the two fiducials (median beat
    of odd beats vs of even beats) plus a floor from the sampling step (2 ms); for QRS also
    :data:`QRS_ON_SPREAD_WEIGHT` times the onset's threshold spread, for PR and P duration
    :data:`P_ON_SPREAD_WEIGHT` times the P onset's threshold spread, for QT
    :data:`T_END_DISPERSION_WEIGHT` times the T-end dispersion and :data:`T_UNCOUNTED_LEAD_MS`
    per lead whose T wave does not count for the global T end.
    """
    dl = w.dl
    iv = {"p_duration_ms": None, "pr_ms": None, "qrs_ms": None, "qt_ms": None}
    un = {k: None for k in iv}
    if dl is None or dl.qrs_on is None:
        return iv, un

    def sp(name):
        vs = [getattr(h, name) for h in w.halves if getattr(h, name) is not None]
        if len(vs) < 2:
            if not w.halves and name in ("p_on", "p_off"):
                return FEW_BEATS_P_SPLIT_MS  # fewer than 4 beats: a P wave averaged over 2-3 beats
            return 6.0 if len(w.halves) else 4.0  # unknown: a few samples
        return abs(_dl.ms(vs[0] - vs[1]))

    def u(a, b):
        return float(math.sqrt(sp(a) ** 2 + sp(b) ** 2 + 2.0 ** 2))

    def note(k, a, b, **extra):
        if parts is not None:
            parts[k] = {"split_half": round(float(math.hypot(sp(a), sp(b))), 1), "sampling": 2.0,
                        **{n: round(float(v), 1) for n, v in extra.items()}}

    on_lost = dl.evidence.get("qrs_on_at_limit", False)
    if on_lost:  # PR, QRS and QT all start or end at the QRS onset
        return iv, un
    if not dl.evidence.get("qrs_off_at_limit", False) and _dl.ms(dl.qrs_off - dl.qrs_on) <= QRS_MAX_MS:
        iv["qrs_ms"] = _dl.ms(dl.qrs_off - dl.qrs_on)
        spread = float(dl.evidence.get("qrs_on_threshold_spread_ms", 0.0))
        un["qrs_ms"] = float(math.sqrt(u("qrs_on", "qrs_off") ** 2 + (QRS_ON_SPREAD_WEIGHT * spread) ** 2))
        note("qrs_ms", "qrs_on", "qrs_off", qrs_onset_threshold_spread=QRS_ON_SPREAD_WEIGHT * spread)
    if dl.t_off is not None:
        iv["qt_ms"] = _dl.ms(dl.t_off - dl.qrs_on)
        # plus half the T-end dispersion among the leads that set the global T end: on LUDB it
        # ranks the QT error (Spearman 0.34) where the split-half spread alone does not (-0.08)
        disp = float(dl.evidence.get("t_end_dispersion_ms", 0.0))
        unseen = T_UNCOUNTED_LEAD_MS * float(dl.evidence.get("t_leads_not_counted", 0))
        un["qt_ms"] = float(math.sqrt(u("qrs_on", "t_off") ** 2 + (T_END_DISPERSION_WEIGHT * disp) ** 2 + unseen ** 2))
        note("qt_ms", "qrs_on", "t_off", t_end_dispersion=T_END_DISPERSION_WEIGHT * disp, flat_t_leads=unseen)
    if dl.p_present and dl.p_on is not None and (w.p_consistency is None or w.p_consistency > 0.2):
        iv["p_duration_ms"] = _dl.ms(dl.p_off - dl.p_on)
        iv["pr_ms"] = _dl.ms(dl.qrs_on - dl.p_on)
        p_spread = P_ON_SPREAD_WEIGHT * float(dl.evidence.get("p_on_threshold_spread_ms", 0.0))
        un["p_duration_ms"] = float(math.sqrt(u("p_on", "p_off") ** 2 + p_spread ** 2))
        un["pr_ms"] = float(math.sqrt(u("p_on", "qrs_on") ** 2 + p_spread ** 2))
        note("p_duration_ms", "p_on", "p_off", p_onset_threshold_spread=p_spread)
        note("pr_ms", "p_on", "qrs_on", p_onset_threshold_spread=p_spread)
    return iv, un


#: Length (s) of the stretches over which a long record's sinus RR range is taken: the standard
#: 10 s ECG the sinus-arrhythmia criterion is read on (over 24 h the RR range of sinus beats spans
#: sleep and exercise and says nothing about sinus arrhythmia).
RR_RANGE_STRETCH_S = 10.0


def _nn_range(rr: np.ndarray, classes: list, r_ms: np.ndarray | None) -> float | None:
    """Range (ms) of the RR intervals between two normal beats; in a record longer than two
    :data:`RR_RANGE_STRETCH_S` stretches, the median of that range over successive stretches."""
    nn = np.array([i for i in range(len(rr)) if classes[i] == "normal" and classes[i + 1] == "normal"], int)
    if not nn.size:
        nn = np.arange(len(rr))
    if r_ms is None or r_ms.size < 2 or r_ms[-1] - r_ms[0] <= 2000.0 * RR_RANGE_STRETCH_S:
        return float(np.ptp(rr[nn])) if nn.size else None
    stretch = ((r_ms[nn + 1] - r_ms[0]) // (1000.0 * RR_RANGE_STRETCH_S)).astype(int)
    ranges = [float(np.ptp(rr[nn[stretch == k]])) for k in np.unique(stretch) if (stretch == k).sum() >= 3]
    return float(np.median(ranges)) if ranges else float(np.ptp(rr[nn]))


def _rhythm_summary(rr: np.ndarray, classes: list, windows: list[_Window], r_ms: np.ndarray | None = None) -> dict:
    """RR variability and atrial-activity descriptors used by the rhythm criteria (``r_ms``: the
    beat times, ms; ``rr_range_ms`` of a long record is taken over 10 s stretches, :func:`_nn_range`)."""
    out: dict = {"n_beats": len(classes)}
    for c in ("normal", "premature_supraventricular", "premature_ventricular", "paced", "unclassified"):
        out[f"n_{c}"] = int(sum(1 for x in classes if x == c))
    if rr.size >= 2:
        d = np.abs(np.diff(rr))
        out["rr_cv"] = float(np.std(rr) / np.mean(rr))
        out["rmssd_norm"] = float(np.sqrt(np.mean(np.diff(rr) ** 2)) / np.mean(rr))
        out["rr_range_ms"] = _nn_range(rr, classes, r_ms)
        # fraction of successive RR differences larger than 8% of the mean RR (irregularity)
        out["irregular_fraction"] = float(np.mean(d > 0.08 * np.mean(rr)))
        # the same between RR intervals that both join two normal beats: a premature beat makes
        # its own short-long pair irregular, an irregularly irregular rhythm stays irregular without them
        nn = [i for i in range(len(rr)) if classes[i] == "normal" and classes[i + 1] == "normal"]
        dn = [abs(rr[j] - rr[i]) for i, j in zip(nn, nn[1:]) if j == i + 1]
        out["irregular_fraction_nn"] = float(np.mean(np.array(dn) > 0.08 * np.mean(rr[nn]))) if len(dn) >= 3 else None
        out["rmssd_norm_nn"] = float(np.sqrt(np.mean(np.square(dn))) / np.mean(rr[nn])) if len(dn) >= 3 else None
    dws = [w for w in windows if w.dl is not None]
    if dws:
        pres = [bool(w.dl.p_present) for w in dws]
        out["p_present_fraction"] = float(np.mean(pres))
        pc = [w.p_consistency for w in dws if w.p_consistency is not None]
        out["p_consistency"] = float(np.median(pc)) if pc else None
        psnr = [w.dl.p_snr for w in dws]
        out["p_snr"] = float(np.median(psnr))
        at = [w.atrial for w in dws if w.atrial]
        if at:
            out["atrial_dominant_hz"] = float(np.median([a["dominant_hz"] for a in at]))
            out["atrial_concentration"] = float(np.median([a["concentration"] for a in at]))
    return out


def _per_lead(m: Measurements, w: _Window, leads: list[str]) -> None:
    """Per-lead amplitudes on the median beat (mV, relative to the isoelectric level before QRS onset):
    ``q_amp_mv`` the first deflection when negative, ``r_amp_mv`` the tallest positive deflection
    (R or R', as the voltage criteria read it), ``r_first_amp_mv`` / ``r_prime_amp_mv`` the first and
    the last positive deflection, ``s_amp_mv`` the deepest negative deflection after the first R; T
    and ST levels, polarities, morphology, Q duration, R peak time and wave durations beside them."""
    dl, med = w.dl, w.median
    out = {}
    for i, name in enumerate(leads):
        row = med[i] if med is not None else None
        if row is None or not np.isfinite(row).all() or dl.baseline is None or not np.isfinite(dl.baseline[i]):
            out[name] = {k: None for k in ("q_amp_mv", "r_amp_mv", "s_amp_mv", "t_amp_mv", "st_j_mv", "st_j60_mv",
                                           "qrs_polarity", "t_polarity", "q_dur_ms", "r_peak_time_ms",
                                           "qrs_morphology", "qrs_pp_mv", "p_amp_mv", "r_dur_ms", "s_dur_ms",
                                           "r_prime_dur_ms", "r_prime_amp_mv", "r_first_amp_mv", "r_half_width_ms", "j_wave_mv",
                                           "amplitude_se_mv", "amplitude_confidence")}
            continue
        y = row.astype(np.float64) - dl.baseline[i]
        qon, qoff = dl.qrs_on, dl.qrs_off
        q = y[qon:qoff + 1]
        defl = _deflections(q)
        r_amp = max([a for _, a, _ in defl if a > 0], default=0.0)
        q_amp, q_dur = 0.0, 0.0
        if defl and defl[0][1] < 0:  # Q wave (or QS complex)
            q_amp = defl[0][1]
            # its duration from this lead's own QRS onset (Minnesota Code and UDMI measure Q in the
            # lead): before it, the lead is still isoelectric and only the global onset has passed
            own_on = (dl.per_lead.get(i) or {}).get("qrs_on")
            start = defl[0][0] if own_on is None else max(defl[0][0], int(own_on) - qon)
            q_dur = _dl.ms(max(0, defl[0][0] + defl[0][2] - start))
        # the S wave: the deepest negative deflection after the first R (in an rSR' the S lies between
        # the r and the taller R', which the deepest-after-the-tallest-R reading missed)
        i1 = next((k for k, (_, a, _) in enumerate(defl) if a > 0), None)
        s_amp = min([a for k, (_, a, _) in enumerate(defl) if a < 0 and i1 is not None and k > i1], default=0.0)
        rpt = _dl.ms(int(np.argmax(q))) if r_amp > 0 else None
        j60 = min(_dl.N_MEDIAN - 1, qoff + 30)
        st_j = float(y[qoff])
        st60 = float(y[j60])
        t_amp = None
        tpol = None
        if dl.t_off is not None:
            ts = y[qoff + 20: dl.t_off + 1]
            if ts.size:
                mx, mn = float(ts.max()), float(ts.min())
                t_amp = mx if abs(mx) >= abs(mn) else mn
                if max(abs(mx), abs(mn)) < 0.05:
                    tpol = "flat"
                elif mx > 0.05 and mn < -0.05 and min(abs(mx), abs(mn)) > 0.4 * max(abs(mx), abs(mn)):
                    tpol = "biphasic"
                else:
                    tpol = "positive" if t_amp > 0 else "negative"
        net = float(q.max() + q.min())
        pp = float(q.max() - q.min())
        qpol = "isoelectric" if pp < 0.05 or abs(net) < 0.2 * pp else ("positive" if net > 0 else "negative")
        p_amp = None
        if dl.p_present:
            ps = y[dl.p_on:dl.p_off + 1]
            p_amp = float(ps.max()) if abs(ps.max()) >= abs(ps.min()) else float(ps.min())
        out[name] = {
            "q_amp_mv": round(q_amp, 3), "r_amp_mv": round(r_amp, 3), "s_amp_mv": round(s_amp, 3),
            "t_amp_mv": None if t_amp is None else round(t_amp, 3),
            "st_j_mv": round(st_j, 3), "st_j60_mv": round(st60, 3),
            "qrs_polarity": qpol, "t_polarity": tpol,
            "q_dur_ms": round(q_dur, 1), "r_peak_time_ms": None if rpt is None else round(rpt, 1),
            "qrs_morphology": _morph(defl), "qrs_pp_mv": round(pp, 3),
            "p_amp_mv": None if p_amp is None else round(p_amp, 3),
            **_wave_durations(defl, q),
            "j_wave_mv": _j_wave(y, qon, qoff, r_amp),
            **_amplitude_confidence(w, i),
        }
    m.per_lead = out


#: A J wave (a notch at the end of the QRS) is a rise of at least this much (mV) from a local
#: minimum on the R wave's downslope to a local maximum near the QRS end: half the 1 mm (0.1 mV) step
#: of the criteria that use it (our limit; the early-repolarization consensus, Macfarlane et al.,
#: J Am Coll Cardiol 2015;66:470-477, defines the notch by its shape, not its height).
J_NOTCH_MIN_MV = 0.05
#: The notch's peak lies within this many ms before the QRS offset or after it (the offset may fall
#: on either side of a terminal notch).
J_NOTCH_WINDOW_MS = 30.0


def _j_wave(y: np.ndarray, qon: int, qoff: int, r_amp: float) -> float | None:
    """Amplitude (mV, from the isoelectric level) of the peak of a J wave in one lead's
    baseline-corrected median beat ``y`` (500 Hz; ``qon``/``qoff`` the global QRS onset/offset in
    samples, ``r_amp`` the lead's R amplitude): after the tallest R, a local minimum followed by a
    local maximum higher by at least :data:`J_NOTCH_MIN_MV`, that maximum within
    :data:`J_NOTCH_WINDOW_MS` of the QRS offset. The positive J deflection on the terminal QRS
    downslope of the early-repolarization consensus (Macfarlane 2015); Smith's formula counts "no S
    and no J wave in V2 or V3" as terminal QRS distortion. A slur (a change of slope without a
    local maximum) is not detected. None where the lead has no R wave or no such notch."""
    if r_amp < J_NOTCH_MIN_MV:
        return None
    half = int(round(J_NOTCH_WINDOW_MS * _dl.FS / 1000.0))
    hi = min(y.size - 2, qoff + half)
    rp = qon + int(np.argmax(y[qon:qoff + 1]))
    if hi - rp < 4:
        return None
    z = np.convolve(y[rp:hi + 2], np.ones(3) / 3.0, mode="same")  # 6 ms: sample-level ripple does not count
    low = None
    for k in range(1, z.size - 1):
        if z[k] <= z[k - 1] and z[k] < z[k + 1]:
            low = z[k] if low is None else min(low, z[k])
        elif low is not None and z[k] >= z[k - 1] and z[k] > z[k + 1] and rp + k >= qoff - half \
                and z[k] - low >= J_NOTCH_MIN_MV:
            return round(float(y[rp + k]), 3)
    return None


#: Amplitude uncertainty (mV) that maps to confidence 0.5: half the 0.1 mV (1 mm) step in which the
#: ST and voltage criteria are written (UDMI4 ST elevation >= 0.1 mV; AHA/ACC/HRS Part VI). Our
#: choice of anchor; on 200 PTB-XL records (2400 leads), the leads below 0.5 differ twice as much
#: between the two 5 s halves of the record (R 0.045 vs 0.022 mV, ST 0.018 vs 0.012 mV).
AMP_TOL_MV = 0.05


def _amplitude_confidence(w: _Window, i: int) -> dict:
    """Standard error (mV) of lead ``i``'s median-beat amplitudes and their confidence 0..1.

    The median of n beats whose residual around it has RMS s has a standard error of about
    1.2533 s / sqrt(n) (the median of a normal sample); the confidence is the lead's signal-quality
    score times ``1 / (1 + (se / AMP_TOL_MV)**2)``. It applies to the Q, R, S, T and P amplitudes
    and the ST levels of the lead. None where the lead has no beat-to-beat noise estimate."""
    if w.noise is None or w.n_beats_lead is None or not np.isfinite(w.noise[i]) or w.n_beats_lead[i] < 1:
        return {"amplitude_se_mv": None, "amplitude_confidence": None}
    se = 1.2533 * float(w.noise[i]) / math.sqrt(float(w.n_beats_lead[i]))
    q = float(w.quality[i].get("score", 1.0)) if i < len(w.quality) else 1.0
    return {"amplitude_se_mv": round(se, 4), "amplitude_confidence": round(q / (1.0 + (se / AMP_TOL_MV) ** 2), 3)}


#: a wave's duration counts the samples of its lobe at least this far from the baseline (mV) and
#: this fraction of the lobe's peak: a lobe runs on, near 0, into the ST segment up to the global
#: QRS offset (the latest lead's), which would make every terminal S look wide
WAVE_DUR_MIN_MV = 0.02
WAVE_DUR_FRAC = 0.1


def _wave_durations(defl, q: np.ndarray) -> dict:
    """Durations (ms) of the first R, the S after it and a later R' (AHA/ACC/HRS Part III compares
    them: R' wider than the initial R in V1-V2 and S wider than R in I and V6 for RBBB), the R'
    amplitude and that of the first R (mV; ``r_amp_mv`` is the tallest R, which the voltage
    criteria take), and the width of the tallest R at half its height (ms, :func:`_half_width`;
    Part III's "broad notched or slurred R" of LBBB). None where the wave is absent."""
    def dur(lobe):
        st, amp, ln = lobe
        seg = q[st:st + ln] * np.sign(amp)
        return _dl.ms(int(np.sum(seg >= max(WAVE_DUR_MIN_MV, WAVE_DUR_FRAC * abs(amp)))))

    pos = [k for k, (_, a, _) in enumerate(defl) if a > 0]
    r = defl[pos[0]] if pos else None
    s = next((defl[k] for k in range(pos[0] + 1, len(defl)) if defl[k][1] < 0), None) if pos else None
    rp = defl[pos[-1]] if len(pos) >= 2 else None
    return {"r_dur_ms": None if r is None else dur(r), "s_dur_ms": None if s is None else dur(s),
            "r_prime_dur_ms": None if rp is None else dur(rp),
            "r_prime_amp_mv": None if rp is None else round(float(rp[1]), 3),
            "r_first_amp_mv": None if r is None else round(float(r[1]), 3),
            "r_half_width_ms": _half_width(q, defl)}


def _half_width(q: np.ndarray, defl) -> float | None:
    """Width (ms) of the tallest positive lobe of ``defl`` at half its height: from its first to its
    last sample at or above half of its peak, so that a notch that stays above the baseline (the
    M-shaped R of LBBB) counts as one broad R."""
    lobes = [(st, a, ln) for st, a, ln in defl if a > 0]
    if not lobes:
        return None
    st, a, ln = max(lobes, key=lambda lobe: lobe[1])
    above = np.flatnonzero(q[st:st + ln] >= 0.5 * a)
    return _dl.ms(int(above[-1] - above[0] + 1))


def _deflections(q: np.ndarray, min_mv: float = 0.05) -> list[tuple[int, float, int]]:
    """Split a baseline-corrected QRS into same-sign lobes: (start, peak amplitude mV, length)."""
    out = []
    if q.size == 0:
        return out
    s = np.sign(q)
    i = 0
    while i < q.size:
        j = i
        while j + 1 < q.size and s[j + 1] == s[i]:
            j += 1
        lobe = q[i:j + 1]
        amp = float(lobe.max()) if s[i] > 0 else float(lobe.min())
        if abs(amp) >= min_mv:
            if out and np.sign(out[-1][1]) == np.sign(amp):  # merge lobes split by a small crossing
                st, a0, ln = out[-1]
                out[-1] = (st, amp if abs(amp) > abs(a0) else a0, j + 1 - st)
            else:
                out.append((i, amp, j + 1 - i))
        i = j + 1
    return out


def _morph(defl) -> str:
    """QRS morphology label (Q/R/S, primes for repeats; lower case for waves < half the largest)."""
    if not defl:
        return "isoelectric"
    big = max(abs(a) for _, a, _ in defl)
    if all(a < 0 for _, a, _ in defl):
        return "QS"
    out, seen_r, n_r, n_s = [], False, 0, 0
    for _, a, _ in defl:
        up = abs(a) >= 0.5 * big
        if a > 0:
            lab = ("R" if up else "r") + "'" * n_r
            n_r += 1
            seen_r = True
        elif not seen_r:
            lab = "Q" if up else "q"
        else:
            lab = ("S" if up else "s") + "'" * n_s
            n_s += 1
        out.append(lab)
    return "".join(out)


def _fit_axis(areas: dict[str, float]) -> tuple[float | None, float]:
    """Least-squares frontal vector from lead areas; returns (angle deg, magnitude)."""
    names = [n for n in areas if n in LEAD_ANGLE_DEG and areas[n] is not None]
    if len(names) < 2:
        return None, 0.0
    ang = np.radians([LEAD_ANGLE_DEG[n] for n in names])
    if np.ptp(np.mod(ang, np.pi)) < 1e-6:  # only collinear leads (e.g. aVR with... none)
        return None, 0.0
    a = np.stack([np.cos(ang), np.sin(ang)], axis=1) * np.array([LEAD_GAIN[n] for n in names])[:, None]
    b = np.array([areas[n] for n in names])
    v, *_ = np.linalg.lstsq(a, b, rcond=None)
    return float(np.degrees(np.arctan2(v[1], v[0]))), float(np.hypot(*v))


#: Net QRS deflection (mV, summed over the limb-lead vector fit) below which the QRS axis is a
#: weak direction (its confidence falls to half): about the 0.5 mV low-voltage limit of the limb
#: leads (AHA/ACC/HRS 2009 Part V) halved, for a net (not peak-to-peak) amplitude.
QRS_AXIS_WEAK_MV = 0.25


def _axes(m: Measurements, w: _Window, leads: list[str], nr: dict, conf: dict) -> None:
    """Frontal P, QRS and T axes (degrees) by a least-squares fit of the hexaxial lead vectors.

    The QRS axis is fitted to each limb lead's net QRS deflection (its largest positive plus its
    largest negative excursion from the isoelectric level, mV: the hexaxial method used when an
    axis is read by hand); the P and T axes to the wave's area (mV*ms), since a P or T wave has
    one lobe. On the labelled records here the net deflection agrees better with the
    cardiologists' axis classes than the QRS area does (within 15 deg of the class, bench/findings.py
    and bench/delineation.py: PTB-XL 0.961 -> 1.000 of 51 records, LUDB with its limb-lead scales
    restored 0.785 -> 0.885 of 130): the area of a wide or notched QRS weighs its slow terminal part, which a reader does not."""
    dl, med = w.dl, w.median
    limb = [(i, n) for i, n in enumerate(leads) if n in LIMB_LEADS and med is not None and np.isfinite(med[i]).all()]
    spans = {"qrs": (dl.qrs_on, dl.qrs_off)}
    if dl.p_present:
        spans["p"] = (dl.p_on, dl.p_off)
    if dl.t_off is not None:
        spans["t"] = (dl.qrs_off + 10, dl.t_off)
    for wave in ("p", "qrs", "t"):
        key = f"axis_deg.{wave}"
        if len(limb) < 2:
            m.axis_deg[wave] = None
            nr[key] = "a frontal axis needs at least two limb leads (I, II, III, aVR, aVL, aVF)"
            continue
        if wave not in spans:
            m.axis_deg[wave] = None
            nr[key] = "no P wave found" if wave == "p" else "T wave end not located"
            continue
        a, b = spans[wave]

        if wave == "qrs":
            net = {}
            for i, n in limb:
                y = med[i, a:b + 1] - dl.baseline[i]
                net[n] = float(y.max() + y.min())  # mV
            ang, mag = _fit_axis(net)
        else:
            ang, mag = _fit_axis({n: float(np.sum(med[i, a:b + 1] - dl.baseline[i])) * 2.0 for i, n in limb})  # mV*ms
        if ang is None:
            m.axis_deg[wave] = None
            nr[key] = "the available limb leads are collinear; the frontal axis is undetermined"
            continue
        m.axis_deg[wave] = float(round(ang))
        # confidence: vector magnitude relative to the noise and to a weak direction's magnitude
        noise = 0.0
        if w.noise is not None:
            noise = float(np.nanmean([w.noise[i] for i, _ in limb]))  # mV per sample
            # an area sums the noise of its samples (2 ms each); a net deflection that of two samples
            noise *= math.sqrt(2.0) if wave == "qrs" else math.sqrt(max(1, b - a + 1)) * 2.0
        rel = mag / (mag + 3 * noise + 1e-6)
        ref = {"p": 8.0, "qrs": QRS_AXIS_WEAK_MV, "t": 20.0}[wave]  # below it a direction is weak (mV*ms; QRS mV)
        c = rel * (mag / (mag + ref))
        conf[key] = round(float(min(1.0, max(0.0, c))), 3)


def _voltages(m: Measurements) -> None:
    pl = m.per_lead

    def g(lead, k):
        v = pl.get(lead, {}).get(k)
        return None if v is None else abs(v)

    sv1, rv5, rv6, ravl, sv3 = g("V1", "s_amp_mv"), g("V5", "r_amp_mv"), g("V6", "r_amp_mv"), g("aVL", "r_amp_mv"), g("V3", "s_amp_mv")
    if sv1 is not None and (rv5 is not None or rv6 is not None):
        m.voltages["sokolow_lyon_mv"] = round(sv1 + max(v for v in (rv5, rv6) if v is not None), 3)
    else:
        m.voltages["sokolow_lyon_mv"] = None
        m.null_reasons["voltages.sokolow_lyon_mv"] = "needs V1 and V5 or V6"
    if ravl is not None and sv3 is not None:
        m.voltages["cornell_mv"] = round(ravl + sv3, 3)
    else:
        m.voltages["cornell_mv"] = None
        m.null_reasons["voltages.cornell_mv"] = "needs aVL and V3"


#: How far (ms) a lead's own T / P peak may lie from the global one on the median beat before the
#: global wave stands for the lead's (flagged ``t_from_global`` / ``p_from_global``): about the
#: upper limits of normal QT dispersion (Malik M, Batchvarov VN, J Am Coll Cardiol 2000;36:1749-66)
#: and of P-wave dispersion (Dilaveris PE et al., Am Heart J 1998;135:733-8). Farther apart, the
#: lead's wave is taken for a mis-delineation (a U wave, a notch, the ST segment). Checked on the
#: odd LUDB ids (T F1 0.953 -> 0.957 from 80 to 60 ms), not set on the even ones.
T_PEAK_SPREAD_MAX = 60.0
P_PEAK_SPREAD_MAX = 40.0


def _per_lead_fiducials(dl, leads: list[str]) -> dict:
    """Per-lead fiducials (samples in the median window) of a delineation, with the global P/T
    standing in where a lead's own is missing or too far from it (``p_from_global``/``t_from_global``)."""
    med_f = {k: getattr(dl, k) for k in ("p_on", "p_peak", "p_off", "t_on", "t_peak", "t_off")}
    out = {}
    for i, name in enumerate(leads):
        pl = dl.per_lead.get(i)
        if pl is None:
            out[name] = None
            continue
        pl = dict(pl)
        # atrial depolarization and ventricular repolarization happen once for all leads: where a
        # lead's P or T is too small to be delineated on its own, or its peak lies farther from the
        # global peak than the normal dispersion, the global wave stands for it (flagged)
        for wave, keys in (("p", ("p_on", "p_peak", "p_off")), ("t", ("t_on", "t_peak", "t_off"))):
            limit = T_PEAK_SPREAD_MAX if wave == "t" else P_PEAK_SPREAD_MAX
            if (pl.get(keys[-1]) is None or _far(pl.get(keys[1]), med_f[keys[1]], limit)) \
                    and all(med_f[k] is not None for k in keys):
                pl.update({k: med_f[k] for k in keys})
                pl[f"{wave}_from_global"] = True
        out[name] = pl
    return out


def _lead_fiducials_ms(per_lead: dict, with_p: bool = True) -> dict:
    """:func:`_per_lead_fiducials` with samples of the median window turned into ms (flags kept);
    ``with_p=False`` leaves out the P wave (ectopic classes' own medians have none)."""
    return {name: None if pl is None else
            {k: (v if isinstance(v, bool) or v is None else _dl.ms(v)) for k, v in pl.items()
             if with_p or not k.startswith("p_")}
            for name, pl in per_lead.items()}


def _far(v, ref, limit_ms) -> bool:
    """True where samples ``v`` and ``ref`` (500 Hz) are more than ``limit_ms`` apart (False if any is None)."""
    return limit_ms is not None and v is not None and ref is not None and abs(_dl.ms(v - ref)) > limit_ms


#: Beat classes that get their own median beat and delineation when they are not the dominant class.
OWN_MEDIAN_CLASSES = ("premature_ventricular", "paced", "normal")


def _fiducials(m: Measurements, w: _Window, leads: list[str], dl_other: dict | None = None) -> None:
    """Fill ``m.fiducials`` (ms from record start).

    Layout::

        {"units": "ms from record start",
         "median_beat": {"fs_hz": 500, "align_ms": 400, <name>: ms in the 1.2 s median window,
                         "per_lead": {lead: {...}},
                         "by_class": {class: {qrs_on, qrs_off, t_on, t_peak, t_off,
                                              per_lead: {lead: {...}}}}},  # other classes' own medians
         "representative_beat": k,           # index into beats.r_peaks_ms
         "global": {p_on, p_peak, p_off, qrs_on, qrs_off, t_on, t_peak, t_off},   # on beat k
         "per_lead": {lead: {p_on, p_peak, p_off, qrs_on, r_peak, qrs_off, t_on, t_peak, t_off,
                             p_from_global, t_from_global}},  # on beat k; *_from_global: True where
                                                              # the lead's own P/T was too small or too
                                                              # far from the global one (*_PEAK_SPREAD_MAX)
         "beats": {"qrs_on_ms": [...], "qrs_off_ms": [...], "p_on_ms": [...], "p_off_ms": [...],
                   "t_off_ms": [...]}}        # one per beat, None where the wave is absent

    Fiducials of dominant beats are those of the median beat placed on each beat's alignment
    point; premature supraventricular beats (conducted like the dominant ones) and unclassified
    ones (on time, so most likely conducted, their shape changed by noise or fusion) get the median
    beat's QRS and T but no P (a premature P is shaped differently); premature ventricular
    beats, and paced beats among conducted ones (or conducted among paced), get those of their
    own class's median beat (``median_beat.by_class``) where it could be delineated, else a
    nominal QRS window (R - 60 ms to R + 80 ms, not measured) and no P/T.
    """
    dl = w.dl
    names = ("p_on", "p_peak", "p_off", "qrs_on", "qrs_off", "t_on", "t_peak", "t_off")
    med_f = {k: getattr(dl, k) for k in names}
    all_r = np.asarray(m.beats["r_peaks_ms"])
    beats_w = w.beats
    dom_idx = np.flatnonzero(w.dominant)
    if dom_idx.size:
        k_local = dom_idx[len(dom_idx) // 2]
    else:
        k_local = len(beats_w) // 2
    rep_ms = beats_w[k_local] * 1000.0 / WORK_FS
    k_global = int(np.argmin(np.abs(all_r - rep_ms))) if all_r.size else 0

    def place(center_ms, s):
        return None if s is None else round(center_ms + _dl.ms(s - _dl.ALIGN), 1)

    glob = {k: place(rep_ms, v) for k, v in med_f.items()}
    med_per = _per_lead_fiducials(dl, leads)
    per = {}
    for name, pl in med_per.items():
        per[name] = None if pl is None else {
            **{k: place(rep_ms, pl.get(k)) for k in ("p_on", "p_peak", "p_off", "qrs_on", "r_peak", "qrs_off", "t_on", "t_peak", "t_off")},
            **{k: True for k in ("p_from_global", "t_from_global") if pl.get(k)}}
    # per-beat (all windows share the same median offsets; the representative window's are used)
    cls = m.beats["classes"]
    dom_cls = "paced" if cls.count("paced") > cls.count("normal") else "normal"
    dl_other = {c: d for c, d in (dl_other or {}).items() if c != dom_cls}
    own_f = {c: {k: getattr(d, k) for k in ("qrs_on", "qrs_off", "t_on", "t_peak", "t_off")} for c, d in dl_other.items()}
    keys = ("qrs_on", "qrs_off", "p_on", "p_off", "t_off")
    dominant = {k: med_f[k] for k in keys}
    conducted = {**dominant, "p_on": None, "p_off": None}  # the dominant QRS and T, its own (premature) P
    beats_f = {f"{k}_ms": [] for k in keys}
    for r, c in zip(all_r, cls):
        if c in own_f:
            src = {**own_f[c], "p_on": None, "p_off": None}
        elif dom_cls == "normal" and c in ("premature_supraventricular", "unclassified"):
            src = conducted
        elif c == dom_cls:
            src = dominant
        else:
            src = None  # ectopic beat without its own median: wider QRS window, no P/T
        vals = ({k: place(r, src[k]) for k in keys} if src is not None else
                {**dict.fromkeys(keys), "qrs_on": round(r - 60.0, 1), "qrs_off": round(r + 80.0, 1)})
        for k in keys:
            beats_f[f"{k}_ms"].append(vals[k])
    m.fiducials = {
        "units": "ms from record start",
        "median_beat": {"fs_hz": WORK_FS, "align_ms": _dl.ms(_dl.ALIGN),
                        **{k: (None if v is None else _dl.ms(v)) for k, v in med_f.items()},
                        "per_lead": _lead_fiducials_ms(med_per),
                        "by_class": {c: {**{k: (None if v is None else _dl.ms(v)) for k, v in own_f[c].items()},
                                         "per_lead": _lead_fiducials_ms(_per_lead_fiducials(d, leads), with_p=False)}
                                     for c, d in dl_other.items()}},
        "representative_beat": k_global,
        "global": glob,
        "per_lead": per,
        "beats": beats_f,
    }


def _add_findings(m: Measurements, ecg: ECG) -> None:
    from .interpret import interpret

    m.findings = interpret(m, sex=ecg.meta.get("sex"), age=ecg.meta.get("age"))
