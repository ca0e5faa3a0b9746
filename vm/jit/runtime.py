"""Process-wide native runtime: the C-API entry trampolines, the fuel refill helper, the
number slow paths, and the process symbols (CPython API, libm) they use.

Compiled once per process and shared by every engine, so a function's own module holds
only its body. The interpreter calls a JitCode's builtin, whose C function is the
trampoline for the body's arity and whose `self` is the address of a two-pointer
descriptor {body, engine pause flag}. A call costs what any builtin call costs (ctypes
would cost ten times more). Trampoline sketch:

    entry:        nargs must be 2 + nparams; budget, room = the first two ints
    arg.<i>:      int (fits i64) / float / True / False / None / keyword -> (tag, bits);
                  anything else -> bail (guard)
    run:          ctx = {reserve: budget beyond the first chunk, no saved thread, flag}
                  r = body(ctx, min(budget, CHUNK), room, ...); take the GIL back if a
                  refill released it; ticks used = budget - (r's budget + reserve)
    box:          bail -> the reason as an int (ctrl+c -> NULL, the exception is set);
                  value -> (value, ticks used)

Bodies keep the fuel budget in registers: a parameter, charged per block, passed to
every callee and returned with every result. `vmjit_refill`, the cold path of the
charge, runs once per CHUNK ticks: it runs Python signal handlers, releases the GIL (so
the debugger's UI thread keeps running), honours a pause request and moves the next
chunk from the context's reserve into the budget.
"""

from __future__ import annotations

import ctypes
import threading

import llvmlite.binding as llvm
from llvmlite import ir

from vm.jit import irutil as U
from vm.jit.code import (BAIL_FUEL, BAIL_GUARD, BAIL_INTERRUPT, BAIL_SIGNAL, TAG_BOOL, TAG_FLOAT,
                         TAG_INT, TAG_KW, TAG_NIL)
from vm.values import Keyword
from vm.jit.irutil import F64, I32, I64, PAIR, PTR, RET, Val, i64
from vm.jit.numeric import ARITH, COMPARE, NumericOps

# Ticks compiled code runs between two looks at the world (pause flag, signals, GIL).
CHUNK = 1 << 20
VOID = ir.VoidType()
METH_FASTCALL = 0x0080
# Offset of ob_type in a PyObject (after ob_refcnt; debug builds add two pointers first).
OB_TYPE_OFFSET = object.__basicsize__ - ctypes.sizeof(ctypes.c_void_p)

C_API = {
    "PyLong_AsLongLong": (I64, [PTR]),
    "PyLong_AsVoidPtr": (PTR, [PTR]),
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
              "_Py_FalseStruct": False, "_Py_NoneStruct": None, "vmjit_Keyword": Keyword}
HELPERS = ARITH + ("div", "rem") + tuple(COMPARE) + ("eq",)
# The refill and slow-path helpers run off the hot path; with this convention they save
# the registers they use, so a body's fast path need not keep its values in callee-saved
# registers around those calls (and simple paths need no register saves at all).
COLD_CC = "preserve_mostcc"


def helper_name(op: str) -> str:
    return f"vmjit_{op}"


def body_type(nparams: int) -> ir.FunctionType:
    return ir.FunctionType(RET, [PTR, I64, I64] + [I64, I64] * nparams)


def api(module, name):
    ret, args = C_API[name]
    return U.declare(module, name, ret, args)


