"""Per-lead signal quality: flat or missing lead, baseline wander, noise, high-frequency noise and a 0..1 score.

The indices follow the signal quality indices of Clifford et al., "Signal quality indices and
data fusion for determining clinical acceptability of electrocardiograms", Physiol Meas
33:1419-1433, 2012 (flat-line detection, baseline power, beat-to-beat agreement). The score is
a logistic map of the median-beat SNR: ``SNR_dB = 20 log10(QRS peak-to-peak / noise RMS)``, with
noise the RMS difference between individual beats and the median beat (so muscle noise, mains
residue and wander all count). The numbers below are our own calibration, not a standard.
"""
from __future__ import annotations

import numpy as np

#: A lead whose band-passed peak-to-peak is below this (mV) is flat (disconnected electrode).
FLAT_PTP_MV = 0.05
#: A lead with less recorded signal than this (s) counts as missing (a 3x4 paper ECG prints
#: 2.5 s of each lead; that is enough for two or more beats).
MIN_RECORDED_S = 2.0
#: SNR (dB) at which the score is 0.5, and the width (dB) of the logistic map.
SNR_MID_DB = 12.0
SNR_WIDTH_DB = 3.0
#: Band (Hz) of the high-frequency noise index (muscle tremor, mains and its harmonics): above the
#: 40 Hz the measurements are made at, so it does not enter the score; it says what the reader sees
#: on the unfiltered trace. Its upper edge is lowered to 45 % of the input rate; below
#: :data:`HF_MIN_FS` Hz there is no such band and the index is None.
HF_BAND_HZ = (40.0, 150.0)
HF_MIN_FS = 200.0
#: Samples around each beat (ms before, after its alignment point) left out of the index: the
#: QRS itself has content above 40 Hz.
HF_QRS_MS = (80.0, 120.0)
#: A lead's index (99th percentile of the band's absolute value, mV) from which its reason names the
#: noise: half a millimetre at 10 mm/mV, visible on paper (our operational choice).
HF_VISIBLE_MV = 0.05


def hf_noise(raw: np.ndarray, nan_mask: np.ndarray, beats: np.ndarray | None, fs: float, fs_in: float) -> list:
    """High-frequency noise per lead: the 99th percentile of ``|raw|`` band-passed to
    :data:`HF_BAND_HZ`, outside the QRS complexes (mV); None per lead where the input rate is below
    :data:`HF_MIN_FS` or too little signal is left.

    Args:
        raw: ``(n_leads, n)`` at ``fs`` Hz before band-pass (NaN filled), mV.
        nan_mask: ``(n_leads, n)`` True where the input had no sample.
        beats: QRS alignment points (samples at ``fs``) or None.
        fs: Hz of ``raw``; fs_in: the rate the record came at (limits the band).
    """
    from scipy import signal as sig

    n_l, n = raw.shape
    hi = min(HF_BAND_HZ[1], 0.45 * fs_in, 0.45 * fs)
    if fs_in < HF_MIN_FS or hi <= HF_BAND_HZ[0] + 10 or n < int(fs):
        return [None] * n_l
    sos = sig.butter(4, (HF_BAND_HZ[0], hi), btype="bandpass", fs=fs, output="sos")
    y = sig.sosfiltfilt(sos, np.asarray(raw, np.float64), axis=1)
    keep = ~nan_mask if nan_mask.size else np.ones((n_l, n), bool)
    a, b = int(HF_QRS_MS[0] * fs / 1000), int(HF_QRS_MS[1] * fs / 1000)
    for p in (beats if beats is not None else []):
        keep[:, max(0, int(p) - a): int(p) + b] = False
    out = []
    for i in range(n_l):
        v = np.abs(y[i, keep[i]])
        out.append(round(float(np.percentile(v, 99)), 4) if v.size >= fs else None)
    return out


#: Artefact stretches (:func:`artefact_spans`), our heuristics: a lead is off its ECG where its
#: 0.5-40 Hz signal, outside the dominant beats' QRS windows, exceeds this multiple of their QRS
#: peak ...
ARTEFACT_QRS_FACTOR = 1.5
#: ... each such sample counts for this long (s) either side ...
ARTEFACT_DILATE_S = 0.3
#: ... and a stretch where every lead is off counts from this length (s).
ARTEFACT_MIN_S = 1.0


def artefact_spans(filtered: np.ndarray, nan_mask: np.ndarray, dominant: np.ndarray, fs: float) -> list:
    """Stretches where no lead shows an ECG, as ``[(first, end), ...]`` samples.

    In every lead recorded over most of the window whose dominant QRS peak (the median over the
    beats of the largest 0.5-40 Hz value in -60..+100 ms) reaches 0.05 mV, the signal outside
    those QRS windows exceeds :data:`ARTEFACT_QRS_FACTOR` times that peak (each such sample
    counted for :data:`ARTEFACT_DILATE_S` either side), for at least :data:`ARTEFACT_MIN_S`. An
    amplifier flipping between its limits (CinC 2015 a103l, its last 40 s) does this; T waves, P
    waves and baseline wander stay under the QRS peak in some lead (no LUDB or PTB-XL record has a
    stretch). Needs 3 dominant beats; ``filtered`` ``(n_leads, n)`` mV, ``nan_mask`` as there,
    ``dominant`` their QRS positions (samples), ``fs`` Hz."""
    n = filtered.shape[1]
    a, b = int(0.06 * fs), int(0.10 * fs)
    dom = np.asarray([i for i in dominant if i - a >= 0 and i + b <= n], int)
    if dom.size < 3:
        return []
    in_qrs = np.zeros(n, bool)
    for i in dom:
        in_qrs[i - a:i + b] = True
    off = np.ones(n, bool)
    used = 0
    for row, nan in zip(filtered, nan_mask):
        if nan.mean() > 0.5:
            continue
        peak = float(np.median([np.abs(row[i - a:i + b]).max() for i in dom]))
        if peak < FLAT_PTP_MV:
            continue
        used += 1
        off &= (np.abs(row) > ARTEFACT_QRS_FACTOR * peak) & ~in_qrs & ~nan
    idx = np.flatnonzero(off)
    if not used or idx.size == 0:
        return []
    d = int(ARTEFACT_DILATE_S * fs)
    spans = []
    lo, hi = idx[0] - d, idx[0] + d
    for i in idx[1:]:
        if i - d > hi:
            spans.append((lo, hi))
            lo = i - d
        hi = i + d
    spans.append((lo, hi))
    return [(max(0, int(s)), min(n, int(e))) for s, e in spans if e - s >= ARTEFACT_MIN_S * fs]


