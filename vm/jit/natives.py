"""Pure number primitives the JIT translates inline, keyed by primitive name.

Each emitter takes the FunctionTranslator and the argument Vals and returns a Val. It
computes exactly what vm/primitives/numbers.py computes, or bails where the primitive
would raise or leave 64 bits, so the interpreter produces the error (or the big integer).
"""

from __future__ import annotations

from vm.jit import irutil as U
from vm.jit.analyse import NATIVE_NAMES
from vm.jit.code import BAIL_GUARD, BAIL_OVERFLOW, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NIL
from vm.jit.irutil import I64, Val, i64

# Doubles in [-2^63, 2^63) truncate to an i64 (fptosi); anything else becomes a big int.
TWO_63 = float(1 << 63)


def guard_number(t, v: Val):
    known = U.static_tag(v)
    if known is None:
        t.bail_if(t.b.not_(U.is_number(t.b, v)), BAIL_GUARD, "num")
    elif known not in (TAG_INT, TAG_FLOAT):
        t.always_bail(BAIL_GUARD)


def guard_int(t, v: Val):
    known = U.static_tag(v)
    if known is None:
        t.bail_if(t.b.not_(U.is_tag(t.b, v, TAG_INT)), BAIL_GUARD, "int")
    elif known != TAG_INT:
        t.always_bail(BAIL_GUARD)
    return Val(i64(TAG_INT), v.bits)


def fold(t, op, start: Val, args) -> Val:
    acc = start
    for a in args:
        acc = op(acc, a)
    return acc


def native_add(t, args):
    # From the first argument, as the interpreter sums: 0 + -0.0 would lose the sign.
    if not args:
        return U.const_int(0)
    if len(args) == 1:
        return t.int_or_float("pos", args[0], U.const_int(0), lambda a, _: a, lambda a, _: a)
    return fold(t, lambda x, y: t.arith("add", x, y), args[0], args[1:])


def native_mul(t, args):
    return fold(t, lambda x, y: t.arith("mul", x, y), U.const_int(1), args)


def native_sub(t, args):
    if len(args) == 1:
        return negate(t, args[0])
    return fold(t, lambda x, y: t.arith("sub", x, y), args[0], args[1:])


def negate(t, x: Val) -> Val:
    """-x: 0 - x for integers (INT64_MIN overflows), fneg for doubles (keeps -0.0 exact)."""
    b = t.b
    return t.int_or_float("neg", x, U.const_int(0),
                          lambda a, _: overflow_checked(t, b.ssub_with_overflow(i64(0), a, name="neg.ovf")),
                          lambda a, _: b.fneg(a, name="fneg"))


def overflow_checked(t, res):
    t.bail_if(t.b.extract_value(res, 1), BAIL_OVERFLOW, "ovf.ok")
    return t.b.extract_value(res, 0)


def native_div(t, args):
    if len(args) == 1:
        return t.divide(U.const_int(1), args[0])
    return fold(t, t.divide, args[0], args[1:])


def native_rem(t, args):
    return t.remainder(args[0], args[1])


def native_mod(t, args):
    """Flooring modulus, integers only (float % has its own rules; those bail)."""
    b = t.b
    x, y = guard_int(t, args[0]), guard_int(t, args[1])
    r = t.remainder(x, y).bits
    adjust = b.and_(b.icmp_signed("!=", r, i64(0)),
                    b.icmp_signed("<", b.xor(r, y.bits), i64(0)), name="mod.adjust")
    return Val(i64(TAG_INT), b.select(adjust, b.add(r, y.bits), r, name="mod"))


def native_abs(t, args):
    b = t.b
    x = args[0]
    fabs = U.declare(t.module, "llvm.fabs.f64", U.F64, [U.F64])

    def iabs(a, _):
        neg = overflow_checked(t, b.ssub_with_overflow(i64(0), a, name="abs.ovf"))
        return b.select(b.icmp_signed("<", a, i64(0)), neg, a, name="abs")
    return t.int_or_float("abs", x, U.const_int(0), iabs, lambda a, _: b.call(fabs, [a], name="fabs"))


def native_inc(t, args):
    return t.arith("add", args[0], U.const_int(1))


def native_dec(t, args):
    return t.arith("sub", args[0], U.const_int(1))


def extreme(t, args, op):
    """The first argument that no later one is `op` (strictly better) than."""
    b = t.b
    for a in args:
        guard_number(t, a)
    best = args[0]
    for x in args[1:]:
        better = t.compare(op, x, best)
        best = Val(b.select(better, x.tag, best.tag), b.select(better, x.bits, best.bits))
    return best


def native_min(t, args):
    return extreme(t, args, "<")


def native_max(t, args):
    return extreme(t, args, ">")


