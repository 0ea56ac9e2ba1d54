"""Signal conditioning for measurement: resampling, baseline removal, band limits, detector feature.

All functions take and return float arrays shaped ``(n_leads, n_samples)`` (or ``(n_samples,)``
where stated), in millivolts, and never modify their input.

Filter choices follow the AHA/ACC/HRS recommendations for the standardization and interpretation
of the ECG, Part I (Kligfield et al., Circulation 2007;115:1306-1324): the low-frequency cut-off
must not distort the ST segment (zero-phase filtering is used, so a 0.5 Hz high-pass is
acceptable), and 150 Hz is recommended as the upper limit for adult diagnostic bandwidth; for
measurement we low-pass at 40 Hz (zero phase), which keeps the QRS onset/offset slopes at 500 Hz
while damping muscle noise, notch out a mains hum where a record carries one (:func:`mains_hum_hz`:
the 40 Hz low-pass alone leaves 17-29 % of it), and keep an unfiltered copy for pacemaker spikes.
"""
from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np
from scipy import signal as _sig

#: Internal working rate in Hz. Every record is resampled to it before measurement.
WORK_FS = 500.0


def resample(x: np.ndarray, fs_in: float, fs_out: float = WORK_FS) -> np.ndarray:
    """Resample along the last axis from ``fs_in`` to ``fs_out`` Hz (polyphase, anti-aliased).

    NaN samples (leads not recorded over some span) are filled with the lead's median before
    resampling and set back to NaN at the corresponding output positions.

    Returns:
        float32 array, last axis of length ``round(n * fs_out / fs_in)``.
    """
    x = np.asarray(x, dtype=np.float64)
    if abs(fs_in - fs_out) < 1e-9:
        return x.astype(np.float32, copy=True)
    nan = ~np.isfinite(x)
    if nan.any():
        med = np.nanmedian(np.where(nan, np.nan, x), axis=-1, keepdims=True)
        med = np.where(np.isfinite(med), med, 0.0)
        x = np.where(nan, med, x)
    # rational approximation of the rate ratio (fs values like 360, 257, 1000 Hz)
    num, den = int(round(fs_out * 10)), int(round(fs_in * 10))
    g = gcd(num, den)
    up, down = num // g, den // g
    if up > 1000 or down > 1000:  # unusual rate: fall back to Fourier resampling
        n_out = int(round(x.shape[-1] * fs_out / fs_in))
        y = _sig.resample(x, n_out, axis=-1)
    else:
        y = _sig.resample_poly(x, up, down, axis=-1, padtype="line")
    if nan.any():
        n_out = y.shape[-1]
        idx = np.minimum((np.arange(n_out) * fs_in / fs_out).astype(int), x.shape[-1] - 1)
        y[nan[..., idx]] = np.nan
    return y.astype(np.float32)


@lru_cache(maxsize=32)
def _sos(kind: str, cut, fs: float, order: int):
    return _sig.butter(order, cut, btype=kind, fs=fs, output="sos")


