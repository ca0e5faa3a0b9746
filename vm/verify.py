"""The bytecode verifier: every function is checked before the VM may run it.

`verify_function(func)` raises VerifyError, naming the function and the byte offset, when
the code could make the interpreter misbehave (a Python exception, a read outside the
stack, the locals or the constants, a jump into the middle of an instruction):

- every opcode is known and no instruction is truncated;
- operands are in range: constant, local, capture and global indexes; MakeClosure names a
  function nested in this one, EmitWide an integer signal, AddInt an integer, Emit at
  least one signal bit;
- jump targets are instruction starts inside the function;
- the operand stack depth, computed from the opcode table's stack effects
  (`vm.bytecode.stack_effect`), never goes below zero and is the same on every path into
  an instruction; Return and Jump end a path, and no path runs off the end (a TailCall
  does not end one: a tail call to a native that switches fibers, like fiber/resume,
  comes back to this frame and runs the next instruction, the Return the compiler puts
  after every tail call);
- cell discipline: LoadCell/StoreCell only touch a local that holds a cell on every path
  (MakeCell put it there), LoadLocal never reads one that may hold a cell, and a closure's
  captured cells (LoadCaptureCell/StoreCaptureCell) are cells where MakeClosure takes
  them from, so a cell never leaks onto the stack and a plain value is never unboxed.

Only instructions reachable from offset 0 are checked for stack depth and cells;
unreachable ones (the compiler leaves a few after `break`) must still decode with
in-range operands.
"""

from __future__ import annotations

from vm import bytecode
from vm.bytecode import NUM_OPCODES, OPCODES, CompiledFunction
from vm.errors import VMBug

_OP = {info.name: info.code for info in OPCODES}
_LOAD_LOCAL = _OP["LoadLocal"]
_STORE_LOCAL = _OP["StoreLocal"]
_MAKE_CELL = _OP["MakeCell"]
_LOAD_CELL = _OP["LoadCell"]
_STORE_CELL = _OP["StoreCell"]
_LOAD_CAPTURE = _OP["LoadCapture"]
_LOAD_CAPTURE_CELL = _OP["LoadCaptureCell"]
_STORE_CAPTURE_CELL = _OP["StoreCaptureCell"]
_MAKE_CLOSURE = _OP["MakeClosure"]
_EMIT = _OP["Emit"]
_EMIT_WIDE = _OP["EmitWide"]
_ADD_INT = _OP["AddInt"]
_JUMP = _OP["Jump"]
# Instructions after which control never reaches the next one (not TailCall: see above).
_UNPACKERS = bytecode._UNPACK
_ENDS_PATH = {_OP["Return"], _JUMP}

PLAIN, CELL = "plain", "cell"


class VerifyError(VMBug):
    """Bytecode the VM refuses to run: `verify error in FUNCTION at offset N: what`."""

    def __init__(self, func_name: str, offset: int | None, message: str, source: str = ""):
        self.function = func_name
        self.offset = offset
        self.message = message
        self.source = source
        where = f" at offset {offset}" if offset is not None else ""
        src = f" ({source})" if source else ""
        super().__init__(f"verify error in function {func_name}{src}{where}: {message}")


def decode_all(func) -> dict:
    """offset -> (OpInfo, operands, next offset) of every instruction, decoded linearly.

    Raises VerifyError on an unknown opcode or a truncated instruction."""
    code = func.code
    n = len(code)
    out = {}
    off = 0
    unpackers = _UNPACKERS
    while off < n:
        op = code[off]
        if op >= NUM_OPCODES:
            raise _err(func, off, f"unknown opcode {op}")
        info = OPCODES[op]
        nxt = off + info.size
        if nxt > n:
            raise _err(func, off, f"truncated {info.name}: it needs {info.size} bytes, "
                                  f"{n - off} left before the end of the code")
        unpack = unpackers[op]       # bytecode.decode_at, inline: one call per instruction less
        out[off] = (info, unpack(code, off + 1) if unpack is not None else (), nxt)
        off = nxt
    return out


def _err(func, offset, message) -> VerifyError:
    return VerifyError(getattr(func, "name", "?"), offset, message, getattr(func, "source", "") or "")


def _decoded(func, memo: dict) -> dict:
    """decode_all(func), once per verification (`memo` is shared with capture_uses)."""
    key = ("instrs", id(func))
    instrs = memo.get(key)
    if instrs is None:
        instrs = memo[key] = decode_all(func)
    return instrs


