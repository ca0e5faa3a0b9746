"""Before any IR: decide whether a function can be compiled; find its blocks and static types.

A function compiles when every reachable instruction is one the translator handles and
every value it touches is a number, a boolean, nil or a keyword, except for callees known
when compiling (a closure bound to an immutable global, or a primitive loaded as a
constant), which may only be called, and arrays passed in as arguments (TAG_ARRAY in
vm/jit/code.py), which it may read (`get`, `length`), change (`put`: the function then
has effects, see Plan), keep in variables, test and return. Anything else is a Reject
with a reason in the user's words.

The flow analysis also infers, for each block entry, the type tag of every stack slot
and local that is the same on every path (None where it varies): constants, arithmetic
on known integers (an overflow bails, so the result stays an integer), comparisons, and
parameters the engine speculates on (checked at entry; a mismatch bails). The
translator then emits only the integer path where both operands are known integers.
"""

from __future__ import annotations

import sys
import weakref

from vm.bytecode import iter_instructions
from vm.fiber import Closure
from vm.jit.code import TAG_ARRAY, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_KW, TAG_NIL, TAG_STRUCT, fits_i64
from vm.signals import SIG_ERROR, SIG_YIELD
from vm.values import Array, Keyword, Native, Struct, preview, type_name

# The primitives vm/jit/natives.py translates inline (NATIVE_EMITTERS there, which checks
# it has exactly these). Named here so deciding what compiles needs no llvmlite.
NATIVE_NAMES = frozenset((
    "+", "-", "*", "/", "rem", "mod", "abs", "inc", "dec", "min", "max",
    "<", ">", "<=", ">=", "=", "not=", "not", "int", "float",
    "int?", "float?", "number?", "boolean?", "nil?",
    "bit/and", "bit/or", "bit/xor", "bit/not", "bit/shl", "bit/shr", "put", "push"))
# Pure primitives compiled code calls through the C API (translate.py call_primitive): they
# take and give numbers, booleans, nil or keywords, allocate nothing the heap budget counts
# and do not depend on identity. Any other result (or an error) bails.
CALLED_NAMES = frozenset((
    "sqrt", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
    "exp", "exp2", "log", "log10", "log2", "pow", "floor", "ceil", "round", "trunc", "fmod",
    "pi", "e", "inf", "-inf", "+inf", "nan", "f32-bits", "f32-from-bits",
    "even?", "odd?", "zero?", "pos?", "neg?", "positive?", "negative?", "nonzero?", "nan?", "inf?",
    "infinite?", "integer?", "bool?", "keyword?", "string?", "symbol?", "array?", "struct?", "set?",
    "fn?", "closure?", "list?", "pair?", "tuple?", "table?", "callable?", "fiber?", "compare")) | frozenset(
    "math/" + n for n in ("sqrt", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh",
                          "cosh", "tanh", "exp", "exp2", "log", "log10", "log2", "pow", "floor", "ceil",
                          "round", "trunc", "fmod", "pi", "e", "inf", "-inf", "nan", "f32-bits",
                          "f32-from-bits"))
# Translated primitives that change something (an array's element): code that calls one
# has effects (Plan.effects).
EFFECT_NAMES = frozenset(("put", "push"))

# Larger functions are not worth a compile (and keep block fuel charges small).
MAX_INSTRUCTIONS = 4000

