"""The debugging core without any UI: every Session command and every stop reason.

Programs are written inline; a line that a test refers to carries a `# @name` marker
comment and the test looks its number up with `line_of`, so edits to a program do not
silently shift what a test checks. Nothing here asserts on an exact tick count the
compiler decides (superinstructions and code generation change them); ticks are compared
with ticks the same test measured.
"""

from __future__ import annotations

import dataclasses
import random
import textwrap
import threading
import time
from pathlib import Path

import pytest

from vm.api import run_program
from vm.errors import SourceError
from vmdbg.core.session import Session
from vmdbg.core.snapshot import MAX_FRAMES, MAX_STACK, PREVIEW

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "vmdbg" / "examples"
PROGRAMS = ROOT / "tests" / "programs"
FILENAME = "prog.lisp"
STOP_REASONS = {"entry", "step", "reverse step", "goto", "breakpoint", "signal", "error", "pause", "finished",
                "fuel"}


def program(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def session(text: str, **options) -> Session:
    return Session.from_source(program(text), FILENAME, **options)


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the line carrying `# @marker`."""
    for number, line in enumerate(program(text).splitlines(), 1):
        if line.rstrip().endswith("# @" + marker):
            return number
    raise AssertionError(f"no line marked @{marker}")


def run_to_end(s: Session, limit: int = 1000):
    """Continue until the program ends; returns every snapshot on the way."""
    snaps = []
    for _ in range(limit):
        snap = s.continue_()
        snaps.append(snap)
        if snap.reason in ("finished", "error", "fuel"):
            return snaps
    raise AssertionError("the program did not end")


def state(snap, instruction: bool = True) -> tuple:
    """What reverse execution must reproduce exactly: where, stack, every frame's locals,
    output and every fiber."""
    return (snap.tick, snap.fiber_id, snap.function, snap.line, snap.column, snap.ip,
            snap.instruction if instruction else None, snap.stack, snap.stack_size, snap.frame_count,
            tuple((f.function, f.line, f.ip, tuple(sorted(f.locals.items()))) for f in snap.frames),
            snap.output,
            tuple((f.id, f.function, f.status, f.mask, f.fuel, f.bits, f.payload, f.parent,
                   f.child, f.depth, f.caught_by) for f in snap.fibers))


def describe_difference(got, expected) -> str:
    names = ("tick", "fiber", "function", "line", "column", "ip", "instruction", "stack",
             "stack_size", "frame_count", "frames", "output", "fibers")
    return "; ".join(f"{n}: got {g!r}, expected {e!r}"
                     for n, g, e in zip(names, got, expected) if g != e)


# -- entry and snapshots ---------------------------------------------------------------

SIMPLE = """
(defn add [a b]
  (+ a b))                 # @add-body
(def x 10)                 # @def-x
(def y (add x 5))          # @def-y
(println y)                # @print-y

(println (add y 1))        # @print-add
"""


def test_entry_snapshot_is_before_the_first_instruction():
    s = session(SIMPLE)
    snap = s.snapshot()
    assert snap.reason == "entry"
    assert snap.status == "paused"
    assert snap.tick == 0
    assert (snap.fiber_id, snap.current_fiber_id, snap.inspecting) == (0, 0, False)
    assert snap.function == "main" and snap.line == 1 and snap.column == 1
    assert snap.ip == 0
    assert "MakeClosure" in snap.instruction
    assert snap.explanation.startswith("MakeClosure: ")
    assert snap.stack == () and snap.stack_size == 0
    assert [f.function for f in snap.frames] == ["main"]
    assert snap.frames[0].tier == "interp"
    assert [(f.id, f.status) for f in snap.fibers] == [(0, "alive")]
    assert snap.output == ""
    assert snap.watches == {} and snap.breakpoints == ()


def test_snapshots_are_immutable_and_never_change_afterwards():
    s = session(SIMPLE)
    s.add_breakpoint(line=line_of(SIMPLE, "add-body"))
    first = s.continue_()
    kept = state(first)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.tick = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.frames[0].ip = 99
    assert isinstance(first.stack, tuple) and isinstance(first.frames, tuple)
    for _ in range(5):
        s.step_instruction()
    s.continue_()
    assert state(first) == kept


def test_from_file_and_compile_errors(tmp_path):
    path = tmp_path / "ok.lisp"
    path.write_text("(println 1)\n")
    s = Session.from_file(str(path))
    assert s.snapshot().file == str(path)
    assert s.continue_().output == "1\n"
    bad = tmp_path / "bad.lisp"
    bad.write_text("(println nope)\n")
    with pytest.raises(SourceError):
        Session.from_file(str(bad))
    with pytest.raises(SourceError):
        Session.from_source("(let [x 1]", "broken.lisp")


# -- breakpoints -------------------------------------------------------------------------

def test_line_breakpoint_stops_with_locals():
    s = session(SIMPLE)
    bp = s.add_breakpoint(line=line_of(SIMPLE, "add-body"))
    assert bp.verified
    snap = s.continue_()
    assert snap.reason == "breakpoint"
    assert (snap.function, snap.line) == ("add", line_of(SIMPLE, "add-body"))
    assert snap.frames[0].locals == {"a": "10", "b": "5"}
    assert [f.function for f in snap.frames] == ["add", "main"]
    assert snap.frames[1].line == line_of(SIMPLE, "def-y")
    info = snap.breakpoints[0]
    assert (info.id, info.kind, info.verified, info.hits) == (bp.id, "line", True, 1)
    assert info.locations[0][0] == "add"
    snap = s.continue_()
    assert snap.reason == "breakpoint" and snap.frames[0].locals == {"a": "15", "b": "1"}
    assert snap.output == "15\n"
    snap = s.continue_()
    assert snap.reason == "finished" and snap.status == "finished"
    assert snap.output == "15\n16\n"


def test_unresolvable_lines_are_reported_not_dropped():
    s = session(SIMPLE)
    blank = program(SIMPLE).splitlines().index("") + 1
    bps = [s.add_breakpoint(line=blank), s.add_breakpoint(line=500),
           s.add_breakpoint(line=line_of(SIMPLE, "def-x"))]
    snap = s.snapshot()
    assert [b.id for b in snap.breakpoints] == [b.id for b in bps]
    by_id = {b.id: b for b in snap.breakpoints}
    for bad in bps[:2]:
        assert not by_id[bad.id].verified
        assert "no code" in by_id[bad.id].message
        assert by_id[bad.id].locations == ()
    assert by_id[bps[2].id].verified
    snap = s.continue_()
    assert (snap.reason, snap.line) == ("breakpoint", line_of(SIMPLE, "def-x"))
    assert s.continue_().reason == "finished"
    assert [b.hits for b in s.snapshot().breakpoints] == [0, 0, 1]


def test_function_breakpoint_stops_at_entry_of_every_call():
    s = session(SIMPLE)
    bp = s.add_breakpoint(function="add")
    missing = s.add_breakpoint(function="no-such-function")
    assert bp.verified and not missing.verified and "no function" in missing.message
    snap = s.continue_()
    assert (snap.reason, snap.function, snap.ip) == ("breakpoint", "add", 0)
    assert snap.frames[0].locals == {"a": "10", "b": "5"}
    assert s.continue_().frames[0].locals == {"a": "15", "b": "1"}
    assert s.continue_().reason == "finished"


def test_offset_breakpoint_and_bad_offsets():
    s = session(SIMPLE)
    offsets = [off for off, _ in s.snapshot().code]
    target = offsets[3]
    bp = s.add_breakpoint(offset=("main", target))
    assert bp.verified
    between = next(o for o in range(1, offsets[-1]) if o not in offsets)
    bad = s.add_breakpoint(offset=("main", between))
    assert not bad.verified and "no instruction" in bad.message
    snap = s.continue_()
    assert (snap.reason, snap.function, snap.ip) == ("breakpoint", "main", target)
    assert target in snap.code_breaks
    assert s.continue_().reason == "finished"


def test_breakpoint_on_the_first_instruction_stops_on_continue():
    s = session(SIMPLE)
    s.add_breakpoint(line=1)
    snap = s.continue_()
    assert (snap.reason, snap.tick, snap.line) == ("breakpoint", 0, 1)
    assert s.continue_().reason == "finished"


LOOP = """
(defn count-to [n]
  (var i 0)
  (var total 0)
  (while (< i
            n)             # @cond-inner
    (assign total (+ total i))   # @body
    (assign i (+ i 1)))
  total)
(println (count-to 6))
"""


def test_breakpoint_inside_a_superinstruction_group_is_hit():
    # `n` starts its own line in the middle of a fused LoadLocal/LoadLocal/Lt/JumpIfFalse.
    s = session(LOOP)
    s.add_breakpoint(line=line_of(LOOP, "cond-inner"))
    seen = []
    for snap in run_to_end(s):
        if snap.reason == "breakpoint":
            assert snap.line == line_of(LOOP, "cond-inner")
            seen.append(snap.frames[0].locals["i"])
    assert seen == [str(i) for i in range(7)]
    assert s.snapshot().output == "15\n"


def test_condition_hit_count_and_log_message():
    body = line_of(LOOP, "body")
    s = session(LOOP)
    s.add_breakpoint(line=body, condition="(= i 4)")
    snaps = run_to_end(s)
    assert [(x.reason, x.frames[0].locals["i"]) for x in snaps[:-1]] == [("breakpoint", "4")]

    s = session(LOOP)
    bp = s.add_breakpoint(line=body, hit_count=3)
    snap = s.continue_()
    assert snap.reason == "breakpoint" and snap.frames[0].locals["i"] == "2"
    assert snap.breakpoints[0].hits == 3 and snap.breakpoints[0].hit_count == 3
    assert s.continue_().frames[0].locals["i"] == "3"      # the Nth hit and every one after
    s.remove_breakpoint(bp.id)

    s = session(LOOP)
    s.add_breakpoint(line=body, log_message="i={i} total={(+ total 0)} bad={nope}")
    snap = s.continue_()
    assert snap.reason == "finished"                        # a log point never stops
    lines = snap.output.splitlines()
    assert lines[0] == "i=0 total=0 bad=<compile error: unknown variable: nope>"
    assert lines[5].startswith("i=5 total=10 ")
    assert lines[6] == "15"                                 # the program's own output follows
    assert snap.breakpoints[0].hits == 6

    s = session(LOOP)
    s.add_breakpoint(line=body, condition="(> i 3)", log_message="late {i}")
    assert [ln for ln in s.continue_().output.splitlines()] == ["late 4", "late 5", "15"]

    # A condition that cannot be evaluated stops and says why (gdb: "Error in testing
    # condition"), whether it does not compile or raises.
    s = session(LOOP)
    s.add_breakpoint(line=body, condition="(this is not valid")
    snap = s.continue_()
    assert (snap.reason, snap.line) == ("breakpoint", body)
    assert snap.message.startswith(f"error in the condition of breakpoint 1 (line {body}): (this is not valid: ")
    s = session(LOOP)
    s.add_breakpoint(line=body, condition='(+ i "a")')
    snap = s.continue_()
    assert (snap.reason, snap.frames[0].locals["i"]) == ("breakpoint", "0")
    assert snap.message.endswith('(+ i "a"): type-error: +: expected a number, got "a"'), snap.message
    assert s.continue_().frames[0].locals["i"] == "1"       # and at every arrival after
    snap = s.continue_()
    snap = s.reverse_continue()                              # going back says it again
    assert snap.frames[0].locals["i"] == "1" and "type-error" in snap.message


def test_enable_disable_and_remove():
    body = line_of(LOOP, "body")
    s = session(LOOP)
    bp = s.add_breakpoint(line=body)
    assert s.continue_().reason == "breakpoint"
    assert s.enable_breakpoint(bp.id, False)
    snap = s.snapshot()
    assert not snap.breakpoints[0].enabled and snap.code_breaks == ()
    s.restart()
    assert s.continue_().reason == "finished"
    s.restart()
    s.enable_breakpoint(bp.id, True)
    assert s.continue_().reason == "breakpoint"
    assert s.remove_breakpoint(bp.id)
    assert not s.remove_breakpoint(bp.id)
    assert not s.enable_breakpoint(12345)
    snap = s.snapshot()
    assert snap.breakpoints == () and snap.code_breaks == ()
    assert s.continue_().reason == "finished"
    # Toggling from the gutter.
    s.restart()
    assert s.toggle_line_breakpoint(body) is not None
    assert s.line_breakpoints() == {body: True}
    assert s.toggle_line_breakpoint(body) is None
    assert s.line_breakpoints() == {}


def test_add_breakpoint_needs_a_place():
    with pytest.raises(ValueError):
        session(SIMPLE).add_breakpoint()


# -- stepping ----------------------------------------------------------------------------

def test_step_instruction_runs_exactly_one_instruction():
    s = session(SIMPLE)
    before = s.snapshot()
    snap = s.step_instruction()
    assert snap.reason == "step" and snap.tick == before.tick + 1
    assert snap.ip > before.ip
    assert snap.stack != before.stack                      # MakeClosure pushed the closure
    ticks = [s.step_instruction().tick for _ in range(5)]
    assert ticks == list(range(2, 7))


def test_step_instruction_onto_a_breakpoint_reports_it():
    s = session(SIMPLE)
    s.add_breakpoint(offset=("main", s.snapshot().code[1][0]))
    snap = s.step_instruction()
    assert (snap.reason, snap.tick) == ("breakpoint", 1)
    assert s.step_instruction().reason == "step"           # leaving it does not count again
    assert s.snapshot().breakpoints[0].hits == 1


def test_step_line_walks_lines_and_steps_into_calls():
    s = session(SIMPLE)
    seen = []
    for _ in range(40):
        snap = s.step_line()
        if snap.reason != "step":
            break
        seen.append((snap.function, snap.line))
    assert snap.reason == "finished"
    L = lambda m: line_of(SIMPLE, m)  # noqa: E731
    assert seen[:3] == [("main", L("def-x")), ("main", L("def-y")), ("add", L("add-body"))]
    assert ("main", L("print-y")) in seen
    assert seen.index(("main", L("print-add"))) < len(seen) - 1
    assert seen.count(("add", L("add-body"))) == 2
    # Each stop is on a different line, frame or function than the one before.
    assert all(a != b for a, b in zip(seen, seen[1:]))


GENERATOR = """
(defn square [x]
  (* x x))                           # @square
(def gen (fiber/new (fn []
  (yield 1)                          # @yield-1
  (yield (square 5))                 # @yield-2
  3) :yield))                        # @gen-end
(def a (fiber/resume gen))           # @resume-a
(def b (fiber/resume gen))           # @resume-b
(def c (square a))                   # @square-a
(println a b c)                      # @print
"""


def test_step_line_follows_into_a_resumed_fiber_and_back_out_on_yield():
    L = lambda m: line_of(GENERATOR, m)  # noqa: E731
    s = session(GENERATOR)
    s.run_to(line=L("resume-a"))
    snap = s.step_line()
    assert (snap.fiber_id, snap.line, snap.function) == (1, L("yield-1"), "fn")
    assert [f.id for f in snap.fibers if f.is_current] == [1]
    assert [f.function for f in snap.frames] == ["fn"]    # the fiber's own frames
    snap = s.step_line()                                  # the yield hands control back
    assert (snap.fiber_id, snap.line) == (0, L("resume-a"))
    assert snap.stack == ("1",)                           # fiber/resume's value
    assert {f.id: f.status for f in snap.fibers}[1] == "paused"
    snap = s.step_line()
    assert (snap.fiber_id, snap.line) == (0, L("resume-b"))
    snap = s.step_line()                                  # back into the fiber, after its yield
    assert (snap.fiber_id, snap.line) == (1, L("yield-1"))
    snap = s.step_line()
    assert (snap.fiber_id, snap.line) == (1, L("yield-2"))
    snap = s.step_line()
    assert (snap.fiber_id, snap.function, snap.line) == (1, "square", L("square"))
    assert snap.frames[0].locals == {"x": "5"}


def test_step_over_a_call_and_a_fiber_resume():
    L = lambda m: line_of(GENERATOR, m)  # noqa: E731
    s = session(GENERATOR)
    s.run_to(line=L("resume-a"))
    snap = s.step_over()                                  # runs the fiber to its yield
    assert (snap.reason, snap.fiber_id, snap.line) == ("step", 0, L("resume-b"))
    snap = s.step_over()
    assert (snap.fiber_id, snap.line) == (0, L("square-a"))
    snap = s.step_over()                                  # runs square to completion
    assert (snap.reason, snap.function, snap.line) == ("step", "main", L("print"))
    assert snap.output == ""
    snap = s.step_over()
    assert snap.output == "1251\n"                      # println joins its arguments
    # With a breakpoint inside, step_over stops there.
    s = session(GENERATOR)
    s.add_breakpoint(line=L("square"))
    s.run_to(line=L("resume-b"))
    snap = s.step_over()
    assert (snap.reason, snap.fiber_id, snap.function) == ("breakpoint", 1, "square")
    snap = s.step_over()                                  # square's last line: back to caller
    assert (snap.reason, snap.fiber_id, snap.line) == ("step", 1, L("yield-2"))
    s.remove_breakpoint(s.snapshot().breakpoints[0].id)
    snap = s.step_over()                                  # the yield: back in the resumer
    assert (snap.reason, snap.fiber_id, snap.line) == ("step", 0, L("resume-b"))


def test_step_over_a_function_entry_breakpoint_stops_in_the_callee():
    s = session(SIMPLE)
    s.run_to(line=line_of(SIMPLE, "def-y"))
    s.add_breakpoint(function="add")
    snap = s.step_over()
    assert (snap.reason, snap.function, snap.ip) == ("breakpoint", "add", 0)


def test_step_over_the_end_of_a_fiber_stops_in_its_resumer():
    text = """
    (def f (fiber/new (fn []
      (+ 1 2)) :yield))            # @body
    (def r (fiber/resume f))       # @resume
    (println r)                    # @print
    """
    s = session(text)
    s.run_to(line=line_of(text, "body"))
    snap = s.step_over()
    assert (snap.fiber_id, snap.line) == (0, line_of(text, "resume"))
    assert {f.id: f.status for f in snap.fibers}[1] == "dead"
    assert s.step_over().line == line_of(text, "print")


TAIL = """
(defn loop [n acc]
  (if (= n 0)
    acc
    (loop (- n 1) (+ acc n))))     # @tail
(def total (loop 1000 0))          # @call
(println total)                    # @print
"""


def test_step_over_a_tail_call_runs_it_to_its_return():
    s = session(TAIL)
    s.run_to(line=line_of(TAIL, "tail"))
    snap = s.step_over()
    assert (snap.reason, snap.function, snap.line) == ("step", "main", line_of(TAIL, "call"))
    assert snap.stack == ("500500",)


NESTED = """
(defn inner [x]
  (* x 10))                        # @inner
(defn outer [x]
  (+ 1 (inner x)))                 # @outer
(def v (outer 4))                  # @call
(println v)
"""


def test_step_out_returns_from_the_selected_frame():
    L = lambda m: line_of(NESTED, m)  # noqa: E731
    s = session(NESTED)
    s.run_to(line=L("inner"))
    snap = s.step_out()
    assert (snap.reason, snap.function, snap.line) == ("step", "outer", L("outer"))
    assert snap.stack[-1] == "40"
    s.restart()
    s.run_to(line=L("inner"))
    s.select_frame(1)                                    # outer
    snap = s.step_out()
    assert (snap.function, snap.line, snap.stack) == ("main", L("call"), ("41",))
    s.restart()
    s.run_to(line=L("inner"))
    s.add_breakpoint(line=L("inner"))
    snap = s.step_out()                                  # nothing in the way: no stop inside
    assert snap.function == "outer"


def test_step_out_of_a_fiber_body_returns_to_its_resumer():
    L = lambda m: line_of(GENERATOR, m)  # noqa: E731
    s = session(GENERATOR)
    s.run_to(line=L("yield-1"))
    snap = s.step_out()
    assert (snap.reason, snap.fiber_id, snap.line, snap.stack) == ("step", 0, L("resume-a"), ("1",))
    s.restart()
    s.run_to(line=L("square"))
    assert s.snapshot().fiber_id == 1
    snap = s.step_out()
    assert (snap.fiber_id, snap.function, snap.line) == (1, "fn", L("yield-2"))


def test_run_to_line():
    L = lambda m: line_of(GENERATOR, m)  # noqa: E731
    s = session(GENERATOR)
    snap = s.run_to(line=L("yield-2"))
    assert (snap.reason, snap.fiber_id, snap.line) == ("step", 1, L("yield-2"))
    assert snap.code_breaks == ()                        # the one-off stop is gone
    s.add_breakpoint(line=L("square"))
    snap = s.run_to(line=L("print"))                     # a breakpoint on the way wins
    assert (snap.reason, snap.function) == ("breakpoint", "square")
    snap = s.run_to(line=L("print"))
    assert (snap.reason, snap.line) == ("breakpoint", L("square"))   # square runs again
    snap = s.run_to(line=L("print"))
    assert (snap.reason, snap.line) == ("step", L("print"))
    before = snap.tick
    snap = s.run_to(line=1000)
    assert snap.tick == before and "no code" in snap.message


# -- pause ---------------------------------------------------------------------------------

SPIN = """
(var i 0)
(while true (assign i (+ i 1)))
"""


def test_pause_from_another_thread_stops_a_tight_loop():
    s = session(SPIN)
    result = {}

    def worker():
        result["snap"] = s.continue_()
        result["stopped"] = time.perf_counter()

    for attempt in range(2):
        thread = threading.Thread(target=worker)
        thread.start()
        time.sleep(0.2)
        asked = time.perf_counter()
        s.pause()
        thread.join(10)
        assert not thread.is_alive()
        latency = result["stopped"] - asked
        print(f"pause latency (attempt {attempt + 1}): {latency * 1000:.1f} ms")
        assert latency < 1.0
        snap = result["snap"]
        assert snap.reason == "pause" and snap.status == "paused"
        assert snap.tick > 1000
        assert int(snap.frames[0].locals["i"] if "i" in snap.frames[0].locals else 0) >= 0
    # A pause asked for while nothing runs does not stop the next command early.
    s.pause()
    before = s.snapshot().tick
    snap = s.step_instruction()
    assert (snap.reason, snap.tick) == ("step", before + 1)


def test_after_a_pause_watches_and_evaluation_work():
    """However the run noticed the pause (the VM's own check, or the debugger's between
    slices), the stop leaves no pause pending, so evaluating at once works (a DAP client
    asks for a watch right after the stopped event)."""
    s = session(SPIN)
    for _ in range(3):
        result = {}
        thread = threading.Thread(target=lambda: result.setdefault("snap", s.continue_()))
        thread.start()
        time.sleep(0.05)
        s.pause()
        thread.join(10)
        assert not thread.is_alive() and result["snap"].reason == "pause"
        assert not s.vm.pause_requested
        ok, value = s.evaluate("(+ 1 2)")
        assert ok and value == "3", value


def test_pause_stops_a_long_single_step():
    # step_line in a loop that never leaves its line single-steps; pause still stops it.
    s = session(SPIN)
    s.step_line()
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("snap", s.step_line()))
    thread.start()
    time.sleep(0.2)
    s.pause()
    thread.join(10)
    assert not thread.is_alive() and result["snap"].reason == "pause"


# -- signals -------------------------------------------------------------------------------

def test_yield_catchpoint_shows_fiber_bits_payload_and_catcher():
    L = lambda m: line_of(GENERATOR, m)  # noqa: E731
    s = session(GENERATOR)
    s.add_breakpoint(signal=":yield")
    snap = s.continue_()
    assert (snap.reason, snap.fiber_id, snap.line) == ("signal", 1, L("yield-1"))
    sig = snap.signal
    assert (sig.fiber_id, sig.bits, sig.names, sig.payload) == (1, 2, ("yield",), "1")
    assert (sig.caught_by, sig.will_propagate) == (1, False)
    # Before the mask decides: the generator is still the running fiber.
    assert {f.id: f.status for f in snap.fibers}[1] == "alive"
    snap = s.step_instruction()                           # delivery: back in the resumer
    assert snap.signal is None and snap.fiber_id == 0
    assert {f.id: f.status for f in snap.fibers}[1] == "paused"
    snap = s.continue_()
    assert (snap.reason, snap.signal.payload, snap.line) == ("signal", "25", L("yield-2"))
    assert s.continue_().reason == "finished"
    assert s.snapshot().output == "1251\n"


def test_user_signal_propagating_through_nested_fibers():
    s = Session.from_file(str(EXAMPLES / "signals.lisp"))
    s.add_breakpoint(signal=":log")
    snap = s.continue_()
    assert snap.reason == "signal" and snap.function == "leaf-body"
    sig = snap.signal
    fibers = {f.id: f for f in snap.fibers}
    leaf = sig.fiber_id
    assert sig.names == ("log",) and sig.bits == 1 << 32 and sig.payload == '"leaf starting"'
    # The leaf's mask and the middle fiber's do not catch :log; the outer fiber's does.
    assert fibers[leaf].mask == 0 and not sig.will_propagate
    catcher = fibers[sig.caught_by]
    assert catcher.mask & (1 << 32) and catcher.id != leaf
    middle = fibers[leaf].parent
    assert fibers[middle].parent == catcher.id
    snap = s.step_instruction()
    statuses = {f.id: f.status for f in snap.fibers}
    assert statuses[leaf] == statuses[middle] == statuses[catcher.id] == "paused"
    snaps = run_to_end(s)
    assert [x.reason for x in snaps] == ["signal", "finished"]
    assert "result: 41" in snaps[-1].output


ERRORS = """
(def f (fiber/new (fn [] (/ 1 0)) :error))   # @inner
(def r (fiber/resume f))
(println "caught" (get r :error))
(/ 2 0)                                       # @outer
"""


def test_error_catchpoint_caught_and_propagated():
    s = session(ERRORS)
    bp = s.add_breakpoint(signal=":error")
    snap = s.continue_()
    assert (snap.reason, snap.fiber_id, snap.line) == ("signal", 1, line_of(ERRORS, "inner"))
    sig = snap.signal
    assert sig.names == ("error",) and sig.caught_by == 1 and not sig.will_propagate
    assert ":division-by-zero" in sig.payload
    snap = s.continue_()
    assert (snap.reason, snap.fiber_id, snap.line) == ("signal", 0, line_of(ERRORS, "outer"))
    assert snap.signal.will_propagate and snap.signal.caught_by is None
    assert snap.output == "caughtdivision-by-zero\n"
    snap = s.continue_()
    assert snap.reason == "error"
    assert snap.breakpoints[0].hits == 2
    s.restart()
    s.add_breakpoint(signal="|:error :yield|", condition="false")
    s.enable_breakpoint(bp.id, False)
    assert s.continue_().reason == "error"                # a false condition never stops


def test_unknown_signal_catchpoint_is_reported():
    s = session(SIMPLE)
    bp = s.add_breakpoint(signal=":no-such-signal")
    assert not bp.verified and "unknown signal" in bp.message
    assert s.continue_().reason == "finished"


def test_catchpoint_condition_sees_the_emitting_frame():
    text = """
    (def g (fiber/new (fn [] (var k 0) (while (< k 5) (yield k) (assign k (+ k 1)))) :yield))
    (var got @[])
    (while (not= (fiber/status g) :dead) (push got (fiber/resume g)))
    (println got)
    """
    s = session(text)
    s.add_breakpoint(signal=":yield", condition="(= k 3)")
    snaps = run_to_end(s)
    assert [x.reason for x in snaps] == ["signal", "finished"]
    assert snaps[0].signal.payload == "3" and snaps[0].frames[0].locals["k"] == "3"
    assert snaps[1].output == "@[0 1 2 3 4 nil]\n"


# -- errors, fuel and stack overflow -------------------------------------------------------

def test_uncaught_error_is_a_stop_not_an_exception():
    s = session(ERRORS)
    snap = s.continue_()
    assert snap.reason == "error" and snap.status == "error"
    assert snap.error.startswith("division-by-zero: /: division by zero")
    assert f"{FILENAME}:{line_of(ERRORS, 'outer')}:1" in snap.error
    assert snap.signal is not None and snap.signal.will_propagate
    # Every command afterwards just reports the same end.
    for command in (s.continue_, s.step_instruction, s.step_line, s.step_over, s.step_out):
        again = command()
        assert (again.reason, again.tick) == ("error", snap.tick)
    assert s.run_to(line=1).reason == "error"
    assert s.step_back().reason == "reverse step" and s.snapshot().tick == snap.tick - 1


def test_every_golden_program_ends_in_the_session_as_it_does_headless():
    """Program errors never escape as Python exceptions; the session agrees with
    vm.api.run_program on output and on how every golden program ends."""
    paths = [p for p in sorted(PROGRAMS.rglob("*.lisp"))
             if p.parent.name not in ("compile_errors", "read_errors")]
    assert len(paths) > 50
    for path in paths:
        text = path.read_text(encoding="utf-8")
        expected = run_program(text, str(path))
        if expected.status == 2 or expected.ticks > 300_000:
            continue                                        # the long ones: see tests/bench
        s = Session.from_source(text, str(path))
        s.add_breakpoint(line=3, log_message="hit")        # exercise a patch on the way
        snaps = run_to_end(s)
        snap = snaps[-1]
        assert snap.reason == ("finished" if expected.status == 0 else
                               "fuel" if expected.error_kind == "fuel" else "error"), path
        assert s.vm.output_text() == expected.output, path
        assert snap.tick == expected.ticks, path
        if expected.status == 1:
            assert snap.error == expected.error_text, path


def test_fuel_exhaustion():
    s = session(SPIN, fuel=500)
    snap = s.continue_()
    assert (snap.reason, snap.tick, snap.status) == ("fuel", 500, "error")
    assert snap.error.startswith("fuel: fuel exhausted")
    assert snap.fibers[0].fuel == 0
    assert s.step_back().fibers[0].fuel == 1
    assert s.continue_().reason == "fuel"
    s = session(SPIN, fuel=500)
    s.add_breakpoint(signal=":fuel")
    snap = s.continue_()
    assert (snap.reason, snap.tick) == ("signal", 500)
    assert snap.signal.names == ("fuel",) and snap.signal.will_propagate
    assert snap.fibers[0].fuel == 0
    assert s.continue_().reason == "fuel"


def test_fuel_signal_caught_by_a_scheduler():
    s = Session.from_file(str(EXAMPLES / "scheduler.lisp"))
    s.add_breakpoint(signal=":fuel")
    snap = s.continue_()
    assert snap.reason == "signal" and snap.signal.names == ("fuel",)
    assert not snap.signal.will_propagate and snap.signal.caught_by == snap.fiber_id
    assert {f.id: f.fuel for f in snap.fibers}[snap.fiber_id] == 0
    s.remove_breakpoint(s.snapshot().breakpoints[0].id)
    assert s.continue_().output.endswith("all tasks done\n")


OVERFLOW = """
(defn down [n] (+ 1 (down (+ n 1))))        # @recurse
(def r (protect (down 0)))
(println "caught" (get (get r 1) :error))
(down 0)
"""


def test_stack_overflow_caught_and_uncaught():
    s = session(OVERFLOW, max_depth=300)
    s.add_breakpoint(signal=":error")
    snap = s.continue_()
    assert snap.reason == "signal" and ":stack-overflow" in snap.signal.payload
    assert not snap.signal.will_propagate                 # protect's fiber catches it
    assert snap.frame_count == 300 and len(snap.frames) == MAX_FRAMES
    assert snap.frames[0].locals["n"] == "299"
    snap = s.continue_()
    assert snap.reason == "signal" and snap.signal.will_propagate
    assert snap.output == "caughtstack-overflow\n"
    snap = s.continue_()
    assert snap.reason == "error" and snap.error.startswith("stack-overflow: ")
    s = session(OVERFLOW)                                  # the default limit of 10,000
    snap = s.continue_()
    assert snap.reason == "error" and snap.frame_count == 10_000
    assert len(snap.frames) == MAX_FRAMES
    snap = s.select_frame(9_999)
    assert snap.selected_frame == 9_999 and snap.function == "main"
    page = s.frames_page(9_990, 100)                      # the frames a snapshot leaves out
    assert [f.index for f in page] == list(range(9_990, 10_000))
    assert page[-1].function == "main" and page[-2].locals == {"n": "0"}
    assert s.frames_page(0, 3) == snap.frames[:3]


# -- reverse execution ---------------------------------------------------------------------

MIXED = """
(signal :note)
(def log @[])
(defn record [x] (push log x) x)
(defn make-counter []
  (var n 0)
  (fn [] (assign n (+ n 1)) n))
(def counter (make-counter))
(def gen (fiber/new (fn []
                      (var i 0)
                      (while (< i 4)
                        (emit :note i)
                        (yield (record (* i i)))       # @yield
                        (assign i (+ i 1)))
                      :done)
                    |:yield :note|))
(var total 0)
(while (not= (fiber/status gen) :dead)
  (def v (fiber/resume gen))                   # @resume
  (when (int? v)
    (assign total (+ total v (counter)))
    (println "got" v " total " total)))        # @print
(def r (protect (/ total 0)))
(println "log" log " counter " (counter) " caught " (get (get r 1) :error))
"""

REVERSE_PROGRAMS = {
    "mixed": (program(MIXED), FILENAME),
    "demo": ((EXAMPLES / "demo.lisp").read_text(), "demo.lisp"),
    "signals": ((EXAMPLES / "signals.lisp").read_text(), "signals.lisp"),
    "errors": ((EXAMPLES / "errors.lisp").read_text(), "errors.lisp"),
    "generators": ((EXAMPLES / "generators.lisp").read_text(), "generators.lisp"),
}


@pytest.fixture
def no_gc():
    """Python's cycle collector frees a dead fiber nothing refers to at a time of its own
    choosing, and until it does the fiber is still listed. Tests that compare fiber lists
    across replays turn it off, so both sides keep such fibers alike."""
    import gc
    gc.disable()
    yield
    gc.enable()


def record_forward(text, filename, **options):
    """A session and the state after every instruction, stepping forward one at a time."""
    s = Session.from_source(text, filename, checkpoint_interval=40, max_checkpoints=6, **options)
    states = {0: state(s.snapshot())}
    while True:
        snap = s.step_instruction()
        assert snap.reason in ("step", "finished", "error", "fuel"), snap.reason
        states[snap.tick] = state(snap)
        if snap.reason != "step":
            return s, states


@pytest.mark.parametrize("name", sorted(REVERSE_PROGRAMS))
def test_reverse_execution_lands_on_exactly_the_forward_state(name, no_gc):
    text, filename = REVERSE_PROGRAMS[name]
    s, states = record_forward(text, filename)
    end = max(states)
    assert states[end][11] != ""                          # the program printed something
    assert len(s.history.checkpoints) <= 6 + 1
    rng = random.Random(name)
    ticks = sorted(rng.sample(range(end + 1), min(25, end + 1))) + [0, end]
    for tick in ticks:
        got = state(s.goto_tick(tick))
        assert got == states[tick], f"goto_tick({tick}): " + describe_difference(got, states[tick])
        if tick > 0:
            got = state(s.step_back())
            assert got == states[tick - 1], f"step_back from {tick}: " + describe_difference(got, states[tick - 1])
    # Output rolls back with the state.
    assert s.goto_tick(0).output == ""
    # step_back all the way from a point, instruction by instruction.
    s.goto_tick(min(end, 150))
    for tick in range(min(end, 150) - 1, max(-1, min(end, 150) - 60), -1):
        assert state(s.step_back()) == states[tick]
    # step_back_line from the end to the start: each landing is a recorded state, on an
    # earlier tick, where a different line began.
    s.goto_tick(end)
    previous = end
    landings = 0
    while True:
        snap = s.step_back_line()
        assert state(snap) == states[snap.tick], describe_difference(state(snap), states[snap.tick])
        if snap.tick == 0:
            break
        assert snap.tick < previous
        previous = snap.tick
        landings += 1
        if landings > 40:
            break
    assert landings > 5


def test_step_back_line_is_step_line_in_reverse():
    s = session(MIXED)
    forward = [s.snapshot()]
    for _ in range(30):
        forward.append(s.step_line())
    for expected in reversed(forward[:-1]):
        snap = s.step_back_line()
        assert (snap.fiber_id, snap.function, snap.line) == (expected.fiber_id, expected.function, expected.line)
        assert snap.tick <= expected.tick


def test_reverse_continue_visits_the_forward_stops_backwards(no_gc):
    L = lambda m: line_of(MIXED, m)  # noqa: E731
    s, states = record_forward(program(MIXED), FILENAME)
    s.restart()
    s.add_breakpoint(line=L("print"))
    s.add_breakpoint(signal=":note", condition="(> i 1)")
    s.add_breakpoint(line=L("yield"), hit_count=2)
    forward = []
    while True:
        snap = s.continue_()
        if snap.reason not in ("breakpoint", "signal"):
            break
        forward.append((snap.reason, snap.tick, snap.signal, state(snap),
                        [b.hits for b in snap.breakpoints]))
    kinds = [f[0] for f in forward]
    assert "signal" in kinds and "breakpoint" in kinds
    for reason, tick, signal, kept, hits in reversed(forward):
        snap = s.reverse_continue()
        assert (snap.reason, snap.tick, snap.signal) == (reason, tick, signal)
        assert state(snap) == kept
        if reason == "breakpoint":
            assert kept[1:] == states[tick][1:]           # the same as stepping there
        # Hit counts follow the timeline, so hit_count stops are the forward ones.
        assert [b.hits for b in snap.breakpoints] == hits
    snap = s.reverse_continue()
    assert (snap.reason, snap.tick) == ("entry", 0) and "start" in snap.message
    assert s.step_back().message == "already at the start"


def test_reverse_then_forward_again_takes_the_same_path(no_gc):
    s = session(MIXED, checkpoint_interval=30, max_checkpoints=4)
    first = run_to_end(s)[-1]
    s.goto_tick(first.tick // 3)
    s.step_back_line()
    again = s.continue_()
    assert state(again) == state(first)


def test_log_messages_roll_back_with_the_output():
    s = session(LOOP)
    s.add_breakpoint(line=line_of(LOOP, "body"), log_message="i={i}")
    end = s.continue_()
    assert end.output.splitlines() == [f"i={i}" for i in range(6)] + ["15"]
    forward = {}
    s2 = session(LOOP)
    s2.add_breakpoint(line=line_of(LOOP, "body"), log_message="i={i}")
    while True:
        snap = s2.step_instruction()
        forward[snap.tick] = snap.output
        if snap.reason == "finished":
            break
    assert snap.output == end.output
    for tick in (end.tick // 2, 5, end.tick - 1, end.tick // 3):
        assert s.goto_tick(tick).output == forward[tick]
    assert s.continue_().output == end.output            # logged again, once


def test_goto_tick_forward_and_history_stays_bounded():
    s = session(SPIN, checkpoint_interval=1_000, max_checkpoints=8)
    snap = s.goto_tick(200_000)
    assert (snap.reason, snap.tick) == ("goto", 200_000)
    assert len(s.history.checkpoints) <= 9
    assert s.history.memory_estimate() > 0
    i_then = snap.frames[0].locals
    snap = s.goto_tick(150_000)
    assert snap.tick == 150_000
    assert s.goto_tick(200_000).frames[0].locals == i_then


# -- restart -------------------------------------------------------------------------------

def test_restart_reloads_the_edited_file_and_re_resolves_breakpoints(tmp_path):
    path = tmp_path / "edit.lisp"
    path.write_text("(def a 1)\n(def b 2)\n(println (+ a b))\n")
    s = Session.from_file(str(path))
    on_line_2 = s.add_breakpoint(line=2)
    on_line_4 = s.add_breakpoint(line=4)
    entry = s.add_breakpoint(function="helper")
    assert (on_line_2.verified, on_line_4.verified, entry.verified) == (True, False, False)
    snap = s.continue_()
    assert (snap.reason, snap.line) == ("breakpoint", 2)
    assert s.continue_().output == "3\n"
    # The edit moves code: line 2 is now blank, line 4 has code, helper exists.
    path.write_text("(defn helper [x] (* x 100))\n\n(def a 1)\n(println (helper a))\n")
    snap = s.restart()
    assert (snap.reason, snap.tick, snap.output) == ("entry", 0, "")
    assert snap.message == "restarted"
    infos = {b.id: b for b in snap.breakpoints}
    assert not infos[on_line_2.id].verified and "no code" in infos[on_line_2.id].message
    assert infos[on_line_4.id].verified and infos[entry.id].verified
    assert all(b.hits == 0 for b in snap.breakpoints)
    snap = s.continue_()
    assert (snap.reason, snap.line) == ("breakpoint", 4)
    snap = s.continue_()
    assert (snap.reason, snap.function) == ("breakpoint", "helper")
    assert s.continue_().output == "100\n"
    # A broken edit leaves the session as it was.
    path.write_text("(println (undefined-thing))\n")
    snap = s.restart()
    assert "restart failed" in snap.message
    assert snap.output == "100\n" and snap.reason == "finished"
    path.unlink()
    assert "restart failed" in s.restart().message


def test_restart_of_a_source_session_runs_it_again(no_gc):
    s = session(SIMPLE)
    first = run_to_end(s)[-1]
    s.restart()
    assert s.snapshot().tick == 0
    assert state(run_to_end(s)[-1]) == state(first)


# -- inspecting fibers ---------------------------------------------------------------------

FIBERS = """
(defn work [x]
  (var local (* x 2))
  (yield local)                                   # @work-yield
  (/ local 0))                                    # @work-fail
(def fresh (fiber/new (fn [] [(work 1)]) :yield))
(def paused (fiber/new (fn [] [(work 5)]) :yield))
(def failed (fiber/new (fn [] [(work 7)]) :yield))
(def done (fiber/new (fn [] :finished) 0))
(fiber/resume paused)
(fiber/resume failed)
(def outcome (protect (fiber/resume failed)))     # @protect
(fiber/resume done)
(println "ready")                                 # @ready
"""


def test_select_fiber_shows_new_paused_errored_and_dead_fibers():
    L = lambda m: line_of(FIBERS, m)  # noqa: E731
    s = session(FIBERS)
    snap = s.run_to(line=L("ready"))
    statuses = {f.id: f.status for f in snap.fibers}
    fresh, paused, failed, done, protector = 1, 2, 3, 4, 5
    assert statuses == {0: "alive", fresh: "new", paused: "paused", failed: "error", done: "dead",
                        protector: "paused"}
    here = state(snap)

    snap = s.select_fiber(fresh)
    assert (snap.fiber_id, snap.current_fiber_id, snap.inspecting) == (fresh, 0, True)
    assert snap.frames == () and snap.frame_count == 0 and snap.stack == ()

    snap = s.select_fiber(paused)
    assert snap.fiber_id == paused and snap.inspecting
    assert [f.function for f in snap.frames] == ["work", "fn"]
    assert snap.frames[0].locals == {"x": "5", "local": "10"}
    assert snap.function == "work" and snap.line in (L("work-yield"), L("work-fail"))
    info = {f.id: f for f in snap.fibers}[paused]
    assert (info.bits_names, info.payload, info.caught_by) == (("yield",), "10", 0)
    snap = s.select_frame(1)
    assert snap.function == "fn" and snap.selected_frame == 1

    snap = s.select_fiber(failed)
    assert [f.function for f in snap.frames] == ["work", "fn"]
    assert snap.frames[0].locals == {"x": "7", "local": "14"}
    assert snap.line == L("work-fail")
    info = {f.id: f for f in snap.fibers}[failed]
    assert info.bits_names == ("error",) and ":division-by-zero" in info.payload
    assert info.parent == protector and info.caught_by == 0   # protect's fiber caught it for main

    snap = s.select_fiber(done)
    assert snap.frames == () and {f.id: f for f in snap.fibers}[done].payload == ":finished"

    snap = s.select_fiber(999)
    assert "no fiber 999" in snap.message
    snap = s.select_fiber(None)
    assert not snap.inspecting and snap.fiber_id == 0
    assert state(snap) == here                            # looking changed nothing
    snap = s.select_fiber(paused)
    assert s.continue_().fiber_id == 0                    # a command shows the current fiber again


# -- watches -------------------------------------------------------------------------------

WATCHED = """
(def arr @[1 2 3])
(var g 5)
(defn f [n]
  (var local 7)
  (+ n local))                     # @body
(println (f 3))
(println g arr)
"""


def test_watches_evaluate_in_the_selected_frame_and_never_change_the_program():
    s = session(WATCHED)
    s.run_to(line=line_of(WATCHED, "body"))
    before = s.snapshot()
    attempts = ["(push arr 4)", "(println 1)", "(assign g 9)", "(assign local 2)",
                "(put arr 0 99)", "(fiber/new (fn [] 1))", "(yield 1)", "(error :boom)",
                "(while true 1)", "(f 100)", "nope", "(+ 1", "(/ n 0)", "(signal :declared)"]
    for w in ["(+ n local)", "arr", "g"] + attempts:
        s.add_watch(w)
    s.add_watch("arr")                                    # no duplicates
    snap = s.snapshot()
    w = snap.watches
    assert list(w)[:3] == ["(+ n local)", "arr", "g"] and len(w) == 17
    assert (w["(+ n local)"], w["arr"], w["g"], w["(f 100)"]) == ("10", "@[1 2 3]", "5", "107")
    for attempt in attempts:
        if attempt not in ("(f 100)", "(signal :declared)"):
            assert w[attempt].startswith("error: "), attempt
    assert snap.signal_names == before.signal_names          # no signal was declared
    assert "push" in w["(push arr 4)"] and "fuel" in w["(while true 1)"]
    assert "cannot assign a local" in w["(assign local 2)"]
    assert "top-level" in w["(assign g 9)"]
    assert "unknown variable: nope" in w["nope"] and "division-by-zero" in w["(/ n 0)"]
    assert state(snap) == state(before)                   # tick, output, values: unchanged
    assert s.evaluate("(+ n 1)") == (True, "4")
    assert s.evaluate("(push arr 4)")[0] is False
    # The caller's frame sees other names.
    snap = s.select_frame(1)
    assert snap.watches["(+ n local)"].startswith("error: ") and snap.watches["g"] == "5"
    s.remove_watch("g")
    assert "g" not in s.snapshot().watches
    snap = s.continue_()
    assert snap.output == "10\n5@[1 2 3]\n"


# -- snapshot cost -------------------------------------------------------------------------

DEEP = """
(defn dive [n]
  (if (= n 0)
    (length (array 1 2 3))         # @bottom
    (+ 1 (dive (- n 1)))))
(dive {depth})
"""

BIG = """
(defn hold [big small]
  (length big))                    # @hold
(def big (apply array (range {size})))
(println (hold big [1 2 3]))       # @print
"""


def snapshot_sizes(snap) -> dict:
    return {"frames": len(snap.frames), "stack": len(snap.stack),
            "longest preview": max([len(v) for f in snap.frames for v in f.locals.values()]
                                   + [len(v) for v in snap.stack] + [0]),
            "fibers": len(snap.fibers)}


def test_snapshots_cost_the_same_for_deep_stacks_and_big_values():
    shallow = session(DEEP.replace("{depth}", "10"))
    deep = session(DEEP.replace("{depth}", "9990"))
    for s in (shallow, deep):
        s.run_to(line=line_of(DEEP, "bottom"))
    a, b = shallow.snapshot(), deep.snapshot()
    assert (a.frame_count, b.frame_count) == (12, 9992)
    assert len(a.frames) == 12 and len(b.frames) == MAX_FRAMES
    assert snapshot_sizes(b)["frames"] <= MAX_FRAMES
    assert b.frames[0].locals == a.frames[0].locals == {"n": "0"}

    small = session(BIG.replace("{size}", "3"))
    huge = session(BIG.replace("{size}", "1000000"))
    for s in (small, huge):
        s.run_to(line=line_of(BIG, "hold"))
        s.add_watch("big")
        s.step_instruction()                              # `big` is on the operand stack
    x, y = small.snapshot(), huge.snapshot()
    assert x.frames[0].locals == {"big": "[0 1 2]", "small": "[1 2 3]"}
    assert x.stack == ("[0 1 2]",) and x.watches["big"] == "[0 1 2]"
    big = y.frames[0].locals["big"]
    assert big.startswith("[0 1 2 3 4 5") and big.endswith("…") and len(big) <= PREVIEW
    assert y.stack == (big,) and y.watches["big"] == big
    assert snapshot_sizes(y)["longest preview"] <= PREVIEW
    started = time.perf_counter()
    for _ in range(20):
        huge.snapshot()
    print(f"snapshot with a 1,000,000-element array: {(time.perf_counter() - started) / 20 * 1000:.2f} ms")


def test_operand_stack_previews_are_capped():
    args = " ".join(str(i) for i in range(200))
    text = f"(defn probe [] 0)\n(println (+ {args} (probe)))\n"
    s = Session.from_source(text, FILENAME)
    s.add_breakpoint(function="probe")
    s.continue_()
    snap = s.select_frame(1)
    assert snap.function == "main" and snap.stack_size == 202
    assert len(snap.stack) == MAX_STACK and snap.stack[-1] == "199"   # the top ones
    assert s.continue_().output == f"{sum(range(200))}\n"


# -- long stays on one line ----------------------------------------------------------------

LOOPY = """
(defn probe [x] (* x 2))                                                    # @probe
(def gen (fiber/new (fn [] (var k 0) (forever (yield k) (assign k (+ k 1)))) :yield))  # @gen
(var i 0)
(var got 0)
(while (< i 1500) (when (= i 1000) (assign got (probe i))) (when (= i 1200) (assign got (fiber/resume gen))) (assign i (+ i 1)))  # @loop
(println i " " got)                                                          # @after
"""


def reference_step_line(s: Session) -> int:
    """The tick step_line must stop at, found one instruction at a time (white box: the
    session's own notion of a position)."""
    vm = s.vm
    start = s._position()
    while not vm.halted:
        vm.run(vm.tick + 1)
        pos = s._position()
        if pos is not None and pos[3] is not None and (pos[:3] != start[:3] or pos[3] != start[3]):
            return vm.tick
    return vm.tick


def test_step_line_in_a_long_loop_is_fast_and_lands_where_single_steps_do():
    expected = session(LOOPY)
    got = session(LOOPY)
    landings = []
    while True:
        want = reference_step_line(expected)
        started = time.perf_counter()
        snap = got.step_line()
        assert time.perf_counter() - started < 5
        if snap.reason == "finished":
            assert expected.vm.halted
            break
        assert snap.reason == "step"
        assert snap.tick == want, (snap.function, snap.line)
        landings.append((snap.function, snap.line))
    L = lambda m: line_of(LOOPY, m)  # noqa: E731
    assert ("probe", L("probe")) in landings and ("fn", L("gen")) in landings
    assert landings[-1] == ("main", L("after"))
    assert got.snapshot().output == "1500 0\n"


def test_step_over_a_long_one_line_loop():
    L = lambda m: line_of(LOOPY, m)  # noqa: E731
    s = session(LOOPY)
    s.run_to(line=L("loop"))
    snap = s.step_over()
    assert (snap.reason, snap.line) == ("step", L("after"))
    assert snap.output == ""
    # A breakpoint reached late in the loop still stops it.
    s.restart()
    s.run_to(line=L("loop"))
    s.add_breakpoint(function="probe")
    snap = s.step_over()
    assert (snap.reason, snap.function, snap.frames[0].locals) == ("breakpoint", "probe", {"x": "1000"})
    # step_line from inside the loop after the probe reaches the generator's body.
    snap = s.step_out()
    assert snap.line == L("loop")
    for _ in range(5):
        snap = s.step_line()
        if snap.fiber_id == 1:
            break
    assert (snap.fiber_id, snap.line) == (1, L("gen"))
    # A loop that never leaves its line: the step gives up with a pause and a message.
    s = session(SPIN)
    s.step_line()
    s.step_budget = 20_000
    snap = s.step_line()
    assert snap.reason == "pause" and "same line" in snap.message


def test_step_over_recursion_and_self_tail_calls_on_one_line():
    text = """
    (defn fact [n] (if (= n 0) 1 (* n (fact (- n 1)))))      # @fact
    (defn spin [n] (if (= n 0) :done (spin (- n 1))))        # @spin
    (def a (fact 600))                                       # @a
    (def b (spin 5000))                                      # @b
    (println b)                                              # @print
    """
    L = lambda m: line_of(text, m)  # noqa: E731
    s = session(text)
    s.add_breakpoint(function="fact")
    snap = s.continue_()
    assert snap.function == "fact" and snap.line == L("fact")
    s.remove_breakpoint(snap.breakpoints[0].id)
    snap = s.step_over()                                     # all 600 recursive calls
    assert (snap.function, snap.line) == ("main", L("a"))
    snap = s.step_over()
    assert snap.line == L("b")
    snap = s.step_line()
    assert (snap.function, snap.line) == ("spin", L("spin"))
    snap = s.step_over()                                     # 5,000 self tail calls
    assert (snap.function, snap.line, snap.stack) == ("main", L("b"), (":done",))


def test_step_back_over_skips_calls_and_fibers():
    L = lambda m: line_of(GENERATOR, m)  # noqa: E731
    s = session(GENERATOR)
    s.run_to(line=L("print"))
    lines = []
    for _ in range(4):
        snap = s.step_back_over()
        assert snap.fiber_id == 0 and snap.function == "main"
        lines.append(snap.line)
    assert lines == [L("square-a"), L("resume-b"), L("resume-a"), 3]


# -- the JIT -------------------------------------------------------------------------------

JITTED = """
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))   # @fib
(println (fib 15))
(println (fib 16))                                              # @second
"""


def test_breakpoints_and_reverse_execution_with_the_jit_on():
    pytest.importorskip("llvmlite")
    headless = run_program(program(JITTED), FILENAME)
    s = session(JITTED, jit=1)
    end = s.continue_()
    assert (end.reason, end.output, end.tick) == ("finished", "610\n987\n", headless.ticks)
    assert any(tier.startswith("jit") for _, tier, _ in end.functions)
    middle = s.goto_tick(end.tick // 2)                  # replay through native code
    again = session(JITTED)
    assert state(middle) == state(again.goto_tick(end.tick // 2))
    # The debugger wins: a breakpoint in compiled code is hit, in the interpreter.
    s.restart()
    s.run_to(line=line_of(JITTED, "second"))
    s.add_breakpoint(function="fib", hit_count=5)
    snap = s.continue_()
    assert (snap.reason, snap.function, snap.frames[0].tier) == ("breakpoint", "fib", "interp")
    assert snap.breakpoints[0].hits == 5


def test_checkpoints_do_not_cut_compiled_calls_short():
    # Checkpoints are taken between slices of the run, not at run targets: a compiled call
    # longer than the checkpoint interval still runs natively in one go, without bailing.
    pytest.importorskip("llvmlite")
    text = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 20))\n"
    s = Session.from_source(text, FILENAME, jit=1, checkpoint_interval=1_000)
    snap = s.continue_()
    assert snap.output == "6765\n"
    stats = {entry["name"]: entry for entry in s.vm.jit.stats()}
    assert stats["fib"]["calls"] == 1 and not stats["fib"]["bails"]
    assert len(s.history.checkpoints) > 1



COMMANDS = ("step_instruction", "step_line", "step_over", "step_out", "continue_", "run_to",
            "goto_tick", "step_back", "step_back_line", "step_back_over", "reverse_continue",
            "select_frame")


@pytest.mark.parametrize("name", sorted(REVERSE_PROGRAMS))
def test_any_sequence_of_commands_keeps_the_timeline(name, no_gc):
    """Random commands, breakpoints and catchpoints: every stop shows exactly the state a
    separate session replaying to the same tick shows (a stop with a signal in flight is
    the one state replays never land on)."""
    text, filename = REVERSE_PROGRAMS[name]
    lines = len(text.splitlines())
    for seed in range(3):
        rng = random.Random(seed)
        s = Session.from_source(text, filename, max_checkpoints=5,
                                checkpoint_interval=rng.choice([30, 200, 5000]))
        reference = Session.from_source(text, filename)
        for _ in range(6):
            s.add_breakpoint(line=rng.randrange(1, lines + 1), hit_count=rng.choice([None, None, 2]),
                             condition=rng.choice([None, None, "true", "false"]))
        s.add_breakpoint(signal=rng.choice([":yield", ":error", ":fuel"]))
        end = 2000
        for _ in range(40):
            command = rng.choice(COMMANDS)
            if command == "goto_tick":
                snap = s.goto_tick(rng.randrange(0, end + 1))
            elif command == "run_to":
                snap = s.run_to(line=rng.randrange(1, lines + 1))
            elif command == "select_frame":
                snap = s.select_frame(rng.randrange(0, 3))
            else:
                snap = getattr(s, command)()
            assert snap.reason in STOP_REASONS
            if snap.reason in ("finished", "error", "fuel"):
                end = snap.tick
            if s.vm.held_signal is not None or command == "select_frame":
                continue
            other = reference.goto_tick(snap.tick)
            # Hidden locals are numbered per compile, so the disassembly may name them apart.
            got, want = state(snap, instruction=False), state(other, instruction=False)
            assert got == want, f"{command}: " + describe_difference(got, want)


DEEP_DATA = """
(var nest [])
(var k 0)
(while (< k 20000) (assign nest [nest k]) (assign k (+ k 1)))    # @build
(def table @{[1 2] :pair "s" @[nest]})
(def box @[0])
(defn bump [] (put box 0 (+ (get box 0) 1)) box)
(bump)
(println (get box 0) " " (get table [1 2]) " " (length (get (get table "s") 0)))   # @print
"""


def test_checkpoints_copy_deeply_nested_and_shared_values(no_gc):
    s = session(DEEP_DATA, checkpoint_interval=20_000)
    snap = s.run_to(line=line_of(DEEP_DATA, "print"))
    assert s.history.skipped == 0                          # every checkpoint could be taken
    assert len(s.history.checkpoints) >= 3
    forward = state(s.step_instruction())
    s.goto_tick(100)
    assert state(s.goto_tick(forward[0])) == forward
    assert s.continue_().output == "1 pair 2\n"
    s.goto_tick(snap.tick)
    assert s.evaluate("(get table [1 2])") == (True, ":pair")   # a dict keyed by an array
    assert s.evaluate('(identical? (get (get table "s") 0) nest)') == (True, "true")


def test_reverse_continue_finds_a_catchpoint_stop_at_a_checkpoint(no_gc, monkeypatch):
    """With a checkpoint at every chance, one is taken at a catchpoint's tick just after the
    signal is delivered: going back must still stop there, with the signal in flight."""
    # Every tick: the interval is never spaced out for the copies' cost (checkpoints come
    # by tick distance, so only an interval of 1 lands one on the catchpoint's tick).
    monkeypatch.setattr("vmdbg.core.history.COPY_SHARE", float("inf"))
    s = session(MIXED, checkpoint_interval=1, max_checkpoints=100_000)
    s.add_breakpoint(signal=":note")
    s.add_breakpoint(line=line_of(MIXED, "print"))
    forward = []
    while (snap := s.continue_()).reason in ("breakpoint", "signal"):
        forward.append((snap.reason, snap.tick, snap.signal))
    assert any(tick in {cp.tick for cp in s.history.checkpoints}
               for reason, tick, _ in forward if reason == "signal")
    for reason, tick, signal in reversed(forward):
        snap = s.reverse_continue()
        assert (snap.reason, snap.tick, snap.signal) == (reason, tick, signal)
