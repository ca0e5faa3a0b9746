"""A loop compiled on its own: a "piece" the interpreter enters at the loop's header (OSR).

A piece is the instructions of one loop of a function (from its header to the end of its
last back-edge), renumbered from the header (offset 0), as a function the JIT compiles
like any other (vm/jit/analyse.py, vm/jit/translate.py): its parameters are the
variables the loop touches, the frame's locals and, at top level, the mutable globals
it reads or assigns (`(var i 0)` in `main` is a global); immutable globals stay what
they are to the JIT (a function it calls, a constant). A jump out of the loop, and the
fall-through past its end, become an `Exit` at the original target: compiled code then
hands every variable and the operand stack back to the interpreter (translate.py
_emit_Exit), which writes them into the frame and the globals and goes on at that
instruction (vm/jit/osr.py). An Exit costs no tick: it is not an instruction of the
program. A return or tail call inside the loop, closure cells, and everything the JIT
rejects in a function make the loop interpreted only.
"""

from __future__ import annotations

from vm.bytecode import iter_instructions
from vm.jit.analyse import SUPPORTED, Inst, Reject, unsupported_reason
from vm.jit.code import MAX_EXIT_VALUES

JUMPS = ("Jump", "JumpIfFalse", "JumpIfTrue")


def find_loops(plain: list) -> dict:
    """{header offset: end offset} of every loop of a pre-decoded function: the target of
    a backward jump, up to the end of the last backward jump to it."""
    loops: dict = {}
    for off, entry in enumerate(plain):
        if entry is None:
            continue
        op, arg, nx = entry
        if op in _JUMP_OPS and arg <= off:
            if nx > loops.get(arg, -1):
                loops[arg] = nx
    return loops


def _jump_ops():
    from vm import bytecode
    return frozenset(getattr(bytecode, "OP_" + n) for n in JUMPS)


_JUMP_OPS = _jump_ops()


class Piece:
    """The loop at `head` of `func` as a function of its variables (see the module doc).

    It quacks like a CompiledFunction for the JIT: the analysis reads `piece_insts`
    instead of decoding bytecode; every variable is a parameter."""

    rest = False
    nopt = 0
    captures = ()
    cell_params = ()
    constants = ()
    children = ()
    code = b""

    def __init__(self, func, head: int, end: int, insts: dict, slots: list, globals_: list,
                 names: list, live_in: set):
        self.func = func                  # the function the loop is in
        self.head, self.end = head, end   # byte offsets of the header and past the loop
        self.piece_insts = insts          # offset (from head) -> Inst
        self.slots = slots                # piece variable k < len(slots): frame local slots[k]
        self.globals = globals_           # then global indices
        self.nparams = self.nlocals = len(slots) + len(globals_)
        self.local_names = names
        self.live_in = live_in            # piece variables read before assigned (types matter)
        line = func.line_at(head) if hasattr(func, "line_at") else None
        self.name = f"{func.name} loop" + (f" line {line}" if line else f" @{head}")
        self.span = func.span
        self.source = getattr(func, "source", "")
        self.jit_state = None
        self.calls = 0
        self.fast_argc = -1

    @property
    def jit_blocked(self) -> bool:
        """A breakpoint in the loop's function stops its piece too (the debugger wins)."""
        return self.func.jit_blocked

    def __repr__(self) -> str:
        return f"<piece {self.name}>"


def build_piece(func, head: int, end: int, resolve_global) -> Piece:
    """The Piece of the loop [head, end) of `func`, or Reject with the reason."""
    raw = [(off, info, ops, nxt) for off, info, ops, nxt in iter_instructions(func.code)
           if head <= off < end]
    stored = {ops[0] for _, info, ops, _ in raw if info.name == "StoreGlobal"}

    def is_variable(g) -> bool:
        if g in stored:
            return True
        try:
            resolve_global(g)
        except Reject:
            return True
        return False

    index: set = set()              # ("l", slot) and ("g", global index) the loop touches

    length = end - head
    exits: dict = {end: length}         # original target -> offset of its Exit
    insts: dict = {}
    for off, info, ops, nxt in raw:
        name = info.name
        arg = ops[0] if ops else None
        role = info.operands[0] if info.operands else None
        if name in ("MakeCell", "LoadCell", "StoreCell"):
            raise Reject("uses variables shared with closures (cells)")
        if name in ("LoadCapture", "LoadCaptureCell", "StoreCaptureCell"):
            raise Reject("uses captured variables (a loop in a closure compiles with its function)")
        if name in ("Return", "TailCall"):
            raise Reject("returns from inside the loop")
        if name in ("LoadLocal", "StoreLocal"):
            arg = ("l", arg)
            index.add(arg)
        elif name in ("LoadGlobal", "StoreGlobal"):
            if name == "StoreGlobal" or is_variable(arg):
                name = "LoadLocal" if name == "LoadGlobal" else "StoreLocal"
                arg = ("g", arg)
                index.add(arg)
        elif name not in SUPPORTED:
            raise Reject(unsupported_reason(name, ops))
        if name in JUMPS:
            target = nxt + arg
            if head <= target < end:
                arg = target - head
            else:
                if target not in exits:
                    exits[target] = length + len(exits)
                arg = exits[target]
        elif role == "const":
            arg = func.constants[arg]
        insts[off - head] = Inst(off - head, name, arg, nxt - head)
    # Variables numbered: frame locals first, then globals.
    order = sorted(index, key=lambda key: (key[0] != "l", key[1]))
    renumber = {key: k for k, key in enumerate(order)}
    slots = [key[1] for key in order if key[0] == "l"]
    globals_ = [key[1] for key in order if key[0] == "g"]
    for inst in insts.values():
        if type(inst.arg) is tuple and inst.name in ("LoadLocal", "StoreLocal"):
            inst.arg = renumber[inst.arg]
    if len(order) + 8 > MAX_EXIT_VALUES:
        raise Reject(f"uses too many variables ({len(order)})")
    for target, off in exits.items():
        insts[off] = Inst(off, "Exit", target - head, off + 1)
    names = []
    local_names = func.local_names
    global_names = getattr(func, "global_names", None) or []
    for key in order:
        if key[0] == "l":
            names.append(local_names[key[1]] if key[1] < len(local_names) else f"local{key[1]}")
        else:
            names.append(global_names[key[1]] if key[1] < len(global_names) else f"global{key[1]}")
    return Piece(func, head, end, insts, slots, globals_, names, live_in(insts, len(order)))


def live_in(insts: dict, n: int) -> set:
    """The variables some path from the header reads before it assigns them: only their
    types at entry matter (the others are speculated on by nothing)."""
    unassigned = {0: frozenset(range(n))}
    work, found = [0], set()
    while work:
        off = work.pop()
        inst = insts.get(off)
        if inst is None:
            continue
        state = unassigned[off]
        if inst.name == "LoadLocal" and inst.arg in state:
            found.add(inst.arg)
        elif inst.name == "StoreLocal":
            state = state - {inst.arg}
        if inst.name in ("Exit", "Return", "TailCall"):
            succ = []
        elif inst.name == "Jump":
            succ = [inst.arg]
        elif inst.name in JUMPS:
            succ = [inst.arg, inst.nxt]
        else:
            succ = [inst.nxt]
        for s in succ:
            old = unassigned.get(s)
            new = state if old is None else old | state
            if new != old:
                unassigned[s] = new
                work.append(s)
    return found
