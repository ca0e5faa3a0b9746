"""The debugging core's speed and memory, measured side by side in one run.

    python tests/bench/bench_session.py            # every row (about a minute)
    python tests/bench/bench_session.py --quick    # smaller sizes
    python tests/bench/bench_session.py --peak     # also trace the whole 10M run (slow)

Rows:
  continue_() with 10 line breakpoints that never hit, against vm.api.run_program (what
      `vmdbg run` does) on the same program: speed ratio, target >= 0.95;
  step_line + snapshot and step_instruction + snapshot through the demo: median, target < 2 ms;
  pause() from another thread in a tight loop: median latency, target < 50 ms;
  history memory for a 10,000,000-instruction run: History.memory_estimate() and the
      tracemalloc peak of the whole session, for a few checkpoint settings.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import threading
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from vm.api import run_program  # noqa: E402
from vmdbg.core.session import Session  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEMO = os.path.join(ROOT, "vmdbg", "examples", "demo.lisp")

# fib, plus a function that is never called: its ten lines take the breakpoints.
FIB = """(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(defn never [x]
  (println 1)
  (println 2)
  (println 3)
  (println 4)
  (println 5)
  (println 6)
  (println 7)
  (println 8)
  (println 9)
  (println 10))
(fib {n})
"""
NEVER_LINES = range(3, 13)

SPIN = "(var i 0)\n(while true (assign i (+ i 1)))\n"

# A long run that keeps changing a little state: a counter, an @array that grows to a
# few hundred elements and a generator fiber.
LONG = """
(def seen @[])
(def gen (fiber/new (fn [] (var k 0) (forever (yield k) (assign k (+ k 1)))) :yield))
(defn step [i acc]
  (when (= 0 (rem i 997)) (push seen (fiber/resume gen)))
  (+ acc (rem i 7)))
(var i 0)
(var acc 0)
(while (< i {n})
  (assign acc (step i acc))
  (assign i (+ i 1)))
(println acc " " (length seen))
"""

# The same length of run over a live 100,000-element @array that keeps changing.
BIGHEAP = """
(def data @[])
(var i 0)
(while (< i 100000) (push data i) (assign i (+ i 1)))
(var j 0)
(while (< j {n})
  (put data (rem j 100000) j)
  (assign j (+ j 1)))
(println (length data))
"""


def best(fn, repeat, clock=time.perf_counter):
    times, value = [], None
    for _ in range(repeat):
        gc.collect()                        # the previous run's garbage is not this run's cost
        start = clock()
        value = fn()
        times.append(clock() - start)
    return min(times), value


def row(name, value, target, ok, note=""):
    print(f"{name:<52} {value:>18} {target:>12}  {'ok' if ok else 'MISS'}  {note}")


def bench_continue(n, repeat, jit=0):
    """run_program against Session + 10 breakpoints + continue_(), end to end (each makes its
    own VM), interleaved, best of `repeat`, in CPU time. The extra time the session spends
    outside the interpreter (checkpoints, breakpoints, the final snapshot) is measured in
    the same runs."""
    from vm.core import VM
    source = FIB.format(n=n)
    spent = [0.0]
    run = VM.run

    # CPU time of this process: other jobs on the machine move wall time far more.
    clock = time.process_time

    def timed_run(self, *args):
        start = clock()
        try:
            return run(self, *args)
        finally:
            spent[0] += clock() - start

    def headless():
        out = run_program(source, "bench.lisp", jit=jit)
        assert out.status == 0, out.error_text
        return out.value, out.ticks

    def debugged():
        s = Session.from_source(source, "bench.lisp", jit=jit)
        for line in NEVER_LINES:
            assert s.add_breakpoint(line=line).verified
        take = s.history.take

        def timed_take(vm):
            # Checkpoints are taken between slices, inside vm.run: count them as outside.
            start = clock()
            take(vm)
            spent[0] -= clock() - start

        s.history.take = timed_take
        snap = s.continue_()
        assert snap.reason == "finished", snap.error
        return s.vm.result, snap.tick

    results = {headless: [], debugged: []}
    VM.run = timed_run
    try:
        for _ in range(repeat):
            for fn in (headless, debugged):
                spent[0] = 0.0
                t, value = best(fn, 1, clock)
                results[fn].append((t, t - spent[0], value))
    finally:
        VM.run = run
    (th, _, vh), (td, _, vd) = min(results[headless]), min(results[debugged])
    assert vh == vd, (vh, vd)
    extra = min(o for _, o, _ in results[debugged]) - min(o for _, o, _ in results[headless])
    ratio = th / td
    # Each pair ran back to back, so the median of the pairs' ratios shrugs off a slow spell.
    pairs = statistics.median(h[0] / d[0] for h, d in zip(results[headless], results[debugged]))
    row(f"continue_ fib({n}){f', --jit={jit}' if jit else ''}, 10 bps never hit, {vh[1]:,} ticks",
        f"{td * 1000:.0f} vs {th * 1000:.0f} ms", "speed >= 0.95", max(ratio, pairs) >= 0.95,
        f"speed: best {ratio:.3f}, median of pairs {pairs:.3f} (run_program time / session time, "
        f"CPU); the session's own work outside the interpreter: {extra * 1000:.1f} ms = "
        f"{extra / th * 100:.1f}% of run_program")


def bench_steps():
    s = Session.from_file(DEMO)
    line_times, instr_times = [], []
    while True:
        start = time.perf_counter()
        snap = s.step_line()
        line_times.append(time.perf_counter() - start)
        if snap.reason != "step":
            break
    s.restart()
    for _ in range(600):
        start = time.perf_counter()
        snap = s.step_instruction()
        instr_times.append(time.perf_counter() - start)
        if snap.reason != "step":
            break
    for name, times in (("step_line + snapshot", line_times), ("step_instruction + snapshot", instr_times)):
        med = statistics.median(times) * 1000
        p90 = sorted(times)[int(len(times) * 0.9)] * 1000
        row(f"{name}, demo.lisp, {len(times)} steps", f"median {med:.2f} ms", "< 2 ms", med < 2,
            f"p90 {p90:.2f} ms")
    start = time.perf_counter()
    for _ in range(200):
        s.snapshot()
    each = (time.perf_counter() - start) / 200 * 1000
    row("snapshot() alone", f"{each:.2f} ms", "", True)


def bench_pause(attempts):
    s = Session.from_source(SPIN, "spin.lisp")
    latencies = []
    for _ in range(attempts):
        done = {}

        def work():
            done["snap"] = s.continue_()
            done["at"] = time.perf_counter()

        thread = threading.Thread(target=work)
        thread.start()
        time.sleep(0.15)
        asked = time.perf_counter()
        s.pause()
        thread.join()
        assert done["snap"].reason == "pause"
        latencies.append(done["at"] - asked)
    med = statistics.median(latencies) * 1000
    row(f"pause latency, tight loop, {attempts} tries", f"median {med:.1f} ms", "< 50 ms", med < 50,
        f"max {max(latencies) * 1000:.1f} ms")


def bench_history(n, settings, peak: bool):
    """Memory held by the checkpoints after an n-instruction run. tracemalloc measures the
    bytes of a fresh copy of every checkpoint (what they hold); --peak also traces the whole
    run (slow: tracemalloc sees every allocation the VM makes)."""
    from vmdbg.core.statecopy import copy_state
    # Iterations for about n instructions: (instructions per iteration, instructions before).
    shapes = (("small heap", LONG, 27, 0), ("100,000-element @array", BIGHEAP, 16, 1_300_000))
    for label, template, per_iteration, before in shapes:
        source = template.format(n=max(1, (n - before) // per_iteration))
        headless = time.perf_counter()
        out = run_program(source, "long.lisp")
        headless = time.perf_counter() - headless
        headless_peak = None
        if peak:
            tracemalloc.start()
            run_program(source, "long.lisp")
            headless_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        for number, (interval, count) in enumerate(settings):
            trace = peak and number == 0            # the default settings only: it is slow
            if trace:
                tracemalloc.start()
            start = time.perf_counter()
            s = Session.from_source(source, "long.lisp", checkpoint_interval=interval, max_checkpoints=count)
            snap = s.continue_()
            elapsed = time.perf_counter() - start
            peak_bytes = tracemalloc.get_traced_memory()[1] if trace else None
            if trace:
                tracemalloc.stop()
            assert snap.reason == "finished" and snap.output == out.output, snap.error
            h = s.history
            estimate = h.memory_estimate()
            tracemalloc.start()
            # One copy of them all: frames shared between checkpoints (cp.stacks) count once.
            copies = copy_state([(cp.state, [(st.chunks, st.rest) for st in cp.stacks.values()])
                                 for cp in h.checkpoints])
            held = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            del copies
            cost = sum(cp.cost for cp in h.checkpoints)
            replay = time.perf_counter()
            s.goto_tick(snap.tick // 2)
            replay = time.perf_counter() - replay
            back = time.perf_counter()
            s.step_back()
            back = time.perf_counter() - back
            peak_text = (f", tracemalloc peak {peak_bytes / 1e6:.1f} MB (headless {headless_peak / 1e6:.1f} MB)"
                         if peak_bytes else "")
            row(f"history, {label}, {snap.tick / 1e6:.1f}M ticks, interval {interval:,}/{count}",
                f"{held / 1e6:.2f} MB", "bounded", len(h.checkpoints) <= count + 1,
                f"estimate {estimate / 1e6:.2f} MB; {len(h.checkpoints)} checkpoints, interval now "
                f"{h.interval:,}{peak_text}; run {elapsed:.1f} s (headless {headless:.1f} s), "
                f"copies {cost * 1000:.0f} ms; goto middle {replay * 1000:.0f} ms, "
                f"step_back {back * 1000:.0f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--peak", action="store_true", help="also trace the whole 10M run (minutes)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'measure':<52} {'value':>18} {'target':>12}")
    bench_continue(18 if args.quick else 22, 3 if args.quick else 7)
    bench_continue(22 if args.quick else 27, 3 if args.quick else 7, jit=10)
    bench_steps()
    bench_pause(5 if args.quick else 15)
    if args.quick:
        bench_history(1_000_000, [(50_000, 48)], peak=False)
    else:
        bench_history(10_000_000, [(50_000, 48), (10_000, 48), (200_000, 16)], peak=args.peak)


if __name__ == "__main__":
    main()
