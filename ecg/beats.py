"""Beat detection and beat classification on multi-lead ECGs.

Detection: a Pan-Tompkins-style energy feature computed jointly over all usable leads
(Pan & Tompkins, IEEE TBME 32:230-236, 1985), local maxima at least 250 ms apart, an adaptive
threshold relative to the local level of QRS peaks, and a search-back for missed beats in long gaps
(Hamilton & Tompkins, IEEE TBME 33:1157-1165, 1986); a second search-back, in a 3-15 Hz band, finds
the wide ventricular complexes whose slopes are too slow for the 8-20 Hz energy feature
(:func:`_wide_search_back`; on 5 min of MIT-BIH 208 it missed 32 of them). Each beat is taken at
the largest deflection of a reference lead, then moved to where its QRS best matches the median
QRS (:func:`_align_to_template`), so that a fragmented QRS is taken at one point in every beat.

Classification (per beat): ``normal``, ``premature_supraventricular``, ``premature_ventricular``,
``paced``; from RR prematurity against the local RR and QRS morphology against the dominant
template (the criteria of the AAMI EC57 beat classes, as used by de Chazal et al., IEEE TBME
51:1196-1206, 2004: a supraventricular ectopic beat is premature with a normal QRS, a ventricular
ectopic beat has an abnormal, usually wide QRS), and pacemaker spikes before the QRS.

All sample indices refer to the signal given (500 Hz inside :mod:`ecg.measure`).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import find_peaks

from .filters import bandpass, qrs_feature

#: Refractory period between two QRS complexes, seconds (physiological limit, about 240 bpm).
REFRACTORY_S = 0.25
#: A beat is premature when its preceding RR is shorter than this fraction of the local RR.
#: 0.85-0.9 is the usual range (de Chazal 2004 uses RR features; Christov et al., Physiol Meas
#: 27:993, 2006); we use 0.87.
PREMATURE_RATIO = 0.87
#: Below this correlation with the dominant QRS template a beat has an abnormal QRS.
ABNORMAL_CORR = 0.80
#: ... or below this correlation together with a QRS energy width above ODD_WIDTH_RATIO or an
#: amplitude above ODD_AMPL_RATIO times the template's (width and amplitude alone are noisy on a
#: narrow QRS). Our heuristics (in the classifier since its first version), not a guideline's.
ODD_SHAPE_CORR = 0.88
ODD_WIDTH_RATIO = 1.8
ODD_AMPL_RATIO = 2.2
#: A QRS correlating below this with the template is very different: on time it is a ventricular
#: beat only when a pause follows it (next RR > PAUSE_RATIO x the local RR), else unclassified.
VERY_DIFFERENT_CORR = 0.5
PAUSE_RATIO = 1.1
#: A premature beat with a normal QRS is supraventricular when it is clearly early (RR below
#: this fraction of the local RR) and the RR after it is longer than its own by PAUSE_RATIO (the
#: rhythm resets; sinus arrhythmia speeds up and slows down gradually).
SVE_RATIO = 0.80
#: A beat without a stimulus of its own is paced when its QRS correlates at least this well with
#: the median QRS of the beats that follow a stimulus (at least :data:`PACED_MORPH_MIN` of them):
#: a bipolar stimulus of under 1 ms often falls between two samples at 500 Hz (LUDB 90, bipolar
#: ventricular pacing: 4 of its 10 stimuli visible), while the captured QRS is the same every time.
#: On the paced records of LUDB and PTB-XL the unstimulated paced beats correlate 0.97-1.00 with
#: that median and conducted or ectopic beats 0.10-0.50. Our heuristic.
PACED_MORPH_CORR = 0.95
PACED_MORPH_MIN = 3


def detect_r_peaks(x: np.ndarray, fs: float, lead_weights: np.ndarray | None = None,
                   recorded: np.ndarray | None = None) -> np.ndarray:
    """Detect QRS complexes.

    Args:
        x: ``(n_leads, n_samples)`` band-passed ECG in mV, finite.
        fs: sampling rate in Hz.
        lead_weights: optional ``(n_leads,)`` weights (0 for leads to ignore, e.g. flat ones).
        recorded: optional ``(n_leads, n_samples)`` boolean, False where a lead was not recorded
            (gaps filled for filtering): each beat's peak is then taken in a lead recorded there.

    Returns:
        int array of QRS positions (samples): within +/-60 ms of each detection, the peak of the
        reference lead (the one with the largest weighted QRS, among those recorded there) at
        that lead's prevailing polarity (positive where its positive peak is the larger in most
        beats, else negative), so that every beat is taken at the same wave (:func:`_refine_to_peak`).
    """
    x = np.atleast_2d(x)
    n = x.shape[1]
    f = qrs_feature(x, fs, lead_weights)
    dist = max(1, int(REFRACTORY_S * fs))
    cand, props = find_peaks(f, distance=max(1, int(0.2 * fs)))
    if cand.size == 0:
        return np.zeros(0, dtype=int)
    h = f[cand]
    # local level of QRS peaks: running max over 2 s, then its running median over ~8 s
    env = maximum_filter1d(f, size=int(2.0 * fs), mode="nearest")
    step = max(1, int(0.5 * fs))
    coarse = env[::step]
    k = max(1, int(8.0 * fs / step)) | 1
    from scipy.ndimage import median_filter

    level_c = median_filter(coarse, size=k, mode="nearest")
    level = np.interp(np.arange(n), np.arange(coarse.size) * step, level_c)
    thr = 0.22 * level[cand]
    keep = cand[h >= thr]
    keep = _enforce_refractory(keep, f, dist)
    # search back in long gaps with half the threshold
    if keep.size >= 3:
        rr = np.diff(keep)
        med = np.median(rr)
        extra = []
        for a, b in zip(keep[:-1], keep[1:]):
            if b - a > 1.6 * med:
                inside = cand[(cand > a + dist) & (cand < b - dist)]
                inside = inside[f[inside] >= 0.5 * 0.22 * level[inside]]
                if inside.size:
                    extra.append(inside[np.argmax(f[inside])])
        if extra:
            keep = _enforce_refractory(np.sort(np.concatenate([keep, extra])), f, dist)
    keep = _wide_search_back(x, fs, keep, lead_weights, recorded)
    return _align_to_template(x, _refine_to_peak(x, keep, fs, lead_weights, recorded), fs, lead_weights, recorded)


#: Wide-complex search-back (:func:`_wide_search_back`): an RR interval longer than this multiple
#: of the local RR is searched for a QRS the energy feature missed.
WIDE_GAP_RATIO = 1.5
#: Band (Hz) of the wide-complex feature: a 120-200 ms ventricular complex has most of its
#: energy at 3-10 Hz, where the 8-20 Hz feature sees a fifth of a narrow QRS's.
WIDE_BAND_HZ = (3.0, 15.0)
#: A candidate is a QRS when its band amplitude reaches this share of the detected beats' median
#: (the wide complexes the energy feature missed in MIT-BIH 208 reach 0.65-1.6, most above 1) ...
WIDE_MIN_RATIO = 0.5
#: ... and this multiple of the median band amplitude of the detected beats' T waves (there the T
#: waves reach 0.2-0.4, and a tall T wave raises the bar with it). Our heuristics, set on that
#: record; no LUDB, PTB-XL or MIT-BIH 100 beat changed with them.
WIDE_T_FACTOR = 2.5


def _wide_search_back(x: np.ndarray, fs: float, keep: np.ndarray, w: np.ndarray | None,
                      recorded: np.ndarray | None) -> np.ndarray:
    """Detections ``keep`` (sorted samples) with the wide QRS complexes added that the 8-20 Hz
    energy feature missed: in each RR interval longer than :data:`WIDE_GAP_RATIO` times the
    local RR (the median of up to 8 RRs on either side), at least :data:`REFRACTORY_S` from both
    beats, the largest amplitude of the :data:`WIDE_BAND_HZ` band (each lead scaled by its median
    at the detected beats, weighted as in the energy feature) becomes a beat when it reaches
    :data:`WIDE_MIN_RATIO` and :data:`WIDE_T_FACTOR` times the T-wave level; repeated until
    nothing is added (a couplet in one gap). ``x``, ``fs``, ``w`` and ``recorded`` as in
    :func:`detect_r_peaks`."""
    if keep.size < 4:
        return keep

    def gaps(k):
        rr = np.diff(k)
        local = np.array([np.median(rr[max(0, j - 8):j + 9]) for j in range(rr.size)])
        return np.flatnonzero(rr > WIDE_GAP_RATIO * local)

    long_rr = gaps(keep)
    if long_rr.size == 0:
        return keep
    y = np.abs(bandpass(x, fs, *WIDE_BAND_HZ))
    if recorded is not None:
        y = np.where(recorded, y, 0.0)
    h = int(0.05 * fs)
    dist = int(REFRACTORY_S * fs)
    peak = np.array([y[:, max(0, i - h):i + h + 1].max(axis=1) for i in keep])  # (beats, leads)
    scale = np.median(peak, axis=0)
    ww = np.ones(x.shape[0]) if w is None else np.asarray(w, float)
    ww = np.where(scale > 1e-6, ww, 0.0)
    if not ww.any():
        return keep
    g = (ww[:, None] * y / np.where(scale > 1e-6, scale, 1.0)[:, None]).sum(axis=0) / ww.sum()
    rr = np.diff(keep)
    t_amp = [g[i + dist:i + min(int(0.45 * fs), r - dist)].max() for i, r in zip(keep[:-1], rr) if r > 2 * dist]
    if not t_amp:
        return keep
    need = max(WIDE_MIN_RATIO, WIDE_T_FACTOR * float(np.median(t_amp)))
    for _ in range(8):
        add = []
        for j in long_rr:
            lo, hi = keep[j] + dist, keep[j + 1] - dist
            if hi <= lo:
                continue
            c = lo + int(np.argmax(g[lo:hi]))
            if g[c] >= need:
                add.append(c)
        if not add:
            break
        keep = np.sort(np.concatenate([keep, add]))
        long_rr = gaps(keep)
    return keep


def _enforce_refractory(idx: np.ndarray, f: np.ndarray, dist: int) -> np.ndarray:
    """Among peaks closer than ``dist`` samples keep the one with the larger feature value."""
    if idx.size < 2:
        return idx
    out = [int(idx[0])]
    for i in idx[1:]:
        if i - out[-1] < dist:
            if f[i] > f[out[-1]]:
                out[-1] = int(i)
        else:
            out.append(int(i))
    return np.asarray(out, dtype=int)


def _refine_to_peak(x: np.ndarray, idx: np.ndarray, fs: float, w: np.ndarray | None,
                    recorded: np.ndarray | None = None) -> np.ndarray:
    """Move each detection to the largest absolute deflection of a reference lead: the lead with
    the largest weighted QRS, among those recorded around the detection where ``recorded`` says
    (a paper ECG without a rhythm strip prints each lead for a quarter of the time: one lead
    for the whole record put 3 beats in 4 on the flat, filled gap, up to 80 ms off)."""
    if idx.size == 0:
        return idx
    n = x.shape[1]
    half = int(0.06 * fs)
    scale = np.percentile(np.abs(x), 99, axis=1)
    scale[scale <= 1e-6] = np.inf
    ww = np.ones(x.shape[0]) if w is None else np.asarray(w, float)
    size = ww * np.where(np.isfinite(scale), scale, 0)
    ref = int(np.argmax(size))
    leads, segs = [], []
    for i in idx:
        a, b = max(0, i - half), min(n, i + half + 1)
        r = ref
        if recorded is not None and not recorded[ref, a:b].all():
            here = recorded[:, a:b].all(axis=1) & (size > 0)
            if here.any():
                r = int(np.argmax(np.where(here, size, -1.0)))
        leads.append(r)
        segs.append((a, x[r, a:b] - np.median(x[r, a:b])))
    # one polarity per lead: where a lead's positive and negative peaks are about as large (an RS
    # complex), the larger of the two flips between beats with noise, and beats taken at their
    # largest excursion alternate between the R and the S (PTB-XL 396: two groups 28 ms apart; the
    # template the beat classes compare with is then a blend that no beat resembles, and sinus
    # arrhythmia became premature ventricular beats). Each lead's beats are all taken at the
    # polarity that is the larger in most of them.
    leads = np.asarray(leads)
    up = np.array([sg.max() >= -sg.min() for _, sg in segs])
    pol = {int(r): 1.0 if up[leads == r].mean() >= 0.5 else -1.0 for r in np.unique(leads)}
    out = np.empty_like(idx)
    for j, ((a, sg), r) in enumerate(zip(segs, leads)):
        out[j] = a + int(np.argmax(pol[int(r)] * sg))
    return np.unique(out)


#: Template alignment (:func:`_align_to_template`), our heuristics: lags searched (s) either side
#: of each beat.
ALIGN_LAG_S = 0.12
#: Correlations are taken below this frequency (Hz): the QRS's own shape, without the spikes of a
#: fragmented QRS that differ from beat to beat.
ALIGN_LOWPASS_HZ = 15.0
#: A beat correlating at least this well where it is is not searched.
ALIGN_SEARCH_BELOW = 0.9
#: A beat moves where its correlation with the template reaches ALIGN_MIN_CORR (and gains), or
#: ALIGN_MIN_CORR_GAINING with a gain of ALIGN_MIN_GAIN over where it was (a beat taken 110 ms
#: early on its P wave in v102s gains 0.46, to 0.79; an ectopic beat, unlike the template at
#: every lag, gains little).
ALIGN_MIN_CORR = 0.8
ALIGN_MIN_CORR_GAINING = 0.7
ALIGN_MIN_GAIN = 0.3


def _align_to_template(x: np.ndarray, beats: np.ndarray, fs: float, w: np.ndarray | None,
                       recorded: np.ndarray | None = None) -> np.ndarray:
    """Beats (sorted samples) moved to the lag, within +/-:data:`ALIGN_LAG_S`, where their QRS
    window (-60..+100 ms over the weighted leads, each scaled by its 99th percentile, low-passed
    at :data:`ALIGN_LOWPASS_HZ`) correlates best with the median window of all beats, where that
    correlation passes the ALIGN_MIN_* limits; twice, the second time against the aligned median.
    A fragmented QRS has several spikes of about one height, and the one taken as the peak varied
    from beat to beat, or the detection fell on the P wave before it (CinC 2015 v102s: beats up to
    115 ms apart within one complex, so sinus beats looked premature and unlike the template).
    ``x``, ``fs``, ``w``, ``recorded`` as in :func:`detect_r_peaks`."""
    n_b = beats.size
    if n_b < 4:
        return beats
    n = x.shape[1]
    a, b = int(0.06 * fs), int(0.10 * fs)
    L = int(round(ALIGN_LAG_S * fs))
    ww = np.ones(x.shape[0]) if w is None else np.asarray(w, float)
    scale = np.percentile(np.abs(x), 99, axis=1)
    use = (ww > 0) & (scale > 1e-6)
    if not use.any():
        return beats
    xs = bandpass(x[use], fs, 0.0, ALIGN_LOWPASS_HZ) * (ww[use] / scale[use])[:, None]
    if recorded is not None:
        xs = np.where(recorded[use], xs, 0.0)
    inside = (beats - a - L >= 0) & (beats + b + L <= n)
    if inside.sum() < 4:
        return beats
    out = beats.copy()
    lags = np.arange(-L, L + 1)
    near = int(round(0.02 * fs))
    idx = np.arange(-a, b)
    for _ in range(2):
        snips = xs[:, out[inside][:, None] + idx[None, :]]            # (leads, beats, n)
        snips = snips - snips.mean(axis=2, keepdims=True)
        tmpl = np.median(snips, axis=1)
        tmpl = tmpl - tmpl.mean(axis=1, keepdims=True)
        tn = np.linalg.norm(tmpl) + 1e-12
        c0 = np.einsum("lbn,ln->b", snips, tmpl) / (np.sqrt(np.einsum("lbn,lbn->b", snips, snips)) * tn + 1e-12)
        moved = out.copy()
        # a beat that already matches the template closely is where it should be (the median
        # beats' own +/-20 ms alignment follows); only the others are searched
        for j in np.flatnonzero(inside)[c0 < ALIGN_SEARCH_BELOW]:
            seg = xs[:, out[j] - a - L: out[j] + b + L]
            win = np.lib.stride_tricks.sliding_window_view(seg, a + b, axis=1)  # (leads, lags, n)
            win = win - win.mean(axis=2, keepdims=True)
            corr = np.einsum("lkn,ln->k", win, tmpl) / (np.sqrt(np.einsum("lkn,lkn->k", win, win)) * tn + 1e-12)
            k = int(np.argmax(corr))
            gain = corr[k] - corr[L]
            if abs(lags[k]) <= near and (corr[L] >= ALIGN_MIN_CORR or gain < 0.1):
                continue  # a small lag the median beats' own alignment (+/-20 ms) takes care of
            if (corr[k] >= ALIGN_MIN_CORR and gain > 0.02) or (corr[k] >= ALIGN_MIN_CORR_GAINING and gain >= ALIGN_MIN_GAIN):
                moved[j] = out[j] + lags[k]
        if np.array_equal(moved, out):
            break
        out = moved
    return np.unique(out)


def _qrs_windows(beats: np.ndarray, x: np.ndarray, fs: float,
                 recorded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each beat's QRS window, -60..+100 ms around it: ``(n_beats, n_leads, n)`` float32 mV with
    each lead's window mean removed (zero past the record's ends), and ``(n_beats, n_leads)``
    booleans, True where the lead was recorded over the whole window (all True without
    ``recorded``)."""
    n_b = beats.size
    a, b = int(0.06 * fs), int(0.10 * fs)
    n = x.shape[1]
    snips = np.zeros((n_b, x.shape[0], a + b), dtype=np.float32)
    for j, i in enumerate(beats):
        lo, hi = i - a, i + b
        s0, s1 = max(0, lo), min(n, hi)
        snips[j, :, s0 - lo: s0 - lo + (s1 - s0)] = x[:, s0:s1]
    snips -= snips.mean(axis=2, keepdims=True)
    if recorded is None or recorded.all():
        rec_b = np.ones((n_b, x.shape[0]), bool)
    else:
        rec_b = np.array([recorded[:, max(0, i - a):min(n, i + b)].all(axis=1) for i in beats]).reshape(n_b, x.shape[0])
    return snips, rec_b


