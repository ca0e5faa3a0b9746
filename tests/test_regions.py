"""Regions (vm/regions.py) change nothing a user can see: stopped at any tick, the VM is in
the same state with and without them, errors point at the same form, watches still cannot
assign, and breakpoints inside compiled loops are hit."""

from __future__ import annotations

import pytest

from vm import execute
from vm.api import run_program
from vm.core import VM
from vm.regions import find_blocks, reachable, worth_it
from vm.values import preview
from vmdbg.core.session import Session

PROGRAMS = {
    "int loop": """
(defn count-up [n]
  (var i 0) (var acc 0)
  (while (< i n) (assign acc (+ acc i)) (assign i (+ i 1)))
  acc)
(println (count-up 300))
""",
    # A float arrives mid-loop: the region stops before the Add and the interpreter adds.
    "mixed numbers": """
(defn sum-to [n start]
  (var i 0) (var acc start)
  (while (<= i n) (assign acc (+ acc i)) (assign i (+ i 1)) (when (= i 40) (assign acc 0.5)))
  acc)
(println (sum-to 120 0) " " (sum-to 30 1.5))
""",
    # and/or/not/nil?: Dup and values left on the stack across blocks.
    "logic": """
(defn classify [n]
  (var i 0) (var hits 0)
  (while (< i n)
    (when (and (> i 3) (or (< i 50) (= i 77)) (not (nil? i)))
      (assign hits (- hits -1)))
    (assign i (+ i 1)))
  hits)
(println (classify 120))
""",
    # Top-level variables are globals; a counter closure keeps its count in a cell.
    "globals and cells": """
(var total 0)
(var k 0)
(while (< k 200) (assign total (+ total k)) (assign k (+ k 1)))
(defn make-counter [] (var c 0) (fn [] (assign c (+ c 1)) (assign c (+ c 1)) c))
(def tick (make-counter))
(var j 0)
(while (< j 100) (tick) (assign j (+ j 1)))
(println total " " (tick))
""",
    # A string reaches `<` in a compiled loop: the error names the comparison's form.
    "type error": """
(defn walk [xs]
  (var i 0) (var n 0)
  (while (< i 60) (assign n (+ n i)) (assign i (+ i 1)) (when (= i 60) (assign n "oops")))
  (while (< n 10000) (assign n (+ n 1)))
  n)
(println (walk []))
""",
    # `=` on values that contain themselves raises inside a hot function's region: the
    # error must come from the `=` form at the same tick as without regions.
    "deep equality": """
(def a @[1]) (push a a) (def b @[1]) (push b b)
(defn same? [x y] (= x y))
(println (same? 1 1) (same? 2 3) (same? :k :k) (same? [1] [1]))
(println (same? a b))
""",
    # `not` of a comparison used as an operand: the region once wrote `t + not (0 < 0)`,
    # a Python SyntaxError (found by the long fuzz).
    "not as an operand": """
(println (= (+ (let [@i1 0] (while (< i1 3) (when 0 0) 0 (assign i1 (+ i1 1))) i1) 0) (not (< 0 0))))
""",
    "recursion": """
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(println (fib 14))
""",
}


def state(vm):
    fiber = vm.current
    frames = fiber.frames if fiber is not None else []
    return (vm.tick, vm.status, len(frames),
            [(f.func.name, f.ip, [preview(v) for v in f.stack], [preview(v) for v in f.locals])
             for f in frames])


def stops(text, fusion, strides, state=state, most=20_000, jit=0):
    """The VM's state (as `state` sees it) at every stop of a run cut into slices of the
    given lengths (with the JIT at threshold `jit`, 0 for off)."""
    old = execute.FUSION
    execute.FUSION = fusion
    try:
        vm = VM(jit=jit)
        vm.load(text, "prog.lisp")
        seen = []
        i = 0
        while not vm.halted:
            vm.run(vm.tick + strides[i % len(strides)])
            seen.append(state(vm))
            i += 1
            assert i < most
        return seen, vm
    finally:
        execute.FUSION = old