# Opcodes the translator handles; everything else is rejected with a reason below.
SUPPORTED = {
    "LoadConst", "LoadNil", "LoadTrue", "LoadFalse", "LoadLocal", "StoreLocal", "LoadGlobal",
    "Dup", "Pop", "Call", "TailCall", "Return", "Jump", "JumpIfFalse", "JumpIfTrue",
    "Add", "AddInt", "Sub", "Mul", "Div", "Rem", "Eq", "Lt", "Gt", "Le", "Ge",
    "Not", "IsNil", "IsSymbol", "IsArray", "IsPair", "IsStruct",
    "MakeCell", "LoadCell", "StoreCell", "Get", "Length",
    "LoadCapture", "LoadCaptureCell", "StoreCaptureCell",
}
UNARY = {"Not", "IsNil", "IsSymbol", "IsArray", "IsPair", "IsStruct", "AddInt"}
BINARY = {"Add", "Sub", "Mul", "Div", "Rem", "Eq", "Lt", "Gt", "Le", "Ge"}
TERMINATORS = {"Jump", "Return", "TailCall", "Exit"}
BRANCHES = {"JumpIfFalse", "JumpIfTrue"}
ARITH_OPS = {"Add", "Sub", "Mul", "Div", "Rem"}
# The type of a translated primitive's result, where it does not depend on the arguments.
NATIVE_RESULT_TYPES = {name: TAG_BOOL for name in (
    "<", ">", "<=", ">=", "=", "not=", "not", "int?", "float?", "number?", "boolean?", "nil?")}
NATIVE_RESULT_TYPES.update({"int": TAG_INT, "float": TAG_FLOAT})

UNSUPPORTED_REASONS = {
    "MakeClosure": "creates closures",
    "StoreGlobal": "assigns a global",
}


class Mixed:
    """A stack entry that is an array on one path and something else on another (the
    result of `(if c (push a x))`): it may only be dropped (Pop) or handed over (an exit
    carries its runtime tag); any other use is rejected."""

    def __repr__(self) -> str:
        return "MIXED"


MIXED = Mixed()


class Reject(Exception):
    """The function cannot be compiled; the message is the recorded reason."""


class Static:
    """A stack entry known when compiling: a closure of an immutable global, or a primitive."""

    __slots__ = ("target", "global_index")

    def __init__(self, target, global_index=None):
        self.target = target              # CompiledFunction or Native
        self.global_index = global_index  # where a closure came from (guarded at entry)

    @property
    def is_native(self) -> bool:
        return type(self.target) is Native

    def __eq__(self, other):
        return type(other) is Static and other.target is self.target

    def __hash__(self):
        return id(self.target)


class Inst:
    """One decoded instruction: name, resolved operand, offsets."""

    __slots__ = ("off", "name", "arg", "nxt")

    def __init__(self, off, name, arg, nxt):
        self.off, self.name, self.arg, self.nxt = off, name, arg, nxt


class Block:
    """A basic block: instructions from a leader to a terminator or the next leader."""

    __slots__ = ("start", "insts", "shape", "local_types", "charge", "prepaid", "cells")

    def __init__(self, start, insts, shape, local_types, cells=frozenset()):
        self.start = start              # byte offset of the first instruction
        self.insts = insts              # [Inst]
        self.shape = shape              # stack on entry: per slot a type tag, None (any) or Static
        self.local_types = local_types  # per local slot on entry: a type tag or None (any)
        self.charge = 0                 # ticks taken on entry (see fold_charges)
        self.prepaid = 0                # ticks of this block (and its own prepaid) its predecessors take
        self.cells = cells              # local slots holding cells on entry (MakeCell ran)


class Plan:
    """What the translator needs: blocks in offset order, callees, guards, stack size.

    `effects`: None, or the function changes something outside its frame (`put`, an
    assignment to a captured variable). Re-running a call of it would repeat the change.
    "leaf": one block without calls, with a single change after which nothing can bail (a
    counter closure): a bail re-runs it as before, since nothing has changed yet, so other
    compiled code may call it (the caller is then "deopt"). "deopt": it never bails;
    wherever it cannot go on it hands its frame, as it stands before that instruction, to
    the interpreter (an exit; translate.py deopt); a callee's bail hands it over at the
    call; only the interpreter calls it (vm/jit/compiler.py plan_unit). Either way each
    block checks its own ticks as it enters (no running on credit)."""

    def __init__(self, func, param_types):
        self.func = func
        self.param_types = param_types   # speculated tag per parameter (None: any), checked at entry
        self.blocks: list[Block] = []
        self.global_fns: dict = {}       # global index -> CompiledFunction of the closure it holds
        self.global_consts: dict = {}    # global index -> constant value read
        self.max_stack = 0
        self.self_return = None          # the type tag its own calls return (None: not known)
        self.effects = None              # None, "leaf" or "deopt" (see above)
        self.flow = None                 # (insts, shapes, local types, cells) of the analysis

    @property
    def callees(self) -> set:
        return set(self.global_fns.values())


