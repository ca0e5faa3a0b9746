"""Opcode handlers, one `op_<Name>` per opcode, collected once into HANDLERS.

A handler is called as `op_X(vm, fiber, frame, arg, next_ip)` with the pre-decoded
argument and `frame.ip` set to the instruction's own offset, and returns the ip to continue at in the same frame, or SWITCH (frames or fiber
changed) or STOP. Guest errors are raised as LispError; the run loop turns them into
`:error` signals. The run loop (execute.py) inlines the hottest of these; every opcode
still has its handler here, which the metered loop uses.
"""

from __future__ import annotations

from vm import bytecode
from vm.call import STOP, call_after_census, call_value, deliver_signal, return_value
from vm.errors import LispError
from vm.fiber import Closure
from vm.heap import HeapCensus
from vm.primitives import PRIMITIVES, load_all

load_all()
from vm.signals import SIG_ERROR
from vm.values import EMPTY, Array, Cell, LSet, Pair, Struct, Symbol, hash_key, values_equal


def _prim(name):
    return PRIMITIVES[name].fn


def op_LoadConst(vm, fiber, frame, a, nx):
    frame.stack.append(a)
    return nx


def op_LoadNil(vm, fiber, frame, a, nx):
    frame.stack.append(None)
    return nx


def op_LoadTrue(vm, fiber, frame, a, nx):
    frame.stack.append(True)
    return nx


def op_LoadFalse(vm, fiber, frame, a, nx):
    frame.stack.append(False)
    return nx


def op_LoadLocal(vm, fiber, frame, a, nx):
    frame.stack.append(frame.locals[a])
    return nx


def op_StoreLocal(vm, fiber, frame, a, nx):
    frame.locals[a] = frame.stack.pop()
    return nx


def op_MakeCell(vm, fiber, frame, a, nx):
    frame.locals[a] = Cell(frame.stack.pop())
    return nx


def op_LoadCell(vm, fiber, frame, a, nx):
    frame.stack.append(frame.locals[a].value)
    return nx


def op_StoreCell(vm, fiber, frame, a, nx):
    frame.locals[a].value = frame.stack.pop()
    return nx


def op_LoadCapture(vm, fiber, frame, a, nx):
    frame.stack.append(frame.closure.captures[a])
    return nx


def op_LoadCaptureCell(vm, fiber, frame, a, nx):
    frame.stack.append(frame.closure.captures[a].value)
    return nx


def op_StoreCaptureCell(vm, fiber, frame, a, nx):
    if vm.read_only:
        raise LispError("watch-error", "a watch cannot assign a captured binding")
    frame.closure.captures[a].value = frame.stack.pop()
    return nx


def op_LoadGlobal(vm, fiber, frame, a, nx):
    frame.stack.append(vm.globals[a])
    return nx


def op_StoreGlobal(vm, fiber, frame, a, nx):
    if vm.read_only:
        raise LispError("watch-error", "a watch cannot assign a top-level binding")
    vm.globals[a] = frame.stack.pop()
    return nx


def op_Dup(vm, fiber, frame, a, nx):
    frame.stack.append(frame.stack[-1])
    return nx


def op_Pop(vm, fiber, frame, a, nx):
    frame.stack.pop()
    return nx


def op_MakeClosure(vm, fiber, frame, func, nx):
    frame.stack.append(make_closure(frame, func))
    return nx


def make_closure(frame, func):
    """Capture each free variable: a local slot of this frame or one of its captures."""
    if not func.captures:
        return Closure(func, ())
    locals_ = frame.locals
    outer = frame.closure.captures
    return Closure(func, [locals_[i] if from_local else outer[i] for from_local, i, _ in func.captures])


def op_Call(vm, fiber, frame, argc, nx):
    stack = frame.stack
    args = stack[len(stack) - argc:]
    f = stack[-argc - 1]
    del stack[-argc - 1:]
    return call_value(vm, fiber, frame, f, args, nx, False)


def op_TailCall(vm, fiber, frame, argc, nx):
    stack = frame.stack
    args = stack[len(stack) - argc:]
    f = stack[-argc - 1]
    del stack[-argc - 1:]
    return call_value(vm, fiber, frame, f, args, nx, True)


def op_Return(vm, fiber, frame, a, nx):
    return return_value(vm, fiber, frame.stack.pop())


def op_Jump(vm, fiber, frame, target, nx):
    return target


def op_JumpIfFalse(vm, fiber, frame, target, nx):
    v = frame.stack.pop()
    return target if v is None or v is False else nx


def op_JumpIfTrue(vm, fiber, frame, target, nx):
    v = frame.stack.pop()
    return nx if v is None or v is False else target


def _binary(name):
    fn = _prim(name)

    def handler(vm, fiber, frame, a, nx):
        stack = frame.stack
        b = stack.pop()
        stack[-1] = fn(vm, stack[-1], b)
        return nx
    return handler


