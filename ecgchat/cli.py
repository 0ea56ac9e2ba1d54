"""``ecgchat``: the command-line face of the assistant.

Subcommands::

    ecgchat measure PATH [--json] [--fs HZ]
    ecgchat ask PATH "QUESTION" [--json] [--no-llm]
    ecgchat index build SOURCE [--out DIR]
    ecgchat digitize IMAGE --out DIR [--json] [--page N]

Exit status: 0 on success, 2 on bad input (with a message on stderr saying what was wrong).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import offline  # noqa: F401  (offline before any model library loads)


def _load(path: str, fs: float | None):
    """A signal file through the loader, an image or PDF of a paper ECG through the digitizer."""
    from ecg import load
    from ecg.io import IMAGE_SUFFIXES

    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        from ecg.digitize import digitize

        if not Path(path).exists():
            raise FileNotFoundError(f"No such image: {path}")
        return digitize(str(path))
    return load(path, fs=fs)


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_measure(args) -> int:
    from ecg.measure import measure

    ecg = _load(args.path, args.fs)
    d = measure(ecg).to_dict()
    if args.json:
        _print_json(d)
        return 0
    from assistant.context import facts_from_measurements

    print(f"{ecg.record_id}: {ecg.n_leads} leads, {ecg.duration_s:.1f} s at {ecg.fs:g} Hz")
    for f in facts_from_measurements(d):
        print(f"  {f.label:<22} {f.value:8.1f} {f.unit}")
    for reason_key, reason in (d.get("null_reasons") or {}).items():
        print(f"  {reason_key:<22} not measured: {reason}")
    lt = d.get("long_term") or {}
    if lt.get("heart_rate_bpm"):
        from ecg.record import clock

        dur, hr, rr = ecg.duration_s, lt["heart_rate_bpm"], lt.get("longest_rr_ms") or {}
        print(f"  {lt['n_windows']} windows of {lt['window_s']:g} s: rate {hr['min']:.0f}-{hr['max']:.0f} bpm "
              f"(from {clock(hr['min_at_s'], dur)} / {clock(hr['max_at_s'], dur)})"
              + (f", longest RR {rr['value']:.0f} ms at {clock(rr['at_s'], dur)}" if rr else "")
              + f", premature beats per hour: SV {lt['premature_per_hour']['supraventricular']:g}, "
                f"V {lt['premature_per_hour']['ventricular']:g}")
    for fd in d.get("findings") or []:
        print(f"  * {fd['statement']}  ({fd['criterion']})")
    return 0


def cmd_ask(args) -> int:
    from assistant.chat import Assistant
    from assistant.service import analyze, demographics_from_library, library_or_none

    ecg = _load(args.path, args.fs)
    library, lib_err = library_or_none(progress=_progress_bar("Building the case library") if not args.json else None)
    demographics_from_library(ecg, library)
    analysis = analyze(ecg, library)
    assistant = Assistant(llm=None if args.no_llm else "default")
    ans = assistant.answer(args.question, analysis.measurement_dict, cases=analysis.cases, sex=analysis.sex,
                           source=analysis.source, lead_quality=analysis.lead_quality,
                           printed=analysis.printed, page_flags=analysis.page_flags)
    if args.json:
        _print_json({"answer": ans.text, "citations": ans.citations, "measurements": analysis.measurement_dict,
                     "cases": analysis.cases, "intents": ans.intents, "used_llm": ans.used_llm,
                     "fallback_reason": ans.fallback_reason, "library_error": lib_err})
    else:
        print(ans.text)
    return 0


def _progress_bar(title: str):
    from tqdm import tqdm

    state = {}

    def cb(done: int, total: int, msg: str) -> None:
        if "bar" not in state:
            state["bar"] = tqdm(total=total, desc=title, unit="record", file=sys.stderr)
        state["bar"].update(1)
        if done == total:
            state["bar"].close()

    return cb


def cmd_index_build(args) -> int:
    from retrieval import CaseLibrary
    from retrieval.library import DEFAULT_INDEX_DIR

    out = Path(args.out) if args.out else DEFAULT_INDEX_DIR
    lib = CaseLibrary.build(args.source, out, progress=_progress_bar("Indexing"))
    print(f"Indexed {len(lib)} records from {args.source} into {out}")
    return 0


def cmd_digitize(args) -> int:
    from ecg.digitize import digitize
    from ecg.io_write import write_wfdb

    image = Path(args.image)
    if not image.exists():
        raise FileNotFoundError(f"No such image: {image}")
    ecg = digitize(str(image), page=args.page)
    out = write_wfdb(ecg, args.out, image.stem)
    summary = {"record": str(out), **ecg.meta.get("digitization", {})}
    summary.pop("trace_boxes", None)
    if args.json:
        _print_json(summary)
    else:
        print(f"Wrote {out}.hea/.dat")
        for k in ("layout", "px_per_mm", "rotation_deg", "paper_speed_mm_s", "gain_mm_mv", "calibration"):
            print(f"  {k}: {summary.get(k)}")
        for lead, q in (summary.get("lead_quality") or {}).items():
            why = (summary.get("lead_quality_reasons") or {}).get(lead, "")
            print(f"  {lead:<4} quality {q:.2f} {why}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecgchat", description="Offline ECG assistant: measure, ask, index, digitize.")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="measure an ECG (WFDB record, CSV, or an image/PDF of a paper ECG)")
    m.add_argument("path")
    m.add_argument("--json", action="store_true")
    m.add_argument("--fs", type=float, default=None, help="sampling rate in Hz for a CSV without one")
    m.set_defaults(func=cmd_measure)
    a = sub.add_parser("ask", help="ask one question about an ECG (signal file or image)")
    a.add_argument("path")
    a.add_argument("question")
    a.add_argument("--json", action="store_true")
    a.add_argument("--fs", type=float, default=None)
    a.add_argument("--no-llm", action="store_true", help="answer with the deterministic grounded reply only")
    a.set_defaults(func=cmd_ask)
    i = sub.add_parser("index", help="case library")
    isub = i.add_subparsers(dest="index_command", required=True)
    b = isub.add_parser("build", help="build the case library from a folder of WFDB records")
    b.add_argument("source")
    b.add_argument("--out", default=None, help="index folder (default data/index)")
    b.set_defaults(func=cmd_index_build)
    d = sub.add_parser("digitize", help="digitize a paper ECG image into a WFDB record")
    d.add_argument("image")
    d.add_argument("--out", required=True)
    d.add_argument("--json", action="store_true")
    d.add_argument("--page", type=int, default=0)
    d.set_defaults(func=cmd_digitize)
    return p


def main(argv: list[str] | None = None) -> int:
    from ecg.errors import ECGError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ECGError, FileNotFoundError, KeyError) as exc:
        print(f"ecgchat: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
