"""Interpreter speed against CPython, measured side by side in one run.

    python tests/bench/bench_interp.py            # every row
    python tests/bench/bench_interp.py --quick    # smaller sizes

Each row runs this project's workload and the reference in the same process, taking turns
(ours, the reference, ours, ...) so a change in the machine's load hits both alike, and
prints the best of --repeat runs each and their ratio (this project / reference; lower is
better).

The `plain` column is the same workload with the interpreter's fast paths off
(vm/execute.py FUSION = False: no superinstructions, regions or routines, every
instruction through the dispatch loop), run in the same turns (--plain-repeat times, as it
is slow), and `gain` is plain / vmdbg: what the fast paths buy, measured side by side.
"""

from __future__ import annotations

import argparse
import functools
import operator
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


# Mandelbrot on floats: size x size points, at most 50 iterations each.
MANDEL = """
(defn mandel [size max-iter]
  (var count 0)
  (var y 0)
  (while (< y size)
    (def ci (- (/ (* 2.0 y) size) 1.0))
    (var x 0)
    (while (< x size)
      (def cr (- (/ (* 2.0 x) size) 1.5))
      (var zr 0.0)
      (var zi 0.0)
      (var i 0)
      (while (and (< i max-iter) (<= (+ (* zr zr) (* zi zi)) 4.0))
        (def t (+ (- (* zr zr) (* zi zi)) cr))
        (assign zi (+ (* (* 2.0 zr) zi) ci))
        (assign zr t)
        (assign i (+ i 1)))
      (if (= i max-iter) (assign count (+ count 1)))
      (assign x (+ x 1)))
    (assign y (+ y 1)))
  count)
(mandel {n} 50)
"""
# Insertion sort of n pseudo-random integers in an @array (get, put, push, length).
ISORT = """
(defn make-data [n]
  (def a @[])
  (var s 12345)
  (var i 0)
  (while (< i n)
    (assign s (rem (+ (* s 1103515245) 12345) 2147483648))
    (push a s)
    (assign i (+ i 1)))
  a)
(defn isort [a]
  (def n (length a))
  (var i 1)
  (while (< i n)
    (def key (get a i))
    (var j (- i 1))
    (while (and (>= j 0) (> (get a j) key))
      (put a (+ j 1) (get a j))
      (assign j (- j 1)))
    (put a (+ j 1) key)
    (assign i (+ i 1)))
  a)
(def sorted (isort (make-data {n})))
(get sorted 0)
"""
# fold (the prelude's loop) calling the primitive + on every element.
FOLD = "(fold + 0 (range {n}))"
# A string built from n pieces with push, string and string/join.
STRBUILD = """
(defn build [n]
  (def parts @[])
  (var i 0)
  (while (< i n)
    (push parts (string i))
    (assign i (+ i 1)))
  (length (string/join parts ",")))
(build {n})
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


def py_mandel(size, max_iter=50):
    count = 0
    y = 0
    while y < size:
        ci = 2.0 * y / size - 1.0
        x = 0
        while x < size:
            cr = 2.0 * x / size - 1.5
            zr = zi = 0.0
            i = 0
            while i < max_iter and zr * zr + zi * zi <= 4.0:
                t = zr * zr - zi * zi + cr
                zi = 2.0 * zr * zi + ci
                zr = t
                i = i + 1
            if i == max_iter:
                count = count + 1
            x = x + 1
        y = y + 1
    return count
def py_isort(n):
    a = []
    s = 12345
    i = 0
    while i < n:
        s = (s * 1103515245 + 12345) % 2147483648
        a.append(s)
        i += 1
    n = len(a)
    i = 1
    while i < n:
        key = a[i]
        j = i - 1
        while j >= 0 and a[j] > key:
            a[j + 1] = a[j]
            j = j - 1
        a[j + 1] = key
        i = i + 1
    return a[0]
def py_fold(n):
    # (fold + 0 (range n)): the range is built (an @array), then folded with a function.
    return functools.reduce(operator.add, list(range(n)), 0)
def py_strbuild(n):
    parts = []
    i = 0
    while i < n:
        parts.append(str(i))
        i = i + 1
    return len(",".join(parts))


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def side_by_side(ours, ref, repeat, plain=None, plain_repeat=0):
    """Best times of `ours`, `ref` (and `plain`, the first `plain_repeat` turns), run in
    turns; and the values they returned."""
    mine, theirs, slow = [], [], []
    v3 = None
    for i in range(repeat):
        t, v1 = timed(ours)
        mine.append(t)
        t, v2 = timed(ref)
        theirs.append(t)
        if plain is not None and i < plain_repeat:
            t, v3 = timed(plain)
            slow.append(t)
            if v3 != v1:
                print(f"  !! fast paths off gave {v3} (on: {v1})")
    return min(mine), v1, min(theirs), v2, (min(slow) if slow else None)


def without_fast_paths(fn):
    """`fn` run with superinstructions, regions and routines off."""
    from vm import execute

    def go():
        old = execute.FUSION
        execute.FUSION = False
        try:
            return fn()
        finally:
            execute.FUSION = old
    return go


def lisp(source):
    def go():
        out = run_program(source, "bench.lisp")
        assert out.status == 0, out.error_text
        return out.value
    return go


def sliced(source, stride):
    """The program run in slices of `stride` ticks (as the debugger's replays run it)."""
    def go():
        from vm.core import VM
        vm = VM()
        vm.load(source, "bench.lisp")
        while not vm.halted:
            vm.run(vm.tick + stride)
        assert vm.status == "finished"
        return vm.result
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
    ap.add_argument("--plain-repeat", type=int, default=1,
                    help="runs of each workload with the fast paths off (0: skip the column)")
    args = ap.parse_args()
    q = args.quick
    fib_n = 20 if q else 25
    loop_n = 100_000 if q else 1_000_000
    mandel_n = 40 if q else 100
    sort_n = 1_000 if q else 3_000
    rows = [
        (f"recursive fib({fib_n})", lisp(FIB.format(n=fib_n)), lambda: py_fib(fib_n), "CPython, same function", 10),
        (f"{loop_n:,}-iteration while loop", lisp(LOOP.format(n=loop_n)), lambda: py_loop(loop_n), "CPython, same loop", 6),
        (f"closure counter x{loop_n:,}", lisp(CLOSURE.format(n=loop_n)), lambda: py_closure(loop_n), "CPython closure", 10),
        (f"fiber ping-pong x{loop_n // 10:,}", lisp(PINGPONG.format(n=loop_n // 10)), lambda: py_pingpong(loop_n // 10), "Python generator", 10),
        (f"mandelbrot {mandel_n}x{mandel_n} (floats)", lisp(MANDEL.format(n=mandel_n)), lambda: py_mandel(mandel_n), "CPython, same loops", 10),
        (f"insertion sort of {sort_n:,} in an @array", lisp(ISORT.format(n=sort_n)), lambda: py_isort(sort_n), "CPython list", 10),
        (f"(fold + 0 (range {loop_n:,}))", lisp(FOLD.format(n=loop_n)), lambda: py_fold(loop_n), "functools.reduce", 10),
        (f"string of {loop_n // 5:,} pieces (push, join)", lisp(STRBUILD.format(n=loop_n // 5)), lambda: py_strbuild(loop_n // 5), "CPython list + join", 10),
        (f"fib({fib_n}) run in slices of 10,000 ticks", sliced(FIB.format(n=fib_n), 10_000), lisp(FIB.format(n=fib_n)), "same in one run", 1.3),
        (f"fib({fib_n}) in a fiber with fuel", lisp(FUELED_FIB.format(n=fib_n)), lisp(FIB.format(n=fib_n)), "same without fuel", 1.3),
        (f"fib({fib_n}), Session, 10 breakpoints", session_lines_bp(fib_n), lisp(session_source(fib_n)), "vmdbg run (run_program)", 1.05),
    ]
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{'workload':<40} {'vmdbg':>10} {'reference':>10} {'ratio':>7} {'target':>7} "
          f"{'plain':>10} {'gain':>7}  reference")
    for name, ours, ref, ref_name, target in rows:
        t_ours, v1, t_ref, v2, t_plain = side_by_side(ours, ref, args.repeat,
                                                      without_fast_paths(ours), args.plain_repeat)
        if v1 != v2:
            print(f"  !! results differ: {v1} vs {v2}")
        ratio = t_ours / t_ref
        mark = "ok" if ratio <= target else "MISS"
        plain = f"{t_plain * 1000:>8.1f}ms {t_plain / t_ours:>6.1f}x" if t_plain else f"{'-':>10} {'-':>7}"
        print(f"{name:<40} {t_ours * 1000:>8.1f}ms {t_ref * 1000:>8.1f}ms {ratio:>6.2f}x {target:>6}x "
              f"{plain}  {ref_name} {mark}")


if __name__ == "__main__":
    main()
