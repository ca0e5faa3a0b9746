"""Closures in compiled code (issue 14): calls of closures held by globals, captured values
read, captured variables assigned.

A closure's compiled body takes the closure after its arguments and reads its captures
through it; compiled callers pass the one the global holds. A body whose one change is an
assignment to a captured variable with nothing after it that can bail (a counter) is a
"leaf": it bails only before the change, so compiled callers may call it, and they then
hand their frame to the interpreter at the call rather than bail. Every run here is
differential against --jit 0 at every stop (tick, output, errors and their locations,
frames, fuel, globals and what the closures hold), whole functions at --jit 1 and loops
tiered up on their own, cut into slices, given fuel, paused, stepped back.
"""

from __future__ import annotations

import random

import pytest

from vm.jit.code import JitCode, Rejection

pytest.importorskip("llvmlite")

from test_jit_arrays import MAKERS, agree, codes, end_tick, jitted   # noqa: E402
from test_jit_osr import norm, plain, state as osr_state   # noqa: E402

COUNTER = ("(defn make-counter []\n  (var n 0)\n  (fn [] (assign n (+ n 1)) n))\n(def counter (make-counter))\n"
           "(var i 0)\n(while (< i 30000)\n  (counter)\n  (assign i (+ i 1)))\n(println (counter))\n"
           "(defn spin [k] (var j 0) (while (< j k) (counter) (assign j (+ j 1))) (counter))\n"
           "(println (spin 20000))\n(println :done)\n")
# Two closures of one function, with different captures, in two globals.
ADDERS = ("(defn mk [k] (fn [x] (+ x k)))\n(def add5 (mk 5))\n(def add7 (mk 7.5))\n"
          "(defn run [n] (var s 0) (var i 0) (while (< i n) (assign s (+ s (add5 i) (add7 i))) (assign i (+ i 1))) s)\n"
          "(println (run 10))\n(println (run 20000))\n")
# The counter steps past 64 bits: the leaf bails before its assignment, the caller hands
# its frame over at the call, and the interpreter makes it (a big integer from then on).
OVERFLOW = ("(defn make-counter [step]\n  (var n 0)\n  (fn [] (assign n (+ n step)) n))\n"
            "(def counter (make-counter 1000000000000000))\n"
            "(var i 0)\n(while (< i 20000)\n  (counter)\n  (assign i (+ i 1)))\n(println (counter))\n")
# Another closure over the same variable assigns it a keyword: the counter's next `+`
# raises, in the interpreter, at the counter's line.
SHARED = ("(defn mk []\n  (var v 0)\n  @[(fn [] (assign v (+ v 1)) v) (fn [x] (assign v x))])\n"
          "(def pair (mk))\n(def inc (get pair 0))\n(def setv (get pair 1))\n"
          "(var i 0)\n(while (< i 30000)\n  (inc)\n  (if (= i 20000) (setv 7))\n  (assign i (+ i 1)))\n(println (inc))\n"
          "(setv :reset)\n(var j 0)\n(while (< j 5000) (inc) (assign j (+ j 1)))\n")
# A captured value compiled code does not hold (a string): it leaves for the interpreter.
STRINGY = ("(defn mk [s] (fn [i] (+ i (length s))))\n(def f (mk \"abc\"))\n"
           "(var i 0)\n(var t 0)\n(while (< i 20000) (assign t (+ t (f i))) (assign i (+ i 1)))\n(println t)\n")

PROGRAMS = {"counter": COUNTER, "adders": ADDERS, "overflow": OVERFLOW, "shared cell": SHARED,
            "string capture": STRINGY}


def state(vm) -> tuple:
    """What test_jit_osr compares, and what every closure in a global holds."""
    held = []
    for v in vm.globals:
        caps = getattr(v, "captures", None)
        if caps:
            held.append(tuple(norm(c) for c in caps))
    return osr_state(vm) + (tuple(held),)


def agree_all(src, stops, make, **kw):
    return agree(src, stops, make, state_of=state, **kw)


@pytest.mark.parametrize("how", sorted(MAKERS))
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_compiled_run_ends_as_the_interpreters(name, how):
    agree_all(PROGRAMS[name], [10 ** 9], MAKERS[how])


