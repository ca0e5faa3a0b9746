"""Arrays in compiled code (issue 14): `get`, `length` and `put` on arrays the code holds.

Code that changes an array cannot bail and re-run (the change would happen twice), so it
hands its frame to the interpreter at the instruction it cannot run (translate.py deopt):
a guard, an element it does not hold, an index out of range, the fuel, a pause. Every
run here is differential: compiled (whole functions at --jit 1, or loops tiered up on
their own) against --jit 0, compared at every stop on everything a stop shows (tick,
status, output, errors and their locations, every frame's locals and stack, fuel, the
globals, and the arrays' contents), cut into slices, given fuel, paused.
"""

from __future__ import annotations

import random
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm.core import VM
from vm.jit.code import JitCode, Rejection

pytest.importorskip("llvmlite")

from test_jit_osr import entered, live, plain, state, tiered   # noqa: E402

FILL = ("(defn fill [n seed]\n  (def a (@array))\n  (var s seed)\n  (var i 0)\n  (while (< i n)\n"
        "    (assign s (rem (+ (* s 1103515245) 12345) 2147483648))\n    (push a (- (rem s 1000) 500))\n"
        "    (assign i (+ i 1)))\n  a)\n")
ISORT = FILL + (
    "(defn isort [a]\n  (var n (length a))\n  (var i 1)\n  (while (< i n)\n    (var key (get a i))\n"
    "    (var j (- i 1))\n    (while (and (>= j 0) (> (get a j) key))\n      (put a (+ j 1) (get a j))\n"
    "      (assign j (- j 1)))\n    (put a (+ j 1) key)\n    (assign i (+ i 1)))\n  a)\n"
    "(def x (isort (fill 300 7)))\n(println (get x 0) \" \" (get x -1) \" \" (length x))\n"
    "(def y (isort (fill 40 3)))\n(println y)\n(println (isort @[2.5 -1 3 1.25 0]))\n")
# Reads only (no effects: a bail re-runs the call): floats and ints, negative and
# out-of-range indexes (nil), then a string in the middle (the interpreter raises).
READS = FILL + (
    "(defn total [a]\n  (var s 0)\n  (var i 0)\n  (while (< i (length a))\n    (assign s (+ s (get a i)))\n"
    "    (assign i (+ i 1)))\n  (if (nil? (get a (length a))) s :bad))\n"
    "(defn ends [a] (+ (get a -1) (get a (- 0 (length a)))))\n"
    "(def b (fill 2000 11))\n(println (total b) \" \" (ends b))\n(println (total @[1.5 2 -0.25]))\n"
    "(println (total [1 2 3 4]))\n(println (total @[1 2 \"three\" 4]))\n")
# Writes past the end after 1,500 good ones: the error comes from the interpreter, at the
# `put`, with the first 1,500 changes made exactly once.
PUT_RANGE = FILL + (
    "(defn scale [a k n]\n  (var i 0)\n  (while (< i n)\n    (put a i (* i k))\n    (assign i (+ i 1)))\n  a)\n"
    "(def c (fill 1500 5))\n(println (get (scale c 3 1500) 1499))\n(println (scale c 2 1600))\n")
# An immutable array: each `put` makes a new one (the interpreter's work: it hands over
# at every put, and is given up after enough of them).
IMMUTABLE = (
    "(defn bump-all [a n]\n  (var i 0)\n  (var out a)\n  (while (< i n)\n    (put a (rem i 4) i)\n"
    "    (assign i (+ i 1)))\n  a)\n"
    "(var k 0)\n(while (< k 300) (bump-all [1 2 3 4] 20) (assign k (+ k 1)))\n"
    "(println (bump-all [1 2 3 4] 10))\n(println (bump-all @[1 2 3 4] 10))\n")
