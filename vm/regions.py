"""Regions: the simple instructions of a function compiled to Python functions.

A loop like `(while (< i n) (assign acc (+ acc i)) (assign i (+ i 1)))` is 12 instructions
an iteration; even with superinstructions the dispatch loop pays for 4 dispatches of a
Python-level `if` chain each time round. A region runs such code as straight Python: the
operand stack lives in Python locals, comparisons feed the branch directly, and the only
bookkeeping is one budget test per straight stretch of blocks.

What a region covers. "Simple" instructions are the ones that touch only the frame's
locals and stack, cells, captures and globals, and never call, switch fibers or emit
(loads, stores, Dup, Pop, jumps, arithmetic, comparisons, Eq, Not, IsNil, Get, Length).
Arithmetic is inline on two small integers and on two floats (IEEE arithmetic never
raises in Python but for a zero divisor, which is left to the primitive); comparisons on
numbers (ints and floats compare exactly) and on two strings; Get on an array by an
integer index and Length on arrays and strings. Every other case calls the primitive the
handler calls, which is pure: when it raises, the region stops before the instruction and
the interpreter runs it again, raising at its own location. A region starts at a resume point (offset 0, a jump target, or the
instruction after any other instruction) and holds every block of simple instructions
reachable from there without passing through another kind of instruction. A block may
end in a Call, TailCall or Return, which the region performs itself when the dispatch
loop's fast path would (a closure of matching arity, a caller frame to return to) and
then returns RELOAD so the loop reloads its frame from the fiber.

Primitive calls. A call of a primitive the compiler folded to a constant is made by the
region when the primitive is pure (vm/routines.py native_ok), or one of the few impure ones
that check everything before they change anything (push, put, pop: when one raises,
nothing has changed, so the interpreter can make the call again); push and put on an
@array are inline. A primitive passed as a value (fold's `+`) is called the same way when
it is pure; a closure with a routine (vm/routines.py) or native code (vm/jit) runs whole
and the region goes on after the call. A routine that runs out of budget in such a call
stops exactly (vm/routines.py Suspend): the region puts the frames the interpreter would
hold at that tick on the fiber and returns RELOAD.

Fiber switches. A block may also end in `fiber/resume` of a fiber paused at an emit, or
in an Emit the emitting fiber's own mask catches, when neither fiber has fuel and no
catchpoint, watch or event log is on: the region makes the switch the handlers would
(vm/call.py resume_fiber; vm/dispatch.py emit_signal and vm/call.py deliver_signal) and
returns SWITCHED, so the loop reloads from vm.current. A resume goes further: it calls the
resumed fiber's region itself (at most NEST deep), and when that one yields back, the
resuming region carries on after the resume, so a generator loop never leaves Python code
for the dispatch loop.

The contract it keeps, the same as the superinstructions' (vm/fuse.py):

- `region(locals, stack, budget, frame, vm) -> (ip, used)`: it runs at most `budget`
  instructions and returns the byte offset of the next instruction and how many
  original instructions it ran. It stops only at the start of a block: before a stretch
  of blocks (a block and the blocks written inside it, up to a call) it tests that the
  longest path through the stretch fits in what is left of the budget, and returns there
  if not. So a limit (fuel, a step, a pause, the end of a run) always falls on an exact
  instruction boundary, with the frame's stack and locals exactly as the plain
  instructions would have left them.
- Anything the region does not do itself (a bad type, an error a primitive raises, a
  watch's read-only store) stops the region just before that instruction, with the state
  exactly as before it; the interpreter runs the instruction itself, so errors and their
  locations are the plain ones.
- `used == 0` means nothing ran (the first stretch did not fit, or its first instruction
  needs the interpreter): the caller runs the plain instruction at `ip`.

The region lives in `func.decoded` (which frames run) at its resume point, like a fused
entry; the metered loop, breakpoints and stepping use `func.plain` and never see it.
"""

from __future__ import annotations

from vm import bytecode
from vm.bytecode import stack_effect
from vm.fiber import STATUS_ALIVE, STATUS_PAUSED, Closure, Fiber, Frame
from vm.fuse import FUSED_REGION
from vm.jit.code import JitCode, exit_frame, run_compiled
from vm.primitives import PRIMITIVES
from vm.primitives.types import MAX_LENGTH
from vm.routines import LITERAL_LOADS, SourceNames, Suspend, depth_room, failed, frames_of, native_ok
from vm.signals import SIG_ERROR, SIG_HALT
from vm.values import Array, Keyword, Native, Struct, values_equal

_B = bytecode
# Simple instructions (jumps end a block). How many values each pops comes from the
# opcode table's stack effects (bytecode.stack_effect), like the verifier's.
SIMPLE = frozenset(getattr(_B, "OP_" + name) for name in (
    "LoadConst", "LoadNil", "LoadTrue", "LoadFalse", "LoadLocal", "LoadCell", "LoadCapture",
    "LoadCaptureCell", "LoadGlobal", "StoreLocal", "StoreCell", "StoreCaptureCell",
    "StoreGlobal", "Dup", "Pop", "Not", "IsNil", "AddInt", "Add", "Sub", "Mul", "Div", "Rem",
    "Lt", "Gt", "Le", "Ge", "Eq", "Get", "Length", "Jump", "JumpIfFalse", "JumpIfTrue"))