op_Add = _binary("+")
op_Sub = _binary("-")
op_Mul = _binary("*")
op_Div = _binary("/")
op_Rem = _binary("rem")
op_Lt = _binary("<")
op_Gt = _binary(">")
op_Le = _binary("<=")
op_Ge = _binary(">=")
for _h, _n in ((op_Add, "Add"), (op_Sub, "Sub"), (op_Mul, "Mul"), (op_Div, "Div"), (op_Rem, "Rem"),
               (op_Lt, "Lt"), (op_Gt, "Gt"), (op_Le, "Le"), (op_Ge, "Ge")):
    _h.__name__ = "op_" + _n


_ADD = _prim("+")


def op_AddInt(vm, fiber, frame, k, nx):
    stack = frame.stack
    x = stack[-1]
    if type(x) is int:
        stack[-1] = x + k
    else:
        stack[-1] = _ADD(vm, x, k)
    return nx


def op_Eq(vm, fiber, frame, a, nx):
    stack = frame.stack
    b = stack.pop()
    stack[-1] = values_equal(stack[-1], b)
    return nx


def op_Not(vm, fiber, frame, a, nx):
    v = frame.stack[-1]
    frame.stack[-1] = v is None or v is False
    return nx


def op_IsNil(vm, fiber, frame, a, nx):
    frame.stack[-1] = frame.stack[-1] is None
    return nx


def op_IsSymbol(vm, fiber, frame, a, nx):
    frame.stack[-1] = type(frame.stack[-1]) is Symbol
    return nx


def op_IsArray(vm, fiber, frame, a, nx):
    frame.stack[-1] = type(frame.stack[-1]) is Array
    return nx


def op_IsPair(vm, fiber, frame, a, nx):
    frame.stack[-1] = type(frame.stack[-1]) is Pair
    return nx


def op_IsStruct(vm, fiber, frame, a, nx):
    frame.stack[-1] = type(frame.stack[-1]) is Struct
    return nx


def op_First(vm, fiber, frame, a, nx):
    frame.stack[-1] = _prim("first")(vm, frame.stack[-1])
    return nx


def op_Rest(vm, fiber, frame, a, nx):
    frame.stack[-1] = _prim("rest")(vm, frame.stack[-1])
    return nx


def op_MakePair(vm, fiber, frame, a, nx):
    stack = frame.stack
    d = stack.pop()
    try:
        stack[-1] = _PAIR(vm, stack[-1], d)
    except HeapCensus as e:
        stack[-1] = call_after_census(vm, _PAIR, [stack[-1], d], e)
    return nx


_PAIR = _prim("pair")
_LENGTH = _prim("length")
_GET = _prim("get")


def op_Length(vm, fiber, frame, a, nx):
    frame.stack[-1] = _LENGTH(vm, frame.stack[-1])
    return nx


def op_Get(vm, fiber, frame, a, nx):
    stack = frame.stack
    k = stack.pop()
    stack[-1] = _GET(vm, stack[-1], k)
    return nx


def _take(stack, n):
    if n == 0:
        return []
    items = stack[len(stack) - n:]
    del stack[len(stack) - n:]
    return items


def op_MakeList(vm, fiber, frame, n, nx):
    out = EMPTY
    for x in reversed(_take(frame.stack, n)):
        out = Pair(x, out)
    frame.stack.append(out)
    return nx


def op_MakeArray(vm, fiber, frame, n, nx):
    frame.stack.append(Array(_take(frame.stack, n), False))
    return nx


def op_MakeMArray(vm, fiber, frame, n, nx):
    frame.stack.append(Array(_take(frame.stack, n), True))
    return nx


def _struct_from(items):
    return {hash_key(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def op_MakeStruct(vm, fiber, frame, n, nx):
    frame.stack.append(Struct(_struct_from(_take(frame.stack, 2 * n)), False))
    return nx


def op_MakeMStruct(vm, fiber, frame, n, nx):
    frame.stack.append(Struct(_struct_from(_take(frame.stack, 2 * n)), True))
    return nx


def op_MakeSet(vm, fiber, frame, n, nx):
    frame.stack.append(LSet({hash_key(x) for x in _take(frame.stack, n)}, False))
    return nx


def op_MakeMSet(vm, fiber, frame, n, nx):
    frame.stack.append(LSet({hash_key(x) for x in _take(frame.stack, n)}, True))
    return nx


def op_Emit(vm, fiber, frame, bits, nx):
    return emit_signal(vm, fiber, frame, bits, frame.stack.pop(), nx)


def op_EmitWide(vm, fiber, frame, bits, nx):
    return emit_signal(vm, fiber, frame, bits, frame.stack.pop(), nx)


def emit_signal(vm, fiber, frame, bits, payload, nx):
    """The fiber emits: a later resume continues after the Emit with the resume value."""
    if bits & SIG_ERROR:
        vm.record_error_site(fiber, frame.ip)
    if vm.catch_bits & bits:
        # Held for a catchpoint: the debugger shows the Emit (held_ip) with its payload.
        vm.held_signal = (fiber, bits, payload)
        vm.held_ip = frame.ip
        frame.ip = nx
        fiber.pending = "emit"
        return STOP
    frame.ip = nx
    fiber.pending = "emit"
    return deliver_signal(vm, fiber, bits, payload)


HANDLERS = [globals().get("op_" + info.name) for info in bytecode.OPCODES]
