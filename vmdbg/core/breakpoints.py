"""Breakpoints: resolution to (function, offset), patching pre-decoded code, hit logic."""

from __future__ import annotations

import weakref
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field

from vm.execute import OP_BREAK


@dataclass
class Breakpoint:
    """A place or event to stop at, with optional condition, hit count and log message."""

    id: int
    kind: str                          # "line" "function" "offset" "signal"
    line: int | None = None
    function: str | None = None
    offset: int | None = None
    signal: str | None = None          # ":yield" or "|:yield :error|" as the user wrote it
    bits: int = 0
    condition: str | None = None
    hit_count: int | None = None
    log_message: str | None = None
    enabled: bool = True
    hits: int = 0
    # Tick of every hit so far, in order: going back in time forgets the later ones, so
    # hit counts (and so hit_count stops) follow the timeline like everything else.
    hit_ticks: array = field(default_factory=lambda: array("q"))
    verified: bool = False
    message: str = ""
    locations: list = field(default_factory=list)   # [(CompiledFunction, offset)]

    def forget_after(self, tick: int):
        """Drop the hits after `tick` (the program went back to it)."""
        ticks = self.hit_ticks
        if ticks and ticks[-1] > tick:
            del ticks[bisect_right(ticks, tick):]
            self.hits = len(ticks)

    def describe(self) -> str:
        if self.kind == "line":
            return f"line {self.line}"
        if self.kind == "function":
            return f"function {self.function}"
        if self.kind == "offset":
            return f"{self.function} @{self.offset}"
        return f"signal {self.signal}"


_FUNCTIONS = weakref.WeakKeyDictionary()     # vm -> (its main, program_functions(vm))


def program_functions(vm) -> list:
    """Every CompiledFunction of the program and the prelude (a copy of a list made once
    per loaded program: every closure the program makes runs one of these)."""
    cached = _FUNCTIONS.get(vm)
    if cached is None or cached[0] is not vm.main:
        cached = (vm.main, _find_functions(vm))
        _FUNCTIONS[vm] = cached
    return list(cached[1])


def _find_functions(vm) -> list:
    out = []
    if vm.main is not None:
        out.extend(vm.main.all_functions())
    seen = {id(f) for f in out}
    for v in vm.globals:
        func = getattr(v, "func", None)
        if func is not None:
            for f in func.all_functions():
                if id(f) not in seen:
                    seen.add(id(f))
                    out.append(f)
    return out


def resolve_line(vm, filename: str, line: int):
    """(function, offset) of the first instruction of the first form starting on `line`."""
    best = None
    for func in program_functions(vm):
        if func.source != filename:
            continue
        for span, offset in func.form_starts:
            if span.line != line or span.file != filename:
                continue
            if offset >= len(func.code) or func.decoded[offset] is None and not _patched(func, offset):
                continue
            key = (span.col, _nesting(func), offset)
            if best is None or key < best[0]:
                best = (key, func, offset)
    if best is None:
        return None
    return best[1], best[2]


def _nesting(func) -> int:
    # Prefer the outer function when an inner form starts at the same column.
    return 0 if func.name == "main" else 1


def _patched(func, offset) -> bool:
    d = func.decoded[offset]
    return d is not None and d[0] == OP_BREAK


class Patches:
    """Reference-counted BREAK patches over pre-decoded instructions.

    The fast loop may run a superinstruction (vm/fuse.py) at the head of a group, which
    covers the instructions after it and would jump over a patch on one of them. So a
    function with any patch runs its plain entries (changed in place, so frames already
    running it see the change), and gets its superinstructions back with its last patch."""

    def __init__(self):
        self.counts: dict = {}        # (id(func), offset) -> [func, offset, original, count]

    def add(self, func, offset):
        """Patch a BREAK over `offset`. A function with any breakpoint runs without
        superinstructions (changed in place, so running frames see it too)."""
        key = (id(func), offset)
        entry = self.counts.get(key)
        if entry is None:
            if not any(e[0] is func for e in self.counts.values()):
                func.decoded[:] = func.plain
            original = func.plain[offset]
            entry = [func, offset, original, 0]
            self.counts[key] = entry
            func.decoded[offset] = (OP_BREAK, original, original[2])
            func.jit_blocked = True
        entry[3] += 1

    def remove(self, func, offset):
        key = (id(func), offset)
        entry = self.counts.get(key)
        if entry is None:
            return
        entry[3] -= 1
        if entry[3] <= 0:
            func.decoded[offset] = entry[2]
            del self.counts[key]
            if not any(e[0] is func for e in self.counts.values()):
                func.jit_blocked = False
                refuse(func)

    def is_patched(self, func, offset) -> bool:
        return (id(func), offset) in self.counts

    def original(self, func, offset):
        entry = self.counts.get((id(func), offset))
        return entry[2] if entry else None

    def lift_all(self):
        """Unpatch everything (for replay and watches); returns a token for reapply."""
        entries = list(self.counts.values())
        for func, offset, original, _ in entries:
            func.decoded[offset] = original
        return entries

    def reapply(self, entries):
        for func, offset, original, _ in entries:
            func.decoded[offset] = (OP_BREAK, original, original[2])

    def clear(self):
        self.lift_all()
        for func in {id(e[0]): e[0] for e in self.counts.values()}.values():
            func.jit_blocked = False
            refuse(func)
        self.counts.clear()


def refuse(func):
    """Put the superinstructions back once a function has no breakpoint left."""
    fast = getattr(func, "fast", None)
    if fast is not None:
        func.decoded[:] = fast
