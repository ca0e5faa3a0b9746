"""Immutable snapshots of a stopped VM, the only thing front ends ever read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vm.bytecode import OPCODES
from vm.core import span_before
from vm.disasm import disassemble_instruction
from vm.fiber import Frame
from vm.values import Cell, preview

# Caps that keep building a snapshot cheap whatever the program does.
MAX_FRAMES = 64          # innermost frames described (frame_count has the total)
MAX_STACK = 64           # operand stack entries shown (the top ones)
MAX_FIBERS = 500         # fibers listed
PREVIEW = 200            # characters per value preview


@dataclass(frozen=True)
class FrameInfo:
    """One call frame, innermost first in Snapshot.frames."""

    index: int                  # 0 = innermost
    function: str
    file: str
    line: int | None
    column: int | None
    ip: int                     # byte offset of the next (or, for callers, the return) instruction
    locals: dict                # name -> preview, only names in scope at ip
    tier: str = "interp"        # "interp" or "jit"
    stack_depth: int = 0


@dataclass(frozen=True)
class FiberInfo:
    """One fiber of the tree."""

    id: int
    function: str
    status: str
    mask: int
    mask_names: tuple
    fuel: int | None
    bits: int
    bits_names: tuple
    payload: str
    parent: int | None          # fiber that last resumed it
    creator: int | None         # fiber that created it
    children: tuple             # fibers whose tree parent is this one
    child: int | None           # fiber this one last resumed
    depth: int                  # number of frames
    caught_by: int | None
    is_current: bool = False
    fuel_budget: int | None = None  # the budget last given (fiber/set-fuel, --fuel)
    waiting_for: int | None = None  # the fiber it waits on in fiber/resume (it runs, or one below it)


@dataclass(frozen=True)
class SignalInfo:
    """A signal stopped at by a catchpoint (or the one that ended the program)."""

    fiber_id: int
    bits: int
    names: tuple
    payload: str
    caught_by: int | None       # fiber whose mask catches it; None: it propagates to the top
    will_propagate: bool


@dataclass(frozen=True)
class BreakpointInfo:
    id: int
    kind: str                   # line / function / offset / signal
    description: str
    enabled: bool
    verified: bool
    message: str
    hits: int
    condition: str | None
    hit_count: int | None
    log_message: str | None
    locations: tuple            # ((function, offset, line), ...)
    line: int | None = None     # the source line of a line breakpoint (for the gutter)


@dataclass(frozen=True)
class Snapshot:
    """Everything a front end shows at one stop. Cheap to build, never changes."""

    reason: str
    status: str                 # paused / running / finished / error
    tick: int
    fiber_id: int | None        # the fiber being shown (selected or current)
    current_fiber_id: int | None
    inspecting: bool            # showing a fiber other than the current one
    function: str | None
    file: str | None
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    ip: int | None
    instruction: str
    explanation: str
    stack: tuple                # previews, bottom first, of the selected frame
    stack_size: int
    frames: tuple               # FrameInfo, innermost first (capped)
    frame_count: int
    selected_frame: int
    fibers: tuple               # FiberInfo
    fiber_count: int
    output: str
    watches: dict               # expression -> preview or error text
    breakpoints: tuple          # BreakpointInfo
    error: str | None = None    # the uncaught error, as the CLI would print it
    signal: SignalInfo | None = None
    message: str = ""           # a note for the user (e.g. "line 9 has no code")
    functions: tuple = field(default_factory=tuple)   # (name, tier, reason) per function
    code: tuple = ()            # ((offset, disassembled text), ...) of the shown function (a vm.disasm.Disassembly)
    code_breaks: tuple = ()     # offsets in that function with a breakpoint patched in
    code_tier: str = "interp"   # the shown function's tier: interp / jit1 / jit2
    source: str = ""            # the text of `file` (the program, or the prelude), shared not copied
    signal_names: tuple = ()    # ((name, bit), ...) every known signal, lowest bit first
    jit_threshold: int = 0      # calls before a function compiles (0: the JIT is off)
    furthest: int = 0           # the latest tick reached so far: the timeline's end
    stop_ticks: tuple = ()      # ticks of the breakpoint hits so far (the latest 256), in order


def explain(info, operands, func=None, next_offset=0, registry=None, top: str | None = None) -> str:
    """The opcode table's one-line meaning with the operand values filled in, and `v` (the
    value on top of the stack, in the stack-effect notation) by `top` when it is known."""
    from vm.disasm import describe_operand, operand_role
    text = info.doc
    if top is not None and info.effect.startswith("( v "):
        text = re.sub(r"\bv\b", lambda _: top, text)
    for role, value in zip(info.operands, operands):
        shown = str(value)
        if func is not None:
            shown = describe_operand(func, operand_role(info, role), value, next_offset, registry) or shown
        if value == 1 and role in ("argc", "count"):
            # "call f with 1 argument", "make an array of 1 value"
            for plural in ("arguments", "pairs", "values"):
                text = text.replace(f"[{role}] {plural}", f"[{role}] {plural[:-1]}")
        text = text.replace(f"[{role}]", shown)
    return f"{info.name}: {text}"


def locals_of(frame: Frame, limit: int = 60) -> dict:
    """Names in scope at the frame's ip -> previews; hidden compiler temporaries omitted."""
    func = frame.func
    ip = frame.ip
    out = {}
    for slot, name in enumerate(func.local_names):
        if "#" in name or slot >= len(frame.locals):
            continue
        start, end = func.local_scopes[slot] if slot < len(func.local_scopes) else (0, len(func.code))
        if not start <= ip <= end:
            continue
        v = frame.locals[slot]
        if type(v) is Cell:
            v = v.value
        out[name] = preview(v, PREVIEW)
        if len(out) >= limit:
            break
    for i, (_, _, name) in enumerate(func.captures):
        if "#" in name or name in out:
            continue
        caps = frame.closure.captures
        if i < len(caps):
            v = caps[i]
            out[name] = preview(v.value if type(v) is Cell else v, PREVIEW)
    return out


