"""The debugging core: one Session owns one VM running one program (no textual here).

Every command returns the Snapshot at the new stop. Forward execution uses the VM's cheap
trap (limits and patched BREAK instructions); reverse execution restores a checkpoint and
replays deterministically to the wanted tick.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left

from vm.bytecode import OP_Return as OP_RETURN
from vm.call import will_catch
from vm.core import VM, span_before
from vm.errors import SourceError, VMBug
from vm.execute import OP_BREAK
from vm.signals import SIG_ERROR, SIG_FUEL
from vm.values import preview
from vmdbg.breakpoints import Breakpoint, Patches, program_functions, resolve_line
from vmdbg.history import History
from vmdbg.snapshot import (MAX_FIBERS, MAX_FRAMES, MAX_STACK, PREVIEW, BreakpointInfo,
                            FiberInfo, SignalInfo, Snapshot, describe_frame,
                            describe_instruction)
from vmdbg.watch import evaluate

# A step that stays on one line gives up (and reports a pause) after this many instructions.
STEP_BUDGET = 20_000_000
# After this many single steps on one line (a loop), step_line and step_over patch the
# places where they could stop and run at full speed instead.
FAST_AFTER = 500


class Session:
    """A program under the debugger, stopped between instructions."""

    def __init__(self, text: str, filename: str, path: str | None = None, jit: int = 0,
                 fuel: int | None = None, max_depth: int = 10_000, checkpoint_interval: int = 50_000,
                 max_checkpoints: int = 48, **vm_options):
        self.path = path                    # file on disk (restart reloads it), or None
        self.filename = filename
        self.text = text
        self.jit = jit
        self.fuel = fuel
        self.max_depth = max_depth
        self.vm_options = vm_options
        self.breakpoints: dict[int, Breakpoint] = {}
        self.next_bp_id = 1
        self.watches: list[str] = []
        self.history = History(checkpoint_interval, max_checkpoints)
        self.patches = Patches()
        self.reason = "entry"
        self.message = ""
        self.selected_frame = 0
        self.selected_fiber = None          # fiber id being inspected, None: the current one
        self.progress = None                # callable(snapshot) during long runs
        self.progress_interval = 0.1
        self._pause = threading.Event()
        self._last_signal = None            # SignalInfo of the last catchpoint stop
        self.logs: list = []                # (tick, output chunk index, text) of log messages
        self._internal = None               # predicate: a patched spot the running command stops at
        self._scanning = False              # reverse_continue is replaying: no log output
        self.vm = self._make_vm(text)

    # -- construction --------------------------------------------------------

    @classmethod
    def from_file(cls, path: str, **options) -> "Session":
        """Load a program file; raises SourceError (read/compile) or OSError/UnicodeError."""
        from vmdbg.cli import read_source
        return cls(read_source(path), path, path=path, **options)

    @classmethod
    def from_source(cls, text: str, filename: str = "<source>", **options) -> "Session":
        return cls(text, filename, **options)

    def _make_vm(self, text: str) -> VM:
        vm = VM(max_depth=self.max_depth, jit=self.jit, **self.vm_options)
        vm.load(text, self.filename)
        if self.fuel is not None:
            vm.set_fuel(self.fuel)
        self.history.clear()
        self.history.take(vm)
        return vm

    # -- breakpoints -----------------------------------------------------------

    def add_breakpoint(self, line=None, function=None, offset=None, signal=None,
                       condition=None, hit_count=None, log_message=None) -> Breakpoint:
        """A line, function-entry, (function, offset) or signal breakpoint."""
        bp_id = self.next_bp_id
        self.next_bp_id += 1
        if signal is not None:
            bp = Breakpoint(bp_id, "signal", signal=str(signal))
        elif offset is not None:
            fname, off = offset
            bp = Breakpoint(bp_id, "offset", function=fname, offset=off)
        elif function is not None:
            bp = Breakpoint(bp_id, "function", function=function)
        elif line is not None:
            bp = Breakpoint(bp_id, "line", line=int(line))
        else:
            raise ValueError("add_breakpoint needs line=, function=, offset= or signal=")
        bp.condition = condition or None
        bp.hit_count = hit_count or None
        bp.log_message = log_message or None
        self.breakpoints[bp_id] = bp
        self._resolve(bp)
        return bp

    def _resolve(self, bp: Breakpoint):
        """Find where `bp` applies in the current VM's code and patch it there."""
        for func, off in bp.locations:
            self.patches.remove(func, off)
        bp.locations = []
        vm = self.vm
        if bp.kind == "signal":
            try:
                bp.bits = signal_bits(vm, bp.signal)
                bp.verified, bp.message = True, ""
            except ValueError as e:
                bp.verified, bp.message = False, str(e)
            self._update_catch_bits()
            return
        if bp.kind == "line":
            found = resolve_line(vm, self.filename, bp.line)
            if found is None:
                bp.verified, bp.message = False, f"line {bp.line} has no code"
                return
            bp.locations = [found]
        else:
            funcs = [f for f in program_functions(vm) if f.name == bp.function]
            if not funcs:
                bp.verified, bp.message = False, f"no function named {bp.function}"
                return
            off = 0 if bp.kind == "function" else bp.offset
            good = [f for f in funcs if 0 <= off < len(f.code) and f.decoded[off] is not None]
            if not good:
                bp.verified, bp.message = False, f"{bp.function} has no instruction at offset {off}"
                return
            bp.locations = [(f, off) for f in good]
        bp.verified, bp.message = True, ""
        if bp.enabled:
            for func, off in bp.locations:
                self.patches.add(func, off)

    def _update_catch_bits(self):
        bits = 0
        for bp in self.breakpoints.values():
            if bp.kind == "signal" and bp.enabled and bp.verified:
                bits |= bp.bits
        self.vm.catch_bits = bits

    def remove_breakpoint(self, bp_id: int) -> bool:
        bp = self.breakpoints.pop(bp_id, None)
        if bp is None:
            return False
        if bp.enabled:
            for func, off in bp.locations:
                self.patches.remove(func, off)
        self._update_catch_bits()
        return True

    def enable_breakpoint(self, bp_id: int, enabled: bool = True) -> bool:
        bp = self.breakpoints.get(bp_id)
        if bp is None or bp.enabled == enabled:
            return bp is not None
        bp.enabled = enabled
        for func, off in bp.locations:
            (self.patches.add if enabled else self.patches.remove)(func, off)
        self._update_catch_bits()
        return True

    def toggle_line_breakpoint(self, line: int) -> Breakpoint | None:
        """Remove the line breakpoint on `line` if there is one, else add one."""
        for bp in list(self.breakpoints.values()):
            if bp.kind == "line" and bp.line == line:
                self.remove_breakpoint(bp.id)
                return None
        return self.add_breakpoint(line=line)

    def line_breakpoints(self) -> dict[int, bool]:
        """line -> enabled, for the source gutter."""
        return {bp.line: bp.enabled for bp in self.breakpoints.values() if bp.kind == "line"}

    # -- running: the shared engine -----------------------------------------------
    #
    # A breakpoint is evaluated (condition, hit count, log message) whenever forward
    # execution arrives at it: a run hits its patched BREAK, a single step lands on it.
    # Leaving a stop never evaluates it again. Internal stops (run_to's line, the frame a
    # step_over or step_out waits for) are patched like breakpoints but never count hits.

    def _begin(self):
        """Start a command: clear the message and any pause asked for while stopped."""
        self.message = ""
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
            if self._pause.is_set() and r != "finished" and r != "error":
                return "pause"
            if r is None or r == "limit" or r == "slice":
                if until_tick is not None and vm.tick >= until_tick:
                    return "limit"
                history.maybe_take(vm)
                if self.progress is not None and time.perf_counter() - last_progress[0] > self.progress_interval:
                    last_progress[0] = time.perf_counter()
                    self.progress(self.snapshot("running"))
                r = vm.run(until_tick, between)
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
        fired = [bp for bp in self._stopped_bps() if self._bp_fires(bp)]
        return "breakpoint" if fired else None

    def _bp_fires(self, bp: Breakpoint) -> bool:
        vm = self.vm
        frame = vm.current.frames[-1]
        if bp.condition:
            ok, value = evaluate(vm, frame, bp.condition, self._lift_patches)
            if not ok or value is None or value is False:
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

    def _log(self, text: str):
        """A log message: part of the output at this tick (rolls back with it), but never
        in the program's own output stream, so replays stay exact."""
        vm = self.vm
        self.logs.append((vm.tick, len(vm.output), text))

    def _interpolate(self, text: str, frame) -> str:
        """Replace each {expr} in a log message by the expression's value."""
        from vm.values import display
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
        self.reason = reason
        self.selected_frame = 0
        self.selected_fiber = None
        self.history.maybe_take(vm)
        return self.snapshot()

    # -- forward commands ---------------------------------------------------------

    def continue_(self) -> "Snapshot":
        self._begin()
        if self.reason == "entry" and self.vm.tick == 0:
            # The program starts here: a breakpoint on its first instruction counts.
            why = self._arrived()
            if why is not None:
                return self._finish(why)
        return self._finish(self._run())

    def step_instruction(self) -> "Snapshot":
        """Run one instruction (a held signal is delivered first, at no tick)."""
        self._begin()
        return self._finish(self._single_step_until(lambda pos: True, deliver_first=False))

    def _position(self):
        vm = self.vm
        f = vm.current
        if f is None or not f.frames:
            return None
        frame = f.frames[-1]
        func, ip = frame.func, frame.ip
        span = func.locations.get(ip)
        # A Return carries the span of its whole function (its first line): stepping treats
        # it as part of the line before it, so a step does not stop on the function header.
        line = span.line if span is not None and func.code[ip] != OP_RETURN else None
        return (f.id, len(f.frames), func, line)

    def _single_step_until(self, done, deliver_first: bool = True, trap=None) -> str:
        """Step instruction by instruction until done(position) or a stop.

        A signal held for a catchpoint that does not stop is delivered at once, so done()
        sees where control goes (the delivery costs no tick). After FAST_AFTER steps,
        `trap()` (if given) names the spots where done() can first become true; the rest
        runs at full speed with those spots patched."""
        vm = self.vm
        for count in range(STEP_BUDGET):
            if vm.halted:
                return vm.status
            if self._pause.is_set():
                return "pause"
            if count == FAST_AFTER and trap is not None:
                return self._trap_until(trap(), lambda: done(self._position()), STEP_BUDGET)
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
        self.message = f"no stop after {STEP_BUDGET:,} instructions"
        return "pause"

    def _trap_until(self, spots, stop, budget: int | None = None) -> str:
        """Run at full speed with `spots` patched until stop() is true at one of them (or a
        breakpoint, a catchpoint, a pause, the end, or `budget` instructions)."""
        for func, off in spots:
            self.patches.add(func, off)
        self._internal = stop
        try:
            r = self._run(None if budget is None else self.vm.tick + budget)
            if r == "limit":
                self.message = f"still on the same line after {budget:,} more instructions"
                r = "pause"
            return r
        finally:
            self._internal = None
            for func, off in spots:
                self.patches.remove(func, off)

    def _other_lines(self, func, line) -> list:
        """(func, offset) of every instruction of `func` on a line other than `line`."""
        decoded = func.decoded
        return [(func, off) for off, span in func.locations.items()
                if span.line != line and off < len(decoded) and decoded[off] is not None]

    def _entry_spots(self) -> list:
        """Every place control can arrive at from another frame or fiber: each function's
        first instruction and the next instruction of every suspended frame."""
        vm = self.vm
        spots = [(f, 0) for f in program_functions(vm) if f.decoded]
        for fiber in list(vm.fibers.values()):
            frames = fiber.frames
            if fiber is vm.current:
                if len(frames) >= 2:
                    spots.append((frames[-2].func, frames[-2].ip))
            elif frames:
                spots.append((frames[-1].func, frames[-1].ip))
        return spots

    def step_line(self) -> "Snapshot":
        """Step into: stop at the next instruction on another line, or in another frame/fiber."""
        self._begin()
        start = self._position()
        if start is None or self.vm.halted:
            return self._finish(self.vm.status)
        fid, depth, func, line = start

        def done(pos):
            return pos is not None and pos[3] is not None and (pos[0] != fid or pos[1] != depth or pos[2] is not func or pos[3] != line)

        def trap():
            return self._other_lines(func, line) + self._entry_spots()

        return self._finish(self._single_step_until(done, trap=trap))

    def _returned(self, fiber, depth: int, frame) -> bool:
        """Control left the frame being stepped over: it returned, or its fiber stopped."""
        vm = self.vm
        if fiber.status != "alive":
            return True                     # yielded, caught a signal, errored or finished
        if vm.current is fiber:
            return len(fiber.frames) < depth
        return False                        # running a fiber it resumed

    def step_over(self) -> "Snapshot":
        """Like step_line, but calls and fiber resumes run to completion (or a stop inside).
        A tail call counts as a call: it runs until it returns to this frame's caller."""
        self._begin()
        vm = self.vm
        start = self._position()
        if start is None or vm.halted:
            return self._finish(vm.status)
        _, depth, func, line = start
        fiber = vm.current
        frame = fiber.frames[-1]
        steps = 0
        while True:
            if steps == FAST_AFTER:
                # A long stay on this line (a loop): run until this frame reaches another
                # line, returns, is replaced by a tail call, or its fiber stops.
                spots = self._other_lines(func, line) + self._waiting_spots(fiber, depth - 1)
                r = self._trap_until(spots, lambda: vm.current is not fiber or len(fiber.frames) <= depth,
                                     STEP_BUDGET)
            else:
                r = self._single_step_until(lambda pos: True)
            steps += 1
            if r != "step":
                return self._finish(r)
            if self._returned(fiber, depth, frame):
                return self._finish("step")
            if vm.current is fiber and len(fiber.frames) == depth and fiber.frames[-1] is frame:
                pos = self._position()
                if pos[3] is not None and pos[3] != line:
                    return self._finish("step")
                continue
            if len(fiber.frames) >= depth and fiber.frames[depth - 1] is not frame:
                # A tail call replaced the frame: run until it returns to the caller.
                return self._finish(self._run_until_back(fiber, depth - 1))
            # Inside a call or a resumed fiber: run until control is back in this frame.
            r = self._run_until_back(fiber, depth)
            if r != "step":
                return self._finish(r)
            if self._returned(fiber, depth, frame) or vm.current is not fiber:
                return self._finish("step")
            pos = self._position()
            if pos[3] is not None and pos[3] != line:
                return self._finish("step")

    def _waiting(self, fiber, depth: int) -> list:
        """(fiber, depth) pairs control comes back to when `fiber` returns below `depth`
        frames or stops: its own frame at `depth`, then each fiber waiting in a resume."""
        targets = []
        if 0 < depth <= len(fiber.frames):
            targets.append((fiber, depth))
        waiting = fiber.parent if fiber.status == "alive" else None
        while waiting is not None and waiting.frames:
            targets.append((waiting, len(waiting.frames)))
            waiting = waiting.parent if waiting.status == "alive" else None
        return targets

    def _waiting_spots(self, fiber, depth: int) -> list:
        return [(f.frames[d - 1].func, f.frames[d - 1].ip) for f, d in self._waiting(fiber, depth)]

    def _run_until_back(self, fiber, depth: int) -> str:
        """Run until `fiber` executes again with `depth` frames or fewer, or control goes
        back to one of the fibers waiting for it (it yielded, returned or failed)."""
        targets = self._waiting(fiber, depth)
        spots = [(f.frames[d - 1].func, f.frames[d - 1].ip) for f, d in targets]

        def back() -> bool:
            current = self.vm.current
            return any(f is current and len(f.frames) <= d for f, d in targets)

        return self._trap_until(spots, back)

    def step_out(self) -> "Snapshot":
        """Run until the selected frame returns to its caller (or its fiber stops)."""
        self._begin()
        vm = self.vm
        fiber = vm.current
        if vm.halted or fiber is None or not fiber.frames:
            return self._finish(vm.status)
        shown = self._shown_fiber()
        if shown is not fiber:
            self.message = "step out works on the running fiber"
            return self.snapshot()
        depth = len(fiber.frames) - min(self.selected_frame, len(fiber.frames) - 1)
        return self._finish(self._run_until_back(fiber, depth - 1))

    def run_to(self, line: int) -> "Snapshot":
        """Continue until `line` is reached (a one-off breakpoint)."""
        self._begin()
        found = resolve_line(self.vm, self.filename, line)
        if found is None:
            self.message = f"line {line} has no code"
            return self.snapshot()
        func, off = found

        def there() -> bool:
            frame = self.vm.current.frames[-1]
            return frame.func is func and frame.ip == off

        return self._finish(self._trap_until([(func, off)], there))

    def pause(self):
        """Ask a running command to stop at the next instruction boundary (any thread)."""
        self._pause.set()
        self.vm.pause_requested = True

    # -- reverse execution ----------------------------------------------------------
    #
    # Replays run with breakpoints and catchpoints lifted, so a signal is delivered in
    # the instruction that raised it: the state at tick T is the one a forward run that
    # did not stop at T had. Only a catchpoint stop shows the signal still in flight.

    def goto_tick(self, tick: int) -> "Snapshot":
        """Go to any past (or future) tick by restoring a checkpoint and replaying."""
        self._begin()
        vm = self.vm
        tick = max(0, int(tick))
        if tick > vm.tick:
            return self._finish(self._run(until_tick=tick))
        self._replay_to(tick)
        return self._finish("step")

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
            while vm.tick < last and not vm.halted:
                if vm.run(last) not in ("limit", "pause"):
                    break
            if vm.tick < tick and not vm.halted:
                vm.catch_bits = catch
                vm.run(tick)
        finally:
            vm.catch_bits = catch
            self.patches.reapply(lifted)

    def step_back(self) -> "Snapshot":
        if self.vm.tick == 0:
            self.message = "already at the start"
            return self.snapshot()
        return self.goto_tick(self.vm.tick - 1)

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
        return self._finish("step")

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
        return self._finish("step")

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

    # -- restart, selection, watches --------------------------------------------------

    def restart(self) -> "Snapshot":
        """Reload the file from disk (edits show up) and keep breakpoints, re-resolved."""
        text = self.text
        if self.path is not None:
            from vmdbg.cli import SourceFileError, read_source
            try:
                text = read_source(self.path)
            except SourceFileError as e:
                self.message = f"restart failed: {e}; the session is unchanged"
                return self.snapshot()
        try:
            vm = VM(max_depth=self.max_depth, jit=self.jit, **self.vm_options)
            vm.load(text, self.filename)
        except (SourceError, VMBug) as e:     # VMBug: the verifier refused the code
            self.message = f"restart failed: {e}"
            return self.snapshot()
        self.patches.clear()
        self.text = text
        self.vm = vm
        if self.fuel is not None:
            vm.set_fuel(self.fuel)
        self.history.clear()
        self.history.take(vm)
        for bp in self.breakpoints.values():
            bp.hits = 0
            del bp.hit_ticks[:]
            bp.locations = []
            self._resolve(bp)
        self._update_catch_bits()
        self.reason = "entry"
        self.selected_frame = 0
        self.selected_fiber = None
        self._last_signal = None
        self.logs = []
        self.message = "restarted"
        return self.snapshot()

    def select_frame(self, index: int) -> "Snapshot":
        fiber = self._shown_fiber()
        n = len(fiber.frames) if fiber is not None else 0
        self.selected_frame = max(0, min(int(index), max(n - 1, 0)))
        return self.snapshot()

    def frames_page(self, start: int, count: int = MAX_FRAMES) -> tuple:
        """FrameInfo for frames start .. start+count-1 (0 = innermost) of the shown fiber:
        the frames a snapshot leaves out of a deep stack, a page at a time."""
        fiber = self._shown_fiber()
        frames = fiber.frames if fiber is not None else []
        n = len(frames)
        start = max(0, int(start))
        end = min(n, start + max(0, int(count)))
        return tuple(describe_frame(i, frames[n - 1 - i], i == 0) for i in range(start, end))

    def select_fiber(self, fiber_id: int | None) -> "Snapshot":
        vm = self.vm
        if fiber_id is None or (vm.current is not None and fiber_id == vm.current.id):
            self.selected_fiber = None
        elif fiber_id in vm.fibers:
            self.selected_fiber = fiber_id
        else:
            self.message = f"no fiber {fiber_id}"
        self.selected_frame = 0
        return self.snapshot()

    def add_watch(self, expression: str) -> "Snapshot":
        expression = expression.strip()
        if expression and expression not in self.watches:
            self.watches.append(expression)
        return self.snapshot()

    def remove_watch(self, expression: str) -> "Snapshot":
        if expression in self.watches:
            self.watches.remove(expression)
        return self.snapshot()

    def evaluate(self, expression: str) -> tuple[bool, str]:
        """Evaluate an expression in the selected frame: (ok, preview or error text)."""
        frame = self._selected_frame_obj()
        ok, value = evaluate(self.vm, frame, expression, self._lift_patches)
        return ok, (preview(value, PREVIEW) if ok else value)

    # -- snapshots ------------------------------------------------------------------

    def _shown_fiber(self):
        vm = self.vm
        if self.selected_fiber is not None:
            f = vm.fibers.get(self.selected_fiber)
            if f is not None:
                return f
        return vm.current

    def _selected_frame_obj(self):
        fiber = self._shown_fiber()
        if fiber is None or not fiber.frames:
            return None
        i = min(self.selected_frame, len(fiber.frames) - 1)
        return fiber.frames[-1 - i]

    def snapshot(self, reason: str | None = None) -> Snapshot:
        """The immutable picture of the program as it is now."""
        vm = self.vm
        vm.settle_fuel()
        fiber = self._shown_fiber()
        frames = fiber.frames if fiber is not None else []
        frame = self._selected_frame_obj()
        infos = tuple(describe_frame(i, fr, i == 0)
                      for i, fr in enumerate(reversed(frames[-MAX_FRAMES:])))
        if frame is not None:
            span = span_before(frame.func, frame.ip if frame is frames[-1] else max(frame.ip - 1, 0))
            instruction, explanation = describe_instruction(frames[-1], vm.registry) if frames else ("", "")
            stack_items = frame.stack[-MAX_STACK:]
            stack = tuple(preview(v, PREVIEW) for v in stack_items)
            stack_size = len(frame.stack)
        else:
            span, instruction, explanation, stack, stack_size = None, "", "", (), 0
        status = {"finished": "finished", "error": "error", "running": "running"}.get(vm.status, "paused")
        if reason == "running":
            status = "running"
        error = None
        if vm.halted and vm.status == "error":
            from vm.api import format_uncaught
            error = format_uncaught(vm)[1]
        return Snapshot(
            reason=reason or self.reason, status=status, tick=vm.tick,
            fiber_id=fiber.id if fiber is not None else None,
            current_fiber_id=vm.current.id if vm.current is not None else None,
            inspecting=self.selected_fiber is not None and fiber is not vm.current,
            function=frame.func.name if frame is not None else None,
            file=span.file if span else None, line=span.line if span else None,
            column=span.col if span else None, end_line=span.end_line if span else None,
            end_column=span.end_col if span else None,
            ip=frame.ip if frame is not None else None,
            instruction=instruction, explanation=explanation,
            stack=stack, stack_size=stack_size, frames=infos, frame_count=len(frames),
            selected_frame=self.selected_frame, fibers=self._fiber_infos(),
            fiber_count=len(vm.fibers), output=self._output(),
            watches={w: self._watch_value(w, frame) for w in self.watches},
            breakpoints=tuple(self._bp_info(bp) for bp in self.breakpoints.values()),
            error=error, signal=self._last_signal, message=self.message,
            functions=self._function_tiers(),
            code=self._code_lines(frame.func) if frame is not None else (),
            code_breaks=self._code_breaks(frame.func) if frame is not None else (),
            code_tier=self._tier_of(frame.func) if frame is not None else "interp",
            source=vm.sources.get(span.file, "") if span else "",
            signal_names=tuple(sorted(vm.registry.bits.items(), key=lambda kv: kv[1])))

    def _code_lines(self, func) -> tuple:
        """The disassembly of `func`, computed once per function."""
        cache = self.__dict__.setdefault("_code_cache", {})
        lines = cache.get(id(func))
        if lines is None or lines[0] is not func:
            from vm.disasm import disassemble_lines
            lines = (func, tuple(disassemble_lines(func, self.vm.registry)))
            cache[id(func)] = lines
        return lines[1]

    def _code_breaks(self, func) -> tuple:
        return tuple(sorted(off for f, off, _, _ in self.patches.counts.values() if f is func))

    def _tier_of(self, func) -> str:
        state = getattr(func, "jit_state", None)
        tier = getattr(state, "tier", None)
        return tier if isinstance(tier, str) else "interp"

    def _output(self) -> str:
        """The program's output with log messages placed where they were written."""
        vm = self.vm
        logs = self.logs
        key = (len(vm.output), vm.output_size, len(logs), logs[-1][0] if logs else None)
        if getattr(self, "_output_key", None) != key:
            self._output_key = key
            if not logs:
                self._output_text = vm.output_text()
            else:
                chunks, parts, done = vm.output, [], 0
                for _, index, text in logs:
                    index = min(index, len(chunks))
                    parts.extend(chunks[done:index])
                    parts.append(text)
                    done = max(done, index)
                parts.extend(chunks[done:])
                self._output_text = "".join(parts)
        return self._output_text

    def _watch_value(self, expression, frame) -> str:
        ok, value = evaluate(self.vm, frame, expression, self._lift_patches)
        return preview(value, PREVIEW) if ok else f"error: {value}"

    def _fiber_infos(self) -> tuple:
        vm = self.vm
        fibers = sorted(vm.fibers.values(), key=lambda f: f.id)[:MAX_FIBERS]
        children: dict[int, list[int]] = {}
        for f in fibers:
            tp = f.parent if f.parent is not None else f.creator
            if tp is not None:
                children.setdefault(tp.id, []).append(f.id)
        out = []
        for f in fibers:
            names = vm.registry.names
            out.append(FiberInfo(
                f.id, f.function_name, f.status, f.mask, tuple(names(f.mask)), vm.live_fuel(f),
                f.bits, tuple(names(f.bits)), preview(f.value, 80),
                f.parent.id if f.parent is not None else None,
                f.creator.id if f.creator is not None else None,
                tuple(children.get(f.id, ())), f.child.id if f.child is not None else None,
                len(f.frames), f.caught_by.id if f.caught_by is not None else None,
                f is vm.current))
        return tuple(out)

    def _bp_info(self, bp: Breakpoint) -> BreakpointInfo:
        locs = tuple((f.name, off, f.line_at(off)) for f, off in bp.locations)
        return BreakpointInfo(bp.id, bp.kind, bp.describe(), bp.enabled, bp.verified, bp.message,
                              bp.hits, bp.condition, bp.hit_count, bp.log_message, locs,
                              bp.line if bp.kind == "line" else None)

    def _function_tiers(self) -> tuple:
        jit = self.vm.jit
        if jit is None or not hasattr(jit, "stats"):
            return ()
        try:
            return tuple((s["name"], s["tier"], s.get("reason") or "") for s in jit.stats())
        except Exception:
            return ()

    def source_lines(self) -> list[str]:
        return self.text.splitlines()


def _same_line(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] == b[0] and a[1] == b[1] and a[2] is b[2] and a[3] == b[3]


def signal_bits(vm, text: str) -> int:
    """Bits of a catchpoint spec: ':yield', 'yield', '|:yield :error|' or an int."""
    words = text.replace("|", " ").replace(",", " ").split()
    if not words:
        raise ValueError("empty signal")
    bits = 0
    for w in words:
        if w.lstrip("-").isdigit():
            bits |= int(w)
            continue
        name = w.lstrip(":")
        b = vm.registry.lookup(name)
        if b is None:
            raise ValueError(f"unknown signal :{name}")
        bits |= b
    return bits
