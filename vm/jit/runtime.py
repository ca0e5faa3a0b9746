"""The bridge between Python and compiled bodies: the C-API entry wrapper, the fuel refill
helper, and the process symbols (CPython API, libm) they use.

The interpreter calls `<symbol>_entry(budget, room, *args)`, a METH_FASTCALL builtin, so a
call costs what any builtin call costs (ctypes would cost ten times more). Sketch:

    entry:        nargs must be 2 + nparams; budget, room = the first two ints
    arg.<i>:      int (fits i64) / float / True / False / None -> (tag, bits); else bail.guard
    run:          ctx = {min(budget, CHUNK), the rest, no saved thread}; r = body(ctx, room, ...)
                  give the GIL back if a refill released it
    box:          bail -> the reason as an int (ctrl+c -> NULL, the exception is set);
                  value -> (value, ticks used)

Refill, the cold path of every block's fuel check, runs once per CHUNK ticks: it runs
Python signal handlers, releases the GIL (so the debugger's UI thread keeps running),
honours a pause request and moves the next chunk from reserve into budget.
"""

from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
from llvmlite import ir

from vm.jit import irutil as U
from vm.jit.code import (BAIL_FUEL, BAIL_GUARD, BAIL_INTERRUPT, BAIL_SIGNAL, TAG_BOOL, TAG_FLOAT,
                         TAG_INT, TAG_NIL)
from vm.jit.irutil import F64, I32, I64, PTR, Val, i64

# Ticks compiled code runs between two looks at the world (pause flag, signals, GIL).
CHUNK = 1 << 20
VOID = ir.VoidType()
METH_FASTCALL = 0x0080
# Offset of ob_type in a PyObject (after ob_refcnt; debug builds add two pointers first).
OB_TYPE_OFFSET = object.__basicsize__ - ctypes.sizeof(ctypes.c_void_p)

C_API = {
    "PyLong_AsLongLong": (I64, [PTR]),
    "PyLong_AsLongLongAndOverflow": (I64, [PTR, PTR]),
    "PyLong_FromLongLong": (PTR, [I64]),
    "PyFloat_AsDouble": (F64, [PTR]),
    "PyFloat_FromDouble": (PTR, [F64]),
    "PyTuple_New": (PTR, [I64]),
    "PyTuple_SetItem": (I32, [PTR, I64, PTR]),
    "Py_IncRef": (VOID, [PTR]),
    "PyEval_SaveThread": (PTR, []),
    "PyEval_RestoreThread": (VOID, [PTR]),
    "PyErr_CheckSignals": (I32, []),
}
PY_OBJECTS = {"PyLong_Type": int, "PyFloat_Type": float, "_Py_TrueStruct": True,
              "_Py_FalseStruct": False, "_Py_NoneStruct": None}

_registered = False


def register_symbols():
    """Tell LLVM's linker where the CPython API, its singletons and fmod live (once)."""
    global _registered
    if _registered:
        return
    for name in C_API:
        llvm.add_symbol(name, ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value)
    for name, obj in PY_OBJECTS.items():
        llvm.add_symbol(name, id(obj))
    llvm.add_symbol("fmod", ctypes.cast(ctypes.CDLL(None).fmod, ctypes.c_void_p).value)
    _registered = True


def api(module, name):
    ret, args = C_API[name]
    return U.declare(module, name, ret, args)