def describe_frame(index: int, frame: Frame, innermost: bool) -> FrameInfo:
    func = frame.func
    ip = frame.ip if innermost else max(frame.ip - 1, 0)
    span = span_before(func, ip)
    return FrameInfo(index, func.name, span.file if span else func.source,
                     span.line if span else None, span.col if span else None, frame.ip,
                     locals_of(frame), "interp", len(frame.stack))


def describe_instruction(frame: Frame, registry, ip: int | None = None) -> tuple[str, str]:
    """(disassembly, explanation) of the instruction at `ip` (default: the frame's next)."""
    from vm.bytecode import decode_at
    func = frame.func
    ip = frame.ip if ip is None else ip
    if ip >= len(func.code):
        return "", ""
    text, _ = disassemble_instruction(func, ip, None, registry)
    info, ops, nxt = decode_at(func.code, ip)
    top = preview(frame.stack[-1], 40) if frame.stack and ip == frame.ip else None
    return text, explain(info, ops, func, nxt, registry, top)


def describe_delivery(op: str, signal: SignalInfo, resumer: int | None) -> str:
    """The explanation line at a catchpoint: the instruction that raised the signal, its
    payload, and what delivering it will do. `resumer` resumed the catching fiber."""
    names = " ".join(f":{n}" for n in signal.names) or str(signal.bits)
    if signal.will_propagate:
        where = "no mask catches it, so it ends the program"
    elif resumer is not None:
        where = f"fiber #{signal.caught_by}'s mask catches it; fiber #{resumer}'s fiber/resume returns it"
    else:
        where = f"fiber #{signal.caught_by}'s mask catches it"
    return f"{op} {names} with payload {signal.payload}: next, {where}"


OPCODE_DOCS = {info.name: info.doc for info in OPCODES}