#: A detection whose QRS window holds, in the median lead, less than this share of the lead's
#: template amplitude is not a QRS complex (a muscle-noise burst in a few leads, while the others
#: stay flat). On PTB-XL the false detections inside noise bursts (292, 304, 475, 182) reach a
#: median ratio of 0.02-0.20, every premature ventricular beat of PTB-XL and LUDB checked 0.88-2.5.
SPURIOUS_AMPL_RATIO = 0.4
#: Fewest leads compared for that test: with one or two leads a small ectopic QRS is possible.
SPURIOUS_MIN_LEADS = 3


def spurious_detections(beats: np.ndarray, x: np.ndarray, fs: float, recorded: np.ndarray | None = None) -> np.ndarray:
    """Detections that are not QRS complexes: boolean per beat.

    A beat is spurious when its QRS shape differs from the template (correlation below
    :data:`ABNORMAL_CORR`) and, over the leads with a template amplitude above 5 % of the
    largest (and recorded during the beat), the median ratio of the beat's QRS-window amplitude
    (RMS over -60..+100 ms) to the lead's template is below :data:`SPURIOUS_AMPL_RATIO`. Needs at
    least :data:`SPURIOUS_MIN_LEADS` such leads and 4 beats; otherwise nothing is spurious.

    Args:
        beats: QRS positions (samples), sorted.
        x: ``(n_leads, n_samples)`` band-passed ECG in mV.
        fs: Hz.
        recorded: optional ``(n_leads, n_samples)`` boolean, False where a lead was not recorded.
    """
    n_b = beats.size
    out = np.zeros(n_b, bool)
    if n_b < 4 or x.shape[0] < SPURIOUS_MIN_LEADS:
        return out
    a, b = int(0.06 * fs), int(0.10 * fs)
    inside = (beats - a >= 0) & (beats + b <= x.shape[1])
    if inside.sum() < 4:
        return out
    idx = np.flatnonzero(inside)
    snips, rec_all = _qrs_windows(beats, x, fs, recorded)
    sn, rec_b = snips[idx].astype(np.float64), rec_all[idx]
    tmpl = np.zeros(sn.shape[1:])
    for ld in range(x.shape[0]):
        if rec_b[:, ld].sum() >= 2:
            tmpl[ld] = np.median(sn[rec_b[:, ld], ld], axis=0)
    tn = np.linalg.norm(tmpl, axis=1)
    live = tn > 0.05 * (tn.max() + 1e-12)
    for k, j in enumerate(idx):
        use = live & rec_b[k]
        if use.sum() < SPURIOUS_MIN_LEADS:
            continue
        s, t = sn[k][use].ravel(), tmpl[use].ravel()
        corr = float(np.dot(s, t) / (np.linalg.norm(s) * np.linalg.norm(t) + 1e-12))
        ratio = float(np.median(np.linalg.norm(sn[k][use], axis=1) / tn[use]))
        out[j] = corr < ABNORMAL_CORR and ratio < SPURIOUS_AMPL_RATIO
    return out


