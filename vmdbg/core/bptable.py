"""The breakpoint table of a Session: adding, resolving (to patched instructions or to a
catchpoint's signal bits), enabling and removing breakpoints. What happens when execution
arrives at one is the forward engine's business (vmdbg.core.engine)."""

from __future__ import annotations

from vmdbg.core.breakpoints import Breakpoint, program_functions, resolve_line


class BreakpointTable:
    """Session part: `self.breakpoints` (id -> Breakpoint), `self.patches`, `self.vm`."""

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
        """Remove breakpoint `bp_id`; False if there is none."""
        bp = self.breakpoints.pop(bp_id, None)
        if bp is None:
            return False
        if bp.enabled:
            for func, off in bp.locations:
                self.patches.remove(func, off)
        self._update_catch_bits()
        return True

    def enable_breakpoint(self, bp_id: int, enabled: bool = True) -> bool:
        """Enable or disable breakpoint `bp_id` (it keeps its hits); False if there is none."""
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