def emit_refill(module, interrupt_name: str) -> ir.Function:
    """i64 vmjit_refill(ctx, need): 0 when `need` ticks were taken, else a bail reason."""
    fn = ir.Function(module, ir.FunctionType(I64, [PTR, I64]), "vmjit_refill")
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    fn.attributes.add("cold")
    ctx, need = fn.args
    ctx.name, need.name = "ctx", "need"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    flag = U.declare_global(module, interrupt_name, I64)

    def field(i, name):
        return b.gep(ctx, [i64(0), ir.Constant(I32, i)], source_etype=U.CTX, name=name)

    def leave_if(cond, reason, name):
        out = fn.append_basic_block(f"bail.{name}")
        cont = fn.append_basic_block(f"{name}.ok")
        b.cbranch(cond, out, cont)
        b.position_at_end(out)
        b.ret(i64(reason))
        b.position_at_end(cont)

    budget_ptr, reserve_ptr, ts_ptr = field(0, "budget.ptr"), field(1, "reserve.ptr"), field(2, "tstate.ptr")
    budget = b.load(budget_ptr, typ=I64, name="budget")
    reserve = b.load(reserve_ptr, typ=I64, name="reserve")
    leave_if(b.icmp_signed("<", b.add(budget, reserve), need), BAIL_FUEL, "fuel")
    # Look at Python signals with the GIL held, then (re)release it.
    ts = b.load(ts_ptr, typ=PTR, name="tstate")
    held = b.icmp_unsigned("==", ts, ir.Constant(PTR, None), name="gil.held")
    reacquire = fn.append_basic_block("gil.reacquire")
    check = fn.append_basic_block("signals")
    b.cbranch(held, check, reacquire)
    b.position_at_end(reacquire)
    b.call(api(module, "PyEval_RestoreThread"), [ts])
    b.branch(check)
    b.position_at_end(check)
    rc = b.call(api(module, "PyErr_CheckSignals"), [], name="rc")
    b.store(b.call(api(module, "PyEval_SaveThread"), [], name="saved"), ts_ptr)
    leave_if(b.icmp_signed("<", rc, ir.Constant(I32, 0)), BAIL_SIGNAL, "signal")
    # After the signal handlers: ctrl+c in `vmdbg run` asks for a pause through this flag.
    leave_if(b.icmp_unsigned("!=", b.load(flag, typ=I64, name="pause"), i64(0)), BAIL_INTERRUPT, "pause")
    small = b.icmp_signed("<", reserve, i64(CHUNK))
    chunk = b.select(small, reserve, i64(CHUNK), name="chunk")
    b.store(b.sub(b.add(budget, chunk), need), budget_ptr)
    b.store(b.sub(reserve, chunk), reserve_ptr)
    b.ret(i64(0))
    return fn


def emit_entry(module, body: ir.Function, nparams: int, name: str) -> ir.Function:
    """PyObject *<name>(self, args, nargs): unbox, run the body, box (see the module sketch)."""
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, PTR, I64]), name)
    _, argv, nargs = fn.args
    argv.name, nargs.name = "args", "nargs"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    guard = fn.append_basic_block("bail.guard")
    with b.goto_block(guard):
        b.ret(b.call(api(module, "PyLong_FromLongLong"), [i64(BAIL_GUARD)]))
    ovf = U.opaque_alloca(b, I32, "overflow")
    ctx = U.opaque_alloca(b, U.CTX, "ctx")
    ok = b.append_basic_block("args")
    b.cbranch(b.icmp_signed("==", nargs, i64(nparams + 2)), ok, guard)
    b.position_at_end(ok)

    def arg(i):
        return b.load(b.gep(argv, [i64(i)], source_etype=PTR), typ=PTR, name=f"arg{i}")
    as_ll = api(module, "PyLong_AsLongLong")
    budget = b.call(as_ll, [arg(0)], name="budget")
    room = b.call(as_ll, [arg(1)], name="room")
    values = [unbox(module, b, arg(2 + i), ovf, guard, i) for i in range(nparams)]
    first = b.select(b.icmp_signed("<", budget, i64(CHUNK)), budget, i64(CHUNK), name="first.chunk")
    b.store(first, b.gep(ctx, [i64(0), ir.Constant(I32, U.CTX_BUDGET)], source_etype=U.CTX))
    b.store(b.sub(budget, first), b.gep(ctx, [i64(0), ir.Constant(I32, U.CTX_RESERVE)], source_etype=U.CTX))
    ts_ptr = b.gep(ctx, [i64(0), ir.Constant(I32, U.CTX_TSTATE)], source_etype=U.CTX)
    b.store(ir.Constant(PTR, None), ts_ptr)
    call_args = [ctx, room]
    for v in values:
        call_args += [v.tag, v.bits]
    r = b.call(body, call_args, name="r")
    ts = b.load(ts_ptr, typ=PTR, name="tstate")
    with b.if_then(b.icmp_unsigned("!=", ts, ir.Constant(PTR, None))):
        b.call(api(module, "PyEval_RestoreThread"), [ts])
    tag = b.extract_value(r, 0, name="tag")
    bits = b.extract_value(r, 1, name="bits")
    with b.if_then(b.icmp_unsigned("==", tag, i64(BAIL_SIGNAL))):
        b.ret(ir.Constant(PTR, None))
    with b.if_then(U.is_bail(b, tag)):
        b.ret(b.call(api(module, "PyLong_FromLongLong"), [tag]))
    left = b.add(b.load(b.gep(ctx, [i64(0), ir.Constant(I32, U.CTX_BUDGET)], source_etype=U.CTX), typ=I64),
                 b.load(b.gep(ctx, [i64(0), ir.Constant(I32, U.CTX_RESERVE)], source_etype=U.CTX), typ=I64))
    used = b.sub(budget, left, name="used")
    value = box(module, b, Val(tag, bits))
    with b.if_then(b.icmp_unsigned("==", value, ir.Constant(PTR, None))):
        b.ret(value)
    out = b.call(api(module, "PyTuple_New"), [i64(2)], name="out")
    set_item = api(module, "PyTuple_SetItem")
    b.call(set_item, [out, i64(0), value])
    b.call(set_item, [out, i64(1), b.call(api(module, "PyLong_FromLongLong"), [used])])
    b.ret(out)
    return fn