def _paced_by_morphology(flags: np.ndarray, sm: np.ndarray, use: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """``flags`` with the beats added whose QRS matches the median QRS of the stimulated beats
    (:data:`PACED_MORPH_CORR`); ``sm`` the beats' QRS windows ``(n_beats, n_leads, n_samples)``
    masked by ``use`` (leads compared per beat); beats in ``skip`` (record edges, no lead) are
    left as they are."""
    ref = flags & ~skip
    if ref.sum() < PACED_MORPH_MIN:
        return flags
    corr = _joint_corr(sm, np.median(sm[ref], axis=0)[None] * use[:, :, None])
    return flags | ((corr >= PACED_MORPH_CORR) & ~skip)


def _joint_corr(sm: np.ndarray, tm: np.ndarray) -> np.ndarray:
    """Correlation of each beat's QRS windows ``sm`` with the template windows ``tm`` (both
    ``(n_beats, n_leads, n_samples)``, masked to the leads compared), over those leads jointly."""
    n_b = sm.shape[0]
    sf, tf = sm.reshape(n_b, -1), tm.reshape(n_b, -1)
    return np.sum(sf * tf, axis=1) / (np.linalg.norm(sf, axis=1) * (np.linalg.norm(tf, axis=1) + 1e-12) + 1e-12)


def classify_beats(
    beats: np.ndarray,
    x: np.ndarray,
    fs: float,
    paced_flags: np.ndarray | None = None,
    recorded: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Classify each beat.

    Args:
        beats: aligned QRS positions (samples), sorted.
        x: ``(n_leads, n_samples)`` band-passed ECG in mV.
        fs: Hz.
        paced_flags: optional boolean per beat, True where a pacemaker spike precedes the QRS;
            a beat without one whose QRS matches the stimulated beats' median QRS
            (:data:`PACED_MORPH_CORR`) is paced too.
        recorded: optional ``(n_leads, n_samples)`` boolean, False where a lead was not recorded
            (a paper ECG prints each lead for 2.5 s). Each beat is then compared with the
            template over the leads recorded during that beat only, the template of a lead
            being the median of the beats recorded in it; without it, all leads count.

    Returns:
        (classes, corr, width_ratio): class names per beat; correlation of each beat's QRS
        with the dominant template (-1..1); each beat's QRS energy width relative to the template.

    Rules (the constants above; :func:`class_criterion` says them in words): abnormal QRS
    (correlation < ``ABNORMAL_CORR``, or < ``ODD_SHAPE_CORR`` together with an energy width >
    ``ODD_WIDTH_RATIO`` or an amplitude > ``ODD_AMPL_RATIO`` times the template's) and (premature,
    or very different with a pause after it: RR after > ``PAUSE_RATIO`` x local RR) ->
    premature_ventricular; very different (correlation < ``VERY_DIFFERENT_CORR``, or <
    ``ABNORMAL_CORR`` at more than ``ODD_WIDTH_RATIO`` times the template's width), on time and
    without a pause -> unclassified (AAMI EC57 class Q); normal QRS, RR < ``SVE_RATIO`` x local RR and an RR
    after it > ``PAUSE_RATIO`` x its own -> premature_supraventricular; paced flag -> paced;
    otherwise normal.
    """
    n_b = beats.size
    classes = ["normal"] * n_b
    if n_b == 0:
        return classes, np.zeros(0), np.zeros(0)
    a, b = int(0.06 * fs), int(0.10 * fs)
    n = x.shape[1]
    snips, rec_b = _qrs_windows(beats, x, fs, recorded)
    # beats whose QRS window runs past either end of the record cannot be compared. A beat close
    # to an end is compared like any other: the band-pass is zero-phase with padding
    # (ecg.filters.bandpass), and a margin of 100 ms that once kept filter transients out left the
    # first beat of PTB-XL 413, a premature ventricular complex 90 ms into the record, as normal.
    # Samples a recorder held at one value (ecg.measure.HELD_END_MIN_S) come in as not recorded
    # (``recorded`` False in every lead): a beat cut by them is compared over no lead and stays normal
    edge = (beats - a < 0) | (beats + b > n)
    if rec_b.all():
        template = np.median(snips, axis=0)
    else:
        template = np.zeros(snips.shape[1:], np.float32)
        for l in range(x.shape[0]):
            if rec_b[:, l].any():
                template[l] = np.median(snips[rec_b[:, l], l], axis=0)
    use = rec_b & rec_b.any(axis=0)[None, :]          # leads compared for each beat
    none = ~use.any(axis=1)
    sm = snips * use[:, :, None]
    tm = template[None] * use[:, :, None]
    corr = _joint_corr(sm, tm)
    tn_b = np.linalg.norm(tm.reshape(n_b, -1), axis=1) + 1e-12
    sf = sm.reshape(n_b, -1)

    # energy width: samples holding the central 80% of the QRS energy
    def _width(s):
        e = np.sum(s * s, axis=-2)
        c = np.cumsum(e, axis=-1)
        tot = c[..., -1:] + 1e-12
        return np.sum((c / tot > 0.1) & (c / tot < 0.9), axis=-1)

    width_ratio = (_width(sm) + 1.0) / (_width(tm) + 1.0)
    ampl_ratio = np.linalg.norm(sf, axis=1) / tn_b
    for arr in (corr, width_ratio, ampl_ratio):
        arr[edge | none] = 1.0
    if paced_flags is not None:
        paced_flags = _paced_by_morphology(np.asarray(paced_flags, bool), sm, use, edge | none)
    rr_prev = np.diff(beats, prepend=beats[0] - (np.median(np.diff(beats)) if n_b > 1 else fs))
    # local reference RR: median of the RRs around the beat (up to 8 on each side)
    rr_all = np.diff(beats).astype(float) if n_b > 1 else np.array([fs])
    for j in range(n_b):
        lo, hi = max(0, j - 8), min(rr_all.size, j + 8)
        ref = np.median(rr_all[lo:hi]) if hi > lo else rr_prev[j]
        premature = j > 0 and rr_prev[j] < PREMATURE_RATIO * ref
        # a supraventricular premature beat must also stand out from its neighbours: the next RR
        # is longer than this one (the rhythm resets), which sinus arrhythmia does not mimic
        nxt = rr_all[j] if j < rr_all.size else None
        clearly_early = premature and rr_prev[j] < SVE_RATIO * ref and (nxt is None or nxt > PAUSE_RATIO * rr_prev[j])
        # width and amplitude alone are noisy on narrow QRS; they count with a reduced correlation
        odd_shape = corr[j] < ODD_SHAPE_CORR and (width_ratio[j] > ODD_WIDTH_RATIO or ampl_ratio[j] > ODD_AMPL_RATIO)
        abnormal = corr[j] < ABNORMAL_CORR or odd_shape
        # very different: by shape alone, or abnormal by correlation and wide (a late-coupled
        # ventricular complex of MIT-BIH 208 correlates 0.6-0.8 with the template, at twice its width)
        very_different = corr[j] < VERY_DIFFERENT_CORR or (corr[j] < ABNORMAL_CORR and width_ratio[j] > ODD_WIDTH_RATIO)
        if paced_flags is not None and paced_flags[j]:
            classes[j] = "paced"
        elif abnormal and (premature or (very_different and nxt is not None and nxt > PAUSE_RATIO * ref)):
            # a very different QRS that comes on time is called ventricular only when a pause
            # follows it (a late-coupled extrasystole); otherwise it is left unclassified
            # (AAMI EC57 class Q: noise, fusion or intermittent aberration look the same)
            classes[j] = "premature_ventricular"
        elif abnormal and very_different:
            classes[j] = "unclassified"
        elif clearly_early:
            classes[j] = "premature_supraventricular"
    return classes, corr, width_ratio


def class_criterion(name: str) -> str:
    """The rule :func:`classify_beats` applies for the class ``name`` ("premature_ventricular" or
    "premature_supraventricular"), in words, from the constants it uses (their sources are
    given where they are defined: :data:`PREMATURE_RATIO` from the RR-feature literature, the
    others our heuristics). Returns a str; raises ValueError for any other class name."""
    pct = lambda v: f"{round(100 * v)}%"
    if name == "premature_ventricular":
        return (f"an abnormal QRS (correlation with the dominant QRS < {ABNORMAL_CORR:.2f}, or < {ODD_SHAPE_CORR:.2f} with "
                f"{ODD_WIDTH_RATIO:g}x its width or {ODD_AMPL_RATIO:g}x its amplitude) that is premature (RR < "
                f"{pct(PREMATURE_RATIO)} of the local RR), or a very different QRS (correlation < {VERY_DIFFERENT_CORR:g}, "
                f"or < {ABNORMAL_CORR:.2f} at {ODD_WIDTH_RATIO:g}x its width) followed by a pause (next RR > "
                f"{PAUSE_RATIO:g}x the local RR)")
    if name == "premature_supraventricular":
        return (f"a QRS like the dominant one, clearly early (RR < {pct(SVE_RATIO)} of the local RR) and followed by a "
                f"longer RR (> {PAUSE_RATIO:g}x its own)")
    raise ValueError(f"no criterion for beat class {name!r}; use 'premature_ventricular' or 'premature_supraventricular'")


#: Hz: pacemaker stimuli are sought from this sampling rate (:func:`pacing_spikes`); below it a
#: spike of under 2 ms is not reliably sampled (an anti-aliased 250 Hz copy of a paced PTB-XL or LUDB
#: record keeps 0-6 of its 10-12 stimuli). Our limit; ``ecg.interpret`` says so on wide QRS.
PACE_MIN_FS = 400.0


#: A stimulus' second difference must exceed this many robust SDs of the lead's own second
#: difference (its noise). Our threshold: Gaussian noise exceeds 6 SD with a probability of 2e-9
#: per sample. GAUSS_Q99: the 99th percentile of |z| for Gaussian noise.
SPIKE_NOISE_SD = 6.0
GAUSS_Q99 = 2.576


def _robust_sd(v_abs: np.ndarray) -> np.ndarray:
    """``(n_leads, 1)`` robust SD of each row of a difference signal given as ``|v|`` (1.4826 x the
    median of ``|v|`` over every third sample: differences of an ECG have a median of about 0, so
    that is their MAD)."""
    return 1.4826 * np.median(v_abs[:, ::3], axis=1, keepdims=True)


def pacing_spikes(x_raw: np.ndarray, fs: float) -> np.ndarray:
    """Find pacemaker stimulus artefacts.

    A pacing spike is a deflection of under 2 ms (Part I, Kligfield 2007, on pacemaker pulse
    detection) that is much steeper than any physiological slope. At sampling rates of 400 Hz
    or more it shows as a second difference above 0.1 mV and beyond 3 times the lead's 99th
    percentile (a spike occupies well under 1 % of the samples, so that percentile is the level
    of the steepest QRS slopes; the share broadband noise adds to it is taken out) and
    :data:`SPIKE_NOISE_SD` times the noise, rising out of a quiet signal (the slope 4-16 ms before
    it under a quarter of its own, plus 3 noise SDs), in at least 3 leads at once (2 with 3-5
    leads, 1 with fewer).
    These are our heuristics (no standard defines them); devices that filter out pacing spikes
    before storing the signal defeat them, and a paced rhythm is only called when spikes precede
    most beats (:func:`ecg.measure.measure`).

    Args:
        x_raw: ``(n_leads, n_samples)`` unfiltered ECG in mV at ``fs``.
        fs: Hz (spikes are not sought below :data:`PACE_MIN_FS`, where they are not reliably sampled).

    Returns:
        sorted spike positions, in seconds from record start.
    """
    if fs < PACE_MIN_FS:
        return np.zeros(0)
    # a spike rises and falls within ~2 ms: a second difference far above the steepest QRS slope
    x = np.nan_to_num(x_raw)
    d2 = np.abs(np.diff(x, n=2, axis=-1))
    # the recording's own sample-to-sample noise (robust SD of the first and second differences,
    # which in a clean ECG are tiny): broadband noise fills the 99th percentile with itself (25 uV
    # RMS of white noise at 500 Hz puts it near 0.16 mV, and 3 times that above LUDB's 0.2-0.4 mV
    # stimuli); its share is taken out of that percentile, and a spike must stand out of it
    s2 = _robust_sd(d2)
    q99 = np.percentile(d2, 99, axis=1, keepdims=True)
    ref = np.sqrt(np.maximum(q99 ** 2 - (GAUSS_Q99 * s2) ** 2, 0.0)) + 1e-6
    hit = (d2 > 3 * ref) & (d2 > 0.1) & (d2 > SPIKE_NOISE_SD * s2)
    # ... and out of a quiet signal: the slope over the 4-16 ms before it is under a quarter of
    # the spike's own slope (an R peak, also sharp at 500 Hz, is reached by a steep upstroke),
    # beyond what the noise adds to that slope
    d1 = np.abs(np.diff(x, axis=-1))
    s1 = _robust_sd(d1)[:, 0]
    a, b = int(round(0.016 * fs)), int(round(0.004 * fs))
    li, ti = np.nonzero(hit)
    for l_, t_ in zip(li, ti):
        lo, hi = max(0, t_ - a), max(0, t_ - b)
        own = d1[l_, t_: t_ + 2].max()
        if hi > lo and d1[l_, lo:hi].max() > 0.25 * own + 3 * s1[l_]:
            hit[l_, t_] = False
    score = hit.sum(axis=0)
    n_l = x_raw.shape[0]
    need = 3 if n_l >= 6 else (2 if n_l >= 3 else 1)
    idx = np.flatnonzero(score >= need)
    if idx.size == 0:
        return np.zeros(0)
    return merge_spikes((idx + 1) / fs)


def merge_spikes(times_s: np.ndarray, gap_s: float = 0.01) -> np.ndarray:
    """Sorted stimulus times (s) with each one that lies within ``gap_s`` after the last one kept
    dropped: the samples of one stimulus, or the same stimulus found in two copies of a record."""
    t = np.sort(np.asarray(times_s, float))
    if t.size == 0:
        return t
    keep = [t[0]]
    for v in t[1:]:
        if v - keep[-1] > gap_s:
            keep.append(v)
    return np.asarray(keep)
