"""The heap budget (--max-heap, vm/heap.py): how much data a program may hold at once.

Many collections, each under --max-collection, still add up; the heap budget bounds what
the program can reach, in the same unit (elements, characters, pairs). A program that holds
too much gets a catchable `:size-limit` error before the allocation that would pass the
budget; one that builds and drops a lot runs on. The error comes at the same tick with
the same message in every tier, with and without fast paths, and under the debugger with
breakpoints, watches and reverse steps (observing is free).
"""

from __future__ import annotations

import pytest

from vm import execute
from vm.api import run_program
from vm.core import VM
from vm.heap import DEFAULT_MAX_HEAP, live_size
from vmdbg.cli import main
from vmdbg.core.session import Session

from test_fuzz import HAVE_JIT

# Holds 10 arrays of 5,000: 50,000 elements, more than a budget of 30,000.
HOARD = """(println :start)
(var kept @[])
(var i 0)
(while (< i 10)
  (push kept (range 5000))
  (assign i (+ i 1)))
(println :never)
"""

# Builds 1,000 arrays of 5,000 (5 million elements in all) and keeps none.
CHURN = """(var total 0)
(var i 0)
(while (< i 1000)
  (assign total (+ total (length (range 5000))))
  (assign i (+ i 1)))
(println total)
"""

# A list that only grows: cons cells count too.
CONS = """(var l ())
(var i 0)
(while true
  (assign l (pair i l))
  (assign i (+ i 1)))
"""

# The same 4,000-element array held 100 times: counted once.
SHARED = """(def a (range 4000))
(def holder @[])
(var i 0)
(while (< i 100) (push holder a) (assign i (+ i 1)))
(println (length holder))
"""

# Allocation inside a small function the fast paths run whole (vm/routines.py), called
# from a loop (vm/regions.py), and a string that doubles: every kind of charge.
MIXED = """(defn chunk [n] (range n))
(defn grow [s] (string s s))
(var keep @[])
(var s "ab")
(var i 0)
(while (< i 40)
  (push keep (chunk 700))
  (assign s (grow s))
  (if (> (length s) 3000) (assign s "ab"))
  (assign i (+ i 1)))
(println (length keep))
"""

BUDGET = 30_000


def outcome(text, **options):
    r = run_program(text, "prog.lisp", **options)
    return r.status, r.output, r.error_text, r.ticks


def test_holding_too_much_is_a_size_limit_error_at_the_allocation(capsys, tmp_path):
    path = tmp_path / "prog.lisp"
    path.write_text(HOARD, encoding="utf-8")
    status = main(["run", str(path), "--max-heap", str(BUDGET), "--jit", "0"])
    out, err = capsys.readouterr()
    assert status == 1 and out == "start\n"
    assert err.startswith("size-limit: range: 5,000 more elements would make the program's data ")
    assert f"over the limit of {BUDGET:,}" in err
    assert "prog.lisp:5:14" in err           # the (range 5000) that would pass it
    assert "Traceback" not in out + err


def test_the_error_is_catchable():
    text = HOARD.replace("(while", "(def [ok e] (protect (while").replace("(println :never)",
                                                                          "))\n(println ok \" \" e:error)")
    status, output, _, _ = outcome(text, max_heap=BUDGET)
    assert (status, output) == (0, "start\nfalse size-limit\n")


def test_building_and_dropping_runs_on():
    # 5 million elements built in all, never more than one 5,000-element array held.
    status, output, _, _ = outcome(CHURN, max_heap=BUDGET)
    assert (status, output) == (0, "5000000\n")


def test_cons_cells_count():
    status, _, error, _ = outcome(CONS, max_heap=BUDGET, fuel=2_000_000)
    assert status == 1 and error.startswith("size-limit: pair: ")


def test_shared_data_counts_once():
    status, output, _, _ = outcome(SHARED, max_heap=BUDGET)
    assert (status, output) == (0, "100\n")


def test_live_size_counts_what_the_program_reaches():
    vm = VM()
    vm.load('(def a (range 1000)) (def s "hello") (def pair-list (list 1 2 3)) (def twice [a a])', "p.lisp")
    vm.run()
    base = VM()
    base.load("(def a nil) (def s nil) (def pair-list nil) (def twice nil)", "p.lisp")
    base.run()
    # 1,001 for the array (its elements and itself), 5 characters, 3 pairs, and the tuple
    # of two, whose elements are the array already counted.
    assert live_size(vm) - live_size(base) == 1001 + 5 + 3 + 3


def test_the_default_budget_applies_and_is_in_help(capsys):
    assert VM().max_heap == DEFAULT_MAX_HEAP
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out.replace("\n", " ")
    assert "--max-heap N" in out and f"{DEFAULT_MAX_HEAP:,}" in out


@pytest.mark.parametrize("text", [HOARD, CHURN, MIXED, SHARED], ids=["hoard", "churn", "mixed", "shared"])
@pytest.mark.parametrize("budget", [BUDGET, 9_000])
def test_the_same_in_every_tier_and_with_or_without_fast_paths(text, budget, monkeypatch):
    plain = outcome(text, max_heap=budget)
    monkeypatch.setattr(execute, "FUSION", False)
    assert outcome(text, max_heap=budget) == plain
    monkeypatch.setattr(execute, "FUSION", True)
    if HAVE_JIT:
        assert outcome(text, max_heap=budget, jit=1) == plain
        assert outcome(text, max_heap=budget, jit=2) == plain


def session_outcome(s: Session):
    vm = s.vm
    return (vm.status, vm.output_text(), vm.tick,
            s.snapshot().error if vm.status == "error" else None)


@pytest.mark.parametrize("text", [HOARD, MIXED], ids=["hoard", "mixed"])
def test_observing_changes_nothing(text):
    """Breakpoints that stop, watches that allocate, single steps and reverse steps: the
    program ends as a plain session's does, at the same tick with the same error."""
    plain = Session.from_source(text, "prog.lisp", max_heap=9_000)
    plain.continue_()
    expected = session_outcome(plain)

    s = Session.from_source(text, "prog.lisp", max_heap=9_000)
    s.add_watch("(length (range 3000))")         # builds 3,000 elements at every stop
    bp = s.add_breakpoint(line=5 if text is HOARD else 7)
    for _ in range(4):
        s.continue_()
        s.step_instruction()
        s.step_back()
    s.remove_breakpoint(bp.id)
    s.continue_()
    assert session_outcome(s) == expected
    # Back a few thousand ticks, then on to the end again.
    s.goto_tick(max(0, s.vm.tick - 3_000))
    s.continue_()
    assert session_outcome(s) == expected
