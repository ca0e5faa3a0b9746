"""The debugging core: one Session owns one VM running one program (no textual here).

Every command returns the Snapshot at the new stop. Forward execution uses the VM's cheap
trap (limits and patched BREAK instructions); reverse execution restores a checkpoint and
replays deterministically to the wanted tick.
"""

from __future__ import annotations

import threading
import time

from vm.call import will_catch
from vm.core import VM, span_before
from vm.errors import SourceError
from vm.execute import OP_BREAK
from vm.signals import SIG_ERROR, SIG_FUEL
from vm.values import preview
from vmdbg.breakpoints import Breakpoint, Patches, program_functions, resolve_line
from vmdbg.history import History
from vmdbg.snapshot import (MAX_FIBERS, MAX_FRAMES, MAX_STACK, PREVIEW, BreakpointInfo,
                            FiberInfo, SignalInfo, Snapshot, describe_frame,
                            describe_instruction)
from vmdbg.watch import evaluate

# Single-stepping commands give up (and report a pause) after this many instructions.
STEP_BUDGET = 5_000_000


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
            vm.root.fuel = self.fuel
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
        self._pause.clear()
        last_progress = time.perf_counter()
        r = self._step_past_break()
        if r is not None and r not in ("limit",):
            return r
        while True:
            if self._pause.is_set():
                return "pause"
            target = self.history.next_due()
            if until_tick is not None:
                target = min(target, until_tick)
            target = max(target, vm.tick + 1)
            reason = vm.run(target)
            if reason == "limit":
                self.history.maybe_take(vm)
                if until_tick is not None and vm.tick >= until_tick:
                    return "limit"
                if self.progress is not None and time.perf_counter() - last_progress > self.progress_interval:
                    last_progress = time.perf_counter()
                    self.progress(self.snapshot("running"))
                continue
            if reason == "pause":
                return "pause"
            if reason == "breakpoint":
                if self._breakpoint_stops():
                    return "breakpoint"
                r = self._step_past_break()
                if r is not None and r not in ("limit",):
                    return r
                continue
            if reason == "signal":
                if self._signal_stops():
                    return "signal"
                continue
            return reason

    def _at_user_breakpoint(self) -> bool:
        f = self.vm.current
        return f is not None and bool(f.frames) and not self.vm.halted and bool(self._stopped_bps())

    def _stopped_bps(self) -> list[Breakpoint]:
        fiber = self.vm.current
        frame = fiber.frames[-1]
        return [bp for bp in self.breakpoints.values()
                if bp.enabled and any(f is frame.func and off == frame.ip for f, off in bp.locations)]

    def _breakpoint_stops(self) -> bool:
        """At a patched instruction: decide with conditions, hit counts and log messages."""
        if getattr(self, "_internal_target", None) is not None:
            fiber_id, depth = self._internal_target
            fiber = self.vm.current
            if fiber.id == fiber_id and len(fiber.frames) <= depth:
                return True
        stop = False
        for bp in self._stopped_bps():
            if self._bp_fires(bp):
                stop = True
        return stop

    def _bp_fires(self, bp: Breakpoint) -> bool:
        vm = self.vm
        frame = vm.current.frames[-1]
        if bp.condition:
            ok, value = evaluate(vm, frame, bp.condition, self._lift_patches)
            if not ok or value is None or value is False:
                return False
        bp.hits += 1
        if bp.hit_count and bp.hits < bp.hit_count:
            return False
        if bp.log_message:
            vm.write(self._interpolate(bp.log_message, frame) + "\n")
            return False
        return True

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
            from vm.values import display
            out.append(display(value) if ok else f"<{value}>")
            i = k + 1
        return "".join(out)

    def _signal_stops(self) -> bool:
        vm = self.vm
        fiber, bits, payload = vm.held_signal
        catcher = will_catch(fiber, bits)
        self._last_signal = SignalInfo(fiber.id, bits, tuple(vm.registry.names(bits)),
                                       preview(payload, PREVIEW),
                                       catcher.id if catcher is not None else None, catcher is None)
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
        if reason != "signal":
            self._last_signal = None
        self.reason = reason
        self.selected_frame = 0
        self.selected_fiber = None
        self.history.maybe_take(vm)
        return self.snapshot()

    # -- forward commands ---------------------------------------------------------

    def continue_(self) -> "Snapshot":
        self.message = ""
        return self._finish(self._run())

    def step_instruction(self) -> "Snapshot":
        self.message = ""
        vm = self.vm
        if vm.halted:
            return self._finish(vm.status)
        r = self._step_past_break()
        if r is None:
            r = vm.run(vm.tick + 1)
        if r == "breakpoint":
            r = "step"
        if r == "signal" and not self._signal_stops():
            r = "step"
        return self._finish(r)

    def _position(self):
        vm = self.vm
        f = vm.current
        if f is None or not f.frames:
            return None
        frame = f.frames[-1]
        span = frame.func.locations.get(frame.ip)
        return (f.id, len(f.frames), frame.func, span.line if span else None)

    def _single_step_until(self, done) -> str:
        """Step instruction by instruction until done(position) or a stop."""
        vm = self.vm
        self._pause.clear()
        for _ in range(STEP_BUDGET):
            if vm.halted:
                return vm.status
            if self._pause.is_set():
                return "pause"
            r = self._step_past_break()
            if r is None:
                r = vm.run(vm.tick + 1)
            if r == "signal":
                if self._signal_stops():
                    return "signal"
                continue
            if r not in ("limit", "breakpoint"):
                return r
            self.history.maybe_take(vm)
            pos = self._position()
            if pos is not None and done(pos):
                return "step"
            if r == "breakpoint" and pos is not None and self._breakpoint_stops():
                return "breakpoint"
        return "pause"

    def step_line(self) -> "Snapshot":
        """Step into: stop at the next instruction on another line, or in another frame/fiber."""
        self.message = ""
        start = self._position()
        if start is None:
            return self._finish(self.vm.status)
        fid, depth, func, line = start

        def done(pos):
            return pos[3] is not None and (pos[0] != fid or pos[1] != depth or pos[2] is not func or pos[3] != line)

        return self._finish(self._single_step_until(done))

    def step_over(self) -> "Snapshot":
        """Like step_line, but calls and fiber resumes run to completion (or a stop inside)."""
        self.message = ""
        start = self._position()
        if start is None:
            return self._finish(self.vm.status)
        fid, depth, func, line = start
        vm = self.vm
        while True:
            r = self._single_step_until(lambda pos: True)
            if r != "step":
                return self._finish(r)
            pos = self._position()
            if pos[0] == fid and pos[1] <= depth:
                if pos[1] < depth or pos[2] is not func or (pos[3] is not None and pos[3] != line):
                    return self._finish("step")
                continue
            # Inside a call or another fiber: run until control is back in this frame.
            r = self._run_until_back(fid, depth)
            if r != "step":
                return self._finish(r)
            pos = self._position()
            if pos is None or pos[1] < depth or pos[3] != line or pos[2] is not func:
                return self._finish("step")

    def _run_until_back(self, fiber_id: int, depth: int) -> str:
        """Run until fiber `fiber_id` executes again at `depth` frames or fewer."""
        vm = self.vm
        fiber = vm.fibers.get(fiber_id)
        if fiber is None or len(fiber.frames) < depth or depth == 0:
            return self._run()
        frame = fiber.frames[depth - 1]
        func, off = frame.func, frame.ip
        self.patches.add(func, off)
        self._internal_target = (fiber_id, depth)
        try:
            r = self._run()
        finally:
            self._internal_target = None
            self.patches.remove(func, off)
        if r == "breakpoint":
            f = vm.current
            if f.id == fiber_id and len(f.frames) <= depth and f.frames[-1].ip == off:
                user = [bp for bp in self._stopped_bps()]
                return "breakpoint" if user and any(self._bp_fires(bp) for bp in user) else "step"
        return r

    def step_out(self) -> "Snapshot":
        """Run until the selected frame returns to its caller (or its fiber stops)."""
        self.message = ""
        vm = self.vm
        fiber = vm.current
        if vm.halted or fiber is None:
            return self._finish(vm.status)
        depth = len(fiber.frames) - self.selected_frame
        if depth > 1:
            return self._finish(self._run_until_back(fiber.id, depth - 1))
        parent = fiber.parent
        if parent is not None and parent.frames:
            return self._finish(self._run_until_back(parent.id, len(parent.frames)))
        return self._finish(self._run())

    def run_to(self, line: int) -> "Snapshot":
        """Continue until `line` is reached (a one-off breakpoint)."""
        self.message = ""
        found = resolve_line(self.vm, self.filename, line)
        if found is None:
            self.message = f"line {line} has no code"
            return self.snapshot()
        func, off = found
        self.patches.add(func, off)
        try:
            r = self._run()
        finally:
            self.patches.remove(func, off)
        return self._finish(r)

    def pause(self):
        """Ask a running command to stop at the next instruction boundary (any thread)."""
        self._pause.set()
        self.vm.pause_requested = True

    # -- reverse execution ----------------------------------------------------------

    def goto_tick(self, tick: int) -> "Snapshot":
        """Go to any past (or future) tick by restoring a checkpoint and replaying."""
        self.message = ""
        vm = self.vm
        tick = max(0, int(tick))
        if tick > vm.tick:
            r = self._run(until_tick=tick)
            return self._finish("step" if r == "limit" else r)
        self._replay_to(tick)
        return self._finish("step")

    def _replay_to(self, tick: int):
        """Restore the nearest checkpoint at or before `tick` and run silently to it."""
        vm = self.vm
        cp = self.history.before(tick)
        self.history.restore(vm, cp)
        lifted = self.patches.lift_all()
        catch = vm.catch_bits
        vm.catch_bits = 0
        try:
            while vm.tick < tick and not vm.halted:
                if vm.run(tick) not in ("limit", "pause"):
                    break
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

    def step_back_line(self) -> "Snapshot":
        """Go back to where the previous line (in any frame or fiber) began."""
        self.message = ""
        vm = self.vm
        now = vm.tick
        here = self._position()
        if now == 0:
            self.message = "already at the start"
            return self.snapshot()
        span = max(self.history.interval, 2_000)
        start = max(0, now - span)
        while True:
            positions = self._positions(start, now)
            target = None
            i = len(positions) - 1
            while i >= 0 and _same_line(positions[i][1], here):
                i -= 1
            if i >= 0:
                line_pos = positions[i][1]
                while i > 0 and _same_line(positions[i - 1][1], line_pos):
                    i -= 1
                if i > 0 or start == 0:
                    target = positions[i][0]
            if target is not None or start == 0:
                self._replay_to(target if target is not None else 0)
                return self._finish("step")
            start = max(0, start - span)

    def step_back_over(self) -> "Snapshot":
        """Go back to where the previous line of this frame (or its caller) began; the
        instructions of calls and resumed fibers in between are skipped, like step_over."""
        self.message = ""
        now = self.vm.tick
        here = self._position()
        if now == 0 or here is None:
            self.message = "already at the start"
            return self.snapshot()

        def mine(pos):
            return pos is not None and pos[0] == here[0] and pos[1] <= here[1]

        span = max(self.history.interval, 2_000)
        start = max(0, now - span)
        while True:
            positions = [(t, p) for t, p in self._positions(start, now) if mine(p)]
            i = len(positions) - 1
            while i >= 0 and _same_line(positions[i][1], here):
                i -= 1
            target = None
            if i >= 0:
                line_pos = positions[i][1]
                while i > 0 and _same_line(positions[i - 1][1], line_pos):
                    i -= 1
                if i > 0 or start == 0:
                    target = positions[i][0]
            if target is not None:
                self._replay_to(target)
                return self._finish("step")
            if start == 0:              # nothing earlier in this fiber: back to its resumer
                return self.step_back_line()
            start = max(0, start - span)

    def reverse_continue(self) -> "Snapshot":
        """Go back to the previous breakpoint hit (or the start)."""
        self.message = ""
        vm = self.vm
        now = vm.tick
        hits = []
        start = self.history.before(max(now - 1, 0)).tick if now else 0
        while True:
            hits = self._breakpoint_ticks(start, now)
            if hits or start == 0:
                break
            prev = self.history.before(start - 1)
            start = prev.tick if prev is not None else 0
        if not hits:
            self._replay_to(0)
            self.message = "no earlier breakpoint hit: went back to the start"
            return self._finish("entry")
        self._replay_to(hits[-1])
        return self._finish("breakpoint")

    def _breakpoint_ticks(self, start_tick: int, end_tick: int) -> list[int]:
        """Ticks in [start_tick, end_tick) at which a line/function/offset breakpoint stops."""
        vm = self.vm
        self._replay_to(start_tick)
        saved_hits = {bp.id: bp.hits for bp in self.breakpoints.values()}
        catch = vm.catch_bits
        vm.catch_bits = 0
        out = []
        try:
            if self._at_user_breakpoint() and self._breakpoint_stops():
                out.append(vm.tick)
            while vm.tick < end_tick and not vm.halted:
                r = self._step_past_break()
                if r is not None and r != "limit":
                    break
                if vm.tick >= end_tick:
                    break
                r = vm.run(end_tick)
                if r == "breakpoint":
                    if vm.tick < end_tick and self._breakpoint_stops():
                        out.append(vm.tick)
                    continue
                if r not in ("limit", "pause"):
                    break
        finally:
            vm.catch_bits = catch
            for bp in self.breakpoints.values():
                bp.hits = saved_hits.get(bp.id, bp.hits)
        return [t for t in out if t < end_tick]

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
        except SourceError as e:
            self.message = f"restart failed: {e}"
            return self.snapshot()
        self.patches.clear()
        self.text = text
        self.vm = vm
        if self.fuel is not None:
            vm.root.fuel = self.fuel
        self.history.clear()
        self.history.take(vm)
        for bp in self.breakpoints.values():
            bp.hits = 0
            bp.locations = []
            self._resolve(bp)
        self._update_catch_bits()
        self.reason = "entry"
        self.selected_frame = 0
        self.selected_fiber = None
        self._last_signal = None
        self.message = "restarted"
        return self.snapshot()

    def select_frame(self, index: int) -> "Snapshot":
        fiber = self._shown_fiber()
        n = len(fiber.frames) if fiber is not None else 0
        self.selected_frame = max(0, min(int(index), max(n - 1, 0)))
        return self.snapshot()

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
        vm = self.vm
        key = (len(vm.output), vm.output_size)
        if getattr(self, "_output_key", None) != key:
            self._output_key = key
            self._output_text = vm.output_text()
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