# Elements compiled code does not hold: big integers, strings, nested arrays; and values
# of every kind it does hold stored back (floats, keywords, nil, booleans).
MIXED = (
    "(defn swap-ends [a]\n  (var i 0)\n  (var n (length a))\n  (while (< i (/ n 2))\n"
    "    (var t (get a i))\n    (put a i (get a (- n i 1)))\n    (put a (- n i 1) t)\n    (assign i (+ i 1)))\n  a)\n"
    "(var r 0)\n(while (< r 200) (swap-ends @[1 2.5 :k nil true false 7]) (assign r (+ r 1)))\n"
    "(println (swap-ends @[1 2.5 :k nil true false 7]))\n"
    "(println (swap-ends @[1 100000000000000000000 3 4]))\n"
    "(println (swap-ends @[\"s\" 1 2 @[3]]))\n")
# A loop at top level on a global @array (a piece with effects).
TOP = ("(def a (@array))\n(var i 0)\n(while (< i 3000) (push a (rem (* i 7919) 1000)) (assign i (+ i 1)))\n"
       "(var j 0)\n(var s 0)\n(while (< j 30000)\n  (var p (rem j 3000))\n  (put a p (+ (get a p) 1))\n"
       "  (assign s (+ s (get a p)))\n  (assign j (+ j 1)))\n(println s \" \" (get a 0) \" \" (get a 2999))\n")
# Calls: a function with effects is called from loops and other functions (which then
# run interpreted or as routines: they cannot call it natively).
CALLS = ("(defn bump [a i] (put a i (+ (get a i) 1)))\n"
         "(defn many [a n] (var i 0) (while (< i n) (bump a (rem i 5)) (assign i (+ i 1))) a)\n"
         "(def d @[0 0 0 0 0])\n(println (many d 20000))\n(println (many d 7))\n")

# Code with effects calling compiled functions: a bail inside one (an overflow, a type
# error) hands the caller's frame over at the call, which the interpreter then makes.
HELPERS = ("(defn less [x y] (< x y))\n(defn sq [x] (* x x))\n(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))\n"
           "(defn isort [a]\n  (var n (length a))\n  (var i 1)\n  (while (< i n)\n    (var key (get a i))\n"
           "    (var j (- i 1))\n    (while (and (>= j 0) (less key (get a j)))\n      (put a (+ j 1) (get a j))\n"
           "      (assign j (- j 1)))\n    (put a (+ j 1) (+ (sq key) (deep (rem (abs (int key)) 40))))\n    (assign i (+ i 1)))\n  a)\n"
           "(var r 0)\n(while (< r 40) (isort @[5 3 9 1 7 2 8 4 6 0]) (assign r (+ r 1)))\n"
           "(println (isort @[5 3 9 1 7 2 8]))\n(println (isort @[5 3.5 9 1 7 2 8]))\n"
           "(println (isort @[5 3 9 1 7 2 8000000000000]))\n(println (isort @[5 3 9 \"x\" 7 2 8]))\n")
# A callee recursing without end (deep of a negative number): the interpreter, given the
# call, overflows the stack with the same frames (and operand stacks) as without the JIT.
OVERFLOW = HELPERS[:HELPERS.index("(var r 0)")].replace("(abs (int key))", "key") + "(println (isort @[5 3 9 1 7 2 8]))\n(println (isort @[3 -45 2]))\n"
# push onto an @array passed in (the primitive itself, called from compiled code: it
# charges the heap budget), and onto an immutable one (a new array each time).
PUSH = ("(defn collect [out n]\n  (var i 0)\n  (while (< i n)\n    (if (= (rem i 3) 0) (push out (* i i)))\n"
        "    (assign i (+ i 1)))\n  out)\n(def a @[])\n(collect a 10)\n(println a)\n(collect a 30000)\n"
        "(println (length a) \" \" (get a -1))\n(println (collect [1 2] 10))\n")
# Struct reads by keyword and integer keys (nil when missing), lengths, a mutable struct,
# then a field compiled code does not hold (a string): the interpreter raises.
STRUCTS = ("(defn dist2 [p]\n  (+ (* (get p :x) (get p :x)) (* (get p :y) (get p :y)) (if (nil? (get p :z)) 0 (get p :z))"
           " (length p)\n     (if (nil? (get p 1)) 0 (get p 1))))\n(var i 0) (var s 0)\n(def a {:x 3 :y 4})\n"
           "(def b {:x 3 :y 4 :z 2.5 1 100})\n(def c @{:x 1.5 :y -2})\n"
           "(while (< i 3000) (assign s (+ s (dist2 a) (dist2 b) (dist2 c))) (put c :x i) (assign i (+ i 1)))\n"
           "(println s)\n(println (dist2 {:x \"a\" :y 4}))\n")
