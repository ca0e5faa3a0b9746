"""The JIT's tiering by instructions run (issue 14; vm/jit/code.py Tiering, `vmdbg run`'s default).

A function compiles once the instructions sampled in it (its loops as well as its calls,
whether they ran in the dispatch loop, a region or a routine) reach the threshold: a hot
loop makes its function compile at the next call, a routine (fib as one Python call)
stops exactly where it gets hot and the interpreter, going on from its frames, compiles
it at the next call; a program that does little never starts the JIT. Whatever the
thresholds, every stop shows exactly what --jit 0 shows: tick, output, errors and their
locations, fuel, every fiber's frames (sliced runs, fuel, pauses).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm.core import VM
from vm.fiber import Closure
from vm.jit.code import JitCode, Tiering
from vm.values import Cell, display

ROOT = Path(__file__).resolve().parent.parent

LOOP = ("(defn work [n] (var i 0) (var s 0) (while (< i n) (assign s (+ s (rem i 7))) (assign i (+ i 1))) s)\n"
        "(var k 0) (var t 0) (while (< k 4) (assign t (+ t (work 20000))) (assign k (+ k 1))) (println t)\n")
FIB = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 21))\n"
TINY = "(defn inc1 [x] (+ x 1))\n(var s 0) (var i 0) (while (< i 20) (assign s (inc1 s)) (assign i (+ i 1))) (println s)\n"

PROGRAMS = {
    "loop called 4 times": LOOP,
    "fib as a routine": FIB,
    "floats": ("(defn w [n] (var i 0) (var s 0.0) (while (< i n) (assign s (+ s 0.25)) (assign i (+ i 1))) s)\n"
               "(var k 0) (while (< k 3) (println (w 30000)) (assign k (+ k 1)))\n"),
    "error after compiling": ("(defn f [x n] (var i 0) (var s x) (while (< i n) (assign s (+ s 1)) (assign i (+ i 1))) s)\n"
                              "(println (f 0 40000)) (println (f 1 40000)) (println (f :k 40000))\n"),
    "tail loop": ("(defn spin [n acc] (if (= n 0) acc (spin (- n 1) (+ acc (rem n 5)))))\n"
                  "(println (spin 60000 0)) (println (spin 60000 1))\n"),
    "fuel fiber": ("(defn work [n] (var i 0) (var s 0) (while (< i n) (assign s (+ s i)) (assign i (+ i 1))) s)\n"
                   "(var fb (fiber/new (fn [] (work 30000) (work 30000) (work 30000)) [:fuel]))\n"
                   "(fiber/set-fuel fb 150000) (println (fiber/resume fb)) (println (fiber/status fb))\n"),
    "rejected closure": ("(defn make [] (var n 0) (fn [] (assign n (+ n 1)) n))\n(def c (make))\n"
                         "(var i 0) (while (< i 30000) (c) (assign i (+ i 1))) (println (c))\n"),
}


def norm(v):
    if isinstance(v, Closure):
        return ("closure", v.func.name)
    if isinstance(v, Cell):
        return ("cell", norm(v.value))
    if isinstance(v, float):
        return ("float", repr(v))
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return ("int", v)
    if type(v).__name__ == "Fiber":
        return ("fiber", v.id)
    return (type(v).__name__, display(v))


def state(vm) -> tuple:
    """Everything a stop shows: tick, status, output, error, every fiber's frames and fuel."""
    fibers = []
    for fid in sorted(vm.fibers.keys()):
        f = vm.fibers[fid]
        frames = tuple((fr.func.name, fr.ip, tuple(map(norm, fr.locals)), tuple(map(norm, fr.stack)))
                       for fr in f.frames)
        fibers.append((f.id, f.status, vm.live_fuel(f), f.pending, frames))
    site = vm.error_site
    return (vm.tick, vm.status, vm.halted, vm.output_text(), repr(site) if site is not None else None,
            vm.current.id if vm.current is not None else None, tuple(fibers))


def tiered(src: str, first=None, more=None, fuel=None, tune=None, loops=True) -> VM:
    vm = VM(jit=0)
    Tiering(first, more, loops=loops).install(vm)
    vm.load(src, "p.lisp")
    if fuel is not None:
        vm.set_fuel(fuel)
    if tune:
        vm.jit_engine().tune(**tune)
    return vm


def plain(src: str, fuel=None) -> VM:
    vm = VM(jit=0)
    vm.load(src, "p.lisp")
    if fuel is not None:
        vm.set_fuel(fuel)
    return vm


def compiled(vm, name: str):
    for f in vm.main.all_functions():
        if f.name == name:
            return f.jit_state if isinstance(f.jit_state, JitCode) else None
    raise AssertionError(name)


def test_a_program_that_does_little_never_starts_the_jit():
    vm = tiered(TINY)
    vm.run()
    ref = plain(TINY)
    ref.run()
    assert state(vm) == state(ref) and vm.output_text() == "20\n"
    assert vm.jit is None      # no engine, so no llvmlite
    # The same at the 10th call (the call threshold) compiles inc1.
    vm = VM(jit=10)
    vm.load(TINY, "p.lisp")
    vm.run()
    assert vm.jit.tier_of([f for f in vm.main.all_functions() if f.name == "inc1"][0]) == "jit1"