class Runtime:
    """The shared runtime: one MCJIT engine for helpers and trampolines (made once)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.register_process_symbols()
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        self.tm = llvm.Target.from_default_triple().create_target_machine(opt=2, jit=True)
        self.ee = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)
        self.trampolines: dict = {}        # arity -> address of the METH_FASTCALL entry
        module = self.new_module("vmjit_runtime")
        emit_refill(module)
        for op in HELPERS:
            emit_helper(module, op)
        self.load(module, ["vmjit_refill"] + [helper_name(op) for op in HELPERS])

    def register_process_symbols(self):
        for name in C_API:
            llvm.add_symbol(name, ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value)
        for name, obj in PY_OBJECTS.items():
            llvm.add_symbol(name, id(obj))
        llvm.add_symbol("fmod", ctypes.cast(ctypes.CDLL(None).fmod, ctypes.c_void_p).value)

    def new_module(self, name):
        module = ir.Module(name=name)
        module.triple = llvm.get_process_triple()
        module.data_layout = str(self.tm.target_data)
        return module

    def load(self, module, exported):
        mod = llvm.parse_assembly(str(module))
        mod.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=2)
        pb = llvm.create_pass_builder(self.tm, pto)
        pb.getModulePassManager().run(mod, pb)
        self.ee.add_module(mod)
        self.ee.finalize_object()
        for name in exported:
            llvm.add_symbol(name, self.ee.get_function_address(name))

    def trampoline(self, nparams: int) -> int:
        """Address of the entry trampoline for bodies of `nparams` parameters."""
        with self.lock:
            addr = self.trampolines.get(nparams)
            if addr is None:
                module = self.new_module(f"vmjit_entry{nparams}")
                name = f"vmjit_entry{nparams}"
                emit_trampoline(module, nparams, name)
                self.load(module, [name])
                addr = self.trampolines[nparams] = self.ee.get_function_address(name)
            return addr


_runtime = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime()
        return _runtime


class Helpers:
    """The runtime's functions, declared in a body's module on first use, by short name."""

    def __init__(self, module):
        self.module = module

    def __getitem__(self, op: str) -> ir.Function:
        if op == "refill":
            fn = U.declare(self.module, "vmjit_refill", PAIR, [PTR, I64])
        else:
            fn = U.declare(self.module, helper_name(op), PAIR, [I64, I64, I64, I64])
        fn.calling_convention = COLD_CC
        return fn


class HelperEmitter(NumericOps):
    """Builds one slow-path helper: {tag, bits} vmjit_<op>(ta, a, tb, b) with NumericOps inline."""

    def __init__(self, module, fn):
        self.module = module
        self.fn = fn
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        self.exit = fn.append_basic_block("bail")
        with self.b.goto_block(self.exit):
            self.why = self.b.phi(I64, name="why")
            self.b.ret(self.b.insert_value(ir.Constant(PAIR, [0, 0]), self.why, 0))

    def bail_if(self, cond, reason, name):
        b = self.b
        cont = b.append_basic_block(name)
        self.why.add_incoming(i64(reason) if isinstance(reason, int) else reason, b.block)
        U.unlikely(b.cbranch(cond, self.exit, cont))
        b.position_at_end(cont)


def emit_helper(module, op: str):
    fn = ir.Function(module, ir.FunctionType(PAIR, [I64, I64, I64, I64]), helper_name(op))
    fn.calling_convention = COLD_CC
    for arg, name in zip(fn.args, ("x.tag", "x", "y.tag", "y")):
        arg.name = name
    h = HelperEmitter(module, fn)
    x, y = Val(fn.args[0], fn.args[1]), Val(fn.args[2], fn.args[3])
    if op in ARITH:
        v = h.arith(op, x, y)
    elif op == "div":
        v = h.divide(x, y)
    elif op == "rem":
        v = h.remainder(x, y)
    elif op == "eq":
        v = U.bool_val(h.b, h.equal(x, y))
    else:
        v = U.bool_val(h.b, h.compare(COMPARE[op], x, y))
    b = h.b
    b.ret(b.insert_value(b.insert_value(ir.Constant(PAIR, ir.Undefined), v.tag, 0), v.bits, 1))


def emit_refill(module) -> ir.Function:
    """{status, budget} vmjit_refill(ctx, budget): a block's charge took the budget below
    zero; status 0 and the budget with the next chunk added, or a bail reason."""
    fn = ir.Function(module, ir.FunctionType(PAIR, [PTR, I64]), "vmjit_refill")
    fn.calling_convention = COLD_CC
    fn.attributes.add("noinline")
    fn.attributes.add("cold")
    ctx, budget = fn.args
    ctx.name, budget.name = "ctx", "budget"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    exit_ = fn.append_basic_block("bail")
    with b.goto_block(exit_):
        why = b.phi(I64, name="why")
        b.ret(b.insert_value(ir.Constant(PAIR, [0, 0]), why, 0))

    def leave_if(cond, reason, name):
        cont = fn.append_basic_block(name)
        why.add_incoming(i64(reason), b.block)
        b.cbranch(cond, exit_, cont)
        b.position_at_end(cont)

    reserve_ptr = U.ctx_field(b, ctx, U.CTX_RESERVE, "reserve.ptr")
    ts_ptr = U.ctx_field(b, ctx, U.CTX_TSTATE, "tstate.ptr")
    reserve = b.load(reserve_ptr, typ=I64, name="reserve")
    leave_if(b.icmp_signed("<", b.add(budget, reserve), i64(0)), BAIL_FUEL, "fuel.ok")
    # Run Python signal handlers with the GIL held, then (re)release it.
    ts = b.load(ts_ptr, typ=PTR, name="tstate")
    with b.if_then(b.icmp_unsigned("!=", ts, ir.Constant(PTR, None))):
        b.call(api(module, "PyEval_RestoreThread"), [ts])
    rc = b.call(api(module, "PyErr_CheckSignals"), [], name="rc")
    b.store(b.call(api(module, "PyEval_SaveThread"), [], name="saved"), ts_ptr)
    leave_if(b.icmp_signed("<", rc, ir.Constant(I32, 0)), BAIL_SIGNAL, "signals.ok")
    # After the handlers: ctrl+c in `vmdbg run` asks for a pause through this flag.
    flag = b.load(U.ctx_field(b, ctx, U.CTX_FLAG, "flag.ptr"), typ=PTR, name="flag")
    leave_if(b.icmp_unsigned("!=", b.load(flag, typ=I64, name="pause"), i64(0)), BAIL_INTERRUPT, "run")
    chunk = b.select(b.icmp_signed("<", reserve, i64(CHUNK)), reserve, i64(CHUNK), name="chunk")
    b.store(b.sub(reserve, chunk), reserve_ptr)
    b.ret(b.insert_value(ir.Constant(PAIR, [0, 0]), b.add(budget, chunk), 1))
    return fn


def emit_trampoline(module, nparams: int, name: str) -> ir.Function:
    """PyObject *<name>(self, args, nargs): unbox, run the body, box (see the module sketch)."""
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, PTR, I64]), name)
    desc, argv, nargs = fn.args
    desc.name, argv.name, nargs.name = "self", "args", "nargs"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ovf = U.opaque_alloca(b, I32, "overflow")
    ctx = U.opaque_alloca(b, U.CTX, "ctx")
    guard = fn.append_basic_block("bail.guard")
    with b.goto_block(guard):
        b.ret(b.call(api(module, "PyLong_FromLongLong"), [i64(BAIL_GUARD)]))
    ok = b.append_basic_block("args")
    b.cbranch(b.icmp_signed("==", nargs, i64(nparams + 2)), ok, guard)
    b.position_at_end(ok)

    def arg(i):
        return b.load(b.gep(argv, [i64(i)], source_etype=PTR), typ=PTR, name=f"arg{i}")
    as_ll = api(module, "PyLong_AsLongLong")
    budget = b.call(as_ll, [arg(0)], name="budget")
    room = b.call(as_ll, [arg(1)], name="room")
    values = [unbox(module, b, arg(2 + i), ovf, guard, i) for i in range(nparams)]
    pair = b.call(api(module, "PyLong_AsVoidPtr"), [desc], name="descriptor")
    # Typed as a pointer to the body's function type, so llvmlite can call through it.
    body = b.load(pair, typ=body_type(nparams).as_pointer(), name="body")
    flag = b.load(b.gep(pair, [i64(1)], source_etype=PTR), typ=PTR, name="flag")
    first = b.select(b.icmp_signed("<", budget, i64(CHUNK)), budget, i64(CHUNK), name="first.chunk")
    reserve_ptr = U.ctx_field(b, ctx, U.CTX_RESERVE, "reserve.ptr")
    b.store(b.sub(budget, first), reserve_ptr)
    ts_ptr = U.ctx_field(b, ctx, U.CTX_TSTATE, "tstate.ptr")
    b.store(ir.Constant(PTR, None), ts_ptr)
    b.store(flag, U.ctx_field(b, ctx, U.CTX_FLAG, "flag.ptr"))
    # Bodies call the refill through the context (see FunctionTranslator.charge).
    b.store(U.declare(module, "vmjit_refill", PAIR, [PTR, I64]), U.ctx_field(b, ctx, U.CTX_REFILL, "refill.ptr"))
    call_args = [ctx, first, room]
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
    left = b.add(b.extract_value(r, 2, name="budget.left"), b.load(reserve_ptr, typ=I64, name="reserve"))
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
    int_ok = fn.append_basic_block(f"arg{i}.fits")
    known = fn.append_basic_block(f"arg{i}.const")
    done = fn.append_basic_block(f"arg{i}.done")
    b.cbranch(b.icmp_unsigned("==", typ, U.declare_global(module, "PyLong_Type")), is_int, not_int)
    b.position_at_end(is_int)
    ival = b.call(api(module, "PyLong_AsLongLongAndOverflow"), [obj, ovf_ptr], name=f"arg{i}.i")
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
    is_kw = b.icmp_unsigned("==", typ, U.declare_global(module, "vmjit_Keyword"))
    b.cbranch(b.or_(b.or_(b.or_(is_true, is_false), is_none), is_kw), known, guard)
    b.position_at_end(known)
    ctag = b.select(is_kw, i64(TAG_KW), b.select(is_none, i64(TAG_NIL), i64(TAG_BOOL)))
    cbits = b.select(is_kw, b.ptrtoint(obj, I64), b.zext(is_true, I64))
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
    const = b.select(b.icmp_unsigned("==", v.tag, i64(TAG_KW)), b.inttoptr(v.bits, PTR), const, name="obj")
    b.call(api(module, "Py_IncRef"), [const])
    b.branch(blocks["done"])
    b.position_at_end(blocks["done"])
    obj = b.phi(PTR, name="obj")
    obj.add_incoming(as_int, blocks["int"])
    obj.add_incoming(as_float, blocks["float"])
    obj.add_incoming(const, blocks["const"])
    return obj