def analyse(func, resolve_global, param_types=None) -> Plan:
    """Check `func` and lay out its blocks; raises Reject with the reason.

    `resolve_global(index)` returns ("fn", Closure) or ("const", value), or raises Reject.
    `param_types`: a type tag (or None) per parameter to speculate on."""
    check_signature(func)
    insts = decode(func)
    param_types = tuple(param_types or (None,) * func.nparams)
    shapes, local_types, cells = flow(func, insts, resolve_global, param_types)
    plan = Plan(func, param_types)
    # What a call of this function from itself returns. Assume one type for those calls
    # and flow again: if every return then has that type, the assumption holds (by
    # induction on the depth of the call: arguments are checked against param_types at
    # entry, and a call either bails or returns what every return returns), so the code
    # after a self call knows its result's type (fib: an int, so no tag test at the +).
    returned = return_types(insts, shapes)
    if len(returned - {None}) == 1:
        assumed = next(iter(returned - {None}))
        again = flow(func, insts, resolve_global, param_types, assumed)
        if return_types(insts, again[0]) == {assumed}:
            shapes, local_types, cells = again
            plan.self_return = assumed
    plan.max_stack = max((len(s) for s in shapes.values()), default=0) + 1
    plan.effects = effects_of(func, insts, shapes)
    plan.flow = (insts, shapes, local_types, cells)
    plan.blocks = split_blocks(insts, shapes, local_types, cells, fold=plan.effects is None)
    for inst in insts.values():
        if inst.name == "LoadGlobal" and inst.off in shapes:
            kind, value = resolve_global(inst.arg)
            if kind == "const":
                plan.global_consts[inst.arg] = value
            else:
                plan.global_fns[inst.arg] = value.func
    return plan


# What may follow the one change of a "leaf" (see Plan): nothing that can bail.
SAFE_AFTER_CHANGE = frozenset(("LoadLocal", "LoadConst", "LoadNil", "LoadTrue", "LoadFalse", "Pop",
                               "Dup", "StoreLocal", "Return"))


def effects_of(func, insts: dict, shapes: dict):
    """Plan.effects of the function (None, "leaf" or "deopt"); a "deopt" function may call
    compiled functions without effects, and itself only in a tail call (a loop: a nested
    call of itself would have effects)."""
    reached = sorted(off for off in insts if off in shapes)
    changes = [off for off in reached if insts[off].name == "StoreCaptureCell"
               or (insts[off].name in ("Call", "TailCall") and is_effect_call(insts[off], shapes[off]))]
    if not changes:
        return None
    if is_leaf(insts, shapes, reached, changes):
        return "leaf"
    return make_deopt(func, insts, shapes)


def is_effect_call(inst, shape) -> bool:
    c = shape[-inst.arg - 1]
    return type(c) is Static and c.is_native and c.target.name in EFFECT_NAMES


def is_leaf(insts, shapes, reached, changes) -> bool:
    if len(changes) != 1:
        return False
    for off in reached:
        name = insts[off].name
        if name in BRANCHES or name in ("Jump", "TailCall", "Exit"):
            return False
        if name == "Call" and not shapes[off][-insts[off].arg - 1].is_native:
            return False
    change = insts[changes[0]]
    for off in reached:
        inst = insts[off]
        if off <= change.off or inst.name in SAFE_AFTER_CHANGE:
            continue
        # Reading back the captured variable it assigned: the value it stored (translate.py).
        if not (inst.name == "LoadCaptureCell" and change.name == "StoreCaptureCell" and inst.arg == change.arg):
            return False
    return True


