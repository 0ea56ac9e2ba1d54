"""Image side of digitization: reading the image, separating ink from grid, and the page
geometry (rotation, perspective and grid pitch in pixels per mm).

Steps, each a function:

1. :func:`read_image` - path / bytes / array / PDF page -> BGR uint8.
2. :func:`ink_and_grid_maps` - paper-normalized darkness, trace ink mask and grid-line strength.
3. :func:`rectify` - find the two families of grid lines (Hough transform), their vanishing
   points, and the homography that makes them parallel, orthogonal and axis-aligned
   (affine rectification from the vanishing line, Hartley & Zisserman, Multiple View Geometry,
   2nd ed., section 2.7).
4. :func:`grid_pitch` - px per mm along x and y from the periodicity of the grid lines (Fourier
   transform of the grid-line profile, 1 mm fine and 5 mm bold lines of standard ECG paper).
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .errors import DigitizationError

IMAGE_HINT = ("Upload a PNG, JPEG, BMP or TIFF image, or a PDF, of a paper ECG: a scan, a screenshot "
              "or a phone photo taken straight on, with the whole grid in view.")


def read_image(image: Any, page: int = 0, pdf_dpi: float = 200.0) -> tuple[np.ndarray, dict]:
    """Read an image as BGR uint8 ``(h, w, 3)``.

    Args:
        image: a path (PNG, JPEG, BMP, TIFF, PDF), the raw bytes of such a file, or a numpy
            uint8 array (gray ``(h, w)``, BGR ``(h, w, 3)`` or BGRA ``(h, w, 4)``).
        page: page of a PDF (0-based).
        pdf_dpi: resolution at which a PDF page is rasterized (pypdfium2).

    Returns:
        ``(bgr, info)``; ``info`` has ``source`` (``"path"``, ``"bytes"``, ``"array"``) and
        ``pdf_pages`` for PDFs.

    Raises:
        DigitizationError: unreadable file, not an image, empty array, PDF page out of range.
    """
    info: dict[str, Any] = {}
    data: bytes | None = None
    name = "the upload"
    if isinstance(image, np.ndarray):
        arr = image
        info["source"] = "array"
        if arr.size == 0 or arr.ndim not in (2, 3):
            raise DigitizationError(f"The image array has shape {arr.shape}; expected (h, w) or (h, w, 3). {IMAGE_HINT}")
        if arr.dtype != np.uint8:
            a = arr.astype(np.float64)
            if a.max() <= 1.0:
                a = a * 255.0
            arr = np.clip(a, 0, 255).astype(np.uint8)
        if arr.ndim == 2:
            arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
        elif arr.shape[2] == 4:
            arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR)
        elif arr.shape[2] == 1:
            arr = cv2.cvtColor(arr[..., 0], cv2.COLOR_GRAY2BGR)
        return np.ascontiguousarray(arr), info
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        info["source"] = "bytes"
    elif isinstance(image, (str, os.PathLike)):
        p = Path(image)
        name = p.name
        if not p.exists():
            raise DigitizationError(f"File not found: {p}. {IMAGE_HINT}")
        data = p.read_bytes()
        info["source"] = "path"
    elif hasattr(image, "read"):
        data = image.read()
        info["source"] = "bytes"
    else:
        raise DigitizationError(f"Cannot read an image from a {type(image).__name__}. {IMAGE_HINT}")
    if not data:
        raise DigitizationError(f"{name} is empty (0 bytes). {IMAGE_HINT}")
    if data[:5] == b"%PDF-":
        return _read_pdf(data, page, pdf_dpi, name, info)
    buf = np.frombuffer(data, np.uint8)
    arr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if arr is None:
        raise DigitizationError(f"{name} is not an image OpenCV can decode (PNG, JPEG, BMP, TIFF) nor a PDF. {IMAGE_HINT}")
    return arr, info


def _read_pdf(data: bytes, page: int, dpi: float, name: str, info: dict) -> tuple[np.ndarray, dict]:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium raises PdfiumError on damaged files
        raise DigitizationError(f"{name} looks like a PDF but could not be opened ({exc}). {IMAGE_HINT}") from exc
    try:
        n = len(doc)
        info["pdf_pages"] = n
        if not 0 <= page < n:
            raise DigitizationError(f"{name} has {n} page(s); page {page} does not exist (pages are numbered from 0).")
        pil = doc[page].render(scale=dpi / 72.0).to_pil().convert("RGB")
        arr = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
        info["pdf_dpi"] = dpi
        return arr, info
    finally:
        doc.close()


def paper_normalize(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Divide out uneven light.

    Returns:
        ``(value, chroma)``, float32 ``(h, w)`` in 0..1: ``value`` is the brightest channel
        divided by the local paper brightness (1 on clean paper, near 0 on black ink) and
        ``chroma`` is (max - min channel) / paper brightness (high on coloured grid lines).
    """
    f = bgr.astype(np.float32)
    vmax = f.max(axis=2)
    vmin = f.min(axis=2)
    h, w = vmax.shape
    k = 4
    small = cv2.resize(vmax, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
    # paper brightness: the local maximum over ~2.5 % of the image, smoothed
    r = max(3, int(min(h, w) / k * 0.025) | 1)
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (r, r)))
    bg = cv2.GaussianBlur(bg, (0, 0), r)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    bg = np.maximum(bg, 20.0)
    return np.clip(vmax / bg, 0, 1), np.clip((vmax - vmin) / bg, 0, 1)


