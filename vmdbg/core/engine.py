"""The forward engine a Session's commands share: run until a stop the user should see.

Forward execution uses the VM's cheap trap (limits and patched BREAK instructions). A
breakpoint is evaluated (condition, hit count, log message) whenever forward execution
arrives at it: a run hits its patched BREAK, a single step lands on it. Leaving a stop
never evaluates it again. Internal stops (run_to's line, the frame a step_over or step_out
waits for) are patched like breakpoints but never count hits."""

from __future__ import annotations

import time

from vm.call import will_catch
from vm.execute import DECODE_HOOKS, OP_BREAK
from vm.signals import SIG_ERROR, SIG_FUEL
from vm.values import display, preview
from vmdbg.core.breakpoints import Breakpoint
from vmdbg.core.snapshot import PREVIEW, SignalInfo, Snapshot
from vmdbg.core.watch import evaluate




class ForwardEngine:
    """Session part: runs the VM forward, evaluating breakpoints and catchpoints."""

    # A step that stays on one line gives up (and reports a pause) after this many
    # instructions.
    step_budget = 20_000_000
    # After this many single steps on one line (a loop), step_line and step_over patch the
    # places where they could stop and run at full speed instead.
    fast_after = 500

    def _begin(self):
        """Start a command: clear the message and any pause asked for while stopped."""
        self.message = ""
        self._live_seen = 0                 # the highest live_tick a front end was shown
        self._pause.clear()
        self.vm.pause_requested = False

    def _step_past_break(self) -> str | None:
        """If the next instruction is a patched breakpoint, run its original once."""
        vm = self.vm
        fiber = vm.current
        if vm.halted or fiber is None or not fiber.frames or vm.held_signal is not None:
            return None
        frame = fiber.frames[-1]
        code, ip = frame.code, frame.ip
        entry = code[ip]
        if entry is None or entry[0] != OP_BREAK:
            return None
        code[ip] = entry[1]
        try:
            return vm.run(vm.tick + 1)
        finally:
            code[ip] = entry

    def _run(self, until_tick: int | None = None) -> str:
        """Run forward, taking checkpoints, until a stop the user should see."""
        vm = self.vm
        history = self.history
        last_progress = [time.perf_counter()]

        def between() -> bool:
            # Between slices of vm.run: checkpoints here, and back to this loop for a
            # pause or a progress report (which evaluates watches, so not inside the run).
            history.maybe_take(vm)
            return self._pause.is_set() or (self.progress is not None and
                                            time.perf_counter() - last_progress[0] > self.progress_interval)

        r = self._step_past_break()
        while True:
            # Also checked here, not only by vm.run: a pause asked for while a condition
            # or a watch was being evaluated is put back by the evaluation.
            # A held signal is judged first (a catchpoint may stop); one held for a catchpoint
            # that did not stop is delivered, as a run that went on would have.
            if self._pause.is_set() and r not in ("finished", "error", "signal"):
                if vm.held_signal is not None:
                    vm.release_held_signal()
                vm.pause_requested = False      # answered here, not by vm.run: do not leave it set
                return "pause"
            if r is None or r == "limit" or r == "slice":
                if until_tick is not None and vm.tick >= until_tick:
                    if vm.held_signal is not None:
                        # Held for a catchpoint that did not stop: deliver it (no tick), as
                        # a run that went on would have, so the landing state is that run's.
                        vm.release_held_signal()
                    return "limit"
                history.maybe_take(vm)
                if self.progress is not None and time.perf_counter() - last_progress[0] > self.progress_interval:
                    last_progress[0] = time.perf_counter()
                    self.progress(self.snapshot("running"))
                r = vm.run(self._slice_end(until_tick), between)
            elif r == "breakpoint":
                why = self._breakpoint_stops()
                if why is not None:
                    return why
                r = self._step_past_break()
            elif r == "signal":
                if self._signal_stops():
                    return "signal"
                r = None                    # the next vm.run delivers the held signal
            else:
                return r                    # pause, finished, error

    def _slice_end(self, until_tick: int | None) -> int | None:
        """The target of the next vm.run of a forward run to `until_tick`. Checkpoints come
        by tick distance: with the JIT off, a run stops at the next one due too, since
        routines (vm/routines.py) and regions stop exactly at a run's target, so one long
        routine call (fib(30), a tail loop) is cut there like interpreted code. Compiled
        code would bail out of a call longer than that instead (the interpreter re-runs
        it): with the JIT on, checkpoints are taken only between the run's slices."""
        vm = self.vm
        if vm.jit_threshold:
            return until_tick
        due = self.history.next_due()
        if due <= vm.tick:              # one could not be taken (a held signal)
            due = vm.tick + self.history.interval
        return due if until_tick is None or due < until_tick else until_tick

    def _stopped_bps(self) -> list[Breakpoint]:
        fiber = self.vm.current
        frame = fiber.frames[-1]
        return [bp for bp in self.breakpoints.values()
                if bp.enabled and any(f is frame.func and off == frame.ip for f, off in bp.locations)]

    def _breakpoint_stops(self) -> str | None:
        """At a patched instruction: "breakpoint" if a user breakpoint fires (after its
        condition, hit count and log message), "step" for an internal stop, else None."""
        internal = self._internal is not None and self._internal()
        fired = False
        self._evaluated_at = self.vm.tick
        for bp in self._stopped_bps():
            if self._bp_fires(bp):
                fired = True
        if fired:
            return "breakpoint"
        return "step" if internal else None

    def _arrived(self) -> str | None:
        """After a single step: evaluate a user breakpoint at the new position."""
        vm = self.vm
        fiber = vm.current
        if vm.halted or fiber is None or not fiber.frames or vm.held_signal is not None:
            return None
        frame = fiber.frames[-1]
        entry = frame.code[frame.ip]
        if entry is None or entry[0] != OP_BREAK:
            return None
        self._evaluated_at = vm.tick
        fired = [bp for bp in self._stopped_bps() if self._bp_fires(bp)]
        return "breakpoint" if fired else None

    def _bp_fires(self, bp: Breakpoint) -> bool:
        vm = self.vm
        frame = vm.current.frames[-1]
        if bp.condition:
            ok, value = evaluate(vm, frame, bp.condition, self._lift_patches)
            if not ok:
                # As gdb does ("Error in testing condition"): stop and say why, rather
                # than take an error for false and never stop.
                if not self._scanning:
                    self._note(condition_error(bp, value))
                return True
            if value is None or value is False:
                return False
        bp.hits += 1
        if not self._scanning:
            bp.hit_ticks.append(vm.tick)
        if bp.hit_count and bp.hits < bp.hit_count:
            return False
        if bp.log_message:
            if not self._scanning:
                self._log(self._interpolate(bp.log_message, frame) + "\n")
            return False
        return True

    def _explain_condition_errors(self):
        """At a breakpoint stop reached without evaluating (a reverse continue): say which
        conditions fail here, as the forward stop did."""
        frame = self.vm.current.frames[-1]
        for bp in self._stopped_bps():
            if bp.condition:
                ok, value = evaluate(self.vm, frame, bp.condition, self._lift_patches)
                if not ok:
                    self._note(condition_error(bp, value))

    def _note(self, text: str):
        """Add a line to the message the stop will show."""
        self.message = f"{self.message}; {text}" if self.message else text

    def _log(self, text: str):
        """A log message: part of the output at this tick (rolls back with it), but never
        in the program's own output stream, so replays stay exact."""
        vm = self.vm
        self.logs.append((vm.tick, len(vm.output), text))

    def _interpolate(self, text: str, frame) -> str:
        """Replace each {expr} in a log message by the expression's value."""
        out, i = [], 0
        while i < len(text):
            j = text.find("{", i)
            k = text.find("}", j + 1) if j >= 0 else -1
            if j < 0 or k < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            ok, value = evaluate(self.vm, frame, text[j + 1:k], self._lift_patches)
            out.append(display(value) if ok else f"<{value}>")
            i = k + 1
        return "".join(out)

    def _signal_info(self, fiber, bits, payload, held: bool) -> SignalInfo:
        catcher = will_catch(fiber, bits) if held else None
        return SignalInfo(fiber.id, bits, tuple(self.vm.registry.names(bits)), preview(payload, PREVIEW),
                          catcher.id if catcher is not None else None, catcher is None)

    def _signal_stops(self) -> bool:
        """A catchpoint's bits were emitted (the signal is held, before the mask decides)."""
        vm = self.vm
        fiber, bits, payload = vm.held_signal
        self._last_signal = self._signal_info(fiber, bits, payload, True)
        frame = fiber.frames[-1] if fiber.frames else None
        stop = False
        for bp in self.breakpoints.values():
            if bp.kind == "signal" and bp.enabled and bp.bits & bits:
                if frame is None or self._bp_fires(bp):
                    stop = True
        return stop

    def _lift_patches(self):
        return self.patches

    def _finish(self, reason: str) -> "Snapshot":
        vm = self.vm
        if reason == "limit":
            reason = "step"
        if vm.halted and reason not in ("finished",):
            if vm.status == "finished":
                reason = "finished"
            elif vm.uncaught is not None and vm.uncaught[1] & SIG_FUEL and not vm.uncaught[1] & SIG_ERROR:
                reason = "fuel"
            else:
                reason = "error"
        if vm.held_signal is not None:
            self._last_signal = self._signal_info(*vm.held_signal, True)
        elif vm.halted and vm.uncaught is not None:
            self._last_signal = self._signal_info(*vm.uncaught, False)
        else:
            self._last_signal = None
        if self.logs and self.logs[-1][0] > vm.tick:
            self.logs = [entry for entry in self.logs if entry[0] <= vm.tick]
        for bp in self.breakpoints.values():
            bp.forget_after(vm.tick)
        if reason == "pause" and getattr(self, "_live_seen", 0) > vm.tick and not self.message:
            # A pause in a long compiled call bails it: its native work is dropped and the
            # interpreter re-runs the call from its start, so the stop is behind what the
            # live view showed. Say so rather than let the tick seem to go backwards.
            self.message = (f"paused in compiled code: the program had reached tick ≥ {self._live_seen:,}; "
                            f"that call was re-run by the interpreter from its start up to here")
        self.reason = reason
        self.furthest = max(self.furthest, vm.tick)
        self.selected_frame = 0
        self.selected_fiber = None
        self.history.maybe_take(vm)
        return self.snapshot()

    def _single_step_until(self, done, deliver_first: bool = True, trap=None) -> str:
        """Step instruction by instruction until done(position) or a stop.

        A signal held for a catchpoint that does not stop is delivered at once, so done()
        sees where control goes (the delivery costs no tick). After fast_after steps,
        `trap()` (if given) names the spots where done() can first become true; the rest
        runs at full speed with those spots patched."""
        vm = self.vm
        for count in range(self.step_budget):
            if vm.halted:
                return vm.status
            if self._pause.is_set():
                vm.pause_requested = False
                return "pause"
            if count == self.fast_after and trap is not None:
                return self._trap_until(trap(), lambda: done(self._position()), self.step_budget)
            if vm.held_signal is not None and deliver_first:
                vm.release_held_signal()
                r = "limit"
            else:
                r = self._step_past_break()
                if r is None:
                    r = vm.run(vm.tick + 1)
            if r == "signal":
                if self._signal_stops():
                    return "signal"
                vm.release_held_signal()
                r = "limit"
            if vm.halted:
                return vm.status
            if r not in ("limit", "breakpoint"):
                return r
            self.history.maybe_take(vm)
            why = self._arrived()
            if why is not None:
                return why
            if done(self._position()):
                return "step"
        self.message = f"no stop after {self.step_budget:,} instructions"
        return "pause"

    def _trap_until(self, spots, stop, budget: int | None = None) -> str:
        """Run at full speed with `spots` patched until stop() is true at one of them (or a
        breakpoint, a catchpoint, a pause, the end, or `budget` instructions).

        A spot in a function not decoded yet (vm/bytecode.py: functions decode on first
        use) is patched when the function is decoded, before any of it runs."""
        patched, waiting = [], {}
        for func, off in spots:
            if func.is_decoded:
                self.patches.add(func, off)
                patched.append((func, off))
            else:
                waiting.setdefault(id(func), (func, []))[1].append(off)

        def on_decode(func):
            entry = waiting.pop(id(func), None)
            if entry is not None and entry[0] is func:
                for off in entry[1]:
                    self.patches.add(func, off)
                    patched.append((func, off))

        if waiting:
            DECODE_HOOKS.append(on_decode)
        self._internal = stop
        try:
            r = self._run(None if budget is None else self.vm.tick + budget)
            if r == "limit":
                self.message = f"still on the same line after {budget:,} more instructions"
                r = "pause"
            return r
        finally:
            self._internal = None
            if waiting:
                DECODE_HOOKS.remove(on_decode)
            for func, off in patched:
                self.patches.remove(func, off)


def condition_error(bp: Breakpoint, error: str) -> str:
    """The stop message for a condition that raised (gdb: "Error in testing condition")."""
    return f"error in the condition of breakpoint {bp.id} ({bp.describe()}): {bp.condition}: {error}"
