"""Checkpoints of the whole VM state, for reverse execution by deterministic replay."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

from vmdbg.core.statecopy import copy_state


# Checkpoints may take at most about this share of the running time.
COPY_SHARE = 0.05


@dataclass
class Checkpoint:
    """A deep copy of everything the program can change, taken between instructions."""

    tick: int
    state: tuple
    output_chunks: int
    output_size: int
    cost: float          # seconds the copy took


class History:
    """Periodic checkpoints with bounded memory: when there are more than `max_count`,
    every other one is dropped and the interval doubles, so a run of any length keeps
    at most `max_count` copies and replay never covers more than two intervals."""

    def __init__(self, interval: int = 50_000, max_count: int = 48):
        self.interval = interval
        self.initial_interval = interval
        self.max_count = max_count
        self.checkpoints: list[Checkpoint] = []
        self.skipped = 0            # tick of the last checkpoint that could not be taken
        self.last_taken = None      # perf_counter() when the last checkpoint was taken

    def clear(self):
        self.checkpoints.clear()
        self.interval = self.initial_interval
        self.last_taken = None
        self.skipped = 0

    def next_due(self) -> int:
        if not self.checkpoints:
            return 0
        return max(self.checkpoints[-1].tick, self.skipped) + self.interval

    def maybe_take(self, vm):
        """Take a checkpoint if one is due at vm.tick (never with a signal held for a
        catchpoint: replays deliver signals at once, so that state is not on the timeline)."""
        if vm.held_signal is not None:
            return
        if not self.checkpoints or vm.tick >= self.next_due():
            if self.checkpoints and self.checkpoints[-1].tick == vm.tick:
                return
            self.take(vm)

    def take(self, vm):
        start = time.perf_counter()
        vm.settle_fuel()
        try:
            state = capture(vm)
        except RecursionError:
            # State nested too deeply to copy (a 100,000-deep list, thousands of nested
            # fibers): skip this one; replay from an earlier checkpoint stays exact.
            if not self.checkpoints:
                raise
            self.skipped = vm.tick
            return
        cp = Checkpoint(vm.tick, state, len(vm.output), vm.output_size, time.perf_counter() - start)
        # Drop checkpoints "in the future" (after a goto into the past, then new stepping).
        while self.checkpoints and self.checkpoints[-1].tick >= vm.tick:
            self.checkpoints.pop()
        self.checkpoints.append(cp)
        if len(self.checkpoints) > self.max_count:
            keep = self.checkpoints[::2]
            if keep[-1] is not self.checkpoints[-1]:
                keep.append(self.checkpoints[-1])
            self.checkpoints = keep
            self.interval *= 2
        # A copy that costs a lot, or more than a small share of the time the program ran
        # since the last one, spaces the next ones out (a big heap is copied less often).
        now = time.perf_counter()
        since = now - self.last_taken if self.last_taken is not None else None
        if cp.cost > 0.05 or (since is not None and cp.cost > COPY_SHARE * since):
            self.interval *= 2
        self.last_taken = now

    def before(self, tick: int) -> Checkpoint | None:
        """The latest checkpoint at or before `tick`."""
        best = None
        for cp in self.checkpoints:
            if cp.tick <= tick:
                best = cp
            else:
                break
        return best

    def restore(self, vm, cp: Checkpoint):
        restore(vm, cp)

    def memory_estimate(self) -> int:
        """Rough bytes held by the checkpoints (sizes of the copied objects)."""
        import sys
        seen = set()
        total = 0
        stack = [cp.state for cp in self.checkpoints]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            total += sys.getsizeof(obj)
            if isinstance(obj, (list, tuple)):
                stack.extend(obj)
            elif isinstance(obj, dict):
                stack.extend(obj.keys())
                stack.extend(obj.values())
            elif hasattr(obj, "__slots__"):
                for name in getattr(type(obj), "__slots__", ()):
                    if name != "__weakref__" and hasattr(obj, name):
                        v = getattr(obj, name)
                        if not callable(v) and type(v).__name__ not in ("CompiledFunction", "Native"):
                            stack.append(v)
        return total


_FIELDS = ("root", "current", "result", "uncaught", "error_site", "held_signal", "held_ip",
           "halted", "status", "tick", "next_fiber_id")


def capture(vm) -> tuple:
    # The current fiber's fuel is charged lazily; a checkpoint holds it charged, since a
    # restore starts counting afresh (fuel_tick None).
    vm.settle_fuel()
    fibers = list(vm.fibers.values())
    live = (tuple(getattr(vm, f) for f in _FIELDS), list(vm.globals), fibers, dict(vm.registry.bits),
            vm.registry.next_user)
    return copy_state(live)


def restore(vm, cp: Checkpoint):
    fields, globals_, fibers, bits, next_user = copy_state(cp.state)
    for name, value in zip(_FIELDS, fields):
        setattr(vm, name, value)
    if vm.status == "running":          # taken between slices of a run
        vm.status = "ready"
    # Globals an `eval` defined after the checkpoint keep their slots, unset again.
    vm.globals[:] = globals_ + [None] * (len(vm.globals) - len(globals_))
    vm.fibers = weakref.WeakValueDictionary({f.id: f for f in fibers})
    vm.registry.bits = bits
    vm.registry.next_user = next_user
    del vm.output[cp.output_chunks:]
    vm.output_size = cp.output_size
    vm.fuel_tick = None
    vm.stop_reason = None
    vm.pause_requested = False
