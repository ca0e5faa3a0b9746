"""Bytecode to LLVM IR: one `_emit_<Opcode>` per supported opcode, on (tag, payload) values.

Every compiled function becomes

    define {i64, i64, i64} @<symbol>(ptr %ctx, i64 %budget, i64 %room, i64 %a0.tag, i64 %a0.bits, ...)

returning (tag, payload, budget left) or (bail reason, 0, 0). `budget` is how many
ticks may still run before the runtime must look (refill); `room` how many nested calls
the VM would still allow; `ctx` the rest of the run context (runtime.py). Locals, stack
slots and the budget live in allocas (mem2reg makes them SSA). Sketch:

    entry:        allocas; parameters into locals, other locals nil
    op.<offset>:  one per bytecode basic block
                    budget -= <its charge>
                    (the charge is its instruction count, plus that of blocks only
                    reached from it unconditionally; see analyse.fold_charges)
                    ... its instructions, on a compile-time stack of Val ...
                    spill the stack to its slots; branch
    back-edge:    (a backward jump, or a tail call of a compiled function) below zero:
                  refill, exit or bail (so every cycle checks once a turn; see back_edge)
    return:       below zero: refill or bail; ret {tag, payload, budget left}
    bail:         ret {reason, 0}, the reason from a phi over every bail site

An exit ({EXIT, site, budget left}) hands the activation the interpreter called over
at a back-edge, when its native slice is over, a pause was asked for or the run's limit
is near (runtime.emit_refill decides): the values the interpreter's frame holds there go
into the run context, and vm/jit/code.py exit_frame rebuilds the frame from the site.
Everything charged by then has run (a back-edge ends its block, and a block's charge
covers only blocks certain to follow it), except the loop head's `prepaid` charge, which
the exit gives back; so the frame and the tick are exactly the interpreter's.

`return x + f(...)`, f the function itself, runs as a turn of a loop when the analysis
proved that f's calls return integers (at both tiers; tier 2 unrolls other self-recursive
functions instead, emit_unrolled in compiler.py): x is put aside (summed; each return adds
the sum), the arguments become the parameters, and control goes back to op.0, with the
call's depth test against a room that shrinks each turn. fib then makes half its calls,
as gcc -O2's fib does. Ticks are the same instructions, charged by the same blocks.

A budget that goes below zero between checks only means the call ran on credit: the
code has no side effects, and a bail re-runs the whole call interpreted, so checking at
returns and once per cycle is as exact as checking every block, with fewer branches.

Tier 1 ("compact") inlines only the integer case of each number operation and calls
the runtime's slow-path helper for the rest; tier 2 inlines everything (numeric.py).

Code that changes an array (`put`; analyse.Plan.effects) cannot be re-run, so it never
bails and never runs on credit: every block checks its own charge as it enters, and
wherever it cannot go on (a guard, an overflow, the fuel, a pause, an index out of range,
an element it does not hold) it hands over (deopt): this function's frame as it stands
before that instruction (its locals and the stack the instruction starts with) goes into
the run context and the body returns {EXIT, site, budget}, giving back the ticks of the
block not run yet. The interpreter then runs that instruction itself, which raises the
error or goes on. Such code holds the GIL throughout (its looks let other threads in
without leaving it released: the context's `hold`, runtime.emit_refill), since it
allocates and frees Python objects.
"""

from __future__ import annotations

from llvmlite import ir

from vm.jit import irutil as U
from vm.jit.analyse import MIXED, Static
from vm.jit.code import (BAIL_DEPTH, BAIL_GUARD, BAIL_SIGNAL, EXIT, TAG_ARRAY, TAG_CLOSURE, TAG_INT,
                         TAG_KW, TAG_NIL, TAG_STRUCT, ExitSite)
from vm.jit.irutil import I64, MAX_EXIT_VALUES, RET, Val, i64, static_tag
from vm.jit.numeric import NumericOps
from vm.values import Keyword
from vm.jit.runtime import SITE_LOOP, SITE_NONE, SITE_TAIL, Helpers, api, body_arity, box, unbox

def offset(name: str) -> int:
    """Where a field of an array, list, struct, closure or cell is (vm/jit/layout.py)."""
    if U.LAYOUT is None:
        raise RuntimeError("this Python lays out arrays, structs or closures in memory "
                           "differently from what the JIT reads (vm/jit/layout.py)")
    return U.LAYOUT[name]


def stack_template(stack) -> tuple:
    """(ExitSite.stack, the values it carries) for a compile-time stack: a function
    loaded from a global or a primitive constant is named, a value is carried."""
    template, carried = [], []
    for e in stack:
        if type(e) is Static:
            template.append(("value", e.target) if e.is_native else ("global", e.global_index))
        else:
            template.append(None)
            carried.append(e)
    return template, carried


CMP_HELPER = {"<": "lt", ">": "gt", "<=": "le", ">=": "ge"}


def ends_in_sum_of_call(insts) -> bool:
    """The instructions end `Call; Add; Return`: a returned sum whose last addend is a call."""
    return [i.name for i in insts[-3:]] == ["Call", "Add", "Return"]


def may_accumulate(plan) -> bool:
    """The function's `return x + f(...)` may run as turns of a loop (see accumulate): its
    calls of itself are proved to return integers and it has no tail calls."""
    blocks = plan.blocks
    return (plan.self_return == TAG_INT
            and not any(i.name == "TailCall" for blk in blocks for i in blk.insts)
            and any(ends_in_sum_of_call(blk.insts) for blk in blocks))


def checkpoints(blocks) -> set:
    """Starts of the blocks that check the budget as they take their charge: the blocks
    whose `x + f(...)` may go round again (FunctionTranslator.accumulate). Blocks that end
    in a backward edge or a tail call check at that edge (back_edge), so every cycle (a
    loop, or a self tail call going back to block 0) checks once per turn. The other
    blocks only take their charge; returns check what was taken (see ret)."""
    return {blk.start for blk in blocks if ends_in_sum_of_call(blk.insts)}


def site_base_name(module) -> str:
    return module.name + ".sites"


