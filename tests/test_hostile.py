"""Values a program builds in a few lines never make printing, hashing, equality or the
debugger's previews exponential (issue 18): work is counted, not timed, so a regression
shows up as a count that grows with the paths through a value instead of its nodes.
"""

from __future__ import annotations

import pytest

import vm.values as values
import vm.primitives.order as order
from vm.api import run_program
from vm.primitives.order import compare_values
from vmdbg.core import Session

# The programs build 26 and 40 levels; the counting tests use 12, so that the
# exponential behaviour they guard against shows as a count (4,096 and up), not a hang.
def nested_sets(depth: int) -> str:
    return f"(var d 1) (var i 0) (while (< i {depth}) (assign d |d|) (assign i (+ i 1)))\n"


def tower(depth: int) -> str:
    return f"(var d 1) (var i 0) (while (< i {depth}) (assign d [d d]) (assign i (+ i 1)))\n"


def two_towers(depth: int) -> str:
    return ("(var d 1) (var e 1) (var i 0)\n"
            f"(while (< i {depth}) (assign d [d d]) (assign e [e e]) (assign i (+ i 1)))\n")


def counting(monkeypatch, name: str) -> list:
    """Count calls of vm.values.<name> (its recursion goes through the module global)."""
    calls = [0]
    real = getattr(values, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(values, name, counted)
    return calls


def test_printing_nested_sets_costs_their_depth(monkeypatch):
    calls = counting(monkeypatch, "preview")
    out = run_program(nested_sets(12) + "(println d)", "sets.lisp")
    assert out.output == "|" * 12 + "1" + "|" * 12 + "\n"
    assert calls[0] <= 2 * 12          # 2^12 previews before
    out = run_program(nested_sets(26) + "(println (length (string d)))", "sets.lisp")
    assert out.output == "53\n"


def test_hashing_shared_parts_costs_their_nodes(monkeypatch):
    calls = counting(monkeypatch, "_bounded_hash")
    out = run_program(tower(12) + "(def m @{}) (put m d 1) (println (get m d))", "t.lisp")
    assert out.output == "1\n"
    assert calls[0] <= 12 * 13          # 2^13 per hash before
    # The programs: an @array holding itself twice (2^32 before), a 40-level key.
    out = run_program("(def a @[]) (push a a) (push a a) (println (get {} a))", "a.lisp")
    assert out.output == "nil\n"
    out = run_program(tower(40) + "(def m @{}) (put m d 1) (println (get m d))", "t.lisp")
    assert out.output == "1\n"


def test_a_struct_that_is_its_own_key_and_value():
    out = run_program("(def m @{}) (put m m m) (println (length m)) (println (= m (get m m)))", "m.lisp")
    assert out.output.splitlines()[0] == "1"


def test_equality_of_shared_towers_costs_their_nodes(monkeypatch):
    calls = counting(monkeypatch, "_equal")
    out = run_program(two_towers(12) + "(println (= d e)) (assign e [e 2]) (println (= d e))", "eq.lisp")
    assert out.output == "true\nfalse\n"
    assert calls[0] <= 6 * 13           # 2^13 before
    out = run_program(two_towers(40) + "(println (= d e))", "eq.lisp")
    assert out.output == "true\n"


def test_equality_of_nested_sets_costs_their_nodes(monkeypatch):
    # Python compares two sets' members itself, through their __eq__; that comparison
    # shares the outer one's memo, so a set reached through two members of the set that
    # holds it is compared once (2^n before).
    calls = counting(monkeypatch, "_equal")
    program = ("(var d 1) (var e 1) (var i 0)\n"
               "(while (< i {n}) (assign d |[d] [d d] i|) (assign e |[e] [e e] i|) (assign i (+ i 1)))\n"
               "(println (= d e)) (println (= d |[e] [e e] 99|))")
    out = run_program(program.format(n=10), "sets.lisp")
    assert out.output == "true\nfalse\n"
    assert calls[0] <= 12 * 11
    assert run_program(program.format(n=40), "sets.lisp").output == "true\nfalse\n"


def test_ordering_shared_towers_costs_their_nodes():
    with Counts("compare_values", module=order) as calls:
        out = run_program(two_towers(12) + "(println (compare d e)) (println (length (sort [d e d e])))\n"
                          "(println (compare {:a d} {:a e})) (println (compare |d| |e|))\n"
                          "(assign e [e 2]) (println (compare d e))", "cmp.lisp")
    assert out.output == "0\n4\n0\n0\n-1\n"
    assert calls["compare_values"] <= 20 * 13          # 2^13 and up before
    out = run_program(two_towers(40) + "(println (compare d e)) (println (length (sort [d e d e])))", "cmp.lisp")
    assert out.output == "0\n4\n"


def test_ordering_nested_sets_sorts_each_set_once():
    # Sets of sets: ordering a set's members compares sets, whose members are ordered in
    # turn; each set is ordered once per comparison, not once per path that reaches it.
    program = ("(var d 1) (var e 1) (var i 0)\n"
               "(while (< i {n}) (assign d |d [d] i|) (assign e |e [e] i|) (assign i (+ i 1)))\n"
               "(println (compare d e)) (println (compare [d 1] [e 2]))")
    with Counts("compare_values", module=order) as calls:
        out = run_program(program.format(n=10), "sets.lisp")
    assert out.output == "0\n-1\n"
    assert calls["compare_values"] <= 60 * 11
    assert run_program(program.format(n=40), "sets.lisp").output == "0\n-1\n"


def test_a_value_that_contains_itself_is_still_a_catchable_error():
    out = run_program("(def a @[]) (push a a) (def b @[]) (push b b)\n"
                      "(println (protect (= a b))) (println (protect (compare a b)))", "self.lisp")
    assert out.status == 0 and out.output.count("stack-overflow") == 2


@pytest.mark.parametrize("program", [nested_sets(26), tower(40)])
def test_the_debugger_previews_hostile_locals_cheaply(monkeypatch, program):
    s = Session.from_source(program + "(def done 1)\n", "h.lisp")
    s.run_to(2)
    calls = counting(monkeypatch, "_print")
    snap = s.step_instruction()
    assert len(snap.stack) <= 64 and calls[0] <= 2_000


# -- a property: any value with sharing costs its distinct nodes ------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from vm.values import (Array, Cell, LSet, Pair, Struct, display, hash_key, kw,  # noqa: E402
                       preview, values_equal)