def unbox(module, b, obj, ovf_ptr, guard, i) -> Val:
    """(tag, bits) of a Python argument; unsupported types and big ints go to `guard`."""
    fn = b.function
    typ = b.load(b.gep(obj, [i64(OB_TYPE_OFFSET)], source_etype=U.I8), typ=PTR, name=f"arg{i}.type")
    is_int = fn.append_basic_block(f"arg{i}.int")
    not_int = fn.append_basic_block(f"arg{i}.notint")
    is_float = fn.append_basic_block(f"arg{i}.float")
    other = fn.append_basic_block(f"arg{i}.other")
    done = fn.append_basic_block(f"arg{i}.done")
    b.cbranch(b.icmp_unsigned("==", typ, U.declare_global(module, "PyLong_Type")), is_int, not_int)
    b.position_at_end(is_int)
    ival = b.call(api(module, "PyLong_AsLongLongAndOverflow"), [obj, ovf_ptr], name=f"arg{i}.i")
    int_ok = fn.append_basic_block(f"arg{i}.fits")
    b.cbranch(b.icmp_signed("!=", b.load(ovf_ptr, typ=I32), ir.Constant(I32, 0)), guard, int_ok)
    b.position_at_end(int_ok)
    b.branch(done)
    b.position_at_end(not_int)
    b.cbranch(b.icmp_unsigned("==", typ, U.declare_global(module, "PyFloat_Type")), is_float, other)
    b.position_at_end(is_float)
    fval = U.as_bits(b, b.call(api(module, "PyFloat_AsDouble"), [obj], name=f"arg{i}.f"))
    b.branch(done)
    b.position_at_end(other)
    is_true = b.icmp_unsigned("==", obj, U.declare_global(module, "_Py_TrueStruct"))
    is_false = b.icmp_unsigned("==", obj, U.declare_global(module, "_Py_FalseStruct"))
    is_none = b.icmp_unsigned("==", obj, U.declare_global(module, "_Py_NoneStruct"))
    known = fn.append_basic_block(f"arg{i}.const")
    b.cbranch(b.or_(b.or_(is_true, is_false), is_none), known, guard)
    b.position_at_end(known)
    ctag = b.select(is_none, i64(TAG_NIL), i64(TAG_BOOL))
    cbits = b.zext(is_true, I64)
    b.branch(done)
    b.position_at_end(done)
    tag = b.phi(I64, name=f"arg{i}.tag")
    bits = b.phi(I64, name=f"arg{i}.bits")
    for t, v, blk in ((i64(TAG_INT), ival, int_ok), (i64(TAG_FLOAT), fval, is_float), (ctag, cbits, known)):
        tag.add_incoming(t, blk)
        bits.add_incoming(v, blk)
    return Val(tag, bits)


def box(module, b, v: Val):
    """A new reference to the Python value of (tag, bits), or NULL when allocation failed."""
    fn = b.function
    blocks = {name: fn.append_basic_block(f"box.{name}") for name in ("int", "float", "const", "done")}
    sw = b.switch(v.tag, blocks["const"])
    sw.add_case(i64(TAG_INT), blocks["int"])
    sw.add_case(i64(TAG_FLOAT), blocks["float"])
    b.position_at_end(blocks["int"])
    as_int = b.call(api(module, "PyLong_FromLongLong"), [v.bits], name="int.obj")
    b.branch(blocks["done"])
    b.position_at_end(blocks["float"])
    as_float = b.call(api(module, "PyFloat_FromDouble"), [U.as_double(b, v.bits)], name="float.obj")
    b.branch(blocks["done"])
    b.position_at_end(blocks["const"])
    is_bool = b.icmp_unsigned("==", v.tag, i64(TAG_BOOL))
    truth = b.select(b.icmp_unsigned("!=", v.bits, i64(0)), U.declare_global(module, "_Py_TrueStruct"),
                     U.declare_global(module, "_Py_FalseStruct"))
    const = b.select(is_bool, truth, U.declare_global(module, "_Py_NoneStruct"), name="const.obj")
    b.call(api(module, "Py_IncRef"), [const])
    b.branch(blocks["done"])
    b.position_at_end(blocks["done"])
    obj = b.phi(PTR, name="obj")
    obj.add_incoming(as_int, blocks["int"])
    obj.add_incoming(as_float, blocks["float"])
    obj.add_incoming(const, blocks["const"])
    return obj
