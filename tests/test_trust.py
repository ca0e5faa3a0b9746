"""The debugger says true things: one test per defect found by trying it as a user would
(issue 11): fuel accounting under non-stopping breakpoints, conditions that raise, the
stop at a catchpoint, the fuel gauge's budget, fibers waiting in fiber/resume, the JIT
page before the first compile, and ctrl+c in `vmdbg trace` and `vmdbg jit`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from vm.api import run_program
from vmdbg.core import Session

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FUEL_LOOP = textwrap.dedent("""\
    (defn work []
      (var i 0)
      (while (< i 100)
        (assign i (+ i 1)))
      i)
    (def f (fiber/new work :fuel))
    (fiber/set-fuel f 50)
    (var pauses 0)
    (fiber/resume f)
    (while (not= (fiber/status f) :dead)
      (assign pauses (+ pauses 1)) (fiber/set-fuel f 50) (fiber/resume f))
    (println (string "pauses " pauses))
    """)


@pytest.mark.parametrize("options", [{"condition": "false"}, {"log_message": "i is {i}"},
                                     {"hit_count": 1_000_000}])
def test_breakpoints_that_do_not_stop_leave_fuel_alone(options):
    plain = run_program(FUEL_LOOP, "fuel.lisp")
    assert plain.output == "pauses 16\n"
    for interval in (50_000, 7):        # checkpoints (which settle fuel) now and then, or often
        s = Session.from_source(FUEL_LOOP, "fuel.lisp", checkpoint_interval=interval)
        s.add_breakpoint(line=4, **options)
        snap = s.continue_()
        assert (snap.reason, s.vm.output_text(), snap.tick) == ("finished", plain.output, plain.ticks)


def test_fuel_is_the_same_after_going_back_and_forth():
    plain = run_program(FUEL_LOOP, "fuel.lisp")
    s = Session.from_source(FUEL_LOOP, "fuel.lisp", checkpoint_interval=7)
    s.add_breakpoint(line=4, condition="false")
    for tick in (100, 40, 700, 300, 1000, 5):
        s.goto_tick(tick)
        fuel = [(f.id, f.fuel) for f in s.snapshot().fibers]
        fresh = Session.from_source(FUEL_LOOP, "fuel.lisp")
        fresh.goto_tick(tick)
        assert [(f.id, f.fuel) for f in fresh.snapshot().fibers] == fuel, tick
    assert (s.continue_().tick, s.vm.output_text()) == (plain.ticks, plain.output)


SQUARE = textwrap.dedent("""\
    (defn f [x]
      (var sq (* x x))
      (+ sq 1))
    (println (f 3))
    (println (f 4))
    """)


def test_a_condition_that_raises_stops_and_says_why():
    s = Session.from_source(SQUARE, "sq.lisp")
    s.add_breakpoint(line=3, condition='(+ sq "a")')
    snap = s.continue_()
    assert (snap.reason, snap.line, snap.frames[0].locals["sq"]) == ("breakpoint", 3, "9")
    assert snap.message == ('error in the condition of breakpoint 1 (line 3): (+ sq "a"): '
                            'type-error: +: expected a number, got "a"')
    snap = s.continue_()
    assert snap.frames[0].locals["sq"] == "16" and "type-error" in snap.message
    snap = s.continue_()
    assert (snap.reason, snap.message, snap.output) == ("finished", "", "10\n17\n")


GENERATOR = textwrap.dedent("""\
    (defn gen []
      (yield 42)
      (yield 43)
      :done)
    (def f (fiber/new gen :yield))
    (println (fiber/resume f))
    (println (fiber/resume f))
    """)


def test_a_catchpoint_stops_at_the_emit_with_its_payload_on_the_stack():
    s = Session.from_source(GENERATOR, "gen.lisp")
    s.add_breakpoint(signal=":yield")
    snap = s.continue_()
    assert (snap.reason, snap.fiber_id, snap.line) == ("signal", 1, 2)
    assert "Emit" in snap.instruction and snap.ip == snap.frames[0].ip
    assert snap.stack[-1] == "42"
    assert snap.explanation == ("Emit :yield with payload 42: next, fiber #1's mask catches it; "
                                "fiber #0's fiber/resume returns it")
    # Stepping the Emit is its delivery: the resumer has the payload, nothing else ran.
    tick = snap.tick
    snap = s.step_instruction()
    assert (snap.reason, snap.fiber_id, snap.tick, snap.stack[-1]) == ("step", 0, tick, "42")
    assert snap.output == ""
    # Back again, the Emit is where it was, its operand still on the stack.
    snap = s.step_back()
    assert (snap.fiber_id, snap.stack[-1]) == (1, "42") and "Emit" in snap.instruction


def test_an_error_catchpoint_shows_the_failing_instruction_and_that_it_ends_the_program():
    s = Session.from_source("(defn f [x]\n  (+ x 1))\n(f :a)\n", "err.lisp")
    s.add_breakpoint(signal=":error")
    snap = s.continue_()
    assert (snap.reason, snap.line) == ("signal", 2)
    assert snap.explanation.endswith("next, no mask catches it, so it ends the program")
    assert "expected a number, got :a" in snap.explanation


def test_the_fuel_gauge_knows_the_budget_that_was_set():
    text = textwrap.dedent("""\
        (def w (fiber/new (fn [] (var i 0) (while true (assign i (+ i 1)))) :fuel))
        (fiber/set-fuel w 30)
        (fiber/resume w)
        (println :out)
        """)
    s = Session.from_source(text, "w.lisp")
    s.add_breakpoint(signal=":fuel")
    snap = s.continue_()
    worker = next(f for f in snap.fibers if f.id == 1)
    assert (worker.fuel, worker.fuel_budget) == (0, 30)
    s = Session.from_source(text, "w.lisp", fuel=500)
    assert s.snapshot().fibers[0].fuel_budget == 500


def test_a_fiber_blocked_in_resume_says_what_it_waits_on():
    s = Session.from_source(GENERATOR, "gen.lisp")
    s.add_breakpoint(line=2)
    snap = s.continue_()
    main, gen = snap.fibers[0], snap.fibers[1]
    assert (main.status, main.waiting_for, gen.waiting_for) == ("alive", 1, None)
    snap = s.step_over()        # the yield: fiber #0 runs again and waits on nobody
    assert snap.current_fiber_id == 0 and snap.fibers[0].waiting_for is None


def test_the_jit_page_before_the_first_compile_says_the_jit_is_on():
    s = Session.from_source("(defn f [x] (+ x 1))\n(f 1)\n(f 2)\n", "f.lisp", jit=3)
    snap = s.snapshot()
    assert snap.jit_threshold == 3
    assert snap.functions == (("f", "interp", "0 of 3 calls before it compiles"),)
    assert Session.from_source("(+ 1 2)", "g.lisp").snapshot().jit_threshold == 0


def interrupt(args: list[str], after: float = 1.0):
    """Start `python -m vmdbg ARGS`, press ctrl+c once it runs, and return what it said."""
    p = subprocess.Popen([sys.executable, "-m", "vmdbg", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(after)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    return p.returncode, out, err


def test_ctrl_c_in_trace_says_where_and_exits_130(tmp_path):
    path = tmp_path / "loop.lisp"
    path.write_text("(var i 0)\n(while true (assign i (+ i 1)))\n")
    status, out, err = interrupt(["trace", str(path), "--limit", "100000000"])
    assert status == 130 and "Traceback" not in err
    assert f"interrupted at {path}:2:" in err and "(tick " in err


def test_ctrl_c_in_jit_says_it_was_interrupted(tmp_path):
    path = tmp_path / "loop.lisp"
    path.write_text("(var i 0)\n(while true (assign i (+ i 1)))\n")
    status, out, err = interrupt(["jit", str(path)])
    assert status == 130 and "Traceback" not in err
    assert "interrupted at" in err
    # The loop ran natively (--jit N compiles hot loops on their own): ctrl+c reached it,
    # and what was compiled is listed.
    assert "=== main loop line 2" in out
    path.write_text("(defn spin [] (var i 0) (while true (assign i (+ i 1))))\n(spin)\n")
    status, out, err = interrupt(["jit", "--jit", "5", str(path)])
    assert status == 130 and "Traceback" not in err


def test_a_breakpoint_arrived_at_by_going_to_a_tick_still_counts_when_continuing():
    """A logpoint on the very instruction a goto (or a pause) lands on is evaluated when the
    run goes on, so its hits and messages are those of an uninterrupted run."""
    src = "(var i 0)\n(while (< i 5)\n  (assign i (+ i 1)))\n(println i)\n"
    s = Session.from_source(src, "p.lisp")
    s.add_breakpoint(line=3, log_message="i={i}")
    whole = s.continue_().output
    ticks = list(s.breakpoints[1].hit_ticks)
    assert whole.count("i=") == 5
    for tick in (ticks[2], ticks[0], 0):
        s = Session.from_source(src, "p.lisp")
        s.add_breakpoint(line=3, log_message="i={i}")
        s.goto_tick(tick)
        assert s.continue_().output == whole, tick
    s.goto_tick(ticks[3])                     # back in time, then on again
    assert s.continue_().output == whole