KINDS = ("array", "@array", "list", "struct", "@struct", "set", "box")


@st.composite
def recipes(draw):
    """A recipe for a value with sharing: node i is a container of earlier nodes (mostly the
    last few, so towers 30 to 60 levels high are common: 2^60 paths through 60 nodes), and
    perhaps an @array that holds itself."""
    n = draw(st.integers(1, 60))
    steps = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        k = 1 if kind == "box" else draw(st.integers(1, 3))
        kids = [draw(st.integers(max(-1, i - 3), i - 1)) for _ in range(k)]
        steps.append((kind, kids))
    cyclic = draw(st.booleans()) and any(kind == "@array" for kind, _ in steps)
    return steps, cyclic


def build(recipe):
    """(value, edges): the recipe's last node, and how many child references it has."""
    steps, cyclic = recipe
    nodes, edges = [], 0
    for i, (kind, kids) in enumerate(steps):
        parts = [nodes[j] if j >= 0 else i for j in kids]   # -1: a leaf (the integer i)
        edges += len(parts)
        if kind in ("array", "@array"):
            v = Array(list(parts), kind == "@array")
        elif kind == "list":
            v = Pair(parts[-1], EMPTY_LIST)
            for x in reversed(parts[:-1]):
                v = Pair(x, v)
        elif kind in ("struct", "@struct"):
            v = Struct({kw("abc"[j]): x for j, x in enumerate(parts)}, kind == "@struct")
        elif kind == "set":
            v = LSet({hash_key(x) for x in parts})
        else:
            v = Cell(parts[0])
        nodes.append(v)
    if cyclic:
        selfish = next(v for v in nodes if type(v) is Array and v.mutable)
        selfish.items.append(selfish)         # built after hashing sets: content may change
        edges += 1
    return nodes[-1], edges + 1


EMPTY_LIST = values.EMPTY


class Counts:
    """Count calls of some functions of vm.values (or another module) inside a `with`
    (hypothesis runs many examples per test function, so monkeypatch's per-test undo comes
    too late)."""

    def __init__(self, *names, module=values):
        self.names = names
        self.module = module
        self.calls = dict.fromkeys(names, 0)

    def __enter__(self):
        self.real = {name: getattr(self.module, name) for name in self.names}
        for name, real in self.real.items():
            def counted(*args, _name=name, _real=real, **kwargs):
                self.calls[_name] += 1
                return _real(*args, **kwargs)
            setattr(self.module, name, counted)
        return self.calls

    def __exit__(self, *exc):
        for name, real in self.real.items():
            setattr(self.module, name, real)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(recipes())
def test_values_with_sharing_print_hash_compare_and_preview_within_a_budget(recipe):
    v, edges = build(recipe)
    w, _ = build(recipe)                      # built again: equal, sharing nothing with v
    cyclic = recipe[1]
    with Counts("_print") as calls:
        try:
            display(v, 100_000)
        except RecursionError:
            assert cyclic
        except values.LispError as e:
            assert e.kind == "size-limit"     # 2^60 leaves: stops once a part is too long
        # Each container printed once, each reference to it a memo hit; a set's members are
        # ordered by a preview of at most 200 characters, once per member.
        assert cyclic or calls["_print"] <= 2 * edges + 2 + 250 * len(recipe[0])
    with Counts("_print") as calls:
        assert len(preview(v, 200)) <= 200 and calls["_print"] <= 2_000
    if type(v) is Cell:
        return
    with Counts("_bounded_hash") as calls:
        hash(v)
        assert calls["_bounded_hash"] <= (values._HASH_DEPTH + 1) * (edges + 1)
    with Counts("_equal") as calls:
        try:
            # Boxes compare by identity: two builds are equal only without them.
            assert values_equal(v, w) or cyclic or any(k == "box" for k, _ in recipe[0])
        except values.LispError as e:
            assert cyclic and e.kind == "stack-overflow"
        assert cyclic or calls["_equal"] <= 4 * (edges + 1)
    with Counts("compare_values", module=order) as calls:
        try:
            assert compare_values(v, w) == 0 or cyclic or any(k == "box" for k, _ in recipe[0])
        except RecursionError:
            assert cyclic
        # Equal pairs are walked once and each set or struct is ordered once; ordering a
        # set's k members takes about k log k comparisons, each of which walks at most one
        # path of unequal parts down to where they differ.
        assert cyclic or calls["compare_values"] <= 40 * (edges + 1) * len(recipe[0])


