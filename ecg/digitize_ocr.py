"""Printed text on ECG pages: header/footer lines, paper speed and gain, machine measurements and
lead labels, read with rapidocr-onnxruntime (bundled ONNX models, CPU, loaded once on first use).

Personal data is removed before anything is returned: lines that look like a name, a date of
birth, a date, or a patient/record number are replaced by ``"[personal data removed]"``; they
are never logged.
"""
from __future__ import annotations

import re
import threading
from typing import Any

import cv2
import numpy as np

from .leads import STANDARD_LEADS

_ENGINE = None
_LOCK = threading.Lock()

REDACTED = "[personal data removed]"

_PII = [
    re.compile(r"\b(name|patient|pat\.?|surname|first\s*name|last\s*name|nom|vorname)\b", re.I),
    re.compile(r"\b(d\.?o\.?b\.?|birth|born|geb\.?|geburt)", re.I),
    re.compile(r"\b(id|mrn|pid|record\s*(no|number|#)|case\s*(no|number)|accession|ssn|nhs)\b\s*[:#]?", re.I),
    re.compile(r"\b\d{1,4}([./-])\d{1,2}\1\d{2,4}\b"),      # dates (one separator: not "0.05-150 Hz")
    re.compile(r"\b\d{6,}\b"),                                # long numbers (IDs, phone numbers)
    re.compile(r"\b(19|20)\d{2}\b.*\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I),
    re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(19|20)\d{2}", re.I),
]


def engine():
    """The shared RapidOCR engine (created on first call; bundled models, no network)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR

            # 'max' limit: wide header strips are scaled to fit 1600 px instead of being blown up
            # until their short side reaches 736 px (the default, slow on a page-wide strip)
            # no angle classifier (it only tells upright from upside-down text; pages are read
            # upright) and no automatic letterbox (read_strips pads a thin image itself, once)
            _ENGINE = RapidOCR(det_limit_side_len=1600, det_limit_type="max", intra_op_num_threads=1,
                               inter_op_num_threads=1, use_cls=False, width_height_ratio=-1)
    return _ENGINE


def redact(line: str) -> str:
    """Return ``line``, or :data:`REDACTED` when it looks like personal data."""
    return REDACTED if any(p.search(line) for p in _PII) else line


# the text detector is unreliable on images wider than about 8 times their height: such an image
# is given white space below it until it is 4 times as wide as high (the proportions rapidocr's own
# letterbox gives; ours is applied once, to the stack of strips, not to each strip)
_MAX_ASPECT = 8.0
_LETTERBOX_ASPECT = 4.0


def read_strips(strips: list[tuple[np.ndarray, int]], width: int = 1600, pad: int = 24) -> list[dict[str, Any]]:
    """Detect and read text in horizontal strips of one page in a single detection pass.

    Args:
        strips: ``(bgr, y0)`` pairs: an image strip (H x W x 3 uint8, or H x W grey) and the row of
            the page it starts at; strips may differ in width.
        width: every strip is scaled to this many px wide first (text on an ECG page is then
            12-25 px high).
        pad: white border in px around each strip (the detector misses lines that touch the
            image edge, as a footer cut by the edge of a photo does).

    The scaled strips are stacked into one image (one detection over the stack costs less than
    one per strip, and the stack is rarely thin enough to need the letterbox a lone header strip
    needs). Returns ``[{"text", "box": [x0, y0, x1, y1], "score"}]`` in page pixel coordinates
    (``y0`` of the strip added), top-to-bottom then left-to-right. Unredacted: callers must pass
    the texts through :func:`redact` before keeping them."""
    placed = []  # (y in the stack, scale, page y0)
    tiles = []
    y = 0
    for bgr, y0 in strips:
        h, w = bgr.shape[:2]
        if h < 1 or w < 1:
            continue
        s = width / float(w)
        img = cv2.resize(bgr, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        tiles.append(img)
        placed.append((y, s, float(y0)))
        y += img.shape[0]
    if not tiles:
        return []
    wmax = max(t.shape[1] for t in tiles)
    stack = np.full((y, wmax, 3), 255, np.uint8)
    for (ys, _, _), t in zip(placed, tiles):
        stack[ys:ys + t.shape[0], :t.shape[1]] = t
    if wmax > _MAX_ASPECT * y:
        stack = cv2.copyMakeBorder(stack, 0, int(wmax / _LETTERBOX_ASPECT) - y, 0, 0, cv2.BORDER_CONSTANT,
                                   value=(255, 255, 255))
    res, _ = engine()(stack)
    out = []
    for box, text, score in res or []:
        b = np.asarray(box, float)
        cy = float(b[:, 1].mean())
        k = max(i for i, (ys, _, _) in enumerate(placed) if ys <= cy or i == 0)
        ys, s, y0 = placed[k]
        b = (b - [pad, ys + pad]) / s + [0.0, y0]
        out.append({"text": str(text), "box": [float(b[:, 0].min()), float(b[:, 1].min()),
                                                float(b[:, 0].max()), float(b[:, 1].max())],
                    "score": float(score)})
    out.sort(key=lambda d: (round(d["box"][1] / 20), d["box"][0]))
    return out


def join_lines(items: list[dict[str, Any]]) -> list[str]:
    """Texts of :func:`read_strips` items joined into printed lines, top to bottom, each left to
    right: items whose vertical centres lie within half the median text height of a line's are
    on it. A machine's measurement table ("Vent. rate", "80", "BPM" in three columns) is read
    as separate items; joined, ``Vent.rate 80 BPM`` can be parsed."""
    if not items:
        return []
    hmed = float(np.median([it["box"][3] - it["box"][1] for it in items]))
    cy = lambda it: 0.5 * (it["box"][1] + it["box"][3])
    lines: list[list[dict[str, Any]]] = []
    for it in sorted(items, key=cy):
        if lines and abs(cy(it) - float(np.mean([cy(o) for o in lines[-1]]))) <= 0.5 * hmed:
            lines[-1].append(it)
        else:
            lines.append([it])
    return [" ".join(o["text"] for o in sorted(line, key=lambda o: o["box"][0])) for line in lines]


def recognize(crop: np.ndarray) -> tuple[str, float]:
    """Recognize a single text line in a small crop (no detection step)."""
    res, _ = engine()(crop, use_det=False, use_cls=False, use_rec=True)
    if not res:
        return "", 0.0
    text, score = res[0][0], res[0][1]
    return str(text), float(score)


_LABEL_FIX = {"AVR": "aVR", "AVL": "aVL", "AVF": "aVF", "VR": "aVR", "VL": "aVL", "VF": "aVF",
              "I": "I", "II": "II", "III": "III", "L": "I", "LI": "II", "LII": "III", "IL": "II", "1": "I",
              "11": "II", "111": "III"}


def lead_label(text: str) -> str | None:
    """Map an OCR'd label (``avr``, ``V 1``, ``VI``, ``Il``) to a standard lead name, or None."""
    t = re.sub(r"[^A-Za-z0-9]", "", text).upper().replace("O", "0")
    if not t:
        return None
    m = re.fullmatch(r"V([1-6]|I|L|II|III)", t)
    if m:
        d = {"I": "1", "L": "1", "II": "2", "III": "3"}.get(m.group(1), m.group(1))
        return f"V{d}"
    if t in _LABEL_FIX:
        return _LABEL_FIX[t]
    t2 = t.replace("L", "I").replace("1", "I")
    if t2 in ("I", "II", "III"):
        return t2
    return None


_NUM = r"(\d{2,3})"


def parse_measurements(lines: list[str]) -> dict[str, float]:
    """Machine statements printed on the page (evidence only, never trusted silently).

    Recognizes e.g. ``Vent rate 75 bpm``, ``HR: 75``, ``PR 160 ms``, ``QRS 92 ms``,
    ``QT/QTc 400/420 ms``, ``P-R-T axes 60 45 30``. Returns a dict with any of ``vent_rate_bpm``,
    ``pr_ms``, ``qrs_ms``, ``qt_ms``, ``qtc_ms``, ``p_axis_deg``, ``qrs_axis_deg``, ``t_axis_deg``.
    """
    text = " | ".join(lines)
    out: dict[str, float] = {}
    # OCR often drops spaces ("Ventrate75bpmPR160ms"), so no word boundaries are required
    pats = {
        "vent_rate_bpm": r"(?:vent\.?\s*rate|heart\s*rate|(?<![a-z])hr|(?<![a-z])rate)\s*[:=]?\s*" + _NUM + r"\s*(?:bpm|/min|b/min)?",
        # a number after "PR interval" / "QRS duration" (as OCR spells them: "duation",
        # "dhuration", "intervai") needs no unit after it (OCR reads "ms" as "m1s", "m15" or
        # drops it); after a bare "PR" / "QRS" it needs "ms" (not "QRS axis 60")
        "pr_ms": r"PR(?:\s*i[a-z]{1,8}\s*[:=]?\s*" + _NUM + r"(?!\d)|\s*[:=]?\s*" + _NUM + r"\s*ms)",
        "qrs_ms": r"QRS(?:\s*d[a-z]{1,9}\s*[:=]?\s*" + _NUM + r"(?!\d)|\s*[:=]?\s*" + _NUM + r"\s*ms)",
        "qtc_ms": r"QTc\w*?\s*[:=]?\s*(\d{3})(?!\d)",
        "qt_ms": r"QT(?![cC/])\s*[:=]?\s*(\d{3})(?!\d)",
    }
    for k, p in pats.items():
        m = re.search(p, text, re.I)
        if m:
            out[k] = float(next(g for g in m.groups() if g is not None))
    m = re.search(r"QT\s*/\s*QTc\w*\s*[:=]?\s*(\d{3})\s*/\s*(\d{3})", text, re.I)
    if m:
        out["qt_ms"], out["qtc_ms"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"P[-\s]?R[-\s]?T\s*axes?\s*[:=]?\s*(-?\d{1,3})\s+(-?\d{1,3})\s+(-?\d{1,3})", text, re.I)
    if m:
        out["p_axis_deg"], out["qrs_axis_deg"], out["t_axis_deg"] = (float(v) for v in m.groups())
    return out


def parse_speed_gain(lines: list[str]) -> tuple[float | None, float | None]:
    """Paper speed (mm/s) and gain (mm/mV) printed on the page, when they are standard values."""
    text = " ".join(lines)
    sp = gn = None
    # OCR on photos often reads the slash of "mm/s" as 7, l, | or 1
    m = re.search(r"(\d{2}(?:[.,]\d)?)\s*mm\s*[/7l|1]\s*s(?:ec)?(?![a-z])", text, re.I)
    if m:
        v = float(m.group(1).replace(",", "."))
        if v in (12.5, 25.0, 50.0):
            sp = v
    m = re.search(r"(?<![\d.])(\d{1,2}(?:[.,]\d)?)\s*mm\s*[/7l|1]\s*mV", text, re.I)
    if m:
        v = float(m.group(1).replace(",", "."))
        if v in (2.5, 5.0, 10.0, 20.0):
            gn = v
    return sp, gn


def is_lead_name(text: str) -> bool:
    return lead_label(text) in STANDARD_LEADS and len(re.sub(r"\W", "", text)) <= 4


def read_labels(crops: list[np.ndarray], pad: int = 16,
                expect_i: list[bool] | None = None) -> list[tuple[str | None, str, float]]:
    """Lead labels in small crops (one per printed segment, taken where a label is printed).

    The crops are tiled into one mosaic, white-padded, and text is detected and recognized in a
    single call (one detection over all crops is much faster than one per crop). Returns per crop
    ``(lead or None, text, score)``: the standard lead named by the best-scoring text item whose
    centre lies in that crop, or None when no item there names a lead. A lone upright bar (a
    sans-serif I, which the detector does not find) is weak evidence: it is taken as I only in
    the crops where ``expect_i`` says the layout puts lead I (it can confirm the layout there, not
    contradict it elsewhere; on small web pages stray bars appear in other crops)."""
    if not crops:
        return []
    ch = max(c.shape[0] for c in crops) + 2 * pad
    cw = max(c.shape[1] for c in crops) + 2 * pad
    ncol = int(np.ceil(np.sqrt(len(crops) * ch / max(cw, 1))))
    ncol = max(1, min(len(crops), ncol))
    nrow = int(np.ceil(len(crops) / ncol))
    mosaic = np.full((nrow * ch, ncol * cw, 3), 255, np.uint8)
    for k, c in enumerate(crops):
        if c.ndim == 2:
            c = cv2.cvtColor(c, cv2.COLOR_GRAY2BGR)
        r, q = divmod(k, ncol)
        mosaic[r * ch + pad:r * ch + pad + c.shape[0], q * cw + pad:q * cw + pad + c.shape[1]] = c
    res, _ = engine()(mosaic)
    out: list[tuple[str | None, str, float]] = [(None, "", 0.0)] * len(crops)
    for box, text, score in res or []:
        b = np.asarray(box, float)
        cx, cy = float(b[:, 0].mean()), float(b[:, 1].mean())
        k = int(cy // ch) * ncol + int(cx // cw)
        if not 0 <= k < len(crops):
            continue
        lead = strict_label(str(text))
        if lead is None or float(score) < 0.5:
            continue
        if out[k][0] is None or float(score) > out[k][2]:
            out[k] = (lead, str(text), float(score))
    # the detector misses narrow labels ("I", "II", "III": a few vertical strokes); where it found
    # no label, recognize the crop's compact black blob (dark in every colour channel, not touching
    # the crop's edge, as the trace and grid lines do) directly
    for k, c in enumerate(crops):
        if out[k][0] is not None:
            continue
        box = _text_blob(c)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        m = max(4, (y1 - y0) // 3)
        sub = c[max(0, y0 - m):y1 + m, max(0, x0 - m):x1 + m]
        sub = cv2.copyMakeBorder(sub, m, m, 2 * m, 2 * m, cv2.BORDER_REPLICATE)
        bars = _roman_bars(c, box)
        if bars == 1 and not (expect_i is not None and expect_i[k]):
            bars = 0
        if bars:
            out[k] = ("I" * bars, "I" * bars, 1.0)
            continue
        text, score = recognize(sub)
        lead = strict_label(text)
        if lead is not None and score >= 0.5:
            out[k] = (lead, text, score)
    return out


def strict_label(text: str) -> str | None:
    """The standard lead a label crop's text names, read strictly (``aVR``, ``V1``, ``II``; the
    recognizer's roman numerals; I misread as l, 1 or |), or None: unlike :func:`lead_label` a
    bare ``VR`` or ``L`` is not taken for a label (a trace stroke crossing ``V4`` reads ``Vr``)."""
    t = re.sub(r"[^A-Za-z0-9\u2160\u2161\u2162|]", "", text)
    t = t.replace("\u2160", "I").replace("\u2161", "II").replace("\u2162", "III")
    u = t.upper()
    if u in ("AVR", "AVL", "AVF"):
        return "a" + u[1:]
    m = re.fullmatch(r"V([1-6])", u)
    if m:
        return u
    if t == "I" or 2 <= len(t) <= 3 and all(ch in "Il1|" for ch in t):
        # a lone l, 1 or | is as likely a stroke of the trace or a grid line as the label I
        return "I" * len(t)
    return None


def _roman_bars(crop: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """1, 2 or 3 when the text blob ``box`` of ``crop`` is nothing but that many filled upright bars
    of one height side by side (a sans-serif I, II or III, which the recognizer, trained on Chinese
    and Latin text, often reads as other glyphs or, for I, does not detect at all), else 0.

    A lone bar counts as I only when it is a printed glyph, not a piece of trace: 15-40 px high
    (1.7-4.4 mm at the crop's 9 px/mm), 2 px to a third of its height wide, at least 85 %
    filled, and straight (its left edge moves at most 1 px from row to row of its middle; a QRS
    stroke is slanted). It lies wholly inside the crop (see :func:`_text_blob`), which a trace
    crossing the crop's edge does not."""
    x0, y0, x1, y1 = box
    g = crop.max(axis=2) if crop.ndim == 3 else crop
    mask = (g[y0:y1, x0:x1] < 110).astype(np.uint8)
    n, _, st, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    comps = [st[i] for i in range(1, n) if st[i][4] >= 6]
    if len(comps) == 1:
        bx, by, bw, bh, area = comps[0]
        if not (15 <= bh <= 40 and 2 <= bw <= bh / 3.0 and area >= 0.85 * bw * bh):
            return 0
        rows = mask[by + bh // 5:by + bh - bh // 5, bx:bx + bw]
        left = np.argmax(rows > 0, axis=1)
        return 1 if np.all(rows.any(axis=1)) and np.ptp(left) <= 1 else 0
    if not 2 <= len(comps) <= 3:
        return 0
    hh = y1 - y0
    for s in comps:
        if s[3] < 0.85 * hh or s[2] > 0.45 * s[3] or s[2] < 2 or s[4] < 0.75 * s[2] * s[3]:
            return 0
    xs = sorted(s[0] for s in comps)
    if len(xs) > 1 and max(np.diff(xs)) > 0.8 * hh:
        return 0
    return len(comps)


def _text_blob(crop: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box of the text-like black components in ``crop`` (9 px/mm): components 12-45
    px high, not touching the crop's edge, joined with those beside them on the same line."""
    g = crop.max(axis=2) if crop.ndim == 3 else crop
    mask = (g < 110).astype(np.uint8)
    n, _, st, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    comps = [st[i] for i in range(1, n)
             if 12 <= st[i][3] <= 45 and st[i][2] <= 60 and st[i][0] > 0 and st[i][1] > 0
             and st[i][0] + st[i][2] < w and st[i][1] + st[i][3] < h]
    if not comps:
        return None
    a = max(comps, key=lambda s: s[3] * s[2])
    cy = a[1] + a[3] / 2
    line = [s for s in comps if abs(s[1] + s[3] / 2 - cy) < 0.5 * a[3]]
    x0 = min(s[0] for s in line)
    x1 = max(s[0] + s[2] for s in line)
    y0 = min(s[1] for s in line)
    y1 = max(s[1] + s[3] for s in line)
    return int(x0), int(y0), int(x1), int(y1)