def make_deopt(func, insts: dict, shapes: dict) -> str:
    for off, inst in insts.items():
        if inst.name == "Call" and off in shapes:
            c = shapes[off][-inst.arg - 1]
            if not c.is_native and c.target is func:
                raise Reject("changes something outside its frame and calls itself (not as a tail call)")
    return "deopt"


def become_deopt(plan):
    """The function calls a "leaf" (Plan.effects): it must not bail after such a call, so
    it is translated as "deopt" (raises Reject if it cannot be)."""
    insts, shapes, local_types, cells = plan.flow
    plan.effects = make_deopt(plan.func, insts, shapes)
    plan.blocks = split_blocks(insts, shapes, local_types, cells, fold=False)


def check_signature(func):
    if func.rest or func.nopt:
        raise Reject("takes &opt or & rest parameters")
    if func.cell_params:
        raise Reject("shares a parameter with a closure (cells)")
    if func.captures:
        need_arrays()       # (the captures' layout is found with the arrays')


def decode(func) -> dict:
    """offset -> Inst for every instruction; rejects unsupported opcodes up front. A loop
    compiled on its own (vm/jit/piece.py) brings its instructions already decoded."""
    made = getattr(func, "piece_insts", None)
    if made is not None:
        return dict(made)
    insts = {}
    for off, info, ops, nxt in iter_instructions(func.code):
        name = info.name
        if name not in SUPPORTED:
            raise Reject(unsupported_reason(name, ops))
        arg = ops[0] if ops else None
        if info.operands and info.operands[0] == "const":
            arg = func.constants[arg]
        elif info.operands and info.operands[0] == "jump":
            arg = nxt + arg
        insts[off] = Inst(off, name, arg, nxt)
    if len(insts) > MAX_INSTRUCTIONS:
        raise Reject(f"is too large ({len(insts)} instructions; the JIT takes up to {MAX_INSTRUCTIONS})")
    return insts


def unsupported_reason(name: str, ops) -> str:
    if name in ("Emit", "EmitWide"):
        bits = ops[0] if name == "Emit" else None
        if bits == SIG_YIELD:
            return "yields (emits :yield)"
        if bits == SIG_ERROR:
            return "raises an error (emits :error)"
        return "emits a signal"
    if name in UNSUPPORTED_REASONS:
        return UNSUPPORTED_REASONS[name]
    if name.startswith("Make") or name in ("First", "Rest"):
        return f"works on collections ({name})"
    return f"uses {name}, which the JIT does not translate"


# The collections compiled code holds (passed in: vm/jit/code.py TAG_ARRAY, TAG_STRUCT).
HELD = (TAG_ARRAY, TAG_STRUCT)

CONSTANT_TAGS = {int: TAG_INT, float: TAG_FLOAT, bool: TAG_BOOL, type(None): TAG_NIL, Keyword: TAG_KW}


def classify_constant(v):
    """The stack entry for a constant: its type tag, or Static for a primitive."""
    t = type(v)
    if t is Native:
        return Static(v)
    if t is int and not fits_i64(v):
        raise Reject(f"uses an integer constant wider than 64 bits ({preview(v, 30)})")
    if t in CONSTANT_TAGS:
        return CONSTANT_TAGS[t]
    raise Reject(f"uses a {type_name(v)} constant ({preview(v, 30)}); compiled code handles "
                 "numbers, booleans, nil and keywords only")


def speculated_types(args):
    """The type tag of each argument value, as the code will check it (None: any). Array
    and struct arguments are speculated on too: only then may the code use them."""
    if args is None:
        return None
    return tuple(TAG_ARRAY if type(a) is Array else TAG_STRUCT if type(a) is Struct else
                 CONSTANT_TAGS.get(type(a)) if type(a) is not int or fits_i64(a) else None for a in args)