def chain(op):
    def emit(t, args):
        """True when op holds between neighbours; every argument must be a number."""
        b = t.b
        for a in args:
            guard_number(t, a)
        result = U.TRUE
        for x, y in zip(args, args[1:]):
            result = b.and_(result, t.compare(op, x, y))
        return U.bool_val(b, result)
    return emit


def all_equal(t, args):
    result = U.TRUE
    for x, y in zip(args, args[1:]):
        result = t.b.and_(result, t.equal(x, y))
    return result


def native_eq(t, args):
    return U.bool_val(t.b, all_equal(t, args))


def native_not_eq(t, args):
    return U.bool_val(t.b, t.b.not_(all_equal(t, args)))


def native_not(t, args):
    return U.bool_val(t.b, t.b.not_(t.truthy(args[0])))


def native_int(t, args):
    """int: integers unchanged; doubles truncate when they fit i64, else bail (big int, nan, inf)."""
    b = t.b
    x = args[0]
    guard_number(t, x)
    d = U.as_double(b, x.bits)
    fits = b.and_(b.fcmp_ordered(">=", d, U.f64(-TWO_63)), b.fcmp_ordered("<", d, U.f64(TWO_63)))
    is_float = U.is_tag(b, x, TAG_FLOAT)
    t.bail_if(b.and_(is_float, b.not_(fits)), BAIL_GUARD, "int.fits")
    trunc = b.fptosi(d, I64, name="trunc")
    return Val(i64(TAG_INT), b.select(is_float, trunc, x.bits, name="int"))


def native_float(t, args):
    x = args[0]
    return Val(i64(TAG_FLOAT), U.as_bits(t.b, t.to_double(x, False)))


def type_test(test):
    def emit(t, args):
        return U.bool_val(t.b, test(t.b, args[0]))
    return emit


def bit_fold(method):
    def emit(t, args):
        for a in args:
            guard_int(t, a)
        acc = args[0].bits
        for a in args[1:]:
            acc = getattr(t.b, method)(acc, a.bits)
        return Val(i64(TAG_INT), acc)
    return emit


def native_bit_not(t, args):
    guard_int(t, args[0])
    return Val(i64(TAG_INT), t.b.xor(args[0].bits, i64(-1), name="bnot"))


def shift_args(t, args):
    x, n = args
    guard_int(t, x)
    guard_int(t, n)
    t.bail_if(t.b.icmp_signed("<", n.bits, i64(0)), BAIL_GUARD, "shift.count")
    return x.bits, n.bits


def native_shl(t, args):
    """x << n, exact: bail when bits would be lost (the interpreter makes a big int)."""
    b = t.b
    x, n = shift_args(t, args)
    zero = b.icmp_signed("==", x, i64(0))
    t.bail_if(b.and_(b.not_(zero), b.icmp_signed(">=", n, i64(63))), BAIL_OVERFLOW, "shl.n")
    safe_n = b.select(zero, i64(0), n)
    r = b.shl(x, safe_n, name="shl")
    t.bail_if(b.icmp_signed("!=", b.ashr(r, safe_n), x), BAIL_OVERFLOW, "shl.ok")
    return Val(i64(TAG_INT), r)


def native_shr(t, args):
    b = t.b
    x, n = shift_args(t, args)
    capped = b.select(b.icmp_signed(">", n, i64(63)), i64(63), n)
    return Val(i64(TAG_INT), b.ashr(x, capped, name="shr"))


NATIVE_EMITTERS = {
    "+": native_add, "-": native_sub, "*": native_mul, "/": native_div,
    "rem": native_rem, "mod": native_mod, "abs": native_abs, "inc": native_inc, "dec": native_dec,
    "min": native_min, "max": native_max,
    "<": chain("<"), ">": chain(">"), "<=": chain("<="), ">=": chain(">="),
    "=": native_eq, "not=": native_not_eq, "not": native_not,
    "int": native_int, "float": native_float,
    "int?": type_test(lambda b, v: U.is_tag(b, v, TAG_INT)),
    "float?": type_test(lambda b, v: U.is_tag(b, v, TAG_FLOAT)),
    "number?": type_test(U.is_number),
    "boolean?": type_test(lambda b, v: U.is_tag(b, v, TAG_BOOL)),
    "nil?": type_test(lambda b, v: U.is_tag(b, v, TAG_NIL)),
    "bit/and": bit_fold("and_"), "bit/or": bit_fold("or_"), "bit/xor": bit_fold("xor"),
    "bit/not": native_bit_not, "bit/shl": native_shl, "bit/shr": native_shr,
    "put": lambda t, args: t.put(args),       # (arrays only: translate.py put)
    "push": lambda t, args: t.array_push(args),
}
if set(NATIVE_EMITTERS) != NATIVE_NAMES:
    raise ImportError("vm/jit/analyse.py NATIVE_NAMES must name exactly the primitives NATIVE_EMITTERS translates")
