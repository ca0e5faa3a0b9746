"""Hostile programs (issue 18): the JIT's cost with many functions, and single primitives at
the default size limit against the pause latency.

    python tests/bench/bench_hostile.py            # 200, 400, 800 functions
    python tests/bench/bench_hostile.py --full     # also 1,600 (the issue's size; slow before)

Not a test: timings vary with the machine and its load. Each row measures its columns side
by side in one process, in turns, best of REPEAT, in process CPU time:

- N one-line functions each called 10 times: interpreted (jit 0), JIT at the first call
  (jit 1), and jit 1 with `store_counts` rescanning the whole program at every compile (as
  before issue 18). The JIT's on-disk code cache is off, so every compile compiles.
- range/append/string/sort of the default --max-collection elements, and the doubling
  programs that hit it, against the pause latency (0.25 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
os.environ["VMDBG_JIT_CACHE"] = "0"

from vm.api import run_program  # noqa: E402
from vm.primitives.types import DEFAULT_MAX_COLLECTION  # noqa: E402

REPEAT = 3
PAUSE_LATENCY = 0.25


def many_functions(n: int) -> str:
    text = "".join(f"(defn f{i} [x] (+ x {i}))\n" for i in range(n))
    text += "(var t 0)\n"
    text += "".join(f"(assign t (+ t {' '.join(f'(f{i} {k})' for k in range(1, 11))}))\n" for i in range(n))
    return text + "(println t)\n"


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def best(fns: dict) -> dict:
    """Best CPU time of each function, run in turns."""
    out = {name: float("inf") for name in fns}
    for _ in range(REPEAT):
        for name, fn in fns.items():
            out[name] = min(out[name], cpu(fn))
    return out


def old_scan():
    """store_counts as it was: a scan of the whole program at every compile."""
    from vm.jit import analyse

    def store_counts(vm):
        return {} if vm.main is None else analyse._scan_stores(vm.main)
    return store_counts


def jit_rows(sizes):
    from vm.jit import analyse
    cached, rescan = analyse.store_counts, old_scan()

    def run(text, jit, counts):
        def go():
            analyse.store_counts = counts
            try:
                r = run_program(text, "many.lisp", jit=jit)
            finally:
                analyse.store_counts = cached
            assert r.status == 0, r.error_text
        return go

    print("| functions | jit 0 | jit 1 | jit 1, rescan per compile | jit 1 / jit 0 | rescan / jit 1 |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        text = many_functions(n)
        t = best({"interp": run(text, 0, cached), "jit": run(text, 1, cached),
                  "rescan": run(text, 1, rescan)})
        print(f"| {n:,} | {t['interp']:.2f} s | {t['jit']:.2f} s | {t['rescan']:.2f} s "
              f"| {t['jit'] / t['interp']:.1f}x | {t['rescan'] / t['jit']:.1f}x |")


def primitive_rows():
    n = DEFAULT_MAX_COLLECTION
    setup = f"(def a (range {n}))\n(def h (range {n // 2}))\n(def s (string/repeat \"x\" {n // 2}))\n"
    setup += "(def r (reverse a))\n"
    base = run_program(setup, "p.lisp")
    assert base.status == 0
    programs = {
        f"(range {n:,})": f"(range {n})",
        "(append h h), h of n/2": "(append h h)",
        "(string s s), s of n/2": "(string s s)",
        "(sort r), r descending": "(sort r)",
        "(println a), stopped by the limit": "(protect (println a))",
        "(string a), stopped by the limit": "(protect (string a))",
        '(var s "xy") doubling until the limit': '(var d "xy") (protect (forever (assign d (string d d))))',
        "(append a a) doubling until the limit": "(var d [1]) (protect (forever (assign d (append d d))))",
        "(range 1000000000)": "(protect (range 1000000000))",
    }
    t_setup = best({"setup": lambda: run_program(setup, "p.lisp")})["setup"]
    print()
    print(f"| one primitive at the default --max-collection ({n:,}) | CPU time | within {PAUSE_LATENCY} s |")
    print("|---|---:|---|")
    for label, body in programs.items():
        text = setup + body + "\n"
        t = best({"run": lambda text=text: run_program(text, "p.lisp")})["run"] - t_setup
        print(f"| {label} | {max(t, 0):.3f} s | {'yes' if t <= PAUSE_LATENCY else 'NO'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also 1,600 functions")
    args = ap.parse_args()
    jit_rows([200, 400, 800] + ([1600] if args.full else []))
    primitive_rows()


if __name__ == "__main__":
    main()
