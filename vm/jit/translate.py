"""Bytecode to LLVM IR: one `_emit_<Opcode>` per supported opcode, on (tag, payload) values.

Every compiled function becomes

    define {i64, i64} @<symbol>(ptr %ctx, i64 %room, i64 %a0.tag, i64 %a0.bits, ...)

returning (tag, payload) or (bail reason, 0). `room` is how many nested calls the VM
would still allow; `ctx` holds the fuel budget shared by the whole native call tree.
Locals and stack slots live in allocas (mem2reg makes them SSA). The sketch of one block:

    op.<offset>:                      ; a bytecode basic block
      budget -= <its instruction count>   (refill or bail when that goes below zero)
      ... the block's instructions on a compile-time stack of Val ...
      spill the stack to its slots; branch
    bail.<reason>:  ret {reason, 0}
"""

from __future__ import annotations

from llvmlite import ir

from vm.jit import irutil as U
from vm.jit.analyse import Static
from vm.jit.code import (BAIL_DEPTH, BAIL_DIVZERO, BAIL_GUARD, BAIL_OVERFLOW, TAG_BOOL,
                         TAG_FLOAT, TAG_INT, TAG_NIL)
from vm.jit.irutil import I64, RET, Val, i64


def body_type(nparams: int) -> ir.FunctionType:
    return ir.FunctionType(RET, [U.PTR, I64] + [I64, I64] * nparams)


