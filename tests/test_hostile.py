"""Values a program builds in a few lines never make printing, hashing, equality or the
debugger's previews exponential (issue 18): work is counted, not timed, so a regression
shows up as a count that grows with the paths through a value instead of its nodes.
"""

from __future__ import annotations

import pytest

import vm.values as values
from vm.api import run_program
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


def test_a_value_that_contains_itself_is_still_a_catchable_error():
    out = run_program("(def a @[]) (push a a) (def b @[]) (push b b)\n"
                      "(println (protect (= a b)))", "self.lisp")
    assert out.status == 0 and "stack-overflow" in out.output


@pytest.mark.parametrize("program", [nested_sets(26), tower(40)])
def test_the_debugger_previews_hostile_locals_cheaply(monkeypatch, program):
    s = Session.from_source(program + "(def done 1)\n", "h.lisp")
    s.run_to(2)
    calls = counting(monkeypatch, "_print")
    snap = s.step_instruction()
    assert len(snap.stack) <= 64 and calls[0] <= 2_000