class FunctionTranslator(NumericOps):
    """Emits one function's body from its Plan into `module`."""

    def __init__(self, module, plan, symbols: dict, compact: bool, fn=None, sites=None):
        self.module = module
        # The unit's ExitSites: an exit returns its index here plus the unit's site base,
        # a global the engine sets when it loads the unit (see site_index).
        self.sites = sites if sites is not None else []
        self.plan = plan
        self.func = plan.func
        self.symbols = symbols            # CompiledFunction -> ir.Function of every callee
        self.compact = compact            # tier 1: number slow paths out of line
        self.helpers = Helpers(module)
        self.fn = fn or symbols[self.func]   # the body being emitted (a clone when unrolling)
        self.blocks = {}                  # byte offset -> its `op.<offset>` block
        self.effects = plan.effects == "deopt"   # deopt instead of bailing (see the module doc)
        # With any effects (a "leaf" too), every block checks its charge as it enters:
        # nothing runs on credit, so nothing after a change can bail for the fuel.
        self.checked = plan.effects is not None
        self.stored = {}                  # captured cell -> the Val this block stored in it
        self.at = None                    # effects: the instruction a deopt hands over at

    # -- layout --------------------------------------------------------------

    def translate(self):
        fn = self.fn
        b = self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        self.exit = U.ExitBlock(fn)
        args = fn.args
        self.ctx = args[0]
        args[0].name, args[1].name, args[2].name = "ctx", "budget.in", "room"
        self.budget = U.opaque_alloca(b, I64, "budget")
        self.locals = [(U.opaque_alloca(b, I64, f"{self.local_name(i)}.tag"),
                        U.opaque_alloca(b, I64, f"{self.local_name(i)}.bits"))
                       for i in range(self.func.nlocals)]
        self.slots = [(U.opaque_alloca(b, I64, f"stack{i}.tag"), U.opaque_alloca(b, I64, f"stack{i}.bits"))
                      for i in range(self.plan.max_stack)]
        b.store(args[1], self.budget)
        self.room_ptr = U.opaque_alloca(b, I64, "room")
        b.store(args[2], self.room_ptr)
        self.overflow = U.opaque_alloca(b, U.I32, "overflow")     # for unboxing elements
        if self.effects:
            # Only the interpreter calls this (the native call starts here, with the GIL):
            # every look of the call keeps the GIL from now on (runtime.emit_refill).
            b.store(i64(1), U.ctx_field(b, self.ctx, U.CTX_HOLD, "hold.ptr"))
        # A function proved to return integers from its own calls, without tail calls:
        # `(+ x (f ...))` returning the call's sum is a turn of a loop (see accumulate),
        # and every return adds what the turns have put aside.
        self.acc = None
        if may_accumulate(self.plan):
            self.acc = U.opaque_alloca(b, I64, "acc")
            b.store(i64(0), self.acc)
        for i in range(self.func.nparams):
            args[3 + 2 * i].name = f"{self.local_name(i)}.tag.in"
            args[4 + 2 * i].name = f"{self.local_name(i)}.in"
        self.store_params(self.speculate([Val(args[3 + 2 * i], args[4 + 2 * i])
                                          for i in range(self.func.nparams)], entry=True))
        self.env = None
        if self.func.captures:
            # The closure, after the parameters (see call_args): its captures are read
            # through it. A tail call of itself may change it (another closure of the
            # same function), so it lives in a slot too.
            tag, bits = args[3 + 2 * self.func.nparams], args[4 + 2 * self.func.nparams]
            tag.name, bits.name = "closure.tag", "closure"
            self.bail_if(b.icmp_unsigned("!=", tag, i64(TAG_CLOSURE)), BAIL_GUARD, "closure.ok")
            self.env = U.opaque_alloca(b, I64, "env")
            b.store(bits, self.env)
        self.plan_blocks = {block.start: block for block in self.plan.blocks}
        for block in self.plan.blocks:
            self.blocks[block.start] = fn.append_basic_block(f"op.{block.start}")
        self.checkpoints = checkpoints(self.plan.blocks)
        b.branch(self.blocks[0])
        for block in self.plan.blocks:
            self.emit_block(block)

    def local_name(self, i: int) -> str:
        names = self.func.local_names
        n = names[i] if i < len(names) else f"local{i}"
        return "".join(c if c.isalnum() or c in "_." else "_" for c in n) or f"local{i}"

    def speculate(self, values, entry=False) -> list:
        """Check each argument against the type the plan speculates on (a mismatch bails);
        past the check its tag is a constant, so the code after it knows the type. At the
        `entry`, a parameter of any type must not be an array (the analysis only lets an
        array go where it knows it is one; vm/jit/code.py TAG_ARRAY)."""
        out = []
        for v, expected in zip(values, self.plan.param_types):
            if expected is None and entry and static_tag(v) is None:
                # (nor a closure: TAG_CLOSURE is above TAG_ARRAY)
                self.bail_if(self.b.icmp_unsigned(">=", v.tag, i64(TAG_ARRAY)), BAIL_GUARD, "not.array")
            if expected is None or static_tag(v) == expected:
                out.append(v)
                continue
            if static_tag(v) is not None:
                self.always_bail(BAIL_GUARD)
            else:
                self.bail_if(self.b.icmp_unsigned("!=", v.tag, i64(expected)), BAIL_GUARD, "arg.ok")
            out.append(Val(i64(expected), v.bits))
        return out

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
        self.stack = []
        for i, e in enumerate(block.shape):
            if type(e) is Static:
                self.stack.append(e)
                continue
            tag_ptr, bits_ptr = self.slots[i]
            known = e if e is not MIXED else None
            tag = i64(known) if known is not None else b.load(tag_ptr, typ=I64, name=f"s{i}.tag")
            self.stack.append(Val(tag, b.load(bits_ptr, typ=I64, name=f"s{i}")))
        self.local_types = list(block.local_types)
        self.cells = set(block.cells)
        insts = block.insts
        left = block.charge             # ticks of the block from the instruction on
        self.stored = {}
        if self.checked:
            if self.effects:
                self.mark(insts[0], left)
            self.charge(block.charge)
        elif block.start in self.checkpoints:
            self.charge(block.charge)
        elif block.charge:
            self.take(block.charge)
        for k, inst in enumerate(insts):
            if k == len(insts) - 3 and self.accumulates(insts[k:]):
                self.accumulate(inst)
                return
            if self.effects:
                self.mark(inst, left)
                left -= inst.name != "Exit"
            getattr(self, "_emit_" + inst.name)(inst)
        if not b.block.is_terminated:
            self.spill()
            b.branch(self.blocks[block.insts[-1].nxt])

    @property
    def room(self):
        return self.b.load(self.room_ptr, typ=I64, name="room")

    def accumulates(self, tail) -> bool:
        """The block ends `Call f; Add; Return`, f this function, the other addend an int."""
        if self.acc is None or len(tail) != 3 or not ends_in_sum_of_call(tail):
            return False
        argc = tail[0].arg
        if len(self.stack) < argc + 2:
            return False
        callee = self.stack[-argc - 1]
        x = self.stack[-argc - 2]
        return (type(callee) is Static and not callee.is_native and callee.target is self.func
                and type(x) is Val and static_tag(x) == TAG_INT)

    def accumulate(self, inst):
        """`x + f(args)`, returned: put x aside and go round again with args, one call deeper
        (what gcc -O2 does to fib). The call's depth test stays, against a room that shrinks
        each turn, so a bail for depth comes exactly where the call's would; ticks are the
        same instructions, charged by the same blocks; the sum of the addends is the sum of
        the nested returns (ints: any partial sum that overflows bails)."""
        b = self.b
        args = self.pop_args(inst.arg)
        callee = self.pop()
        x = self.pop()
        b.store(self.int_arith("add", b.load(self.acc, typ=I64, name="acc"), x.bits), self.acc)
        room = self.room
        self.bail_if(b.icmp_signed("<=", room, i64(0), name="too.deep"), BAIL_DEPTH, "turn")
        b.store(b.sub(room, i64(1), name="room.in"), self.room_ptr)
        if self.env is not None:
            b.store(self.closure_of(callee), self.env)
        self.store_params(self.speculate(args))
        b.branch(self.blocks[0])

    def take(self, count: int):
        """Take `count` ticks from the budget, to be checked later (see `charge`)."""
        b = self.b
        b.store(b.sub(b.load(self.budget, typ=I64, name="budget"), i64(count), name="budget.left"),
                self.budget)

    def charge(self, count: int):
        """Take `count` ticks from the budget; below zero the runtime refills it or says why not.
        With effects, any answer but a refill hands over before the block (a deopt; the
        runtime may exit anywhere in such code, which only the interpreter calls)."""
        b = self.b
        left = b.sub(b.load(self.budget, typ=I64, name="budget"), i64(count), name="budget.left")
        b.store(left, self.budget)
        refill = b.append_basic_block("fuel.refill")
        run = b.append_basic_block("run")
        U.likely(b.cbranch(b.icmp_signed(">=", left, i64(0), name="enough"), run, refill))
        b.position_at_end(refill)
        if self.effects:
            why = self.call_refill(left, self.room, i64(SITE_LOOP))
            # ctrl+c's exception is set: that one leaves as a bail (the entry returns NULL).
            self.exit.leave_if(b, b.icmp_unsigned("==", why, i64(BAIL_SIGNAL)), why, "no.signal")
            self.deopt_if(b.icmp_unsigned("!=", why, i64(0)), "refilled")
        else:
            why = self.call_refill(left, self.room, i64(SITE_NONE))
            self.exit.leave_if(b, b.icmp_unsigned("!=", why, i64(0)), why, "refilled")
        b.branch(run)
        b.position_at_end(run)

    # -- hand-overs of code with effects (see the module doc) ---------------------

    def mark(self, inst, left: int):
        """Where a deopt from now on hands over: before `inst`, with the stack and locals it
        starts with and `left` ticks of the block (from it on) not run yet."""
        self.at = (inst, list(self.stack), list(self.local_types), set(self.cells), left)

    def deopt_if(self, cond, name: str, reason=None):
        """When `cond` holds, hand the frame over before the marked instruction; `reason`:
        the bail it stands for (None: the runtime asked)."""
        b = self.b
        out = b.append_basic_block(name + ".deopt")
        cont = b.append_basic_block(name)
        U.unlikely(b.cbranch(cond, out, cont))
        b.position_at_end(out)
        self.deopt(reason)
        b.position_at_end(cont)

    def deopt(self, reason=None):
        """Return {EXIT, site, budget}: the frame before the marked instruction (terminates
        the current block)."""
        inst, stack, local_types, cells, left = self.at
        template, carried = stack_template(stack)
        values = [self.local_value(i, local_types[i]) for i in range(self.func.nlocals)] + carried
        if len(values) > MAX_EXIT_VALUES:      # (vm/jit/compiler.py turns this into a rejection)
            raise ValueError(f"a hand-over would carry {len(values)} values (at most {MAX_EXIT_VALUES})")
        # (A piece's Exit hands over at its target anyway.)
        ip = inst.arg if inst.name == "Exit" else inst.off
        self.hand_over(values, ExitSite(self.func, ip, self.func.nlocals, sorted(cells), template, False, reason),
                       left)

    def hand_over(self, values, site, unrun: int):
        """Return {EXIT, site, budget}: `values` (the frame's locals, then the stack values
        the site carries) into the run context, giving back `unrun` ticks charged for
        instructions not run yet (terminates the current block)."""
        b = self.b
        ctx = self.ctx
        for k, v in enumerate(values):
            b.store(v.tag, U.ctx_value_slot(b, ctx, 2 * k, "exit.tag.ptr"))
            b.store(v.bits, U.ctx_value_slot(b, ctx, 2 * k + 1, "exit.bits.ptr"))
        b.store(i64(len(values)), U.ctx_field(b, ctx, U.CTX_NVALS, "nvals.ptr"))
        self.sites.append(site)
        budget = b.load(self.budget, typ=I64, name="budget.exit")
        if unrun:
            budget = b.add(budget, i64(unrun), name="budget.unrun")
        r = b.insert_value(ir.Constant(RET, ir.Undefined), i64(EXIT), 0)
        r = b.insert_value(r, self.site_index(len(self.sites) - 1), 1)
        b.ret(b.insert_value(r, budget, 2, name="exit"))

    def call_refill(self, left, room, kind):
        """Call the runtime's refill (a look) for a site of `kind` (runtime.SITE_*) at
        `room`; stores the budget it gives back, returns why."""
        b = self.b
        # Through the context, not a constant address: LLVM would hoist a constant out of
        # loops into a callee-saved register, saved and restored by every call.
        refill = self.helpers["refill"]
        fn = b.load(U.ctx_field(b, self.ctx, U.CTX_REFILL, "refill.ptr"),
                    typ=refill.function_type.as_pointer(), name="refill.fn")
        r = b.call(fn, [self.ctx, left, room, kind], name="refill", cconv=refill.calling_convention)
        b.store(b.extract_value(r, 1, name="budget.refilled"), self.budget)
        return b.extract_value(r, 0, name="why")

    def back_edge(self, ip: int, tail: bool, prepaid: int):
        """A loop's back-edge (its block's charge was taken, not checked): below zero, the
        runtime refills, or says bail, or EXIT when this is the outermost activation and
        an exit is wanted here (runtime.emit_refill: at a tail call, the slice is over, a
        pause, the run's limit near; at a backward jump only the last two, since the
        interpreter cannot enter native code in the middle of a function and would run
        the rest of the call). Then the interpreter's frame as it stands at `ip` goes into
        the run context (this function's locals, then the compile-time stack) and the body
        returns {EXIT, site, budget}, giving back `prepaid`: ticks charged for
        instructions not run yet. The hot path is one test, as at any other check. (Code
        with effects checks as each block enters instead.)"""
        if self.effects:
            return
        b = self.b
        template, carried = stack_template(self.stack)
        exits = self.func.nlocals + len(carried) <= MAX_EXIT_VALUES
        left = b.load(self.budget, typ=I64, name="budget")
        refill = b.append_basic_block("edge.look")
        go = b.append_basic_block("edge.go")
        U.unlikely(b.cbranch(b.icmp_signed("<", left, i64(0), name="low"), refill, go))
        b.position_at_end(refill)
        kind = SITE_NONE if not exits else SITE_TAIL if tail else SITE_LOOP
        why = self.call_refill(left, self.room, i64(kind))
        if exits:
            out = b.append_basic_block("edge.exit")
            on = b.append_basic_block("edge.on")
            U.unlikely(b.cbranch(b.icmp_unsigned("==", why, i64(EXIT), name="exits"), out, on))
            b.position_at_end(out)
            values = [self.local_value(i) for i in range(self.func.nlocals)] + carried
            self.hand_over(values, ExitSite(self.func, ip, self.func.nlocals, sorted(self.cells), template, tail),
                           prepaid)
            b.position_at_end(on)
        self.exit.leave_if(b, b.icmp_unsigned("!=", why, i64(0)), why, "edge.ok")
        b.branch(go)
        b.position_at_end(go)

    def site_index(self, local: int):
        """The engine-wide index of the unit's site `local`: the unit's base (a global of
        the unit, named after it, set when the unit is loaded) plus `local`, so the IR
        does not depend on how many sites the engine had (vm/jit/cache.py)."""
        name = site_base_name(self.module)
        base = self.module.globals.get(name)
        if base is None:
            base = ir.GlobalVariable(self.module, I64, name)
            base.initializer = i64(0)
        return self.b.add(self.b.load(base, typ=I64, name="site.base"), i64(local), name="site")

    def loop_edge(self, target: int):
        """The back-edge of a backward jump to `target` (the stack already popped to the
        shape `target` expects): the frame of this function at `target`, whose charge, if
        this block paid it ahead, is given back."""
        self.back_edge(target, False, self.plan_blocks[target].prepaid)

    def local_value(self, i: int, known="now") -> Val:
        tag_ptr, bits_ptr = self.locals[i]
        name = self.local_name(i)
        if known == "now":
            known = self.local_types[i]
        tag = i64(known) if known is not None else self.b.load(tag_ptr, typ=I64, name=name + ".tag")
        return Val(tag, self.b.load(bits_ptr, typ=I64, name=name))

    def spill(self):
        """Store the runtime values of the compile-time stack into their slots."""
        for i, v in enumerate(self.stack):
            if type(v) is Val:
                self.b.store(v.tag, self.slots[i][0])
                self.b.store(v.bits, self.slots[i][1])

    def bail_if(self, cond, reason, name: str):
        if self.effects and self.at is not None:
            # (a helper's answer is a value: counted as a guard)
            self.deopt_if(cond, name, reason if isinstance(reason, int) else BAIL_GUARD)
        else:
            self.exit.leave_if(self.b, cond, reason, name)

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
        elif type(v) is Keyword:
            self.push(U.const_keyword(self.module, v))
        else:
            self.push(Static(v))

    def _emit_LoadNil(self, inst):
        self.push(U.NIL)

    def _emit_LoadTrue(self, inst):
        self.push(U.const_bool(True))

    def _emit_LoadFalse(self, inst):
        self.push(U.const_bool(False))

    def _emit_LoadLocal(self, inst):
        self.push(self.local_value(inst.arg))

    def _emit_StoreLocal(self, inst):
        v = self.pop()
        tag_ptr, bits_ptr = self.locals[inst.arg]
        self.b.store(v.tag, tag_ptr)
        self.b.store(v.bits, bits_ptr)
        self.local_types[inst.arg] = static_tag(v)

    # Cells cannot escape a function that makes no closures: a cell slot holds its value.
    _emit_StoreCell = _emit_StoreLocal

    def _emit_MakeCell(self, inst):
        self._emit_StoreLocal(inst)
        self.cells.add(inst.arg)          # (an exit boxes it again, exit_frame)
    _emit_LoadCell = _emit_LoadLocal

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
        if inst.arg <= inst.off:
            self.loop_edge(inst.arg)
        self.b.branch(self.blocks[inst.arg])

    def _emit_JumpIfFalse(self, inst):
        truthy = self.truthy(self.pop())
        self.spill()
        self.b.cbranch(truthy, self.blocks[inst.nxt], self.jump_target(inst.arg, inst.off))

    def _emit_JumpIfTrue(self, inst):
        truthy = self.truthy(self.pop())
        self.spill()
        self.b.cbranch(truthy, self.jump_target(inst.arg, inst.off), self.blocks[inst.nxt])

    def jump_target(self, target: int, off: int):
        """The block a conditional jump goes to; backward, through its back-edge check."""
        if target > off:
            return self.blocks[target]
        b = self.b
        here = b.block
        edge = b.append_basic_block(f"back.{target}")
        b.position_at_end(edge)
        self.loop_edge(target)
        b.branch(self.blocks[target])
        b.position_at_end(here)
        return edge

    def _emit_Return(self, inst):
        self.ret(self.pop())

    def _emit_Exit(self, inst):
        """A loop piece (vm/jit/piece.py) leaves the loop for the interpreter at `inst.arg`
        (relative to the loop's header): the ticks taken so far are checked (below zero,
        the refill may bail: the interpreter then runs the whole loop again, as after any
        bail), then the piece's variables and the stack go into the run context, as at
        an exit at a back-edge, and the body returns {EXIT, site, budget}. Everything
        charged has run: an Exit block charges nothing and follows a branch or a jump.
        (With effects every block checked its charge as it entered.)"""
        if not self.checked:
            self.charge(0)
        values = [self.local_value(i) for i in range(self.func.nlocals)] + list(self.stack)
        if len(values) > MAX_EXIT_VALUES:      # (the piece is rejected: vm/jit/compiler.py compile)
            raise ValueError(f"a loop exit would carry {len(values)} values (at most {MAX_EXIT_VALUES})")
        self.hand_over(values, ExitSite(self.func, inst.arg, self.func.nlocals, (), [None] * len(self.stack), False), 0)

    def ret(self, v: Val):
        b = self.b
        if self.acc is not None:
            acc = Val(i64(TAG_INT), b.load(self.acc, typ=I64, name="acc"))
            if static_tag(v) == TAG_INT:
                v = Val(v.tag, self.int_arith("add", v.bits, acc.bits))
            else:
                v = self.arith("add", v, acc)
        if not self.checked:    # (with effects, every block checked its charge as it entered)
            self.charge(0)      # the ticks taken since the last check, checked
        r = b.insert_value(ir.Constant(RET, ir.Undefined), v.tag, 0)
        r = b.insert_value(r, v.bits, 1)
        b.ret(b.insert_value(r, b.load(self.budget, typ=I64, name="budget.out"), 2, name="result"))

    def _emit_Call(self, inst):
        args = self.pop_args(inst.arg)
        callee = self.pop()
        if callee.is_native:
            self.push(self.native_call(callee.target, args))
        else:
            self.push(self.call_compiled(callee, args))
            self.stored = {}            # (the callee may have assigned a captured variable)

    def _emit_TailCall(self, inst):
        """Self tail call: new parameters, back to op.0 (a loop). Same arity: musttail,
        so mutual tail recursion runs in constant native stack. Otherwise call and return.
        A compiled callee's tail call is a back-edge (it may exit: the interpreter then
        makes the callee's frame)."""
        if not self.stack[-inst.arg - 1].is_native:
            # The exit hands over the frame before the TailCall (which the interpreter then
            # runs, entering native code again), so it gives back the TailCall's tick.
            self.back_edge(inst.off, True, 1)
        args = self.pop_args(inst.arg)
        callee = self.pop()
        b = self.b
        target = callee.target
        if callee.is_native:
            self.ret(self.native_call(target, args))
        elif target is self.func:
            if self.env is not None:
                b.store(self.closure_of(callee), self.env)
            self.store_params(self.speculate(args))
            b.branch(self.blocks[0])
        elif self.effects:
            # (a bail of the callee must not re-run this call: made as a call, see call_body)
            self.ret(self.call_compiled(callee, args))
        elif body_arity(target) == body_arity(self.func):
            b.ret(b.call(self.symbols[target], self.call_args(self.room, args, callee), name="tail",
                         tail="musttail"))
        else:
            b.ret(self.call_body(callee, args))

    def native_call(self, target, args) -> Val:
        """A primitive: translated inline (vm/jit/natives.py), or called (call_primitive)."""
        from vm.jit.natives import NATIVE_EMITTERS
        emit = NATIVE_EMITTERS.get(target.name)
        return emit(self, args) if emit is not None else self.call_primitive(target, args)

    def hold_gil(self):
        """From here on this native call holds the GIL: take it back if a look released it,
        and make every later look keep it (the context's `hold`, runtime.emit_refill)."""
        b = self.b
        ctx = self.ctx
        ts_ptr = U.ctx_field(b, ctx, U.CTX_TSTATE, "tstate.ptr")
        ts = b.load(ts_ptr, typ=U.PTR, name="tstate")
        with b.if_then(b.icmp_unsigned("!=", ts, ir.Constant(U.PTR, None)), likely=False):
            b.call(api(self.module, "PyEval_RestoreThread"), [ts])
            b.store(ir.Constant(U.PTR, None), ts_ptr)
        b.store(i64(1), U.ctx_field(b, ctx, U.CTX_HOLD, "hold.ptr"))

    def call_primitive(self, target, args) -> Val:
        """Call a pure primitive (analyse.CALLED_NAMES) through the C API, as the
        interpreter calls it: fn(vm, *args), the arguments boxed. An error (the primitive
        raised) or a result compiled code does not hold bails, before anything changed;
        the interpreter then makes the call."""
        b = self.b
        r = self.call_python(target, args)
        other = b.function.append_basic_block("result.other")
        with b.goto_block(other):
            b.call(api(self.module, "Py_DecRef"), [r])
            self.deopt_here(BAIL_GUARD)
        v = unbox(self.module, b, r, self.overflow, other, "r")
        # (numbers were copied out; True, False, None and keywords live on)
        b.call(api(self.module, "Py_DecRef"), [r])
        return v

    def array_push(self, args) -> Val:
        """(push arr v) on an @array the code holds: the primitive itself, through the C
        API, which charges the heap budget and refuses (raises) before it changes anything;
        then this code hands over (or bails) and the interpreter makes the call. An
        immutable array (push makes a new one) leaves before the call."""
        from vm.primitives import PRIMITIVES
        arr = args[0]
        b = self.b
        mutable = self.field(arr.bits, offset("array.mutable"), "mutable")
        self.bail_if(b.icmp_unsigned("!=", mutable, U.declare_global(self.module, "_Py_TrueStruct")),
                     BAIL_GUARD, "mutable")
        r = self.call_python(PRIMITIVES["push"], args)
        b.call(api(self.module, "Py_DecRef"), [r])      # (the array itself)
        return arr

    def call_python(self, target, args):
        """A new reference to what fn(vm, *args) of primitive `target` returns; an error
        (or no memory to box an argument) bails before anything changed. The function is
        an external symbol bound to the process's primitive (so the IR, the code cache's
        key, holds no address)."""
        import llvmlite.binding as llvm

        from vm.jit.code import SHARED_VM
        b = self.b
        module = self.module
        name = "vmjit_prim_" + target.name.encode().hex()
        if module.globals.get(name) is None:
            llvm.add_symbol(name, id(target.fn))
        fn_obj = U.declare_global(module, name)
        self.hold_gil()
        shared = b.load(U.ctx_field(b, self.ctx, U.CTX_FLAG, "shared.ptr"), typ=U.PTR, name="shared")
        vm_obj = b.load(b.gep(shared, [i64(SHARED_VM)], source_etype=I64, name="vm.ptr"), typ=U.PTR, name="vm")
        with b.goto_entry_block():
            argv = U.opaque_alloca(b, ir.ArrayType(U.PTR, len(args) + 1), "argv")
        slots = [b.gep(argv, [i64(0), ir.Constant(U.I32, k)], source_etype=ir.ArrayType(U.PTR, len(args) + 1))
                 for k in range(len(args) + 1)]
        b.store(vm_obj, slots[0])
        boxed = []
        decref = api(module, "Py_DecRef")
        for k, a in enumerate(args):
            obj = box(module, b, a)
            missing = b.icmp_unsigned("==", obj, ir.Constant(U.PTR, None), name="no.memory")
            with b.if_then(missing, likely=False):
                b.call(api(module, "PyErr_Clear"), [])
                for done in boxed:
                    b.call(decref, [done])
            self.bail_if(missing, BAIL_GUARD, "boxed")
            b.store(obj, slots[k + 1])
            boxed.append(obj)
        r = b.call(api(module, "PyObject_Vectorcall"),
                   [fn_obj, argv, i64(len(args) + 1), ir.Constant(U.PTR, None)], name="prim." + target.name[:20])
        for obj in boxed:
            b.call(decref, [obj])
        failed = b.icmp_unsigned("==", r, ir.Constant(U.PTR, None), name="raised")
        with b.if_then(failed, likely=False):
            b.call(api(module, "PyErr_Clear"), [])
        self.bail_if(failed, BAIL_GUARD, "returned")
        return r

    def pop_args(self, n: int) -> list:
        args = self.stack[len(self.stack) - n:]
        del self.stack[len(self.stack) - n:]
        return args

    def call_args(self, room, args, callee):
        """The body's arguments: context, budget, room, the values, and for a function that
        captures, its closure (from the global the callee was loaded from)."""
        out = [self.ctx, self.b.load(self.budget, typ=I64, name="budget.pass"), room]
        for a in args:
            out += [a.tag, a.bits]
        if callee.target.captures:
            out += [i64(TAG_CLOSURE), self.closure_of(callee)]
        return out

    def closure_of(self, callee):
        """The closure a global holds (as an i64): the one the callee was loaded from. It is
        the one the code was compiled for (the guards checked at entry) and cannot change
        while it runs (an immutable global, defined once: analyse.resolver_for)."""
        from vm.jit.code import SHARED_GLOBALS
        b = self.b
        shared = b.load(U.ctx_field(b, self.ctx, U.CTX_FLAG, "shared.ptr"), typ=U.PTR, name="shared")
        table = b.load(b.gep(shared, [i64(SHARED_GLOBALS)], source_etype=I64, name="globals.ptr"),
                       typ=U.PTR, name="globals")
        vector = self.field(table, offset("list.items"), "globals.vector")
        slot = b.gep(vector, [i64(callee.global_index)], source_etype=U.PTR, name="global.ptr")
        return b.ptrtoint(b.load(slot, typ=U.PTR, name="closure.obj"), I64)

    def call_body(self, callee, args):
        """Call a compiled body one level deeper (bail where the VM would overflow).

        With effects, a callee that bails (it has none: vm/jit/compiler.py plan_unit) has
        done nothing the interpreter would not redo: this function hands its frame over at
        the call, whose ticks are not charged. The callee may have moved ticks from the
        reserve into its own budget register, or started slow mode, before it bailed, so
        what was left before the call is worked out from the context, not the register."""
        b = self.b
        target = callee.target
        self.bail_if(b.icmp_signed("<=", self.room, i64(0), name="too.deep"), BAIL_DEPTH, "call")
        deeper = b.sub(self.room, i64(1), name="room.in")
        if self.effects:
            ctx = self.ctx
            before = b.add(b.load(self.budget, typ=I64, name="budget.before"),
                           b.add(b.load(U.ctx_field(b, ctx, U.CTX_RESERVE, "reserve.ptr"), typ=I64),
                                 b.load(U.ctx_field(b, ctx, U.CTX_BIAS, "bias.ptr"), typ=I64)),
                           name="left.before")
        r = b.call(self.symbols[target], self.call_args(deeper, args, callee), name=f"r.{target.name}"[:40])
        if self.effects:
            tag = b.extract_value(r, 0, name="r.tag")
            self.exit.leave_if(b, b.icmp_unsigned("==", tag, i64(BAIL_SIGNAL)), tag, "no.signal")
            failed = b.append_basic_block("callee.bailed")
            cont = b.append_basic_block("callee.ok")
            U.unlikely(b.cbranch(U.is_bail(b, tag), failed, cont))
            b.position_at_end(failed)
            now = b.add(b.load(U.ctx_field(b, ctx, U.CTX_RESERVE, "reserve.ptr"), typ=I64),
                        b.load(U.ctx_field(b, ctx, U.CTX_BIAS, "bias.ptr"), typ=I64), name="outside.now")
            b.store(b.sub(before, now, name="budget.at.call"), self.budget)
            self.deopt(BAIL_GUARD)
            b.position_at_end(cont)
        b.store(b.extract_value(r, 2, name="budget.back"), self.budget)
        return r

    def call_compiled(self, callee, args) -> Val:
        """A native call whose bail-out propagates. A call of this function itself returns
        the type the analysis proved (Plan.self_return), so its tag is a constant."""
        target = callee.target
        v = self.unpack(self.call_body(callee, args))
        if target is self.func and self.plan.self_return is not None:
            return Val(i64(self.plan.self_return), v.bits)
        return v

    def unpack(self, r) -> Val:
        """The Val of a body's or helper's result, leaving through the exit if it is a bail."""
        b = self.b
        tag = b.extract_value(r, 0, name="r.tag")
        self.bail_if(U.is_bail(b, tag), tag, "ok")
        return Val(tag, b.extract_value(r, 1, name="r"))

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
        # Compiled code holds only numbers, booleans, nil, keywords and arrays where it
        # knows it does (TAG_ARRAY): never a symbol, pair or struct.
        self.pop()
        self.push(U.const_bool(False))

    _emit_IsSymbol = _emit_IsPair = _always_false

    def _emit_IsStruct(self, inst):
        self.push(U.const_bool(static_tag(self.pop()) == TAG_STRUCT))

    def _emit_IsArray(self, inst):
        self.push(U.const_bool(static_tag(self.pop()) == TAG_ARRAY))

    # -- captured variables (the closure is self.env; offsets: vm/jit/layout.py) -----

    def capture(self, i: int):
        """The pointer the closure's captures list holds at `i` (a value or a Cell)."""
        b = self.b
        closure = b.load(self.env, typ=I64, name="closure")
        captures = self.field(closure, offset("closure.captures"), "captures")
        vector = self.field(captures, offset("list.items"), "captures.vector")
        return b.load(b.gep(vector, [i64(i)], source_etype=U.PTR, name="capture.ptr"), typ=U.PTR, name="capture")

    def read_object(self, obj, what: str) -> Val:
        """The value of a Python object compiled code holds (a number, boolean, nil or
        keyword); anything else leaves (a bail, or with effects a hand-over)."""
        b = self.b
        other = b.function.append_basic_block(what + ".other")
        with b.goto_block(other):
            self.deopt_here(BAIL_GUARD)
        return unbox(self.module, b, obj, self.overflow, other, what)

    def _emit_LoadCapture(self, inst):
        self.push(self.read_object(self.capture(inst.arg), "captured"))

    def _emit_LoadCaptureCell(self, inst):
        known = self.stored.get(inst.arg)
        if known is not None:           # (what this block stored: analyse.is_leaf relies on it)
            self.push(known)
            return
        cell = self.capture(inst.arg)
        self.push(self.read_object(self.field(cell, offset("cell.value"), "cell.value"), "cell"))

    def _emit_StoreCaptureCell(self, inst):
        """Assign a captured variable: box the value (running out of memory leaves before
        anything changed), then swap it into the cell and release the old one."""
        v = self.pop()
        b = self.b
        self.hold_gil()
        obj = self.box(v)
        failed = b.icmp_unsigned("==", obj, ir.Constant(U.PTR, None), name="no.memory")
        with b.if_then(failed, likely=False):
            b.call(api(self.module, "PyErr_Clear"), [])
        self.bail_if(failed, BAIL_GUARD, "boxed")
        cell = self.capture(inst.arg)
        slot = b.gep(cell, [i64(offset("cell.value"))], source_etype=U.I8, name="cell.slot")
        old = b.load(slot, typ=U.PTR, name="old")
        b.store(obj, slot)
        b.call(api(self.module, "Py_DecRef"), [old])
        self.stored[inst.arg] = v

    # -- arrays (vm/jit/code.py TAG_ARRAY; the offsets: vm/jit/layout.py) ------------

    def field(self, address, offset: int, name: str, typ=U.PTR):
        """The word at `address` + `offset` (address an i64 or a pointer)."""
        b = self.b
        if address.type == I64:
            address = b.inttoptr(address, U.PTR)
        return b.load(b.gep(address, [i64(offset)], source_etype=U.I8, name=name + ".ptr"), typ=typ, name=name)

    def array_items(self, arr: Val):
        """(the items list, its length) of a TAG_ARRAY value."""
        items = self.field(arr.bits, offset("array.items"), "items")
        return items, self.field(items, offset("list.size"), "length", I64)

    def element_slot(self, items, index):
        b = self.b
        vector = self.field(items, offset("list.items"), "vector")
        return b.gep(vector, [index], source_etype=U.PTR, name="element.ptr")

    def resolve_index(self, key: Val, n):
        """(position, in range) of an integer key: negative counts from the end, as
        vm/primitives/collections.py resolve_index. A key that is not an integer leaves
        (the interpreter raises the error)."""
        from vm.jit.natives import guard_int
        b = self.b
        k = guard_int(self, key).bits
        i = b.select(b.icmp_signed("<", k, i64(0)), b.add(k, n), k, name="index")
        return i, b.icmp_unsigned("<", i, n, name="in.range")      # (negative: huge unsigned)

    def _emit_Length(self, inst):
        coll = self.pop()
        if static_tag(coll) == TAG_STRUCT:
            table = self.field(coll.bits, offset("struct.d"), "table")
            self.push(Val(i64(TAG_INT), self.b.call(api(self.module, "PyDict_Size"), [table], name="size")))
            return
        _, n = self.array_items(coll)
        self.push(Val(i64(TAG_INT), n))

    def struct_get(self, coll: Val, key: Val) -> Val:
        """The value under a keyword or integer key (Struct.d holds them as themselves:
        vm/values.py hash_key), nil when missing; looked up as the interpreter does (the
        dict's own hashing and equality, so with the GIL); a value compiled code does not
        hold leaves."""
        b = self.b
        module = self.module
        known = static_tag(key)
        if known is None:
            self.bail_if(b.and_(b.icmp_unsigned("!=", key.tag, i64(TAG_KW)),
                                b.icmp_unsigned("!=", key.tag, i64(TAG_INT))), BAIL_GUARD, "key.kind")
        self.hold_gil()
        table = self.field(coll.bits, offset("struct.d"), "table")
        obj = box(module, b, key)
        missing = b.icmp_unsigned("==", obj, ir.Constant(U.PTR, None), name="no.memory")
        with b.if_then(missing, likely=False):
            b.call(api(module, "PyErr_Clear"), [])
        self.bail_if(missing, BAIL_GUARD, "key.boxed")
        found = b.call(api(module, "PyDict_GetItemWithError"), [table, obj], name="found")
        b.call(api(module, "Py_DecRef"), [obj])
        absent = b.icmp_unsigned("==", found, ir.Constant(U.PTR, None), name="absent")
        failed = b.and_(absent, b.icmp_unsigned("!=", b.call(api(module, "PyErr_Occurred"), []),
                                                ir.Constant(U.PTR, None)), name="lookup.failed")
        with b.if_then(failed, likely=False):
            b.call(api(module, "PyErr_Clear"), [])
        self.bail_if(failed, BAIL_GUARD, "looked.up")
        fn = b.function
        inside = fn.append_basic_block("struct.found")
        done = fn.append_basic_block("struct.done")
        before = b.block
        b.cbranch(absent, done, inside)
        b.position_at_end(inside)
        return self.or_nil(self.read_object(found, "field"), before, done)

    def or_nil(self, v: Val, missing, done) -> Val:
        """At `done`, reached from `missing` (the block that found nothing) or from here
        with `v`: nil or `v`."""
        b = self.b
        got = b.block
        b.branch(done)
        b.position_at_end(done)
        tag = b.phi(I64, name="got.tag")
        bits = b.phi(I64, name="got")
        tag.add_incoming(i64(TAG_NIL), missing)
        bits.add_incoming(i64(0), missing)
        tag.add_incoming(v.tag, got)
        bits.add_incoming(v.bits, got)
        return Val(tag, bits)

    def _emit_Get(self, inst):
        """Element k of an array, nil when k is out of range; an element compiled code does
        not hold (a string, a collection, a big integer) leaves for the interpreter."""
        key = self.pop()
        coll = self.pop()
        if static_tag(coll) == TAG_STRUCT:
            self.push(self.struct_get(coll, key))
            return
        items, n = self.array_items(coll)
        i, ok = self.resolve_index(key, n)
        b = self.b
        fn = b.function
        inside = fn.append_basic_block("get.in")
        done = fn.append_basic_block("get.done")
        before = b.block
        b.cbranch(ok, inside, done)
        b.position_at_end(inside)
        obj = b.load(self.element_slot(items, i), typ=U.PTR, name="element")
        guard = fn.append_basic_block("get.other")
        with b.goto_block(guard):
            self.deopt_here(BAIL_GUARD)
        self.push(self.or_nil(unbox(self.module, b, obj, self.overflow, guard, "e"), before, done))

    def deopt_here(self, reason):
        """Leave from the current (empty) block: a hand-over with effects, else a bail."""
        if self.effects and self.at is not None:
            self.deopt(reason)
        else:
            self.exit.leave_if(self.b, U.TRUE, reason, "left")
            self.b.unreachable()

    def put(self, args) -> Val:
        """(put arr k v) on an array the code holds: in place for an @array. Everything is
        checked before anything changes (an immutable array, a key that is not an integer
        or out of range leave for the interpreter, which makes the new array or raises)."""
        arr, key, value = args
        b = self.b
        mutable = self.field(arr.bits, offset("array.mutable"), "mutable")
        self.bail_if(b.icmp_unsigned("!=", mutable, U.declare_global(self.module, "_Py_TrueStruct")),
                     BAIL_GUARD, "mutable")
        items, n = self.array_items(arr)
        i, ok = self.resolve_index(key, n)
        self.bail_if(b.not_(ok), BAIL_GUARD, "put.index")
        obj = self.box(value)
        failed = b.icmp_unsigned("==", obj, ir.Constant(U.PTR, None), name="no.memory")
        with b.if_then(failed, likely=False):
            b.call(api(self.module, "PyErr_Clear"), [])
        self.bail_if(failed, BAIL_GUARD, "boxed")
        slot = self.element_slot(items, i)
        old = b.load(slot, typ=U.PTR, name="old")
        b.store(obj, slot)
        b.call(api(self.module, "Py_DecRef"), [old])
        return arr

    def box(self, v: Val):
        """A new reference to the Python value of `v` (NULL if memory ran out)."""
        known = static_tag(v)
        if known == TAG_INT:
            return self.b.call(api(self.module, "PyLong_FromLongLong"), [v.bits], name="int.obj")
        return box(self.module, self.b, v)

    # -- tier 1: integer case inline, the rest in the runtime's helpers ------------

    def fast_or_helper(self, name: str, x: Val, y: Val, int_fn) -> Val:
        """int_fn(a, b) -> Val when both are integers, else the runtime helper `name`."""
        b = self.b
        yes, no, done = self.split(name, self.both_int(x, y))
        b.position_at_end(yes)
        fast = int_fn(x.bits, y.bits)
        fend = b.block
        b.branch(done)
        b.position_at_end(no)
        slow = self.unpack(b.call(self.helpers[name], [x.tag, x.bits, y.tag, y.bits], name=f"{name}.slow"))
        send = b.block
        b.branch(done)
        return self.join(done, name, [(fast, fend), (slow, send)])

    def arith(self, op, x, y):
        if not self.compact or self.known_types(x, y) != "dynamic":
            return super().arith(op, x, y)
        return self.fast_or_helper(op, x, y, lambda a, c: Val(i64(TAG_INT), self.int_arith(op, a, c)))

    def divide(self, x, y):
        if not self.compact or self.known_types(x, y) != "dynamic":
            return super().divide(x, y)
        return self.fast_or_helper("div", x, y, lambda a, c: Val(i64(TAG_INT), self.int_divide(a, c)))

    def remainder(self, x, y):
        if not self.compact or self.known_types(x, y) != "dynamic":
            return super().remainder(x, y)
        return self.fast_or_helper("rem", x, y, lambda a, c: Val(i64(TAG_INT), self.int_remainder(a, c)))

    def compare(self, op, x, y):
        if not self.compact or op not in CMP_HELPER or self.known_types(x, y) != "dynamic":
            return super().compare(op, x, y)
        v = self.fast_or_helper(CMP_HELPER[op], x, y,
                                lambda a, c: U.bool_val(self.b, self.b.icmp_signed(op, a, c)))
        return self.b.trunc(v.bits, U.I1, name="cmp")

    def equal(self, x, y):
        if not self.compact or (static_tag(x) is not None and static_tag(y) is not None):
            return super().equal(x, y)
        v = self.fast_or_helper("eq", x, y, lambda a, c: U.bool_val(self.b, self.b.icmp_signed("==", a, c)))
        return self.b.trunc(v.bits, U.I1, name="eq")

