"""Process-wide native runtime: the C-API entry trampolines, the fuel refill helper, the
number slow paths, and the process symbols (CPython API, libm) they use.

Compiled once per process and shared by every engine, so a function's own module holds
only its body. The interpreter calls a JitCode's builtin, whose C function is the
trampoline for the body's arity and whose `self` is the address of a two-pointer
descriptor {body, engine's shared words (the pause flag first)}. A call costs what any builtin call costs (ctypes
would cost ten times more). Trampoline sketch:

    entry:        nargs must be 2 + nparams; budget, room = the first two ints
    arg.<i>:      int (fits i64) / float / True / False / None / keyword -> (tag, bits);
                  anything else -> bail (guard)
    run:          ctx = {reserve: budget beyond the first chunk, no saved thread, the
                  engine's shared words, room of the outermost activation, ...} (irutil.CTX)
                  r = body(ctx, first chunk, room, ...); take the GIL back if a refill
                  released it; ticks used = budget - (r's budget + reserve)
    box:          bail -> the reason as an int (ctrl+c -> NULL, the exception is set);
                  exit -> [site, ticks used, values...] (vm/jit/code.py ExitSite);
                  value -> (value, ticks used)

Bodies keep the fuel budget in registers: a parameter, charged per block, passed to
every callee and returned with every result. `vmjit_refill`, the cold path of the
charge, runs once per chunk of ticks (a "look"): it runs Python signal handlers, releases
the GIL (so the debugger's UI thread keeps running), publishes the ticks used so far (the
debugger can show them while a long call runs), decides whether the activation the
interpreter called should hand over (an exit: its native slice is over, a pause was
asked for, or the run's limit is near), and moves the next chunk from
the context's reserve into the budget.

Exits. Only at a back-edge of the outermost activation (a site whose room is the one the
call was entered with) is the whole state a frame the interpreter can run: before a tail
call (the frame with the callee and arguments on its stack), or at a loop head (its locals
and stack). Such a site checks `budget < 0`, like any other, and calls the refill with its
room and kind; the refill answers EXIT there when an exit is wanted: at a tail call when
the native slice is over (the interpreter then runs the TailCall, which enters native code
again at once), at any back-edge for a pause or when the run's limit is near. A look
elsewhere (inside a nested call, at a return) that wants an exit starts "slow mode": the
budget register is biased below zero so every check looks, until an outermost back-edge
takes the exit (for a slice, at most SLOW_WINDOW ticks; a pause that finds no back-edge
within the engine's grace, 50 ms by default, bails as before: the call re-runs interpreted
from its start). The hot path is unchanged: one test of the budget per back-edge.
"""

from __future__ import annotations

import ctypes
import threading
import time

import llvmlite.binding as llvm
from llvmlite import ir

from vm.jit import irutil as U
from vm.jit.code import (BAIL_FUEL, BAIL_GUARD, BAIL_INTERRUPT, BAIL_SIGNAL, EXIT, SHARED_CHUNK,
                         SHARED_FLAG, SHARED_GRACE, SHARED_MARGIN, SHARED_PAUSE_SINCE,
                         SHARED_PUBLISHED, SHARED_SLICE, TAG_ARRAY, TAG_BOOL, TAG_CLOSURE, TAG_FLOAT,
                         TAG_INT, TAG_KW, TAG_NIL, TAG_STRUCT)
from vm.fiber import Closure
from vm.values import Array, Keyword, Struct
from vm.jit.irutil import F64, I32, I64, PAIR, PTR, RET, Val, i64
from vm.jit.numeric import ARITH, COMPARE, NumericOps