# -- printing whole: shared parts once, a cap before the text is built -----------------------


def test_printing_a_tower_stops_at_the_size_limit(monkeypatch):
    calls = counting(monkeypatch, "_print")
    out = run_program(tower(12) + "(println (length (string d)))", "t.lisp")
    assert out.output == f"{4 * 2 ** 12 - 3}\n"      # a level is "[" + 2 of the last + " ]"
    assert calls[0] <= 3 * 13
    # 2^40 leaves: the text would be terabytes; the limit stops it at about its size.
    for jit in (0, 1):
        out = run_program(tower(40) + "(println d)", "t.lisp", jit=jit)
        assert (out.status, out.error_kind, out.output) == (1, "size-limit", "")
    out = run_program(tower(40) + "(println (protect (string d)))", "t.lisp", max_collection=1000)
    assert out.status == 0 and "size-limit" in out.output and "1000" in out.output
    out = run_program(tower(40) + "(println d)", "t.lisp", max_output=500)
    assert (out.status, out.error_kind) == (1, "output-limit")


def test_error_messages_of_huge_values_are_bounded():
    out = run_program(tower(40) + "(error d)", "t.lisp")
    assert out.status == 1 and len(out.error_text) < 2_000


# -- the JIT: the program is scanned once, not once per compile --------------------------------


def test_store_counts_scan_the_program_once(monkeypatch):
    pytest.importorskip("llvmlite")
    from vm.jit import analyse
    scans = [0]
    real = analyse._scan_stores

    def counted(main):
        scans[0] += 1
        return real(main)

    monkeypatch.setattr(analyse, "_scan_stores", counted)
    n = 40
    text = "".join(f"(defn f{i} [x] (+ x {i}))\n" for i in range(n))
    text += "(var t 0)\n" + "".join(f"(assign t (+ t (f{i} 1) (f{i} 2) (f{i} 3)))\n" for i in range(n))
    text += "(defn g [x] x) (def g2 g)\n(println t)\n"
    out = run_program(text, "many.lisp", jit=1)
    assert out.output == f"{sum(3 * i + 6 for i in range(n))}\n"
    engine = out.vm.jit
    assert engine is not None and scans[0] == 1
    # The same answer as a scan of the whole program.
    assert analyse.store_counts(out.vm) == real(out.vm.main)


def test_a_long_run_of_calls_compiles_each_block_about_once(monkeypatch):
    # Every point after a call may start a region of up to MAX_BLOCKS blocks; while the
    # callees are not routines yet, control arrives at each of them. 1,600 calls in a row
    # run 10 times compiled 1,600 regions (15 s); each block now goes into about one.
    import vm.regions as regions
    n = 240
    text = "".join(f"(defn f{i} [x] (+ x {i}))\n" for i in range(n))
    text += ("(var t 0) (var j 0)\n(while (< j 10)\n"
             + "".join(f"  (assign t (f{i} t))\n" for i in range(n)) + "  (assign j (+ j 1)))\n(println t)\n")
    with Counts("compile_region", module=regions) as calls:
        out = run_program(text, "calls.lisp")
    assert out.output == f"{10 * sum(range(n))}\n"
    assert 0 < calls["compile_region"] <= 3 * n // regions.MAX_BLOCKS + 10     # n before
    from vm import execute
    monkeypatch.setattr(execute, "FUSION", False)
    plain = run_program(text, "calls.lisp")
    assert (plain.output, plain.ticks) == (out.output, out.ticks)


def test_printing_a_long_collection_stops_at_the_limit(monkeypatch):
    calls = counting(monkeypatch, "_print")
    # 900 elements (under the limit) whose printed form is far longer than the limit.
    for text in ('(def a (array/new 900 "0123456789")) (println (protect (string a)))',
                 "(def a @{}) (var i 0) (while (< i 900) (put a i [i i i]) (assign i (+ i 1)))"
                 " (println (protect (string a)))"):
        calls[0] = 0
        out = run_program(text, "long.lisp", max_collection=1000)
        assert out.status == 0 and "size-limit" in out.output, out.error_text
        assert calls[0] <= 2_000
