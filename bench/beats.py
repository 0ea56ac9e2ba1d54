"""Beat detection on MIT-BIH Arrhythmia record 100 against its reference annotations.

Run: ``python -m bench.beats``. Reference: the ``.atr`` beat labels (Moody & Mark 2001); a
detection matches a reference beat within 150 ms (one-to-one; the ANSI/AAMI EC57 window is
150 ms). Both leads (MLII, V5) at 360 Hz go through :func:`ecg.measure.measure` unchanged (it
resamples to 500 Hz and works in 60 s windows). The beat classes are tallied against the
reference labels as well (AAMI classes: N, S = A/a/J/S, V = V/E, paced = /).
The same matching is applied to neurokit2's ``ecg_peaks`` on lead MLII, for reference.

A second part runs the 5 min excerpt of MIT-BIH 208 (lead MLII; frequent wide ventricular
complexes, couplets and fusion beats), which comes without beat annotations: it prints the beats
ours and neurokit2's detector (same lead) find that the other does not (150 ms), our beat
classes, and the QRS duration of our ventricular class's median beat beside the dominant one.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from ._common import MITBIH, save_results

BEAT_SYMBOLS = set("NLRBAaJSVrFejnE/fQ?")
AAMI = {"N": "normal", "L": "normal", "R": "normal", "e": "normal", "j": "normal", "A": "premature_supraventricular",
        "a": "premature_supraventricular", "J": "premature_supraventricular", "S": "premature_supraventricular",
        "V": "premature_ventricular", "E": "premature_ventricular", "/": "paced", "f": "paced"}


def match(ref_s: np.ndarray, det_s: np.ndarray, tol_s: float = 0.15):
    """One-to-one matching of sorted times (s). Returns (tp, fp, fn, pairs as index tuples)."""
    i = j = 0
    pairs = []
    while i < ref_s.size and j < det_s.size:
        d = det_s[j] - ref_s[i]
        if abs(d) <= tol_s:
            pairs.append((i, j))
            i += 1
            j += 1
        elif d < 0:
            j += 1
        else:
            i += 1
    tp = len(pairs)
    return tp, det_s.size - tp, ref_s.size - tp, pairs


def nk_peaks_s(x: np.ndarray, fs: float) -> np.ndarray:
    """neurokit2's R peaks (``ecg_clean`` then ``ecg_peaks``, their defaults) on one lead ``x``
    (mV at ``fs`` Hz), in seconds."""
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = nk.ecg_clean(np.asarray(x, float), sampling_rate=int(fs))
        _, info = nk.ecg_peaks(c, sampling_rate=int(fs))
    return np.asarray(info["ECG_R_Peaks"]) / fs


def run(with_nk: bool = True) -> dict:
    import wfdb

    from ecg import load
    from ecg.measure import measure

    rec = load(MITBIH / "100")
    ann = wfdb.rdann(str(MITBIH / "100"), "atr")
    keep = np.array([s in BEAT_SYMBOLS for s in ann.symbol])
    ref_t = ann.sample[keep] / rec.fs
    ref_sym = np.array(ann.symbol)[keep]
    t0 = time.perf_counter()
    m = measure(rec)
    t_ours = time.perf_counter() - t0
    det_t = np.asarray(m.beats["r_peaks_ms"]) / 1000.0
    tp, fp, fn, pairs = match(ref_t, det_t)
    res = {"record": "MIT-BIH 100", "duration_s": rec.duration_s, "n_ref": int(ref_t.size),
           "ours": {"tp": tp, "fp": fp, "fn": fn, "se": tp / (tp + fn), "ppv": tp / (tp + fp), "seconds": t_ours}}
    conf = {}
    for i, j in pairs:
        key = (AAMI.get(ref_sym[i], "other"), m.beats["classes"][j])
        conf[key] = conf.get(key, 0) + 1
    res["ours"]["class_confusion"] = {f"{a} -> {b}": n for (a, b), n in sorted(conf.items())}
    if with_nk:
        import neurokit2  # noqa: F401  (imported before the clock starts, as it was)

        t0 = time.perf_counter()
        nk_t = nk_peaks_s(rec.signal[rec.leads.index("II")], rec.fs)
        t_nk = time.perf_counter() - t0
        tp, fp, fn, _ = match(ref_t, nk_t)
        res["nk"] = {"tp": tp, "fp": fp, "fn": fn, "se": tp / (tp + fn), "ppv": tp / (tp + fp), "seconds": t_nk}
    res["mitbih_208_excerpt"] = run_208(with_nk)
    return res


def run_208(with_nk: bool = True) -> dict:
    """The MIT-BIH 208 excerpt: our beats and classes, and their agreement with neurokit2's."""
    from ecg.measure import measure

    from ._common import mitbih_208_excerpt

    rec = mitbih_208_excerpt()
    m = measure(rec, interpret=False)
    ours = np.asarray(m.beats["r_peaks_ms"]) / 1000.0
    cls = m.beats["classes"]
    pvc = m.fiducials["median_beat"].get("by_class", {}).get("premature_ventricular")
    out = {"duration_s": rec.duration_s, "n_ours": int(ours.size),
           "classes": {c: cls.count(c) for c in sorted(set(cls))},
           "qrs_ms": m.qrs_ms, "qrs_ms_ventricular": None if pvc is None else pvc["qrs_off"] - pvc["qrs_on"]}
    if with_nk:
        ref = nk_peaks_s(rec.signal[0], rec.fs)
        tp, fp, fn, pairs = match(ref, ours)
        got = {j for _, j in pairs}
        hit = {i for i, _ in pairs}
        out.update({"n_nk": int(ref.size), "both": tp,
                    "nk_only_s": [round(float(ref[i]), 2) for i in range(ref.size) if i not in hit],
                    "ours_only_s": [(round(float(ours[j]), 2), cls[j]) for j in range(ours.size) if j not in got]})
    return out