PROGRAMS = {"structs": STRUCTS, "push": PUSH, "helpers": HELPERS, "overflow in a callee": OVERFLOW, "isort": ISORT, "reads": READS, "put out of range": PUT_RANGE, "immutable": IMMUTABLE,
            "mixed elements": MIXED, "top level": TOP, "calls": CALLS}


def jitted(src, fuel=None, tune=None, threshold=1) -> VM:
    vm = VM(jit=threshold)
    vm.load(src, "p.lisp")
    if fuel is not None:
        vm.set_fuel(fuel)
    if tune:
        vm.jit_engine().tune(**tune)
    return vm


def codes(vm) -> list:
    return [c for cs in (vm.jit.codes.values() if vm.jit else ()) for c in cs]


def end_tick(src) -> int:
    vm = plain(src)
    vm.run()
    return vm.tick


def agree(src, stops, make, state_of=None, **kw):
    """Run `src` plainly and as `make` makes it, stopping at each tick of `stops`: the
    same result and `state_of` (default: test_jit_osr's state) at every stop."""
    state_of = state_of or state
    a, b = plain(src, kw.get("fuel")), make(src, **kw)
    for t in stops:
        ra, rb = a.run(until_tick=t), b.run(until_tick=t)
        assert (ra, state_of(a)) == (rb, state_of(b)), (src[:40], t)
        if a.halted:
            break
    return b


MAKERS = {"jit 1": jitted, "tiered": lambda src, **kw: tiered(src, 3_000, 1_500, **kw)}


@pytest.mark.parametrize("how", sorted(MAKERS))
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_compiled_run_ends_as_the_interpreters(name, how):
    agree(PROGRAMS[name], [10 ** 9], MAKERS[how])


def test_insertion_sort_runs_natively_and_changes_the_array_in_place():
    vm = agree(ISORT, [10 ** 9], jitted)
    code = vm.main.all_functions()
    isort = next(f for f in code if f.name == "isort")
    assert isinstance(isort.jit_state, JitCode) and isort.jit_state.effects
    assert vm.output_text().splitlines()[0] == "-497 491 300"   # (Python: sorted(...))
    # The tiered run compiles the outer loop as a piece with effects, and enters it.
    vm = agree(ISORT.replace("(fill 300 7)", "(fill 1500 7)"), [10 ** 9], MAKERS["tiered"])
    assert live(vm) and entered(vm) >= 1 and any(c.effects for c in codes(vm))


def test_code_with_effects_calls_compiled_functions_natively():
    vm = agree(HELPERS, [10 ** 9], jitted)
    funcs = {f.name: f for f in vm.main.all_functions()}
    assert funcs["isort"].jit_state.effects
    for name in ("less", "sq", "deep"):
        assert isinstance(funcs[name].jit_state, JitCode) and not funcs[name].jit_state.effects
    # sq overflowed on 8e12 and `<` met a string: the interpreter finished those calls.
    assert "64000000000000000000000000" in vm.output_text()
    assert vm.status == "error" and vm.error_site.function == "less"


def test_push_runs_natively_and_the_heap_budget_stops_it_where_it_stops_the_interpreter():
    vm = agree(PUSH, [10 ** 9], jitted)
    collect = next(f for f in vm.main.all_functions() if f.name == "collect")
    assert isinstance(collect.jit_state, JitCode) and collect.jit_state.effects == "deopt"
    for max_heap in (5_000, 9_000):
        a = plain(PUSH, max_heap=max_heap)
        b = VM(jit=1, max_heap=max_heap)
        b.load(PUSH, "p.lisp")
        assert (a.run(), state(a)) == (b.run(), state(b))
        assert a.status == "error" and "size-limit" in repr(a.uncaught) + str(a.error_site) + a.output_text() \
            or a.status == "error"
        assert a.heap_room == b.heap_room