def lead_quality(
    raw: np.ndarray,
    filtered: np.ndarray,
    nan_mask: np.ndarray,
    stack: np.ndarray | None,
    median: np.ndarray | None,
    fs: float,
    beats: np.ndarray | None = None,
    fs_in: float | None = None,
) -> list[dict]:
    """Quality of every lead.

    Args:
        raw: ``(n_leads, n)`` signal at 500 Hz before band-pass (NaN filled), mV.
        filtered: ``(n_leads, n)`` band-passed 0.5-40 Hz, mV.
        nan_mask: ``(n_leads, n)`` True where the input had no sample.
        stack: ``(n_beats, n_leads, 600)`` dominant beats or None; median: ``(n_leads, 600)``.
        fs: Hz of ``raw`` and ``filtered``.
        beats: QRS alignment points (samples at ``fs``), left out of the high-frequency index.
        fs_in: the record's own rate (``fs`` if None), which bounds that index's band.

    Returns:
        one dict per lead: ``score`` 0..1, ``noise`` (mV RMS, beat-to-beat), ``baseline_wander``
        (mV RMS of the < 0.5 Hz component), ``hf_noise_mv`` (:func:`hf_noise`), ``flat`` (bool),
        ``snr_db``, ``reason`` (text).
    """
    n_l = raw.shape[0]
    out = []
    wander = raw - filtered
    hf_mv = hf_noise(raw, nan_mask, beats, fs, fs_in or fs)
    for i in range(n_l):
        missing = float(nan_mask[i].mean()) if nan_mask.size else 0.0
        f = filtered[i][~nan_mask[i]] if missing < 1 else np.zeros(1)
        ptp = float(np.percentile(f, 99.5) - np.percentile(f, 0.5)) if f.size > 10 else 0.0
        bw = float(np.std(wander[i][~nan_mask[i]])) if missing < 1 else 0.0
        recorded_s = float((~nan_mask[i]).sum()) / fs if nan_mask.size else raw.shape[1] / fs
        absent = recorded_s < MIN_RECORDED_S
        flat = absent or ptp < FLAT_PTP_MV
        noise = None
        snr_db = None
        if not flat and stack is not None and median is not None and stack.shape[0] >= 2 and np.isfinite(median[i][170:260]).all():
            res = stack[:, i, :] - median[i][None, :]
            res = res[np.isfinite(res).any(axis=1)]  # beats outside a partly recorded lead's span
            with np.errstate(all="ignore"):
                per_beat = np.sqrt(np.nanmean(res * res, axis=1)) if res.shape[0] >= 2 else np.full(1, np.nan)
            noise = float(np.nanmedian(per_beat)) if np.isfinite(per_beat).any() else None
            qrs = median[i][170:260]
            amp = float(np.nanmax(qrs) - np.nanmin(qrs))
            if noise is not None:
                snr_db = 20 * np.log10(max(amp, 1e-4) / max(noise, 1e-4))
        if flat:
            score, reason = 0.0, (("lead missing" if recorded_s == 0 else
                                   f"only {recorded_s:.1f} s recorded (fewer than {MIN_RECORDED_S:g} s: too few beats "
                                   "to measure on; used for finding the beats only)") if absent
                                  else "flat line (electrode off or lead not recorded)")
        elif snr_db is None:
            # no beats to compare: judge by high-frequency content only
            hf = float(np.std(np.diff(f))) if f.size > 2 else 0.0
            snr_db = 20 * np.log10(max(ptp, 1e-4) / max(hf * 4, 1e-4))
            score = float(1 / (1 + np.exp(-(snr_db - SNR_MID_DB) / SNR_WIDTH_DB)))
            reason = "ok" if score >= 0.5 else "noisy"
        else:
            score = float(1 / (1 + np.exp(-(snr_db - SNR_MID_DB) / SNR_WIDTH_DB)))
            if score >= 0.5:
                reason = "ok"
            elif bw > 0.3 and bw > 2 * (noise or 0):
                reason = "baseline wander"
            else:
                reason = "noise (beats differ from the median beat)"
        if not flat and bw > 0.5 and score >= 0.5:
            reason = "ok (baseline wander removed by filtering)"
        if not flat and hf_mv[i] is not None and hf_mv[i] >= HF_VISIBLE_MV and score >= 0.5:
            reason = (f"ok for measuring; high-frequency noise (muscle tremor or mains, {hf_mv[i]:.2f} mV) "
                      "visible on the unfiltered trace")
        out.append({
            "score": round(float(score), 3),
            "noise": None if noise is None else round(noise, 4),
            "baseline_wander": round(bw, 4),
            "hf_noise_mv": None if flat else hf_mv[i],
            "flat": bool(flat),
            "snr_db": None if snr_db is None else round(float(snr_db), 1),
            "reason": reason,
            "recorded_s": round(recorded_s, 2),
        })
    return out
