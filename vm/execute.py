"""The dispatch loop: pre-decoding, and `run_loop`, which runs until a limit or a stop.

Hot state lives in locals (fiber, frames, frame, code, ip, stack, locals_, tick) and is
reloaded from `vm.current` through one path after any fiber switch or error, like wren's
LOAD_FRAME. The only per-instruction check is `tick >= limit`: fuel, a requested pause,
a step or the end of a run all arrive as a limit (the cheap trap), and breakpoints arrive
as patched instructions, so a run with nothing armed pays nothing else.
"""

from __future__ import annotations

from vm import bytecode
from vm.bytecode import iter_instructions
from vm.call import STOP, SWITCH
from vm.dispatch import HANDLERS
from vm.errors import LispError
from vm.fiber import Closure, Frame
from vm.primitives import PRIMITIVES
from vm.values import values_equal

# Opcode of a patched breakpoint; outside the table so it can never be emitted.
OP_BREAK = bytecode.NUM_OPCODES

# Which operand role turns into which pre-decoded argument.
_JUMP = "jump"


def decode_function(func, jit: bool = False):
    """Pre-decode `func` into a list indexed by byte offset of (opcode, arg, next offset).

    Constants are resolved (LoadConst carries the value, MakeClosure the function,
    EmitWide and AddInt their numbers) and jumps carry absolute targets, so the loop does
    no decoding. Offsets that are not instruction starts hold None."""
    decoded = [None] * len(func.code)
    for off, info, ops, nxt in iter_instructions(func.code):
        arg = ops[0] if ops else 0
        role = info.operands[0] if info.operands else None
        if role == "const":
            arg = func.constants[arg]
        elif role == _JUMP:
            arg = nxt + arg
        decoded[off] = (info.code, arg, nxt)
    func.decoded = decoded
    # The call fast path takes closures whose arguments fill the parameters exactly. With
    # the JIT on, calls go through call_value so they are counted; the JIT restores
    # fast_argc for functions it rejects (vm/jit/compiler.py).
    exact = not (func.rest or func.nopt)
    func.fast_argc = func.nparams if exact and not jit else -1
    func.pad = [None] * (func.nlocals - func.nparams) if exact else []
    return decoded


def op_Break(vm, fiber, frame, a, nx):
    """A patched breakpoint: stop before the original instruction runs."""
    vm.tick -= 1
    vm.stop_reason = "breakpoint"
    return STOP


HANDLER_TABLE = HANDLERS + [op_Break]