def bandpass(x: np.ndarray, fs: float, low_hz: float = 0.5, high_hz: float = 40.0, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth band-pass (``sosfiltfilt``) along the last axis.

    Args:
        x: ``(..., n_samples)`` in mV, finite.
        fs: sampling rate in Hz.
        low_hz: high-pass corner in Hz (0 disables it). 0.5 Hz zero-phase keeps ST levels
            (Kligfield 2007, Part I, section on low-frequency response).
        high_hz: low-pass corner in Hz (None disables it).

    Returns:
        float32 array of the same shape.
    """
    y = np.asarray(x, dtype=np.float64)
    padlen = min(y.shape[-1] - 1, int(fs))
    if low_hz and high_hz:
        sos = _sos("bandpass", (float(low_hz), float(high_hz)), float(fs), order)
    elif low_hz:
        sos = _sos("highpass", float(low_hz), float(fs), order)
    else:
        sos = _sos("lowpass", float(high_hz), float(fs), order)
    return _sig.sosfiltfilt(sos, y, axis=-1, padlen=padlen).astype(np.float32)


#: A mains hum is filtered out where, in any lead, the spectral line within 0.5 Hz of 50 or 60 Hz
#: reaches this amplitude (mV) and this many times the median of the bins 1-5 Hz away. Our
#: thresholds: PTB-XL here has two records with hum (304: 0.061 mV at 13x, 197: 0.026 mV at 32x);
#: every other PTB-XL and LUDB record stays under 0.015 mV or under 8x (LUDB 34, paced: 0.011 mV
#: at 17x); IEC 60601-2-51's mains test signal (25 uV) shows at about 0.025 mV and 150x.
MAINS_MIN_MV = 0.015
MAINS_MIN_RATIO = 8.0
MAINS_HZ = (50.0, 60.0)


def mains_hum_hz(x: np.ndarray, fs: float, fs_in: float | None = None) -> list[float]:
    """The mains frequencies (of :data:`MAINS_HZ`) whose hum the record carries.

    Args:
        x: ``(n_leads, n_samples)`` in mV, finite, at ``fs`` Hz.
        fs: Hz of ``x``. fs_in: the record's own rate (a line at or above 0.49 of it cannot be told
            from the band edge and is not sought); ``fs`` if None.

    Returns:
        list of the frequencies (Hz) with a spectral line of at least :data:`MAINS_MIN_MV` and
        :data:`MAINS_MIN_RATIO` times its neighbourhood in some lead; empty for records under 2 s.
    """
    y = np.asarray(x, dtype=np.float64)
    n = y.shape[-1]
    if n < 2 * fs:
        return []
    amp = np.abs(np.fft.rfft(y - y.mean(axis=-1, keepdims=True), axis=-1)) * 2.0 / n
    f = np.fft.rfftfreq(n, 1.0 / fs)
    out = []
    for f0 in MAINS_HZ:
        if f0 >= 0.49 * (fs_in or fs):
            continue
        line = amp[..., np.abs(f - f0) <= 0.5].max(axis=-1)
        near = np.median(amp[..., (np.abs(f - f0) > 1.0) & (np.abs(f - f0) <= 5.0)], axis=-1)
        if np.any((line >= MAINS_MIN_MV) & (line >= MAINS_MIN_RATIO * np.maximum(near, 1e-9))):
            out.append(f0)
    return out


def mains_notch(x: np.ndarray, fs: float, freqs, q: float = 30.0) -> np.ndarray:
    """Zero-phase notch filters at the given mains frequencies along the last axis.

    The AC-interference filter of clinical electrocardiographs, applied where
    :func:`mains_hum_hz` finds a hum: our 40 Hz low-pass (order 2, forward and backward) still
    passes 29 % of a 50 Hz hum (17 % of 60 Hz), and what is left is not locked to the beats, so
    it stays in the beat-to-beat noise and tips the T-end and P-wave searches. A notch of quality
    factor ``q`` (-3 dB width f/q: 1.7 Hz at 50 Hz) leaves the QRS spectrum around it unchanged.

    Args:
        x: ``(..., n_samples)`` in mV, finite. fs: Hz. freqs: Hz (below half of ``fs``); none
            (what :func:`mains_hum_hz` gives a record without hum): ``x`` is returned as it is.

    Returns:
        float32 array of the same shape.
    """
    if not len(freqs):
        return np.asarray(x, dtype=np.float32)
    y = np.asarray(x, dtype=np.float64)
    padlen = min(y.shape[-1] - 1, int(fs))
    for f0 in freqs:
        b, a = _sig.iirnotch(float(f0), q, fs=fs)
        y = _sig.filtfilt(b, a, y, axis=-1, padlen=padlen)
    return y.astype(np.float32)


def remove_baseline(x: np.ndarray, fs: float) -> np.ndarray:
    """Remove baseline wander with two cascaded moving medians (200 ms, then 600 ms).

    The median of a 200 ms window removes QRS complexes, a 600 ms one P and T waves; the
    result is the baseline estimate that is subtracted (de Chazal et al., IEEE TBME
    51:1196-1206, 2004). Slower than a high-pass filter; used only where ST levels matter.
    """
    from scipy.ndimage import median_filter

    x = np.asarray(x, dtype=np.float32)
    w1 = int(0.2 * fs) | 1
    w2 = int(0.6 * fs) | 1
    size1 = (1, w1) if x.ndim == 2 else w1
    size2 = (1, w2) if x.ndim == 2 else w2
    base = median_filter(median_filter(x, size=size1, mode="nearest"), size=size2, mode="nearest")
    return x - base


def fill_nan(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace NaN samples by linear interpolation within each lead (0 where a lead is all NaN).

    Returns:
        (filled float32 array, boolean mask of the samples that were NaN).
    """
    x = np.array(x, dtype=np.float32, copy=True)
    nan = ~np.isfinite(x)
    if not nan.any():
        return x, nan
    rows = x if x.ndim == 2 else x[None]
    mrows = nan if nan.ndim == 2 else nan[None]
    t = np.arange(rows.shape[1])
    for i in range(rows.shape[0]):
        m = mrows[i]
        if m.all():
            rows[i] = 0.0
        elif m.any():
            rows[i, m] = np.interp(t[m], t[~m], rows[i, ~m])
    return x, nan


#: Ceiling of each lead's normalized slope in :func:`qrs_feature` (units of the lead's 98th
#: percentile). Our heuristic.
DERIV_CLIP = 2.5


def qrs_feature(x: np.ndarray, fs: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Multi-lead QRS energy feature for beat detection, shape ``(n_samples,)``.

    Each lead is band-passed 8-20 Hz (where QRS energy concentrates; Pan & Tompkins, IEEE
    TBME 32:230-236, 1985), differentiated, normalized by a robust scale (the 98th
    percentile of its absolute value, so one large lead does not dominate), limited to
    :data:`DERIV_CLIP` times that scale (so one lead's artefact does not either), squared and
    summed over leads, then integrated over a 100 ms moving window.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    sos = _sos("bandpass", (8.0, 20.0), float(fs), 2)
    y = _sig.sosfilt(sos, x, axis=-1)
    y = _sig.sosfilt(sos, y[:, ::-1], axis=-1)[:, ::-1]
    d = np.diff(y, axis=-1, prepend=y[:, :1])
    scale = np.percentile(np.abs(d), 98, axis=-1, keepdims=True)
    scale[scale <= 1e-9] = np.inf
    # a lead's slope counts up to DERIV_CLIP times its 98th percentile: a QRS reaches 1.2-1.4 of
    # it (PTB-XL, median lead), an electrode artefact in one lead 4 and more, and would otherwise
    # outweigh a beat seen in all twelve (PTB-XL 421: V4's artefact 150 ms after a QRS took the beat)
    d = np.clip(d / scale, -DERIV_CLIP, DERIV_CLIP)
    if weights is not None:
        d = d * np.asarray(weights, dtype=np.float64)[:, None]
    e = np.sum(d * d, axis=0)
    w = max(1, int(0.1 * fs))
    c = np.cumsum(np.concatenate(([0.0], e)))
    integ = (c[w:] - c[:-w]) / w
    out = np.empty_like(e)
    half = w // 2
    out[:] = 0.0
    out[half:half + integ.size] = integ[: out.size - half]
    return out
