"""Signal-to-noise ratio of a digitized ECG against its reference, as scored in the
PhysioNet/CinC Challenge 2024 ("Digitization and Classification of ECG Images"; Reyna et al.,
Computing in Cardiology 2024).

For each lead the digitized signal is first aligned to the reference: shifted in time by the
integer lag that maximizes the cross-correlation of the two mean-removed signals, then shifted in
amplitude so that the two have the same mean over the samples they share. The SNR is then::

    SNR (dB) = 10 log10( sum(reference**2) / sum((digitized - reference)**2) )

over the samples where the reference was printed. Digitized samples that are missing (NaN)
there count as 0 mV, as in the Challenge, so leaving out part of a lead is penalized.

The alignment here is the *intended* one: the digitized signal is moved by the lag in either
direction and padded with missing samples. (The head of the official ``evaluation-2024`` scorer
truncates the digitized signal instead when the best lag is negative, which scores good leads
near 0 dB; :func:`align` does not, and ``tests/test_digitize.py`` checks both signs of lag.)
"""
from __future__ import annotations

import numpy as np


def best_lag(ref: np.ndarray, est: np.ndarray, max_lag: int | None = None) -> int:
    """Integer lag ``k`` (samples) maximizing ``sum_n ref[n] * est[n - k]`` on mean-removed signals.

    A positive lag means the digitized signal ``est`` is early and must be delayed by ``k``
    samples. Missing samples (NaN) count as 0 after mean removal.

    Args:
        ref, est: 1-D arrays of equal length (samples).
        max_lag: largest |lag| searched; ``None`` searches every overlap.
    """
    a = np.where(np.isfinite(ref), ref - np.nanmean(ref), 0.0)
    b = np.where(np.isfinite(est), est - np.nanmean(est), 0.0) if np.isfinite(est).any() else np.zeros_like(a)
    n = len(a)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xc = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lags = np.concatenate([np.arange(0, n), np.arange(-(n - 1), 0)])
    vals = np.concatenate([xc[:n], xc[size - (n - 1):]])
    if max_lag is not None:
        keep = np.abs(lags) <= max_lag
        lags, vals = lags[keep], vals[keep]
    return int(lags[int(np.argmax(vals))])


def shift(x: np.ndarray, k: int) -> np.ndarray:
    """Delay ``x`` by ``k`` samples (advance if negative), padding with NaN; same length."""
    out = np.full(len(x), np.nan, dtype=np.float64)
    if k >= 0:
        out[k:] = x[:len(x) - k] if k else x
    else:
        out[:k] = x[-k:]
    return out


def align(ref: np.ndarray, est: np.ndarray, max_lag: int | None = None) -> tuple[np.ndarray, int, float]:
    """Align ``est`` to ``ref`` in time and amplitude offset.

    Returns:
        ``(aligned, lag, offset_mv)``: the shifted digitized signal (NaN where it has no sample),
        the lag in samples (see :func:`best_lag`) and the offset added, in the signal's unit.
    """
    ref = np.asarray(ref, float)
    est = np.asarray(est, float)
    k = best_lag(ref, est, max_lag)
    moved = shift(est, k)
    both = np.isfinite(moved) & np.isfinite(ref)
    off = float(np.mean(ref[both] - moved[both])) if both.any() else 0.0
    return moved + off, k, off


def snr_db(ref: np.ndarray, est: np.ndarray, fs: float = 500.0, max_shift_s: float | None = 1.0) -> float:
    """Challenge-2024 SNR of one lead in dB, with the intended alignment.

    Args:
        ref: reference signal, 1-D, mV; NaN where the lead was not printed (those samples are
            not scored).
        est: digitized signal on the same time grid, 1-D, mV; NaN where nothing was read.
        fs: sampling rate in Hz (only used to convert ``max_shift_s``).
        max_shift_s: largest time shift searched, in s (``None``: any).

    Returns:
        SNR in dB; ``-inf``-safe: a perfect match returns ``inf``, a reference with no power
        or no printed sample returns ``nan``.
    """
    ref = np.asarray(ref, float)
    est = np.asarray(est, float)
    if ref.shape != est.shape or ref.ndim != 1:
        raise ValueError(f"ref and est must be 1-D of equal length; got {ref.shape} and {est.shape}.")
    scored = np.isfinite(ref)
    if not scored.any():
        return float("nan")
    max_lag = None if max_shift_s is None else int(round(max_shift_s * fs))
    if not np.isfinite(est).any():
        aligned = np.zeros_like(est)
    else:
        aligned, _, _ = align(ref, est, max_lag)
    aligned = np.where(np.isfinite(aligned), aligned, 0.0)
    p_sig = float(np.sum(ref[scored] ** 2))
    p_noise = float(np.sum((aligned[scored] - ref[scored]) ** 2))
    if p_sig == 0:
        return float("nan")
    if p_noise == 0:
        return float("inf")
    return 10.0 * np.log10(p_sig / p_noise)


def snr_per_lead(ref_signal: np.ndarray, est_signal: np.ndarray, fs: float = 500.0,
                 max_shift_s: float | None = 1.0) -> np.ndarray:
    """SNR in dB per lead for ``(n_leads, n_samples)`` arrays (see :func:`snr_db`)."""
    return np.array([snr_db(r, e, fs, max_shift_s) for r, e in zip(ref_signal, est_signal)])
