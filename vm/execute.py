"""The dispatch loop: pre-decoding, and `run_loop`, which runs until a limit or a stop.

Hot state lives in locals (fiber, frames, frame, code, ip, stack, locals_, tick) and is
reloaded from `vm.current` through one path after any fiber switch or error, like wren's
LOAD_FRAME. The only per-instruction check is `tick >= limit`: fuel, a requested pause,
a step or the end of a run all arrive as a limit (the cheap trap), and breakpoints arrive
as patched instructions, so a run with nothing armed pays nothing else.
"""

from __future__ import annotations

from vm import bytecode
from vm.bytecode import CompiledFunction, iter_instructions
from vm.call import STOP, SWITCH, jit_enter, push_closure
from vm.dispatch import HANDLERS
from vm.errors import LispError, VMBug
from vm.fiber import STATUS_ALIVE, STATUS_PAUSED, Closure, Fiber, Frame
from vm.fuse import (FUSED_GLOBAL_LOCAL_ADDK, FUSED_INC_LOCAL, FUSED_LK_LT_JIF,
                     FUSED_LL_ADD_STORE, FUSED_LL_LT_JIF, FUSED_LOCAL_ADDK, FUSED_NAMES, FUSED_REGION,
                     MAX_FUSED, fuse)
from vm.jit.osr import sample as jit_sample
from vm.primitives import PRIMITIVES
from vm.regions import RELOAD, add_regions
from vm.routines import add_entry
from vm.signals import SIG_ERROR, SIG_HALT
from vm.values import values_equal

# Opcode of a patched breakpoint; outside the table so it can never be emitted.
OP_BREAK = bytecode.NUM_OPCODES

# Superinstructions on (the default) or off; tests run every program both ways.
FUSION = True

# Which operand role turns into which pre-decoded argument.
_JUMP = "jump"


# Called with each function just decoded (the debugger patches a stepping trap into a
# function the first time it is used: vmdbg/core/engine.py _trap_until).
DECODE_HOOKS: list = []


def decode_function(func, jit: bool = False):
    """Pre-decode `func`: lists indexed by byte offset of (opcode, arg, next offset).

    Constants are resolved (LoadConst carries the value, MakeClosure the function,
    EmitWide and AddInt their numbers) and jumps carry absolute targets, so the loop does
    no decoding. Offsets that are not instruction starts hold None. `func.plain` has one
    entry per instruction; `func.decoded`, which frames run, also has superinstructions
    (vm/fuse.py) at the heads of fused groups and regions (vm/regions.py) at resume points.

    The VM does not call this at load: reading any of these attributes of a function the
    first time does (vm/bytecode.py CompiledFunction.__getattr__), so only what runs, is
    stepped into or is shown is decoded."""
    # The call fast path takes closures whose arguments fill the parameters exactly. With
    # the JIT on, calls go through call_value so they are counted; the JIT restores
    # fast_argc for functions it rejects (vm/jit/compiler.py), which may happen before the
    # function is first decoded: its choice stands. (Set first: what follows may read it.)
    exact = not (func.rest or func.nopt)
    d = func.__dict__
    if "fast_argc" not in d:
        func.fast_argc = func.nparams if exact and not jit else -1
    func.pad = [None] * (func.nlocals - func.nparams) if exact else []
    plain = [None] * len(func.code)
    consts = func.constants
    for off, info, ops, nxt in iter_instructions(func.code):
        if ops:
            arg = ops[0]
            role = info.operands[0]
            if role == "const":
                arg = consts[arg]
            elif role == _JUMP:
                arg = nxt + arg
        else:
            arg = 0
        plain[off] = (info.code, arg, nxt)
    func.plain = plain
    if FUSION:
        func.decoded, func.group_head = fuse(plain)
        add_regions(plain, func.decoded, FUSED_REGION, lambda: (func.decoded, func.fast))
        func.fast = list(func.decoded)      # what breakpoints/refuse put back (vmdbg/breakpoints.py)
        # With the JIT on, the routine runs only functions the JIT rejected (vm/routines.py).
        add_entry(func, FUSED_REGION, lambda: (func.decoded, func.fast))
    else:
        func.decoded, func.group_head = list(plain), {}
        func.fast = None
    for hook in DECODE_HOOKS:
        hook(func)
    return func.decoded


