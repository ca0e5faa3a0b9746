"""Pure primitives called from compiled code (issue 14): math functions and predicates.

Compiled code calls them through the C API as the interpreter does, fn(vm, *args), holding
the GIL from then on; a primitive that raises, or a result compiled code does not hold (a
big integer), bails and the interpreter makes the call. Every run is differential against
--jit 0 at every stop (tick, output, errors and their locations, frames, fuel), whole
functions at --jit 1 and loops tiered up on their own, cut into slices and given fuel.
"""

from __future__ import annotations

import random

import pytest

from vm.jit.code import JitCode, Rejection

pytest.importorskip("llvmlite")

from test_jit_arrays import MAKERS, agree, codes, end_tick, jitted   # noqa: E402
from test_jit_osr import plain, state   # noqa: E402

MATH = ("(defn norm [x y] (math/sqrt (+ (* x x) (* y y))))\n"
        "(defn f [n]\n  (var i 0) (var s 0.0)\n  (while (< i n)\n"
        "    (assign s (+ s (norm i (+ i 1)) (floor (/ i 3.0)) (if (even? i) 1 0) (compare i 50)))\n"
        "    (assign i (+ i 1)))\n  s)\n(println (f 100))\n(println (f 20000))\n(println (norm 3 4))\n")
# (pow 2 k) leaves 64 bits at k = 63: the call bails there and the interpreter makes it.
BIG = ("(defn g [k] (var s 0) (var i 0) (while (< i k) (assign s (+ (rem s 1000) (pow 2 (rem i 70))))"
       " (assign i (+ i 1))) s)\n(println (g 60))\n(println (g 2000))\n")
# A primitive that raises: the error is the interpreter's, at its own location.
RAISES = ("(defn h [x] (math/sqrt x))\n(defn loop [n] (var i 0) (var s 0.0) (while (< i n) (assign s (+ s (h i)))"
          " (assign i (+ i 1))) s)\n(println (loop 3000))\n(println (h :k))\n")
# Keywords and booleans come back (predicates), and a loop at top level calls them.
PREDICATES = ("(var i 0)\n(var n 0)\n(while (< i 30000)\n  (if (and (odd? i) (not (zero? (rem i 3))) (integer? i)) (assign n (+ n 1)))\n"
              "  (assign i (+ i 1)))\n(println n (keyword? :a) (nan? (math/nan)))\n")

PROGRAMS = {"math": MATH, "big results": BIG, "raises": RAISES, "predicates": PREDICATES}


@pytest.mark.parametrize("how", sorted(MAKERS))
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_compiled_run_ends_as_the_interpreters(name, how):
    agree(PROGRAMS[name], [10 ** 9], MAKERS[how])


def test_functions_calling_math_primitives_compile():
    vm = agree(MATH, [10 ** 9], jitted)
    funcs = {f.name: f for f in vm.main.all_functions()}
    for name in ("norm", "f"):
        assert isinstance(funcs[name].jit_state, JitCode), funcs[name].jit_state
    assert vm.output_text().splitlines()[-1] == "5.0"


def test_a_result_compiled_code_does_not_hold_bails_and_the_interpreter_makes_the_call():
    vm = agree(BIG, [10 ** 9], jitted)
    g = next(f for f in vm.main.all_functions() if f.name == "g")
    # It bailed at 2^63 (and ran the rest interpreted), or was given up for it.
    states = [c for c in codes(vm) if c.func is g]
    assert states and (sum(c.bails.get(8, 0) for c in states) >= 1 or isinstance(g.jit_state, Rejection))


def test_an_error_inside_a_primitive_is_the_interpreters():
    vm = agree(RAISES, [10 ** 9], jitted)
    assert vm.status == "error" and vm.error_site.function == "h" and vm.error_site.span.line == 1


def test_primitives_that_are_not_pure_or_not_listed_are_rejected():
    src = "(defn p [x] (println x) x)\n(p 1)\n(p 2)\n(defn q [x] (string x))\n(q 1)\n(q 2)\n"
    vm = agree(src, [10 ** 9], jitted)
    funcs = {f.name: f for f in vm.main.all_functions()}
    assert isinstance(funcs["p"].jit_state, Rejection) and "println" in funcs["p"].jit_state.reason
    assert isinstance(funcs["q"].jit_state, Rejection) and "string" in funcs["q"].jit_state.reason


@pytest.mark.parametrize("how", sorted(MAKERS))
def test_runs_cut_into_slices_and_given_fuel_agree(how):
    rnd = random.Random(77)
    for name, src in PROGRAMS.items():
        end = end_tick(src)
        for tune in (None, dict(slice_ns=0, chunk=97, margin=300)):
            agree(src, sorted(rnd.sample(range(1, end), 5)) + [end + 5], MAKERS[how], tune=tune)
        for fuel in (end // 3, end - 1):
            a, b = plain(src, fuel), MAKERS[how](src, fuel=fuel)
            assert (a.run(), state(a)) == (b.run(), state(b)), (name, fuel)