# The ticks between two looks at the world (pause flag, signals, GIL, clock), the length
# of a native slice and the margin kept before the run's limit are the engine's shared
# words (vm/jit/code.py SHARED_*, Engine.tune): by default a look every 2^20 ticks, and the
# activation the interpreter called hands over at a tail call about once a millisecond,
# so the run comes back to VM.run (a pause, the debugger's progress and checkpoints) about
# as often as the interpreter's own slices of PAUSE_SLICE ticks do.
# What kind of site calls the refill: one that cannot exit (a return, a block inside a
# call, a back-edge with too many values), a backward jump, a tail call.
SITE_NONE, SITE_LOOP, SITE_TAIL = 0, 1, 2
# While an exit is wanted but the look that saw it was not at an outermost back-edge,
# every check looks ("slow mode", until such a back-edge exits): the budget register
# holds the budget minus this bias, so it is always negative.
SLOW_BIAS = 1 << 50
# Slow mode for the end of a slice lasts at most this many ticks (the activation may be
# deep in a long call); it costs a refill call per check, so it is kept short, and tried
# again one slice later. For a pause or the run's limit it lasts until it exits.
SLOW_WINDOW = 4096
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
    "PyList_New": (PTR, [I64]),
    "PyList_SetItem": (I32, [PTR, I64, PTR]),
    "Py_DecRef": (VOID, [PTR]),
    "PyErr_Clear": (VOID, []),
    "PyObject_Vectorcall": (PTR, [PTR, PTR, I64, PTR]),
    "PyDict_GetItemWithError": (PTR, [PTR, PTR]),
    "PyDict_Size": (I64, [PTR]),
    "PyErr_Occurred": (PTR, []),
}
PY_OBJECTS = {"PyLong_Type": int, "PyFloat_Type": float, "_Py_TrueStruct": True,
              "_Py_FalseStruct": False, "_Py_NoneStruct": None, "vmjit_Keyword": Keyword,
              "vmjit_Array": Array, "vmjit_Closure": Closure, "vmjit_Struct": Struct}
HELPERS = ARITH + ("div", "rem") + tuple(COMPARE) + ("eq",)
# The refill and slow-path helpers run off the hot path; with this convention they save
# the registers they use, so a body's fast path need not keep its values in callee-saved
# registers around those calls (and simple paths need no register saves at all).
COLD_CC = "preserve_mostcc"


def helper_name(op: str) -> str:
    return f"vmjit_{op}"


def body_arity(func) -> int:
    """The values a body takes: the parameters, then the closure if the function captures."""
    return func.nparams + (1 if func.captures else 0)


def body_type(nparams: int) -> ir.FunctionType:
    return ir.FunctionType(RET, [PTR, I64, I64] + [I64, I64] * nparams)


def api(module, name):
    ret, args = C_API[name]
    return U.declare(module, name, ret, args)


class Runtime:
    """The shared runtime: one MCJIT engine for helpers and trampolines (made once).

    Its code comes from the object cache when one is given and holds it (vm/jit/cache.py);
    either way it is loaded as an object file, as cached code is."""

    def __init__(self, cache=None):
        self.lock = threading.Lock()
        self.register_process_symbols()
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        self.tm = llvm.Target.from_default_triple().create_target_machine(opt=2, jit=True)
        self.ee = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)
        self.trampolines: dict = {}        # arity -> address of the METH_FASTCALL entry
        self.load("vmjit_runtime", self.runtime_module, ["vmjit_refill"] + [helper_name(op) for op in HELPERS],
                  cache)

    def register_process_symbols(self):
        for name in C_API:
            llvm.add_symbol(name, ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value)
        for name, obj in PY_OBJECTS.items():
            llvm.add_symbol(name, id(obj))
        libc = ctypes.CDLL(None)
        llvm.add_symbol("fmod", ctypes.cast(libc.fmod, ctypes.c_void_p).value)
        llvm.add_symbol("clock_gettime", ctypes.cast(libc.clock_gettime, ctypes.c_void_p).value)

    def new_module(self, name):
        module = ir.Module(name=name)
        module.triple = llvm.get_process_triple()
        module.data_layout = str(self.tm.target_data)
        return module

    def runtime_module(self):
        module = self.new_module("vmjit_runtime")
        emit_refill(module)
        for op in HELPERS:
            emit_helper(module, op)
        return module

    def load(self, name, make_module, exported, cache=None):
        """Load the code of `name` (from the cache, or built by `make_module` and -O2) and
        publish the addresses of `exported` under their names. Its IR is a function of the
        JIT's source and the Python build only, which the cache's context covers."""
        key = cache.key("runtime", name) if cache is not None else None
        entry = cache.load(key) if key is not None else None
        if entry is not None:
            obj = entry[0]
        else:
            mod = llvm.parse_assembly(str(make_module()))
            mod.verify()
            pto = llvm.create_pipeline_tuning_options(speed_level=2)
            pb = llvm.create_pass_builder(self.tm, pto)
            pb.getModulePassManager().run(mod, pb)
            obj = self.tm.emit_object(mod)
            if key is not None:
                cache.store(key, obj)
        self.ee.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self.ee.finalize_object()
        for sym in exported:
            addr = self.ee.get_function_address(sym)
            if not addr:
                raise RuntimeError(f"JIT runtime: {sym} missing from {name}")
            llvm.add_symbol(sym, addr)

    def trampoline(self, nparams: int, cache=None) -> int:
        """Address of the entry trampoline for bodies of `nparams` parameters."""
        with self.lock:
            addr = self.trampolines.get(nparams)
            if addr is None:
                name = f"vmjit_entry{nparams}"

                def make():
                    module = self.new_module(name)
                    emit_trampoline(module, nparams, name)
                    return module
                self.load(name, make, [name], cache)
                addr = self.trampolines[nparams] = self.ee.get_function_address(name)
            return addr


