"""Digitize a paper ECG image (scan, screenshot, PDF page or phone photo) into a calibrated
12-lead signal.

Pipeline (each step in its own module):

1. read the image (:mod:`ecg.digitize_grid`): PNG/JPEG/BMP/TIFF, a PDF page (pypdfium2), bytes or
   an array;
2. separate trace ink from the grid and divide out uneven light;
3. rectify: Hough lines of the grid -> vanishing points -> homography that makes the grid
   axis-aligned (removes rotation and perspective);
4. grid pitch in px/mm along x and y from the grid's periodicity (1 mm / 5 mm lines);
5. rows of traces from the ink projection; the printed span from the continuous ink of each row;
   layout from the number of rows (and, for six rows, whether the lower rows repeat leads);
6. follow every trace by dynamic programming over the ink runs of each pixel column
   (:mod:`ecg.digitize_trace`), keep peaks, resample at 500 Hz;
7. calibration: mm from the grid (or from the 1 mV pulse, or from a stated speed and gain when
   there is no grid), mV from the gain (stated > printed pulse > printed text > 10 mm/mV);
8. text (:mod:`ecg.digitize_ocr`): header/footer lines with personal data removed, machine
   measurements, speed and gain; per-lead quality with reasons.

The result is an :class:`ecg.record.ECG` at 500 Hz in mV with the 12 standard leads; every lead
covers only the time it was printed for (NaN elsewhere).
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from . import digitize_grid as G
from . import digitize_trace as T
from .errors import DigitizationError
from .leads import STANDARD_LEADS
from .record import ECG

FS = 500.0
MIN_PX_PER_MM = 2.0
STANDARD_GAINS = (5.0, 10.0, 20.0)

#: Row contents per layout (same convention as :data:`ecg.render.LAYOUTS`).
SHORT_ROWS = [["I", "aVR", "V1", "V4"], ["II", "aVL", "V2", "V5"], ["III", "aVF", "V3", "V6"]]
SIX_BY_TWO = [["I", "V1"], ["II", "V2"], ["III", "V3"], ["aVR", "V4"], ["aVL", "V5"], ["aVF", "V6"]]
DEFAULT_RHYTHM = ["II", "V1", "V5"]


def _no_progress(fraction: float, message: str) -> None:
    return None


def _snap(v: float, choices, tol: float = 0.15) -> float | None:
    for c in choices:
        if abs(v - c) <= tol * c:
            return float(c)
    return None


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 50:
        return float("nan")
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    d = math.sqrt(float((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / d) if d > 0 else float("nan")


def digitize(image: Any, page: int = 0, paper_speed_mm_s: float | None = None,
             gain_mm_mv: float | None = None, progress: Callable[[float, str], None] | None = None,
             ocr: bool = True) -> ECG:
    """Turn an image of a paper ECG into a calibrated 12-lead :class:`~ecg.record.ECG`.

    Args:
        image: path (PNG, JPEG, BMP, TIFF, PDF), raw bytes of such a file, or a numpy uint8
            image (BGR ``(h, w, 3)`` or gray ``(h, w)``).
        page: PDF page (0-based); ignored for other images.
        paper_speed_mm_s: paper speed when known (25 or 50 mm/s); otherwise read from the page's
            text, else 25 mm/s is assumed (and said in ``warnings``).
        gain_mm_mv: gain when known (5, 10, 20 mm/mV); otherwise measured from the 1 mV
            calibration pulse, else read from the page's text, else 10 mm/mV.
        progress: optional ``callable(fraction 0..1, message)`` called as the steps go.
        ocr: read printed text with rapidocr (header, speed/gain, lead labels). ``False`` skips
            it (about 1 s faster); the signal does not depend on it.

    Returns:
        ECG, ``fs`` = 500 Hz, ``signal`` float32 ``(12, 5000)`` in mV for a 10 s page (the
        number of samples follows the printed duration), leads ``I, II, III, aVR, aVL, aVF,
        V1..V6``; NaN where a lead was not printed. ``meta["source"] == "image"``;
        ``meta["digitization"]`` is a JSON-safe dict: ``layout``, ``px_per_mm``,
        ``px_per_mm_xy``, ``rotation_deg``, ``perspective_corrected``, ``paper_speed_mm_s``,
        ``gain_mm_mv``, ``calibration`` (``"grid"``, ``"calibration pulse"``, ``"stated"``),
        ``lead_quality`` (lead -> 0..1; every standard lead), ``lead_quality_reasons`` (lead ->
        reason in words, for exactly the leads below ``low_quality_threshold`` = 0.8),
        ``lead_quality_flags`` (same leads -> list of codes: ``partial``, ``overlap``,
        ``clipped``, ``flat``, ``not_found``, ``layout_uncertain``, ``ink_uncovered``, ``ink_reach``),
        ``ink_consistency`` (lead -> ``uncovered``, ``reach``, ``missed_cols``: see
        :func:`ink_consistency`), ``header_text`` (lines, personal data removed), ``header_measurements``
        (machine statements, evidence only), ``trace_boxes`` (lead -> list of printed
        segments with their baseline origin in rectified pixels and bounding box in image
        pixels), ``image_to_rectified`` (3x3 homography), ``image_size``, ``warnings``,
        ``rate_check`` (None, or the printed machine heart rate against the digitized
        signal's own, :func:`_rate_check`), ``page_flags`` (``"time_scale_mismatch"`` when
        they disagree beyond the tolerance; ``"layout_uncertain"`` when the layout is guessed from
        an unusual number of rows or from rows counted after removing grid lines as dark as the
        trace: every lead's quality is then at most 0.5 with that reason; ``"grid_in_ink"`` when
        grid lines as dark as the trace were taken out of the ink: the path may still follow their
        remains, so rate and intervals are not to be trusted either), ``rows``, ``timing_s``.

    Raises:
        DigitizationError: not an image; resolution too low (with the measured px/mm); no grid
            and no calibration pulse to scale it; no traces found.
    """
    report = progress or _no_progress
    t_start = time.perf_counter()
    warnings: list[str] = []
    report(0.0, "reading image")
    bgr, info = G.read_image(image, page=page)
    h0, w0 = bgr.shape[:2]
    if min(h0, w0) < 120:
        raise DigitizationError(
            f"The image is only {w0}x{h0} pixels; a 12-lead ECG needs at least about 600 pixels across "
            "(2 px per mm of paper) to follow the traces. Upload a larger scan or photo.")
    scale0 = 1.0
    if max(h0, w0) > 3600:  # ~12 px/mm for a full page: more only costs time
        scale0 = 3600.0 / max(h0, w0)
        bgr = cv2.resize(bgr, None, fx=scale0, fy=scale0, interpolation=cv2.INTER_AREA)
    S0 = np.diag([scale0, scale0, 1.0])

    report(0.1, "separating traces from the grid")
    maps = G.ink_and_grid_maps(bgr)
    report(0.25, "correcting rotation and perspective")
    geo = G.rectify(maps["grid"], maps["ink"])
    H = geo["H"]
    size = geo["size"]
    identity = np.allclose(H, np.eye(3), atol=1e-9) and tuple(size) == (bgr.shape[1], bgr.shape[0])
    if identity:
        dark, chroma, grid = maps["darkness"], maps["chroma"], maps["grid"]
    else:
        warp = lambda a: cv2.warpPerspective(a, H, tuple(size), flags=cv2.INTER_LINEAR,
                                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        dark, chroma, grid = warp(maps["darkness"]), warp(maps["chroma"]), warp(maps["grid"])
    thr = maps["ink_threshold"]
    ink = ((dark > thr) & (chroma < 0.5 * dark + 0.1)).astype(np.uint8)

    report(0.4, "measuring the grid")
    gx, gy = G.page_pitch(grid)
    grid_found = (np.isfinite(gx["px_per_mm"]) and np.isfinite(gy["px_per_mm"])
                  and max(gx["strength"], gy["strength"]) > 5 and min(gx["strength"], gy["strength"]) > 2.5)
    calibration = "grid"
    if grid_found:
        ppx, ppy = gx["px_per_mm"], gy["px_per_mm"]
        if abs(ppx / ppy - 1) > 0.12:
            warnings.append(f"grid pitch differs between x ({ppx:.2f} px/mm) and y ({ppy:.2f} px/mm); "
                            "the photo may be strongly tilted")
        box = T.grid_box(grid, 0.5 * (ppx + ppy))
        if box is None:
            box = (0, 0, ink.shape[1], ink.shape[0])
    else:
        # provisional scale: a standard page is about 280 mm wide
        ppx = ppy = ink.shape[1] / 280.0
        box = (0, 0, ink.shape[1], ink.shape[0])
    if grid_found and min(ppx, ppy) < MIN_PX_PER_MM:
        raise DigitizationError(
            f"Resolution too low: the grid measures {min(ppx, ppy):.2f} px per mm; at least {MIN_PX_PER_MM:g} px/mm "
            f"(about {MIN_PX_PER_MM * 25.4:.0f} dpi) is needed to follow the traces. Upload a scan at 150 dpi or more, "
            "or a photo where the ECG fills the frame.")
    h, w = ink.shape
    ink_density = float(ink[box[1]:box[3], box[0]:box[2]].mean()) if ink.size else 0.0
    dark_grid = ink_density > 0.06
    grid_rows_dropped = False
    if dark_grid:
        # a dark printed grid got into the ink mask. First try a threshold between the grid
        # lines' darkness and the trace's; if the lines are as dark as the trace, remove long
        # straight lines instead.
        _, lines = G.remove_straight_lines(ink, int(20 * ppx))
        if lines.any():
            g_dark = float(np.percentile(dark[lines > 0], 90))
            t_dark = float(np.percentile(dark[(ink > 0) & (lines == 0)], 75)) if ((ink > 0) & (lines == 0)).any() else 1.0
            if t_dark - g_dark > 0.15:
                thr = 0.5 * (g_dark + t_dark)
                ink = ((dark > thr) & (chroma < 0.5 * dark + 0.1)).astype(np.uint8)
                dens2 = float(ink[box[1]:box[3], box[0]:box[2]].mean())
                if dens2 > 0.06:
                    ink, _ = G.remove_straight_lines(ink, int(20 * ppx))
            else:
                ink, _ = G.remove_straight_lines(ink, int(20 * ppx))
                ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8))

    report(0.5, "finding the rows of traces")
    try:
        rows, ext_arr = _find_trace_rows(ink, box, ppx, ppy, grid_found)
    except DigitizationError:
        # a light grey trace on a coloured grid (an anti-aliased screen rendering): the ink
        # threshold split the dark pixels into trace (darkness ~0.3) and black text, and left the
        # trace in dashes. Once more from about a third of the threshold, where that lower band
        # is thin (a grey grid would fill it).
        low = _light_trace_ink(dark, chroma, ink, thr, box)
        if low is None:
            raise
        ink, thr = low
        rows, ext_arr = _find_trace_rows(ink, box, ppx, ppy, grid_found)
        warnings.append(f"light trace: ink taken from darkness {thr:.2f} up (a third of the usual threshold)")
    if dark_grid and len(rows) >= 2:
        # grid lines as dark as the trace: the horizontal ones that survive line removal (bent a
        # little in a photo, so not taken by a straight opening) line up like rows of traces
        n_before = len(rows)
        rows, ext_arr = _drop_grid_line_rows(ink, dark, rows, ext_arr, box, ppx, ppy, warnings)
        grid_rows_dropped = len(rows) < n_before
    # only then is the grid in the ink (a page dense with traces, 12x1, is no dark grid): its
    # vertical lines are taken out of the ink too, and are not added back as faint strokes below
    if grid_rows_dropped:
        ink = _mask_vertical_grid_lines(ink, box, ppy)
    thick0 = 1.0

    # text: speed / gain / header
    header_lines: list[str] = []
    header_meas: dict[str, float] = {}
    ocr_speed = ocr_gain = None
    if ocr:
        report(0.55, "reading printed text")
        try:
            from . import digitize_ocr as O
            header_lines, header_meas, ocr_speed, ocr_gain = _read_header(bgr, rows, H, O, 0.5 * (ppx + ppy))
        except Exception as exc:  # OCR is evidence only; never fail the signal for it
            warnings.append(f"printed text could not be read ({type(exc).__name__})")
    if paper_speed_mm_s:
        speed = float(paper_speed_mm_s)
        speed_how = "stated"
    elif ocr_speed:
        speed, speed_how = ocr_speed, "printed"
    else:
        speed, speed_how = 25.0, "assumed"
        warnings.append("paper speed not printed or not read; 25 mm/s assumed")

    # scale without a grid: from the calibration pulse, else from a 10 s row at the stated speed
    if not grid_found:
        pulses = [T.find_pulse(ink, r, xa, ppx, ppy, speed) for r, (xa, _) in zip(rows, ext_arr)]
        pulses = [p for p in pulses if p]
        span_px = float(np.median(ext_arr[:, 1] - ext_arr[:, 0]))
        g_assumed = float(gain_mm_mv or ocr_gain or 10.0)
        if pulses:
            hpx = float(np.median([p["height_px"] - p["line_px"] for p in pulses]))
            ppy = ppx = hpx / g_assumed
            calibration = "calibration pulse"
            warnings.append(f"no grid found; mm scale from the 1 mV calibration pulse assuming {g_assumed:g} mm/mV")
        elif paper_speed_mm_s or gain_mm_mv:
            ppx = ppy = span_px / (10.0 * speed)
            calibration = "stated"
            warnings.append("no grid and no calibration pulse found; scale from the stated speed with 10 s per row")
        else:
            raise DigitizationError(
                "No ECG grid was found and there is no 1 mV calibration pulse to measure the scale from, so "
                "millimetres (and so seconds and millivolts) cannot be known. Give the paper speed and gain "
                "(e.g. 25 mm/s, 10 mm/mV) to digitize it assuming 10 s per row, or upload an image where the grid is visible.")
        if min(ppx, ppy) < MIN_PX_PER_MM:
            raise DigitizationError(
                f"Resolution too low: about {min(ppx, ppy):.2f} px per mm of paper; at least {MIN_PX_PER_MM:g} px/mm is needed.")
        rows, ext_arr = _trace_rows(ink, T.find_rows(ink, box, ppy) or rows, box, ppx, ppy)

    report(0.6, "following the traces")
    # printed span: rows share their right end; a full row is 10 s at 25 mm/s (250 mm)
    x_end = float(np.median(ext_arr[:, 1]))
    # a calibration pulse printed after the signal (some machines print it at the right end)
    # joins the rows' ink: the signal ends before it
    pe = _pulse_edge(ink, rows, x_end, ppx, ppy, side="right")
    if pe is not None:
        ext_arr = ext_arr.copy()
        ext_arr[:, 1] = np.minimum(ext_arr[:, 1], pe)
        x_end = float(np.median(ext_arr[:, 1]))
        warnings.append("calibration pulse printed after the signal; the rows end before it")
    span_px = float(np.median(ext_arr[:, 1] - ext_arr[:, 0]))
    dur = span_px / (ppx * speed)
    row_s = 250.0 / speed
    if abs(dur - row_s) <= 0.08 * row_s:
        dur = row_s
    elif dur > row_s:
        warnings.append(f"rows span {dur:.1f} s, longer than a standard {row_s:g} s row; paper speed may differ from "
                        f"{speed:g} mm/s")
    n_samp = int(round(dur * FS))
    row_sigs, row_flags = [], []
    thicks = []
    x_lo_f = x_end - dur * speed * ppx
    # a page cut by the image's right edge (a crop or screenshot of a web page): the rows end
    # where the image does, short of their printed end, so t = 0 is found from their left end
    x_beg = float(np.median(ext_arr[:, 0]))
    cut_right = (dur == row_s and x_end >= w - 1 - max(1.0, 0.3 * ppx)
                 and span_px < (row_s * speed - 1.0) * ppx)
    if cut_right:
        x_lo_f = min(x_lo_f, x_beg)
        warnings.append(f"the rows run to the image's right edge ({span_px / (ppx * speed):.2f} s of a {row_s:g} s row "
                        "printed): the page is cut there; time counted from the rows' left end")
    # faint thin strokes (QRS spikes in photos) joined to the ink, for following only
    # (not on a grid printed as dark as the trace: its lines, taken out of the ink above, would
    # come back as faint strokes)
    ink_f = ink if grid_rows_dropped else G.thin_stroke_ink(dark, ink, 0.5 * (ppx + ppy), thr)
    for r in rows:
        T.follow_trace(ink_f, r, int(math.floor(x_lo_f - 2)), int(math.ceil(x_end + 1)), ppx)
        thicks.append(T.trace_thickness(r))
    thick = float(np.median(thicks)) if thicks else thick0
    # the last ink column lies half a line width beyond the last sample's centre
    x_last = x_end - max(0.0, thick / 2 - 1.0)
    # time scale: the grid's, unless the rows' printed span (all rows start and end together)
    # says it is a little off - residual perspective in a photo stretches one side of the page
    ppx_t = ppx
    use_grid_map = grid_found
    if dur == row_s and (len(rows) >= 2 or not grid_found) and not cut_right:
        xa_all = ext_arr[:, 0]
        x_expect = x_last - (n_samp - 1) / FS * speed * ppx
        # a calibration pulse printed right before the signal joins the row's ink: then the rows'
        # left end is the pulse, not t = 0, and says nothing about the time scale
        pl = [T.find_pulse(ink, r, x_expect, ppx, ppy, speed) for r in rows]
        pulse_first = sum(1 for p in pl if p and p["x0"] >= float(np.median(xa_all)) - ppx) > len(rows) / 2
        if (np.ptp(xa_all) < 1.0 * ppx or np.std(xa_all) < 0.5 * ppx) and not pulse_first:
            x_first = float(np.median(xa_all)) + max(0.0, thick / 2 - 1.0)
            s_ink = (x_last - x_first) / ((n_samp - 1) / FS * speed)
            if not grid_found and abs(s_ink / ppx - 1) < 0.08:
                # no grid: the printed row (a standard duration) times better than the pulse
                ppx_t = s_ink
            elif 0.015 < abs(s_ink / ppx - 1) < 0.08:
                ppx_t = s_ink
                use_grid_map = False
                warnings.append(f"time scale from the printed {row_s:g} s rows ({s_ink:.2f} px/mm) rather than the grid "
                                f"({ppx:.2f} px/mm); the photo is probably taken at an angle")
    if cut_right:
        edge = _pulse_edge(ink, rows, x_beg, ppx, ppy, thick)
        x_first = (edge if edge is not None else x_beg) + max(0.0, thick / 2 - 1.0)
        x_last = x_first + (n_samp - 1) / FS * speed * ppx_t
    x_start = x_last - (n_samp - 1) / FS * speed * ppx_t
    x_of_t = x_start + np.arange(n_samp) / FS * speed * ppx_t
    row_x = []  # per row: sample positions in px, from the grid lines' own positions where seen
    n_mapped = 0
    for r in rows:
        r.x_start, r.x_end = x_start, x_end
        xs_r = x_of_t
        if use_grid_map:
            band = grid[max(0, int(r.baseline - 0.4 * (r.baseline - r.y_lo))):int(r.baseline + 0.4 * (r.y_hi - r.baseline)) + 1]
            coef = G.line_positions_map(band.mean(axis=0), ppx)
            if coef is not None:
                dense = np.arange(max(0.0, x_start - 5 * ppx), min(w - 1.0, x_end + 5 * ppx), 0.25)
                mm = np.polyval(coef, dense)
                if np.all(np.diff(mm) > 0):
                    if cut_right:  # the printed end lies beyond the image: count from the start
                        mm_t = float(np.interp(x_start, dense, mm)) + np.arange(n_samp) / FS * speed
                    else:
                        mm_end = float(np.interp(x_last, dense, mm))
                        mm_t = mm_end - (n_samp - 1 - np.arange(n_samp)) / FS * speed
                    xs_r = np.interp(mm_t, mm, dense)
                    n_mapped += 1
        row_x.append(xs_r)
    # weights for sub-pixel centres: darkness above the level of grid lines and paper texture
    dark_w = np.clip(dark - 0.25, 0, None)
    for r in rows:
        px_, py_ = T.columns_to_curve(r, thick, dark_w)
        xr = row_x[rows.index(r)]
        y = T.resample(px_, py_, xr, max_gap_px=1.0 * ppx)
        cols = r.cols
        colf = np.interp(xr, cols, np.arange(len(cols))).round().astype(int)
        amb = r.ambiguous[colf]
        clp = r.clipped[colf]
        row_sigs.append(y)
        row_flags.append((amb, clp))

    # gain
    pulses = []
    for r in rows:
        p = T.find_pulse(ink, r, x_start, ppx, ppy, speed)
        if p:
            pulses.append((p["height_px"] - thick) / ppy)
    pulse_gain = _snap(float(np.median(pulses)), STANDARD_GAINS) if pulses else None
    if gain_mm_mv:
        gain, calib_gain = float(gain_mm_mv), "stated"
        if pulse_gain and pulse_gain != gain:
            warnings.append(f"stated gain {gain:g} mm/mV but the calibration pulse measures {pulse_gain:g} mm")
    elif pulse_gain:
        gain, calib_gain = pulse_gain, "calibration pulse"
        if ocr_gain and ocr_gain != pulse_gain:
            warnings.append(f"printed gain {ocr_gain:g} mm/mV disagrees with the calibration pulse ({pulse_gain:g} mm)")
    elif ocr_gain:
        gain, calib_gain = ocr_gain, "printed"
    else:
        gain, calib_gain = 10.0, "assumed"
        warnings.append("no calibration pulse found and gain not printed; 10 mm/mV assumed")
    if calibration == "grid" and (calib_gain == "calibration pulse"):
        calibration = "grid" if grid_found else "calibration pulse"
    if paper_speed_mm_s and gain_mm_mv:
        calibration = "stated" if not grid_found else "grid"

    report(0.8, "assigning leads")
    mv = [(r.baseline - y) / (ppy * gain) for r, y in zip(rows, row_sigs)]
    layout, assign = _assign_layout(mv, dur, warnings)
    # the layout is read from the number of rows alone (lead labels are not read): it is a guess
    # when that number is unusual, or when it was counted after taking grid lines as dark as the
    # trace out of the ink (ecg00005, a 6x1 page of limb leads, and ecg00020, a 3x5 page with
    # V4R, V8 and V9, were read as 17 and 9 rows before)
    layout_uncertain = len(rows) not in (1, 2, 3, 4, 5, 6, 12) or grid_rows_dropped
    if layout_uncertain:
        warnings.append(
            f"layout uncertain: {len(rows)} rows of traces were read as a {layout} page from the number of rows alone "
            "(the printed lead labels are not read); the lead names may be wrong, so per-lead findings (axis, "
            "territories, amplitudes) should not be trusted." +
            (" The grid is printed as dark as the trace: where its lines touch the trace the path may follow them "
             "(spikes at grid lines), so rate, rhythm and intervals may be wrong too." if grid_rows_dropped else
             " Rate and rhythm do not depend on the lead names."))
    # lead labels printed on the page (OCR of small crops at each segment's start): they confirm
    # the layout, or rename segments they contradict, or else mark the layout uncertain
    lead_labels: dict[str, dict[str, Any]] | None = None
    labels_checked = False
    if ocr:
        try:
            from . import digitize_ocr as O
            read = _read_lead_labels(bgr, H, rows, assign, x_start, speed, ppx_t, ppy, O)
            assign, lead_labels, labels_checked, label_conflict = _check_labels(assign, read, warnings)
            if label_conflict and not layout_uncertain:
                layout_uncertain = True
        except Exception as exc:  # OCR is evidence only; never fail the signal for it
            warnings.append(f"printed lead labels could not be read ({type(exc).__name__})")
    signal = np.full((12, n_samp), np.nan, np.float32)
    quality: dict[str, float] = {}
    reasons: dict[str, str] = {}
    flag_map: dict[str, list[str]] = {}
    trace_boxes: dict[str, list[dict[str, Any]]] = {}
    Hinv = np.linalg.inv(S0) @ np.linalg.inv(H) if True else None
    filled: dict[str, list[tuple[int, int, float, str]]] = {}
    for (ri, i0, i1, lead, is_rhythm) in assign:
        r = rows[ri]
        seg = mv[ri][i0:i1].astype(np.float64)
        amb, clp = row_flags[ri][0][i0:i1], row_flags[ri][1][i0:i1]
        # lead-change marks and jumps at internal boundaries: hold the nearest clean value
        m = max(1, int(round((thick / 2 + 1) / (speed * ppx_t) * FS)))
        if i0 > 0:
            seg[:m] = np.nan
        if i1 < n_samp:
            seg[-m:] = np.nan
        cov = float(np.isfinite(seg).mean())
        seg = _fill_short_gaps(seg, int(0.04 * FS))
        q, why, flags = _quality(seg, cov, float(amb.mean()), float(clp.mean()))
        if layout_uncertain:
            q = min(q, LAYOUT_UNCERTAIN_QUALITY)
            why = "; ".join([w for w in (why, "lead name not confirmed (layout uncertain)") if w])
            flags = flags + ["layout_uncertain"]
        li = STANDARD_LEADS.index(lead)
        prev = filled.get(lead)
        if prev is not None and not is_rhythm:
            # a short segment of a lead already given by a rhythm strip: keep the strip, note agreement
            continue
        if is_rhythm and prev is not None:
            signal[li, :] = np.nan
        signal[li, i0:i1] = seg.astype(np.float32)
        filled.setdefault(lead, []).append((i0, i1, q, why))
        quality[lead] = round(q, 3)
        reasons.pop(lead, None)
        flag_map.pop(lead, None)
        if why:
            reasons[lead] = why
            flag_map[lead] = flags
        x0 = x_start + i0 / FS * speed * ppx_t
        x1 = x_start + i1 / FS * speed * ppx_t
        bb = np.array([[[x0, r.y_lo], [x1, r.y_lo], [x1, r.y_hi], [x0, r.y_hi]]], np.float64)
        bimg = cv2.perspectiveTransform(bb, Hinv)[0]
        trace_boxes[lead] = [{
            "row": int(ri), "t0_s": round(i0 / FS, 4), "t1_s": round(i1 / FS, 4),
            "x0_px": round(float(x0), 2), "y0_px": round(float(r.baseline), 2),
            "px_per_mm_x": round(float(ppx_t), 4), "px_per_mm_y": round(float(ppy), 4),
            "bbox_image_px": [round(float(v), 1) for v in (*bimg.min(0), *bimg.max(0))],
        }]
    # ink self-consistency of every followed lead (the rectified darkness is at hand): a path that
    # leaves much of its trace's ink uncovered, or does not reach the ink's height, lowers the
    # lead's quality (:func:`_ink_quality`)
    # (not on a grid printed as dark as the trace: its lines join the trace's ink there)
    ink_proxy = {} if grid_rows_dropped else _ink_proxy(dark, float(maps["ink_threshold"]), trace_boxes,
                                                lambda lead: signal[STANDARD_LEADS.index(lead)], FS, speed, gain)
    for lead, pr in ink_proxy.items():
        q2, why2, flags2 = _ink_quality(quality[lead], pr)
        if q2 < quality[lead]:
            quality[lead] = round(q2, 3)
            if q2 < LOW_QUALITY:
                reasons[lead] = "; ".join(w for w in (reasons.get(lead, ""), why2) if w)
                flag_map[lead] = flag_map.get(lead, []) + flags2
    for lead in STANDARD_LEADS:
        if lead not in quality:
            quality[lead] = 0.0
            reasons[lead] = "not found on the page"
            flag_map[lead] = ["not_found"]
    if all(q == 0 for q in quality.values()):
        raise DigitizationError("No ECG traces could be followed on the page. Check that the image is a paper ECG in focus.")
    rate_check = _rate_check(ECG(signal=signal, fs=FS, leads=list(STANDARD_LEADS)), header_meas.get("vent_rate_bpm"),
                             ppx / scale0, speed, speed_how)
    if rate_check and rate_check["agrees"] is False:
        warnings.append(rate_check["reason"])
    dig = {
        "layout": layout,
        "px_per_mm": round(float((ppx + ppy) / 2 / scale0), 4),
        "px_per_mm_xy": [round(float(ppx / scale0), 4), round(float(ppy / scale0), 4)],
        "rotation_deg": round(float(geo.get("rotation_deg", 0.0)), 2),
        "perspective_corrected": bool(geo.get("perspective", False)),
        "paper_speed_mm_s": float(speed), "paper_speed_source": speed_how,
        "gain_mm_mv": float(gain), "gain_source": calib_gain,
        "calibration": calibration,
        "grid_found": bool(grid_found),
        "lead_quality": quality,
        "lead_quality_reasons": reasons,
        "lead_quality_flags": flag_map,
        "ink_consistency": ink_proxy,
        "low_quality_threshold": LOW_QUALITY,
        "header_text": header_lines,
        "header_measurements": header_meas,
        "trace_boxes": trace_boxes,
        "lead_labels": lead_labels,
        "labels_checked": bool(labels_checked),
        "image_to_rectified": (H @ S0).tolist(),
        "image_size": [int(w0), int(h0)],
        "rows": len(rows),
        "duration_s": float(dur),
        "warnings": warnings,
        "rate_check": rate_check,
        "page_flags": (["time_scale_mismatch"] if rate_check and rate_check["agrees"] is False else [])
        + (["layout_uncertain"] if layout_uncertain else []) + (["grid_in_ink"] if grid_rows_dropped else []),
    }
    dig["timing_s"] = round(time.perf_counter() - t_start, 3)
    report(1.0, "done")
    meta = {"source": "image", "record_id": Path(str(image)).stem if isinstance(image, (str, Path)) else "image",
            "digitization": dig}
    return ECG(signal=signal, fs=FS, leads=list(STANDARD_LEADS), meta=meta)


#: A printed machine heart rate and the digitized signal's agree within the larger of these
#: (the heart-rate accuracy asked of ECG monitors by IEC 60601-2-27: +-10 % or +-5 bpm).
RATE_TOL_FRAC, RATE_TOL_BPM = 0.10, 5.0


def _rate_check(ecg: ECG, printed_bpm: float | None, ppx: float, speed: float,
                speed_how: str) -> dict[str, Any] | None:
    """Compare the heart rate the page prints (the recording machine's, read by OCR) with the
    digitized signal's own (``ecg.measure.measure``, run only when a rate is printed). The printed
    number is evidence only: it never replaces ours. A disagreement beyond the tolerance points
    at the time scale (grid pitch, paper speed) or at a misread number, and is said in words.

    Returns None when the page prints no rate, else ``{"printed_rate_bpm", "digitized_rate_bpm",
    "tolerance_bpm", "agrees" (True, False, or None when ours could not be measured), "reason"}``
    (reason "" when they agree).
    """
    if not printed_bpm:
        return None
    from .errors import ECGSignalError
    from .measure import measure

    why = "no heart rate could be measured"
    try:
        ours = measure(ecg, interpret=False).heart_rate_bpm
    except ECGSignalError as exc:
        ours, why = None, str(exc)
    tol = max(RATE_TOL_BPM, RATE_TOL_FRAC * float(printed_bpm))
    out: dict[str, Any] = {"printed_rate_bpm": float(printed_bpm),
                           "digitized_rate_bpm": None if ours is None else round(float(ours), 1),
                           "tolerance_bpm": round(tol, 1), "agrees": True, "reason": ""}
    if ours is None:
        out["agrees"] = None
        out["reason"] = (f"the page prints a heart rate of {printed_bpm:g} bpm; the time scale could not be checked "
                         f"against it: {why}")
        return out
    if abs(ours - printed_bpm) > tol:
        out["agrees"] = False
        out["reason"] = (
            f"time scale doubtful: the page prints a heart rate of {printed_bpm:g} bpm, the digitized signal beats at "
            f"{ours:.0f} bpm ({ours / printed_bpm:.2f} times; more than the {tol:.0f} bpm tolerance). The grid was read "
            f"as {ppx:.2f} px per mm and the paper speed as {speed:g} mm/s ({speed_how}); if either is wrong every "
            "interval is scaled by the same factor. The printed rate is not used in place of ours: check the paper "
            "speed, or upload a larger image of the page.")
    return out


def _find_trace_rows(ink: np.ndarray, box, ppx: float, ppy: float, grid_found: bool):
    """Rows of traces and their ink extents (:func:`ecg.digitize_trace.find_rows`, then
    :func:`_trace_rows`).

    Raises:
        DigitizationError: no row of traces.
    """
    rows = T.find_rows(ink, box, ppy)
    if not rows:
        raise DigitizationError(
            ("No ECG traces were found" + (" on the grid" if grid_found else " and no ECG grid was found")) +
            ": no dark continuous lines run across the image. Check that the image is an ECG (a scan or photo of the "
            "printed traces, not a report page without them), in focus and not overexposed.")
    return _trace_rows(ink, rows, box, ppx, ppy)


#: A row whose waviness is below this share of the waviest row's is a grid line (see
#: :func:`_row_waviness`); measured on ecg00005 and ecg00020 (grey grids as dark as the trace):
#: trace rows 0.57-1.0 of the waviest, grid lines 0.09-0.31.
GRID_LINE_WAVINESS = 0.45
#: ... and below this absolute waviness: grid lines of ecg00005/20 reach 0.135, a low, flat trace
#: of a 12x1 render (dense enough to look like a dark grid) 0.23.
GRID_LINE_WAVINESS_ABS = 0.18


def _row_waviness(ink: np.ndarray, dark: np.ndarray, row, xa: float, xb: float, ppx: float, ppy: float) -> float:
    """How much a row's ink near its baseline wanders: the share of its columns with ink within
    1 mm of the baseline whose darkness-weighted centre lies more than 0.15 mm from the running
    median (10 mm) of those centres, times the share of columns that have such ink.

    A trace moves with every P, QRS and T wave and with noise; a printed grid line is straight
    (bent only slowly by a photo's lens or the paper), so its centre follows its running median.
    Returns 0..1 (0 for a row without ink)."""
    from scipy.ndimage import median_filter

    b = int(round(row.baseline))
    m1 = max(1, int(round(ppy)))
    ya, yb = max(0, b - m1), min(ink.shape[0], b + m1 + 1)
    x0, x1 = int(max(0, xa)), int(min(ink.shape[1], xb + 1))
    if x1 - x0 < 10 or yb - ya < 2:
        return 0.0
    wgt = ink[ya:yb, x0:x1].astype(np.float64) * np.clip(dark[ya:yb, x0:x1], 0.05, None)
    tot = wgt.sum(axis=0)
    has = tot > 0
    if has.sum() < 10:
        return 0.0
    yy = np.arange(yb - ya, dtype=np.float64)[:, None]
    cen = ((wgt * yy).sum(axis=0) / np.where(has, tot, 1.0))[has]
    dev = np.abs(cen - median_filter(cen, size=int(10 * ppx) | 1, mode="nearest"))
    return float((dev > 0.15 * ppy).mean() * has.mean())


def _mask_vertical_grid_lines(ink: np.ndarray, box, ppy: float) -> np.ndarray:
    """Remove vertical grid lines that survived line removal (a dark grid printed in dashes, or
    bent a little in a photo) from the ink mask. Grid-line pixels are (a) columns whose ink covers
    more than a quarter of the grid box's height (a trace column has ink only where the few rows
    cross it) and (b) vertical runs at least 25 mm long once the ink is widened by one pixel to
    each side (a bent line drifts a pixel sideways every few mm; a QRS is rarely 25 mm tall).
    Ink there is kept where it has ink beside it that is no grid line (the trace crossing it), so
    the trace is not cut. Returns a new uint8 mask."""
    x0, y0, x1, y1 = box
    col = ink[y0:y1, x0:x1].mean(axis=0) if y1 > y0 and x1 > x0 else np.zeros(0)
    g = np.zeros(ink.shape, bool)
    g[:, x0:x0 + len(col)] = (col > 0.25)[None, :]
    L = int(25 * ppy)
    if L < ink.shape[0]:
        wide = cv2.dilate(ink, np.ones((1, 3), np.uint8))
        runs = cv2.morphologyEx(wide, cv2.MORPH_OPEN, np.ones((L, 1), np.uint8))
        g |= cv2.dilate(runs, np.ones((1, 3), np.uint8)) > 0
    g &= ink > 0
    if not g.any():
        return ink
    other = (ink > 0) & ~g
    support = cv2.dilate(other.astype(np.uint8), np.ones((3, 7), np.uint8)) > 0
    out = ink.copy()
    out[g & ~support] = 0
    return out


def _drop_grid_line_rows(ink, dark, rows, ext_arr, box, ppx, ppy, warnings):
    """Drop rows that are straight grid lines (:func:`_row_waviness` under
    :data:`GRID_LINE_WAVINESS` of the waviest row and under :data:`GRID_LINE_WAVINESS_ABS`); the kept rows get new search windows.
    Returns ``(rows, extents)``; unchanged when every row is kept."""
    wav = np.array([_row_waviness(ink, dark, r, xa, xb, ppx, ppy) for r, (xa, xb) in zip(rows, ext_arr)])
    if not len(wav) or wav.max() <= 0:
        return rows, ext_arr
    keep = (wav >= GRID_LINE_WAVINESS * wav.max()) | (wav >= GRID_LINE_WAVINESS_ABS)
    if keep.all():
        return rows, ext_arr
    warnings.append(f"{int((~keep).sum())} of {len(rows)} rows of ink were straight grid lines (the grid is printed as "
                    "dark as the trace) and were left out")
    kept = [r.baseline for r, k in zip(rows, keep) if k]
    m3 = int(3 * ppy)
    h = ink.shape[0]
    return T.set_windows(kept, max(0, box[1] - m3), min(h, box[3] + m3), h, ppy), ext_arr[keep]


def _light_trace_ink(dark: np.ndarray, chroma: np.ndarray, ink: np.ndarray, thr: float,
                     box) -> tuple[np.ndarray, float] | None:
    """Ink mask from a lower threshold: uncoloured pixels darker than 0.35 ``thr`` (at least
    0.12). None when the pixels between that and ``thr`` cover more than 3 % of the grid box (a
    grey or black grid lies there, not a light trace) or the threshold is already low."""
    lo = max(0.12, 0.35 * thr)
    if lo >= thr - 0.05:
        return None
    weak = ((dark > lo) & (chroma < 0.5 * dark + 0.1)).astype(np.uint8)
    x0, y0, x1, y1 = box
    band = weak[y0:y1, x0:x1].astype(bool) & ~ink[y0:y1, x0:x1].astype(bool)
    if band.mean() > 0.03:
        return None
    return weak, lo


def _trace_rows(ink: np.ndarray, rows: list, box, ppx: float, ppy: float):
    """Keep the rows whose continuous ink spans like a trace row (at least a quarter of the grid
    and 60 % of the longest row: a shorter one is a header line or a neighbour's tall wave).

    Returns ``(rows, extents)`` with extents ``(n, 2)`` (first and last ink column, px).

    Raises:
        DigitizationError: no row spans like a trace.
    """
    h = ink.shape[0]
    ext_arr = np.array([T.row_extent(ink, r, box[0], box[2], ppx) for r in rows], float).reshape(-1, 2)
    spans = ext_arr[:, 1] - ext_arr[:, 0]
    good = np.isfinite(ext_arr).all(1) & (spans > 0.25 * (box[2] - box[0]))
    if good.sum() >= 2:
        good &= spans > 0.6 * np.nanmax(np.where(good, spans, np.nan))
    # a trace spends most of its time near its baseline, so nearly every column of its span has
    # ink within 3 mm of it; the tips of a neighbour's tall waves (high gain, packed rows) line
    # up too, but leave most columns there empty
    cov = np.zeros(len(rows))
    for i, (r, (xa, xb)) in enumerate(zip(rows, ext_arr)):
        if good[i]:
            ya, yb = max(0, int(r.baseline - 3 * ppy)), int(r.baseline + 3 * ppy) + 1
            cov[i] = ink[ya:yb, int(xa):int(xb) + 1].any(axis=0).mean()
    if (good & (cov >= 0.35)).any():
        good &= cov >= 0.35
    if not good.any():
        raise DigitizationError(
            "No ECG traces were found: the dark marks on the image are too short to be trace rows (each row of "
            "a paper ECG runs at least a quarter of the page). Check that the image shows the traces, in focus.")
    if not good.all():
        kept = [r.baseline for r, g in zip(rows, good) if g]
        m3 = int(3 * ppy)
        rows = T.set_windows(kept, max(0, box[1] - m3), min(h, box[3] + m3), h, ppy)
    return rows, ext_arr[good]


def _pulse_edge(ink: np.ndarray, rows: list, x_at: float, ppx: float, ppy: float, thick: float = 1.0,
                side: str = "left") -> float | None:
    """Where the signal starts (``side="left"``) or ends (``"right"``), x in px, next to a
    calibration pulse printed at the start or at the end of every row (within 8 mm of the rows'
    ink end ``x_at``), or None when there is none.

    The pulse's edge next to the signal is a column where, in most rows, the ink spans at least
    4 mm vertically and a flat top runs at least 2 mm away from the signal at the top's height
    (the rows are simultaneous, so a QRS at a row end is tall in most rows too, but has no flat
    top). The signal meets the edge, or is separated from the pulse's foot (at most ~1.5 mm) by
    a gap (machines differ: joined, 1 mm or several mm apart). For a signal joined to a left
    pulse the edge's centre line less the half line width ``thick`` (px) is returned (the caller
    adds it back to an ink start).
    """
    left = side == "left"
    lo_x = x_at if left else x_at - 8 * ppx
    xa, xb = int(max(0, math.floor(lo_x))), int(min(ink.shape[1], math.ceil(lo_x + 8 * ppx) + 1))
    if xb - xa < 3 or not rows:
        return None
    flat = max(2, int(round(2 * ppx)))
    edge_votes, has_ink = [], []
    for r in rows:
        ya, yb = int(max(0, r.baseline - 12 * ppy)), int(min(ink.shape[0], r.baseline + 1.5 * ppy + 1))
        sub = ink[ya:yb, :] > 0
        win = sub[:, xa:xb]
        has = win.any(axis=0)
        top = np.argmax(win, axis=0)
        bot = win.shape[0] - 1 - np.argmax(win[::-1], axis=0)
        ok = has & (bot - top + 1 >= 4 * ppy)
        for j in np.flatnonzero(ok):
            c = xa + j
            y0, y1 = max(0, top[j] - 1), top[j] + 2
            seg = sub[y0:y1, max(0, c - flat):c] if left else sub[y0:y1, c + 1:c + 1 + flat]
            run = seg.any(axis=0)
            ok[j] = run.size >= flat and run.mean() >= 0.7
        edge_votes.append(ok)
        yl, yh = int(max(0, r.baseline - 2 * ppy - ya)), int(r.baseline + 2 * ppy - ya) + 1
        has_ink.append(sub[yl:yh, :].any(axis=0))
    cols = np.flatnonzero(np.mean(edge_votes, axis=0) > 0.5)
    if not len(cols):
        return None
    ink_c = np.mean(has_ink, axis=0) > 0.5
    if left:
        edge = xa + int(cols[-1])
        after = ink_c[edge + 1:int(min(ink.shape[1], edge + 8 * ppx))]
    else:
        edge = xa + int(cols[0])
        after = ink_c[int(max(0, edge - 8 * ppx)):edge][::-1]
    gap = np.flatnonzero(~after)
    if len(gap) >= 2 and gap[0] <= 1.5 * ppx:  # a foot then a gap before the signal
        back = np.flatnonzero(after[gap[0]:])
        if len(back):
            k = gap[0] + back[0]
            return float(edge + 1 + k) if left else float(edge - 1 - k)
    return float(edge) - max(0.0, thick / 2 - 1.0) if left else float(edge)


def _fill_short_gaps(x: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill NaN runs up to ``max_gap`` samples by linear interpolation (edges: nearest value)."""
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x
    idx = np.arange(len(x))
    filled = np.interp(idx, idx[ok], x[ok])
    # measure NaN run lengths
    out = x.copy()
    bad = ~ok
    d = np.diff(np.concatenate([[0], bad.astype(int), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    for s, e in zip(starts, ends):
        edge = s == 0 or e == len(x)
        if e - s <= max_gap or (edge and e - s <= 2 * max_gap):
            out[s:e] = filled[s:e]
    return out


#: Quality below which a lead carries a reason (``lead_quality_reasons``) and flags.
LOW_QUALITY = 0.8
#: Quality cap of every lead on a page whose layout is uncertain (its lead names are guesses).
LAYOUT_UNCERTAIN_QUALITY = 0.5


def _quality(seg: np.ndarray, coverage: float, ambiguous: float, clipped: float) -> tuple[float, str, list[str]]:
    """Quality 0..1 of one lead, and when it is below :data:`LOW_QUALITY` the reason (text) and
    flags (stable codes: ``partial``, ``overlap``, ``clipped``, ``flat``)."""
    q = coverage * (1 - 0.6 * ambiguous) * (1 - clipped)
    why, flags = [], []
    if coverage < 0.9:
        why.append(f"trace followed over {coverage:.0%} of its span")
        flags.append("partial")
    if ambiguous > 0.15:
        why.append(f"other ink close to the trace in {ambiguous:.0%} of columns (overlapping leads, text or marks)")
        flags.append("overlap")
    if clipped > 0.02:
        why.append(f"trace runs into the neighbouring row in {clipped:.0%} of columns")
        flags.append("clipped")
    fin = seg[np.isfinite(seg)]
    if len(fin) and np.ptp(fin) < 0.08:
        q *= 0.3
        why.append("flat line (peak-to-peak under 0.08 mV)")
        flags.append("flat")
    if q >= LOW_QUALITY:
        return float(np.clip(q, 0, 1)), "", []
    if not why:  # several small losses together: say which
        why.append(f"trace followed over {coverage:.0%} of its span, other ink close in {ambiguous:.0%} and "
                   f"touching the neighbouring row in {clipped:.0%} of columns")
        flags.append("partial" if coverage < 0.95 else "overlap" if ambiguous >= clipped else "clipped")
    return float(np.clip(q, 0, 1)), "; ".join(why), flags


#: Ink self-consistency in the lead quality (:func:`_ink_quality`): uncovered ink above
#: ``INK_UNCOVERED_OK`` and reach below ``INK_REACH_OK`` lower the quality by ``INK_SLOPE`` per
#: unit. Chosen on 24 photo-like renders with ground truth (PTB-XL/LUDB records not in the
#: benchmark set, seeds 7000+): at most 10 % of leads with SNR >= 15 dB fall below
#: :data:`LOW_QUALITY` while the Spearman correlation of quality with SNR rises from 0.16 to 0.37.
INK_UNCOVERED_OK, INK_REACH_OK, INK_SLOPE = 0.15, 0.6, 0.5


def _ink_quality(q: float, proxy: dict[str, float]) -> tuple[float, str, list[str]]:
    """Lower a lead's quality ``q`` (0..1) by its ink self-consistency ``proxy`` (``uncovered``,
    ``reach``: :func:`ink_consistency`). Returns ``(quality, reason, flags)``; the reason (words)
    and flags (``ink_uncovered``, ``ink_reach``) name what lowered it."""
    unc, reach = float(proxy.get("uncovered", 0.0)), float(proxy.get("reach", 1.0))
    f_u = 1 - INK_SLOPE * max(0.0, unc - INK_UNCOVERED_OK)
    f_r = 1 - INK_SLOPE * max(0.0, INK_REACH_OK - reach)
    why, flags = [], []
    if f_u < 1:
        why.append(f"the followed trace leaves {unc:.0%} of its ink uncovered (it may have left the trace or missed "
                   "waves)")
        flags.append("ink_uncovered")
    if f_r < 1:
        why.append(f"the followed trace reaches only {reach:.0%} of its ink's height (tall or deep waves may be cut "
                   "short)")
        flags.append("ink_reach")
    return float(np.clip(q * f_u * f_r, 0, 1)), "; ".join(why), flags


def _assign_layout(mv: list[np.ndarray], dur: float, warnings: list[str]):
    """Map rows to leads. Returns ``(layout, [(row, i0, i1, lead, is_rhythm)])``."""
    n = len(mv)
    ns = len(mv[0])
    q4 = [int(round(k * ns / 4)) for k in range(5)]
    q2 = [0, ns // 2, ns]
    out = []

    def short_rows():
        for r, leads in enumerate(SHORT_ROWS):
            for c, lead in enumerate(leads):
                out.append((r, q4[c], q4[c + 1], lead, False))

    def rhythm_lead(sig: np.ndarray, default: str) -> tuple[str, float]:
        """The short segment a rhythm strip repeats: the same printed signal, so near-perfect
        correlation and the same amplitude (a neighbouring precordial lead correlates too,
        but less and at another size)."""
        best, best_c = default, -1.0
        for r, leads in enumerate(SHORT_ROWS):
            for c, lead in enumerate(leads):
                a, b = sig[q4[c]:q4[c + 1]], mv[r][q4[c]:q4[c + 1]]
                cc = _corr(a, b)
                if not np.isfinite(cc):
                    continue
                sa, sb = np.nanstd(a), np.nanstd(b)
                if sb > 0 and abs(sa / sb - 1) > 0.2:
                    cc -= 0.5
                if cc > best_c:
                    best, best_c = lead, cc
        return (best, best_c) if best_c > 0.9 else (default, best_c)

    if n == 1:
        out.append((0, 0, ns, "II", True))
        warnings.append("single strip: lead assumed to be II")
        return "1x1", out
    if n == 12:
        for r, lead in enumerate(STANDARD_LEADS):
            out.append((r, 0, ns, lead, True))
        return "12x1", out
    if n == 6:
        # 3x4+3 or 6x2? In the second quarter of rows 1-3 a 3x4 page prints aVR, aVL, aVF, which
        # sum to zero; a 6x2 page still prints I, II, III there, where II = I + III (Einthoven).
        seg = [mv[r][q4[1]:q4[2]] - np.nanmedian(mv[r][q4[1]:q4[2]]) for r in range(3)]
        e_sum = float(np.sqrt(np.nanmean((seg[0] + seg[1] + seg[2]) ** 2)))
        e_ein = float(np.sqrt(np.nanmean((seg[1] - seg[0] - seg[2]) ** 2)))
        if not (np.isfinite(e_sum) and np.isfinite(e_ein)):
            scores = [rhythm_lead(mv[r], d)[1] for r, d in zip((3, 4, 5), DEFAULT_RHYTHM)]
            is_3x4 = sum(1 for v in scores if np.isfinite(v) and v > 0.9) >= 2
        else:
            is_3x4 = e_sum < e_ein
        if is_3x4:
            short_rows()
            for r, d in zip((3, 4, 5), DEFAULT_RHYTHM):
                out.append((r, 0, ns, rhythm_lead(mv[r], d)[0], True))
            return "3x4+3", out
        for r, leads in enumerate(SIX_BY_TWO):
            for c, lead in enumerate(leads):
                out.append((r, q2[c], q2[c + 1], lead, False))
        return "6x2", out
    if n >= 3:
        if n > 6:
            warnings.append(f"{n} rows of traces found; read as a 3x4 page with {n - 3} rhythm strips")
        short_rows()
        used = []
        for k, r in enumerate(range(3, n)):
            d = DEFAULT_RHYTHM[k] if k < 3 else "II"
            lead, c = rhythm_lead(mv[r], d)
            if lead in used:
                continue
            used.append(lead)
            out.append((r, 0, ns, lead, True))
        return ("3x4" if n == 3 else f"3x4+{n - 3}"), out
    # two rows: most likely a two-lead rhythm print
    for r, lead in zip(range(n), ("II", "V1")):
        out.append((r, 0, ns, lead, True))
    warnings.append("two rows found: read as rhythm strips of II and V1 (labels not checked)")
    return f"{n}x1", out



def _read_lead_labels(bgr: np.ndarray, H: np.ndarray, rows: list, assign: list, x_start: float, speed: float,
                      ppx: float, ppy: float, O) -> list[str | None]:
    """OCR of the lead label printed at the start of each segment of ``assign`` (rectified page
    coordinates: the segment starts at ``x_start + i0 / FS * speed * ppx``, on its row's
    baseline). The label is looked for from 2 mm left to 14 mm right of that start, from 2.5 mm
    above the baseline up to about half the row pitch (at most 22 mm), where renderers print it,
    and, when fewer than 3 labels are found there, from 1.5 to 9 mm below the baseline, where
    ECG-Image-Kit's pages print it. Each crop is warped out of the
    original image at about 9 px/mm (printed labels, 2-3 mm high, are then 20-30 px high)."""
    bases = sorted(r.baseline for r in rows)
    pitch = float(np.median(np.diff(bases))) if len(bases) > 1 else 40.0 * ppy
    up = min(0.55 * pitch, 22.0 * ppy)
    k = 9.0 / ppy
    got: list[str | None] = [None] * len(assign)
    for side in ("above", "below"):
        if sum(1 for g in got if g is not None) >= 3:
            break  # the labels are printed above: no second pass (it costs about 0.3 s)
        crops = []
        for (ri, i0, i1, lead, is_rhythm) in assign:
            x0 = x_start + i0 / FS * speed * ppx
            if side == "above":
                ya, ch = rows[ri].baseline - up, up - 2.5 * ppy
            else:
                ya, ch = rows[ri].baseline + 1.5 * ppy, min(7.5 * ppy, 0.3 * pitch)
            xa, cw = x0 - 2.0 * ppx, 16.0 * ppx
            M = np.diag([k, k, 1.0]) @ np.array([[1.0, 0, -xa], [0, 1.0, -ya], [0, 0, 1.0]]) @ H
            crops.append(cv2.warpPerspective(bgr, M, (max(8, int(round(k * cw))), max(8, int(round(k * ch)))),
                                             flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                             borderValue=(255, 255, 255)))
        expect_i = [seg[3] == "I" for seg in assign]
        got = [a if a is not None else b for a, (b, _, _) in zip(got, O.read_labels(crops, expect_i=expect_i))]
    return got


_ROMAN = ("I", "II", "III")


def _check_labels(assign: list, read: list[str | None], warnings: list[str]):
    """Compare the lead names assigned from the layout with the labels read on the page.

    Returns ``(assign, lead_labels, labels_checked, uncertain)``: ``lead_labels`` maps
    ``"row,col"`` to ``{"assigned", "read"}``; ``labels_checked`` when at least 2 labels were read
    and all agree. Where read labels contradict the assignment, those segments take the lead their
    label names if every lead name then still appears once among the short segments (and once among
    the rhythm strips); otherwise nothing is reassigned and ``uncertain`` is True."""
    cols: dict[int, list[int]] = {}
    for (ri, i0, *_rest) in assign:
        cols.setdefault(ri, []).append(i0)
    # a page prints each lead's label once among its short segments: a name read on two of them
    # is a misreading of at least one (on photos, strokes of the trace read as I): both are dropped
    short_reads = [lab for (_, _, _, _, rh), lab in zip(assign, read) if not rh and lab is not None]
    read = [None if (lab is not None and not s[4] and short_reads.count(lab) > 1) else lab
            for s, lab in zip(assign, read)]
    lead_labels: dict[str, dict[str, Any]] = {}
    disagree = []
    for k, ((ri, i0, i1, lead, is_rhythm), lab) in enumerate(zip(assign, read)):
        c = sorted(cols[ri]).index(i0)
        lead_labels[f"{ri},{c}"] = {"assigned": lead, "read": lab}
        if lab is not None and lab != lead:
            if lab in _ROMAN and lead in _ROMAN:
                # I, II and III differ by a stroke the OCR drops or adds (real pages: II read
                # for III): such a reading neither confirms nor contradicts the layout
                lead_labels[f"{ri},{c}"]["doubtful"] = True
            else:
                disagree.append(k)
    n_read = sum(1 for v, s in zip(read, assign) if v is not None and not (v != s[3] and v in _ROMAN))
    if not disagree:
        return assign, lead_labels, n_read >= 2, False
    new = [(ri, i0, i1, read[k] if k in disagree else lead, rh) for k, (ri, i0, i1, lead, rh) in enumerate(assign)]
    short = [s[3] for s in new if not s[4]]
    rhythm = [s[3] for s in new if s[4]]
    said = ", ".join(f"row {assign[k][0] + 1} segment {sorted(cols[assign[k][0]]).index(assign[k][1]) + 1} "
                     f"labelled {read[k]} (read as {assign[k][3]} from the layout)" for k in disagree)
    ok = (all(read[k] in STANDARD_LEADS for k in disagree) and len(set(short)) == len(short)
          and len(set(rhythm)) == len(rhythm))
    if ok:
        for k in disagree:
            c = sorted(cols[assign[k][0]]).index(assign[k][1])
            lead_labels[f"{assign[k][0]},{c}"]["assigned"] = read[k]
        warnings.append(f"lead names taken from the printed labels where they differ from the usual layout: {said}.")
        return new, lead_labels, False, False
    warnings.append(f"layout uncertain: printed lead labels disagree with the layout read from the rows ({said}) and "
                    "cannot all be right together; the lead names may be wrong, so per-lead findings (axis, "
                    "territories, amplitudes) should not be trusted. Rate and rhythm do not depend on the lead names.")
    return assign, lead_labels, False, True


def _read_header(bgr: np.ndarray, rows: list, H: np.ndarray, O,
                 px_per_mm: float = 8.0) -> tuple[list[str], dict, float | None, float | None]:
    """OCR of the text above the first and below the last trace row (in the original image).

    Strips at least 2 mm high are read (a photo often cuts the page just below a footer line);
    they are enlarged so that 1 mm of paper is about 8 px (printed text, 2-3 mm high, then
    reaches the 16-25 px the recognizer reads best)."""
    h, w = bgr.shape[:2]
    Hinv = np.linalg.inv(H)
    ys = []
    for r in (rows[0], rows[-1]):
        p = cv2.perspectiveTransform(np.array([[[0.0, r.baseline], [w, r.baseline]]]), Hinv)[0]
        ys.append(p[:, 1])
    top_cut = int(np.clip(np.min(ys[0]) - 0.25 * (rows[0].y_hi - rows[0].y_lo), 0, h))
    # the bottom strip starts at the last row's baseline: a footer line is often printed right
    # under the last trace, in its row's lower half
    bot_cut = int(np.clip(np.mean(ys[1]) - 1.0 * px_per_mm, 0, h))
    min_h = 2.0 * px_per_mm
    width = int(np.clip(w * 8.0 / max(px_per_mm, 1e-3), 1200, 3000))
    strips = ([(bgr[:top_cut], 0)] if top_cut > min_h else []) + ([(bgr[bot_cut:], bot_cut)] if h - bot_cut > min_h else [])
    items = O.read_strips(strips, width=width)
    kept = [it for it in items if it["score"] > 0.5 and not O.is_lead_name(it["text"])]
    # a table of machine measurements is read item by item ("Vent.rate", "80", "BPM"): join the
    # items of each printed line before parsing (personal data is removed line by line after)
    raw = O.join_lines(kept)
    speed, gain = O.parse_speed_gain(raw)
    meas = O.parse_measurements(raw)
    lines = [O.redact(t) for t in raw]
    return lines, meas, speed, gain


def _box_path(sig: np.ndarray, fs: float, b: dict, speed: float, gain: float) -> tuple[np.ndarray, np.ndarray]:
    """Rectified-page pixel coordinates ``(x, y)`` of the samples of one printed segment ``b`` (a
    ``trace_boxes`` entry) of a lead's signal ``sig`` (mV at ``fs`` Hz); y is NaN where ``sig`` is."""
    i0, i1 = int(round(b["t0_s"] * fs)), int(round(b["t1_s"] * fs))
    v = sig[i0:i1].astype(np.float64)
    t = np.arange(len(v)) / fs
    return b["x0_px"] + t * speed * b["px_per_mm_x"], b["y0_px"] - v * gain * b["px_per_mm_y"]


def overlay(image: Any, ecg: ECG, color: tuple[int, int, int] = (255, 120, 0), thickness: int | None = None) -> np.ndarray:
    """The original image with the digitized traces drawn over it, for the UI.

    Args:
        image: the same image given to :func:`digitize` (path, bytes or array).
        ecg: the ECG :func:`digitize` returned (uses ``meta["digitization"]``).
        color: BGR colour of the drawn traces (default blue, visible on red, green and grey grids).
        thickness: line thickness in px (default: about 0.3 mm of paper).

    Returns:
        BGR uint8 array, same size as the image, with every printed lead segment drawn where the
        digitizer read it and the lead name at its start.

    Raises:
        DigitizationError: the ECG carries no digitization metadata (it did not come from an image).
    """
    dig = ecg.meta.get("digitization") if ecg.meta else None
    if not dig or "trace_boxes" not in dig:
        raise DigitizationError("This ECG was not digitized from an image, so there is nothing to overlay.")
    bgr, _ = G.read_image(image)
    out = bgr.copy()
    M = np.linalg.inv(np.array(dig["image_to_rectified"], float))
    speed, gain = dig["paper_speed_mm_s"], dig["gain_mm_mv"]
    ppmm = dig["px_per_mm"]
    th = thickness or max(1, int(round(0.3 * ppmm)))
    for lead, boxes in dig["trace_boxes"].items():
        sig = ecg.lead(lead)
        for b in boxes:
            x, y = _box_path(sig, ecg.fs, b, speed, gain)
            ok = np.isfinite(y)
            if ok.sum() < 2:
                continue
            pts = cv2.perspectiveTransform(np.stack([x, y], 1)[None].astype(np.float64), M)[0]
            idx = np.flatnonzero(ok)
            for part in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1):
                if len(part) > 1:
                    p = np.round(pts[part] * 16).astype(np.int32).reshape(-1, 1, 2)
                    cv2.polylines(out, [p], False, color, th, cv2.LINE_AA, shift=4)
            lab = cv2.perspectiveTransform(np.array([[[b["x0_px"], b["y0_px"] - 3 * b["px_per_mm_y"]]]]), M)[0, 0]
            cv2.putText(out, lead, (int(lab[0]), int(lab[1])), cv2.FONT_HERSHEY_SIMPLEX,
                        max(0.4, ppmm / 10), color, max(1, th // 2), cv2.LINE_AA)
    return out


def ink_consistency(image: Any, ecg: ECG) -> dict[str, Any]:
    """Self-consistency of a digitized image without ground truth: how much of the trace's ink
    the followed path leaves out.

    On the rectified page, trace ink is every pixel darker than the ink threshold's quarter once
    straight grid lines (grey openings with 12 mm lines) are subtracted, in the lead's band
    (baseline +- 0.45 of the row spacing) and connected to the followed path (8-connected ink
    blobs that the path touches). Per lead:

    - ``uncovered``: fraction of that ink farther than 0.4 mm from the path;
    - ``reach``: the path's vertical extent over the ink's (1.0 when the path reaches every tip;
      a QRS spike left out leaves tall ink the path does not reach);
    - ``missed_cols``: fraction of columns where the ink reaches more than 1.5 mm beyond the
      path in that column (up or down).

    Returns ``{"leads": {lead: {...}}, "uncovered_median", "reach_median", "missed_cols_median"}``.
    """
    dig = ecg.meta.get("digitization") if ecg.meta else None
    if not dig or "trace_boxes" not in dig:
        raise DigitizationError("This ECG was not digitized from an image.")
    bgr, _ = G.read_image(image)
    Hm = np.array(dig["image_to_rectified"], float)
    maps = G.ink_and_grid_maps(bgr)
    boxes = [b for bl in dig["trace_boxes"].values() for b in bl]
    if not boxes:
        return {"leads": {}, "uncovered_median": float("nan"), "reach_median": float("nan"),
                "missed_cols_median": float("nan")}
    ppmm = float(np.median([b["px_per_mm_y"] for b in boxes]))
    xs = [b["x0_px"] + (b["t1_s"] - b["t0_s"]) * dig["paper_speed_mm_s"] * b["px_per_mm_x"] for b in boxes]
    W = int(max(xs) + 10 * ppmm)
    Hh = int(max(b["y0_px"] for b in boxes) + 40 * ppmm)
    dark = cv2.warpPerspective(maps["darkness"], Hm, (W, Hh), flags=cv2.INTER_LINEAR)
    out = _ink_proxy(dark, float(maps["ink_threshold"]), dig["trace_boxes"], ecg.lead, ecg.fs,
                     dig["paper_speed_mm_s"], dig["gain_mm_mv"])
    med = lambda k: float(np.median([v_[k] for v_ in out.values()])) if out else float("nan")
    return {"leads": out, "uncovered_median": med("uncovered"), "reach_median": med("reach"),
            "missed_cols_median": med("missed_cols")}


def _ink_proxy(dark: np.ndarray, thr: float, trace_boxes: dict, lead_signal: Callable[[str], np.ndarray],
               fs: float, speed: float, gain: float) -> dict[str, dict[str, float]]:
    """The per-lead measures of :func:`ink_consistency` on a rectified darkness map ``dark``
    (float, 0..1, the rectified page's pixel grid) with ink threshold ``thr``; ``trace_boxes`` as
    in ``meta["digitization"]``, ``lead_signal(lead)`` the lead's signal in mV at ``fs`` Hz.
    Returns ``{lead: {"uncovered", "reach", "missed_cols"}}`` (leads without a followed path
    left out)."""
    boxes = [(lead, b) for lead, bl in trace_boxes.items() for b in bl]
    if not boxes:
        return {}
    ppmm = float(np.median([b["px_per_mm_y"] for _, b in boxes]))  # rectified px per mm
    ys = sorted({round(b["y0_px"], 1) for _, b in boxes})
    Hh, W = dark.shape[:2]
    ink = (dark > thr).astype(np.uint8)
    d = dark.astype(np.float32) * (1 - cv2.dilate(ink, np.ones((3, 3), np.uint8))).astype(np.float32)
    L = int(12 * ppmm) | 1
    ov = cv2.morphologyEx(d, cv2.MORPH_OPEN, np.ones((L, 1), np.uint8))
    oh = cv2.morphologyEx(d, cv2.MORPH_OPEN, np.ones((1, L), np.uint8))
    bg = cv2.dilate(np.maximum(ov, oh), np.ones((3, 3), np.uint8))
    cand = ((dark - bg) > max(0.08, 0.25 * thr)).astype(np.uint8)
    spacing = float(np.median(np.diff(ys))) if len(ys) > 1 else 20 * ppmm
    near = max(1, int(round(0.4 * ppmm)))
    out: dict[str, dict[str, float]] = {}
    for lead, b in boxes:
        x, y = _box_path(lead_signal(lead), fs, b, speed, gain)
        ok = np.isfinite(y)
        if ok.sum() < 10:
            continue
        ya, yb = int(max(0, b["y0_px"] - 0.45 * spacing)), int(min(Hh, b["y0_px"] + 0.45 * spacing))
        xa, xb = int(max(0, np.floor(x[ok].min()))), int(min(W, np.ceil(x[ok].max()) + 1))
        if xb - xa < 5 or yb - ya < 5:
            continue
        P = np.zeros((yb - ya, xb - xa), np.uint8)
        idx = np.flatnonzero(ok)
        for part in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1):
            if len(part) > 1:
                pts = np.round(np.stack([x[part] - xa, y[part] - ya], 1) * 16).astype(np.int32).reshape(-1, 1, 2)
                cv2.polylines(P, [pts], False, 1, 1, cv2.LINE_8, shift=4)
        cover = cv2.dilate(P, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * near + 1, 2 * near + 1)))
        C = cand[ya:yb, xa:xb]
        n, lab = cv2.connectedComponents(C, connectivity=8)
        touched = np.zeros(n, bool)
        touched[np.unique(lab[(P > 0) & (C > 0)])] = True
        touched[0] = False
        T_ = touched[lab]
        if T_.sum() == 0:
            continue
        unc = float((T_ & (cover == 0)).sum() / T_.sum())
        ry = np.flatnonzero(T_.any(1))
        py = np.flatnonzero(P.any(1))
        reach = float(np.ptp(py) + 1) / float(np.ptp(ry) + 1) if len(py) else 0.0
        # per column: ink beyond the path's extent in that column (+- 1 column)
        Pd = cv2.dilate(P, np.ones((1, 3), np.uint8)) > 0
        has_p = Pd.any(0) & T_.any(0)
        rows_ = np.arange(P.shape[0])[:, None]
        p_top = np.where(Pd, rows_, 10 ** 6).min(0)
        p_bot = np.where(Pd, rows_, -1).max(0)
        i_top = np.where(T_, rows_, 10 ** 6).min(0)
        i_bot = np.where(T_, rows_, -1).max(0)
        beyond = np.maximum(p_top - i_top, i_bot - p_bot)
        missed = float(np.mean(beyond[has_p] > 1.5 * ppmm)) if has_p.any() else 0.0
        prev = out.get(lead)
        if prev is None or prev.get("n", 0) < len(y):
            out[lead] = {"uncovered": round(unc, 4), "reach": round(reach, 4), "missed_cols": round(missed, 4),
                         "n": len(y)}
    for v_ in out.values():
        v_.pop("n", None)
    return out
