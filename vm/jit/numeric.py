"""Number semantics in IR: arithmetic, division, comparison and equality on (tag, bits) values.

NumericOps emits the complete operation inline (every tag combination, with bail-outs
where the interpreter would raise or leave 64 bits). Tier-2 bodies and the process-wide
slow-path helpers (vm/jit/runtime.py) use it as is; tier-1 bodies inline only the
integer case and call those helpers for the rest (translate.py), which keeps their IR,
and so their compile time, small.

Where a value's tag is a compile-time constant (U.static_tag), each operation emits only
the path that can run: two known integers give just the integer instruction and its
overflow check; a known non-number gives an unconditional bail.

A user of the mixin provides `self.b` (the IRBuilder), `self.module`, and
`bail_if(cond, reason, name)`, which leaves with `reason` when `cond` holds.
"""

from __future__ import annotations

from vm.jit import irutil as U
from vm.jit.code import BAIL_DIVZERO, BAIL_GUARD, BAIL_OVERFLOW, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NIL
from vm.jit.irutil import I64, Val, i64, static_tag

NUMBERS = (TAG_INT, TAG_FLOAT)

ARITH = ("add", "sub", "mul")
COMPARE = {"lt": "<", "gt": ">", "le": "<=", "ge": ">="}


class NumericOps:
    """Inline IR for the number operations the interpreter's primitives perform."""

    def truthy(self, v: Val):
        """i1: v is neither nil nor false."""
        b = self.b
        known = static_tag(v)
        if known == TAG_BOOL:
            return b.icmp_unsigned("!=", v.bits, i64(0), name="truthy")
        if known is not None:
            return U.FALSE if known == TAG_NIL else U.TRUE
        nil = U.is_tag(b, v, TAG_NIL, "is.nil")
        false = b.and_(U.is_tag(b, v, TAG_BOOL, "is.bool"),
                       b.icmp_unsigned("==", v.bits, i64(0)), name="is.false")
        return b.not_(b.or_(nil, false), name="truthy")

    def both_int(self, x: Val, y: Val):
        # TAG_INT is 0, so one `or` tests both tags.
        b = self.b
        return b.icmp_unsigned("==", b.or_(x.tag, y.tag), i64(TAG_INT), name="both.int")

    def to_double(self, v: Val, exact: bool):
        """v as a double; bail unless it is a number. `exact`: integers must convert exactly
        (comparisons), else they round like Python's float(int) (arithmetic)."""
        b = self.b
        known = static_tag(v)
        if known == TAG_FLOAT:
            return U.as_double(b, v.bits)
        if known is not None and known != TAG_INT:
            self.always_bail(BAIL_GUARD)
            return U.f64(0.0)
        if known is None:
            self.bail_if(b.not_(U.is_number(b, v)), BAIL_GUARD, "num")
        if exact:
            wide = b.icmp_unsigned(">", b.add(v.bits, i64(U.EXACT_FLOAT_INT)), i64(2 * U.EXACT_FLOAT_INT))
            self.bail_if(b.and_(U.is_tag(b, v, TAG_INT), wide, name="inexact"), BAIL_GUARD, "exact")
        as_int = b.sitofp(v.bits, U.F64, name="i2f")
        return b.select(U.is_tag(b, v, TAG_INT), as_int, U.as_double(b, v.bits), name="f")

    def always_bail(self, reason: int):
        """The operation can only fail (a known non-number): leave, and go on in a dead block."""
        self.bail_if(U.TRUE, reason, "unreachable")

    def known_types(self, x: Val, y: Val) -> str:
        """'int' when both are known integers, 'float' when both are known numbers (one a
        float), 'never' when one is known not to be a number, else 'dynamic'."""
        tx, ty = static_tag(x), static_tag(y)
        if tx == TAG_INT and ty == TAG_INT:
            return "int"
        if (tx is not None and tx not in NUMBERS) or (ty is not None and ty not in NUMBERS):
            return "never"
        if tx is not None and ty is not None:
            return "float"
        return "dynamic"

    def split(self, name: str, cond):
        """Branch on `cond`; returns (true block, false block, merge block), positioned nowhere."""
        b = self.b
        yes = b.append_basic_block(f"{name}.int")
        no = b.append_basic_block(f"{name}.slow")
        done = b.append_basic_block(f"{name}.done")
        U.likely(b.cbranch(cond, yes, no))
        return yes, no, done

    def join(self, done, name, arms) -> Val:
        """Merge [(Val, block)] at `done`."""
        b = self.b
        b.position_at_end(done)
        tag = b.phi(I64, name=f"{name}.tag")
        bits = b.phi(I64, name=f"{name}.bits")
        for v, blk in arms:
            tag.add_incoming(v.tag, blk)
            bits.add_incoming(v.bits, blk)
        return Val(tag, bits)

    def int_or_float(self, name, x, y, int_fn, float_fn) -> Val:
        """int_fn(a, b) -> i64 when both are integers (may bail), else float_fn on doubles."""
        b = self.b
        known = self.known_types(x, y)
        if known == "int":
            return Val(i64(TAG_INT), int_fn(x.bits, y.bits))
        if known == "float":
            return Val(i64(TAG_FLOAT), U.as_bits(b, float_fn(self.to_double(x, False), self.to_double(y, False))))
        if known == "never":
            self.always_bail(BAIL_GUARD)
            return Val(i64(TAG_INT), i64(0))
        yes, no, done = self.split(name, self.both_int(x, y))
        b.position_at_end(yes)
        ival = int_fn(x.bits, y.bits)
        iend = b.block
        b.branch(done)
        b.position_at_end(no)
        fval = U.as_bits(b, float_fn(self.to_double(x, False), self.to_double(y, False)))
        fend = b.block
        b.branch(done)
        return self.join(done, name, [(Val(i64(TAG_INT), ival), iend), (Val(i64(TAG_FLOAT), fval), fend)])

    def int_arith(self, op: str, a, c):
        res = getattr(self.b, f"s{op}_with_overflow")(a, c, name=f"{op}.ovf")
        self.bail_if(self.b.extract_value(res, 1), BAIL_OVERFLOW, f"{op}.fits")
        return self.b.extract_value(res, 0, name=op)

    def arith(self, op: str, x: Val, y: Val) -> Val:
        """x op y for add/sub/mul: i64 with an overflow bail-out, else doubles."""
        fop = {"add": self.b.fadd, "sub": self.b.fsub, "mul": self.b.fmul}[op]
        return self.int_or_float(op, x, y, lambda a, c: self.int_arith(op, a, c),
                                 lambda a, c: fop(a, c, name=f"f{op}"))

    def int_divide(self, a, d):
        """sdiv truncates toward zero like the interpreter; INT64_MIN / -1 overflows."""
        b = self.b
        self.bail_if(b.icmp_signed("==", d, i64(0)), BAIL_DIVZERO, "div.nz")
        m1 = b.icmp_signed("==", d, i64(-1), name="minus.one")
        self.bail_if(b.and_(m1, b.icmp_signed("==", a, i64(U.INT64_MIN))), BAIL_OVERFLOW, "div.fits")
        return b.sdiv(a, d, name="quot")

    def int_remainder(self, a, d):
        """srem takes the dividend's sign, like the interpreter's rem; x rem -1 is 0."""
        b = self.b
        self.bail_if(b.icmp_signed("==", d, i64(0)), BAIL_DIVZERO, "rem.nz")
        safe = b.select(b.icmp_signed("==", d, i64(-1)), i64(1), d, name="d.safe")
        return b.srem(a, safe, name="rem")

    def divide(self, x: Val, y: Val) -> Val:
        b = self.b

        def fdiv(a, d):
            self.bail_if(b.fcmp_ordered("==", d, U.f64(0.0)), BAIL_DIVZERO, "fdiv.nz")
            return b.fdiv(a, d, name="fquot")
        return self.int_or_float("div", x, y, self.int_divide, fdiv)

    def remainder(self, x: Val, y: Val) -> Val:
        """Doubles use frem (C's fmod), which is what math.fmod computes."""
        b = self.b

        def frem(a, d):
            self.bail_if(b.fcmp_ordered("==", d, U.f64(0.0)), BAIL_DIVZERO, "frem.nz")
            return b.frem(a, d, name="frem")
        return self.int_or_float("rem", x, y, self.int_remainder, frem)

    def compare(self, op: str, x: Val, y: Val):
        """i1 for x op y on numbers; mixed int/float compares exactly or bails."""
        b = self.b
        known = self.known_types(x, y)
        if known == "int":
            return b.icmp_signed(op, x.bits, y.bits, name="icmp")
        if known == "float":
            return b.fcmp_ordered(op, self.to_double(x, True), self.to_double(y, True), name="fcmp")
        if known == "never":
            self.always_bail(BAIL_GUARD)
            return U.FALSE
        yes, no, done = self.split("cmp", self.both_int(x, y))
        b.position_at_end(yes)
        ires = b.icmp_signed(op, x.bits, y.bits, name="icmp")
        iend = b.block
        b.branch(done)
        b.position_at_end(no)
        fres = b.fcmp_ordered(op, self.to_double(x, True), self.to_double(y, True), name="fcmp")
        fend = b.block
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(U.I1, name="cmp")
        phi.add_incoming(ires, iend)
        phi.add_incoming(fres, fend)
        return phi

    def equal(self, x: Val, y: Val):
        """i1 for (= x y): numbers numerically, booleans and nil by identity."""
        b = self.b
        tx, ty = static_tag(x), static_tag(y)
        if tx is not None and ty is not None:
            if tx in NUMBERS and ty in NUMBERS:
                return self.compare("==", x, y)
            if tx != ty:
                return U.FALSE
            return b.icmp_unsigned("==", x.bits, y.bits, name="same")
        nums = b.and_(U.is_number(b, x), U.is_number(b, y), name="both.num")
        num_bb = b.append_basic_block("eq.num")
        other_bb = b.append_basic_block("eq.other")
        done = b.append_basic_block("eq.done")
        U.likely(b.cbranch(nums, num_bb, other_bb))
        b.position_at_end(other_bb)
        same = b.and_(b.icmp_unsigned("==", x.tag, y.tag), b.icmp_unsigned("==", x.bits, y.bits), name="same")
        b.branch(done)
        b.position_at_end(num_bb)
        nres = self.compare("==", x, y)
        nend = b.block
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(U.I1, name="eq")
        phi.add_incoming(same, other_bb)
        phi.add_incoming(nres, nend)
        return phi
