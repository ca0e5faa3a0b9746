"""Small LLVM IR helpers for the JIT (numba's cgutils in miniature): types, allocas, tagged values."""

from __future__ import annotations

from llvmlite import ir

from vm.jit.code import (BAIL_BASE, INT64_MAX, INT64_MIN, MAX_EXIT_VALUES, TAG_BOOL,  # noqa: F401
                         TAG_FLOAT, TAG_INT, TAG_KW, TAG_NIL, fits_i64)

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F64 = ir.DoubleType()
PTR = ir.PointerType()
# What every compiled body returns: (tag, payload), or (bail reason, 0).
# A body returns (tag, payload, budget left); x86-64 returns all three in registers,
# so the fuel budget travels in registers through the whole native call tree.
RET = ir.LiteralStructType([I64, I64, I64])
# A slow-path helper returns (tag, payload); refill returns (status, budget).
PAIR = ir.LiteralStructType([I64, I64])
# The run context shared by one native call tree (runtime.py sets it up in the trampoline):
#   reserve      ticks of the run's budget beyond the chunk in the body's budget register
#   tstate       the thread state saved while the GIL is released (null while it is held)
#   shared       the engine's shared words (vm/jit/code.py SHARED_*: the pause flag...)
#   refill       the address of vmjit_refill (bodies call it through here)
#   top_room     the room the outermost activation was entered with: a site whose room is
#                this one belongs to the activation the interpreter called, and may exit
#   bias         0, or SLOW_BIAS while every check looks (the budget register then holds
#                the budget minus the bias, so it is negative; see runtime.emit_refill)
#   slow_end     ticks used at which that ends
#   slow_must    1 when it is for a pause or the run's limit (any back-edge exits), 0 for
#                the end of a slice (tail calls only)
#   deadline     monotonic ns at which the current native slice ends (0: not started)
#   budget_in    the budget the call was entered with (ticks used = budget_in - left)
#   margin       ticks of the reserve held back before the run's limit (see emit_refill)
#   nvals        how many values an exit wrote to `values`
#   hold         1 when looks must keep the GIL (code with effects runs: translate.py)
#   values       an exit's values, (tag, bits) pairs
CTX = ir.LiteralStructType([I64, PTR, PTR, PTR, I64, I64, I64, I64, I64, I64, I64, I64, I64,
                            ir.ArrayType(I64, 2 * MAX_EXIT_VALUES)])
(CTX_RESERVE, CTX_TSTATE, CTX_FLAG, CTX_REFILL, CTX_TOP_ROOM, CTX_BIAS, CTX_SLOW_END,
 CTX_SLOW_MUST, CTX_DEADLINE, CTX_BUDGET_IN, CTX_MARGIN, CTX_NVALS, CTX_HOLD, CTX_VALUES) = range(14)

# Integers of at most this magnitude convert to a double exactly.
EXACT_FLOAT_INT = 1 << 53


from vm.jit.layout import LAYOUT  # noqa: E402  (byte offsets in arrays and lists)


def i64(n: int) -> ir.Constant:
    return ir.Constant(I64, n)


def f64(x: float) -> ir.Constant:
    return ir.Constant(F64, x)


TRUE = ir.Constant(I1, 1)
FALSE = ir.Constant(I1, 0)


class Val:
    """A runtime value of compiled code: an i64 tag and an i64 payload (doubles as bits)."""

    __slots__ = ("tag", "bits")

    def __init__(self, tag, bits):
        self.tag = tag
        self.bits = bits


def const_int(n: int) -> Val:
    return Val(i64(TAG_INT), i64(n))


def const_float(x: float) -> Val:
    import struct
    return Val(i64(TAG_FLOAT), i64(struct.unpack("<q", struct.pack("<d", x))[0]))


def const_bool(b: bool) -> Val:
    return Val(i64(TAG_BOOL), i64(1 if b else 0))


NIL = Val(i64(TAG_NIL), i64(0))


def keyword_symbol(k) -> str:
    return "vmjit_kw_" + k.name.encode().hex()


