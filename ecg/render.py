"""Print an ECG as a paper-style image (OpenCV/NumPy), with optional photo-like degradations.

Serves three users: the digitization benchmark (images with known ground truth: every lead's
pixel position is recorded), the UI (show any loaded signal as a paper ECG) and, later, the
image encoder's training.

Geometry follows the conventions of standard 12-lead paper: 1 mm fine grid, 5 mm bold grid,
25 mm/s and 10 mm/mV by default (AHA/ACCF/HRS recommendations, Kligfield et al., Circulation
2007;115:1306-1324), a 1 mV calibration pulse of 0.2 s at the start of every row, and the
usual layouts:

========  ==========================================================================
layout    rows
========  ==========================================================================
3x4       I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6, 2.5 s each, columns at 0, 2.5, 5, 7.5 s
3x4+1     3x4 plus a 10 s rhythm strip of II
3x4+3     3x4 plus 10 s rhythm strips of II, V1, V5
6x2       I V1 / II V2 / III V3 / aVR V4 / aVL V5 / aVF V6, 5 s each, columns at 0 and 5 s
12x1      the 12 leads, 10 s each
1x1       one 10 s strip (II, or the first lead the record has)
========  ==========================================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import cv2
import numpy as np

from .errors import ECGSignalError
from .record import ECG

#: Lead arrangement per layout: list of rows, each a list of lead names; all columns of a row
#: share the row's duration split evenly across the printed 10 s (or the strip length).
LAYOUTS: dict[str, list[list[str]]] = {
    "3x4": [["I", "aVR", "V1", "V4"], ["II", "aVL", "V2", "V5"], ["III", "aVF", "V3", "V6"]],
    "3x4+1": [["I", "aVR", "V1", "V4"], ["II", "aVL", "V2", "V5"], ["III", "aVF", "V3", "V6"], ["II"]],
    "3x4+3": [["I", "aVR", "V1", "V4"], ["II", "aVL", "V2", "V5"], ["III", "aVF", "V3", "V6"],
              ["II"], ["V1"], ["V5"]],
    "6x2": [["I", "V1"], ["II", "V2"], ["III", "V3"], ["aVR", "V4"], ["aVL", "V5"], ["aVF", "V6"]],
    "12x1": [[l] for l in ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")],
    "1x1": [["II"]],
}

#: Grid colours, BGR: (fine 1 mm line, bold 5 mm line). ``none`` prints no grid.
GRID_COLORS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]] | None] = {
    "red": ((185, 185, 250), (95, 95, 235)),
    "pink": ((222, 205, 252), (175, 140, 240)),
    "orange": ((175, 215, 255), (60, 150, 245)),
    "green": ((195, 235, 195), (110, 195, 110)),
    "grey": ((215, 215, 215), (160, 160, 160)),
    "gray": ((215, 215, 215), (160, 160, 160)),
    "black": ((200, 200, 200), (120, 120, 120)),
    "none": None,
}

ALL_DEGRADATIONS = ("rotation", "perspective", "blur", "noise", "jpeg", "shadow", "crease", "stain",
                    "handwriting")

#: Page geometry in mm (landscape A4) and where the signal area sits on it.
PAGE_W_MM, PAGE_H_MM = 297.0, 210.0
GRID_X0_MM, GRID_X1_MM = 10.0, 287.0
GRID_Y0_MM, GRID_Y1_MM = 35.0, 200.0
PULSE_X_MM = 12.0        # left edge of the calibration pulse
SIGNAL_X0_MM = 25.0      # where t = 0 of every row is printed


@dataclass
class RenderedPaper:
    """A rendered paper ECG.

    Attributes:
        image: BGR uint8 array ``(height, width, 3)``.
        lead_boxes: one dict per printed lead segment: ``lead``, ``row``, ``col``, ``t0_s``/``t1_s``
            (the time span of the source signal printed there, s), ``x0_px``/``y0_px`` (pixel
            position of t0 on the 0 mV baseline, in the *undegraded* page), ``px_per_mm``,
            ``bbox`` ``[x0, y0, x1, y1]`` in page pixels. Geometric degradations move pixels; map page
            coordinates to the final image with ``meta["page_to_image"]`` (3x3 homography).
        meta: layout, dpi, px_per_mm, paper speed (mm/s), gain (mm/mV), grid colour, header lines,
            degradations applied with their parameters, ``page_to_image``.
    """

    image: np.ndarray
    lead_boxes: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def printed_mask(self, lead: str, n_samples: int, fs: float) -> np.ndarray:
        """Boolean mask ``(n_samples,)`` of the samples of ``lead`` printed anywhere on the page."""
        mask = np.zeros(n_samples, bool)
        for b in self.lead_boxes:
            if b["lead"] == lead:
                mask[int(round(b["t0_s"] * fs)):int(round(b["t1_s"] * fs))] = True
        return mask


def _mm(v: float, ppmm: float) -> float:
    return v * ppmm


def _poly(img, pts: np.ndarray, color, thickness: int) -> None:
    """Anti-aliased polyline with sub-pixel vertices (1/16 px)."""
    if len(pts) < 2:
        return
    p = np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [p], False, color, thickness, cv2.LINE_AA, shift=4)


def _draw_grid(img, ppmm: float, color: str) -> None:
    cols = GRID_COLORS.get(color)
    if color not in GRID_COLORS:
        raise ValueError(f"Unknown grid colour {color!r}; use one of {', '.join(GRID_COLORS)}.")
    if cols is None:
        return
    fine, bold = cols
    y0, y1 = _mm(GRID_Y0_MM, ppmm), _mm(GRID_Y1_MM, ppmm)
    x0, x1 = _mm(GRID_X0_MM, ppmm), _mm(GRID_X1_MM, ppmm)
    t_bold = max(1, int(round(0.12 * ppmm)))
    for pass_bold in (False, True):
        for k in range(int(GRID_X1_MM - GRID_X0_MM) + 1):
            if (k % 5 == 0) != pass_bold:
                continue
            x = x0 + k * ppmm
            _poly(img, np.array([[x, y0], [x, y1]]), bold if pass_bold else fine, t_bold if pass_bold else 1)
        for k in range(int(GRID_Y1_MM - GRID_Y0_MM) + 1):
            if (k % 5 == 0) != pass_bold:
                continue
            y = y0 + k * ppmm
            _poly(img, np.array([[x0, y], [x1, y]]), bold if pass_bold else fine, t_bold if pass_bold else 1)


def _text(img, s: str, x: float, y: float, height_px: float, thickness: int = 1, color=(20, 20, 20)) -> None:
    scale = height_px / 22.0  # HERSHEY_SIMPLEX cap height is about 22 px at scale 1
    cv2.putText(img, s, (int(round(x)), int(round(y))), cv2.FONT_HERSHEY_SIMPLEX, scale, color,
                max(1, thickness), cv2.LINE_AA)


def default_header(ecg: ECG, speed_mm_s: float, gain_mm_mv: float) -> list[str]:
    """Header lines printed when ``header=None``: record id, speed, gain (no personal data)."""
    rid = ecg.record_id
    return [f"Record {rid}", f"{speed_mm_s:g} mm/s   {gain_mm_mv:g} mm/mV   0.05-150 Hz"]


def render_paper(ecg: ECG, layout: str = "3x4+1", dpi: float = 200, grid_color: str = "red",
                 speed_mm_s: float = 25, gain_mm_mv: float = 10,
                 header: str | Iterable[str] | bool | None = None,
                 degradations: Mapping[str, Any] | Iterable[str] | str | None = None,
                 seed: int | None = None, t_offset_s: float = 0.0) -> RenderedPaper:
    """Print ``ecg`` as a paper ECG image.

    Args:
        ecg: the record; any sampling rate; leads are looked up by standard name. Leads the
            record lacks are left blank (no trace, no box).
        layout: one of :data:`LAYOUTS` (``3x4``, ``3x4+1``, ``3x4+3``, ``6x2``, ``12x1``, ``1x1``).
        dpi: output resolution in dots per inch (100-600 are sensible); px per mm = dpi / 25.4.
        grid_color: red, pink, orange, green, grey, black or none.
        speed_mm_s: paper speed in mm/s (25 or 50). At 50 mm/s a row holds 5 s (the page is
            25 cm wide); the printed span is recorded in ``lead_boxes``.
        gain_mm_mv: amplitude scale in mm/mV (5, 10 or 20).
        header: lines of text printed above the grid; ``None`` prints :func:`default_header`,
            ``False`` prints none.
        degradations: names from :data:`ALL_DEGRADATIONS` (``"all"`` for every one), or a mapping
            name -> strength (0..1, default 1; ``rotation`` may give degrees as
            ``{"rotation": {"deg": 7}}``). Applied in a fixed, seeded order: geometry (rotation,
            perspective), paper marks (crease, stain, handwriting), light (shadow), optics (blur),
            sensor (noise), compression (jpeg).
        seed: random seed for degradations (same seed, same image).
        t_offset_s: time of the source signal printed at the left of each row (default 0).

    Returns:
        :class:`RenderedPaper`.

    Raises:
        ValueError: unknown layout, grid colour or degradation.
        ECGSignalError: the record has none of the leads the layout prints.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}.")
    ppmm = float(dpi) / 25.4
    W, H = int(round(PAGE_W_MM * ppmm)), int(round(PAGE_H_MM * ppmm))
    img = np.full((H, W, 3), 255, np.uint8)
    _draw_grid(img, ppmm, grid_color)
    rows = LAYOUTS[layout]
    if layout == "1x1" and not ecg.has_lead("II"):
        rows = [[ecg.leads[0]]]
    if not any(ecg.has_lead(l) for r in rows for l in r):
        raise ECGSignalError(f"The record has none of the leads the {layout} layout prints ({rows}).")
    row_len_s = 250.0 / speed_mm_s  # every row prints 250 mm of trace (10 s at 25 mm/s)
    n_rows = len(rows)
    band = (GRID_Y1_MM - GRID_Y0_MM) / n_rows
    thick = max(1, int(round(0.24 * ppmm)))
    text_h = 2.8 * ppmm
    boxes: list[dict[str, Any]] = []
    fs = ecg.fs
    for r, row in enumerate(rows):
        y_base_mm = GRID_Y0_MM + band * (r + 0.5) + 0.12 * band
        yb = _mm(y_base_mm, ppmm)
        # calibration pulse: 1 mV high, 0.2 s wide
        px0 = _mm(PULSE_X_MM, ppmm)
        pw = 0.2 * speed_mm_s * ppmm
        ph = gain_mm_mv * ppmm
        pulse = np.array([[px0, yb], [px0 + 1 * ppmm, yb], [px0 + 1 * ppmm, yb - ph], [px0 + 1 * ppmm + pw, yb - ph],
                          [px0 + 1 * ppmm + pw, yb], [px0 + 2 * ppmm + pw, yb]])
        _poly(img, pulse, (0, 0, 0), thick)
        seg_s = row_len_s / len(row)
        for c, lead in enumerate(row):
            t0 = t_offset_s + c * seg_s
            t1 = t0 + seg_s
            x0 = _mm(SIGNAL_X0_MM, ppmm) + c * seg_s * speed_mm_s * ppmm
            if c > 0:  # lead change marker: short vertical tick
                _poly(img, np.array([[x0, yb - 2.5 * ppmm], [x0, yb + 2.5 * ppmm]]), (0, 0, 0), max(1, thick - 1))
            _text(img, lead, x0 + 0.8 * ppmm, yb - 0.3 * band * ppmm if band > 12 else yb - 4 * ppmm, text_h,
                  thickness=max(1, int(round(0.2 * ppmm))))
            if not ecg.has_lead(lead):
                continue
            i0, i1 = int(round(t0 * fs)), min(int(round(t1 * fs)), ecg.n_samples)
            if i1 - i0 < 2:
                continue
            seg = ecg.lead(lead)[i0:i1].astype(np.float64)
            tt = (np.arange(i0, i1) / fs - t0)
            xs = x0 + tt * speed_mm_s * ppmm
            ys = yb - seg * gain_mm_mv * ppmm
            ok = np.isfinite(ys)
            # break the polyline at missing samples
            idx = np.flatnonzero(ok)
            if len(idx):
                splits = np.flatnonzero(np.diff(idx) > 1) + 1
                for part in np.split(idx, splits):
                    _poly(img, np.stack([xs[part], ys[part]], 1), (0, 0, 0), thick)
                ymin, ymax = float(np.nanmin(ys)), float(np.nanmax(ys))
            else:
                ymin = ymax = yb
            boxes.append({
                "lead": lead, "row": r, "col": c, "t0_s": float(i0 / fs), "t1_s": float(i1 / fs),
                "x0_px": float(x0), "y0_px": float(yb), "px_per_mm": ppmm,
                "bbox": [float(x0), ymin, float(x0 + (i1 - i0) / fs * speed_mm_s * ppmm), ymax],
            })
    if header is None:
        header_lines = default_header(ecg, speed_mm_s, gain_mm_mv)
    elif header is False:
        header_lines = []
    elif isinstance(header, str):
        header_lines = header.splitlines()
    else:
        header_lines = [str(h) for h in header]
    for k, line in enumerate(header_lines[:5]):
        _text(img, line, _mm(GRID_X0_MM, ppmm), _mm(8.0 + 5.5 * k, ppmm), 3.0 * ppmm,
              thickness=max(1, int(round(0.2 * ppmm))))
    meta: dict[str, Any] = {
        "layout": layout, "dpi": float(dpi), "px_per_mm": ppmm, "speed_mm_s": float(speed_mm_s),
        "gain_mm_mv": float(gain_mm_mv), "grid_color": grid_color, "header": header_lines,
        "page_size_px": [W, H], "record_id": ecg.record_id,
    }
    page_to_image = np.eye(3)
    applied: dict[str, Any] = {}
    if degradations:
        img, page_to_image, applied = degrade(img, degradations, seed=seed, ppmm=ppmm)
    meta["degradations"] = applied
    meta["page_to_image"] = page_to_image.tolist()
    return RenderedPaper(image=img, lead_boxes=boxes, meta=meta)