def report(res: dict) -> str:
    L = [f"Beat detection, {res['record']} ({res['duration_s'] / 60:.0f} min, {res['n_ref']} reference beats), 150 ms tolerance",
         f"{'method':28} {'TP':>6} {'FP':>4} {'FN':>4} {'Se':>7} {'PPV':>7} {'time s':>7}   target Se, PPV >= 0.997"]
    for who, name in (("ours", "ours (measure, 2 leads)"), ("nk", "neurokit2 ecg_peaks (MLII)")):
        if who in res:
            r = res[who]
            L.append(f"{name:28} {r['tp']:6d} {r['fp']:4d} {r['fn']:4d} {r['se']:7.4f} {r['ppv']:7.4f} {r['seconds']:7.2f}")
    L.append("Beat classes (reference AAMI class -> ours): " + ", ".join(f"{k}: {v}" for k, v in res["ours"]["class_confusion"].items()))
    e = res.get("mitbih_208_excerpt")
    if e:
        L.append(f"MIT-BIH 208 excerpt ({e['duration_s'] / 60:.0f} min, MLII; no reference annotations): ours {e['n_ours']} beats"
                 + (f", neurokit2 {e['n_nk']}, both {e['both']}; neurokit2 only at {e['nk_only_s']} s; ours only at "
                    f"{e['ours_only_s']} s" if "n_nk" in e else ""))
        L.append("  our classes: " + ", ".join(f"{k} {v}" for k, v in e["classes"].items())
                 + f"; median-beat QRS: dominant {e['qrs_ms']:.0f} ms, ventricular class "
                 + ("n/a" if e["qrs_ms_ventricular"] is None else f"{e['qrs_ms_ventricular']:.0f} ms"))
    return "\n".join(L)


def main(argv=None) -> dict:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-nk", action="store_true")
    a = ap.parse_args(argv)
    res = run(not a.no_nk)
    print(report(res))
    save_results("beats", res)
    return res


if __name__ == "__main__":
    main()