_runtime = None
_runtime_lock = threading.Lock()


def get_runtime(cache=None) -> Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime(cache)
        return _runtime


class Helpers:
    """The runtime's functions, declared in a body's module on first use, by short name."""

    def __init__(self, module):
        self.module = module

    def __getitem__(self, op: str) -> ir.Function:
        if op == "refill":
            fn = U.declare(self.module, "vmjit_refill", PAIR, [PTR, I64, I64, I64])
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
    """{status, budget} vmjit_refill(ctx, budget, room, kind): a check found the budget
    register below zero. Status 0 and the register's new value; EXIT, only to a back-edge
    (`kind` SITE_LOOP or SITE_TAIL) of the outermost activation (`room` is top_room), with
    the budget; or a bail reason.

    An exit is wanted when a pause was asked for or the reserve is down to the margin (the
    run's target or the fuel is near): any outermost back-edge takes it; or when the native
    slice (the engine's slice length from the first look) is over: only tail calls take that one (a
    backward jump's exit leaves the rest of the call to the interpreter). A look elsewhere
    that wants an exit starts slow mode (see SLOW_BIAS), so the next outermost back-edge
    looks too; a pause not taken within the engine's grace (from the first look that saw
    it, in any native call: SHARED_PAUSE_SINCE) bails.

    The budget it returns is the register's value in the bias it leaves in the context
    (refilled, or as it came on a bail), so code with effects can hand over exactly at the
    check that failed (translate.py deopt)."""
    fn = ir.Function(module, ir.FunctionType(PAIR, [PTR, I64, I64, I64]), "vmjit_refill")
    fn.calling_convention = COLD_CC
    fn.attributes.add("noinline")
    fn.attributes.add("cold")
    ctx, budget, room, kind = fn.args
    ctx.name, budget.name, room.name, kind.name = "ctx", "budget", "room", "kind"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    exit_ = fn.append_basic_block("bail")
    with b.goto_block(exit_):
        why = b.phi(I64, name="why")
        real_out = b.phi(I64, name="budget.out")
        b.ret(b.insert_value(b.insert_value(ir.Constant(PAIR, [0, 0]), why, 0), real_out, 1))

    def leave_if(cond, reason, name, value=None):
        cont = fn.append_basic_block(name)
        why.add_incoming(i64(reason), b.block)
        real_out.add_incoming(value if value is not None else i64(0), b.block)
        b.cbranch(cond, exit_, cont)
        b.position_at_end(cont)

    def field(index, name):
        return U.ctx_field(b, ctx, index, name + ".ptr")

    reserve_ptr = field(U.CTX_RESERVE, "reserve")
    ts_ptr = field(U.CTX_TSTATE, "tstate")
    bias_ptr = field(U.CTX_BIAS, "bias")
    bias = b.load(bias_ptr, typ=I64, name="bias")
    real = b.add(budget, bias, name="real")
    reserve = b.load(reserve_ptr, typ=I64, name="reserve")
    left = b.add(real, reserve, name="left")
    leave_if(b.icmp_signed("<", left, i64(0)), BAIL_FUEL, "fuel.ok", budget)
    used = b.sub(b.load(field(U.CTX_BUDGET_IN, "budget.in"), typ=I64, name="budget.in"), left, name="used")
    is_tail = b.icmp_unsigned("==", kind, i64(SITE_TAIL), name="is.tail")
    top = b.load(field(U.CTX_TOP_ROOM, "top.room"), typ=I64, name="top.room")
    outermost = b.and_(b.icmp_unsigned("!=", kind, i64(SITE_NONE)), b.icmp_signed("==", room, top),
                       name="outermost")
    slow_must_ptr = field(U.CTX_SLOW_MUST, "slow.must")
    slow_end_ptr = field(U.CTX_SLOW_END, "slow.end")
    # Slow mode: every check comes here until an outermost back-edge takes the exit.
    slow = fn.append_basic_block("slow")
    look = fn.append_basic_block("look")
    b.cbranch(b.icmp_signed("!=", bias, i64(0)), slow, look)
    b.position_at_end(slow)
    takes = b.and_(outermost, b.or_(is_tail, b.icmp_signed("!=", b.load(slow_must_ptr, typ=I64), i64(0))))
    with b.if_then(takes):
        b.store(i64(0), bias_ptr)
    leave_if(takes, EXIT, "slow.on", real)
    stay = b.and_(b.icmp_signed(">=", real, i64(0)),
                  b.icmp_signed("<", used, b.load(slow_end_ptr, typ=I64, name="slow.end")), name="stay")
    with b.if_then(stay):
        b.ret(b.insert_value(ir.Constant(PAIR, [0, 0]), budget, 1))
    b.store(i64(0), bias_ptr)
    b.branch(look)
    b.position_at_end(look)
    # Run Python signal handlers with the GIL held, then (re)release it; or, while code
    # with effects runs (it allocates and frees Python objects: the context's `hold`,
    # which its entry sets for the whole native call), let another thread have it for a
    # moment and take it back.
    hold = b.icmp_unsigned("!=", b.load(field(U.CTX_HOLD, "hold"), typ=I64), i64(0), name="hold.gil")
    ts = b.load(ts_ptr, typ=PTR, name="tstate")
    with b.if_then(b.icmp_unsigned("!=", ts, ir.Constant(PTR, None))):
        b.call(api(module, "PyEval_RestoreThread"), [ts])
    rc = b.call(api(module, "PyErr_CheckSignals"), [], name="rc")
    saved = b.call(api(module, "PyEval_SaveThread"), [], name="saved")
    with b.if_then(hold):
        b.call(api(module, "PyEval_RestoreThread"), [saved])
    b.store(b.select(hold, ir.Constant(PTR, None), saved), ts_ptr)
    leave_if(b.icmp_signed("<", rc, ir.Constant(I32, 0)), BAIL_SIGNAL, "signals.ok", real)
    # The ticks used so far, for whoever shows progress while this call runs.
    shared = b.load(field(U.CTX_FLAG, "shared"), typ=PTR, name="shared")

    def word(index, name):
        return b.gep(shared, [i64(index)], source_etype=I64, name=name + ".ptr")
    b.store(used, word(SHARED_PUBLISHED, "published"))
    # After the handlers: ctrl+c in `vmdbg run` asks for a pause through this flag.
    pause = b.icmp_unsigned("!=", b.load(word(SHARED_FLAG, "pause"), typ=I64), i64(0), name="paused")
    slice_ns = b.load(word(SHARED_SLICE, "slice"), typ=I64, name="slice")
    now = monotonic_ns(module, b)
    deadline_ptr = field(U.CTX_DEADLINE, "deadline")
    deadline = b.load(deadline_ptr, typ=I64, name="deadline")
    deadline = b.select(b.icmp_signed("==", deadline, i64(0)), b.add(now, slice_ns), deadline,
                        name="deadline.set")
    b.store(deadline, deadline_ptr)
    margin_ptr = field(U.CTX_MARGIN, "margin")
    margin = b.load(margin_ptr, typ=I64, name="margin")
    avail = b.sub(reserve, margin, name="avail")
    near = b.icmp_signed("<=", avail, i64(0), name="near")
    must = b.or_(pause, near, name="must")
    slice_over = b.icmp_signed(">=", now, deadline, name="slice.over")
    leave_if(b.and_(outermost, b.or_(must, b.and_(is_tail, slice_over))), EXIT, "stays", real)
    with b.if_then(pause):
        since_ptr = word(SHARED_PAUSE_SINCE, "pause.since")     # engine-wide: one grace a pause
        since = b.load(since_ptr, typ=I64, name="pause.since")
        since = b.select(b.icmp_signed("==", since, i64(0)), now, since, name="since")
        b.store(since, since_ptr)
        grace = b.load(word(SHARED_GRACE, "grace"), typ=I64, name="grace")
        leave_if(b.icmp_signed(">=", b.sub(now, since), grace, name="late"), BAIL_INTERRUPT, "grace", real)
    # The next chunk, short of the margin; at the margin, all that is left.
    chunk = b.load(word(SHARED_CHUNK, "chunk"), typ=I64, name="chunk.size")
    chunk = b.select(b.icmp_signed("<", avail, chunk), avail, chunk, name="chunk")
    chunk = b.select(near, reserve, chunk, name="chunk.or.rest")
    b.store(b.select(near, i64(0), margin), margin_ptr)
    b.store(b.sub(reserve, chunk), reserve_ptr)
    real = b.add(real, chunk, name="refilled")
    # An exit wanted here, not at an outermost back-edge: slow mode until one takes it.
    wanted = b.or_(must, slice_over, name="wanted")
    with b.if_then(wanted):
        b.store(b.zext(must, I64), slow_must_ptr)
        b.store(b.select(must, i64(1 << 62), b.add(used, i64(SLOW_WINDOW))), slow_end_ptr)
        # A slice's exit is tried once a slice.
        b.store(b.select(must, deadline, b.add(now, slice_ns)), deadline_ptr)
        b.store(i64(SLOW_BIAS), bias_ptr)
    b.ret(b.insert_value(ir.Constant(PAIR, [0, 0]),
                         b.select(wanted, b.sub(real, i64(SLOW_BIAS)), real, name="register"), 1))
    return fn