def const_keyword(module: ir.Module, k) -> Val:
    """A keyword constant: its address, as an external symbol bound when the code is
    loaded, so the IR (the object cache's key, vm/jit/cache.py) holds no address of this
    process. Keywords are interned for the life of the process (Keyword._table), so the
    symbol means the same keyword for as long as any code uses it."""
    import llvmlite.binding as llvm
    name = keyword_symbol(k)
    g = module.globals.get(name)
    if g is None:
        llvm.add_symbol(name, id(k))
        g = declare_global(module, name)
    return Val(i64(TAG_KW), g.ptrtoint(I64))


def static_tag(v: Val):
    """The tag of `v` when it is known while compiling (a constant), else None."""
    tag = v.tag
    return tag.constant if isinstance(tag, ir.Constant) else None


def declare(module: ir.Module, name: str, ret, args, var_arg=False) -> ir.Function:
    """The function `name` in `module`, declared on first use."""
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret, args, var_arg=var_arg), name)
    return fn


def declare_global(module: ir.Module, name: str, typ=I8) -> ir.GlobalVariable:
    """An external global (a Python object or a flag whose address the engine registers)."""
    g = module.globals.get(name)
    if g is None:
        g = ir.GlobalVariable(module, typ, name)
        g.linkage = "external"
    return g


def opaque_alloca(builder: ir.IRBuilder, typ, name: str):
    """An alloca typed as opaque `ptr` (llvmlite would type it `T*`, which its own
    checks then refuse to mix with the `ptr` everything else here uses)."""
    slot = builder.alloca(typ, name=name)
    slot.type = PTR
    return slot


def is_tag(builder, v: Val, tag: int, name=""):
    return builder.icmp_unsigned("==", v.tag, i64(tag), name=name)


def is_number(builder, v: Val):
    """tag is INT or FLOAT (the two smallest tags)."""
    return builder.icmp_unsigned("<=", v.tag, i64(TAG_FLOAT), name="isnum")


def is_bail(builder, tag):
    return builder.icmp_unsigned(">=", tag, i64(BAIL_BASE), name="bailed")


def as_double(builder, bits):
    return builder.bitcast(bits, F64, name="dbl")


def as_bits(builder, d):
    return builder.bitcast(d, I64, name="bits")


def bool_val(builder, cond) -> Val:
    return Val(i64(TAG_BOOL), builder.zext(cond, I64, name="b"))


def unlikely(branch):
    """Mark a conditional branch whose true edge is rare (bail-outs, refills)."""
    branch.set_weights([1, 2000])
    return branch


def likely(branch):
    branch.set_weights([2000, 1])
    return branch


def ctx_field(builder, ctx, index: int, name: str):
    """Pointer to a field of the run context."""
    return builder.gep(ctx, [i64(0), ir.Constant(I32, index)], source_etype=CTX, name=name)


def ctx_value_slot(builder, ctx, index, name: str):
    """Pointer to word `index` (an int or an i64 value) of the run context's exit values."""
    index = i64(index) if isinstance(index, int) else index
    return builder.gep(ctx, [i64(0), ir.Constant(I32, CTX_VALUES), index], source_etype=CTX, name=name)


class ExitBlock:
    """One exit per function for every bail-out: `ret {reason, 0}` with reason from a phi."""

    def __init__(self, fn: ir.Function):
        self.block = fn.append_basic_block("bail")
        b = ir.IRBuilder(self.block)
        self.why = b.phi(I64, name="why")
        b.ret(b.insert_value(ir.Constant(RET, [0, 0, 0]), self.why, 0))

    def leave_if(self, builder, cond, reason, name: str):
        """Go to the exit with `reason` (a constant or an i64 value) when `cond` holds."""
        cont = builder.append_basic_block(name)
        self.why.add_incoming(i64(reason) if isinstance(reason, int) else reason, builder.block)
        unlikely(builder.cbranch(cond, self.block, cont))
        builder.position_at_end(cont)