def test_a_function_reading_structs_compiles():
    vm = agree(STRUCTS, [10 ** 9], jitted)
    dist2 = next(f for f in vm.main.all_functions() if f.name == "dist2")
    assert isinstance(dist2.jit_state, JitCode) and dist2.jit_state.calls > 1000
    assert vm.status == "error" and vm.error_site.function == "dist2"


def test_code_that_only_reads_arrays_is_not_marked_as_changing_them():
    vm = agree(READS, [10 ** 9], jitted)
    total = next(f for f in vm.main.all_functions() if f.name == "total")
    # It bailed on the string and re-ran interpreted: the error is the interpreter's.
    assert vm.status == "error" and vm.error_site.span.line == 14
    assert any(isinstance(c.func.jit_state, JitCode) for c in codes(vm))
    assert total in [c.func for c in codes(vm)] and not any(c.effects for c in codes(vm))


def test_an_error_after_many_changes_is_raised_once_at_the_put():
    vm = agree(PUT_RANGE, [10 ** 9], jitted)
    assert vm.status == "error" and vm.error_site.span.line == 13
    assert vm.output_text().startswith("4497\n")
    assert "out of range" in str(vm.uncaught) + vm.output_text() + repr(vm.error_site)


def test_code_that_keeps_handing_over_is_given_up():
    vm = agree(IMMUTABLE, [10 ** 9], jitted)
    bump = next(f for f in vm.main.all_functions() if f.name == "bump-all")
    assert isinstance(bump.jit_state, Rejection) and "bails too often" in bump.jit_state.reason


def test_callers_of_code_with_effects_do_not_call_it_natively():
    vm = agree(CALLS, [10 ** 9], jitted)
    funcs = {f.name: f for f in vm.main.all_functions()}
    assert isinstance(funcs["bump"].jit_state, JitCode) and funcs["bump"].jit_state.effects
    # (It passes the array: arrays go only where the code knows they are.)
    assert isinstance(funcs["many"].jit_state, Rejection) and "array" in funcs["many"].jit_state.reason


def test_arrays_mixed_with_other_values_in_one_variable_are_rejected():
    src = ("(defn f [a n]\n  (var x nil)\n  (var i 0)\n  (while (< i n) (if (= i 3) (assign x a) (assign x i))"
           " (assign i (+ i 1)))\n  x)\n(println (f @[1] 10))\n(println (f @[1] 10))\n")
    vm = agree(src, [10 ** 9], jitted)
    f = next(f for f in vm.main.all_functions() if f.name == "f")
    assert isinstance(f.jit_state, Rejection) and "array" in f.jit_state.reason


def test_an_array_never_reaches_code_compiled_for_other_types():
    # `g` compiled for a number; then called with an array: it bails at entry and the
    # interpreter runs the call (and reports the error where it happens).
    src = "(defn g [x] (+ x 1))\n(println (g 1))\n(println (g 2))\n(println (g @[1]))\n"
    vm = agree(src, [10 ** 9], jitted)
    assert vm.status == "error"


@pytest.mark.parametrize("how", sorted(MAKERS))
def test_runs_cut_into_slices_stop_where_the_interpreter_stops(how):
    rnd = random.Random(141)
    for name, src in PROGRAMS.items():
        end = end_tick(src)
        for tune in (None, dict(slice_ns=0, chunk=97, margin=300), dict(slice_ns=0, chunk=5000, margin=2000)):
            stops = sorted(rnd.sample(range(1, end), 6)) + [end + 5]
            agree(src, stops, MAKERS[how], tune=tune)


