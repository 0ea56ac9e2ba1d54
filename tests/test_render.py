"""Paper renderer tests on a real PTB-XL record (no synthetic signals)."""
from __future__ import annotations


import numpy as np
import pytest

import ecg
from ecg.leads import STANDARD_LEADS
from ecg.render import GRID_COLORS, LAYOUTS, render_paper




def test_render_records_lead_boxes(record, clean_page):
    assert clean_page.image.dtype == np.uint8 and clean_page.image.ndim == 3
    leads = {b["lead"] for b in clean_page.lead_boxes}
    assert leads == set(STANDARD_LEADS)
    ii = [b for b in clean_page.lead_boxes if b["lead"] == "II"]
    assert sorted(round(b["t1_s"] - b["t0_s"], 2) for b in ii) == [2.5, 10.0]
    # the baseline origin lies on the trace: dark pixels near (x0, y0 - v0 * gain)
    b = clean_page.lead_boxes[0]
    v0 = record.lead(b["lead"])[int(b["t0_s"] * 500)]
    x, y = int(b["x0_px"] + 2), int(round(b["y0_px"] - v0 * 10 * b["px_per_mm"]))
    patch = clean_page.image[y - 4:y + 5, x - 2:x + 3]
    assert patch.min() < 80


@pytest.mark.parametrize("layout", ["3x4", "3x4+3", "6x2", "12x1", "1x1"])
def test_render_layouts_and_degradations_are_seeded(record, layout):
    a = render_paper(record, layout=layout, dpi=100, degradations="all", seed=3, header=False)
    b = render_paper(record, layout=layout, dpi=100, degradations="all", seed=3, header=False)
    assert np.array_equal(a.image, b.image)
    assert a.meta["degradations"]["rotation_deg"] == b.meta["degradations"]["rotation_deg"]
    with pytest.raises(ValueError):
        render_paper(record, layout="5x5")




def test_render_layout_spans_and_grid_colours(record):
    for layout, rows in LAYOUTS.items():
        page = render_paper(record, layout=layout, dpi=100, header=False)
        per_row = {}
        for b in page.lead_boxes:
            per_row.setdefault(b["row"], []).append(b["t1_s"] - b["t0_s"])
        assert len(per_row) == len(rows)
        for r, spans in per_row.items():
            assert sum(spans) == pytest.approx(10.0, abs=0.01)
    for colour in GRID_COLORS:
        img = render_paper(record, dpi=100, grid_color=colour, header=False).image
        assert img.shape == (827, 1169, 3)
    # at 50 mm/s a row holds 5 s of signal
    page = render_paper(record, layout="1x1", dpi=100, speed_mm_s=50)
    assert page.lead_boxes[0]["t1_s"] == pytest.approx(5.0)


def test_render_header_and_missing_samples(record):
    sig = record.signal.copy()
    sig[:, 1000:1200] = np.nan
    gappy = ecg.ECG(sig, record.fs, record.leads, {"record_id": "gap"})
    page = render_paper(gappy, layout="12x1", dpi=100, header=["Vent rate 75 bpm", "PR 160 ms"])
    assert page.meta["header"] == ["Vent rate 75 bpm", "PR 160 ms"]
    # the record's first 2 s in the top row: ink is absent where the samples are missing
    b = page.lead_boxes[0]
    x_gap = int(b["x0_px"] + 2.2 * 25 * b["px_per_mm"])
    col = page.image[int(b["y0_px"] - 40):int(b["y0_px"] + 40), x_gap]
    assert col.min() > 60