def return_types(insts: dict, shapes: dict) -> set:
    """The types (None: any) of the values the reachable returns return."""
    return {shapes[off][-1] for off, inst in insts.items() if inst.name == "Return" and off in shapes}


def flow(func, insts: dict, resolve_global, param_types, self_return=None) -> tuple:
    """(offset -> stack shape, offset -> local types, offset -> cell slots) before every
    reachable instruction.

    Also follows which local slots hold cells. A function that makes no closures (those
    are rejected) cannot let a cell escape, so MakeCell/LoadCell/StoreCell work on the
    slot's value like StoreLocal/LoadLocal (the compiler boxes every mutable parameter).
    A slot must be a cell on every path that reaches a cell instruction, and never on a
    path that reaches a plain LoadLocal/StoreLocal of it. Where paths join, a type that
    differs becomes None; the worklist runs until nothing changes (types only widen)."""
    start_locals = param_types + (TAG_NIL,) * (func.nlocals - func.nparams)
    shapes, locals_, cells = {0: ()}, {0: start_locals}, {0: frozenset()}
    work = [0]
    while work:
        off = work.pop()
        inst = insts.get(off)
        if inst is None:
            raise Reject(f"jumps into the middle of an instruction (offset {off})")
        now = track_cells(inst, cells[off])
        types = list(locals_[off])
        for nxt, shape in step(func, inst, list(shapes[off]), types, resolve_global, self_return):
            new_locals = tuple(types)
            if nxt not in shapes:
                shapes[nxt], locals_[nxt], cells[nxt] = shape, new_locals, now
                work.append(nxt)
                continue
            if cells[nxt] != now:
                raise Reject("joins paths where a variable is boxed on one and not the other")
            joined = (join_entries(shapes[nxt], shape, True), join_entries(locals_[nxt], new_locals))
            if joined != (shapes[nxt], locals_[nxt]):
                shapes[nxt], locals_[nxt] = joined
                work.append(nxt)
    return shapes, locals_, cells


def join_entries(a: tuple, b: tuple, stack_entries: bool = False) -> tuple:
    """Entry-wise join: equal entries stay, differing types become None (any); an array
    and another value: MIXED on the stack, rejected in a variable."""
    if len(a) != len(b):
        raise Reject("has bytecode the JIT cannot follow (stack depths differ where paths join)")
    out = []
    for x, y in zip(a, b):
        if x == y:
            out.append(x)
        elif type(x) is Static or type(y) is Static:
            raise Reject("joins paths that hold different functions on the stack")
        elif x in HELD or y in HELD or x is MIXED or y is MIXED:
            if stack_entries:
                out.append(MIXED)
                continue
            raise Reject("keeps an array in a variable that holds other values on another path")
        else:
            out.append(None)
    return tuple(out)


def track_cells(inst: Inst, cells: frozenset) -> frozenset:
    name = inst.name
    if name == "MakeCell":
        return cells | {inst.arg}
    if name in ("LoadCell", "StoreCell") and inst.arg not in cells:
        raise Reject("has bytecode the JIT cannot follow (a cell used before it is made)")
    if name in ("LoadLocal", "StoreLocal") and inst.arg in cells:
        raise Reject("shares a variable with a closure (cells)")
    return cells


def pop_value(stack: list, what: str, arrays: bool = False):
    """Pop a runtime value (its type tag or None); a function there is rejected, and an
    array unless `arrays` (the only uses of one compiled code has are those that allow it)."""
    if not stack:
        raise Reject("has bytecode the JIT cannot follow (stack underflow)")
    e = stack.pop()
    if type(e) is Static:
        raise Reject(f"{what} a function value ({describe_static(e)})")
    if e in HELD and not arrays:
        raise Reject(f"{what} {'an array' if e == TAG_ARRAY else 'a struct'}")
    if e is MIXED:
        raise Reject(f"{what} a value that is an array on one path and not on another")
    return e


