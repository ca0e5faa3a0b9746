"""Instruction addresses: the program's functions laid end to end, so one number names any instruction.

A protocol client (the DAP disassembly view, instruction breakpoints, a frame's instruction
pointer) wants a numeric address it can count from; the VM has (function, byte offset).
Here each function gets a base address and the address of an instruction is its base plus
its byte offset. The layout depends only on the loaded code, so it is the same at every
stop and for every run of the same program.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from dataclasses import dataclass

from vm.bytecode import decode_at
from vm.disasm import disassemble_instruction

from vmdbg.core.breakpoints import program_functions

# The first function starts here, so the fillers a client asks for before it (a disassembly
# view scrolled above the first instruction) still have positive, distinct addresses.
BASE = 0x10000
ALIGN = 16


@dataclass(frozen=True)
class Instruction:
    """One line of a disassembly; `valid` False for a filler outside the program's code."""

    address: int
    text: str                   # opcode, operands, and a comment naming them
    raw: str                    # the encoded bytes, in hex
    function: str
    first: bool                 # the first instruction of its function
    file: str | None
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    valid: bool = True


class CodeMap:
    """Addresses of one loaded program's instructions."""

    def __init__(self, vm):
        self.vm = vm
        self.main = vm.main
        self.funcs: list = []
        self.bases: list[int] = []
        self.index: dict[int, int] = {}
        self.end = BASE
        self._listing = None        # [(address, function index, offset)], built on first use
        self._keys: list[int] = []  # the addresses of _listing, for bisect
        for func in program_functions(vm):
            self._add(func)

    def _add(self, func) -> int:
        i = len(self.funcs)
        self.funcs.append(func)
        self.bases.append(self.end)
        self.index[id(func)] = i
        size = max(len(func.code), 1)
        self.end += (size + ALIGN) // ALIGN * ALIGN      # a gap after each function
        self._listing = None
        return i

    def address(self, func, offset: int) -> int:
        i = self.index.get(id(func))
        if i is None or self.funcs[i] is not func:
            i = self._add(func)         # not reachable from main or a global: listed last
        return self.bases[i] + offset

    def locate(self, address: int, exact: bool = True):
        """(function, offset) of the instruction at `address` (exact: it must start there;
        else the instruction containing it), or None."""
        listing = self.listing()
        j = bisect_right(self._keys, address) - 1
        if j < 0:
            return None
        start, i, off = listing[j]
        func = self.funcs[i]
        if start == address:
            return func, off
        if exact or address >= self.bases[i] + len(func.code):
            return None
        return func, off

    def listing(self) -> list[tuple[int, int, int]]:
        if self._listing is None:
            out = []
            for i, func in enumerate(self.funcs):
                base, off, code = self.bases[i], 0, func.code
                while off < len(code):
                    out.append((base + off, i, off))
                    off = decode_at(code, off)[2]
            self._listing = out
            self._keys = [a for a, _, _ in out]
        return self._listing

    def instructions(self, address: int, instruction_offset: int, count: int) -> list[Instruction]:
        """`count` instructions starting `instruction_offset` instructions away from the one
        at (or containing) `address`; fillers where that runs past the program's code."""
        listing = self.listing()
        here = bisect_right(self._keys, address) - 1     # -1: before the first instruction
        out = []
        for k in range(max(0, int(count))):
            j = here + int(instruction_offset) + k
            if 0 <= j < len(listing):
                out.append(self._describe(*listing[j]))
            else:
                filler = BASE + j if j < 0 else self.end + (j - len(listing))
                out.append(Instruction(max(filler, 0), "", "", "", False, None, None, None,
                                       None, None, valid=False))
        return out

    def _describe(self, address: int, i: int, off: int) -> Instruction:
        func = self.funcs[i]
        text, nxt = disassemble_instruction(func, off, None, self.vm.registry)
        # The disassembler's line starts with the offset and the source line: an address
        # and a location field say those here.
        parts = text.split(None, 2)
        body = parts[2] if len(parts) == 3 else text
        span = func.locations.get(off)
        return Instruction(address, body.rstrip(), func.code[off:nxt].hex(" "), func.name, off == 0,
                           span.file if span else func.source or None, span.line if span else None,
                           span.col if span else None, span.end_line if span else None,
                           span.end_col if span else None)


_MAPS = weakref.WeakKeyDictionary()        # vm -> its CodeMap


def code_map(session) -> CodeMap:
    """The address map of the session's current program (a restart loads a new one)."""
    vm = session.vm
    cm = _MAPS.get(vm)
    if cm is None or cm.main is not vm.main:
        cm = CodeMap(vm)
        _MAPS[vm] = cm
    return cm


def format_address(address: int) -> str:
    return f"0x{address:08x}"


def parse_address(text) -> int | None:
    """An address as a client sends it back ("0x0001002a", or a decimal number), or None."""
    try:
        if isinstance(text, int):
            return text
        text = str(text).strip().lower()
        return int(text, 16) if text.startswith("0x") else int(text)
    except (TypeError, ValueError):
        return None


def add_instruction_breakpoint(session, address: int, condition=None, hit_count=None):
    """(Breakpoint, "") on exactly the instruction at `address`, or (None, why not).

    The Session's offset breakpoints name a function by name, and many functions share a
    name (every `fn`): this one is narrowed to the one function the address lies in."""
    place = code_map(session).locate(address)
    if place is None:
        return None, f"no instruction starts at {format_address(address)}"
    func, off = place
    bp = session.add_breakpoint(offset=(func.name, off), condition=condition, hit_count=hit_count)
    others = [(f, o) for f, o in bp.locations if f is not func]
    if bp.enabled:
        for f, o in others:
            session.patches.remove(f, o)
    bp.locations = [(f, o) for f, o in bp.locations if f is func]
    return bp, ""


@dataclass(frozen=True)
class Place:
    """Where a breakpoint is patched in: function, offset, source position, address."""

    function: str
    offset: int
    file: str | None
    line: int | None
    column: int | None
    address: int


def breakpoint_places(session, bp_id: int) -> list[Place]:
    bp = session.breakpoints.get(bp_id)
    if bp is None:
        return []
    cm = code_map(session)
    out = []
    for func, off in bp.locations:
        span = func.locations.get(off)
        out.append(Place(func.name, off, span.file if span else func.source or None,
                         span.line if span else None, span.col if span else None,
                         cm.address(func, off)))
    return out
