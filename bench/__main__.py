"""Run every benchmark: ``python -m bench`` (``make bench``).

Each bench module has a ``main(argv)`` that prints its figures and writes JSON under bench/out/.
Benches listed in ``BENCHES`` run in order; a module that is not present yet (for example
``bench/digitization.py``, added by the digitization work) is skipped with a note, so adding one
is a matter of creating ``bench/<name>.py`` with a ``main()``.
Usage: ``python -m bench [name ...]`` runs only the named ones.
"""
from __future__ import annotations

import importlib
import sys
import time

BENCHES = ["speed", "beats", "delineation", "noise", "findings", "findings_ludb", "reversal", "quality", "amplitudes", "digitization"]


def main(argv=None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or BENCHES
    failed = 0
    for name in names:
        try:
            mod = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"== {name}: not present, skipped\n")
                continue
            raise
        print(f"== {name}")
        t0 = time.perf_counter()
        try:
            import inspect

            params = inspect.signature(mod.main).parameters
            mod.main([]) if params else mod.main()
        except Exception as exc:  # keep going: one broken bench must not hide the others
            failed += 1
            print(f"!! {name} failed: {type(exc).__name__}: {exc}")
        print(f"   ({time.perf_counter() - t0:.0f} s)\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