def test_the_counter_loop_calls_the_closure_natively():
    vm = agree_all(COUNTER, [10 ** 9], MAKERS["tiered"])
    assert vm.output_text() == "30001\n50002\ndone\n"
    fn = next(f for f in vm.main.all_functions() if f.name == "fn")
    assert isinstance(fn.jit_state, JitCode) and fn.jit_state.effects == "leaf" and fn.jit_state.env
    # The loop that calls it hands its frame over rather than bail (it called a leaf).
    assert any(c.effects == "deopt" for c in codes(vm))


def test_at_jit_1_a_leaf_alone_stays_a_routine_until_a_compiled_caller_needs_it():
    vm = agree_all(COUNTER, [10 ** 9], jitted)
    funcs = {f.name: f for f in vm.main.all_functions()}
    # `spin` calls it: both compiled together; before that, the interpreter ran it as a routine.
    assert isinstance(funcs["spin"].jit_state, JitCode) and funcs["spin"].jit_state.effects == "deopt"
    assert isinstance(funcs["fn"].jit_state, JitCode) and funcs["fn"].jit_state.effects == "leaf"
    src = COUNTER[:COUNTER.index("(defn spin")]
    vm = agree_all(src, [10 ** 9], jitted)
    fn = next(f for f in vm.main.all_functions() if f.name == "fn")
    assert isinstance(fn.jit_state, Rejection) and fn.jit_state.callee_ok and callable(fn.routine)


def test_each_global_closure_brings_its_own_captures():
    vm = agree_all(ADDERS, [10 ** 9], jitted)
    run = next(f for f in vm.main.all_functions() if f.name == "run")
    assert isinstance(run.jit_state, JitCode)
    n = 20000
    assert vm.output_text().splitlines()[1] == str(sum(2 * i + 12.5 for i in range(n)))


def test_an_error_after_another_closure_assigned_the_cell_is_the_interpreters():
    vm = agree_all(SHARED, [10 ** 9], MAKERS["tiered"])
    assert vm.status == "error" and vm.error_site.function == "fn" and vm.error_site.span.line == 3


@pytest.mark.parametrize("how", sorted(MAKERS))
def test_runs_cut_into_slices_and_given_fuel_agree(how):
    rnd = random.Random(5)
    for name, src in PROGRAMS.items():
        end = end_tick(src)
        for tune in (None, dict(slice_ns=0, chunk=97, margin=300)):
            agree_all(src, sorted(rnd.sample(range(1, end), 5)) + [end + 5], MAKERS[how], tune=tune)
        for fuel in (end // 3, end // 2 + 11, end - 1):
            a, b = plain(src, fuel), MAKERS[how](src, fuel=fuel)
            assert (a.run(), state(a)) == (b.run(), state(b)), (name, fuel)


def test_stepping_back_over_compiled_closure_calls_restores_what_they_held():
    from vmdbg.core.session import Session
    runs = []
    for jit in (1, 0):
        s = Session.from_source(COUNTER, "t.lisp", jit=jit)
        s.run_to(line=12)                  # (println :done): spin has run natively
        forward = s.snapshot()
        back = [s.step_back() for _ in range(3)]
        again = s.run_to(line=12)
        runs.append([(x.tick, x.line, x.output) for x in [forward] + back + [again]])
        if jit:
            assert isinstance(next(f for f in s.vm.main.all_functions() if f.name == "spin").jit_state, JitCode)
    assert runs[0] == runs[1]


def test_a_pause_while_the_counter_loop_runs_natively_shows_the_interpreters_state():
    vm = MAKERS["tiered"](COUNTER, tune=dict(slice_ns=0, chunk=97, margin=300))
    seen, pauses = [], []

    def between():
        seen.append(vm.tick)
        if len(seen) % 3 == 2:
            vm.pause_requested = True
        return False

    while vm.run(between=between) == "pause":
        ref = plain(COUNTER)
        ref.run(until_tick=vm.tick)
        assert state(ref) == state(vm)
        pauses.append(vm.tick)
    ref = plain(COUNTER)
    ref.run()
    assert pauses and state(ref) == state(vm)