def monotonic_ns(module, b):
    """CLOCK_MONOTONIC now, in nanoseconds (clock_gettime; the vDSO makes it cheap)."""
    ts_type = ir.LiteralStructType([I64, I64])
    clock = U.declare(module, "clock_gettime", I32, [I32, PTR])
    ts = U.opaque_alloca(b, ts_type, "timespec")
    b.call(clock, [ir.Constant(I32, time.CLOCK_MONOTONIC), ts])
    sec = b.load(b.gep(ts, [i64(0), ir.Constant(I32, 0)], source_etype=ts_type), typ=I64, name="sec")
    nsec = b.load(b.gep(ts, [i64(0), ir.Constant(I32, 1)], source_etype=ts_type), typ=I64, name="nsec")
    return b.add(b.mul(sec, i64(1_000_000_000)), nsec, name="now")


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
    values = [unbox(module, b, arg(2 + i), ovf, guard, i, arrays=True) for i in range(nparams)]
    pair = b.call(api(module, "PyLong_AsVoidPtr"), [desc], name="descriptor")
    # Typed as a pointer to the body's function type, so llvmlite can call through it.
    body = b.load(pair, typ=body_type(nparams).as_pointer(), name="body")
    shared = b.load(b.gep(pair, [i64(1)], source_etype=PTR), typ=PTR, name="shared")

    def field(index, name):
        return U.ctx_field(b, ctx, index, name + ".ptr")
    # With room to spare, the last ticks (the margin) are held back (see emit_refill).
    margin = b.load(b.gep(shared, [i64(SHARED_MARGIN)], source_etype=I64), typ=I64, name="margin.size")
    margin = b.select(b.icmp_signed(">", budget, b.shl(margin, i64(1))), margin, i64(0), name="margin")
    chunk = b.load(b.gep(shared, [i64(SHARED_CHUNK)], source_etype=I64), typ=I64, name="chunk")
    first = b.sub(budget, margin, name="before.margin")
    first = b.select(b.icmp_signed("<", first, chunk), first, chunk, name="first.chunk")
    reserve_ptr = field(U.CTX_RESERVE, "reserve")
    b.store(b.sub(budget, first), reserve_ptr)
    ts_ptr = field(U.CTX_TSTATE, "tstate")
    b.store(ir.Constant(PTR, None), ts_ptr)
    b.store(shared, field(U.CTX_FLAG, "shared"))
    # Bodies call the refill through the context (see FunctionTranslator.charge).
    b.store(U.declare(module, "vmjit_refill", PAIR, [PTR, I64, I64, I64]), field(U.CTX_REFILL, "refill"))
    b.store(room, field(U.CTX_TOP_ROOM, "top.room"))
    bias_ptr = field(U.CTX_BIAS, "bias")
    b.store(i64(0), bias_ptr)
    b.store(i64(0), field(U.CTX_HOLD, "hold"))
    b.store(i64(0), field(U.CTX_DEADLINE, "deadline"))
    b.store(budget, field(U.CTX_BUDGET_IN, "budget.in"))
    b.store(margin, field(U.CTX_MARGIN, "margin"))
    call_args = [ctx, first, room]
    for v in values:
        call_args += [v.tag, v.bits]
    r = b.call(body, call_args, name="r")
    ts = b.load(ts_ptr, typ=PTR, name="tstate")
    with b.if_then(b.icmp_unsigned("!=", ts, ir.Constant(PTR, None))):
        # A look released the GIL: take it back.
        b.call(api(module, "PyEval_RestoreThread"), [ts])
    # (Looks published the ticks used: no native call runs now.)
    b.store(i64(0), b.gep(shared, [i64(SHARED_PUBLISHED)], source_etype=I64, name="published"))
    tag = b.extract_value(r, 0, name="tag")
    bits = b.extract_value(r, 1, name="bits")
    with b.if_then(b.icmp_unsigned("==", tag, i64(BAIL_SIGNAL))):
        b.ret(ir.Constant(PTR, None))
    left = b.add(b.extract_value(r, 2, name="budget.left"), b.load(reserve_ptr, typ=I64, name="reserve"))
    left = b.add(left, b.load(bias_ptr, typ=I64, name="bias"), name="left")
    used = b.sub(budget, left, name="used")
    with b.if_then(b.icmp_unsigned("==", tag, i64(EXIT))):
        b.ret(exit_list(module, b, ctx, bits, used))
    with b.if_then(U.is_bail(b, tag)):
        b.ret(b.call(api(module, "PyLong_FromLongLong"), [tag]))
    value = box(module, b, Val(tag, bits))
    with b.if_then(b.icmp_unsigned("==", value, ir.Constant(PTR, None))):
        b.ret(value)
    out = b.call(api(module, "PyTuple_New"), [i64(2)], name="out")
    set_item = api(module, "PyTuple_SetItem")
    b.call(set_item, [out, i64(0), value])
    b.call(set_item, [out, i64(1), b.call(api(module, "PyLong_FromLongLong"), [used])])
    b.ret(out)
    return fn