def capture_uses(func, instrs: dict | None = None, memo: dict | None = None) -> dict:
    """capture index -> (PLAIN or CELL, offset of the first use) in `func` and nested closures.

    A capture is used as a cell by LoadCaptureCell/StoreCaptureCell, as a plain value by
    LoadCapture, and the way a nested closure uses what it captures from this function's
    captures counts as a use here (at the MakeClosure)."""
    if memo is None:
        memo = {}
    key = id(func)
    if key in memo:
        return memo[key]
    memo[key] = {}           # a cycle through constants: no extra uses
    if instrs is None:
        instrs = _decoded(func, memo)
    uses: dict = {}

    def use(index, kind, off):
        prev = uses.get(index)
        if prev is None:
            uses[index] = (kind, off)
        elif prev[0] != kind:
            raise _err(func, off, f"capture {index} is used as a {kind} here but as a "
                                  f"{prev[0]} at offset {prev[1]}")

    for off, (info, ops, _) in instrs.items():      # decode_all's order: ascending offsets
        code = info.code
        if code == _LOAD_CAPTURE:
            use(ops[0], PLAIN, off)
        elif code in (_LOAD_CAPTURE_CELL, _STORE_CAPTURE_CELL):
            use(ops[0], CELL, off)
        elif code == _MAKE_CLOSURE:
            child = _constant(func, ops[0])
            if type(child) is not CompiledFunction:
                continue
            child_uses = capture_uses(child, None, memo)
            for j, (kind, _) in child_uses.items():
                if j < len(child.captures):
                    from_local, index, _name = child.captures[j]
                    if not from_local:
                        use(index, kind, off)
    memo[key] = uses
    return uses


def _constant(func, index):
    consts = func.constants
    return consts[index] if 0 <= index < len(consts) else None


def verify_function(func, memo: dict | None = None) -> None:
    """Check `func` (see the module docstring); raises VerifyError naming function and offset.

    `memo` (verify_all's) is shared by the functions of one program, so each is decoded
    and has its capture uses worked out once, not once more by each function nesting it."""
    if memo is None:
        memo = {}
    if type(func) is not CompiledFunction:
        raise VerifyError(repr(func), None, "not a compiled function")
    code = func.code
    if not isinstance(code, (bytes, bytearray)):
        raise _err(func, None, "its code is not bytes")
    n = len(code)
    nlocals = func.nlocals
    ncaptures = len(func.captures)
    nconsts = len(func.constants)
    nglobals = len(func.global_names)
    _check_header(func)
    if n == 0:
        raise _err(func, 0, "empty code: execution falls off the end")
    instrs = _decoded(func, memo)
    # Identities of the nested functions, once: a main with 50,000 defns has as many
    # MakeClosures as children, and a scan per MakeClosure made loading quadratic.
    children = {id(ch) for ch in func.children}

    # Operands, one instruction at a time.
    for off, (info, ops, nxt) in instrs.items():
        for role, value in (zip(info.operands, ops) if ops else ()):
            if role == "const" and not value < nconsts:
                raise _err(func, off, f"{info.name}: constant index {value} out of range "
                                      f"(the function has {nconsts} constants)")
            if role == "local" and not value < nlocals:
                raise _err(func, off, f"{info.name}: local slot {value} out of range "
                                      f"(the function has {nlocals} locals)")
            if role == "capture" and not value < ncaptures:
                raise _err(func, off, f"{info.name}: capture index {value} out of range "
                                      f"(the function captures {ncaptures} values)")
            if role == "global" and not value < nglobals:
                raise _err(func, off, f"{info.name}: global index {value} out of range "
                                      f"(there are {nglobals} globals)")
            if role == "jump":
                target = nxt + value
                if not 0 <= target < n:
                    raise _err(func, off, f"{info.name}: jump target {target} is outside the "
                                          f"function (0..{n - 1})")
                if target not in instrs:
                    raise _err(func, off, f"{info.name}: jump target {target} is not the start "
                                          f"of an instruction")
        c = info.code
        if c == _MAKE_CLOSURE:
            child = func.constants[ops[0]]
            if type(child) is not CompiledFunction:
                raise _err(func, off, f"MakeClosure: constant {ops[0]} is not a function "
                                      f"({type(child).__name__})")
            if id(child) not in children:
                raise _err(func, off, f"MakeClosure: function {child.name} is not nested in "
                                      f"{func.name}")
            for j, cap in enumerate(child.captures):
                if not (isinstance(cap, tuple) and len(cap) == 3):
                    raise _err(func, off, f"MakeClosure: capture {j} of {child.name} is malformed")
                from_local, index, _ = cap
                if type(index) is not int or index < 0:
                    raise _err(func, off, f"MakeClosure: capture {j} of {child.name} has a bad index")
                if from_local and index >= nlocals:
                    raise _err(func, off, f"MakeClosure: {child.name} captures local slot {index}, "
                                          f"out of range (the function has {nlocals} locals)")
                if not from_local and index >= ncaptures:
                    raise _err(func, off, f"MakeClosure: {child.name} captures capture {index}, "
                                          f"out of range (the function captures {ncaptures} values)")
        elif c == _EMIT_WIDE:
            bits = func.constants[ops[0]]
            if type(bits) is not int or bits <= 0:
                raise _err(func, off, f"EmitWide: constant {ops[0]} is not a positive integer "
                                      f"signal ({type(bits).__name__})")
        elif c == _EMIT:
            if ops[0] == 0:
                raise _err(func, off, "Emit: no signal bits")
        elif c == _ADD_INT:
            k = func.constants[ops[0]]
            if type(k) is not int:
                raise _err(func, off, f"AddInt: constant {ops[0]} is not an integer "
                                      f"({type(k).__name__})")

    # Captures used both as cells and as plain values are refused here.
    capture_uses(func, instrs, memo)
    _flow(func, instrs, memo)


