"""How a Session describes the program: the immutable Snapshot and its parts."""

from __future__ import annotations

from dataclasses import replace

from vm.api import format_uncaught
from vm.bytecode import OPCODES
from vm.core import span_before
from vm.disasm import Disassembly
from vm.values import preview
from vmdbg.core.breakpoints import Breakpoint
from vmdbg.core.snapshot import (MAX_FIBERS, MAX_FRAMES, MAX_STACK, PREVIEW, BreakpointInfo,
                                 FiberInfo, Snapshot, describe_delivery, describe_frame,
                                 describe_instruction)
from vmdbg.core.watch import evaluate


class Views:
    """Session part: snapshots, frame pages and the views they are made of."""

    def frames_page(self, start: int, count: int = MAX_FRAMES) -> tuple:
        """FrameInfo for frames start .. start+count-1 (0 = innermost) of the shown fiber:
        the frames a snapshot leaves out of a deep stack, a page at a time."""
        fiber = self._shown_fiber()
        frames = fiber.frames if fiber is not None else []
        n = len(frames)
        start = max(0, int(start))
        end = min(n, start + max(0, int(count)))
        return tuple(describe_frame(i, frames[n - 1 - i], i == 0) for i in range(start, end))

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
        held_ip, in_flight = self._held_at(fiber)
        ip = frame.ip if frame is not None else None
        if frame is not None:
            top = frame is frames[-1]
            if top and held_ip is not None:
                ip = held_ip
            span = span_before(frame.func, ip if top else max(frame.ip - 1, 0))
            instruction, explanation = describe_instruction(frames[-1], vm.registry, held_ip)
            stack_items = frame.stack[-MAX_STACK:]
            stack = tuple(preview(v, PREVIEW) for v in stack_items)
            stack_size = len(frame.stack)
            if top and in_flight:
                stack, stack_size = stack + in_flight, stack_size + 1
            signal = self._last_signal
            if held_ip is not None and signal is not None:
                catcher = vm.fibers.get(signal.caught_by) if signal.caught_by is not None else None
                resumer = catcher.parent.id if catcher is not None and catcher.parent is not None else None
                op = OPCODES[frames[-1].func.code[held_ip]].name
                explanation = describe_delivery(op, signal, resumer)
        else:
            span, instruction, explanation, stack, stack_size = None, "", "", (), 0
        if held_ip is not None and infos:
            at = span_before(frames[-1].func, held_ip)
            infos = (replace(infos[0], ip=held_ip, line=at.line if at else None,
                             column=at.col if at else None),) + infos[1:]
        status = {"finished": "finished", "error": "error", "running": "running"}.get(vm.status, "paused")
        if reason == "running":
            status = "running"
        error = None
        if vm.halted and vm.status == "error":
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
            ip=ip,
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
            signal_names=tuple(sorted(vm.registry.bits.items(), key=lambda kv: kv[1])),
            jit_threshold=vm.jit_threshold, furthest=max(self.furthest, vm.tick),
            stop_ticks=self._stop_ticks_seen())

    def _stop_ticks_seen(self) -> tuple:
        ticks = set()
        for bp in self.breakpoints.values():
            ticks.update(bp.hit_ticks[-256:])
        return tuple(sorted(ticks)[-256:])

    def _held_at(self, fiber) -> tuple:
        """(offset, in-flight stack) of the instruction whose signal a catchpoint holds,
        when `fiber` raised it: the stop is shown *at* that instruction, an Emit's payload
        still on the stack. (None, ()) otherwise (no held signal, or fuel ran out)."""
        vm = self.vm
        held = vm.held_signal
        if held is None or held[0] is not fiber or vm.held_ip is None or not fiber.frames:
            return None, ()
        func = fiber.frames[-1].func
        entry = func.decoded[vm.held_ip] if vm.held_ip < len(func.decoded) else None
        emits = entry is not None and OPCODES[func.code[vm.held_ip]].name in ("Emit", "EmitWide")
        return vm.held_ip, ((preview(held[2], PREVIEW),) if emits else ())

    def _code_lines(self, func) -> Disassembly:
        """The disassembly of `func`, one per function, each line made when first read
        (vm/disasm.py Disassembly: a stop in a huge main shows a screenful of it)."""
        cache = self.__dict__.setdefault("_code_cache", {})
        lines = cache.get(id(func))
        if lines is None or lines[0] is not func:
            lines = (func, Disassembly(func, self.vm.registry))
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
        # The fibers blocked in fiber/resume: every resumer up the chain from the running one.
        waiting = {}
        g = vm.current
        while g is not None and g.parent is not None and g.parent.child is g:
            waiting[g.parent.id] = g.id
            g = g.parent
        out = []
        names = vm.registry.names
        for f in fibers:
            out.append(FiberInfo(
                f.id, f.function_name, f.status, f.mask, tuple(names(f.mask)), vm.live_fuel(f),
                f.bits, tuple(names(f.bits)), preview(f.value, 80),
                f.parent.id if f.parent is not None else None,
                f.creator.id if f.creator is not None else None,
                tuple(children.get(f.id, ())), f.child.id if f.child is not None else None,
                len(f.frames), f.caught_by.id if f.caught_by is not None else None,
                f is vm.current, f.fuel_given, waiting.get(f.id)))
        return tuple(out)

    def _bp_info(self, bp: Breakpoint) -> BreakpointInfo:
        locs = tuple((f.name, off, f.line_at(off)) for f, off in bp.locations)
        return BreakpointInfo(bp.id, bp.kind, bp.describe(), bp.enabled, bp.verified, bp.message,
                              bp.hits, bp.condition, bp.hit_count, bp.log_message, locs,
                              bp.line if bp.kind == "line" else None)

    def _function_tiers(self) -> tuple:
        vm = self.vm
        jit = vm.jit
        if jit is None and vm.jit_threshold and vm.main is not None:
            # The engine is made at the first compile: until then every function waits.
            return tuple((f.name, "interp", f"{f.calls} of {vm.jit_threshold} calls before it compiles")
                         for f in vm.main.all_functions() if f is not vm.main)
        if jit is None or not hasattr(jit, "stats"):
            return ()
        try:
            return tuple((s["name"], s["tier"], s.get("reason") or "") for s in jit.stats())
        except Exception:
            return ()