def arith_type(x, y):
    """Type of + - * / rem on operands of types x and y (None: not known here)."""
    if x == TAG_INT and y == TAG_INT:
        return TAG_INT
    if x in (TAG_INT, TAG_FLOAT) and y in (TAG_INT, TAG_FLOAT):
        return TAG_FLOAT
    return None


def describe_static(e: Static) -> str:
    return e.target.name


def step(func, inst: Inst, stack: list, types: list, resolve_global, self_return=None):
    """[(successor offset, shape)] after `inst`, updating `types` (the locals' types) in
    place; rejects what compiled code cannot hold. A call of `func` itself returns a
    `self_return` (None: any)."""
    name = inst.name
    if name == "LoadConst":
        stack.append(classify_constant(inst.arg))
    elif name == "LoadNil":
        stack.append(TAG_NIL)
    elif name in ("LoadTrue", "LoadFalse"):
        stack.append(TAG_BOOL)
    elif name in ("LoadLocal", "LoadCell"):
        stack.append(types[inst.arg])
    elif name in ("StoreLocal", "MakeCell", "StoreCell"):
        types[inst.arg] = pop_value(stack, "keeps in a local variable", arrays=True)
    elif name == "LoadGlobal":
        kind, value = resolve_global(inst.arg)
        stack.append(Static(value.func, inst.arg) if kind == "fn" else classify_constant(value))
    elif name == "Dup":
        if not stack:
            raise Reject("has bytecode the JIT cannot follow (stack underflow)")
        stack.append(stack[-1])
    elif name == "Pop":
        if not stack:
            raise Reject("has bytecode the JIT cannot follow (stack underflow)")
        stack.pop()
    elif name in ("Call", "TailCall"):
        callee = check_call(func, stack, inst.arg)
        if name == "TailCall":
            return []
        if type(callee) is Native:
            stack.append(TAG_ARRAY if callee.name in EFFECT_NAMES else NATIVE_RESULT_TYPES.get(callee.name))
        else:
            stack.append(self_return if callee is func else None)
    elif name == "Return":
        pop_value(stack, "returns", arrays=True)
        return []
    elif name == "Exit":
        # A loop piece leaves here for the interpreter (vm/jit/piece.py): the stack goes
        # back into the frame, so it may hold values only.
        for e in stack:
            if type(e) is Static:
                raise Reject(f"leaves the loop with a function on the stack ({describe_static(e)})")
        return []
    elif name == "Jump":
        return [(inst.arg, tuple(stack))]
    elif name in BRANCHES:
        pop_value(stack, "tests", arrays=True)
        return [(inst.arg, tuple(stack)), (inst.nxt, tuple(stack))]
    elif name in BINARY:
        y = pop_value(stack, "does arithmetic or comparison on")
        x = pop_value(stack, "does arithmetic or comparison on")
        stack.append(arith_type(x, y) if name in ARITH_OPS else TAG_BOOL)
    elif name in UNARY:
        if name == "AddInt" and not fits_i64(inst.arg):
            raise Reject(f"adds an integer constant wider than 64 bits ({preview(inst.arg, 30)})")
        x = pop_value(stack, "does arithmetic on", arrays=name != "AddInt")
        stack.append(arith_type(x, TAG_INT) if name == "AddInt" else TAG_BOOL)
    elif name == "Length":
        need_arrays()
        if pop_value(stack, "takes the length of", arrays=True) not in HELD:
            raise Reject("takes the length of a value not known to be an array or struct")
        stack.append(TAG_INT)
    elif name in ("LoadCapture", "LoadCaptureCell"):
        stack.append(None)          # a number, boolean, nil or keyword (others leave)
    elif name == "StoreCaptureCell":
        pop_value(stack, "assigns to a captured variable")
    elif name == "Get":
        need_arrays()
        key = pop_value(stack, "uses as an index")
        coll = pop_value(stack, "reads an element of", arrays=True)
        if coll not in HELD:
            raise Reject("reads an element of a value not known to be an array or struct")
        if coll == TAG_STRUCT and key not in (None, TAG_INT, TAG_KW):
            raise Reject("reads a struct by a key that is not a keyword or an integer")
        stack.append(None)          # a number, boolean, nil or keyword (others leave)
    else:
        raise Reject(unsupported_reason(name, ()))
    return [(inst.nxt, tuple(stack))]