def ink_and_grid_maps(bgr: np.ndarray) -> dict[str, Any]:
    """Separate dark trace ink from the grid.

    Returns a dict with float32 ``darkness`` (0 paper .. 1 black), uint8 ``ink`` (1 where trace,
    label or other dark ink), float32 ``grid`` (grid-line strength, ink removed) and the
    ``ink_threshold`` used (on darkness).
    """
    value, chroma = paper_normalize(bgr)
    dark = 1.0 - value
    cand = dark[dark > 0.15]
    thr = 0.45
    if cand.size > 100:
        hist, edges = np.histogram(cand, bins=64, range=(0.15, 1.0))
        # Otsu on the dark pixels: trace core vs grid lines / anti-aliased edges
        p = hist / hist.sum()
        omega = np.cumsum(p)
        mu = np.cumsum(p * (edges[:-1] + edges[1:]) / 2)
        mu_t = mu[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            sb = (mu_t * omega - mu) ** 2 / (omega * (1 - omega))
        sb = np.nan_to_num(sb)
        thr = float(edges[int(np.argmax(sb)) + 1])
    thr = float(np.clip(thr, 0.3, 0.7))
    # coloured pixels are grid unless very dark
    ink = ((dark > thr) & (chroma < 0.5 * dark + 0.1)).astype(np.uint8)
    paper = paper_mask(bgr)
    if paper is not None:  # the table around a photographed page is neither ink nor grid
        dark = dark * paper
        chroma = chroma * paper
        ink &= paper
    grid = np.maximum(chroma, dark * (dark <= thr))
    grid = grid * (1 - cv2.dilate(ink, np.ones((3, 3), np.uint8)))
    return {"darkness": dark, "ink": ink, "grid": grid.astype(np.float32), "ink_threshold": thr, "chroma": chroma,
            "paper": paper}


def paper_mask(bgr: np.ndarray) -> np.ndarray | None:
    """The sheet of paper in a photo (bright, large, one piece), as a uint8 mask eroded by 1 % of
    the image size; None when the paper fills the image (nothing to mask)."""
    h, w = bgr.shape[:2]
    k = max(1, int(max(h, w) / 400))
    small = cv2.resize(bgr.max(axis=2), (w // k, h // k), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 3)
    # paper vs table: a threshold a third of the way up from the table's level, so that paper in
    # a shadow (darker than lit paper, still brighter than the table) stays paper
    p5, p95 = np.percentile(small, [5, 95])
    bright = (small > p5 + 0.35 * (p95 - p5)).astype(np.uint8)
    if bright.mean() > 0.97 or bright.mean() < 0.25:
        return None
    # Otsu on a page that fills the frame splits shading, not paper from table: demand contrast
    lo, hi = small[bright == 0], small[bright == 1]
    if hi.mean() - lo.mean() < 40 or lo.mean() > 0.7 * hi.mean():
        return None
    n, lab, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    comp = (lab == big).astype(np.uint8)
    cnts, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(cnts, key=cv2.contourArea))
    m = np.zeros_like(comp)
    cv2.fillPoly(m, [hull], 1)
    m = cv2.erode(m, np.ones((5, 5), np.uint8))
    if m.mean() > 0.97:
        return None
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST)


def remove_straight_lines(ink: np.ndarray, min_len_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove long axis-aligned straight ink lines (a black grid, frame lines) from ``ink``.

    Returns ``(cleaned, lines)``, uint8 masks. Trace pixels crossing a removed line are kept
    when ink lies directly above and below them.
    """
    kh = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, min_len_px), 1))
    kv = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, min_len_px)))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kh) | cv2.morphologyEx(ink, cv2.MORPH_OPEN, kv)
    cleaned = ink & (1 - lines)
    return cleaned, lines


# --------------------------------------------------------------------------------------------
# geometry


def _hough_family(edges: np.ndarray, vertical: bool, max_tilt_rad: float, max_lines: int = 80):
    """Lines of one near-horizontal family as ``(rho, theta)`` arrays in the edges' frame."""
    e = edges.T.copy() if vertical else edges
    h, w = e.shape
    thr = max(20, int(0.22 * w))
    lines = None
    for _ in range(4):
        lines = cv2.HoughLines(e, 1, np.pi / 1440, thr, min_theta=np.pi / 2 - max_tilt_rad,
                               max_theta=np.pi / 2 + max_tilt_rad)
        if lines is not None and len(lines) >= 6:
            break
        thr = int(thr * 0.6)
    if lines is None:
        return np.zeros((0, 2))
    lines = lines[:, 0, :]
    # suppress near-duplicates (same line found at neighbouring rho/theta)
    keep: list[np.ndarray] = []
    for rho, th in lines:
        if all(abs(rho - k[0]) > 2.5 or abs(th - k[1]) > 0.01 for k in keep):
            keep.append(np.array([rho, th]))
        if len(keep) >= max_lines:
            break
    out = np.array(keep)
    if vertical:  # in the transposed frame (x'=y, y'=x): x cos t + y sin t = rho  ->  swap
        out = out.copy()
    return out


def _lines_homog(lines: np.ndarray, vertical: bool, cx: float, cy: float, f: float) -> np.ndarray:
    """Homogeneous line vectors in normalized image coords ((x - cx)/f, (y - cy)/f)."""
    rho, th = lines[:, 0], lines[:, 1]
    c, s = np.cos(th), np.sin(th)
    if vertical:  # transposed frame: y cos t + x sin t = rho
        a, b = s, c
    else:
        a, b = c, s
    # a x + b y - rho = 0 with x = f x' + cx
    L = np.stack([a * f, b * f, a * cx + b * cy - rho], 1)
    return L / np.linalg.norm(L[:, :2], axis=1, keepdims=True)


def _vanishing_point(L: np.ndarray) -> np.ndarray:
    """Least-squares common point of lines (homogeneous), trimmed once for outliers."""
    idx = np.arange(len(L))
    v = None
    for _ in range(3):
        _, _, vt = np.linalg.svd(L[idx])
        v = vt[-1]
        r = np.abs(L @ v)
        if len(idx) < 8:
            break
        cut = np.quantile(r[idx], 0.8) * 2 + 1e-12
        new = np.flatnonzero(r <= cut)
        if len(new) == len(idx) or len(new) < 6:
            break
        idx = new
    return v


def rectify(grid: np.ndarray, ink: np.ndarray, max_tilt_deg: float = 20.0) -> dict[str, Any]:
    """Estimate the homography that makes the grid axis-aligned and rectilinear.

    Args:
        grid: grid-line strength ``(h, w)`` (from :func:`ink_and_grid_maps`).
        ink: trace ink mask; used when the grid is too faint (the trace baselines are horizontal).
        max_tilt_deg: largest rotation searched.

    Returns:
        dict with ``H`` (3x3, image -> rectified pixels), ``size`` ``(w, h)`` of the rectified
        image, ``rotation_deg`` (rotation of the horizontal grid lines in the input, counter-
        clockwise positive), ``perspective`` (True when a finite vanishing point was used),
        ``n_lines`` ``(horizontal, vertical)``.
    """
    h, w = grid.shape
    scale = min(1.0, 1400.0 / max(h, w))
    g = cv2.resize(grid, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else grid
    gh, gw = g.shape
    # line pixels: locally stronger than their surroundings
    bgm = cv2.blur(g, (9, 9))
    edges = ((g > bgm + 0.02) & (g > 0.04)).astype(np.uint8) * 255
    tilt = np.deg2rad(max_tilt_deg)
    hl = _hough_family(edges, False, tilt)
    vl = _hough_family(edges, True, tilt)
    from_ink = len(hl) < 4
    if from_ink:
        # no grid to speak of: the trace baselines give the rotation; near-vertical strokes of
        # the traces (QRS complexes) and text are no grid lines, so no perspective is estimated
        inks = cv2.resize(ink * 255, (gw, gh), interpolation=cv2.INTER_AREA) if scale < 1 else ink * 255
        hl = _hough_family((inks > 60).astype(np.uint8) * 255, False, tilt, 40)
        vl = vl[:0]
    cx, cy, f = gw / 2, gh / 2, float(max(gw, gh))
    S = np.diag([scale, scale, 1.0])  # image -> working pixels
    N = np.array([[1 / f, 0, -cx / f], [0, 1 / f, -cy / f], [0, 0, 1]])  # working -> normalized
    info: dict[str, Any] = {"n_lines": [int(len(hl)), int(len(vl))]}
    if len(hl) < 3:
        info.update(H=np.eye(3), size=(w, h), rotation_deg=0.0, perspective=False, ok=False)
        return info
    Lh = _lines_homog(hl, False, cx, cy, f)
    vh = _vanishing_point(Lh)
    if from_ink and abs(vh[2]) > 1e-12:
        vh = np.array([vh[0], vh[1], 0.0])  # a direction only (point at infinity)
    if len(vl) >= 3:
        Lv = _lines_homog(vl, True, cx, cy, f)
        vv = _vanishing_point(Lv)
    else:  # assume vertical lines orthogonal to the horizontal ones, no perspective across
        vv = np.array([-vh[1], vh[0], 0.0]) if abs(vh[2]) < 1e-9 else np.array([-vh[1] / vh[2], vh[0] / vh[2], 0.0])
    # directions of the two families (sign: +x and +y)
    def direction(v):
        d = v[:2] / (np.linalg.norm(v[:2]) + 1e-15)
        return d
    # is perspective significant? a vanishing point far away (> 30 image sizes) is at infinity
    far = 30.0
    persp = False
    vh_n = vh / (np.linalg.norm(vh) + 1e-15)
    vv_n = vv / (np.linalg.norm(vv) + 1e-15)
    if abs(vh_n[2]) > 1e-12 and np.linalg.norm(vh_n[:2] / vh_n[2]) < far:
        persp = True
    if abs(vv_n[2]) > 1e-12 and np.linalg.norm(vv_n[:2] / vv_n[2]) < far:
        persp = True
    if persp:
        Lvan = np.cross(vh_n, vv_n)
        if abs(Lvan[2]) < 1e-12:
            persp = False
        else:
            Lvan = Lvan / Lvan[2]
            Hp = np.array([[1, 0, 0], [0, 1, 0], Lvan])
            vh2, vv2 = Hp @ vh_n, Hp @ vv_n
            dh, dv = direction(vh2), direction(vv2)
    if not persp:
        Hp = np.eye(3)
        dh, dv = direction(vh_n), direction(vv_n)
    if dh[0] < 0:
        dh = -dh
    if dv[1] < 0:
        dv = -dv
    B = np.stack([dh, dv], 1)
    if abs(np.linalg.det(B)) < 0.5:  # families not distinct: give up on geometry
        info.update(H=np.eye(3), size=(w, h), rotation_deg=0.0, perspective=False, ok=False)
        return info
    A = np.eye(3)
    A[:2, :2] = np.linalg.inv(B)
    Hn = A @ Hp  # normalized -> normalized rectified
    H = np.linalg.inv(N) @ Hn @ N @ S  # image -> working-scale rectified
    # choose output scale and offset: keep the centre's local scale near the input's
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    cj = _jac_scale(H, np.array([w / 2, h / 2]))
    H = np.diag([1 / cj, 1 / cj, 1]) @ H
    pc = cv2.perspectiveTransform(corners[None], H)[0]
    x0, y0 = pc.min(0)
    x1, y1 = pc.max(0)
    ow, oh = x1 - x0, y1 - y0
    if not np.all(np.isfinite(pc)) or ow * oh > 4 * w * h:
        info.update(H=np.eye(3), size=(w, h), rotation_deg=0.0, perspective=False, ok=False)
        return info
    H = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ H
    rot = float(np.degrees(np.arctan2(-dh[1], dh[0])))
    info.update(H=H, size=(int(np.ceil(ow)), int(np.ceil(oh))), rotation_deg=rot, perspective=bool(persp), ok=True)
    return info


def _jac_scale(H: np.ndarray, p: np.ndarray) -> float:
    """Local linear scale (sqrt of |det J|) of homography ``H`` at point ``p``."""
    e = 1.0
    pts = np.array([[p, p + [e, 0], p + [0, e]]], np.float64)
    q = cv2.perspectiveTransform(pts, H)[0]
    J = np.stack([q[1] - q[0], q[2] - q[0]], 1) / e
    return float(np.sqrt(abs(np.linalg.det(J))))


def _profile_period(profile: np.ndarray, min_px: float, max_px: float) -> tuple[float, float]:
    """Dominant period (px) of a 1-D profile in ``[min_px, max_px]`` and its peak-to-median ratio."""
    if len(profile) < 16:
        return float("nan"), 0.0
    spec, freqs = _spectrum(profile)
    band = (freqs >= 1.0 / max_px) & (freqs <= 1.0 / min_px)
    if not band.any():
        return float("nan"), 0.0
    idx = np.flatnonzero(band)
    amp, f = _band_peak(spec, freqs, idx)
    return 1.0 / f, float(amp / (np.median(spec[idx]) + 1e-12))


def _spectrum(profile: np.ndarray):
    x = profile - np.mean(profile)
    n = len(x)
    x = x * np.hanning(n)
    pad = 1 << int(np.ceil(np.log2(n * 8)))
    return np.abs(np.fft.rfft(x, pad)), np.fft.rfftfreq(pad)


def _band_peak(spec: np.ndarray, freqs: np.ndarray, idx: np.ndarray) -> tuple[float, float]:
    """Largest spectral bin among ``idx``: its amplitude and its frequency refined by a parabola
    through the three bins around it (sub-bin precision)."""
    k = idx[int(np.argmax(spec[idx]))]
    if 0 < k < len(spec) - 1:
        a, b, c = spec[k - 1], spec[k], spec[k + 1]
        den = a - 2 * b + c
        dk = 0.5 * (a - c) / den if den != 0 else 0.0
    else:
        dk = 0.0
    return float(spec[k]), float((k + dk) * (freqs[1] - freqs[0]))


def _peak_near(spec, freqs, f0, rel=0.08):
    band = (freqs >= f0 * (1 - rel)) & (freqs <= f0 * (1 + rel))
    if not band.any():
        return 0.0, f0
    return _band_peak(spec, freqs, np.flatnonzero(band))


#: A multiple of a candidate fundamental is a comb peak when the whitened spectrum there is at
#: least this many times its median (and twice the spectrum half-way to the next multiples).
HARMONIC_PRESENT = 2.5
#: Score a candidate fundamental loses for each of its multiples (up to 1.8 px) that is no comb peak.
ABSENT_COST = 0.5
#: A candidate's comb is taken for the comb of its q-th multiple (q = 2, 3, 4) when that carries
#: this share of its log-amplitude (a true 5 mm comb's even multiples carry less than half).
REDUCE_SHARE = 0.6
#: Shortest grid period searched (px): 1 mm at 1.8 px is about 46 dpi.
MIN_PERIOD_PX = 1.8


class _AxisSpectrum:
    """Whitened spectrum of the grid-strength profile along one axis of a rectified page."""

    def __init__(self, grid: np.ndarray, axis: int):
        prof = grid.mean(axis=0) if axis == 1 else grid.mean(axis=1)
        prof = prof - cv2.GaussianBlur(prof.reshape(-1, 1).astype(np.float64), (0, 0), 15).ravel()
        self.n = n = len(prof)
        spec, freqs = _spectrum(prof)
        self.freqs = freqs
        self.df = float(freqs[1] - freqs[0])
        valid = (freqs >= 1 / 250.0) & (freqs <= 1 / MIN_PERIOD_PX)
        self.ok = bool(valid.any()) and n >= 32
        self.med = float(np.median(spec[valid]) + 1e-12) if valid.any() else 1.0
        # whiten: a grid gives sharp peaks (many periods across the image); shading, creases and
        # the rows of traces give broad low-frequency humps, which the local median takes out
        from scipy.ndimage import median_filter

        self.bins = max(1, int(round(len(spec) * 2 / n)))
        bg = median_filter(spec, size=21 * self.bins, mode="nearest") + 1e-12
        self.spec = spec / bg * self.med
        self.f_lo = 1.0 / min(130.0, n / 4)
        self.f_hi = 1.0 / MIN_PERIOD_PX

    def amp(self, f, rel: float = 0.015) -> np.ndarray:
        """Spectrum maximum within +-``rel`` (relative) of each frequency ``f`` (cycles/px)."""
        f = np.atleast_1d(np.asarray(f, float))
        k = np.clip(np.round(f / self.df).astype(int), 1, len(self.spec) - 1)
        w = np.maximum(1, np.round(rel * f / self.df).astype(int))
        return np.array([self.spec[max(1, kk - ww):kk + ww + 1].max() for kk, ww in zip(k, w)])

    def tight(self, f) -> np.ndarray:
        """Spectrum maximum within two true bins of each frequency (a harmonic of a precisely
        located peak sits where it is predicted; a wide window finds noise maxima)."""
        f = np.atleast_1d(np.asarray(f, float))
        k = np.clip(np.round(f / self.df).astype(int), 1, len(self.spec) - 1)
        w = 2 * self.bins
        return np.array([self.spec[max(1, kk - w):kk + w + 1].max() for kk in k])

    def present(self, F: float, J: int) -> tuple[np.ndarray, np.ndarray]:
        """Which of the multiples F, 2F, .., JF are comb peaks, and their amplitudes: above the
        floor, and at least twice the spectrum half-way to the next multiple either side (the
        extra multiples of a subharmonic fall between the true peaks, as low as half-way)."""
        j = np.arange(1, J + 1)
        a = self.tight(j * F)
        half = np.maximum(self.tight((j - 0.5) * F), self.tight((j + 0.5) * F))
        return (a / self.med >= HARMONIC_PRESENT) & (a >= 2.0 * half), a

    def comb_score(self, F: float, absent_cost: float = ABSENT_COST) -> float:
        """Log-amplitude (above 3x the median) of the comb peaks among the multiples of ``F``
        up to ``f_hi``, less ``absent_cost`` for each multiple that is no peak."""
        ok, a = self.present(F, max(1, int(self.f_hi / F)))
        return float(np.sum(np.where(ok, np.log(np.maximum(a / (3 * self.med), 1.0)), -absent_cost)))

    def candidates(self) -> list[float]:
        """Candidate fundamentals (cycles/px). For each of the five strongest peaks f, the
        fundamental it belongs to is f / m for the largest m (1..5: the 1 mm line is the 5th
        multiple of the 5 mm lines) with at least 3 in 4 of F, 2F, .., mF comb peaks."""
        from scipy.signal import find_peaks

        idx = np.flatnonzero((self.freqs >= self.f_lo) & (self.freqs <= self.f_hi))
        if len(idx) < 3:
            return []
        pk, _ = find_peaks(self.spec[idx])
        out = []
        for k in idx[pk[np.argsort(-self.spec[idx][pk])[:5]]]:
            f = _band_peak(self.spec, self.freqs, np.arange(max(1, k - 1), min(len(self.spec), k + 2)))[1]
            m_best = 1
            for m in range(2, 6):
                if f / m < self.f_lo:
                    break
                if self.present(f / m, m)[0].mean() >= 0.75:
                    m_best = m
            F = f / m_best
            # a comb whose every 2nd, 3rd or 4th multiple carries most of its weight is that
            # multiple's comb plus other structure: pixel rounding of a pitch that is no whole
            # number of pixels repeats every few 5 mm periods (ecg00006: 25.68 px per 5 mm,
            # a 77 px = 15 mm comb), and the beats of a regular rhythm print every RR. ECG
            # paper has no 10, 15 or 20 mm lines, so the shorter period is the grid's.
            s_all = self.comb_score(F, 0.0)
            red = [(self.comb_score(q * F, 0.0), q) for q in (2, 3, 4) if q * F <= self.f_hi]
            red = [r for r in red if r[0] >= REDUCE_SHARE * s_all]
            if red:
                F *= max(red)[1]
            out.append(F)
        return out

    def score_near(self, F: float, cands: list[float], rel: float = 0.12) -> float:
        """Best comb score of ``F`` or of this axis's own candidates within +-``rel`` of it (a
        residual perspective makes the two axes' pitches differ by a few per cent)."""
        near = [c for c in cands if abs(c / F - 1) <= rel]
        return max([self.comb_score(F)] + [self.comb_score(c) for c in near])

    def pitch(self, c: float, search: float | None = None) -> dict[str, float]:
        """Refine a 1 mm pitch ``c`` (px): the peak near the 1 mm line, else the strongest 5 mm
        harmonic. With ``search`` the 1 mm line is first looked for within +-``search``
        (relative) of ``c``."""
        if search:
            band = (self.freqs >= 1 / (c * (1 + search))) & (self.freqs <= 1 / (c * (1 - search)))
            idx = np.flatnonzero(band)
            if not len(idx):
                return _NO_GRID.copy()
            c = 1.0 / self.freqs[idx[int(np.argmax(self.spec[idx]))]]
        f1 = 1.0 / c
        f5 = f1 / 5
        harm = [float(self.amp(k * f5)[0]) for k in range(1, 6)]
        amp1, fr1 = _peak_near(self.spec, self.freqs, f1, 0.03)
        if amp1 / self.med > 6:
            best_f = fr1
        else:  # refine on the strongest 5 mm harmonic
            k = int(np.argmax(harm)) + 1
            _, fr = _peak_near(self.spec, self.freqs, k * f5, 0.03)
            best_f = fr / k * 5
        strength = float(max(max(harm), amp1) / self.med)
        return {"px_per_mm": float(1.0 / best_f), "strength": strength, "fine_visible": float(amp1 / self.med)}


_NO_GRID = {"px_per_mm": float("nan"), "strength": 0.0, "fine_visible": 0.0}


def _mm_from_fundamental(P0: float, n: int, amp) -> float:
    """1 mm pitch (px) from the grid's fundamental period ``P0``: ``P0 / 5`` (5 mm bold lines)
    or ``P0`` (1 mm lines only), whichever makes a plausible page of 60 to 450 mm across the
    ``n`` px of the image and, when both do, the one with 5 mm lines seen."""
    opts = [P0 / 5, P0] if P0 / 5 >= MIN_PERIOD_PX else [P0]
    plaus = [c for c in opts if 60 <= n / c <= 450]
    for c in plaus:
        if amp(1 / (5 * c))[0] > 3:
            return c
    return plaus[0] if plaus else P0


def grid_pitch(grid: np.ndarray, axis: int, hint_px_per_mm: float | None = None) -> dict[str, float]:
    """Grid pitch along one axis of an axis-aligned grid image.

    The profile of grid strength across the axis is periodic: bold lines every 5 mm, fine lines
    (or dots) every 1 mm; its whitened spectrum is a comb. The fundamental is found from the
    strongest peaks (:meth:`_AxisSpectrum.candidates`, scored by :meth:`_AxisSpectrum.comb_score`);
    the 1 mm pitch is the fundamental or a fifth of it (:func:`_mm_from_fundamental`).

    Args:
        grid: grid-line strength ``(h, w)``, rectified.
        axis: 1 for px per mm along x (vertical lines, profile over columns), 0 along y.
        hint_px_per_mm: when given, the 1 mm pitch is searched only within 0.88..1.12 times it.

    Returns:
        dict ``px_per_mm`` (NaN when no periodic grid), ``strength`` (peak over the median
        spectrum; about 10 or more for a visible grid), ``fine_visible`` (1 mm peak over median).
    """
    sp = _AxisSpectrum(grid, axis)
    if not sp.ok:
        return _NO_GRID.copy()
    if hint_px_per_mm:
        return sp.pitch(hint_px_per_mm, search=0.12)
    cands = sp.candidates()
    if not cands:
        return _NO_GRID.copy()
    F = max(cands, key=sp.comb_score)
    mean_amp = lambda f: sp.amp(f) / sp.med
    return sp.pitch(_mm_from_fundamental(1.0 / F, sp.n, mean_amp))


def page_pitch(grid: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Grid pitch along x and y of a rectified page: :func:`grid_pitch` per axis; when the two
    disagree by more than 12 %, the pitch that explains both axes best (a rectified grid is
    square: each axis searched near each candidate, the product of the strengths compared).

    Returns ``(gx, gy)``, two :func:`grid_pitch` dicts (``px_per_mm`` NaN where no grid).
    """
    gx = grid_pitch(grid, 1)
    gy = grid_pitch(grid, 0)
    if np.isfinite(gx["px_per_mm"]) and np.isfinite(gy["px_per_mm"]) and abs(gx["px_per_mm"] / gy["px_per_mm"] - 1) > 0.12:
        best = None
        for c in (gx["px_per_mm"], gy["px_per_mm"]):
            ax = grid_pitch(grid, 1, hint_px_per_mm=c)
            ay = grid_pitch(grid, 0, hint_px_per_mm=c)
            sc = np.log(max(ax["strength"], 1e-3)) + np.log(max(ay["strength"], 1e-3))
            if best is None or sc > best[0]:
                best = (sc, ax, ay)
        gx, gy = best[1], best[2]
    return gx, gy


def line_positions_map(profile: np.ndarray, px_per_mm: float, deg: int = 2) -> np.ndarray | None:
    """Millimetre coordinate along a grid profile, from the grid lines' own positions.

    After rectification a little perspective may remain (the scale drifts across the page). The
    1 mm grid lines are located in ``profile`` (grid strength along one axis), numbered by their
    spacing, and mm is fitted as a polynomial of degree ``deg`` in px (outliers dropped).

    Returns:
        polynomial coefficients (``np.polyval`` order) giving mm from px, or None when too few
        lines were found or the fit is poor (then a uniform ``px_per_mm`` scale is right).
    """
    from scipy.signal import find_peaks

    n = len(profile)
    if n < 20 * px_per_mm or px_per_mm < 2:
        return None
    p = cv2.GaussianBlur(profile.reshape(-1, 1).astype(np.float64), (0, 0), max(0.6, 0.12 * px_per_mm)).ravel()
    p = p - cv2.GaussianBlur(p.reshape(-1, 1), (0, 0), 2.0 * px_per_mm).ravel()
    for step in (1, 5):  # fine lines, else bold ones
        pk, prop = find_peaks(p, distance=max(1, int(0.6 * step * px_per_mm)), prominence=1e-6)
        if len(pk) < 8:
            continue
        # keep the stronger half of the peaks (the lines), refine to sub-pixel
        prom = prop["prominences"]
        pk = pk[prom >= np.median(prom) * 0.5]
        a, b, c = p[np.clip(pk - 1, 0, n - 1)], p[pk], p[np.clip(pk + 1, 0, n - 1)]
        den = a - 2 * b + c
        pos = pk + np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)
        d = np.diff(pos) / (step * px_per_mm)
        k = np.round(d)
        ok = (np.abs(d - k) < 0.22) & (k >= 1)
        if ok.mean() < 0.6:
            continue
        # number the lines along runs of consistent spacing (a bad gap restarts nothing: it is skipped)
        idx = np.concatenate([[0], np.cumsum(np.where(ok, k, np.round(d)))]) * step
        keep = np.ones(len(pos), bool)
        coef = None
        for _ in range(3):
            if keep.sum() < 8:
                return None
            coef = np.polyfit(pos[keep], idx[keep], deg)
            res = idx - np.polyval(coef, pos)
            res -= np.median(res[keep])
            new = np.abs(res) < 0.2 * step
            if (new == keep).all():
                break
            keep = new
        slope = np.polyval(np.polyder(coef), np.array([pos[0], pos[-1], n / 2]))
        if keep.sum() < max(8, 0.5 * len(pos)) or np.any(np.abs(slope * px_per_mm - 1) > 0.15):
            return None
        return coef
    return None


def thin_stroke_ink(dark: np.ndarray, ink: np.ndarray, ppmm: float, thr: float) -> np.ndarray:
    """Add faint thin strokes to the ink mask: the steep up and down strokes of a QRS spike in a
    photo are about one pixel wide and, blurred and JPEG-compressed, much lighter than the
    baseline's ink, so the global threshold breaks them up or drops them.

    On an axis-aligned (rectified) page, straight grid lines are estimated by grey openings with
    long horizontal and vertical lines (12 mm) and subtracted; a pixel is faint stroke ink when
    what is left is above a low threshold (a quarter of the ink threshold, at least 0.08), it is
    a horizontal darkness maximum (the ridge of a steep stroke, not the edge of a flat line), its
    chain of such pixels is at least 1.5 mm tall and taller than wide, and it is connected to the ink (hysteresis).

    Returns the ink mask with those pixels added (uint8, same shape).
    """
    if not np.isfinite(ppmm) or ppmm <= 0:
        return ink
    d = dark.astype(np.float32)
    L = int(12 * ppmm) | 1
    b = max(3, int(1.5 * ppmm) | 1)
    # the trace's own flat stretches are long straight lines too: leave the ink out
    dg = d * (1 - cv2.dilate(ink, np.ones((3, 3), np.uint8))).astype(np.float32)
    # every vertical grid line crosses the trace, and leaving the ink out cuts it there: a line
    # cut within 12 mm of the page's edge (the rhythm strip's row) is then too short for the
    # opening and stays as a tall thin "stroke" hanging from the trace. Close the cut (a short
    # vertical closing bridges the flat trace's height in each column). Only where the trace runs
    # flat: a steep stroke's own ink must keep cutting it, or a long, steep, partly faint QRS stroke
    # would be rebuilt as a "grid line" and subtracted.
    kc = max(5, int(round(1.2 * ppmm)) | 1)
    kf = max(3, int(round(0.8 * ppmm)))
    flat = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, kf), np.uint8))
    flat = cv2.dilate(flat, np.ones((3, 3), np.uint8)) > 0
    dgv = np.where(flat, cv2.morphologyEx(dg, cv2.MORPH_CLOSE, np.ones((kc, 1), np.uint8)), dg)
    ov = cv2.morphologyEx(cv2.blur(dgv, (1, b)), cv2.MORPH_OPEN, np.ones((L, 1), np.uint8))
    oh = cv2.morphologyEx(cv2.blur(dg, (b, 1)), cv2.MORPH_OPEN, np.ones((1, L), np.uint8))
    bg = np.maximum(cv2.dilate(ov, np.ones((1, 3), np.uint8)), cv2.dilate(oh, np.ones((3, 1), np.uint8)))
    res = d - bg
    t = max(0.08, 0.25 * thr)

    def shifted(a, k):
        out = np.zeros_like(a)
        if k > 0:
            out[:, k:] = a[:, :-k]
        else:
            out[:, :k] = a[:, -k:]
        return out

    # ridge pixels of steep strokes (ink or not): a horizontal darkness maximum that stands out
    # from the pixels two columns away on at least one side (a flat line does not: its neighbours
    # are as dark; the other stroke of a narrow spike may lie two columns away)
    ridge = ((res > t) & (d >= shifted(d, 1)) & (d >= shifted(d, -1))
             & (res - np.minimum(shifted(res, 2), shifted(res, -2)) > t))
    # a steep stroke's ridge is a tall, thin chain (8-connected; it zigzags between neighbouring
    # columns); dots, specks and letters are short or wide
    n, lab, st, _ = cv2.connectedComponentsWithStats(ridge.astype(np.uint8), connectivity=8)
    hh, ww = st[:, cv2.CC_STAT_HEIGHT], st[:, cv2.CC_STAT_WIDTH]
    ok = (hh >= 1.5 * ppmm) & (hh >= 1.5 * ww)
    ok[0] = False
    stroke = ok[lab]
    # the chain zigzags: where it steps to the next column, a pixel column holds pieces of the
    # stroke with gaps between them (and the up and down strokes of a narrow spike interleave).
    # Bridge a gap of a column when the neighbouring column carries the stroke at that height.
    s8 = stroke.astype(np.uint8)
    k = max(3, int(round(2.5 * ppmm)))
    bridge = cv2.dilate(s8, np.ones((1, 3), np.uint8)) & cv2.morphologyEx(s8, cv2.MORPH_CLOSE, np.ones((k, 1), np.uint8))
    weak = ((bridge > 0) | stroke) & (ink == 0)
    if not weak.any():
        return ink
    both = ((ink > 0) | weak).astype(np.uint8)
    n, lab = cv2.connectedComponents(both, connectivity=8)
    has = np.zeros(n, bool)
    has[np.unique(lab[ink > 0])] = True
    has[0] = False
    return (ink | (weak & has[lab])).astype(np.uint8)
