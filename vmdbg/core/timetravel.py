"""Reverse execution of a Session: restore a checkpoint and replay deterministically.

Replays run with breakpoints and catchpoints lifted, so a signal is delivered in the
instruction that raised it: the state at tick T is the one a forward run that did not stop
at T had. Only a catchpoint stop shows the signal still in flight."""

from __future__ import annotations

from bisect import bisect_left

from vmdbg.core.snapshot import Snapshot

# A replay longer than twice this keeps a checkpoint this many ticks before where it goes
# (History.take_scratch).
SCRATCH_BEFORE = 5_000


class TimeTravel:
    """Session part: going to any tick, stepping back and reverse continue."""

    def goto_tick(self, tick: int) -> "Snapshot":
        """Go to any past (or future) tick by restoring a checkpoint and replaying. Going
        forward stops early at a breakpoint, a catchpoint or the end, as continue would."""
        return self._goto(tick, "goto")

    def _goto(self, tick: int, reason: str) -> "Snapshot":
        self._begin()
        vm = self.vm
        tick = max(0, int(tick))
        if tick > vm.tick:
            why = self._run(until_tick=tick)
            return self._finish(reason if why == "limit" else why)
        self._replay_to(tick)
        return self._finish(reason)

    def _replay_to(self, tick: int, hold: bool = False):
        """Restore the nearest checkpoint at or before `tick` and run silently to it.
        hold: the last instruction runs with the catchpoints armed (landing on a
        catchpoint stop, signal in flight)."""
        vm = self.vm
        # Held: from a checkpoint before `tick`. One at `tick` itself was taken after that
        # tick's signal was delivered, so the signal could not be caught in flight from it.
        cp = self.history.before(tick - 1 if hold and tick > 0 else tick)
        self.history.restore(vm, cp)
        lifted = self.patches.lift_all()
        catch = vm.catch_bits
        vm.catch_bits = 0
        try:
            last = tick - 1 if hold and tick > vm.tick else tick
            # A long replay keeps a checkpoint a little before where it goes, so the steps
            # back that usually follow replay only from there.
            near = last - SCRATCH_BEFORE
            if near - vm.tick > SCRATCH_BEFORE:
                while vm.tick < near and not vm.halted:
                    if vm.run(near) not in ("limit", "pause"):
                        break
                if vm.tick == near and not vm.halted:
                    self.history.take_scratch(vm)
            while vm.tick < last and not vm.halted:
                if vm.run(last) not in ("limit", "pause"):
                    break
            if vm.tick < tick and not vm.halted:
                vm.catch_bits = catch
                vm.run(tick)
        finally:
            vm.catch_bits = catch
            self.patches.reapply(lifted)
        # A breakpoint here was evaluated at this tick if the timeline recorded a hit then;
        # otherwise continuing evaluates it (an arrival the earlier run skipped, a goto).
        self._evaluated_at = tick if self._hit_at(tick) else None

    def _hit_at(self, tick: int) -> bool:
        vm = self.vm
        if vm.halted or vm.current is None or not vm.current.frames:
            return False
        return any(tick in bp.hit_ticks for bp in self._stopped_bps())

    def step_back(self) -> "Snapshot":
        """Go back one instruction (one tick)."""
        if self.vm.tick == 0:
            self.message = "already at the start"
            return self.snapshot()
        return self._goto(self.vm.tick - 1, "reverse step")

    def _positions(self, start_tick: int, end_tick: int) -> list:
        """(tick, position) for every instruction boundary in [start_tick, end_tick)."""
        vm = self.vm
        self._replay_to(start_tick)
        lifted = self.patches.lift_all()
        catch = vm.catch_bits
        vm.catch_bits = 0
        out = []
        try:
            while vm.tick < end_tick and not vm.halted:
                out.append((vm.tick, self._position()))
                if vm.run(vm.tick + 1) not in ("limit", "pause"):
                    break
        finally:
            vm.catch_bits = catch
            self.patches.reapply(lifted)
        return out

    def _back_to_line(self, mine) -> int | None:
        """The tick where the previous line (among positions `mine` accepts) began, or
        None if there is none. Replays a window before now that grows until it holds the
        whole of that line."""
        now = self.vm.tick
        here = self._position()
        span = 256
        while True:
            start = max(0, now - span)
            positions = [(t, p) for t, p in self._positions(start, now)
                         if p is not None and p[3] is not None and mine(p)]
            i = len(positions) - 1
            while i >= 0 and _same_line(positions[i][1], here):
                i -= 1
            if i >= 0:
                line_pos = positions[i][1]
                while i > 0 and _same_line(positions[i - 1][1], line_pos):
                    i -= 1
                if i > 0 or start == 0:
                    return positions[i][0]
            if start == 0:
                return None
            span *= 4

    def step_back_line(self) -> "Snapshot":
        """Go back to where the previous line (in any frame or fiber) began."""
        self._begin()
        now = self.vm.tick
        if now == 0:
            self.message = "already at the start"
            return self.snapshot()
        target = self._back_to_line(lambda pos: True)
        self._replay_to(target if target is not None else 0)
        return self._finish("reverse step")

    def step_back_over(self) -> "Snapshot":
        """Go back to where the previous line of this frame (or its caller) began; the
        instructions of calls and resumed fibers in between are skipped, like step_over."""
        self._begin()
        now = self.vm.tick
        here = self._position()
        if now == 0 or here is None:
            self.message = "already at the start"
            return self.snapshot()

        def mine(pos):
            return pos is not None and pos[0] == here[0] and pos[1] <= here[1]

        target = self._back_to_line(mine)
        if target is None:              # nothing earlier in this fiber: back to its resumer
            return self.step_back_line()
        self._replay_to(target)
        return self._finish("reverse step")

    def reverse_continue(self) -> "Snapshot":
        """Go back to the previous stop a continue would have made (a breakpoint or a
        catchpoint), or to the start."""
        self._begin()
        vm = self.vm
        now = vm.tick
        if now == 0:
            self.message = "already at the start"
            return self.snapshot()
        end = now
        start = self.history.before(now - 1).tick
        at_end = False
        while True:
            stops = self._stop_ticks(start, end, at_end)
            if stops or start == 0:
                break
            # A catchpoint stop at `start` itself is seen only from an earlier checkpoint
            # (the one at `start` was taken after its signal was delivered).
            end, at_end = start, True
            start = self.history.before(start - 1).tick
        if not stops:
            self._replay_to(0)
            self.message = "no earlier breakpoint hit: went back to the start"
            return self._finish("entry")
        tick, kind = stops[-1]
        self._replay_to(tick, hold=kind == "signal")
        self._evaluated_at = tick       # the stop it found was this breakpoint's
        if kind == "breakpoint":
            self._explain_condition_errors()
        self._note("reached by reverse continue")
        return self._finish(kind)

    def _stop_ticks(self, start_tick: int, end_tick: int, signal_at_end: bool = False) -> list:
        """(tick, "breakpoint" or "signal") of every stop in [start_tick, end_tick) that a
        continue would make, and a catchpoint stop at end_tick too if `signal_at_end`. Hit
        counts are put back and log messages not written."""
        vm = self.vm
        self._replay_to(start_tick)
        saved_hits = {bp.id: bp.hits for bp in self.breakpoints.values()}
        for bp in self.breakpoints.values():
            bp.hits = bisect_left(bp.hit_ticks, vm.tick)    # as they were at this tick
        self._scanning = True
        out = []
        try:
            if vm.tick < end_tick and self._arrived() is not None:
                out.append((vm.tick, "breakpoint"))
            r = self._step_past_break()
            # A signal stop at end_tick comes from the instruction that starts there.
            run_to = end_tick + 1 if signal_at_end else end_tick
            while vm.tick < run_to and not vm.halted:
                if r is None or r in ("limit", "pause"):
                    r = vm.run(run_to)
                elif r == "breakpoint":
                    if self._breakpoint_stops() is not None:
                        out.append((vm.tick, "breakpoint"))
                    r = self._step_past_break()
                elif r == "signal":
                    if self._signal_stops():
                        out.append((vm.tick, "signal"))
                    r = None
                else:
                    break
        finally:
            self._scanning = False
            for bp in self.breakpoints.values():
                bp.hits = saved_hits.get(bp.id, bp.hits)
        return [(t, kind) for t, kind in out
                if t < end_tick or (signal_at_end and t == end_tick and kind == "signal")]


def _same_line(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] == b[0] and a[1] == b[1] and a[2] is b[2] and a[3] == b[3]