def exit_list(module, b, ctx, site, used):
    """[site, ticks used, values...] of an exit (the body wrote the values into the
    context), or NULL with the exception set when an allocation failed."""
    fn = b.function
    n = b.load(U.ctx_field(b, ctx, U.CTX_NVALS, "nvals.ptr"), typ=I64, name="nvals")
    out = b.call(api(module, "PyList_New"), [b.add(n, i64(2))], name="exit.list")
    failed = fn.append_basic_block("exit.failed")
    with b.goto_block(failed):
        b.ret(ir.Constant(PTR, None))
    made = fn.append_basic_block("exit.made")
    b.cbranch(b.icmp_unsigned("==", out, ir.Constant(PTR, None)), failed, made)
    b.position_at_end(made)
    set_item = api(module, "PyList_SetItem")
    from_ll = api(module, "PyLong_FromLongLong")
    # (A NULL item makes PyList_SetItem fail; the list is then released below.)
    for k, v in ((0, site), (1, used)):
        item = b.call(from_ll, [v])
        b.call(set_item, [out, i64(k), item])
        with b.if_then(b.icmp_unsigned("==", item, ir.Constant(PTR, None))):
            b.call(api(module, "Py_DecRef"), [out])
            b.ret(ir.Constant(PTR, None))
    counter = U.opaque_alloca(b, I64, "exit.i")
    b.store(i64(0), counter)
    head = fn.append_basic_block("exit.head")
    body = fn.append_basic_block("exit.body")
    done = fn.append_basic_block("exit.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.load(counter, typ=I64, name="i")
    b.cbranch(b.icmp_signed("<", i, n), body, done)
    b.position_at_end(body)
    tag = b.load(U.ctx_value_slot(b, ctx, b.mul(i, i64(2)), "v.tag.ptr"), typ=I64, name="v.tag")
    bits = b.load(U.ctx_value_slot(b, ctx, b.add(b.mul(i, i64(2)), i64(1)), "v.bits.ptr"), typ=I64, name="v.bits")
    obj = box(module, b, Val(tag, bits))
    with b.if_then(b.icmp_unsigned("==", obj, ir.Constant(PTR, None))):
        b.call(api(module, "Py_DecRef"), [out])
        b.ret(ir.Constant(PTR, None))
    b.call(set_item, [out, b.add(i, i64(2)), obj])
    b.store(b.add(i, i64(1)), counter)
    b.branch(head)
    b.position_at_end(done)
    return out


def unbox(module, b, obj, ovf_ptr, guard, i, arrays=False) -> Val:
    """(tag, bits) of a Python argument; unsupported types and big ints go to `guard`, and
    arrays and closures unless `arrays` (an argument: the body checks where it may be one)."""
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
    known_ok = b.or_(b.or_(b.or_(is_true, is_false), is_none), is_kw)
    is_obj = is_kw
    if arrays:
        is_array = b.icmp_unsigned("==", typ, U.declare_global(module, "vmjit_Array"))
        is_closure = b.icmp_unsigned("==", typ, U.declare_global(module, "vmjit_Closure"))
        is_struct = b.icmp_unsigned("==", typ, U.declare_global(module, "vmjit_Struct"))
        known_ok = b.or_(b.or_(b.or_(known_ok, is_array), is_closure), is_struct)
        is_obj = b.or_(b.or_(b.or_(is_kw, is_array), is_closure), is_struct)
    b.cbranch(known_ok, known, guard)
    b.position_at_end(known)
    ctag = b.select(is_kw, i64(TAG_KW), b.select(is_none, i64(TAG_NIL), i64(TAG_BOOL)))
    if arrays:
        ctag = b.select(is_array, i64(TAG_ARRAY), b.select(is_closure, i64(TAG_CLOSURE), ctag))
        ctag = b.select(is_struct, i64(TAG_STRUCT), ctag)
    cbits = b.select(is_obj, b.ptrtoint(obj, I64), b.zext(is_true, I64))
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
    # (keywords, and the collections and closures compiled code holds: TAG_ARRAY and above)
    is_obj = b.or_(b.icmp_unsigned("==", v.tag, i64(TAG_KW)), b.icmp_unsigned(">=", v.tag, i64(TAG_ARRAY)))
    const = b.select(is_obj, b.inttoptr(v.bits, PTR), const, name="obj")
    b.call(api(module, "Py_IncRef"), [const])
    b.branch(blocks["done"])
    b.position_at_end(blocks["done"])
    obj = b.phi(PTR, name="obj")
    obj.add_incoming(as_int, blocks["int"])
    obj.add_incoming(as_float, blocks["float"])
    obj.add_incoming(const, blocks["const"])
    return obj