def test_a_function_with_a_hot_loop_compiles_at_its_next_call():
    # (Without loop tiering: with it, the first call's loop is entered natively too,
    # tests/test_jit_osr.py.)
    vm = tiered(LOOP, first=60_000, more=10_000, loops=False)
    vm.run()
    ref = plain(LOOP)
    ref.run()
    assert state(vm) == state(ref)
    code = compiled(vm, "work")
    assert code is not None
    # Its first call (about 140,000 instructions) ran interpreted and made it hot; the
    # second compiled it, and the last three ran natively (code.calls counts from -1).
    assert code.func.calls == 2 and code.calls == 2
    assert vm.jit.stats()[0]["calls"] == 4


def test_one_recursive_call_run_as_a_routine_stops_where_it_gets_hot():
    vm = tiered(FIB, first=50_000)
    vm.run()
    ref = plain(FIB)
    ref.run()
    assert state(vm) == state(ref) and vm.output_text() == "10946\n"
    code = compiled(vm, "fib")
    assert code is not None and code.calls > 0
    # The routine stopped at the threshold (not at the end of fib(21), 300,000 ticks).
    assert vm.jit_tiering.work[code.func] < 100_000


def test_the_call_threshold_is_unchanged_without_a_tiering():
    vm = VM(jit=3)
    vm.load(LOOP, "p.lisp")
    vm.run()
    code = compiled(vm, "work")
    assert code.func.calls == 3 and code.calls == 1     # compiled at the 3rd call (its own count is from -1)


def sliced(src, stops, first, more, fuel=None, tune=None):
    a, b = plain(src, fuel), tiered(src, first, more, fuel, tune)
    for t in stops:
        ra, rb = a.run(until_tick=t), b.run(until_tick=t)
        assert (ra, state(a)) == (rb, state(b)), (src, t)
        if a.halted:
            break
    return b


def total_ticks(src, fuel=None) -> int:
    vm = plain(src, fuel)
    vm.run()
    return vm.tick


def test_tiered_runs_sliced_at_random_ticks_agree_with_the_interpreter():
    rnd = random.Random(14)
    for name, src in PROGRAMS.items():
        end = total_ticks(src)
        for first, more, tune in ((30_000, 5_000, None), (1, 1, None),
                                  (20_000, 2_000, dict(slice_ns=0, chunk=97, margin=300))):
            stops = sorted(rnd.sample(range(1, end), 6)) + [end + 5]
            sliced(src, stops, first, more, tune=tune)
        # And in one run, compiled where it gets hot.
        sliced(src, [end + 5], 40_000, 4_000)


def test_fuel_stops_a_tiered_run_where_it_stops_the_interpreter():
    for name in ("loop called 4 times", "fib as a routine", "tail loop", "fuel fiber"):
        src = PROGRAMS[name]
        end = total_ticks(src)
        for fuel in (end // 3, end // 2 + 17, end - 1):
            a, b = plain(src, fuel), tiered(src, 25_000, 3_000, fuel)
            assert (a.run(), state(a)) == (b.run(), state(b)), (name, fuel)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(PROGRAMS)), first=st.integers(1, 120_000), more=st.integers(1, 30_000),
       cuts=st.lists(st.floats(0, 1), min_size=1, max_size=4), seed=st.integers(0, 3))
def test_any_thresholds_and_slices_agree_with_the_interpreter(name, first, more, cuts, seed):
    src = PROGRAMS[name]
    end = total_ticks(src)
    stops = sorted({max(1, int(c * end)) for c in cuts}) + [end + 5]
    tune = [None, dict(slice_ns=0, chunk=97, margin=300), dict(slice_ns=0, chunk=5000, margin=2000), None][seed]
    sliced(src, stops, first, more, tune=tune)


def test_a_pause_in_a_tiered_run_shows_the_interpreters_state_and_goes_on():
    src = PROGRAMS["loop called 4 times"]
    # (Calls only: tests/test_jit_osr.py pauses compiled loops.)
    vm = tiered(src, 30_000, 3_000, tune=dict(slice_ns=0, chunk=97, margin=300), loops=False)
    seen = []

    def between():
        seen.append(vm.tick)
        if len(seen) in (3, 9):
            vm.pause_requested = True
        return False

    pauses = []
    while True:
        r = vm.run(between=between)
        if r != "pause":
            break
        ref = plain(src)
        ref.run(until_tick=vm.tick)
        assert state(ref) == state(vm)
        pauses.append(vm.tick)
    ref = plain(src)
    ref.run()
    assert len(pauses) == 2 and state(vm) == state(ref)
    assert compiled(vm, "work") is not None


def test_vmdbg_run_by_default_compiles_only_what_gets_hot(tmp_path):
    tiny = tmp_path / "tiny.lisp"
    tiny.write_text(TINY, encoding="utf-8")
    fib = tmp_path / "fib.lisp"
    fib.write_text("(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 27))\n",
                   encoding="utf-8")
    env_cache = {"VMDBG_JIT_CACHE": "0"}
    import os
    env = dict(os.environ, **env_cache)
    r = subprocess.run([sys.executable, "-m", "vmdbg", "run", "--stats", str(tiny)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout) == (0, "20\n") and "JIT" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "vmdbg", "run", "--stats", str(fib)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout) == (0, "196418\n")
    assert "compiles after 1,000,000 instructions" in r.stderr and "fib" in r.stderr and "jit1" in r.stderr