def run_loop(vm):
    """Run the current fiber until vm.run_limit ticks, a stop, or the program ends."""
    handlers = HANDLER_TABLE
    add = PRIMITIVES["+"].fn
    sub = PRIMITIVES["-"].fn
    lt = PRIMITIVES["<"].fn
    gt = PRIMITIVES[">"].fn
    le = PRIMITIVES["<="].fn
    ge = PRIMITIVES[">="].fn
    LoadLocal = bytecode.OP_LoadLocal
    LoadConst = bytecode.OP_LoadConst
    StoreLocal = bytecode.OP_StoreLocal
    LoadGlobal = bytecode.OP_LoadGlobal
    LoadCapture = bytecode.OP_LoadCapture
    LoadNil = bytecode.OP_LoadNil
    AddInt = bytecode.OP_AddInt
    Add = bytecode.OP_Add
    Sub = bytecode.OP_Sub
    Lt = bytecode.OP_Lt
    Gt = bytecode.OP_Gt
    Le = bytecode.OP_Le
    Ge = bytecode.OP_Ge
    Eq = bytecode.OP_Eq
    Jump = bytecode.OP_Jump
    JumpIfFalse = bytecode.OP_JumpIfFalse
    Call = bytecode.OP_Call
    TailCall = bytecode.OP_TailCall
    Return = bytecode.OP_Return
    Pop = bytecode.OP_Pop
    Dup = bytecode.OP_Dup
    max_depth = vm.max_depth
    tick = vm.tick
    while True:
        # LOAD_FRAME: (re)load hot state from the current fiber.
        fiber = vm.current
        if fiber is None or vm.halted:
            vm.tick = tick
            return
        limit = vm.limit_for(fiber, tick)
        frames = fiber.frames
        frame = frames[-1]
        code = frame.code
        ip = frame.ip
        stack = frame.stack
        locals_ = frame.locals
        why = SWITCH
        try:
            while True:
                if tick >= limit:
                    why = None
                    break
                tick += 1
                op, a, nx = code[ip]
                if op == LoadLocal:
                    stack.append(locals_[a])
                    ip = nx
                elif op == LoadConst:
                    stack.append(a)
                    ip = nx
                elif op == JumpIfFalse:
                    v = stack.pop()
                    ip = a if (v is None or v is False) else nx
                elif op == AddInt:
                    x = stack[-1]
                    stack[-1] = x + a if type(x) is int else add(vm, x, a)
                    ip = nx
                elif op == StoreLocal:
                    locals_[a] = stack.pop()
                    ip = nx
                elif op == LoadGlobal:
                    stack.append(vm.globals[a])
                    ip = nx
                elif op == Lt:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x < b if (type(x) is int and type(b) is int) else lt(vm, x, b)
                    ip = nx
                elif op == Call and type(stack[-a - 1]) is Closure and stack[-a - 1].func.fast_argc == a:
                    if len(frames) >= max_depth:
                        raise LispError("stack-overflow", f"stack overflow: more than {max_depth} nested calls")
                    f = stack[-a - 1]
                    func = f.func
                    if a:
                        args = stack[-a:]
                        del stack[-a - 1:]
                    else:
                        stack.pop()
                        args = []
                    if func.pad:
                        args += func.pad
                    frame.ip = nx
                    frame = Frame(f, args)
                    frames.append(frame)
                    code = frame.code
                    ip = 0
                    stack = frame.stack
                    locals_ = args
                elif op == Return and len(frames) > 1:
                    v = stack[-1]
                    frames.pop()
                    frame = frames[-1]
                    code = frame.code
                    ip = frame.ip
                    stack = frame.stack
                    locals_ = frame.locals
                    stack.append(v)
                elif op == Add:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x + b if (type(x) is int and type(b) is int) else add(vm, x, b)
                    ip = nx
                elif op == Sub:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x - b if (type(x) is int and type(b) is int) else sub(vm, x, b)
                    ip = nx
                elif op == Jump:
                    ip = a
                elif op == Pop:
                    stack.pop()
                    ip = nx
                elif op == TailCall and type(stack[-a - 1]) is Closure and stack[-a - 1].func.fast_argc == a:
                    f = stack[-a - 1]
                    func = f.func
                    args = stack[len(stack) - a:]
                    if func.pad:
                        args += func.pad
                    frame = Frame(f, args)
                    frames[-1] = frame
                    code = frame.code
                    ip = 0
                    stack = frame.stack
                    locals_ = args
                elif op == Gt:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x > b if (type(x) is int and type(b) is int) else gt(vm, x, b)
                    ip = nx
                elif op == Le:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x <= b if (type(x) is int and type(b) is int) else le(vm, x, b)
                    ip = nx
                elif op == Ge:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x >= b if (type(x) is int and type(b) is int) else ge(vm, x, b)
                    ip = nx
                elif op == Eq:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x == b if (type(x) is int and type(b) is int) else values_equal(x, b)
                    ip = nx
                elif op == LoadCapture:
                    stack.append(frame.closure.captures[a])
                    ip = nx
                elif op == Dup:
                    stack.append(stack[-1])
                    ip = nx
                elif op == LoadNil:
                    stack.append(None)
                    ip = nx
                else:
                    frame.ip = ip
                    vm.tick = tick
                    r = handlers[op](vm, fiber, frame, a, nx)
                    if r >= 0:
                        ip = r
                    elif r == SWITCH:
                        if vm.current is fiber and not vm.halted:
                            frame = frames[-1]
                            code = frame.code
                            ip = frame.ip
                            stack = frame.stack
                            locals_ = frame.locals
                            tick = vm.tick
                            if vm.fuel_dirty:
                                break
                        else:
                            tick = vm.tick
                            break
                    else:
                        return
        except LispError as e:
            frame.ip = ip
            vm.tick = tick
            r = vm.raise_error(fiber, frame, ip, e)
            tick = vm.tick
            if r == STOP:
                return
            continue
        if why is None:
            # The limit: fuel ran out, or the run's own end (step, slice, pause check).
            frame.ip = ip
            vm.tick = tick
            if not vm.at_limit(fiber):
                return
            tick = vm.tick
