"""Checkpoints of deep stacks share frames (vmdbg/core/history.py): going back in time at
any depth must still give exactly the state a plain run has at that tick, frame by frame,
whatever mix of frames that refer to mutable things (arrays, cells, closures with
captures) and frames that do not, across fibers, after any sequence of restores."""

from __future__ import annotations

import random

import pytest

from test_observing import position, reference_vm
from vmdbg.core.history import CHUNK
from vmdbg.core.session import Session

DEPTH = 2 * CHUNK + 37           # more than two chunks, one partial

# Descends DEPTH frames, spins at the bottom, and does work on the way back up.
PLAIN = f"""
(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)
(defn deep [n] (if (= n 0) (spin 1500) (let [r (deep (- n 1))] (+ r (rem n 3)))))
(print (deep {DEPTH}))
(print (deep 40))
"""

# Above the outermost 300 frames, every seventh frame holds an @array, every fifth a
# closure with a captured cell; the bottom runs twice (the frames above it change between).
MIXED = f"""
(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)
(var total 0)
(defn deep [n]
  (cond
    (= n 0) (spin 1500)
    (and (< n 300) (= 0 (rem n 7))) (let [box @[n]] (let [r (deep (- n 1))] (push box r) (+ (get box 1) 1)))
    (and (< n 300) (= 0 (rem n 5))) (let [@c n] (let [f (fn [] (assign c (+ c 1)) c)] (+ (deep (- n 1)) (f))))
    true (+ 1 (deep (- n 1)))))
(defn twice [n] (+ (deep n) (do (assign total (+ total 1)) (deep (- n 3)))))
(print (twice {DEPTH}))
"""

# Deep stacks in two fibers at once: a generator yields from the bottom of a deep
# recursion, and the root is deep when it resumes it.
FIBERS = f"""
(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)
(defn down [n] (if (= n 0) (do (yield (spin 100)) (yield 2) (spin 200)) (+ 1 (down (- n 1)))))
(def gen (fiber/new (fn [] (down {DEPTH})) :yield))
(defn pull [n] (if (= n 0) (+ (fiber/resume gen) (fiber/resume gen) (fiber/resume gen))
                   (+ 1 (pull (- n 1)))))
(print (pull {DEPTH // 2}))
(print (fiber/status gen))
"""

PROGRAMS = {"plain": PLAIN, "mixed": MIXED, "fibers": FIBERS}


def session(text, interval=700):
    """A session run to the end in goto_tick strides (a checkpoint may be taken at each)."""
    s = Session(text, "deep.lisp", max_depth=4 * DEPTH, checkpoint_interval=interval,
                max_checkpoints=48)
    while not s.vm.halted:
        s.goto_tick(s.vm.tick + interval // 2)
    return s


def want_at(text, tick):
    vm = reference_vm(text, "deep.lisp", max_depth=4 * DEPTH)
    while vm.tick < tick and not vm.halted:
        vm.run(tick)
    return position(vm, collect=True)


def check(s, text, tick):
    got = position(s.vm, collect=True)
    assert got == want_at(text, tick), f"state differs at tick {tick}"


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_reverse_steps_and_goto_at_depth_match_a_plain_run(name):
    text = PROGRAMS[name]
    s = session(text)
    end = s.vm.tick
    assert s.vm.status == "finished"
    rng = random.Random(name)
    ticks = sorted(rng.sample(range(1, end), 5), reverse=True)
    for tick in ticks:
        assert s.goto_tick(tick).tick == tick
        check(s, text, tick)
        for _ in range(3):                      # reverse steps, each a restore and a replay
            s.step_back()
            tick -= 1
            check(s, text, tick)
    # Forward again from the past, taking new checkpoints on the way, then back once more.
    mid = ticks[-1] + (end - ticks[-1]) // 2
    s.goto_tick(mid)
    check(s, text, mid)
    s.goto_tick(ticks[0])
    check(s, text, ticks[0])
    s.continue_()
    assert s.vm.tick == end
    want = want_at(text, end)
    assert position(s.vm, collect=True) == want


def test_checkpoints_at_depth_share_their_frames():
    s = session(PLAIN, interval=500)
    deep = [cp.stacks[0] for cp in s.history.checkpoints if cp.stacks[0].plain > 2 * CHUNK]
    assert len(deep) >= 2
    # The outer chunks are the same objects in every checkpoint taken while that deep.
    assert all(st.chunks[0] is deep[0].chunks[0] for st in deep[1:])
    assert all(st.chunks[1] is deep[0].chunks[1] for st in deep[1:])


def test_a_restore_keeps_the_live_frames_that_have_not_run():
    s = session(PLAIN, interval=500)
    bottom = next(cp.tick for cp in s.history.checkpoints if cp.stacks[0].plain > 2 * CHUNK)
    s.goto_tick(bottom + 50)
    outer = s.vm.root.frames[:CHUNK]
    s.step_back()
    assert all(a is b for a, b in zip(outer, s.vm.root.frames))
    check(s, PLAIN, bottom + 49)