_JUMPS = (_B.OP_Jump, _B.OP_JumpIfFalse, _B.OP_JumpIfTrue)
# Instructions a block may end with: the region does the dispatch loop's fast path for them
# (a closure call with matching arity, a tail call, a return to a caller frame, a fiber
# switch) and tells the loop to reload its frame; anything else (a native, a wrong arity,
# the depth limit, the fiber's last frame) stops the region before it and the interpreter
# runs it.
_CALL, _TAIL, _RETURN, _EMIT = _B.OP_Call, _B.OP_TailCall, _B.OP_Return, _B.OP_Emit
TERMINAL = frozenset((_CALL, _TAIL, _RETURN, _EMIT))
# `ip` a region returns when it changed frames: the loop reloads from the fiber's top frame.
RELOAD = -1
# `ip` a region returns when it switched fibers (a resume, a yield): the loop reloads from
# vm.current. Regions switch only when neither fiber has fuel, so the loop's limit stands.
SWITCHED = -2
RESUME = PRIMITIVES["fiber/resume"]
# How deep regions may call the regions of the fibers they resume (each a Python call).
NEST = 8
_ARITH = {_B.OP_Add: "+", _B.OP_Sub: "-", _B.OP_Mul: "*", _B.OP_Div: "/", _B.OP_Rem: None}
# The primitive each arithmetic instruction calls outside its fast cases (pure: a region
# that sees it raise stops before the instruction and the interpreter raises the error).
_ARITH_PRIM = {_B.OP_Add: "ADD", _B.OP_Sub: "SUB", _B.OP_Mul: "MUL", _B.OP_Div: "DIV",
               _B.OP_Rem: "REM"}
_COMPARE = {_B.OP_Lt: "<", _B.OP_Gt: ">", _B.OP_Le: "<=", _B.OP_Ge: ">="}

# A region must save at least this many dispatches at its entry to be worth a Python call.
MIN_INSTRUCTIONS = 4
# Blocks one region may hold; the rest of a huge function is left to the dispatch loop.
MAX_BLOCKS = 24


class Block:
    """A run of simple instructions: [(offset, op, arg, next)], and where control goes after."""

    __slots__ = ("start", "instrs", "succ", "kind", "target")

    def __init__(self, start):
        self.start = start
        self.instrs = []
        self.kind = "fall"       # fall | jump | branch-false | branch-true
        self.target = None       # jump target of the last instruction
        self.succ = []           # offsets control may go to next


def find_blocks(plain: list) -> dict:
    """{start offset: Block} for every block of simple instructions of one function."""
    offsets = [off for off, e in enumerate(plain) if e is not None]
    starts = {0}
    for off in offsets:
        op, arg, nx = plain[off]
        if op in _JUMPS:
            starts.add(arg)
            starts.add(nx)
        elif op not in SIMPLE:
            starts.add(nx)
    blocks: dict = {}
    current = None
    for off in offsets:
        op, arg, nx = plain[off]
        if op not in SIMPLE:
            if op in TERMINAL:
                if current is None or off in starts:
                    if current is not None:
                        current.succ = [off]
                    current = blocks[off] = Block(off)
                current.instrs.append((off, op, arg, nx))
                if op == _EMIT:
                    current.kind, current.succ = "leave", []
                elif op == _CALL:
                    # A call a routine (vm/routines.py) runs whole continues with the
                    # block after it; any other call leaves the region.
                    current.kind, current.succ = "call", [nx]
                else:
                    current.kind, current.succ = "leave", []
            current = None
            continue
        if current is None or off in starts:
            if current is not None:
                current.succ = [off]
            current = blocks[off] = Block(off)
        current.instrs.append((off, op, arg, nx))
        if op in _JUMPS:
            current.target = arg
            if op == _B.OP_Jump:
                current.kind, current.succ = "jump", [arg]
            else:
                current.kind = "branch-false" if op == _B.OP_JumpIfFalse else "branch-true"
                current.succ = [arg, nx]
            current = None
        elif nx >= len(plain) or plain[nx] is None or (plain[nx][0] not in SIMPLE
                                                       and plain[nx][0] not in TERMINAL):
            current.succ = [nx]
            current = None
    return blocks


def reachable(blocks: dict, head: int) -> list:
    """Blocks reachable from `head` through simple code, head first (at most MAX_BLOCKS)."""
    order, seen, work = [], {head}, [head]
    while work and len(order) < MAX_BLOCKS:
        b = blocks[work.pop(0)]
        order.append(b)
        for s in b.succ:
            if s in blocks and s not in seen:
                seen.add(s)
                work.append(s)
    return order


def worth_it(region: list) -> bool:
    """A region replaces dispatches; a short one that leaves at once costs more than it saves.
    A call or return counts double: it is the dearest dispatch."""
    head = region[0]
    loops = any(head.start in b.succ for b in region)
    weight = sum(len(b.instrs) + (b.kind in ("leave", "call")) for b in region)
    return loops or weight >= MIN_INSTRUCTIONS


