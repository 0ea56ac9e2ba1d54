"""Trace side of digitization: finding the rows of traces on a rectified page, following each
trace column by column, and turning pixel columns into samples.

All functions take the rectified ink mask (uint8 ``(h, w)``, 1 = ink) in pixel coordinates
where x grows with time and y grows downwards (so larger voltages have smaller y).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks


@dataclass
class Row:
    """One row of traces: its baseline (y of the most-visited level, px) and vertical window."""

    baseline: float
    y_lo: int
    y_hi: int
    x_start: float = 0.0
    x_end: float = 0.0
    # filled by follow_trace
    cols: np.ndarray | None = None           # x of each followed column
    top: np.ndarray | None = None            # chosen run top (y, px) per column, NaN if none
    bot: np.ndarray | None = None
    ambiguous: np.ndarray | None = None      # another run within reach
    clipped: np.ndarray | None = None        # run touches the window edge
    extra: dict = field(default_factory=dict)


def grid_box(grid: np.ndarray, ppmm: float) -> tuple[int, int, int, int] | None:
    """Bounding box ``(x0, y0, x1, y1)`` of the printed grid, or None when no grid is seen."""
    h, w = grid.shape
    out = []
    for axis in (0, 1):
        prof = grid.mean(axis=axis)
        prof = gaussian_filter1d(prof, max(1.0, 2.5 * ppmm))
        ref = np.percentile(prof, 90)
        if ref <= 0.01:
            return None
        on = np.flatnonzero(prof > 0.4 * ref)
        if len(on) == 0:
            return None
        out.append((int(on[0]), int(on[-1]) + 1))
    (x0, x1), (y0, y1) = out
    if (x1 - x0) < 0.3 * w or (y1 - y0) < 0.15 * h:
        return None
    return x0, y0, x1, y1


def find_rows(ink: np.ndarray, box: tuple[int, int, int, int], ppmm: float, min_sep_mm: float = 7.0) -> list[Row]:
    """Find rows of traces as peaks of the horizontal ink projection (a trace spends most of its
    time near its baseline, so each row's baseline is a sharp maximum).

    Returns rows sorted top to bottom with their vertical search windows (half-way to the
    neighbouring baselines, extended to the neighbours' baselines for tall waves).
    """
    x0, y0, x1, y1 = box
    h = ink.shape[0]
    m = int(3 * ppmm)
    ya, yb = max(0, y0 - m), min(h, y1 + m)
    prof = ink[ya:yb, x0:x1].sum(axis=1).astype(np.float64)
    prof = gaussian_filter1d(prof, max(1.0, 0.5 * ppmm))
    if prof.max() <= 0:
        return []
    peaks, props = find_peaks(prof, distance=max(2, int(min_sep_mm * ppmm)), height=0.22 * prof.max(),
                              prominence=0.12 * prof.max())
    peaks = _complete_rows(prof, list(peaks))
    return set_windows([float(p + ya) for p in peaks], ya, yb, h, ppmm)


def _complete_rows(prof: np.ndarray, peaks: list) -> list:
    """Rows of a page are evenly spaced: where the gap between two found rows is about k times
    the usual one, the k - 1 rows between (whose baseline did not stand out, e.g. a wandering
    or tall trace among closely packed rows) are added at the projection maximum near where
    they should be, when there is trace ink there."""
    if len(peaks) < 3:
        return peaks
    peaks = sorted(int(p) for p in peaks)
    g = float(np.median(np.diff(peaks)))
    ref = float(np.median(prof[peaks]))
    out = [peaks[0]]
    for a, b in zip(peaks[:-1], peaks[1:]):
        k = int(round((b - a) / g))
        if k >= 2 and abs((b - a) / k - g) < 0.2 * g:
            step = (b - a) / k
            for j in range(1, k):
                c = a + j * step
                y = int(round(c))  # its baseline did not stand out: where the spacing puts it
                if prof[max(0, y - int(0.1 * step)):y + int(0.1 * step) + 1].max() > 0.3 * ref:
                    out.append(y)
        out.append(b)
    return out


def set_windows(base: list[float], ya: float, yb: float, h: int, ppmm: float) -> list[Row]:
    """Rows for the given baselines, each searched from the baseline above to the one below."""
    rows: list[Row] = []
    for i, b in enumerate(base):
        prev_b = base[i - 1] if i > 0 else max(0.0, ya - 10 * ppmm)
        next_b = base[i + 1] if i + 1 < len(base) else min(h - 1.0, yb + 10 * ppmm)
        rows.append(Row(baseline=b, y_lo=int(max(0, prev_b + 1)), y_hi=int(min(h, next_b))))
    return rows


def column_runs(sub: np.ndarray):
    """Vertical ink runs of every column of ``sub`` (uint8 ``(h, w)``).

    Returns ``(col, start, end)`` int arrays (end exclusive), sorted by column then start.
    """
    t = np.ascontiguousarray(sub.T)  # (w, h)
    pad = np.zeros((t.shape[0], t.shape[1] + 2), np.int8)
    pad[:, 1:-1] = t
    d = np.diff(pad, axis=1)
    sc, sr = np.nonzero(d == 1)
    ec, er = np.nonzero(d == -1)
    return sc, sr, er


def row_extent(ink: np.ndarray, row: Row, x_lo: int, x_hi: int, ppmm: float) -> tuple[float, float]:
    """Leftmost and rightmost column of the continuous trace of a row (gaps < 2 mm bridged),
    looking at the core of the row's window; the calibration pulse, separated by a gap, is
    left out when it is."""
    half = 0.35 * (row.y_hi - row.y_lo)
    ya, yb = int(max(row.y_lo, row.baseline - half)), int(min(row.y_hi, row.baseline + half))
    occ = ink[ya:yb, x_lo:x_hi].any(axis=0)
    idx = np.flatnonzero(occ)
    if len(idx) == 0:
        return float("nan"), float("nan")
    gaps = np.diff(idx)
    brk = np.flatnonzero(gaps > 2.0 * ppmm)
    # segments of continuous ink; short ones (the calibration pulse, a label, a mark) are left
    # out, long ones separated by a short break (a crease, a shadow edge, a faint stretch) are
    # joined; the longest group is the trace
    starts = np.concatenate([[idx[0]], idx[brk + 1]])
    ends = np.concatenate([idx[brk], [idx[-1]]])
    long_ = (ends - starts) >= 8.0 * ppmm
    if not long_.any():
        k = int(np.argmax(ends - starts))
        return float(starts[k] + x_lo), float(ends[k] + x_lo)
    s_, e_ = starts[long_], ends[long_]
    groups = [[s_[0], e_[0]]]
    for a, b in zip(s_[1:], e_[1:]):
        if a - groups[-1][1] <= 20.0 * ppmm:
            groups[-1][1] = b
        else:
            groups.append([a, b])
    g = max(groups, key=lambda ab: ab[1] - ab[0])
    return float(g[0] + x_lo), float(g[1] + x_lo)


def follow_trace(ink: np.ndarray, row: Row, x_a: int, x_b: int, ppmm: float,
                 w_base: float = 0.03, max_runs: int = 8,
                 merge_gap: float | None = None) -> Row:
    """Follow the row's trace from column ``x_a`` to ``x_b`` (inclusive) by dynamic programming.

    Candidates in each column are its vertical ink runs inside the row window; the path cost is
    the vertical gap between consecutive chosen runs (mm) plus ``w_base`` per mm of distance from
    the row baseline. Columns with no ink are skipped (left NaN).
    """
    h, w = ink.shape
    if merge_gap is None:
        merge_gap = max(2.0, 0.35 * ppmm)
    x_a, x_b = max(0, int(x_a)), min(w - 1, int(x_b))
    sub = ink[row.y_lo:row.y_hi, x_a:x_b + 1]
    n_cols = sub.shape[1]
    sc, sr, er = column_runs(sub)
    top = np.full(n_cols, np.nan)
    bot = np.full(n_cols, np.nan)
    amb = np.zeros(n_cols, bool)
    clip = np.zeros(n_cols, bool)
    row.cols = np.arange(x_a, x_b + 1)
    if len(sc) == 0:
        row.top, row.bot, row.ambiguous, row.clipped = top, bot, amb, clip
        return row
    bounds = np.searchsorted(sc, np.arange(n_cols + 1))
    base = row.baseline - row.y_lo
    win_h = sub.shape[0]
    # states per column: real runs, plus "carried" states that skip a column where the trace
    # left no ink (faint or broken line) instead of jumping onto a neighbour's ink and back
    skip_cost = 0.6          # per skipped column, in the unit of the gap cost (mm)
    max_skip = max(3, int(2.5 * ppmm))
    max_states = 14
    hist: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    prev = None  # (s, e, cost, age)
    c_first = 0
    for c in range(n_cols):
        a, b = bounds[c], bounds[c + 1]
        if a == b:
            s = e = np.zeros(0)
        else:
            s = sr[a:b].astype(np.float64)
            e = er[a:b].astype(np.float64)
        if len(s) > 1:  # one stroke split by anti-aliasing or a crossing grid line: merge
            keep_s = np.concatenate([[True], s[1:] - e[:-1] > merge_gap])
            s = s[keep_s]
            e = np.maximum.reduceat(e, np.flatnonzero(keep_s))
        if len(s) > max_runs:  # keep the runs nearest to the baseline
            mid = (s + e) / 2
            keep = np.sort(np.argsort(np.abs(mid - base))[:max_runs])
            s, e = s[keep], e[keep]
        if prev is None:
            if len(s) == 0:
                continue
            c_first = c if not hist else c_first
            cost = w_base * np.abs((s + e) / 2 - base) / ppmm
            st = (s, e, cost, np.zeros(len(s)))
            hist.append((c, s, e, np.full(len(s), -2), np.zeros(len(s), bool), cost))
            prev = st
            continue
        ps, pe, pc, page = prev
        if len(s):
            unary = w_base * np.abs((s + e) / 2 - base) / ppmm
            gap = np.maximum(0.0, np.maximum(s[:, None] - pe[None, :], ps[None, :] - e[:, None]))
            tot = pc[None, :] + gap / ppmm
            bk = np.argmin(tot, axis=1)
            rc = tot[np.arange(len(s)), bk]
            # or start afresh here, as if every column so far had been skipped
            fresh = (c - c_first) * skip_cost
            bk = np.where(fresh < rc, -1, bk)
            rc = np.minimum(rc, fresh) + unary
        else:
            bk = np.zeros(0, int)
            rc = np.zeros(0)
        carry = np.flatnonzero(page < max_skip)
        ns = np.concatenate([s, ps[carry]])
        ne = np.concatenate([e, pe[carry]])
        nc = np.concatenate([rc, pc[carry] + skip_cost])
        nb = np.concatenate([bk, carry])
        nv = np.concatenate([np.zeros(len(s), bool), np.ones(len(carry), bool)])
        na = np.concatenate([np.zeros(len(s)), page[carry] + 1])
        if len(ns) == 0:
            prev = None
            continue
        if len(ns) > 1:  # identical runs carried along several paths: keep the cheapest
            order = np.argsort(nc, kind="stable")
            _, first = np.unique((ns[order] * 100003 + ne[order]), return_index=True)
            keep = np.sort(order[first])
            ns, ne, nc, nb, nv, na = ns[keep], ne[keep], nc[keep], nb[keep], nv[keep], na[keep]
        if len(ns) > max_states:
            keep = np.sort(np.argsort(nc)[:max_states])
            ns, ne, nc, nb, nv, na = ns[keep], ne[keep], nc[keep], nb[keep], nv[keep], na[keep]
        hist.append((c, ns, ne, nb, nv, nc))
        prev = (ns, ne, nc, na)
    # backtrack (a break in the chain, where no state survived, restarts the path)
    j = None
    for k in range(len(hist) - 1, -1, -1):
        c, s, e, bk, virt, cost = hist[k]
        if j is None or j == -2:  # end, or a break in the chain: restart from the cheapest state
            j = int(np.argmin(cost))
        elif j == -1:  # the path started in the column after this one; nothing to follow here
            continue
        if not virt[j]:
            top[c], bot[c] = s[j], e[j] - 1
            real = ~virt
            if real.sum() > 1:
                others = np.flatnonzero(real & (np.arange(len(s)) != j))
                dist = np.maximum(0, np.maximum(s[others] - e[j], s[j] - e[others]))
                amb[c] = bool((dist < 1.5 * ppmm).any())
            clip[c] = s[j] <= 0 or e[j] >= win_h
        j = int(bk[j])
    # one column may hold several runs of the same stroke (the up and down strokes of a narrow
    # peak leave a gap between them): add every run of the column that overlaps the span of the
    # chosen runs on either side
    t0, b0 = top.copy(), bot.copy()
    for c in range(n_cols):
        a, b = bounds[c], bounds[c + 1]
        if b - a < 2 or not np.isfinite(t0[c]):
            continue
        nb_t = [t0[j] for j in (c - 1, c + 1) if 0 <= j < n_cols and np.isfinite(t0[j])]
        nb_b = [b0[j] for j in (c - 1, c + 1) if 0 <= j < n_cols and np.isfinite(b0[j])]
        if not nb_t:
            continue
        lo, hi = min(nb_t + [t0[c]]) - 1, max(nb_b + [b0[c]]) + 1
        near = 2.0 * ppmm  # fragments of the same stroke lie close to the chosen run
        for s_, e_ in zip(sr[a:b], er[a:b]):
            if e_ - 1 >= lo and s_ <= hi and s_ <= b0[c] + near and e_ - 1 >= t0[c] - near:
                top[c] = min(top[c], s_)
                bot[c] = max(bot[c], e_ - 1)
    # a chosen run far from both its neighbours is a jump onto other ink (a neighbour's tall wave,
    # a label): drop it
    okc = np.flatnonzero(np.isfinite(top))
    if len(okc) > 2:
        t, b_ = top[okc], bot[okc]
        g = np.maximum(0, np.maximum(t[1:] - b_[:-1], t[:-1] - b_[1:]))
        far = 1.5 * ppmm
        gp = np.concatenate([[np.inf], g])
        gn = np.concatenate([g, [np.inf]])
        lone = (gp > far) & (gn > far)
        top[okc[lone]] = np.nan
        bot[okc[lone]] = np.nan
    row.top = top + row.y_lo
    row.bot = bot + row.y_lo
    row.ambiguous, row.clipped = amb, clip
    return row


def trace_thickness(row: Row) -> float:
    """Typical vertical run length (px) of the followed trace in flat stretches."""
    ln = row.bot - row.top + 1
    ln = ln[np.isfinite(ln)]
    if len(ln) == 0:
        return 1.0
    return float(np.percentile(ln, 25))


def columns_to_curve(row: Row, thick: float, dark: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Centre line of the followed trace as points ``(x, y)`` in px, sorted by x.

    A thick line is read two ways: where it runs flat, the centre of each column's vertical ink
    run is the centre line; where it runs steeply, the centre of each pixel row's horizontal run
    is (a column then holds several points, one per height, at their own x). Points at the tip
    of a peak or trough are moved half a line width inwards (the ink extends that far beyond
    the centre line). ``thick`` is the vertical thickness of a flat line (px).

    With ``dark`` (the page's darkness map, 0..1, same frame as the ink mask) centres are
    darkness-weighted over the run and one pixel either side, which gives sub-pixel positions
    (anti-aliased or blurred line edges carry where the line really is).
    """
    x = row.cols.astype(np.float64)
    ok = np.isfinite(row.top)
    if not ok.any():
        return np.zeros(0), np.zeros(0)
    y0 = int(np.nanmin(row.top))
    y1 = int(np.nanmax(row.bot)) + 1
    n = len(x)
    hwin = y1 - y0
    # mask of the followed trace (chosen runs only)
    M = np.zeros((hwin, n), bool)
    ci = np.flatnonzero(ok)
    tops = (row.top[ok] - y0).astype(int)
    bots = (row.bot[ok] - y0).astype(int)
    lens = bots - tops + 1
    rr = np.repeat(tops, lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
    cc = np.repeat(ci, lens)
    M[rr, cc] = True
    # horizontal runs of the mask: centre (in column units) for every pixel
    pad = np.zeros((hwin, n + 2), np.int8)
    pad[:, 1:-1] = M
    d = np.diff(pad, axis=1)
    sr, sc = np.nonzero(d == 1)
    er, ec = np.nonzero(d == -1)
    hl = ec - sc
    centre_h = np.zeros((hwin, n))
    width_h = np.zeros((hwin, n))
    fr = np.repeat(sr, hl)
    fc = np.repeat(sc, hl) + (np.arange(hl.sum()) - np.repeat(np.cumsum(hl) - hl, hl))
    cen = (sc + ec - 1) / 2.0
    if dark is not None:
        # darkness-weighted horizontal centre over [start - 1, end] of each run
        x_lo = int(x[0]) - 1
        Dw = np.zeros((hwin, n + 2))
        xa, xb = max(0, x_lo), min(dark.shape[1], x_lo + n + 2)
        Dw[:, xa - x_lo:xb - x_lo] = dark[y0:y1, xa:xb]
        P = np.concatenate([np.zeros((hwin, 1)), np.cumsum(Dw, axis=1)], axis=1)
        PX = np.concatenate([np.zeros((hwin, 1)), np.cumsum(Dw * np.arange(-1, n + 1)[None, :], axis=1)], axis=1)
        # mask columns j map to Dw columns j + 1; run [sc, ec) widened by one -> Dw [sc, ec + 2)
        wsum = P[sr, ec + 2] - P[sr, sc]
        xsum = PX[sr, ec + 2] - PX[sr, sc]
        good = wsum > 1e-6
        cen = np.where(good, xsum / np.maximum(wsum, 1e-9), cen)
        cen = np.clip(cen, sc - 0.5, ec - 0.5)
    centre_h[fr, fc] = np.repeat(cen, hl)
    width_h[fr, fc] = np.repeat(hl, hl)
    r = max(0.0, (thick - 1) / 2)
    cols = np.arange(n)
    # steep points: pixels whose horizontal run is about one line wide (a steep stroke) and
    # centred in this column
    own = M & (np.abs(centre_h - cols[None, :]) <= 0.5) & (width_h <= 1.3 * thick + 0.5)
    oy, ox = np.nonzero(own)
    has_steep = np.zeros(n, bool)
    has_steep[ox] = True
    top = np.where(ok, row.top, np.inf)
    bot = np.where(ok, row.bot, -np.inf)
    tp = np.concatenate([[np.inf], top[:-1]])
    tn = np.concatenate([top[1:], [np.inf]])
    bp = np.concatenate([[-np.inf], bot[:-1]])
    bn = np.concatenate([bot[1:], [-np.inf]])
    vlen = np.where(ok, bot - top + 1, 0)
    flat = ok & (vlen <= thick + 1)
    up = ok & (top <= tp) & (top <= tn) & ~flat
    dn = ok & (bot >= bp) & (bot >= bn) & ~flat
    # a spike narrower than the line: its up and down strokes share the same columns, so the
    # steep points of those columns stack at one x in no usable order. Next to a tip, keep the tip
    # and let the neighbours' points carry the strokes.
    tipcol = up | dn
    near_tip = tipcol | np.concatenate([[False], tipcol[:-1]]) | np.concatenate([tipcol[1:], [False]])
    if len(ox):
        ys_min = np.full(n, np.inf)
        ys_max = np.full(n, -np.inf)
        np.minimum.at(ys_min, ox, oy)
        np.maximum.at(ys_max, ox, oy)
        stack = near_tip & ((ys_max - ys_min) > 3 * thick)
        drop = stack[ox]
        oy, ox = oy[~drop], ox[~drop]
    centre_v = (row.top + row.bot) / 2
    if dark is not None:
        # darkness-weighted vertical centre over [top - 1, bot + 1] of each chosen run
        cx = (x[ok]).astype(int)
        ty = row.top[ok].astype(int)
        by = row.bot[ok].astype(int)
        span = 2 + by - ty + 1
        maxs = int(span.max())
        offs = np.arange(maxs)[None, :]
        yy = ty[:, None] - 1 + offs
        valid = (offs < span[:, None]) & (yy >= 0) & (yy < dark.shape[0])
        yy = np.clip(yy, 0, dark.shape[0] - 1)
        wv = np.where(valid, dark[yy, np.clip(cx, 0, dark.shape[1] - 1)[:, None]], 0.0)
        ws = wv.sum(1)
        cv = np.where(ws > 1e-6, (wv * yy).sum(1) / np.maximum(ws, 1e-9), centre_v[ok])
        centre_v = centre_v.copy()
        centre_v[ok] = np.clip(cv, row.top[ok] - 0.5, row.bot[ok] + 0.5)
    # a spike narrower than about two line widths: below its tip the up and down strokes merge
    # into one horizontal run. The run's darkness is the union of two strokes of one line's
    # cross-section each, so the rising stroke's centre is where the run's cumulative darkness
    # from the left reaches half a cross-section, the falling stroke's where the remainder does.
    sx, sy, tip_u, tip_d = _split_merged_strokes(M, sr, sc, ec, row.top - y0, row.bot - y0, ok, up, dn, x[0], y0, dark,
                                   thick)
    if len(sx):
        scol = np.clip(np.round(sx - x[0]).astype(int), 0, n - 1)
        has_steep[scol] = True
    use_v = ok & ~has_steep & ~up & ~dn
    pts_x = [x[0] + centre_h[oy, ox], x[use_v], sx]
    pts_y = [oy.astype(np.float64) + y0, centre_v[use_v], sy]
    # tips of peaks and troughs: half a line width inside the extreme, at the centre of the
    # extreme pixel row's run
    cu = np.flatnonzero(up)
    cd = np.flatnonzero(dn)
    tu = (row.top[cu] - y0).astype(int)
    td = (row.bot[cd] - y0).astype(int)
    pts_x += [x[0] + centre_h[tu, cu], x[0] + centre_h[td, cd]]
    yu = np.where(np.isfinite(tip_u[cu]), tip_u[cu], row.top[cu] + r)
    yd = np.where(np.isfinite(tip_d[cd]), tip_d[cd], row.bot[cd] - r)
    pts_y += [np.minimum(yu, centre_v[cu]), np.maximum(yd, centre_v[cd])]
    px = np.concatenate(pts_x)
    py = np.concatenate(pts_y)
    # steep points beyond a tip (inside the cap of the peak) are dropped
    col = np.clip(np.round(px - x[0]).astype(int), 0, n - 1)
    lo = np.where(up[col], top[col] + r, -np.inf)
    hi = np.where(dn[col], bot[col] - r, np.inf)
    py = np.clip(py, lo, hi)
    order = np.argsort(px, kind="stable")
    return px[order], py[order]


def _cum_quantile(W: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per row of ``W`` (``(k, L)``, darkness profiles, each pixel a uniform box one pixel
    wide): the position where the cumulative darkness reaches ``q`` (``(k,)``), in pixels from
    the centre of the row's first pixel."""
    cum = np.cumsum(W, axis=1)
    j = np.minimum((cum < q[:, None]).sum(1), W.shape[1] - 1)
    rows_ = np.arange(len(q))
    before = np.where(j > 0, cum[rows_, np.maximum(j - 1, 0)], 0.0)
    wj = W[rows_, j]
    frac = np.where(wj > 0, (q - before) / np.maximum(wj, 1e-12), 0.5)
    return j - 0.5 + np.clip(frac, 0.0, 1.0)


def _split_merged_strokes(M, sr, sc, ec, top, bot, ok, up, dn, x0: float, y0: int, dark, thick: float):
    """Points ``(x, y)`` (px) of the two strokes of a spike that share horizontal runs below
    (above, for a trough) its tip. See :func:`columns_to_curve`.

    ``M`` is the trace mask of the window (rows from ``y0``, columns from ``x0``); ``sr, sc, ec``
    its horizontal runs (row, first column, end column exclusive); ``top``/``bot`` the chosen
    vertical run per column in window rows. Without ``dark`` the mask itself is the darkness.
    """
    hwin, n = M.shape
    if not (up.any() or dn.any()) or len(sr) == 0:
        return np.zeros(0), np.zeros(0), np.full(n, np.nan), np.full(n, np.nan)
    xi = int(round(x0))
    if dark is not None:
        D = np.zeros((hwin, n + 2))
        xa, xb = max(0, xi - 1), min(dark.shape[1], xi + n + 1)
        D[:, xa - (xi - 1):xb - (xi - 1)] = dark[y0:y0 + hwin, xa:xb]
        D = np.minimum(D / max(float(np.percentile(D[M.nonzero()[0], M.nonzero()[1] + 1], 90)), 1e-6), 1.0)
    else:
        D = np.zeros((hwin, n + 2))
        D[:, 1:-1] = M
    # one line's cross-section (darkness summed across it) from the rows where a single steep
    # stroke crosses: narrow horizontal runs in columns where the trace runs far vertically (a
    # flat line's vertical cross-section is thicker: the wiggles of the signal widen it)
    vlen = np.where(ok, bot - top + 1, 0)
    hl = ec - sc
    mid = np.clip((sc + ec - 1) // 2, 0, n - 1)
    single = (hl <= 1.5 * thick) & (vlen[mid] > 3 * thick)
    if single.sum() < 10:
        return np.zeros(0), np.zeros(0), np.full(n, np.nan), np.full(n, np.nan)
    cs = np.concatenate([np.zeros((hwin, 1)), np.cumsum(D, axis=1)], axis=1)
    # run [sc, ec) widened by one pixel either side is D columns [sc, ec + 2)
    masses = cs[sr[single], ec[single] + 2] - cs[sr[single], sc[single]]
    t_mass = float(np.median(masses))
    if t_mass <= 0:
        return np.zeros(0), np.zeros(0), np.full(n, np.nan), np.full(n, np.nan)
    # tips: the centre line's extreme lies half a cross-section inside the ink's extreme
    tip_up = np.full(n, np.nan)
    tip_dn = np.full(n, np.nan)
    L = int(3 * thick) + 2
    kk = np.arange(L)[None, :]
    for mask_, out_, sgn in ((up, tip_up, 1), (dn, tip_dn, -1)):
        cols_ = np.flatnonzero(mask_)
        if len(cols_) == 0:
            continue
        t_, b_ = top[cols_].astype(np.int64), bot[cols_].astype(np.int64)
        span = b_ - t_ + 3
        if sgn > 0:
            yy = t_[:, None] - 1 + kk
        else:
            yy = b_[:, None] + 1 - kk
        valid = (kk < span[:, None]) & (yy >= 0) & (yy < hwin)
        Wt = np.where(valid, D[np.clip(yy, 0, hwin - 1), cols_[:, None] + 1], 0.0)
        qq = _cum_quantile(Wt, np.minimum(np.full(len(cols_), 0.5 * t_mass), 0.5 * Wt.sum(1)))
        out_[cols_] = y0 + (t_ - 1 + qq if sgn > 0 else b_ + 1 - qq)
    run_id = np.full((hwin, n), -1, np.int64)
    fr = np.repeat(sr, hl)
    fc = np.repeat(sc, hl) + (np.arange(hl.sum()) - np.repeat(np.cumsum(hl) - hl, hl))
    run_id[fr, fc] = np.repeat(np.arange(len(sr)), hl)
    tips = np.flatnonzero(up | dn)
    t0 = top[tips].astype(np.int64)
    ln = bot[tips].astype(np.int64) - t0 + 1
    rr = np.repeat(t0, ln) + (np.arange(ln.sum()) - np.repeat(np.cumsum(ln) - ln, ln))
    rid = run_id[rr, np.repeat(tips, ln)]
    ids = np.unique(rid[rid >= 0])
    if len(ids) == 0:
        return np.zeros(0), np.zeros(0), tip_up, tip_dn
    r, a = sr[ids], sc[ids]
    wl = ec[ids] - a + 2  # the run widened by one pixel either side (D is offset by one column)
    k = np.arange(int(wl.max()))[None, :]
    W = np.where(k < wl[:, None], D[r[:, None], np.minimum(a[:, None] + k, n + 1)], 0.0)
    m = W.sum(1)
    keep = (m >= 1.25 * t_mass) & (m <= 3.0 * t_mass)
    if not keep.any():
        return np.zeros(0), np.zeros(0), tip_up, tip_dn
    W, m, r, a = W[keep], m[keep], r[keep], a[keep]
    half = 0.5 * t_mass
    xl = _cum_quantile(W, np.full(len(m), half))
    xr = _cum_quantile(W, m - half)
    # D column a is the pixel left of the run, i.e. window column a - 1
    out_x = np.concatenate([x0 + a - 1 + xl, x0 + a - 1 + xr])
    out_y = np.concatenate([r + y0, r + y0]).astype(float)
    return out_x, out_y, tip_up, tip_dn


def resample(px: np.ndarray, py: np.ndarray, x_of_t: np.ndarray, max_gap_px: float) -> np.ndarray:
    """Linear interpolation of the polyline at the columns ``x_of_t``; NaN across gaps wider than
    ``max_gap_px`` and outside the polyline."""
    if len(px) < 2:
        return np.full(len(x_of_t), np.nan)
    order = np.argsort(px, kind="stable")
    px, py = px[order], py[order]
    y = np.interp(x_of_t, px, py, left=np.nan, right=np.nan)
    # mark gaps
    k = np.searchsorted(px, x_of_t)
    k = np.clip(k, 1, len(px) - 1)
    gap = px[k] - px[k - 1]
    y[gap > max_gap_px] = np.nan
    y[(x_of_t < px[0] - 0.5) | (x_of_t > px[-1] + 0.5)] = np.nan
    return y


def find_pulse(ink: np.ndarray, row: Row, x_signal_start: float, ppmm_x: float, ppmm_y: float,
               speed_mm_s: float) -> dict | None:
    """Look for the rectangular 1 mV calibration pulse left of the signal.

    Returns ``{"height_px", "line_px", "height_mm", "width_mm", "x0", "x1", "base_y", "top_y"}``
    or None (``height_px`` is the ink's height, ``line_px`` the line's vertical width). The pulse is the
    tallest ink blob in the 25 mm left of the signal with a flat top at least 60 % of its width.
    """
    x1 = int(x_signal_start - 0.5 * ppmm_x)
    x0 = int(max(0, x_signal_start - 25 * ppmm_x))
    if x1 - x0 < 3 * ppmm_x:
        return None
    sub = ink[row.y_lo:row.y_hi, x0:x1]
    if sub.sum() == 0:
        return None
    n, lab, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    best = None
    for i in range(1, n):
        x, y, w, hh, area = stats[i]
        h_mm, w_mm = hh / ppmm_y, w / ppmm_x
        if not (2.5 <= h_mm <= 25 and 2.0 <= w_mm <= 15):
            continue
        comp = lab[:, x:x + w] == i
        tops = np.argmax(comp, axis=0)
        flat = np.mean(np.abs(tops - y) <= max(1.5, 0.3 * ppmm_y))
        if flat < 0.35:
            continue
        base = y + hh - 1 + row.y_lo
        # line width: the ink's vertical extent in the middle of the flat top
        mid = comp[:, w // 3: max(w // 3 + 1, 2 * w // 3)]
        line_px = float(np.median(mid.sum(axis=0))) if mid.size else 1.0
        if best is None or hh > best["height_px"]:
            best = {"height_px": int(hh), "line_px": line_px, "height_mm": float((hh - 1) / ppmm_y), "width_mm": float(w_mm),
                    "x0": int(x + x0), "x1": int(x + w + x0), "base_y": float(base), "top_y": float(y + row.y_lo)}
    return best
