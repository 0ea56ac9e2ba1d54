"""Paper-style plots of an ECG (matplotlib): standard 25 mm/s and 10 mm/mV on a red millimetre grid,
with an optional caliper overlay of measured fiducial points.

Paper conventions from the AHA recommendations for standardization of the ECG, part I
(Kligfield et al., Circulation 2007;115:1306-1324): 25 mm/s, 10 mm/mV, 1 mm minor and 5 mm major
grid lines.
"""
from __future__ import annotations

import numpy as np

from .record import ECG

SPEED_MM_S = 25.0
GAIN_MM_MV = 10.0
GRID_MINOR = "#f6c6c6"
GRID_MAJOR = "#e07070"


def _paper_axes(ax, width_mm: float, height_mm: float) -> None:
    ax.set_xlim(0, width_mm)
    ax.set_ylim(0, height_mm)
    ax.set_xticks(np.arange(0, width_mm + 0.01, 5))
    ax.set_yticks(np.arange(0, height_mm + 0.01, 5))
    ax.set_xticks(np.arange(0, width_mm + 0.01, 1), minor=True)
    ax.set_yticks(np.arange(0, height_mm + 0.01, 1), minor=True)
    ax.grid(which="minor", color=GRID_MINOR, linewidth=0.4)
    ax.grid(which="major", color=GRID_MAJOR, linewidth=0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_aspect("equal")
    for s in ax.spines.values():
        s.set_visible(False)


def plot_paper(ecg: ECG, seconds: float = 10.0, row_mm: float = 25.0, calipers: dict | None = None,
               caliper_lead: str | None = None, title: str | None = None, start_s: float = 0.0,
               beat_labels: list | None = None):
    """Plot every lead as its own strip on ECG paper.

    Args:
        ecg: the record (any fs; NaN samples are left blank).
        seconds: time shown per strip, from ``start_s``.
        start_s: where the strips start (s from the record start; clipped so that ``seconds`` fit).
        beat_labels: optional ``[(time_ms, label), ...]`` (ms from the record start), written above
            the top strip at those beats, e.g. ``"V"`` / ``"S"`` for premature beats.
        row_mm: height of each strip in mm (25 mm holds +/-1.25 mV).
        calipers: optional ``{"P": (onset_ms, offset_ms), "PR": (...), "QRS": (...), "QT": (...)}``,
            times in ms from the record start, drawn as shaded spans with labels on ``caliper_lead``
            (all leads if None).
        caliper_lead: the lead to draw the calipers on.
        title: figure title.

    Returns:
        a matplotlib Figure (width 25 mm/s x seconds; 1 mm on paper is 1 unit on the axes).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n = ecg.n_leads
    seconds = min(seconds, ecg.duration_s)
    start_s = float(min(max(0.0, start_s), ecg.duration_s - seconds))
    i0 = int(round(start_s * ecg.fs))
    t0_ms = i0 / ecg.fs * 1000.0
    width_mm = seconds * SPEED_MM_S + 10
    height_mm = n * row_mm
    scale = 0.07  # inches per mm on screen
    fig, ax = plt.subplots(figsize=(width_mm * scale, height_mm * scale), dpi=110)
    _paper_axes(ax, width_mm, height_mm)
    ns = int(seconds * ecg.fs)
    t_mm = 10 + np.arange(ns) / ecg.fs * SPEED_MM_S
    colors = {"P": "#1f77b4", "PR": "#2ca02c", "QRS": "#9467bd", "QT": "#ff7f0e"}
    for i, name in enumerate(ecg.leads):
        base = height_mm - (i + 0.5) * row_mm
        y = ecg.signal[i, i0:i0 + ns].astype(float)
        finite = np.isfinite(y)
        if finite.any():
            y = y - np.nanmedian(y)
        ax.plot(t_mm, base + y * GAIN_MM_MV, color="black", linewidth=0.7)
        # 1 mV calibration pulse, 5 mm wide
        ax.plot([1, 2, 2, 7, 7, 8], [base, base, base + 10, base + 10, base, base], color="black", linewidth=0.7)
        ax.text(9, base + 6, name, fontsize=8, fontweight="bold")
        if calipers and (caliper_lead is None or caliper_lead == name):
            for k, (on, off) in calipers.items():
                if on is None or off is None:
                    continue
                on, off = on - t0_ms, off - t0_ms
                if on < 0 or off / 1000 > seconds:
                    continue
                x0, x1 = 10 + on / 1000 * SPEED_MM_S, 10 + off / 1000 * SPEED_MM_S
                ax.axvspan(x0, x1, ymin=(base - row_mm / 2) / height_mm, ymax=(base + row_mm / 2) / height_mm,
                           color=colors.get(k, "grey"), alpha=0.18)
                yb = base - row_mm * 0.42 + 2.5 * list(calipers).index(k)
                ax.annotate("", xy=(x0, yb), xytext=(x1, yb),
                            arrowprops=dict(arrowstyle="|-|", color=colors.get(k, "grey"), lw=1))
                ax.text((x0 + x1) / 2, yb + 0.6, f"{k} {off - on:.0f} ms", fontsize=6, ha="center",
                        color=colors.get(k, "grey"))
    for t_ms, label in beat_labels or []:
        x = 10 + (t_ms - t0_ms) / 1000 * SPEED_MM_S
        if 10 <= x <= width_mm:
            ax.text(x, height_mm - 2.5, label, fontsize=8, fontweight="bold", ha="center", color="#b00020")
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout(pad=0.2)
    return fig