class _Emitter(SourceNames):
    """Python source for one region."""

    def __init__(self, region: list):
        super().__init__()
        self.region = region
        self.inside = {b.start for b in region}
        self.inline: set = set()
        self.by_start: dict = {}
        self.lengths: dict = {}
        self.uses_globals = self.uses_captures = self.uses_frames = False
        self.uses_calls = self.uses_routines = self.uses_resume = False
        self.uses_cap = False
        self.call_sites: list = []

    def source(self) -> str:
        out = ["def region(L, S, budget, frame, vm, depth=0):"]
        body = []
        head = self.region[0].start
        # A block with one way in (not the head) is written where control goes to it, so
        # straight paths through a loop body do not go back through `b`.
        edges: dict = {}
        for b in self.region:
            for s in b.succ:
                edges[s] = edges.get(s, 0) + 1
        self.inline = {b.start for b in self.region[1:] if edges.get(b.start) == 1}
        # A block that is only a conditional jump (where `and`/`or` join) is written at each
        # way in, so the value it tests stays a Python expression (often a known boolean)
        # instead of going through S; the blocks it goes to are then sections, else each
        # copy would write them again.
        dup = {b.start for b in self.region[1:] if edges.get(b.start, 0) > 1
               and len(b.instrs) == 1 and b.instrs[0][1] in (_B.OP_JumpIfFalse, _B.OP_JumpIfTrue)}
        after = {s for b in self.region if b.start in dup for s in b.succ}
        self.inline = (self.inline | dup) - after
        self.by_start = {b.start: b for b in self.region}
        sections = [b for b in self.region if b.start not in self.inline]
        for b in sections:
            if len(sections) == 1:
                body.extend(self.block(b, 0, True))      # b can only ever be the head
            else:
                body.append(f"if b == {b.start}:")
                body.extend("    " + line for line in self.block(b, 0, True))
        if self.uses_resume:
            # Fixed while a region runs (fuel, watches and the event log change between runs).
            out.append("    cur = vm.current")
            out.append("    QUIET = (cur.fuel is None and not vm.read_only and not vm.record_events "
                       "and not vm.catch_bits)")
        if self.uses_cap:
            # How long push may make an @array (vm/primitives/types.py ensure_size).
            out.append("    CAP = MAX_LENGTH if vm.max_collection is None else min(MAX_LENGTH, vm.max_collection)")
        if self.uses_globals:
            out.append("    G = vm.globals")
        if self.uses_captures:
            out.append("    C = frame.closure.captures")
        if self.uses_frames:
            # The region's frame count only changes where it returns, so the depth tests
            # of its calls are made once.
            out.append("    F = vm.current.frames")
        if self.uses_calls:
            out.append("    DEPTH_OK = len(F) < vm.max_depth")
        if self.uses_routines:
            out.append("    ROUTINE_OK = len(F) + DEPTH_ROOM() < vm.max_depth")
            # Fixed while the dispatch loop runs this frame (set in VM.limit_for).
            out.append("    LL = vm.loop_limit")
            # The tick at the region's start is LL - budget; and when routines may run
            # again after a bail (changed only by FAILED while the region runs).
            out.append("    LB = LL - budget")
            out.append("    RW = vm.routine_wait_until")
            out.append("    RE = vm.routine_end")
            out.append("    T = vm.routine_budget")
            out.append("    JIT_ROOM = vm.max_depth - len(F) - 1")
        for k in self.call_sites:
            out.append(f"    CF{k} = CR{k} = None")
        out.append("    used = 0")
        out.append(f"    b = {head}")
        out.append("    while True:")
        out.extend("        " + line for line in body)
        out.append("        return b, used")
        return "\n".join(out) + "\n"

    def stretch(self, b: Block) -> int:
        """Instructions on the longest path from the start of `b` through the blocks written
        inside it, up to a call (which charges what it ran as it goes)."""
        if b.start in self.lengths:
            return self.lengths[b.start]
        self.lengths[b.start] = len(b.instrs)      # (no cycles: inline blocks have one way in)
        after = [self.stretch(self.by_start[s]) for s in b.succ
                 if s in self.inline and (b.kind != "call" or self.native_call(b))]
        self.lengths[b.start] = len(b.instrs) + max(after, default=0)
        return self.lengths[b.start]

    def native_call(self, b: Block) -> bool:
        """`b` ends in a call of a primitive it loads itself as a constant, which the region
        makes directly (below): nothing else runs, so the stretch goes on after it."""
        if b.kind != "call":
            return False
        slots: list = []        # per operand pushed in this block: its constant, or None
        for off, op, arg, nx in b.instrs[:-1]:
            pops, pushes = stack_effect(_B.OPCODES[op], (arg,))
            if pops > len(slots):
                return False
            del slots[len(slots) - pops:]
            slots.extend([arg if op == _B.OP_LoadConst else None] * pushes)
        argc = b.instrs[-1][2]
        if argc + 1 > len(slots):
            return False
        f = slots[-argc - 1]
        return type(f) is Native and native_ok(f, argc, True)

    def block(self, b: Block, acc: int, check: bool, carry: tuple = ()) -> list:
        """The lines of one block (and of the blocks written inside it).

        `acc` is how many instructions have run since `used` was last brought up to date;
        only the code that leaves, loops or calls adds it in. A block with `check` starts
        a stretch: it tests once that its longest stretch fits in the budget."""
        lines: list[str] = []
        emit = lines.append
        n = len(b.instrs)
        if check:
            emit(f"if used + {self.stretch(b)} > budget:")
            for e in carry:
                emit(f"    S.append({e})")
            emit(f"    return {b.start}, used")
        # The virtual operand stack: Python expressions (`carry`: what control brought along).
        vs: list[str] = list(carry)
        # Locals loaded (or stored) in this block: a second load of one is the same temp
        # (only this frame's code writes its locals, and only through StoreLocal).
        known_locals: dict = {}

        def flush(stack):
            for e in stack:
                emit(f"S.append({e})")

        def leave(off, done):
            """Stop before the instruction at `off`, `done` instructions into the block."""
            lines = [f"S.append({e})" for e in vs]
            lines.append(f"return {off}, used + {acc + done}" if acc + done else f"return {off}, used")
            return lines

        def need(count):
            """Make sure the virtual stack holds `count` operands (pop the rest from S)."""
            while len(vs) < count:
                t = self.temp()
                emit(f"{t} = S.pop()")
                vs.insert(0, t)

        def guard(cond, off, done):
            emit(f"if not ({cond}):")
            for line in leave(off, done):
                emit("    " + line)

        for i, (off, op, arg, nx) in enumerate(b.instrs):
            # Pre-decoded arguments keep the count operands stack_effect reads (argc).
            need(stack_effect(_B.OPCODES[op], (arg,))[0])
            if op == _B.OP_LoadConst:
                vs.append(self.const(arg))
            elif op in LITERAL_LOADS:
                vs.append(LITERAL_LOADS[op])
            elif op == _B.OP_LoadLocal and arg in known_locals:
                vs.append(known_locals[arg])
            elif op in (_B.OP_LoadLocal, _B.OP_LoadCell, _B.OP_LoadCapture, _B.OP_LoadCaptureCell,
                        _B.OP_LoadGlobal):
                t = self.temp()
                if op == _B.OP_LoadLocal:
                    known_locals[arg] = t
                if op == _B.OP_LoadLocal:
                    emit(f"{t} = L[{arg}]")
                elif op == _B.OP_LoadCell:
                    emit(f"{t} = L[{arg}].value")
                elif op == _B.OP_LoadGlobal:
                    self.uses_globals = True
                    emit(f"{t} = G[{arg}]")
                else:
                    self.uses_captures = True
                    emit(f"{t} = C[{arg}]" + (".value" if op == _B.OP_LoadCaptureCell else ""))
                vs.append(t)
            elif op == _B.OP_StoreLocal:
                x = vs.pop()
                emit(f"L[{arg}] = {x}")
                if x.startswith("("):           # an expression: evaluated where it is used
                    known_locals.pop(arg, None)
                else:                           # a temp, a literal or a constant
                    known_locals[arg] = x
            elif op == _B.OP_StoreCell:
                emit(f"L[{arg}].value = {vs.pop()}")
            elif op in (_B.OP_StoreCaptureCell, _B.OP_StoreGlobal):
                guard("not vm.read_only", off, i)
                if op == _B.OP_StoreGlobal:
                    self.uses_globals = True
                    emit(f"G[{arg}] = {vs.pop()}")
                else:
                    self.uses_captures = True
                    emit(f"C[{arg}].value = {vs.pop()}")
            elif op == _B.OP_Dup:
                vs.append(vs[-1])
            elif op == _B.OP_Pop:
                vs.pop()
            elif op == _B.OP_Not:
                vs.append(f"({self.falsy(vs.pop())})")   # `not x` must stay one operand
            elif op == _B.OP_IsNil:
                x = vs.pop()
                vs.append(repr(x == "None") if self.literal(x) else f"({x} is None)")
            elif op == _B.OP_AddInt:
                x = vs[-1]
                guard(self.is_int(x), off, i)
                t = self.temp()
                emit(f"{t} = {x} + {self.const(arg)}")
                vs[-1] = t
            elif op in _ARITH:
                x, y = vs[-2], vs[-1]
                del vs[-2:]
                t = self.temp()
                sym = _ARITH[op]
                cases = []      # (condition, expression): the cases done inline
                if op in (_B.OP_Add, _B.OP_Sub):
                    cases.append((self.both(x, y, (int,)), f"{x} {sym} {y}"))
                if sym is not None:
                    # Two floats: IEEE arithmetic, which never raises (inf, nan), except
                    # a division by zero, which the primitive reports.
                    cond = self.both(x, y, (float,))
                    if op == _B.OP_Div and cond != "False":
                        cond = self.conj(cond, self.nonzero(y))
                    cases.append((cond, f"{x} {sym} {y}"))
                cases = [c for c in cases if c[0] != "False"]
                if cases and cases[0][0] == "True":
                    emit(f"{t} = {cases[0][1]}")
                else:
                    for j, (cond, expr) in enumerate(cases):
                        emit(f"{'if' if j == 0 else 'elif'} {cond}:")
                        emit(f"    {t} = {expr}")
                    pad = "    " if cases else ""
                    if cases:
                        emit("else:")
                    # Anything else (int and float mixed, big integers, errors): the
                    # primitive, which is pure; if it raises, the interpreter runs the
                    # instruction again and raises at its own location.
                    emit(f"{pad}try:")
                    emit(f"{pad}    {t} = {_ARITH_PRIM[op]}(vm, {x}, {y})")
                    emit(f"{pad}except Exception:")
                    vs.extend((x, y))
                    for line in leave(off, i):
                        emit(f"{pad}    {line}")
                    del vs[-2:]
                vs.append(t)
            elif op in _COMPARE:
                x, y = vs[-2], vs[-1]
                # Two numbers (ints and floats compare exactly in Python) or two strings;
                # anything else is the primitive's to refuse (keywords stop the region).
                cond = self.disj(self.both(x, y, (int,)), self.both(x, y, (int, float)),
                                 self.both(x, y, (str,)))
                if cond != "True":
                    guard(cond, off, i)
                del vs[-2:]
                # Pure: kept as an expression, evaluated where it is used.
                vs.append(f"({x} {_COMPARE[op]} {y})")
            elif op == _B.OP_Get:
                c, k = vs[-2], vs[-1]
                t = self.temp()
                emit(f"if type({c}) is Array and type({k}) is int:")
                emit("    try:")
                emit(f"        {t} = {c}.items[{k}]")
                emit("    except IndexError:")
                emit(f"        {t} = None")
                # A struct by a keyword, string or integer key (each its own dict key).
                emit(f"elif type({c}) is Struct and type({k}) in KEYS:")
                emit(f"    {t} = {c}.d.get({k})")
                emit("else:")
                emit("    try:")
                emit(f"        {t} = GET(vm, {c}, {k})")
                emit("    except Exception:")
                for line in leave(off, i):
                    emit("        " + line)
                del vs[-2:]
                vs.append(t)
            elif op == _B.OP_Length:
                c = vs[-1]
                t = self.temp()
                emit(f"if type({c}) is Array:")
                emit(f"    {t} = len({c}.items)")
                emit(f"elif type({c}) is str:")
                emit(f"    {t} = len({c})")
                emit("else:")
                emit("    try:")
                emit(f"        {t} = LENGTH(vm, {c})")
                emit("    except Exception:")
                for line in leave(off, i):
                    emit("        " + line)
                vs[-1] = t
            elif op == _B.OP_Eq:
                x, y = vs[-2], vs[-1]
                t = self.temp()
                emit(f"if type({x}) is int and type({y}) is int:")
                emit(f"    {t} = {x} == {y}")
                emit("else:")
                # values_equal is pure but may raise (a value that contains itself): then
                # the interpreter runs the Eq again and raises where the plain code does.
                emit("    try:")
                emit(f"        {t} = EQ({x}, {y})")
                emit("    except Exception:")
                for line in leave(off, i):
                    emit("        " + line)
                del vs[-2:]
                vs.append(t)
            elif op == _CALL and self.constant(vs[-arg - 1]) is RESUME and arg in (1, 2):
                # (fiber/resume fib v?) of a fiber paused at an emit, neither fiber with
                # fuel: the switch of vm/call.py resume_fiber, written out.
                t = vs[-arg]
                v = vs[-1] if arg == 2 else "None"
                self.uses_resume = True
                guard(f"type({t}) is Fiber and {t}.status == PAUSED and {t}.pending == 'emit' "
                      f"and {t}.waiting_child is None and {t}.fuel is None and QUIET", off, i)
                del vs[-arg - 1:]
                flush(vs)
                emit(f"frame.ip = {nx}")
                emit(f"{t}.parent = cur")
                emit(f"cur.child = {t}")
                emit(f"{t}.status = ALIVE")
                emit(f"{t}.pending = None")
                emit(f"vm.current = {t}")
                emit(f"tf = {t}.frames[-1]")
                emit(f"tf.stack.append({v})")
                # The fiber's own region, called from here rather than from the dispatch
                # loop (nested at most NEST deep): when it yields back to this fiber, this
                # region goes on after the resume without returning to the loop.
                emit("e = tf.code[tf.ip]")
                emit("if e[0] == REGION and depth < NEST:")
                emit(f"    tnx, u = e[1](tf.locals, tf.stack, budget - used - {acc + n}, tf, vm, depth + 1)")
                emit("    if u:")
                emit(f"        used += {acc + n} + u")
                emit("        if tnx >= 0:")
                emit("            tf.ip = tnx")
                emit(f"        elif tnx == {SWITCHED} and vm.current is cur:")
                for line in self.goto(nx, 0, True):
                    emit("            " + line)
                emit(f"        return {SWITCHED}, used")
                emit(f"return {SWITCHED}, used + {acc + n}")
                return lines
            elif op == _EMIT:
                if arg & (SIG_ERROR | SIG_HALT):
                    for line in leave(off, i):
                        emit(line)
                    return lines
                # A signal the emitting fiber catches for its resumer, neither fiber with
                # fuel: vm/dispatch.py emit_signal and vm/call.py deliver_signal, written out.
                # Run in place by a resuming region (depth > 0), the resumer has checked
                # everything but the mask: no fuel on either side, no catchpoint, no log.
                emit("cur = vm.current")
                emit("p = cur.parent")
                guard(f"cur.mask & {arg} and (depth or (not vm.catch_bits & {arg} and p is not None "
                      f"and cur.fuel is None and p.fuel is None and not vm.record_events))", off, i)
                v = vs.pop()
                flush(vs)
                emit(f"frame.ip = {nx}")
                emit("cur.pending = 'emit'")
                emit(f"cur.bits = {arg}")
                emit(f"cur.value = {v}")
                emit("cur.status = PAUSED")
                emit("cur.caught_by = p")
                emit("vm.current = p")
                emit(f"p.frames[-1].stack.append({v})")
                emit(f"return {SWITCHED}, used + {acc + n}")
                return lines
            elif op in (_CALL, _TAIL):
                f = vs[-arg - 1]
                missing = object()
                known = self.constant(f, missing)
                if op == _CALL and type(known) is Native and native_ok(known, arg, True):
                    # A primitive the compiler folded to a constant: called directly. Pure
                    # ones cannot change anything, and the few impure ones allowed (push,
                    # put, pop) check everything before they change anything, so when one
                    # raises, nothing has happened: the region stops before the call and
                    # the interpreter makes it again, raising at its own location.
                    if not known.pure:
                        guard("not vm.read_only", off, i)
                    args = vs[len(vs) - arg:]
                    del vs[-arg - 1:]
                    rest = list(vs)         # carried on to the next block, not flushed
                    fn = self.const(known.fn)
                    value = self.temp()
                    pad = ""
                    if known.name == "put" and arg == 3:
                        # An @array element by an integer index (negative from the end, as
                        # Python's lists); anything else goes through the primitive.
                        c, k, v = args
                        emit(f"if type({c}) is Array and {c}.mutable and type({k}) is int and "
                             f"-len({c}.items) <= {k} < len({c}.items):")
                        emit(f"    {c}.items[{k}] = {v}")
                        emit(f"    {value} = {c}")
                        emit("else:")
                        pad = "    "
                    elif known.name == "push" and arg == 2:
                        c, v = args
                        self.uses_cap = True
                        emit(f"if type({c}) is Array and {c}.mutable and len({c}.items) < CAP "
                             f"and vm.heap_room > 0:")
                        emit(f"    {c}.items.append({v})")
                        emit("    vm.heap_room -= 1")
                        emit(f"    {value} = {c}")
                        emit("else:")
                        pad = "    "
                    emit(f"{pad}try:")
                    emit(f"{pad}    {value} = {fn}(vm{''.join(', ' + a for a in args)})")
                    emit(f"{pad}except Exception:")
                    for line in [f"S.append({e})" for e in rest + [f] + args] + [f"return {off}, used + {acc + i}"]:
                        emit(f"{pad}    " + line)
                    if self.native_call(b):     # the stretch goes on: no new budget test
                        lines.extend(self.goto(nx, acc + n, False, tuple(rest) + (value,)))
                    else:
                        emit(f"used += {acc + n}")
                        lines.extend(self.goto(nx, 0, True, tuple(rest) + (value,)))
                    return lines
                if self.never_closure(f):
                    # A control primitive (fiber/resume, apply...), an impure one (print...),
                    # or a literal: the interpreter calls it.
                    for line in leave(off, i):
                        emit(line)
                    return lines
                self.uses_frames = self.uses_calls = True
                if op == _CALL:
                    # A closure, or a pure primitive passed as a value (fold's `+`).
                    cond = (f"((tf := type({f})) is Closure and DEPTH_OK) or (tf is Native and {f} in "
                            f"{self.const(pure_natives(arg))})")
                else:
                    cond = f"type({f}) is Closure and {f}.func.fast_argc == {arg}"
                guard(cond, off, i)
                args = vs[len(vs) - arg:]
                del vs[-arg - 1:]
                # What lies under the callee: carried on as expressions to the code after the
                # call, pushed on the caller's stack (S) only where the region leaves.
                under = list(vs) if op == _CALL else []
                U = [f"S.append({e})" for e in under]
                if op == _CALL:
                    emit("if tf is Native:")
                    npad = "    "
                    if arg == 2:
                        # fold's `+` on two integers: the primitive's own first case.
                        x, y = args
                        emit(f"    if {f} is PLUS and type({x}) is int and type({y}) is int:")
                        emit(f"        value = {x} + {y}")
                        emit("    else:")
                        npad = "        "
                    emit(f"{npad}try:")
                    emit(f"{npad}    value = {f}.fn(vm{''.join(', ' + a for a in args)})")
                    emit(f"{npad}except Exception:")
                    for line in U + [f"S.append({e})" for e in [f] + args] + [f"return {off}, used + {acc + i}"]:
                        emit(f"{npad}    " + line)
                    emit("    ran = 0")
                    emit("else:")
                    closure_from = len(lines)
                func = self.temp()
                emit(f"{func} = {f}.func")
                pad = ""
                if op == _CALL:
                    # A callee with a routine (vm/routines.py) or native code (vm/jit) runs
                    # whole, without a frame, and the region goes on after the call;
                    # otherwise it pushes the frame. (vm/routines.py run_routine, written
                    # out: this is the hot path.)
                    self.uses_routines = True
                    r, j = self.temp(), self.temp()
                    # The function whose routine this call site last ran, and the routine:
                    # what the checks found holds for the rest of this region's run (only
                    # a failure may give the routine up; breakpoints come between runs).
                    k = len(self.call_sites)
                    self.call_sites.append(k)
                    emit("done = False")
                    emit(f"if {func} is CF{k}:")
                    emit(f"    {r} = CR{k}")
                    emit(f"elif {func}.fast_argc == {arg}:")
                    emit(f"    {r} = {func}.routine")
                    emit(f"    if {r} and ROUTINE_OK and {func}.routine_vm is vm and not {func}.jit_blocked:")
                    emit(f"        CF{k} = {func}")
                    emit(f"        CR{k} = {r}")
                    emit("    else:")
                    emit(f"        {r} = None")
                    # Compiled: vm/jit/code.py enter without what the region knows already.
                    emit(f"elif ({j} := {func}.jit_state).__class__ is JitCode and {j}.nparams == {arg}:")
                    emit(f"    {r} = None")
                    emit(f"    now = LB + used + {acc + n}")
                    packed = "".join(a + ", " for a in args)
                    emit(f"    got = RUN_COMPILED(vm, {j}, now, RE - now, JIT_ROOM, ({packed}), {f})")
                    emit("    if got.__class__ is tuple:")
                    emit("        value, ran = got")
                    emit("        done = True")
                    # It stopped at a loop's back-edge (vm/jit/code.py exit_frame): the
                    # frame it hands over stands where the call's frame would.
                    emit(f"    elif got is not None and (new := EXIT_FRAME(vm, {f}, got)) is not None:")
                    for line in U:
                        emit("        " + line)
                    emit(f"        frame.ip = {nx}")
                    emit("        F.append(new)")
                    emit(f"        return {RELOAD}, used + {acc + n} + got[1]")
                    # Not compiled yet (the interpreter counts the call), or not exact arity.
                    emit("else:")
                    for line in U + [f"S.append({e})" for e in [f] + args] + [f"return {off}, used + {acc + i}"]:
                        emit("    " + line)
                    emit(f"if {r}:")
                    emit(f"    now = LB + used + {acc + n}")
                    emit("    if now >= RW:")
                    emit("        T[0] = room = RE - now")
                    emit("        if not vm._pause_requested:")
                    # A failed routine call changed nothing: nor the heap's room (vm/heap.py).
                    emit("            hr = vm.heap_room")
                    emit("            try:")
                    emit(f"                value = {r}({', '.join([f] + args)})")
                    emit("                ran = room - T[0]")
                    emit("                done = True")
                    # Stopped exactly on the budget (vm/routines.py Suspend): the frames
                    # the interpreter would hold at that tick go on the fiber.
                    emit("            except SUSPEND as e:")
                    for line in U:
                        emit("                " + line)
                    emit(f"                frame.ip = {nx}")
                    emit("                F.extend(FRAMES_OF(e))")
                    emit(f"                return {RELOAD}, used + {acc + n} + room - T[0]")
                    emit("            except Exception as e:")
                    emit("                vm.heap_room = hr")
                    emit(f"                FAILED(vm, {func}, e, now, room)")
                    emit("                RW = vm.routine_wait_until")
                    emit(f"                CF{k} = None")
                    emit("if not done:")
                    pad = "    "
                    for line in U:
                        emit(pad + line)
                    emit(f"{pad}frame.ip = {nx}")
                emit(f"{pad}new = NEW(Frame)")
                emit(f"{pad}new.closure = {f}")
                emit(f"{pad}new.func = {func}")
                emit(f"{pad}new.code = {func}.decoded")
                emit(f"{pad}new.ip = 0")
                emit(f"{pad}new.stack = []")
                emit(f"{pad}new.locals = [{', '.join(args)}] + {func}.pad if {func}.pad else [{', '.join(args)}]")
                emit(pad + ("F.append(new)" if op == _CALL else "F[-1] = new"))
                emit(f"{pad}return {RELOAD}, used + {acc + n}")
                if op == _CALL:
                    lines[closure_from:] = ["    " + line for line in lines[closure_from:]]
                    emit(f"used += {acc + n} + ran")
                    value = self.temp()
                    emit(f"{value} = value")
                    lines.extend(self.goto(nx, 0, True, tuple(under) + (value,)))
                return lines
            elif op == _RETURN:
                self.uses_frames = True
                guard("len(F) > 1", off, i)
                emit("F.pop()")
                emit(f"F[-1].stack.append({vs[-1]})")
                emit(f"return {RELOAD}, used + {acc + n}")
                return lines
            elif op == _B.OP_Jump:
                pass
            elif op in (_B.OP_JumpIfFalse, _B.OP_JumpIfTrue):
                c = vs.pop()
                falsy = self.falsy(c)
                if falsy in ("True", "False"):     # a literal condition: one way only
                    taken = (falsy == "True") == (op == _B.OP_JumpIfFalse)
                    lines.extend(self.goto(arg if taken else nx, acc + n, carry=tuple(vs)))
                    return lines

                def known(value: bool) -> tuple:
                    # What is left on the stack, going one way: a copy of a tested boolean
                    # (Dup before the jump, as `and`/`or` leave it) is known there.
                    if not c.startswith("("):       # (parenthesised: always a boolean)
                        return tuple(vs)
                    return tuple(repr(value) if e == c else e for e in vs)
                jumps_if = op == _B.OP_JumpIfTrue
                taken = falsy if op == _B.OP_JumpIfFalse else f"not {falsy}"
                emit(f"if {taken}:")
                for line in self.goto(arg, acc + n, carry=known(jumps_if)):
                    emit("    " + line)
                lines.extend(self.goto(nx, acc + n, carry=known(not jumps_if)))
                return lines
        lines.extend(self.goto(b.succ[0], acc + n, carry=tuple(vs)))
        return lines

    def falsy(self, expr: str) -> str:
        """A boolean expression: `expr` is nil or false (folded for literals, which Python
        would otherwise warn about in `is` tests)."""
        if self.literal(expr):
            return repr(expr in ("None", "False"))
        if expr.startswith("("):
            return f"not {expr}"        # parenthesised expressions here are always booleans
        return f"({expr} is None or {expr} is False)"

    def type_of(self, expr: str):
        """The Python type of a literal or constant, or None when only known at run time."""
        if expr == "None":
            return type(None)
        if expr in ("True", "False"):
            return bool
        if expr.lstrip("-").isdigit():
            return int
        missing = object()
        v = self.constant(expr, missing)
        return None if v is missing else type(v)

    def has_type(self, expr: str, types: tuple) -> str:
        """A condition: `expr`'s type is one of `types` (folded for literals and constants)."""
        known = self.type_of(expr)
        if known is not None:
            return "True" if known in types else "False"
        if len(types) == 1:
            return f"type({expr}) is {types[0].__name__}"
        return f"type({expr}) in NUM"        # (int, float): the only pair asked for

    def both(self, x: str, y: str, types: tuple) -> str:
        return self.conj(self.has_type(x, types), self.has_type(y, types))

    @staticmethod
    def conj(*conds) -> str:
        if "False" in conds:
            return "False"
        kept = [c for c in dict.fromkeys(conds) if c != "True"]     # (x * x: one test)
        return " and ".join(kept) if kept else "True"

    @staticmethod
    def disj(*conds) -> str:
        if "True" in conds:
            return "True"
        kept = [f"({c})" for c in dict.fromkeys(conds) if c != "False"]
        return " or ".join(kept) if kept else "False"

    def nonzero(self, expr: str) -> str:
        missing = object()
        v = self.constant(expr, missing)
        if v is not missing:
            return "True" if v else "False"
        return expr

    def is_int(self, expr: str) -> str:
        if expr.lstrip("-").isdigit():
            return "True"
        return f"type({expr}) is int"

    def goto(self, off, acc: int, check: bool = False, carry: tuple = ()) -> list:
        """Go on at `off`, `acc` instructions since `used` was brought up to date, with the
        expressions `carry` on top of the operand stack."""
        if off in self.inline:
            return self.block(self.by_start[off], acc, check, carry)
        pushes = [f"S.append({e})" for e in carry]
        if off in self.inside:
            return pushes + ([f"used += {acc}"] if acc else []) + [f"b = {off}", "continue"]
        return pushes + [f"return {off}, used + {acc}" if acc else f"return {off}, used"]


