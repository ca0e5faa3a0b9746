"""Property tests: random integer/float functions (branches, loops, recursion, tail calls)
print the same results, errors and tick counts interpreted and JIT-compiled, including
64-bit overflow (bail to exact big integers) and division by zero."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm.api import run_program

INT_EDGES = [0, 1, -1, 2, 7, -13, 1 << 31, (1 << 62) + 5, (1 << 63) - 1, -(1 << 63), 1 << 53, (1 << 53) + 1]
FLOAT_EDGES = ["0.0", "-0.0", "1.5", "-2.25", "1e308", "3.0", "9007199254740992.0", "0.1"]

ints = st.one_of(st.sampled_from(INT_EDGES), st.integers(-1000, 1000),
                 st.integers(-(1 << 64), 1 << 64)).map(str)
floats = st.one_of(st.sampled_from(FLOAT_EDGES),
                   st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr))
atoms = st.one_of(st.sampled_from(["a", "b"]), ints, floats)

BINARY = ["+", "-", "*", "/", "rem", "mod", "min", "max", "%add", "%sub", "%mul", "%div"]
UNARY = ["-", "abs", "inc", "dec", "float"]
TESTS = ["<", ">", "<=", ">=", "=", "not="]


def expressions(leaves):
    def extend(inner):
        return st.one_of(
            st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"({t[0]} {t[1]})"),
            st.tuples(st.sampled_from(TESTS), inner, inner, inner, inner).map(
                lambda t: f"(if ({t[0]} {t[1]} {t[2]}) {t[3]} {t[4]})"),
            st.tuples(inner, inner).map(lambda t: f"(+ {t[0]} 1 {t[1]})"),
        )
    return st.recursive(leaves, extend, max_leaves=8)


args = st.one_of(ints, floats, st.sampled_from(["true", "nil"]))


def agree(src: str, fuel=None):
    a = run_program(src, "p.lisp", jit=0, fuel=fuel)
    b = run_program(src, "p.lisp", jit=1, fuel=fuel)
    assert (a.output, a.status, a.error_kind, a.error_text, a.ticks) == \
           (b.output, b.status, b.error_kind, b.error_text, b.ticks), src
    jit = b.vm.jit
    assert jit is None or jit.last_error is None, jit.last_error


def calls(name: str, pairs) -> str:
    return "\n".join(f"(println (protect ({name} {x} {y})))" for x, y in pairs)


# VMDBG_FUZZ_LONG=1 (see tests/conftest.py) runs fresh random examples, 50 times as many.
SETTINGS = settings(max_examples=2000 if os.environ.get("VMDBG_FUZZ_LONG") else 40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(expressions(atoms), st.lists(st.tuples(args, args), min_size=1, max_size=4))
def test_straight_line_and_branches(body, pairs):
    agree(f"(defn f [a b] {body})\n{calls('f', pairs)}")


@SETTINGS
@given(expressions(st.sampled_from(["acc", "i", "a"])), st.integers(0, 30), args,
       st.lists(st.tuples(st.integers(-3, 25).map(str), args), min_size=1, max_size=3))
def test_while_loops(step, n, a, pairs):
    src = (f"(defn g [n a] (var i 0) (var acc a)\n"
           f"  (while (< i n) (assign acc {step}) (assign i (+ i 1))) acc)\n"
           f"(println (protect (g {n} {a})))\n{calls('g', pairs)}")
    agree(src)


@SETTINGS
@given(expressions(st.sampled_from(["acc", "n", "1", "2.5"])),
       st.lists(st.tuples(st.integers(-2, 40).map(str), args), min_size=1, max_size=3))
def test_tail_recursion(step, pairs):
    src = (f"(defn r [n acc] (if (<= n 0) acc (r (- n 1) {step})))\n{calls('r', pairs)}")
    agree(src)


@SETTINGS
@given(expressions(st.sampled_from(["n", "a", "3"])),
       st.lists(st.tuples(st.integers(-2, 18).map(str), args), min_size=1, max_size=3))
def test_non_tail_recursion_and_helpers(step, pairs):
    src = (f"(defn h [n a] {step})\n"
           f"(defn s [n a] (if (<= n 0) a (+ (h n a) (s (- n 1) a))))\n"
           f"(defn t [n a] (if (< n 2) n (* (t (- n 1) a) (t (- n 2) a))))\n"
           f"{calls('s', pairs)}\n{calls('t', pairs)}")
    agree(src)


@SETTINGS
@given(st.integers(1, 3000), st.integers(8, 22))
def test_fuel_pauses_agree(fuel, n):
    src = ("(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n"
           f"(def fb (fiber/new (fn [] (fib {n})) :fuel))\n(fiber/set-fuel fb {fuel})\n"
           "(var r (fiber/resume fb)) (var pauses 0)\n"
           "(while (= (fiber/status fb) :paused) (assign pauses (+ pauses 1))"
           f" (fiber/set-fuel fb {fuel}) (assign r (fiber/resume fb)))\n(println r pauses)")
    agree(src)
    agree(src, fuel=fuel * 7)


INT_BINARY = ["+", "-", "*", "%add", "%sub", "%mul", "min", "max"]


def int_expressions(leaves):
    """Expressions that stay integers (or overflow into big integers): what tier 1 turns
    into the loop of `(+ x (f ...))` needs x to be known as an int."""
    def extend(inner):
        return st.one_of(
            st.tuples(st.sampled_from(INT_BINARY), inner, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(TESTS), inner, inner, inner, inner).map(
                lambda t: f"(if ({t[0]} {t[1]} {t[2]}) {t[3]} {t[4]})"),
        )
    return st.recursive(leaves, extend, max_leaves=6)


small_ints = st.one_of(st.sampled_from(INT_EDGES), st.integers(-50, 300)).map(str)


@SETTINGS
@given(int_expressions(st.one_of(st.sampled_from(["n", "a"]), small_ints)),
       int_expressions(st.one_of(st.sampled_from(["n", "a"]), small_ints)),
       st.lists(st.tuples(st.integers(-2, 60).map(str), small_ints), min_size=1, max_size=3),
       st.sampled_from([10_000, 30, 7]))
def test_sums_of_self_calls_agree(x, base, pairs, depth):
    """`(+ x (s ...))` and fib-like double recursion, with random int addends and bases,
    overflow, and depth limits that the recursion may reach."""
    src = (f"(defn s [n a] (if (<= n 0) {base} (+ {x} (s (- n 1) a))))\n"
           f"(defn d [n a] (if (< n 2) {base} (+ (d (- n 1) a) (d (- n 2) a))))\n"
           f"{calls('s', pairs)}\n{calls('d', [(min(int(n), 16), a) for n, a in pairs])}")
    a = run_program(src, "p.lisp", jit=0, max_depth=depth)
    b = run_program(src, "p.lisp", jit=1, max_depth=depth)
    assert (a.output, a.status, a.error_kind, a.error_text, a.ticks) == \
           (b.output, b.status, b.error_kind, b.error_text, b.ticks), src
