"""Checkpoints by tick distance (vmdbg/core/engine.py `_slice_end`): with the JIT off, a
forward run stops at each checkpoint's tick even inside one long routine call (recursive
fib, a self tail loop), so checkpoints are spread through it; and going back to any tick
there, or forward again, gives exactly the state of a plain run at that tick, frame by
frame, with the output, ticks and ending of a plain run."""

from __future__ import annotations

import random

import pytest

from test_observing import position, reference_vm
from vm.api import run_program
from vmdbg.core.session import Session

PROGRAMS = {
    # One routine call of about 300,000 instructions.
    "fib": "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(print (fib 21))\n",
    # A self tail loop (a `while` in the routine), then more work.
    "tail": ("(defn loop [i acc] (if (< i 30000) (loop (+ i 1) (+ acc (rem i 7))) acc))\n"
             "(print (loop 0 0))\n(print (loop 100 5))\n"),
    # Routines under an interpreted caller that keeps an array on its stack.
    "mixed": ("(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n"
              "(def out @[])\n(var k 12)\n"
              "(while (< k 19) (push out (fib k)) (assign k (+ k 1)))\n(print out)\n"),
}


def want_at(text, tick):
    vm = reference_vm(text, "scale.lisp")
    while vm.tick < tick and not vm.halted:
        vm.run(tick)
    return position(vm, collect=True)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_checkpoints_come_by_tick_distance_inside_long_routine_calls(name):
    text = PROGRAMS[name]
    plain = run_program(text, "scale.lisp")
    s = Session(text, "scale.lisp", checkpoint_interval=4_000, max_checkpoints=200)
    end = s.continue_()
    assert (end.reason, end.output, end.tick) == ("finished", plain.output, plain.ticks)
    # Spread through the run (the interval doubles while copies cost more than a small
    # share of the time run since the last one; taken only between slices, one routine
    # call would leave two or three).
    ticks = [cp.tick for cp in s.history.checkpoints]
    assert len(ticks) >= 6, ticks
    rng = random.Random(name)
    for tick in sorted(rng.sample(range(1, end.tick), 4), reverse=True):
        s.goto_tick(tick)
        assert position(s.vm, collect=True) == want_at(text, tick), f"goto {tick}"
        s.step_back()
        assert position(s.vm, collect=True) == want_at(text, tick - 1), f"step back to {tick - 1}"
    # Forward again from the past to the end: the plain run's ending.
    again = s.continue_()
    assert (again.reason, again.output, again.tick) == ("finished", plain.output, plain.ticks)
    assert position(s.vm, collect=True) == want_at(text, plain.ticks)


def test_with_the_jit_on_checkpoints_stay_between_slices():
    # Compiled code would bail out of a call longer than the distance to a run target:
    # with the JIT on, targets are not cut at checkpoints (tests/test_session.py checks
    # the compiled call runs in one go).
    s = Session(PROGRAMS["fib"], "scale.lisp", jit=1, checkpoint_interval=4_000)
    assert s._slice_end(None) is None and s._slice_end(123) == 123
    s = Session(PROGRAMS["fib"], "scale.lisp", checkpoint_interval=4_000)
    assert s._slice_end(None) == 4_000 and s._slice_end(100) == 100


def test_a_long_replay_keeps_a_checkpoint_near_where_it_went():
    from vmdbg.core.timetravel import SCRATCH_BEFORE
    text = PROGRAMS["tail"]
    s = Session(text, "scale.lisp", checkpoint_interval=200_000, max_checkpoints=4)
    end = s.continue_()
    target = end.tick - 3 * SCRATCH_BEFORE
    assert target - s.history.before(target).tick > 2 * SCRATCH_BEFORE
    s.goto_tick(target)
    assert s.history.scratch.tick == target - SCRATCH_BEFORE
    for k in range(1, 4):                       # replayed from the scratch checkpoint
        s.step_back()
        assert s.history.before(target - k) is s.history.scratch
        assert position(s.vm, collect=True) == want_at(text, target - k)
    # Going on from the past drops it with the checkpoints after it.
    s.goto_tick(target - SCRATCH_BEFORE - 10)
    s.step_instruction()
    assert s.history.scratch is None or s.history.scratch.tick < s.vm.tick
    assert s.continue_().tick == end.tick