# Slices long enough for the fast loop (and so regions) to run, of lengths that put the
# limit at every offset of the loop bodies.
STRIDES = [5, 6, 7, 9, 13, 8, 11, 17, 10, 23, 12, 31, 14, 6, 19, 47, 15]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_stop_is_the_same_with_and_without_regions(name):
    with_regions, vm_on = stops(PROGRAMS[name], True, STRIDES)
    without, vm_off = stops(PROGRAMS[name], False, STRIDES)
    assert with_regions == without
    assert "".join(vm_on.output) == "".join(vm_off.output)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_whole_runs_are_the_same(name):
    results = []
    for fusion in (True, False):
        old = execute.FUSION
        execute.FUSION = fusion
        try:
            out = run_program(PROGRAMS[name], "prog.lisp")
        finally:
            execute.FUSION = old
        results.append((out.output, out.status, out.error_text, out.ticks))
    assert results[0] == results[1]
    if name == "type error":
        assert results[0][1] == 1 and "prog.lisp:5:" in results[0][2]
    elif name == "deep equality":
        assert results[0][0] == "truefalsetruetrue\n"
        assert results[0][1] == 1 and "stack-overflow" in results[0][2] and "prog.lisp:3:" in results[0][2]
    else:
        assert results[0][1] == 0


def test_the_loops_really_are_regions():
    """The programs above exercise regions: their loops get one (else the tests prove nothing)."""
    vm = VM()
    vm.load(PROGRAMS["int loop"], "prog.lisp")
    func = next(f for f in vm.main.all_functions() if f.name == "count-up")
    blocks = find_blocks(func.plain)
    loop_heads = [s for s in blocks if any(s in b.succ for b in reachable(blocks, s)[1:])]
    assert loop_heads and all(worth_it(reachable(blocks, s)) for s in loop_heads)
    vm.run()
    assert any(e is not None and e[0] == execute.FUSED_REGION and getattr(e[1], "source", None)
               for e in func.decoded), "the loop ran without its region compiled"


def test_a_breakpoint_inside_a_compiled_loop_is_hit_and_removing_it_restores_the_region():
    text = PROGRAMS["int loop"] + "(println (count-up 50))\n"
    s = Session.from_source(text, "prog.lisp")
    first = s.add_breakpoint(line=5)    # `acc` after the first call's loop: it has run hot
    snap = s.continue_()
    assert snap.reason == "breakpoint" and snap.line == 5
    s.remove_breakpoint(first.id)
    bp = s.add_breakpoint(line=4)       # the loop, now compiled
    snap = s.continue_()
    assert snap.reason == "breakpoint" and snap.line == 4
    hits = 1
    while True:
        snap = s.continue_()
        if snap.reason != "breakpoint" or snap.line != 4:
            break
        hits += 1
    assert hits == 51                   # 50 iterations and the test that ends the loop
    assert snap.reason == "finished"
    assert snap.output == "44850\n1225\n"
    s.remove_breakpoint(bp.id)
    func = next(f for f in s.vm.main.all_functions() if f.name == "count-up")
    assert any(e is not None and e[0] == execute.FUSED_REGION for e in func.decoded)


def test_a_watch_cannot_assign_through_a_compiled_region():
    text = """
(var g 0)
(defn bump [] (assign g (+ g 1)) (assign g (+ g 1)) g)
(bump) (bump) (bump)
(println g)
"""
    s = Session.from_source(text, "prog.lisp")
    s.add_breakpoint(line=5)
    snap = s.continue_()
    assert snap.reason == "breakpoint"
    ok, text_ = s.evaluate("(bump)")
    assert not ok and "watch cannot assign" in text_
    assert s.evaluate("g") == (True, "6")
    assert s.continue_().output == "6\n"


def test_literal_conditions_compile_without_python_warnings(recwarn):
    """Constant tests (`(if 5 ...)`, `(not nil)`, `(nil? false)`) are folded: Python would
    print a SyntaxWarning for `5 is None` to the user's terminal."""
    text = """
(defn f [n]
  (var i 0) (var hits 0)
  (while (< i n)
    (when 5 (assign hits (+ hits 1)))
    (when (not nil) (assign hits (+ hits 1)))
    (when (nil? false) (assign hits (+ hits 100)))
    (when (and true (not 7)) (assign hits (+ hits 1000)))
    (assign i (+ i 1)))
  hits)
(println (f 50))
"""
    out = run_program(text, "prog.lisp")
    assert out.output == "100\n"
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]