def calls_through_api(target) -> bool:
    """Compiled code calls primitive `target` (a Native) through the C API: one of
    CALLED_NAMES, and the process's own (its address is bound by name: translate.py)."""
    if target.name not in CALLED_NAMES:
        return False
    from vm.primitives import PRIMITIVES
    return PRIMITIVES.get(target.name) is target


def need_arrays():
    """Compiled code reads arrays, structs and closures in place (vm/jit/layout.py finds
    where, with ctypes, when the code is translated). Deciding what compiles stays cheap
    (no ctypes, whose import costs a loop that is then rejected ~17 ms here): CPython's
    own layout is assumed, and a build that differs is refused at translation."""
    if sys.implementation.name != "cpython":
        raise Reject("works on arrays, which this Python lays out in memory differently from "
                     "what the JIT reads")


def check_call(func, stack: list, argc: int):
    """A call pops argc values and a callee known when compiling."""
    if len(stack) < argc + 1:
        raise Reject("has bytecode the JIT cannot follow (stack underflow)")
    callee = stack[-argc - 1]
    if type(callee) is Static and callee.is_native and callee.target.name in EFFECT_NAMES:
        # (put coll key value), (push coll value): coll an array the code holds, the value
        # anything it holds.
        if argc != (3 if callee.target.name == "put" else 2):
            raise Reject(f"calls {callee.target.name} with the wrong number of arguments")
        need_arrays()
        pop_value(stack, "stores", arrays=True)
        if argc == 3:
            pop_value(stack, "uses as an index")
        if pop_value(stack, "changes", arrays=True) != TAG_ARRAY:
            raise Reject(f"calls {callee.target.name} on a value not known to be an array")
        stack.pop()
        return callee.target
    for _ in range(argc):
        pop_value(stack, "passes as an argument")
    callee = stack.pop()
    if type(callee) is not Static:
        raise Reject("calls a function computed at run time (only global functions and primitives compile)")
    target = callee.target
    if callee.is_native:
        if target.control:
            raise Reject(f"calls {target.name}, which switches fibers or calls back")
        if not target.pure and target.name not in EFFECT_NAMES:
            raise Reject(f"calls impure primitive {target.name}")
        if target.name not in NATIVE_NAMES and not calls_through_api(target):
            raise Reject(f"calls primitive {target.name}, which the JIT does not translate")
        if argc < target.min_args or (target.max_args is not None and argc > target.max_args):
            raise Reject(f"calls {target.name} with the wrong number of arguments")
        return target
    if target.rest or target.nopt or argc != target.nparams:
        raise Reject(f"calls {target.name} with optional, rest or the wrong number of arguments")
    return target


def split_blocks(insts: dict, shapes: dict, local_types: dict, cells=None, fold=True) -> list:
    """Basic blocks of the reachable instructions, in offset order."""
    leaders = {0}
    for off, inst in insts.items():
        if off not in shapes:
            continue
        if inst.name in ("Jump",) or inst.name in BRANCHES:
            leaders.add(inst.arg)
        if inst.name in TERMINATORS or inst.name in BRANCHES:
            leaders.add(inst.nxt)
    blocks = []
    current = None
    for off in sorted(shapes):
        inst = insts[off]
        if off in leaders or current is None:
            current = Block(off, [], shapes[off], local_types[off],
                            cells.get(off, frozenset()) if cells is not None else frozenset())
            blocks.append(current)
        current.insts.append(inst)
        if inst.name in TERMINATORS or inst.name in BRANCHES:
            current = None
    fold_charges(blocks, fold)
    return blocks