def _normalize_degradations(degradations) -> dict[str, Any]:
    if isinstance(degradations, str):
        degradations = ALL_DEGRADATIONS if degradations in ("all", "photo") else [degradations]
    if isinstance(degradations, Mapping):
        d = dict(degradations)
    else:
        d = {k: 1.0 for k in degradations}
    for k in d:
        if k not in ALL_DEGRADATIONS:
            raise ValueError(f"Unknown degradation {k!r}; use any of {', '.join(ALL_DEGRADATIONS)}.")
    return d


def degrade(img: np.ndarray, degradations, seed: int | None = None, ppmm: float = 200 / 25.4):
    """Apply photo-like degradations to a rendered page.

    Args:
        img: BGR uint8 page.
        degradations: see :func:`render_paper`.
        seed: random seed.
        ppmm: pixels per mm of the page (scales blur, strokes and creases).

    Returns:
        ``(image, page_to_image, applied)``: the degraded BGR uint8 image, the 3x3 homography
        from page pixels to image pixels (identity when no geometric change) and a dict of the
        parameters drawn.
    """
    d = _normalize_degradations(degradations)
    rng = np.random.default_rng(seed)
    out = img.copy()
    H, W = out.shape[:2]
    applied: dict[str, Any] = {}
    M = np.eye(3)

    def strength(k):
        v = d.get(k, 0)
        if isinstance(v, Mapping):
            return float(v.get("strength", 1.0))
        return float(v)

    # paper marks first (they are on the paper, so they follow its geometry)
    if "stain" in d:
        s = strength("stain")
        for _ in range(int(rng.integers(1, 3))):
            cx, cy = rng.uniform(0.1, 0.9) * W, rng.uniform(0.1, 0.9) * H
            ax, ay = rng.uniform(8, 25) * ppmm, rng.uniform(6, 18) * ppmm
            mask = np.zeros((H, W), np.float32)
            cv2.ellipse(mask, (int(cx), int(cy)), (int(ax), int(ay)), float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
            mask = cv2.GaussianBlur(mask, (0, 0), 2 * ppmm) * 0.35 * s
            tint = np.array([120, 170, 200], np.float32)  # coffee-brown, BGR
            out = (out * (1 - mask[..., None]) + tint * mask[..., None]).astype(np.uint8)
        applied["stain"] = s
    if "handwriting" in d:
        s = strength("handwriting")
        n = int(rng.integers(2, 5))
        for _ in range(n):
            x, y = rng.uniform(0.05, 0.8) * W, rng.uniform(0.02, 0.95) * H
            pts = [(x, y)]
            ang = rng.uniform(-0.3, 0.3)
            for _k in range(int(rng.integers(20, 60))):
                step = rng.uniform(0.8, 2.0) * ppmm
                ang += rng.normal(0, 0.9)
                x += step * np.cos(ang) + 0.6 * ppmm
                y += step * np.sin(ang)
                pts.append((x, y))
            color = (140, 50, 20) if rng.random() < 0.7 else (60, 60, 60)
            _poly(out, np.array(pts), color, max(1, int(round(0.25 * ppmm * s))))
        applied["handwriting"] = n
    if "crease" in d:
        s = strength("crease")
        shade = np.ones((H, W), np.float32)
        for _ in range(int(rng.integers(1, 3))):
            horizontal = rng.random() < 0.5
            pos = rng.uniform(0.25, 0.75) * (H if horizontal else W)
            slope = rng.uniform(-0.05, 0.05)
            yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
            dist = (yy - pos - slope * xx) if horizontal else (xx - pos - slope * yy)
            w = 1.5 * ppmm
            shade += (-0.18 * np.exp(-(dist / w) ** 2) + 0.08 * np.exp(-((dist - 2 * w) / (2 * w)) ** 2)) * s
        out = np.clip(out * shade[..., None], 0, 255).astype(np.uint8)
        applied["crease"] = s

    # geometry: paper on a table, rotated and seen in perspective
    if "rotation" in d or "perspective" in d:
        margin = 0.08
        cw, ch = int(W * (1 + 2 * margin)), int(H * (1 + 2 * margin))
        T = np.array([[1, 0, W * margin], [0, 1, H * margin], [0, 0, 1]], float)
        R = np.eye(3)
        if "rotation" in d:
            v = d["rotation"]
            deg = float(v["deg"]) if isinstance(v, Mapping) and "deg" in v else rng.uniform(-1, 1) * 10 * strength("rotation")
            c = np.array([cw / 2, ch / 2])
            A = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), deg, 1.0)
            R = np.vstack([A, [0, 0, 1]])
            applied["rotation_deg"] = deg
        P = np.eye(3)
        if "perspective" in d:
            s = strength("perspective")
            src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
            jit = rng.uniform(-1, 1, (4, 2)) * 0.05 * s * np.array([cw, ch])
            dst = np.float32(src + jit)
            P = cv2.getPerspectiveTransform(src, dst)
            applied["perspective_jitter_px"] = np.abs(jit).max().round(1).item()
        M = P @ R @ T
        table = np.array([70, 90, 110], np.float32) + rng.uniform(-20, 20, 3)
        out = cv2.warpPerspective(out, M, (cw, ch), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=tuple(float(v) for v in table))
        H, W = ch, cw
    if "shadow" in d:
        s = strength("shadow")
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        gx, gy = rng.uniform(-1, 1, 2)
        light = 1.0 - 0.25 * s * (0.5 + 0.5 * (gx * (xx / W - 0.5) + gy * (yy / H - 0.5)) * 2) / 2
        poly = np.array([[rng.uniform(0, W), 0], [rng.uniform(0, W), H], [W if rng.random() < .5 else 0, H],
                         [W if rng.random() < .5 else 0, 0]], np.int32)
        sh = np.zeros((H, W), np.float32)
        cv2.fillPoly(sh, [poly], 1.0)
        sh = cv2.GaussianBlur(sh, (0, 0), 15 * ppmm / 7.87)
        light = light * (1 - 0.3 * s * sh)
        out = np.clip(out * light[..., None], 0, 255).astype(np.uint8)
        applied["shadow"] = s
    if "blur" in d:
        sigma = float(rng.uniform(0.4, 1.0) * strength("blur") * ppmm / 7.87)
        out = cv2.GaussianBlur(out, (0, 0), sigma)
        applied["blur_sigma_px"] = round(sigma, 2)
    if "noise" in d:
        sd = float(rng.uniform(4, 10) * strength("noise"))
        out = np.clip(out + rng.normal(0, sd, out.shape), 0, 255).astype(np.uint8)
        applied["noise_sd"] = round(sd, 1)
    if "jpeg" in d:
        q = int(round(90 - 50 * strength("jpeg") * rng.uniform(0.5, 1.0)))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        applied["jpeg_quality"] = q
    return out, M, applied