CompiledFunction.decoder = staticmethod(decode_function)


def op_Break(vm, fiber, frame, a, nx):
    """A patched breakpoint: stop before the original instruction runs."""
    vm.tick -= 1
    vm.stop_reason = "breakpoint"
    return STOP


def op_Fused(vm, fiber, frame, a, nx):
    """Fused entries are handled inline by the fast loop and never reach a handler."""
    raise VMBug("a superinstruction reached the handler table")


HANDLER_TABLE = HANDLERS + [op_Break] + [op_Fused] * len(FUSED_NAMES)


def run_loop(vm):
    """Run the current fiber until vm.run_limit ticks, a stop, or the program ends.

    Two modes share one dispatch chain: the fast mode reads `frame.code` (with
    superinstructions) while at least MAX_FUSED ticks remain before the limit; the metered
    mode, near the limit, reads the plain entries one instruction at a time, so a limit
    always falls exactly on an instruction boundary."""
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
    LoadCaptureCell = bytecode.OP_LoadCaptureCell
    LoadCell = bytecode.OP_LoadCell
    StoreCaptureCell = bytecode.OP_StoreCaptureCell
    Break = OP_BREAK
    LL_LT_JIF = FUSED_LL_LT_JIF
    LK_LT_JIF = FUSED_LK_LT_JIF
    INC_LOCAL = FUSED_INC_LOCAL
    LL_ADD_STORE = FUSED_LL_ADD_STORE
    GLOBAL_LOCAL_ADDK = FUSED_GLOBAL_LOCAL_ADDK
    LOCAL_ADDK = FUSED_LOCAL_ADDK
    REGION = FUSED_REGION
    Emit = bytecode.OP_Emit
    RESUME = PRIMITIVES["fiber/resume"]
    PAUSED = STATUS_PAUSED
    ALIVE = STATUS_ALIVE
    new_frame = Frame.__new__
    max_depth = vm.max_depth
    globals_ = vm.globals
    tick = vm.tick
    while True:
        # LOAD_FRAME: (re)load hot state from the current fiber.
        fiber = vm.current
        if fiber is None or vm.halted:
            vm.tick = tick
            return
        limit = vm.limit_for(fiber, tick)
        soft = limit - MAX_FUSED
        frames = fiber.frames
        frame = frames[-1]
        code = frame.code
        ip = frame.ip
        stack = frame.stack
        locals_ = frame.locals
        why = SWITCH
        try:
            while True:
                if tick < soft:
                    tick += 1
                    op, a, nx = code[ip]
                elif tick < limit:
                    # Metered: one plain instruction (or the breakpoint patched over it).
                    tick += 1
                    op, a, nx = code[ip]
                    if op != Break:
                        op, a, nx = frame.func.plain[ip]
                else:
                    why = None
                    break
                if op == REGION:
                    # Budget: the ticks left before this dispatch counted one.
                    nx, used = a(locals_, stack, limit - tick + 1, frame, vm)
                    if used:
                        tick += used - 1
                        if nx >= 0:
                            ip = nx
                        else:           # it called or returned: reload the frame (RELOAD)
                            if nx != RELOAD:    # or switched fibers (SWITCHED)
                                fiber = vm.current
                                frames = fiber.frames
                            frame = frames[-1]
                            code = frame.code
                            ip = frame.ip
                            stack = frame.stack
                            locals_ = frame.locals
                        continue
                    op, a, nx = frame.func.plain[ip]    # not hot yet, or the first block needs us
                if op == LoadLocal:
                    stack.append(locals_[a])
                    ip = nx
                elif op == Call and type(f := stack[-a - 1]) is Closure and f.func.fast_argc == a:
                    if len(frames) >= max_depth:
                        raise LispError("stack-overflow", f"stack overflow: more than {max_depth} nested calls")
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
                    frame = new_frame(Frame)
                    frame.closure = f
                    frame.func = func
                    frame.code = code = func.decoded
                    frame.ip = ip = 0
                    frame.stack = stack = []
                    frame.locals = locals_ = args
                    frames.append(frame)
                elif (op == Call and stack[-a - 1] is RESUME and 0 < a < 3
                      and type(t := stack[-a]) is Fiber and t.status == PAUSED
                      and t.pending == "emit" and t.waiting_child is None
                      and t.fuel is None and fiber.fuel is None
                      and not vm.read_only and not vm.record_events):
                    # fiber/resume of a fiber paused at an emit, no fuel on either side:
                    # resume_fiber (vm/call.py) inline, switching the hot state directly.
                    v = stack.pop() if a == 2 else None
                    del stack[-2:]
                    frame.ip = nx
                    t.parent = fiber
                    fiber.child = t
                    t.status = ALIVE
                    t.pending = None
                    vm.current = fiber = t
                    frames = t.frames
                    frame = frames[-1]
                    code = frame.code
                    ip = frame.ip
                    stack = frame.stack
                    locals_ = frame.locals
                    stack.append(v)
                elif (op == Emit and a & fiber.mask and not a & (SIG_ERROR | SIG_HALT)
                      and not vm.catch_bits & a and (p := fiber.parent) is not None
                      and fiber.fuel is None and p.fuel is None and not vm.record_events):
                    # A signal the emitting fiber catches itself, no fuel on either side:
                    # emit_signal + deliver_signal (vm/dispatch.py, vm/call.py) inline.
                    v = stack.pop()
                    frame.ip = nx
                    fiber.pending = "emit"
                    fiber.bits = a
                    fiber.value = v
                    fiber.status = PAUSED
                    fiber.caught_by = p
                    vm.current = fiber = p
                    frames = p.frames
                    frame = frames[-1]
                    code = frame.code
                    ip = frame.ip
                    stack = frame.stack
                    locals_ = frame.locals
                    stack.append(v)
                elif op == Return and len(frames) > 1:
                    v = stack[-1]
                    frames.pop()
                    frame = frames[-1]
                    code = frame.code
                    ip = frame.ip
                    stack = frame.stack
                    locals_ = frame.locals
                    stack.append(v)
                elif op == LoadConst:
                    stack.append(a)
                    ip = nx
                elif op == LL_LT_JIF:
                    x = locals_[a[0]]
                    y = locals_[a[1]]
                    if type(x) is int and type(y) is int:
                        tick += 3
                        ip = nx if x < y else a[2]
                    else:
                        tick += 1
                        stack.append(x)
                        stack.append(y)
                        ip = a[3]
                elif op == LK_LT_JIF:
                    x = locals_[a[0]]
                    y = a[1]
                    if type(x) is int and type(y) is int:
                        tick += 3
                        ip = nx if x < y else a[2]
                    else:
                        tick += 1
                        stack.append(x)
                        stack.append(y)
                        ip = a[3]
                elif op == JumpIfFalse:
                    v = stack.pop()
                    ip = a if (v is None or v is False) else nx
                elif op == Call and vm.jit_threshold and type(f := stack[-a - 1]) is Closure:
                    # The JIT is on: the call is counted, and compiled code runs it whole
                    # or declines (vm/jit/code.py); the door is here, not behind op_Call.
                    if len(frames) >= max_depth and f.func.accepts(a):
                        # (with the callee and arguments still on the stack, as the inline
                        # call above leaves them: the error's frame is the interpreter's)
                        raise LispError("stack-overflow", f"stack overflow: more than {max_depth} nested calls")
                    args = stack[len(stack) - a:]
                    del stack[-a - 1:]
                    frame.ip = ip
                    vm.tick = tick
                    done = jit_enter(vm, fiber, f, args, False)
                    if done.__class__ is tuple:
                        stack.append(done[0])
                        tick = vm.tick
                        ip = nx
                    else:
                        if done is None:
                            push_closure(vm, fiber, frame, f, args, nx, False)
                        else:       # it stopped at a loop's back-edge: its frame, at vm.tick
                            frame.ip = nx
                            frames.append(done)
                            tick = vm.tick
                        frame = frames[-1]
                        code = frame.code
                        ip = frame.ip
                        stack = frame.stack
                        locals_ = frame.locals
                elif op == GLOBAL_LOCAL_ADDK:
                    stack.append(globals_[a[0]])
                    x = locals_[a[1]]
                    if type(x) is int:
                        tick += 2
                        stack.append(x + a[2])
                        ip = nx
                    else:
                        tick += 1
                        stack.append(x)
                        ip = a[3]
                elif op == INC_LOCAL:
                    x = locals_[a[0]]
                    if type(x) is int:
                        tick += 2
                        locals_[a[2]] = x + a[1]
                        ip = nx
                    else:
                        stack.append(x)
                        ip = a[3]
                elif op == LL_ADD_STORE:
                    x = locals_[a[0]]
                    y = locals_[a[1]]
                    if type(x) is int and type(y) is int:
                        tick += 3
                        locals_[a[2]] = x + y
                        ip = nx
                    else:
                        tick += 1
                        stack.append(x)
                        stack.append(y)
                        ip = a[3]
                elif op == Jump:
                    ip = a
                elif op == AddInt:
                    x = stack[-1]
                    stack[-1] = x + a if type(x) is int else add(vm, x, a)
                    ip = nx
                elif op == StoreLocal:
                    locals_[a] = stack.pop()
                    ip = nx
                elif op == LOCAL_ADDK:
                    x = locals_[a[0]]
                    if type(x) is int:
                        tick += 1
                        stack.append(x + a[1])
                        ip = nx
                    else:
                        stack.append(x)
                        ip = a[2]
                elif op == Add:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x + b if (type(x) is int and type(b) is int) else add(vm, x, b)
                    ip = nx
                elif op == LoadGlobal:
                    stack.append(globals_[a])
                    ip = nx
                elif op == Pop:
                    stack.pop()
                    ip = nx
                elif op == Lt:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x < b if (type(x) is int and type(b) is int) else lt(vm, x, b)
                    ip = nx
                elif op == Sub:
                    b = stack.pop()
                    x = stack[-1]
                    stack[-1] = x - b if (type(x) is int and type(b) is int) else sub(vm, x, b)
                    ip = nx
                elif op == TailCall and type(f := stack[-a - 1]) is Closure and f.func.fast_argc == a:
                    func = f.func
                    args = stack[len(stack) - a:]
                    if func.pad:
                        args += func.pad
                    frame = new_frame(Frame)
                    frame.closure = f
                    frame.func = func
                    frame.code = code = func.decoded
                    frame.ip = ip = 0
                    frame.stack = stack = []
                    frame.locals = locals_ = args
                    frames[-1] = frame
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
                elif op == LoadCaptureCell:
                    stack.append(frame.closure.captures[a].value)
                    ip = nx
                elif op == LoadCell:
                    stack.append(locals_[a].value)
                    ip = nx
                elif op == StoreCaptureCell and not vm.read_only:
                    frame.closure.captures[a].value = stack.pop()
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
            if vm.jit_tiering is not None:
                # The JIT's sample: the ticks since the last one go to the frame on top
                # (its function, and the loops around its instruction: vm/jit/osr.py).
                jit_sample(vm, frame, tick)
            if not vm.at_limit(fiber):
                return
            tick = vm.tick
