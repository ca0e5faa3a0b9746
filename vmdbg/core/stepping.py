"""Forward commands of a Session: continue, the step family, step out, run to a line, and
pause. Each finds the spots where it could stop and lets the forward engine run to them."""

from __future__ import annotations

from vm.bytecode import OP_Return as OP_RETURN
from vmdbg.core.breakpoints import program_functions, resolve_line
from vmdbg.core.engine import ForwardEngine
from vmdbg.core.snapshot import Snapshot


class Stepping(ForwardEngine):
    """Session part: the forward commands."""

    def continue_(self) -> "Snapshot":
        """Run until a breakpoint, a catchpoint, a pause or the end."""
        self._begin()
        if self._evaluated_at != self.vm.tick:
            # Arrived here without evaluating a breakpoint on this instruction (the start,
            # a goto, a pause that landed on it): it counts now, as in a run that went on.
            why = self._arrived()
            if why is not None:
                return self._finish(why)
        return self._finish(self._run())

    def step_instruction(self) -> "Snapshot":
        """Run one instruction. At a catchpoint the stop shows the instruction that raised
        the signal: stepping it is the delivery (at no tick), to wherever the mask sends it."""
        self._begin()
        return self._finish(self._single_step_until(lambda pos: True))

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

    def _other_lines(self, func, line) -> list:
        """(func, offset) of every instruction of `func` on a line other than `line`."""
        decoded = func.decoded
        return [(func, off) for off, span in func.locations.items()
                if span.line != line and off < len(decoded) and decoded[off] is not None]

    def _entry_spots(self) -> list:
        """Every place control can arrive at from another frame or fiber: each function's
        first instruction and the next instruction of every suspended frame."""
        vm = self.vm
        # (Functions not decoded yet are patched when they are: engine._trap_until.)
        spots = [(f, 0) for f in program_functions(vm) if f.code]
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
            if steps == self.fast_after:
                # A long stay on this line (a loop): run until this frame reaches another
                # line, returns, is replaced by a tail call, or its fiber stops.
                spots = self._other_lines(func, line) + self._waiting_spots(fiber, depth - 1)
                r = self._trap_until(spots, lambda: vm.current is not fiber or len(fiber.frames) <= depth,
                                     self.step_budget)
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

    def live_tick(self) -> int:
        """A lower bound of the running program's tick (any thread, like pause): the VM's
        tick, plus what a long compiled call has used so far (it publishes its ticks about
        every chunk; the interpreter's slices update vm.tick themselves). Read in this
        order, the sum never runs ahead of the program."""
        vm = self.vm
        tick = vm.tick
        jit = vm.jit
        tick += jit.native_ticks() if jit is not None and hasattr(jit, "native_ticks") else 0
        if tick > getattr(self, "_live_seen", 0):
            self._live_seen = tick
        return tick
