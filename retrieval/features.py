"""Per-record vectors for the case library.

Until the dual encoder exists, a record is described by a hand-made vector: its global
measurements (rate, intervals, QTc, frontal axes as unit vectors) and the shape of its median
beat in every standard lead, down-sampled to 50 Hz. Each block is standardized over the library
and weighted so that neither the 12x60 median-beat samples nor the few intervals dominate.
"""
from __future__ import annotations

import math

import numpy as np

from ecg.leads import STANDARD_LEADS

SCALAR_KEYS = ("heart_rate_bpm", "pr_ms", "qrs_ms", "qt_ms", "p_duration_ms")
AXIS_KEYS = ("p", "qrs", "t")
BEAT_DECIMATION = 10  # 500 Hz median beat -> 50 Hz
BEAT_LEN = 600 // BEAT_DECIMATION
N_SCALARS = len(SCALAR_KEYS) + 1 + 2 * len(AXIS_KEYS)
DIM = N_SCALARS + len(STANDARD_LEADS) * BEAT_LEN


def record_vector(measurements) -> np.ndarray:
    """Raw (unstandardized) vector of one record, float32 of shape ``(DIM,)``; NaN where unmeasured.

    Args:
        measurements: an :class:`ecg.measure.Measurements` (its ``to_dict()`` and ``median_beats``).
    """
    d = measurements.to_dict()
    scalars = [d.get(k) for k in SCALAR_KEYS]
    scalars.append((d.get("qtc_ms") or {}).get("bazett"))
    for k in AXIS_KEYS:
        a = (d.get("axis_deg") or {}).get(k)
        scalars += [math.cos(math.radians(a)), math.sin(math.radians(a))] if a is not None else [None, None]
    head = np.array([np.nan if v is None else float(v) for v in scalars], dtype=np.float32)
    beats = np.full((len(STANDARD_LEADS), BEAT_LEN), np.nan, dtype=np.float32)
    mb = getattr(measurements, "median_beats", None)
    leads = d.get("leads") or []
    if mb is not None:
        mb = np.asarray(mb, dtype=np.float32)
        for i, name in enumerate(STANDARD_LEADS):
            if name in leads and leads.index(name) < mb.shape[0]:
                row = mb[leads.index(name)]
                n = (row.shape[0] // BEAT_DECIMATION) * BEAT_DECIMATION
                beats[i, : n // BEAT_DECIMATION] = row[:n].reshape(-1, BEAT_DECIMATION).mean(axis=1)[:BEAT_LEN]
    return np.concatenate([head, beats.ravel()])


class Standardizer:
    """Z-scores each column with the library's mean and SD, fills missing with 0 (the mean), and
    weights the scalar block and the beat block equally before L2 normalization (cosine similarity)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean = mean.astype(np.float32)
        self.std = std.astype(np.float32)

    @classmethod
    def fit(cls, raw: np.ndarray) -> "Standardizer":
        mean = np.nanmean(raw, axis=0)
        std = np.nanstd(raw, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-6), std, 1.0)
        return cls(mean, std)

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Standardized, weighted, L2-normalized vectors, float32 ``(n, DIM)``."""
        raw = np.atleast_2d(raw).astype(np.float32)
        z = (raw - self.mean) / self.std
        z = np.where(np.isfinite(z), z, 0.0)
        z[:, :N_SCALARS] *= 1.0 / math.sqrt(N_SCALARS)
        z[:, N_SCALARS:] *= 1.0 / math.sqrt(DIM - N_SCALARS)
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        return (z / np.maximum(norm, 1e-9)).astype(np.float32)
