"""The paper plot with its caliper overlay and premature-beat labels, on real records."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import MITBIH, PTBXL
from ecg import load
from ecg.measure import measure
from ecg.plot import SPEED_MM_S, plot_paper
from ui.views import calipers, premature_labels


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_calipers_sit_on_the_measured_fiducials_of_the_chosen_lead():
    """PTB-XL 1: the P, PR, QRS and QT calipers are drawn once, on lead II, from the global onset to
    the global offset the measurement reports (25 mm/s), and labelled with the measured intervals."""
    import matplotlib.pyplot as plt

    rec = load(PTBXL / "00000" / "00001_hr")
    d = measure(rec).to_dict()
    spans = calipers(d)
    assert set(spans) == {"P", "PR", "QRS", "QT"}
    fig = plot_paper(rec, calipers=spans, caliper_lead="II")
    texts = _texts(fig)
    g = d["fiducials"]["global"]
    assert f"QRS {g['qrs_off'] - g['qrs_on']:.0f} ms" in texts and round(g["qrs_off"] - g["qrs_on"]) == d["qrs_ms"]
    assert f"QT {g['t_off'] - g['qrs_on']:.0f} ms" in texts and f"PR {g['qrs_on'] - g['p_on']:.0f} ms" in texts
    shaded = [p for p in fig.axes[0].patches if p.get_alpha() == pytest.approx(0.18)]
    assert len(shaded) == 4  # one lead only
    xs = sorted(round(float(p.get_x()), 3) for p in shaded)
    assert xs[0] == pytest.approx(10 + g["p_on"] / 1000 * SPEED_MM_S, abs=1e-3)
    plt.close(fig)


def test_a_later_stretch_of_a_long_record_with_its_premature_beats_labelled():
    """MIT-BIH 100 shown from 25:10: the traces are the record's samples from there, the premature
    ventricular beat at 25:18.8 is labelled V at its place, and calipers of a beat outside the
    stretch are not drawn."""
    import matplotlib.pyplot as plt

    rec = load(MITBIH / "100")
    d = measure(rec).to_dict()
    labels = premature_labels(d)
    v = [t for t, lab in labels if lab == "V"]
    assert len(v) == 1
    start = v[0] / 1000 - 8.8
    fig = plot_paper(rec, start_s=start, beat_labels=labels, calipers=calipers(d))
    ax = fig.axes[0]
    line = ax.lines[0]
    i0 = int(round(start * rec.fs))
    y = np.asarray(line.get_ydata())
    assert np.allclose(np.diff(y), np.diff(rec.signal[0, i0:i0 + y.size].astype(float)) * 10, atol=1e-6)  # 10 mm/mV
    marks = [(t.get_position()[0], t.get_text()) for t in ax.texts if t.get_text() in ("V", "S")]
    x_v = 10 + (v[0] - i0 / rec.fs * 1000) / 1000 * SPEED_MM_S
    assert any(lab == "V" and abs(x - x_v) < 1e-6 for x, lab in marks)
    assert not [p for p in ax.patches if p.get_alpha() == pytest.approx(0.18)]  # the representative beat is elsewhere
    plt.close(fig)