class FunctionTranslator:
    """Emits one function's body from its Plan into `module`."""

    def __init__(self, module, plan, symbols: dict, refill, counter):
        self.module = module
        self.plan = plan
        self.func = plan.func
        self.symbols = symbols            # CompiledFunction -> ir.Function of every callee
        self.refill = refill              # the module's fuel refill helper
        self.counter = counter            # i64 global counting native calls (stats)
        self.fn = symbols[self.func]
        self.bails = {}                   # reason -> bail block
        self.blocks = {}                  # byte offset -> its `op.<offset>` block

    # -- layout --------------------------------------------------------------

    def translate(self):
        fn = self.fn
        entry = fn.append_basic_block("entry")
        b = self.b = ir.IRBuilder(entry)
        args = fn.args
        self.ctx, self.room = args[0], args[1]
        args[0].name, args[1].name = "ctx", "room"
        self.locals = [(U.opaque_alloca(b, I64, f"{self.local_name(i)}.tag"),
                        U.opaque_alloca(b, I64, f"{self.local_name(i)}.bits"))
                       for i in range(self.func.nlocals)]
        self.slots = [(U.opaque_alloca(b, I64, f"stack{i}.tag"), U.opaque_alloca(b, I64, f"stack{i}.bits"))
                      for i in range(self.plan.max_stack)]
        self.budget_ptr = b.gep(self.ctx, [i64(0), ir.Constant(U.I32, U.CTX_BUDGET)],
                                source_etype=U.CTX, name="budget.ptr")
        for i in range(self.func.nparams):
            args[2 + 2 * i].name = f"{self.local_name(i)}.tag.in"
            args[3 + 2 * i].name = f"{self.local_name(i)}.bits.in"
        self.store_params([Val(args[2 + 2 * i], args[3 + 2 * i]) for i in range(self.func.nparams)])
        b.store(b.add(b.load(self.counter, typ=I64, name="calls"), i64(1)), self.counter)
        for block in self.plan.blocks:
            self.blocks[block.start] = fn.append_basic_block(f"op.{block.start}")
        b.branch(self.blocks[0])
        for block in self.plan.blocks:
            self.emit_block(block)

    def local_name(self, i: int) -> str:
        names = self.func.local_names
        n = names[i] if i < len(names) else f"local{i}"
        return "".join(c if c.isalnum() or c in "_." else "_" for c in n) or f"local{i}"

    def store_params(self, values):
        """A new activation: parameters from `values`, every other local nil."""
        b = self.b
        for i, (tag_ptr, bits_ptr) in enumerate(self.locals):
            v = values[i] if i < len(values) else U.NIL
            b.store(v.tag, tag_ptr)
            b.store(v.bits, bits_ptr)

    def emit_block(self, block):
        b = self.b
        b.position_at_end(self.blocks[block.start])
        self.charge(len(block.insts))
        self.stack = []
        for i, e in enumerate(block.shape):
            if e is None:
                tag_ptr, bits_ptr = self.slots[i]
                self.stack.append(Val(b.load(tag_ptr, typ=I64, name=f"s{i}.tag"),
                                      b.load(bits_ptr, typ=I64, name=f"s{i}.bits")))
            else:
                self.stack.append(e)
        for inst in block.insts:
            getattr(self, "_emit_" + inst.name)(inst)
        if not b.block.is_terminated:
            last = block.insts[-1]
            self.spill()
            b.branch(self.blocks[last.nxt])

    def charge(self, count: int):
        """Take `count` ticks from the budget, or refill it, or bail (fuel, pause)."""
        b = self.b
        budget = b.load(self.budget_ptr, typ=I64, name="budget")
        left = b.sub(budget, i64(count), name="budget.left")
        enough = b.icmp_signed(">=", left, i64(0), name="enough")
        ok = b.append_basic_block("fuel.ok")
        refill = b.append_basic_block("fuel.refill")
        run = b.append_basic_block("run")
        U.likely(b.cbranch(enough, ok, refill))
        b.position_at_end(refill)
        why = b.call(self.refill, [self.ctx, i64(count)], name="why")
        failed = b.icmp_unsigned("!=", why, i64(0), name="refill.failed")
        stop = b.append_basic_block("bail.fuel")
        U.unlikely(b.cbranch(failed, stop, run))
        b.position_at_end(stop)
        b.ret(b.insert_value(ir.Constant(RET, [0, 0]), why, 0))
        b.position_at_end(ok)
        b.store(left, self.budget_ptr)
        b.branch(run)
        b.position_at_end(run)

    def spill(self):
        """Store the runtime values of the compile-time stack into their slots."""
        for i, v in enumerate(self.stack):
            if type(v) is Val:
                self.b.store(v.tag, self.slots[i][0])
                self.b.store(v.bits, self.slots[i][1])

    def bail_block(self, reason: int):
        blk = self.bails.get(reason)
        if blk is None:
            names = {BAIL_GUARD: "guard", BAIL_OVERFLOW: "overflow", BAIL_DIVZERO: "divzero",
                     BAIL_DEPTH: "depth"}
            blk = self.fn.append_basic_block(f"bail.{names[reason]}")
            ir.IRBuilder(blk).ret(ir.Constant(RET, [reason, 0]))
            self.bails[reason] = blk
        return blk

    def bail_if(self, cond, reason: int, name: str):
        """Leave through bail.<reason> when `cond` holds; continue in a new block."""
        b = self.b
        cont = b.append_basic_block(name)
        U.unlikely(b.cbranch(cond, self.bail_block(reason), cont))
        b.position_at_end(cont)

    def push(self, v):
        self.stack.append(v)

    def pop(self):
        return self.stack.pop()

    # -- constants, locals, stack ----------------------------------------------

    def _emit_LoadConst(self, inst):
        self.push_constant(inst.arg)

    def push_constant(self, v):
        if type(v) is bool:
            self.push(U.const_bool(v))
        elif type(v) is int:
            self.push(U.const_int(v))
        elif type(v) is float:
            self.push(U.const_float(v))
        elif v is None:
            self.push(U.NIL)
        else:
            self.push(Static(v))

    def _emit_LoadNil(self, inst):
        self.push(U.NIL)

    def _emit_LoadTrue(self, inst):
        self.push(U.const_bool(True))

    def _emit_LoadFalse(self, inst):
        self.push(U.const_bool(False))

    def _emit_LoadLocal(self, inst):
        tag_ptr, bits_ptr = self.locals[inst.arg]
        name = self.local_name(inst.arg)
        self.push(Val(self.b.load(tag_ptr, typ=I64, name=name + ".tag"),
                      self.b.load(bits_ptr, typ=I64, name=name)))

    def _emit_StoreLocal(self, inst):
        v = self.pop()
        tag_ptr, bits_ptr = self.locals[inst.arg]
        self.b.store(v.tag, tag_ptr)
        self.b.store(v.bits, bits_ptr)

    def _emit_LoadGlobal(self, inst):
        callee = self.plan.global_fns.get(inst.arg)
        if callee is not None:
            self.push(Static(callee, inst.arg))
        else:
            self.push_constant(self.plan.global_consts[inst.arg])

    def _emit_Dup(self, inst):
        self.push(self.stack[-1])

    def _emit_Pop(self, inst):
        self.pop()

    # -- control ---------------------------------------------------------------

    def _emit_Jump(self, inst):
        self.spill()
        self.b.branch(self.blocks[inst.arg])

    def _emit_JumpIfFalse(self, inst):
        truthy = self.truthy(self.pop())
        self.spill()
        self.b.cbranch(truthy, self.blocks[inst.nxt], self.blocks[inst.arg])

    def _emit_JumpIfTrue(self, inst):
        truthy = self.truthy(self.pop())
        self.spill()
        self.b.cbranch(truthy, self.blocks[inst.arg], self.blocks[inst.nxt])

    def _emit_Return(self, inst):
        v = self.pop()
        b = self.b
        r = b.insert_value(ir.Constant(RET, ir.Undefined), v.tag, 0)
        b.ret(b.insert_value(r, v.bits, 1, name="result"))

    def _emit_Call(self, inst):
        args = [self.pop() for _ in range(inst.arg)][::-1]
        callee = self.pop()
        if callee.is_native:
            from vm.jit.natives import NATIVE_EMITTERS
            self.push(NATIVE_EMITTERS[callee.target.name](self, args))
        else:
            self.push(self.call_native(callee.target, args, nested=True))

    def _emit_TailCall(self, inst):
        """Self tail call: new parameters, back to op.0. Same arity: musttail. Else call and return."""
        args = [self.pop() for _ in range(inst.arg)][::-1]
        callee = self.pop()
        b = self.b
        if callee.is_native:
            from vm.jit.natives import NATIVE_EMITTERS
            v = NATIVE_EMITTERS[callee.target.name](self, args)
            self.stack.append(v)
            self._emit_Return(inst)
            return
        target = callee.target
        if target is self.func:
            self.store_params(args)
            b.branch(self.blocks[0])
        elif target.nparams == self.func.nparams:
            r = b.call(self.symbols[target], self.call_args(self.room, args), name="tail", tail="musttail")
            b.ret(r)
        else:
            r = self.call_body(target, args)
            b.ret(r)

    def call_args(self, room, args):
        out = [self.ctx, room]
        for a in args:
            out += [a.tag, a.bits]
        return out

    def call_body(self, target, args):
        """Call a compiled body one level deeper (bail when the VM would overflow)."""
        b = self.b
        self.bail_if(b.icmp_signed("<=", self.room, i64(0), name="too.deep"), BAIL_DEPTH, "call")
        deeper = b.sub(self.room, i64(1), name="room.in")
        return b.call(self.symbols[target], self.call_args(deeper, args), name=f"r.{target.name}"[:40])

    def call_native(self, target, args, nested: bool):
        """A native call whose bail-out propagates: returns its Val."""
        b = self.b
        r = self.call_body(target, args)
        tag = b.extract_value(r, 0, name="r.tag")
        done = b.append_basic_block("call.done")
        propagate = b.append_basic_block("call.bail")
        U.unlikely(b.cbranch(U.is_bail(b, tag), propagate, done))
        b.position_at_end(propagate)
        b.ret(r)
        b.position_at_end(done)
        return Val(tag, b.extract_value(r, 1, name="r.bits"))

    # -- arithmetic and comparison -------------------------------------------

    def _emit_Add(self, inst):
        y, x = self.pop(), self.pop()
        self.push(self.arith("add", x, y))

    def _emit_AddInt(self, inst):
        self.push(self.arith("add", self.pop(), U.const_int(inst.arg)))

    def _emit_Sub(self, inst):
        y, x = self.pop(), self.pop()
        self.push(self.arith("sub", x, y))

    def _emit_Mul(self, inst):
        y, x = self.pop(), self.pop()
        self.push(self.arith("mul", x, y))

    def _emit_Div(self, inst):
        y, x = self.pop(), self.pop()
        self.push(self.divide(x, y))

    def _emit_Rem(self, inst):
        y, x = self.pop(), self.pop()
        self.push(self.remainder(x, y))

    def _emit_Eq(self, inst):
        y, x = self.pop(), self.pop()
        self.push(U.bool_val(self.b, self.equal(x, y)))

    def _emit_Lt(self, inst):
        y, x = self.pop(), self.pop()
        self.push(U.bool_val(self.b, self.compare("<", x, y)))

    def _emit_Gt(self, inst):
        y, x = self.pop(), self.pop()
        self.push(U.bool_val(self.b, self.compare(">", x, y)))

    def _emit_Le(self, inst):
        y, x = self.pop(), self.pop()
        self.push(U.bool_val(self.b, self.compare("<=", x, y)))

    def _emit_Ge(self, inst):
        y, x = self.pop(), self.pop()
        self.push(U.bool_val(self.b, self.compare(">=", x, y)))

    def _emit_Not(self, inst):
        self.push(U.bool_val(self.b, self.b.not_(self.truthy(self.pop()), name="not")))

    def _emit_IsNil(self, inst):
        self.push(U.bool_val(self.b, U.is_tag(self.b, self.pop(), TAG_NIL, "isnil")))

    def _always_false(self, inst):
        # Compiled code holds only numbers, booleans and nil: never a symbol or collection.
        self.pop()
        self.push(U.const_bool(False))

    _emit_IsSymbol = _emit_IsArray = _emit_IsPair = _emit_IsStruct = _always_false

    def truthy(self, v: Val):
        """i1: v is neither nil nor false."""
        b = self.b
        nil = U.is_tag(b, v, TAG_NIL, "is.nil")
        false = b.and_(U.is_tag(b, v, TAG_BOOL, "is.bool"),
                       b.icmp_unsigned("==", v.bits, i64(0)), name="is.false")
        return b.not_(b.or_(nil, false), name="truthy")

    def both_int(self, x: Val, y: Val):
        b = self.b
        return b.and_(U.is_tag(b, x, TAG_INT), U.is_tag(b, y, TAG_INT), name="both.int")

    def to_double(self, v: Val, exact: bool):
        """v as a double; bail unless it is a number. `exact`: integers must convert exactly
        (comparisons), else they round like Python's float(int) (arithmetic)."""
        b = self.b
        self.bail_if(b.not_(U.is_number(b, v)), BAIL_GUARD, "num")
        if exact:
            wide = b.icmp_unsigned(">", b.add(v.bits, i64(U.EXACT_FLOAT_INT)), i64(2 * U.EXACT_FLOAT_INT))
            self.bail_if(b.and_(U.is_tag(b, v, TAG_INT), wide, name="inexact"), BAIL_GUARD, "exact")
        as_int = b.sitofp(v.bits, U.F64, name="i2f")
        return b.select(U.is_tag(b, v, TAG_INT), as_int, U.as_double(b, v.bits), name="f")

    def split(self, name: str, x: Val, y: Val):
        """Branch on both-integers; returns (int block, float block, merge block)."""
        b = self.b
        int_bb = b.append_basic_block(f"{name}.int")
        flt_bb = b.append_basic_block(f"{name}.float")
        done = b.append_basic_block(f"{name}.done")
        U.likely(b.cbranch(self.both_int(x, y), int_bb, flt_bb))
        return int_bb, flt_bb, done

    def merge(self, done, incoming, typ=I64, name="v"):
        b = self.b
        b.position_at_end(done)
        phi = b.phi(typ, name=name)
        for value, block in incoming:
            phi.add_incoming(value, block)
        return phi

    def arith(self, op: str, x: Val, y: Val) -> Val:
        """x op y for add/sub/mul: i64 with overflow bail-out, else doubles."""
        b = self.b
        int_bb, flt_bb, done = self.split(op, x, y)
        b.position_at_end(int_bb)
        res = getattr(b, f"s{op}_with_overflow")(x.bits, y.bits, name=f"{op}.ovf")
        self.bail_if(b.extract_value(res, 1), BAIL_OVERFLOW, f"{op}.int.ok")
        ival, iend = b.extract_value(res, 0, name=op), b.block
        b.branch(done)
        b.position_at_end(flt_bb)
        fop = {"add": b.fadd, "sub": b.fsub, "mul": b.fmul}[op]
        fval = U.as_bits(b, fop(self.to_double(x, False), self.to_double(y, False), name=f"f{op}"))
        fend = b.block
        b.branch(done)
        tag = self.merge(done, [(i64(TAG_INT), iend), (i64(TAG_FLOAT), fend)], name=f"{op}.tag")
        bits = b.phi(I64, name=f"{op}.bits")
        bits.add_incoming(ival, iend)
        bits.add_incoming(fval, fend)
        return Val(tag, bits)

    def int_or_float(self, name, x, y, int_fn, float_fn) -> Val:
        """A two-way numeric op: int_fn(x, y) -> i64 (may bail), float_fn(dx, dy) -> double."""
        b = self.b
        int_bb, flt_bb, done = self.split(name, x, y)
        b.position_at_end(int_bb)
        ival = int_fn(x.bits, y.bits)
        iend = b.block
        b.branch(done)
        b.position_at_end(flt_bb)
        fval = U.as_bits(b, float_fn(self.to_double(x, False), self.to_double(y, False)))
        fend = b.block
        b.branch(done)
        tag = self.merge(done, [(i64(TAG_INT), iend), (i64(TAG_FLOAT), fend)], name=f"{name}.tag")
        bits = b.phi(I64, name=f"{name}.bits")
        bits.add_incoming(ival, iend)
        bits.add_incoming(fval, fend)
        return Val(tag, bits)

    def int_divisor_ok(self, a, d, name):
        """Bail on a zero divisor; returns i1 `d == -1` (where sdiv/srem would trap)."""
        b = self.b
        self.bail_if(b.icmp_signed("==", d, i64(0)), BAIL_DIVZERO, f"{name}.nz")
        return b.icmp_signed("==", d, i64(-1), name="minus.one")

    def float_divisor_ok(self, d, name):
        self.bail_if(self.b.fcmp_ordered("==", d, U.f64(0.0)), BAIL_DIVZERO, f"{name}.fnz")

    def divide(self, x: Val, y: Val) -> Val:
        """Integers truncate toward zero (sdiv); INT64_MIN / -1 overflows; doubles divide."""
        b = self.b

        def idiv(a, d):
            m1 = self.int_divisor_ok(a, d, "div")
            self.bail_if(b.and_(m1, b.icmp_signed("==", a, i64(U.INT64_MIN))), BAIL_OVERFLOW, "div.ok")
            return b.sdiv(a, d, name="quot")

        def fdiv(a, d):
            self.float_divisor_ok(d, "div")
            return b.fdiv(a, d, name="fquot")
        return self.int_or_float("div", x, y, idiv, fdiv)

    def remainder(self, x: Val, y: Val) -> Val:
        """Sign of the dividend (srem, C's %); doubles use fmod (frem), like math.fmod."""
        b = self.b

        def irem(a, d):
            m1 = self.int_divisor_ok(a, d, "rem")
            safe = b.select(m1, i64(1), d, name="d.safe")
            return b.srem(a, safe, name="rem")

        def frem(a, d):
            self.float_divisor_ok(d, "rem")
            return b.frem(a, d, name="frem")
        return self.int_or_float("rem", x, y, irem, frem)

    def compare(self, op: str, x: Val, y: Val):
        """i1 for x op y on numbers; mixed int/float compares exactly or bails."""
        b = self.b
        int_bb, flt_bb, done = self.split("cmp", x, y)
        b.position_at_end(int_bb)
        ires = b.icmp_signed(op, x.bits, y.bits, name="icmp")
        iend = b.block
        b.branch(done)
        b.position_at_end(flt_bb)
        fres = b.fcmp_ordered(op, self.to_double(x, True), self.to_double(y, True), name="fcmp")
        fend = b.block
        b.branch(done)
        return self.merge(done, [(ires, iend), (fres, fend)], U.I1, name="cmp")

    def equal(self, x: Val, y: Val):
        """i1 for (= x y): numbers numerically, booleans and nil by identity."""
        b = self.b
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
        return self.merge(done, [(same, other_bb), (nres, nend)], U.I1, name="eq")