def fold_charges(blocks: list, fold: bool = True):
    """Move the charge of a block entered only by unconditional edges (fall-through or
    Jump) into those predecessors, which then pay for it ahead. Exact: a charged block is
    certain to run, and when the budget would not cover it the whole call re-runs
    interpreted anyway. Block 0 stays charged: self tail calls enter it. A block keeps
    what was moved as `prepaid`: an exit at a back-edge to it (translate.py) gives that
    back, since the block has not run yet."""
    for b in blocks:
        # A piece's Exit (vm/jit/piece.py) is no instruction of the program: it costs nothing.
        b.charge = sum(1 for i in b.insts if i.name != "Exit")
    if not fold:
        return
    by_start = {b.start: b for b in blocks}
    preds: dict = {b.start: [] for b in blocks}
    for b in blocks:
        last = b.insts[-1]
        if last.name == "Jump":
            preds[last.arg].append((b, True))
        elif last.name in BRANCHES:
            preds[last.arg].append((b, False))
            preds[last.nxt].append((b, False))
        elif last.name not in TERMINATORS and last.nxt in by_start:
            preds[last.nxt].append((b, True))
    for b in reversed(blocks):
        incoming = preds[b.start]
        if b.start == 0 or not incoming or not all(plain for _, plain in incoming):
            continue
        if any(p is b for p, _ in incoming):
            continue
        for p, _ in incoming:
            p.charge += b.charge
        b.prepaid = b.charge
        b.charge = 0


def resolver_for(vm):
    """resolve_global(index) for `vm`: closures and constants that immutable globals hold."""
    table = global_records(vm)
    stores = store_counts(vm)
    names = vm.table.names

    def resolve_global(index):
        g = table.get(index)
        name = names[index] if index < len(names) else f"#{index}"
        if g is None or g.mutable:
            raise Reject(f"reads mutable global {name}")
        if stores.get(index, 0) > 1:
            raise Reject(f"reads global {name}, which is defined more than once")
        v = vm.globals[index]
        if type(v) is Closure:
            return "fn", v
        if v is None:
            raise Reject(f"reads global {name} before it is defined")
        if (type(v) is int and fits_i64(v)) or type(v) in (float, bool, Keyword):
            return "const", v
        raise Reject(f"reads global {name}, which holds a {type_name(v)}")
    return resolve_global


def global_records(vm) -> dict:
    """global index -> Global (name, mutability) for the prelude and the loaded program."""
    out = {}
    for module in (vm.prelude, vm.module):
        if module is not None:
            for g in module.globals.values():
                out[g.index] = g
    return out


def store_counts(vm) -> dict:
    """global index -> number of StoreGlobal instructions in the loaded program.

    A program's bytecode never changes once compiled (breakpoints patch `decoded`, not
    `code`), so the scan runs once per loaded program and is kept with its main function:
    each compile then costs the function compiled, not the whole program (issue 18).
    The dict returned is shared: read it, do not change it."""
    main = vm.main
    if main is None:
        return {}
    counts = _STORE_COUNTS.get(main)
    if counts is None:
        counts = _STORE_COUNTS[main] = _scan_stores(main)
    return counts


# main CompiledFunction -> its store_counts (dropped with the program).
_STORE_COUNTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _scan_stores(main) -> dict:
    counts: dict = {}
    for f in main.all_functions():
        for _, info, ops, _ in iter_instructions(f.code):
            if info.name == "StoreGlobal":
                counts[ops[0]] = counts.get(ops[0], 0) + 1
    return counts
