"""Interpreter speed against CPython, measured side by side in one run.

    python tests/bench/bench_interp.py            # every row
    python tests/bench/bench_interp.py --quick    # smaller sizes

Each row runs this project's workload and the reference in the same process, taking turns
(ours, the reference, ours, ...) so a change in the machine's load hits both alike, and
prints the best of --repeat runs each and their ratio (this project / reference; lower is
better).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from vm.api import run_program  # noqa: E402

FIB = """
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(fib {n})
"""

LOOP = """
(defn count-up [n]
  (var i 0)
  (var acc 0)
  (while (< i n)
    (assign acc (+ acc i))
    (assign i (+ i 1)))
  acc)
(count-up {n})
"""

CLOSURE = """
(defn make-counter []
  (var count 0)
  (fn [] (assign count (+ count 1))))
(defn drive [n]
  (def counter (make-counter))
  (var i 0)
  (while (< i n)
    (counter)
    (assign i (+ i 1)))
  (counter))
(drive {n})
"""

PINGPONG = """
(defn ping-pong [n]
  (def gen (fiber/new (fn [] (var i 0) (while true (yield i) (assign i (+ i 1)))) :yield))
  (var total 0)
  (var k 0)
  (while (< k n)
    (assign total (+ total (fiber/resume gen)))
    (assign k (+ k 1)))
  total)
(ping-pong {n})
"""

FUELED_FIB = """
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(def f (fiber/new (fn [] (fib {n})) :fuel))
(fiber/set-fuel f 1000000000000)
(fiber/resume f)
"""


def py_fib(n):
    return n if n < 2 else py_fib(n - 1) + py_fib(n - 2)


def py_loop(n):
    i = 0
    acc = 0
    while i < n:
        acc = acc + i
        i = i + 1
    return acc


def py_closure(n):
    def make_counter():
        count = 0

        def counter():
            nonlocal count
            count = count + 1
            return count
        return counter
    counter = make_counter()
    i = 0
    while i < n:
        counter()
        i = i + 1
    return counter()


def py_pingpong(n):
    def gen():
        i = 0
        while True:
            yield i
            i = i + 1
    g = gen()
    total = 0
    k = 0
    while k < n:
        total = total + next(g)
        k = k + 1
    return total


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def side_by_side(ours, ref, repeat):
    """Best times of `ours` and `ref`, run in turns; and the values they returned."""
    mine, theirs = [], []
    for _ in range(repeat):
        t, v1 = timed(ours)
        mine.append(t)
        t, v2 = timed(ref)
        theirs.append(t)
    return min(mine), v1, min(theirs), v2


def lisp(source):
    def go():
        out = run_program(source, "bench.lisp")
        assert out.status == 0, out.error_text
        return out.value
    return go


def session_with_breakpoints(source):
    from vmdbg.core.session import Session

    def go():
        s = Session.from_source(source, "bench.lisp")
        # Ten breakpoints on lines with code that never runs.
        padded = source
        for i in range(10):
            s.add_breakpoint(function="never")
        snap = s.continue_()
        assert snap.reason == "finished", snap.error
        return s.vm.result
    return go


NEVER = "\n(defn never [] (+ 1 2) (+ 3 4) (+ 5 6) (+ 7 8) (+ 9 10) (+ 11 12) (+ 13 14) (+ 15 16) (+ 17 18) (+ 19 20))\n"


def session_source(n):
    lines = FIB.format(n=n).strip().splitlines()
    return NEVER + "\n".join(lines)


def session_lines_bp(n):
    from vmdbg.core.session import Session
    src = session_source(n)

    def go():
        s = Session.from_source(src, "bench.lisp")
        for line in range(2, 2 + 10):
            pass
        # line 2 is the `never` defn body, whose forms all start on line 2: use offsets
        # in `never` so ten distinct breakpoints exist that never hit.
        func = [f for f in s.vm.main.all_functions() if f.name == "never"][0]
        offsets = sorted(off for off, d in enumerate(func.decoded) if d is not None)[:10]
        for off in offsets:
            s.add_breakpoint(offset=("never", off))
        snap = s.continue_()
        assert snap.reason == "finished", snap.error
        return s.vm.result
    return go


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    q = args.quick
    fib_n = 20 if q else 25
    loop_n = 100_000 if q else 1_000_000
    rows = [
        (f"recursive fib({fib_n})", lisp(FIB.format(n=fib_n)), lambda: py_fib(fib_n), "CPython, same function", 10),
        (f"{loop_n:,}-iteration while loop", lisp(LOOP.format(n=loop_n)), lambda: py_loop(loop_n), "CPython, same loop", 6),
        (f"closure counter x{loop_n:,}", lisp(CLOSURE.format(n=loop_n)), lambda: py_closure(loop_n), "CPython closure", 10),
        (f"fiber ping-pong x{loop_n // 10:,}", lisp(PINGPONG.format(n=loop_n // 10)), lambda: py_pingpong(loop_n // 10), "Python generator", 10),
        (f"fib({fib_n}) in a fiber with fuel", lisp(FUELED_FIB.format(n=fib_n)), lisp(FIB.format(n=fib_n)), "same without fuel", 1.3),
        (f"fib({fib_n}), Session, 10 breakpoints", session_lines_bp(fib_n), lisp(session_source(fib_n)), "vmdbg run (run_program)", 1.05),
    ]
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{'workload':<40} {'vmdbg':>10} {'reference':>10} {'ratio':>7} {'target':>7}  reference")
    for name, ours, ref, ref_name, target in rows:
        t_ours, v1, t_ref, v2 = side_by_side(ours, ref, args.repeat)
        if v1 != v2:
            print(f"  !! results differ: {v1} vs {v2}")
        ratio = t_ours / t_ref
        mark = "ok" if ratio <= target else "MISS"
        print(f"{name:<40} {t_ours * 1000:>8.1f}ms {t_ref * 1000:>8.1f}ms {ratio:>6.2f}x {target:>6}x  {ref_name} {mark}")


if __name__ == "__main__":
    main()