def _check_header(func):
    for attr in ("nparams", "nopt", "nlocals"):
        v = getattr(func, attr)
        if type(v) is not int or v < 0:
            raise _err(func, None, f"{attr} is {v!r}, not a count")
    params = func.nparams + func.nopt + (1 if func.rest else 0)
    if params > func.nlocals:
        raise _err(func, None, f"{params} parameters but only {func.nlocals} local "
                               f"slot{'' if func.nlocals == 1 else 's'}")


def _flow(func, instrs: dict, memo: dict):
    """Walk every path from offset 0: stack depth and which locals hold cells.

    States are kept only where paths can merge (offset 0 and jump targets), so memory is
    (jump targets x locals) bits however long the function is; the straight run after a
    merge point is walked again only when the state there grows (bits are only added)."""
    n = len(func.code)
    starts = {0}
    for info, ops, nxt in instrs.values():
        if info.operands and info.operands[0] == "jump":
            starts.add(nxt + ops[0])
    # State at a merge point: (depth, maybe_plain bits, maybe_cell bits) over local slots.
    states: dict = {0: (0, (1 << func.nlocals) - 1, 0)}
    work = [0]

    def merge(at, came_from, depth, plain, cell):
        old = states.get(at)
        if old is None:
            states[at] = (depth, plain, cell)
            work.append(at)
            return
        if old[0] != depth:
            raise _err(func, at, f"stack depth {old[0]} on one path into this instruction "
                                 f"but {depth} on another (from offset {came_from})")
        merged = (depth, old[1] | plain, old[2] | cell)
        if merged != old:
            states[at] = merged
            work.append(at)

    effects = bytecode._EFFECTS
    while work:
        off = work.pop()
        depth, plain, cell = states[off]
        while True:
            info, ops, nxt = instrs[off]
            c = info.code
            pops, pops_n, pushes, pushes_n = effects[c]      # stack_effect, inline
            if pops_n or pushes_n:
                k = ops[0] if ops else 0
                pops += pops_n * k
                pushes += pushes_n * k
            if pops > depth:
                raise _err(func, off, f"{info.name} pops {pops} value{'s' if pops != 1 else ''} "
                                      f"but the stack holds {depth} (stack underflow)")
            depth = depth - pops + pushes
            if c == _MAKE_CELL:
                bit = 1 << ops[0]
                plain &= ~bit
                cell |= bit
            elif c == _STORE_LOCAL:
                bit = 1 << ops[0]
                plain |= bit
                cell &= ~bit
            elif c == _LOAD_LOCAL:
                if cell >> ops[0] & 1:
                    raise _err(func, off, f"LoadLocal: local slot {ops[0]} may hold a cell here "
                                          f"(use LoadCell)")
            elif c in (_LOAD_CELL, _STORE_CELL):
                if not cell >> ops[0] & 1 or plain >> ops[0] & 1:
                    what = "may not hold" if cell >> ops[0] & 1 else "does not hold"
                    raise _err(func, off, f"{info.name}: local slot {ops[0]} {what} a cell here "
                                          f"(no MakeCell on every path)")
            elif c == _MAKE_CLOSURE:
                _check_closure(func, off, func.constants[ops[0]], plain, cell, memo)
            falls_through = c not in _ENDS_PATH
            if falls_through and nxt >= n:
                raise _err(func, off, f"{info.name} is the last instruction and execution "
                                      f"falls off the end of the function")
            if info.operands and info.operands[0] == "jump":
                merge(nxt + ops[0], off, depth, plain, cell)
            if not falls_through:
                break
            if nxt in starts:
                merge(nxt, off, depth, plain, cell)
                break
            off = nxt


def _check_closure(func, off, child, plain, cell, memo):
    """MakeClosure must take cells where the child unboxes them, plain values where it reads them."""
    for j, (kind, _) in capture_uses(child, None, memo).items():
        if j >= len(child.captures):
            continue       # reported when the child itself is verified
        from_local, index, name = child.captures[j]
        if not from_local:
            continue       # checked through this function's own capture uses
        is_cell = cell >> index & 1
        is_plain = plain >> index & 1
        if kind == CELL and (not is_cell or is_plain):
            raise _err(func, off, f"MakeClosure: {child.name} uses local slot {index} "
                                  f"({name}) as a cell, but it may not hold one here")
        if kind == PLAIN and is_cell:
            raise _err(func, off, f"MakeClosure: {child.name} reads local slot {index} "
                                  f"({name}) as a plain value, but it may hold a cell here")


def verify_all(main) -> None:
    """Verify `main` and every function nested in it; the root must capture nothing."""
    if type(main) is CompiledFunction and main.captures:
        raise _err(main, None, "a program's main function cannot capture variables")
    memo: dict = {}
    for func in main.all_functions():
        verify_function(func, memo)