# Key types a struct holds as themselves (vm/values.py hash_key), so Get needs no key_of.
KEYS = frozenset((Keyword, str, int))

_PURE: dict = {}


def pure_natives(argc: int) -> frozenset:
    """The primitives a region may call with `argc` arguments when it only learns the callee
    at run time (fold's `+`)."""
    if argc not in _PURE:
        from vm.primitives import load_all
        _PURE[argc] = frozenset(f for f in load_all().values() if native_ok(f, argc, False))
    return _PURE[argc]


def compile_region(region: list):
    """The Python function for one region (see the module docstring)."""
    e = _Emitter(region)
    src = e.source()
    scope = {"Native": Native, "MAX_LENGTH": MAX_LENGTH, "NUM": frozenset((int, float)),
             "Array": Array, "Struct": Struct, "KEYS": KEYS, "PLUS": PRIMITIVES["+"], "ADD": PRIMITIVES["+"].fn, "SUB": PRIMITIVES["-"].fn,
             "MUL": PRIMITIVES["*"].fn, "DIV": PRIMITIVES["/"].fn, "REM": PRIMITIVES["rem"].fn,
             "GET": PRIMITIVES["get"].fn, "LENGTH": PRIMITIVES["length"].fn,
             "EQ": values_equal, "Closure": Closure, "Frame": Frame, "NEW": Frame.__new__,
             "FAILED": failed, "SUSPEND": Suspend, "FRAMES_OF": frames_of, "DEPTH_ROOM": depth_room, "RUN_COMPILED": run_compiled, "EXIT_FRAME": exit_frame,
             "JitCode": JitCode, "Fiber": Fiber, "PAUSED": STATUS_PAUSED, "ALIVE": STATUS_ALIVE,
             "REGION": FUSED_REGION, "NEST": NEST}
    return e.build(src, "region", f"<region {region[0].start}>", scope)