@pytest.mark.parametrize("how", sorted(MAKERS))
def test_fuel_runs_out_where_it_does_in_the_interpreter(how):
    for name, src in PROGRAMS.items():
        end = end_tick(src)
        for fuel in (end // 3, end // 2 + 17, end - 1, 7_001):
            a, b = plain(src, fuel), MAKERS[how](src, fuel=fuel)
            assert (a.run(), state(a)) == (b.run(), state(b)), (name, fuel)


def test_a_pause_between_calls_of_code_with_effects_shows_the_interpreters_state():
    src = FILL + ISORT[len(FILL):ISORT.index("(def x")] + (
        "(var r 0)\n(var t 0)\n(while (< r 150)\n  (assign t (+ t (get (isort (fill 40 r)) 0)))\n"
        "  (assign r (+ r 1)))\n(println t)\n")
    for make in MAKERS.values():
        vm = make(src, tune=dict(slice_ns=0, chunk=97, margin=300))
        seen, pauses = [], []

        def between():
            seen.append(vm.tick)
            if len(seen) % 4 == 3:
                vm.pause_requested = True
            return False

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
        assert len(pauses) >= 3 and state(vm) == state(ref)
        assert any(c.effects and c.calls for c in codes(vm))


def test_a_pause_from_another_thread_lands_inside_code_with_effects():
    # The pause arrives while one long call of isort runs natively: the code (which holds
    # the GIL, letting other threads in at each look) hands its frame over mid-sort.
    # Threads are timing: a pause that comes too late lands elsewhere (still exact), and
    # the run is tried again.
    src = ISORT.replace("(fill 300 7)", "(fill 2500 7)")
    for make in MAKERS.values():
        for attempt in range(6):
            vm = make(src, tune=dict(slice_ns=0, chunk=997, margin=300))
            done = threading.Event()

            def ask():
                while not done.is_set():
                    if vm.jit is not None and vm.jit.native_ticks() > 0:
                        vm.pause_requested = True
                        return
                    time.sleep(0.0002)

            helper = threading.Thread(target=ask)
            interval = sys.getswitchinterval()
            sys.setswitchinterval(1e-5)     # (the helper gets the GIL at the code's next look)
            helper.start()
            try:
                r = vm.run()
            finally:
                done.set()
                helper.join()
                sys.setswitchinterval(interval)
            if r != "pause":
                continue
            inside = (vm.current.frames[-1].func.name == "isort"
                      and any(c.effects and c.exits for c in codes(vm)))
            ref = plain(src)
            ref.run(until_tick=vm.tick)
            assert state(ref) == state(vm)
            assert (ref.run(), state(ref)) == (vm.run(), state(vm))
            if inside:
                break
        else:
            raise AssertionError("no pause landed inside the native sort in 6 runs")


def test_a_breakpoint_in_a_compiled_function_with_effects_is_hit():
    from vmdbg.core.session import Session
    runs = []
    for jit in (1, 0):
        s = Session.from_source(ISORT, "t.lisp", jit=jit)
        first = s.run_to(line=24)          # after the first sort, at the second call
        if jit:
            isort = next(f for f in s.vm.main.all_functions() if f.name == "isort")
            assert isinstance(isort.jit_state, JitCode) and isort.jit_state.effects
        s.add_breakpoint(line=17)          # the put inside the inner loop
        stops = [s.continue_() for _ in range(4)]
        runs.append([(x.reason, x.tick, x.line, x.output) for x in [first] + stops])
    assert runs[0] == runs[1]
    assert runs[0][1][0] == "breakpoint" and runs[0][1][2] == 17


ELEMENT = st.one_of(st.integers(-1000, 1000), st.integers(-(1 << 70), 1 << 70),
                    st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["nil", "true", ":k", "\"s\""]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(ELEMENT, min_size=0, max_size=40), fuel=st.integers(50, 20_000),
       mutable=st.booleans(), how=st.sampled_from(sorted(MAKERS)))
def test_any_array_any_fuel_agrees_with_the_interpreter(items, fuel, mutable, how):
    lit = ("@[" if mutable else "[") + " ".join(map(str, items)) + "]"
    src = ("(defn isort [a]\n  (var n (length a))\n  (var i 1)\n  (while (< i n)\n    (var key (get a i))\n"
           "    (var j (- i 1))\n    (while (and (>= j 0) (> (get a j) key))\n      (put a (+ j 1) (get a j))\n"
           "      (assign j (- j 1)))\n    (put a (+ j 1) key)\n    (assign i (+ i 1)))\n  a)\n"
           f"(var r 0)\n(while (< r 30) (isort {lit}) (assign r (+ r 1)))\n(println (isort {lit}))\n")
    a, b = plain(src, fuel), MAKERS[how](src, fuel=fuel)
    assert (a.run(), state(a)) == (b.run(), state(b))
