"""Digitization benchmark: render real records as paper ECGs, digitize them back, score.

Groups (issue 4):

1. clean renders at 200 dpi (3x4+1, grid colours cycling red, pink, orange, green, grey, black);
2. renders with rotation (up to 10 degrees) and perspective warp;
3. photo-like renders (all degradations: rotation, perspective, blur, noise, JPEG, shadow,
   crease, stain, handwriting);
4. the five real phone photos ``ecg00026``-``ecg00030`` of ECG-Image-Kit (no ground truth:
   whether a signal came out, its heart rate, the quality flags; and a self-consistency proxy,
   :func:`ecg.digitize.ink_consistency`: the share of the trace's ink the followed path leaves
   out and the path's vertical reach over the ink's, which drop when QRS spikes are missed);
5. round trip on the clean renders: ``ecg.measure`` of the digitized signal against
   ``ecg.measure`` of the source signal (HR, PR, QRS, QT, QRS axis).

Score: SNR in dB per lead as in the PhysioNet/CinC Challenge 2024 with the intended alignment
(:mod:`ecg.snr`), over the samples printed for the lead; a lead the digitizer missed scores as
all-zero output. Records: PTB-XL (``../shared/data/ptbxl``) and LUDB (``../shared/data/ludb``),
taken in a fixed order (every k-th record) so the subset is the same from run to run.

6. input variants, a few clean pages each: layouts 3x4+3, 6x2, 12x1, single rhythm strip; no grid
   (scale from the calibration pulse); 50 mm/s; 5 and 20 mm/mV; 100, 300 and 600 dpi; a PDF page.

Run: ``python -m bench.digitization [--n 24] [--groups clean,rotpersp,photo,real,roundtrip,variants]``.
Results are printed and written to ``bench/out/digitization.json``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ._common import DATA, save_results

PHOTOS = [f"ecg000{i}.jpg" for i in range(26, 31)]
GRID_COLOURS = ["red", "pink", "orange", "green", "grey", "black"]
PHOTO_COLOURS = ["red", "pink", "orange", "green", "grey"]


def record_paths(n: int) -> list[Path]:
    """``n`` records: three quarters PTB-XL, one quarter LUDB, evenly spread over each set."""
    ptb = sorted((DATA / "ptbxl" / "records500").rglob("*_hr.hea"))
    ludb = sorted((DATA / "ludb" / "data").glob("*.hea"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0)
    n_l = n // 4 if ludb else 0
    n_p = n - n_l
    pick = lambda lst, k: [lst[int(i)] for i in np.linspace(0, len(lst) - 1, k)] if k and lst else []
    return [p.with_suffix("") for p in pick(ptb, n_p) + pick(ludb, n_l)]


def _lead_snrs(src, rp, dig, named: bool = False) -> list:
    """SNR (dB) of every printed lead; with ``named`` a list of ``(lead, snr)``."""
    from ecg.snr import snr_db

    out = []
    for lead in dig.leads:
        if not src.has_lead(lead):
            continue
        mask = rp.printed_mask(lead, src.n_samples, src.fs)
        if not mask.any():
            continue
        ref = np.where(mask, src.lead(lead), np.nan).astype(np.float64)
        est = np.full(src.n_samples, np.nan)
        d = dig.lead(lead).astype(np.float64)
        k = min(len(d), len(est))
        est[:k] = d[:k]
        v = float(snr_db(ref, est, fs=src.fs))
        out.append((lead, v) if named else v)
    return out


def _quality_vs_snr(pairs: list[tuple[float, float]], threshold: float = 0.8) -> dict:
    """How well the per-lead quality tracks the SNR: Spearman correlation, and the share of
    leads below the quality threshold among leads under 10 dB and at or over 15 dB."""
    from scipy.stats import spearmanr

    if len(pairs) < 3:
        return {}
    q, v = np.array(pairs, float).T
    low = q < threshold
    share = lambda m: float(low[m].mean()) if m.any() else float("nan")
    return {"spearman": float(spearmanr(q, v)[0]), "low_quality_share_snr_below_10db": share(v < 10),
            "low_quality_share_snr_15db_up": share(v >= 15), "n": int(len(q))}


def run_group(name: str, paths: list[Path], degradations, results: dict, keep_digitized: dict | None = None) -> dict:
    import ecg
    from ecg.digitize import digitize
    from ecg.errors import DigitizationError
    from ecg.render import render_paper

    snrs, times, fails = [], [], []
    per_record = []
    q_snr = []  # (lead quality, SNR) per lead
    for k, p in enumerate(paths):
        src = ecg.load(p)
        if src.fs != 500:
            continue
        colours = PHOTO_COLOURS if degradations else GRID_COLOURS
        rp = render_paper(src, layout="3x4+1", dpi=200, grid_color=colours[k % len(colours)],
                          degradations=degradations, seed=1000 + k)
        t0 = time.perf_counter()
        try:
            dig = digitize(rp.image)
        except DigitizationError as exc:
            fails.append(f"{p.name}: {exc}")
            snrs.extend([-0.0] * 12)  # a failed page scores 0 dB per lead (no signal)
            per_record.append({"record": p.name, "error": str(exc)})
            continue
        times.append(time.perf_counter() - t0)
        named = _lead_snrs(src, rp, dig, named=True)
        s = [v for _, v in named]
        snrs.extend(s)
        q_snr.extend((dig.meta["digitization"]["lead_quality"][lead], v) for lead, v in named)
        per_record.append({"record": p.name, "grid": rp.meta["grid_color"], "median_snr_db": float(np.median(s)),
                           "layout": dig.meta["digitization"]["layout"], "time_s": times[-1]})
        if keep_digitized is not None:
            keep_digitized[p.name] = (src, dig, _printed_only(src, rp))
    a = np.array(snrs, float)
    g = {
        "pages": len(paths), "failed_pages": len(fails), "leads": int(a.size),
        "median_snr_db": float(np.median(a)) if a.size else float("nan"),
        "mean_snr_db": float(np.mean(a)) if a.size else float("nan"),
        "p10_snr_db": float(np.percentile(a, 10)) if a.size else float("nan"),
        "frac_leads_below_0db": float(np.mean(a < 0)) if a.size else float("nan"),
        "time_s_median": float(np.median(times)) if times else float("nan"),
        "time_s_max": float(np.max(times)) if times else float("nan"),
        "failures": fails, "records": per_record, "quality_vs_snr": _quality_vs_snr(q_snr),
    }
    results[name] = g
    print(f"{name:<24} pages {g['pages']:>3}  failed {g['failed_pages']:>2}  leads {g['leads']:>4}  "
          f"median SNR {g['median_snr_db']:6.2f} dB  mean {g['mean_snr_db']:6.2f}  p10 {g['p10_snr_db']:6.2f}  "
          f"leads < 0 dB {100 * g['frac_leads_below_0db']:5.1f} %  time/page median {g['time_s_median']:.2f} s, "
          f"max {g['time_s_max']:.2f} s", flush=True)
    qs = g["quality_vs_snr"]
    if qs:
        print(f"{'':<24} lead quality vs SNR: Spearman {qs['spearman']:.2f}; below the 0.8 threshold: "
              f"{100 * qs['low_quality_share_snr_below_10db']:.0f} % of leads < 10 dB, "
              f"{100 * qs['low_quality_share_snr_15db_up']:.0f} % of leads >= 15 dB", flush=True)
    return g


VARIANTS = [
    ("3x4+3", {"layout": "3x4+3"}), ("6x2", {"layout": "6x2"}), ("12x1", {"layout": "12x1"}),
    ("1x1 rhythm strip", {"layout": "1x1"}), ("no grid (pulse)", {"grid_color": "none"}),
    ("50 mm/s", {"speed_mm_s": 50}), ("5 mm/mV", {"gain_mm_mv": 5}), ("20 mm/mV", {"gain_mm_mv": 20}),
    ("100 dpi", {"dpi": 100}), ("300 dpi", {"dpi": 300}), ("600 dpi", {"dpi": 600}), ("PDF page", {"pdf": True}),
]


def _as_pdf(bgr: np.ndarray) -> bytes:
    """One-page PDF (A4 landscape) holding the image, written with pypdfium2."""
    import io

    import cv2
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument.new()
    w_pt, h_pt = 297 / 25.4 * 72, 210 / 25.4 * 72
    pg = pdf.new_page(w_pt, h_pt)
    obj = pdfium.PdfImage.new(pdf)
    obj.set_bitmap(pdfium.PdfBitmap.from_pil(Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
    obj.set_matrix(pdfium.PdfMatrix().scale(w_pt, h_pt))
    pg.insert_obj(obj)
    pg.gen_content()
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def run_variants(paths: list[Path], results: dict) -> None:
    """The issue's other inputs, a few clean pages each (first records of the benchmark set):
    layouts, no grid, 50 mm/s, 5 and 20 mm/mV, 100-600 dpi, a PDF page. Per variant: pages whose
    layout, speed and gain were read right, median SNR, leads < 0 dB, time per page."""
    import ecg
    from ecg.digitize import digitize
    from ecg.errors import DigitizationError
    from ecg.render import render_paper

    print(f"input variants (clean renders, {len(paths)} pages each, grid red unless stated)")
    print(f"  {'variant':<20}{'pages ok':>9}{'layout/speed/gain right':>25}{'median SNR':>12}{'leads < 0 dB':>14}{'s/page':>8}")
    out = {}
    srcs = [ecg.load(p) for p in paths]
    for name, kw in VARIANTS:
        kw = dict(kw)
        pdf = kw.pop("pdf", False)
        args = {"layout": "3x4+1", "dpi": 200, "grid_color": "red", **kw}
        snrs, times, right, ok = [], [], 0, 0
        for k, src in enumerate(srcs):
            rp = render_paper(src, seed=2000 + k, **args)
            img = _as_pdf(rp.image) if pdf else rp.image
            t0 = time.perf_counter()
            try:
                dig = digitize(img)
            except DigitizationError:
                snrs.extend([0.0] * 12)
                continue
            times.append(time.perf_counter() - t0)
            ok += 1
            d = dig.meta["digitization"]
            right += int(d["layout"] == args["layout"] and d["paper_speed_mm_s"] == rp.meta["speed_mm_s"]
                         and d["gain_mm_mv"] == rp.meta["gain_mm_mv"])
            snrs.extend(_lead_snrs(src, rp, dig))
        a = np.array(snrs, float)
        out[name] = {"pages": len(srcs), "digitized": ok, "read_right": right, "median_snr_db": float(np.median(a)),
                     "frac_leads_below_0db": float(np.mean(a < 0)), "time_s_median": float(np.median(times)) if times else None}
        print(f"  {name:<20}{ok:>5}/{len(srcs):<3}{right:>21}/{len(srcs):<3}{np.median(a):>9.2f} dB{100 * np.mean(a < 0):>12.1f} %"
              f"{np.median(times) if times else float('nan'):>8.2f}", flush=True)
    results["variants"] = out


def run_real(results: dict) -> None:
    from ecg.digitize import digitize
    from ecg.errors import DigitizationError

    rows = []
    print("real phone photos (ECG-Image-Kit ecg00026-30; no ground truth)")
    for f in PHOTOS:
        path = DATA / "images" / "ecg-image-kit" / f
        t0 = time.perf_counter()
        try:
            dig = digitize(path)
        except DigitizationError as exc:
            rows.append({"image": f, "signal": False, "error": str(exc)})
            print(f"  {f}: no signal - {exc}")
            continue
        dt = time.perf_counter() - t0
        d = dig.meta["digitization"]
        hr = None
        try:
            from ecg.measure import measure

            hr = measure(dig).to_dict().get("heart_rate_bpm")
        except Exception as exc:  # the measure engine reports its own limits
            hr = f"measure failed: {type(exc).__name__}: {exc}"
        q = d["lead_quality"]
        low = {k: v for k, v in q.items() if v < 0.8}
        meas = {}
        try:
            from ecg.measure import measure

            md = measure(dig).to_dict()
            meas = {k: md.get(k) for k in ("pr_ms", "qrs_ms", "qt_ms")}
            meas["axis_qrs_deg"] = (md.get("axis_deg") or {}).get("qrs")
            meas["findings"] = [f["code"] for f in md.get("findings", [])]
        except Exception:
            pass
        from ecg.digitize import ink_consistency

        ic = ink_consistency(path, dig)  # the same numbers as d["ink_consistency"], with medians
        rows.append({"image": f, "signal": True, "layout": d["layout"], "heart_rate_bpm": hr,
                     "px_per_mm": d["px_per_mm"], "rotation_deg": d["rotation_deg"],
                     "perspective_corrected": d["perspective_corrected"], "gain_mm_mv": d["gain_mm_mv"],
                     "gain_source": d["gain_source"], "median_quality": float(np.median(list(q.values()))),
                     "low_quality_leads": low, "warnings": d["warnings"], "time_s": dt, **meas,
                     "ink_uncovered_median": ic["uncovered_median"], "ink_reach_median": ic["reach_median"],
                     "ink_missed_cols_median": ic["missed_cols_median"], "ink_consistency": ic["leads"]})
        hr_s = f"{hr:.0f} bpm" if isinstance(hr, (int, float)) else str(hr)
        print(f"  {f}: signal, layout {d['layout']}, HR {hr_s}, {d['px_per_mm']:.2f} px/mm, rotation "
              f"{d['rotation_deg']:.1f} deg, gain {d['gain_mm_mv']:g} mm/mV ({d['gain_source']}), median lead "
              f"quality {np.median(list(q.values())):.2f}, low-quality leads: "
              f"{', '.join(f'{k} {v:.2f}' for k, v in low.items()) or 'none'}; {dt:.2f} s")
        print(f"      PR {meas.get('pr_ms')} ms, QRS {meas.get('qrs_ms')} ms, QT {meas.get('qt_ms')} ms, QRS axis "
              f"{meas.get('axis_qrs_deg')} deg, findings {' '.join(meas.get('findings', []))}")
        print(f"      ink self-consistency (median over leads): uncovered trace ink {ic['uncovered_median']:.3f}, "
              f"path/ink vertical reach {ic['reach_median']:.3f}, columns with ink > 1.5 mm beyond the path "
              f"{ic['missed_cols_median']:.3f}")
    results["real_photos"] = rows


ROUND_TRIP = [("heart_rate_bpm", 2.0, "bpm"), ("pr_ms", 10.0, "ms"), ("qrs_ms", 10.0, "ms"), ("qt_ms", 20.0, "ms"),
              ("axis_deg.qrs", 15.0, "deg")]


def _get(d: dict, key: str):
    v = d
    for part in key.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v


def _printed_only(src, rp):
    """``src`` with NaN outside the span the page printed for each lead (what a reader sees)."""
    from ecg.record import ECG

    sig = src.signal.copy()
    for i, lead in enumerate(src.leads):
        sig[i, ~rp.printed_mask(lead, src.n_samples, src.fs)] = np.nan
    return ECG(sig, src.fs, list(src.leads), dict(src.meta))


def _round_trip_table(title: str, pairs: list) -> dict:
    from ecg.measure import measure

    diffs = {k: [] for k, _, _ in ROUND_TRIP}
    missing = {k: 0 for k, _, _ in ROUND_TRIP}
    misses = {k: [] for k, _, _ in ROUND_TRIP}
    tols = {k: tol for k, tol, _ in ROUND_TRIP}
    for name, ref, dig in pairs:
        try:
            a = measure(ref).to_dict()
            b = measure(dig).to_dict()
        except Exception as exc:
            for k in missing:
                missing[k] += 1
                misses[k].append(f"{name}: measure failed ({type(exc).__name__})")
            continue
        for k, _, _ in ROUND_TRIP:
            va, vb = _get(a, k), _get(b, k)
            if va is None or vb is None:
                if va is not None:
                    missing[k] += 1
                    misses[k].append(f"{name}: no value (source {va:g})")
                continue
            dv = float(vb) - float(va)
            if k.startswith("axis"):
                dv = (dv + 180) % 360 - 180
            diffs[k].append(dv)
            if abs(dv) > tols[k]:
                conf = lambda m: (m.get("confidence") or {}).get(k.split(".")[0])
                misses[k].append(f"{name}: {vb:g} vs {va:g} (confidence {conf(b)} vs {conf(a)})")
    print(title)
    print(f"  {'measurement':<16}{'records':>8}{'no value':>10}{'median |diff|':>15}{'within tol':>12}  tolerance  (target: 90 %)")
    rt = {}
    for k, tol, unit in ROUND_TRIP:
        d = np.abs(np.array(diffs[k], float))
        n_all = len(d) + missing[k]
        within = float(np.sum(d <= tol) / n_all) if n_all else float("nan")
        rt[k] = {"n": int(len(d)), "missing": int(missing[k]), "median_abs_diff": float(np.median(d)) if len(d) else None,
                 "frac_within": within, "tolerance": tol, "misses": misses[k]}
        med = f"{np.median(d):.1f} {unit}" if len(d) else "-"
        print(f"  {k:<16}{len(d):>8}{missing[k]:>10}{med:>15}{100 * within:>11.0f} %  {tol:g} {unit}")
    for k, _, _ in ROUND_TRIP:
        if misses[k]:
            print(f"    {k} outside: " + "; ".join(misses[k]))
    return rt


def run_round_trip(pairs: dict, results: dict) -> None:
    """Two tables: against the whole source record (the issue's round trip: digitizer plus the
    loss of 7.5 s of each lead on a 3x4 page), and against the source cut to the printed spans
    (the digitizer alone)."""
    rt = _round_trip_table("round trip on clean renders: measure(digitized) - measure(source)",
                           [(name, src, dig) for name, (src, dig, _) in pairs.items()])
    rt_p = _round_trip_table("round trip on clean renders: measure(digitized) - measure(source cut to the printed spans)",
                             [(name, printed, dig) for name, (_, dig, printed) in pairs.items()])
    results["round_trip_printed_spans"] = rt_p
    results["round_trip"] = rt


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24, help="records per rendered group (default 24)")
    ap.add_argument("--groups", default="clean,rotpersp,photo,real,roundtrip,variants")
    ap.add_argument("--n-variant", type=int, default=3, help="pages per input variant (default 3)")
    args = ap.parse_args(argv)
    groups = set(args.groups.split(","))
    paths = record_paths(args.n)
    results: dict = {"n_records": len(paths)}
    print(f"Digitization benchmark: {len(paths)} records (PTB-XL + LUDB), 200 dpi, 25 mm/s, 10 mm/mV, 3x4+1; "
          "SNR as in PhysioNet/CinC Challenge 2024 (intended alignment)")
    print("targets: median SNR >= 19 dB clean, >= 15 dB rotation+perspective, >= 10 dB photo-like; "
          "leads < 0 dB: < 2 % clean, < 10 % photo-like; <= 3 s per page")
    # the OCR models load once per process (the app and the CLI keep the engine): time that load
    # on its own, so that it is not charged to the first page
    from ecg.digitize_ocr import engine

    t0 = time.perf_counter()
    engine()
    results["ocr_engine_load_s"] = time.perf_counter() - t0
    print(f"OCR engine load (once per process, not counted in the per-page times): {results['ocr_engine_load_s']:.2f} s")
    pairs: dict = {}
    if "clean" in groups or "roundtrip" in groups:
        run_group("clean 200 dpi", paths, None, results, keep_digitized=pairs)
    if "rotpersp" in groups:
        run_group("rotation+perspective", paths, ["rotation", "perspective"], results)
    if "photo" in groups:
        run_group("photo-like (all)", paths, "all", results)
    if "real" in groups:
        run_real(results)
    if "roundtrip" in groups and pairs:
        run_round_trip(pairs, results)
    if "variants" in groups:
        run_variants(paths[::max(1, len(paths) // args.n_variant)][:args.n_variant], results)
    save_results("digitization", results)
    return results


if __name__ == "__main__":
    main()
