"""Stability of the global intervals and findings against added noise, on LUDB.

Run: ``python -m bench.noise [--limit N] [--step K] [--no-nk] [--fs HZ] [--leads II,...]`` (default every 2nd LUDB record,
70 records; with neurokit2 about 5 minutes, without it about 30 s).

Clinical ECG programs are tested for the stability of their measurements against noise: the
noise-free ECG and the same ECG with noise added must measure alike (IEC 60601-2-51:2003, the
analysing electrocardiographs' standard, now merged into IEC 60601-2-25:2011; the CSE study's noise
tests, Willems et al., Comput Biomed Res 23:10-31, 1990). The noise types here are those of
IEC 60601-2-51 (as its national edition GOST R IEC 60601-2-51-2008, figure 11.5, lists them):

* ``mains 50 Hz`` / ``mains 60 Hz``: a sinusoid of 25 uV amplitude;
* ``high-frequency``: Gaussian noise of 25 uV RMS (white up to half the sampling rate: our reading);
* ``baseline``: a 0.3 Hz sinusoid of 0.5 mV amplitude;
* ``baseline + high-frequency``: that sinusoid with 15 uV RMS of Gaussian noise.

Each is added to every lead of each record (our choice: independent noise and a random phase per
lead, seeded by the record id, so runs repeat). For each noise and each method (ours: ``measure``;
reference: neurokit2's ``ecg_delineate`` dwt per lead, global intervals as in ``bench.delineation``)
it prints, per global interval, the change from the method's own noise-free value (mean, SD, 95th
percentile of its size; and how many values appeared or disappeared) and the error against LUDB's
robust reference (second-earliest onset / second-latest offset of the annotated leads). For ours it
also prints the mean confidence with and without the noise, the mean error of the noisy values
rated below 0.5 against the rest, the records whose rhythm or conduction
statements changed, and how often the PR-segment spline (``ecg.measure.PR_SPLINE_MIN_MV``) and the
mains notch (``ecg.filters.mains_hum_hz``) were used.
No target is set in the issue; the figures say where our measurement moves with noise.
The LUDB copy here scales every lead to 1 mV peak to peak, so these noise levels are relative to
that scale.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from ._common import (FS_HELP, LEADS_HELP, LUDB, at_rate, complete_waves, fmt, global_intervals, ludb_ids, ludb_waves, nk_delineate_lead,
                      save_results, with_leads)

INTERVALS = ("p_duration_ms", "pr_ms", "qrs_ms", "qt_ms")
#: The statements compared with and without noise: rhythm and conduction (amplitude statements
#: depend on the LUDB copy's per-lead scaling, which ``interpret`` recognizes only without noise).
STATEMENTS = {"SR", "SBRAD", "STACH", "SARRH", "AFIB", "AFLT", "PAC", "PVC", "PACE", "NONSINUS_P",
              "NO_VISIBLE_P", "1AVB", "SHORT_PR", "CLBBB", "CRBBB", "ILBBB", "IRBBB", "IVCD", "LAFB",
              "LPFB", "LNGQT", "SHORT_QTC"}


def _sine(n, fs, hz, amp_mv, rng, n_leads):
    t = np.arange(n) / fs
    return amp_mv * np.sin(2 * np.pi * hz * t[None, :] + rng.uniform(0, 2 * np.pi, (n_leads, 1)))


#: name -> function(n_leads, n_samples, fs, rng) -> noise in mV, (n_leads, n_samples).
NOISES = {
    "mains 50 Hz": lambda L, n, fs, rng: _sine(n, fs, 50.0, 0.025, rng, L),
    "mains 60 Hz": lambda L, n, fs, rng: _sine(n, fs, 60.0, 0.025, rng, L),
    "high-frequency": lambda L, n, fs, rng: rng.normal(0.0, 0.025, (L, n)),
    "baseline": lambda L, n, fs, rng: _sine(n, fs, 0.3, 0.5, rng, L),
    "baseline + high-frequency": lambda L, n, fs, rng: _sine(n, fs, 0.3, 0.5, rng, L) + rng.normal(0.0, 0.015, (L, n)),
}


def with_noise(rec, name: str, seed: int):
    """The record with noise ``name`` (:data:`NOISES`) added to every lead (a new ECG)."""
    from ecg import ECG

    rng = np.random.default_rng(seed)
    x = rec.signal.astype(np.float64)
    x = x + NOISES[name](x.shape[0], x.shape[1], rec.fs, rng)
    return ECG(x.astype(np.float32), rec.fs, list(rec.leads), meta=dict(rec.meta))


def _nk_intervals(rec) -> dict:
    by_lead = {lead: nk_delineate_lead(rec.signal[i], rec.fs) for i, lead in enumerate(rec.leads)}
    return global_intervals(complete_waves(by_lead), robust=True)


def _ours(rec) -> tuple[dict, dict, set, dict]:
    from ecg.measure import measure

    m = measure(rec)
    iv = {k: getattr(m, k) for k in INTERVALS}
    conf = {k: m.confidence.get(k) for k in INTERVALS}
    codes = {f.code for f in m.findings} & STATEMENTS
    return iv, conf, codes, m.filters


def _mae(v: list) -> dict:
    return {"n": len(v), "mae": float(np.mean(v)) if v else None}


def run(limit=None, step=2, with_nk=True, fs=None, leads=None) -> dict:
    from ecg import load

    ids = ludb_ids(limit, step)
    who = ("ours", "nk") if with_nk else ("ours",)
    names = list(NOISES)
    change = {w: {n: {k: [] for k in INTERVALS} for n in names} for w in who}
    flips = {w: {n: {k: 0 for k in INTERVALS} for n in names} for w in who}
    error = {w: {n: {k: [] for k in INTERVALS} for n in ["none", *names]} for w in who}
    conf = {n: {k: [] for k in INTERVALS} for n in ["none", *names]}
    stmt_changed = {n: [] for n in names}
    conf_err = {k: [] for k in INTERVALS}   # (confidence, |error| vs the robust reference), noisy runs
    spline = {n: 0 for n in ["none", *names]}
    notch = {n: 0 for n in ["none", *names]}
    t = {w: 0.0 for w in who}
    for rid in ids:
        rec = with_leads(at_rate(load(LUDB / str(rid)), fs), leads)
        ref = global_intervals(ludb_waves(rid), robust=True)
        base = {}
        for n in ["none", *names]:
            r = rec if n == "none" else with_noise(rec, n, rid * 100 + names.index(n))
            t0 = time.perf_counter()
            iv, cf, codes, filt = _ours(r)
            t["ours"] += time.perf_counter() - t0
            got = {"ours": iv}
            if with_nk:
                t0 = time.perf_counter()
                got["nk"] = _nk_intervals(r)
                t["nk"] += time.perf_counter() - t0
            spline[n] += bool(filt.get("pr_spline"))
            notch[n] += bool(filt.get("mains_notch_hz"))
            for k in INTERVALS:
                if cf[k] is not None:
                    conf[n][k].append(cf[k])
            if n == "none":
                base = {"codes": codes, **got}
            elif codes != base["codes"]:
                stmt_changed[n].append((rid, sorted(base["codes"] - codes), sorted(codes - base["codes"])))
            for w in who:
                for k in INTERVALS:
                    v = got[w][k]
                    if v is not None and ref[k] is not None:
                        error[w][n][k].append(v - ref[k])
                        if w == "ours" and n != "none" and cf[k] is not None:
                            conf_err[k].append((cf[k], abs(v - ref[k])))
                    if n != "none":
                        b = base[w][k]
                        if v is not None and b is not None:
                            change[w][n][k].append(v - b)
                        elif (v is None) != (b is None):
                            flips[w][n][k] += 1

    def summ(v):
        a = np.asarray(v, float)
        return {"n": int(a.size), "mean": float(a.mean()) if a.size else None, "sd": float(a.std()) if a.size else None,
                "p95_abs": float(np.percentile(np.abs(a), 95)) if a.size else None}

    return {
        "records": len(ids), "step": step, "fs_hz": fs or 500.0, "leads": leads or "all 12", "noises": names, "who": list(who), "seconds": t,
        "change": {w: {n: {k: {**summ(change[w][n][k]), "appeared_or_lost": flips[w][n][k]} for k in INTERVALS}
                       for n in names} for w in who},
        "error": {w: {n: {k: summ(error[w][n][k]) for k in INTERVALS} for n in ["none", *names]} for w in who},
        "confidence_mean": {n: {k: float(np.mean(v)) if v else None for k, v in conf[n].items()} for n in ["none", *names]},
        "confidence_vs_error": {k: {"low": _mae([e for c, e in v if c < 0.5]), "high": _mae([e for c, e in v if c >= 0.5])}
                                for k, v in conf_err.items()},
        "statements_changed": stmt_changed, "pr_spline_used": spline, "mains_notch_used": notch,
    }


def report(res: dict) -> str:
    who = res["who"]
    lab = {"ours": "ours", "nk": "neurokit2"}
    nth = {1: "st", 2: "nd", 3: "rd"}.get(res["step"], "th")
    L = [f"Stability against noise (IEC 60601-2-51 noise types), {res['records']} LUDB records (every "
         f"{res['step']}{nth}; {res['fs_hz']:g} Hz; leads: {', '.join(res['leads']) if isinstance(res['leads'], list) else res['leads']}); time ours {res['seconds']['ours']:.1f} s"
         + (f", neurokit2 dwt {res['seconds']['nk']:.1f} s" if "nk" in who else ""),
         "Change from the noise-free value, ms: mean / SD / 95th percentile of |change| (values appeared or lost)"]
    head = f"{'noise':27} {'method':10} " + " ".join(f"{k[:-3]:>22}" for k in INTERVALS)
    L.append(head)
    for n in res["noises"]:
        for w in who:
            cells = []
            for k in INTERVALS:
                c = res["change"][w][n][k]
                cells.append(f"{fmt(c['mean'])}/{fmt(c['sd']).strip()}/{fmt(c['p95_abs'], 0).strip()} ({c['appeared_or_lost']})"
                             .rjust(22))
            L.append(f"{n:27} {lab[w]:10} " + " ".join(cells))
    L += ["", "Error against LUDB's robust reference, ms: mean / SD (n)", head]
    for n in ["none", *res["noises"]]:
        for w in who:
            cells = [f"{fmt(e['mean'])}/{fmt(e['sd']).strip()} ({e['n']})".rjust(22)
                     for e in (res["error"][w][n][k] for k in INTERVALS)]
            L.append(f"{n:27} {lab[w]:10} " + " ".join(cells))
    L += ["", "Our mean confidence: " + "; ".join(
        f"{n}: " + ", ".join(f"{k[:-3]} {fmt(v, 2).strip()}" for k, v in res["confidence_mean"][n].items())
        for n in ["none", *res["noises"]])]
    L.append("Our confidence against our error on the noisy records (mean |error| against the reference, ms): " + "; ".join(
        f"{k[:-3]} conf < 0.5 {fmt(v['low']['mae']).strip()} (n {v['low']['n']}) vs >= 0.5 {fmt(v['high']['mae']).strip()} "
        f"(n {v['high']['n']})" for k, v in res["confidence_vs_error"].items()))
    L.append("PR-segment spline used on: " + ", ".join(f"{n} {v}" for n, v in res["pr_spline_used"].items()))
    L.append("Mains notch used on: " + ", ".join(f"{n} {v}" for n, v in res["mains_notch_used"].items()))
    L.append("Rhythm / conduction statements changed by the noise (record: lost / gained):")
    for n, rows in res["statements_changed"].items():
        L.append(f"  {n}: {len(rows)} of {res['records']}" + ("; " if rows else "")
                 + "; ".join(f"{r[0]}: -{','.join(r[1]) or '.'} +{','.join(r[2]) or '.'}" for r in rows))
    return "\n".join(L)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N records (after --step)")
    ap.add_argument("--step", type=int, default=2, help="every K-th LUDB record (default 2)")
    ap.add_argument("--no-nk", action="store_true", help="skip the neurokit2 reference run")
    ap.add_argument("--fs", type=float, default=None, help=FS_HELP + " (the noise is added at that rate)")
    ap.add_argument("--leads", default=None, help=LEADS_HELP)
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    leads = [x.strip() for x in a.leads.split(",")] if a.leads else None
    res = run(a.limit, a.step, not a.no_nk, fs=a.fs, leads=leads)
    print(report(res))
    save_results("noise" + ("" if a.fs is None else f"_fs{a.fs:g}") + ("" if not leads else "_" + "-".join(leads)), res)
    return res


if __name__ == "__main__":
    main()