# A region is compiled the HOT-th time control arrives at its resume point; until then (and
# for code that runs once, like most of `main`) the dispatch loop runs the plain entries.
HOT = 2
# ... or the COVERED-th time, once a region compiled from another point holds it. Control
# arrives there mostly while that region leaves early (its callees are not routines yet),
# and compiling a region from every point of a long straight run of calls would compile
# each block up to MAX_BLOCKS times: 1,600 calls in a row, run 10 times, compiled 1,600
# regions of 24 blocks (15 s). A point the other region never gets through still gets its own.
COVERED = 64


def add_regions(plain: list, fused: list, op_region: int, lists) -> int:
    """Put a region stub at every resume point of `fused` where one is worth it.

    `lists()` gives the lists that hold the stub (the function's running list and its saved
    copy); the stub compiles its region when it gets hot and puts the region in their place.
    Returns how many stubs were placed."""
    blocks = find_blocks(plain)
    count = 0
    hot: dict = {}       # start -> arrivals that compile its region, when not HOT (COVERED)
    for start in sorted(blocks):
        region = reachable(blocks, start)
        if worth_it(region):
            fused[start] = (op_region, _stub(region, op_region, plain[start][2], lists, hot),
                            plain[start][2])
            count += 1
    return count


def _stub(region, op_region, nx, lists, hot):
    start = region[0].start
    seen = 0
    real = None

    def stub(L, S, budget, frame, vm, depth=0):
        nonlocal seen, real
        if real is None:
            seen += 1
            if seen < hot.get(start, HOT):
                return start, 0             # not hot yet: the plain instruction runs
            try:
                real = compile_region(region)
            except Exception:       # a shape the emitter gets wrong: the plain code runs
                def real(L, S, budget, frame, vm, depth=0):
                    return start, 0
            for b in region[1:]:
                hot.setdefault(b.start, COVERED)
            entry = (op_region, real, nx)
            for code in lists():
                if code[start] is not None and code[start][1] is stub:
                    code[start] = entry
        return real(L, S, budget, frame, vm, depth)
    return stub
