"""Routines: a side-effect-free function compiled whole to one Python function.

Regions (vm/regions.py) make a loop cheap, but every call still builds a Frame, goes
through the dispatch loop and comes back: recursive fib(25) is ~30x CPython, almost all
of it call overhead. A routine is the whole function as Python source; its calls to other
routines (and to itself) are plain Python calls, its locals are Python locals, and no
Frame exists until something needs one. It is the JIT's contract (vm/jit/code.py), kept
with Python instead of LLVM:

- Only functions that cannot change anything outside their own frame qualify: loads,
  stores to their own locals, arithmetic, comparisons, branches, calls and returns
  (`ELIGIBLE`); callees are checked when called: another routine, or a primitive that is
  pure and not a control primitive. Anything else raises Bail and nothing has happened.
- Every basic block charges its instruction count to the run's budget before it runs
  (`T[0]`: the ticks left before the run's target or the fiber's fuel). A block that would
  not fit stops the routine there, exactly (Suspend): each routine call on the way out
  adds its frame as the interpreter would hold it at that tick (ip, operand stack,
  locals), and whoever called the outermost one puts those frames on the fiber, so a
  limit inside a long routine call costs nothing to redo.
- A bail of any other kind (a pause, a type or arity error, a callee that is not a
  routine, Python's recursion limit) is invisible: the interpreter runs the call from its
  start, with the same frame, as if the routine did not exist, and raises any error at its
  plain location. A routine is given up when it keeps failing (Python's recursion limit,
  or most of its runs).
- Values are the interpreter's: small integers and floats (arithmetic, comparisons),
  Get and Length on arrays are inline, every other case calls the primitive the dispatch
  loop calls.
- With the JIT on, a routine runs only functions the JIT rejected (`func.jit_state` a
  Rejection) or, with VM.jit_tiering, has not found hot yet (vm/jit/code.py
  interpreted_for_now): until the JIT has decided, calls go through it and are counted; a
  call from a routine to a function the JIT compiled runs its native code (native_callee).

The entry sits at offset 0 of `func.decoded` (a FUSED_REGION entry, like a region), so it
runs only in the fast loop, never when stepping or near a limit, and breakpoints (which
swap in `func.plain` and set `jit_blocked`) turn it off. It runs the call when the frame
has a caller to return to, hands the value over like Return and tells the loop to reload.
A pause from another thread sets the budget negative (VM.pause_requested's setter).

Python's stack. A routine's calls nest as Python calls, which DESIGN.md's contract 3 keeps
Lisp calls off; the nesting is bounded the way the JIT bounds native recursion: a routine
starts only with at least Python's recursion limit of room below the VM's depth limit,
and one that reaches Python's limit is given up (RecursionError is a bail). A 10,000-deep
recursion, a million-iteration tail loop (a self tail call is a `while` loop here) or a
long chain of fibers still runs in Fiber objects, interpreted.
"""

from __future__ import annotations

import sys

from vm import bytecode
from vm.fiber import Closure, Frame
from vm.heap import HeapCensus
from vm.jit.code import JitCode, interpreted_for_now, note_routine, routine_budget, run_compiled
from vm.primitives import PRIMITIVES
from vm.primitives.numbers import MAX_INT_BITS
from vm.values import Array, Keyword, Native, Struct, values_equal

_B = bytecode
ELIGIBLE = frozenset(getattr(_B, "OP_" + name) for name in (
    "LoadConst", "LoadNil", "LoadTrue", "LoadFalse", "LoadLocal", "StoreLocal", "LoadGlobal",
    "LoadCapture", "LoadCaptureCell", "Dup", "Pop", "Not", "IsNil", "AddInt", "Add", "Sub",
    "Mul", "Div", "Rem", "Lt", "Gt", "Le", "Ge", "Eq", "Get", "Length", "Jump", "JumpIfFalse",
    "JumpIfTrue", "Call", "TailCall", "Return"))
_JUMPS = (_B.OP_Jump, _B.OP_JumpIfFalse, _B.OP_JumpIfTrue)
_ENDS = frozenset((_B.OP_Jump, _B.OP_JumpIfFalse, _B.OP_JumpIfTrue, _B.OP_Return, _B.OP_TailCall))
_ARITH = {_B.OP_Add: ("+", "ADD"), _B.OP_Sub: ("-", "SUB"), _B.OP_Mul: ("*", "MUL"),
          _B.OP_Div: ("/", "DIV"), _B.OP_Rem: (None, "REM")}
_COMPARE = {_B.OP_Lt: ("<", "LT"), _B.OP_Gt: (">", "GT"), _B.OP_Le: ("<=", "LE"),
            _B.OP_Ge: (">=", "GE")}
RELOAD = -1
# Loads of nil and the booleans, as the Python literals generated source writes.
LITERAL_LOADS = {_B.OP_LoadNil: "None", _B.OP_LoadTrue: "True", _B.OP_LoadFalse: "False"}

# The second arrival at a function's entry compiles its routine (most of `main` runs once).
HOT = 2
# Given up after this many failed runs (errors, callees that are not routines).
GIVE_UP = 32
# A routine runs only with as much room below the VM's depth limit as Python's recursion
# limit (read at each entry: a program may raise it): Python then stops a deep recursion
# (a bail) before the VM's limit would, so the VM's stack-overflow error stays exact.
depth_room = sys.getrecursionlimit


class Bail(Exception):
    """A routine cannot finish this call exactly (a pause, a blocked callee)."""


class Suspend(Exception):
    """The budget ran out at the start of a block: the routine stops there, exactly.

    Raised at the block by the routine that ran out (`ip`, `fresh`); every routine it
    passes through on the way out adds its frame (closure, ip, operand stack, locals) to
    `frames`, innermost first, so whoever called the outermost routine can put the frames
    the interpreter would hold at that tick on the fiber (`frames_of`) and go on there."""

    def __init__(self, ip):
        self.ip = ip
        self.fresh = True
        self.frames = []


# A budget below this is a pause (VM.pause_requested sets it to -2**62), not the limit.
PAUSED_BUDGET = -(1 << 60)


def frames_of(e: Suspend) -> list:
    """The interpreter's frames for a suspended routine call, outermost first."""
    out = []
    for cl, ip, stack, locals_ in reversed(e.frames):
        fr = Frame(cl, locals_)
        fr.ip = ip
        fr.stack = stack
        out.append(fr)
    return out


# Stores outside the frame: a routine may make them only as a leaf (below).
STORES = frozenset((_B.OP_StoreCaptureCell, _B.OP_StoreGlobal))
# Instructions that cannot fail once a leaf has stored.
_SAFE = frozenset(getattr(_B, "OP_" + name) for name in (
    "LoadConst", "LoadNil", "LoadTrue", "LoadFalse", "LoadLocal", "StoreLocal", "LoadGlobal",
    "LoadCapture", "LoadCaptureCell", "Dup", "Pop", "Not", "IsNil", "Return",
    "StoreCaptureCell", "StoreGlobal"))


def kind(func) -> str | None:
    """"pure" (no effect outside its frame), "leaf" (one block without calls that stores
    outside its frame only where nothing after can fail: a counter closure), or None."""
    if func.rest or func.nopt or func.cell_params:
        return None
    ops = [entry for entry in func.plain if entry is not None]
    stores = False
    for op, arg, _ in ops:
        if op in STORES:
            stores = True
        elif op not in ELIGIBLE or (op in _JUMPS and arg == 0):
            return None         # offset 0 is the entry: only a call may arrive there
    if not stores:
        return "pure"
    # A leaf bails only at its one charge, before any store, so a bail re-runs nothing.
    after = False
    for op, _, _ in ops:
        if op in _JUMPS or op in (_B.OP_Call, _B.OP_TailCall):
            return None
        after = after or op in STORES
        if after and op not in _SAFE:
            return None
    return "leaf"


def eligible(func) -> bool:
    return kind(func) is not None


class _Block:
    __slots__ = ("start", "instrs", "succ")

    def __init__(self, start):
        self.start = start
        self.instrs = []
        self.succ = []


def _blocks(plain: list) -> dict:
    """{start: block} of the basic blocks reachable from offset 0."""
    starts = {0}
    for entry in plain:
        if entry is not None:
            op, arg, nx = entry
            if op in _JUMPS:
                starts.add(arg)
            if op in _ENDS:
                starts.add(nx)
    blocks, work = {}, [0]
    while work:
        start = work.pop()
        if start in blocks or start >= len(plain) or plain[start] is None:
            continue
        b = blocks[start] = _Block(start)
        off = start
        while True:
            op, arg, nx = plain[off]
            b.instrs.append((off, op, arg, nx))
            if op == _B.OP_Jump:
                b.succ = [arg]
            elif op in (_B.OP_JumpIfFalse, _B.OP_JumpIfTrue):
                b.succ = [arg, nx]
            elif op in (_B.OP_Return, _B.OP_TailCall):
                b.succ = []
            elif nx in starts:
                b.succ = [nx]
            else:
                off = nx
                continue
            break
        work.extend(b.succ)
    return blocks


class SourceNames:
    """Names in generated Python source: constants (closure cells of a maker function, so
    one cell load each; nil, booleans and small integers are written as literals) and temps.
    Shared by the emitters of routines and of regions (vm/regions.py)."""

    def __init__(self):
        self.consts: list = []
        self.temps = 0

    def const(self, v) -> str:
        if v is None or v is True or v is False or (type(v) is int and -2**62 < v < 2**62):
            return repr(v)
        for i, c in enumerate(self.consts):
            if c is v:
                return f"K{i}"
        self.consts.append(v)
        return f"K{len(self.consts) - 1}"

    @staticmethod
    def literal(expr: str) -> bool:
        """A Python literal the emitter wrote (nil, booleans, small integers)."""
        return expr in ("None", "True", "False") or expr.lstrip("-").isdigit()

    def constant(self, expr: str, missing=None):
        """The value behind a constant's name (`K3`), or `missing` for any other expression."""
        if expr.startswith("K") and expr[1:].isdigit():
            return self.consts[int(expr[1:])]
        return missing

    def never_closure(self, expr: str) -> bool:
        """`expr` is a constant or literal that is not a closure (a folded native, say)."""
        if self.literal(expr):
            return True
        missing = object()
        v = self.constant(expr, missing)
        return v is not missing and type(v) is not Closure

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def build(self, src: str, name: str, label: str, scope: dict):
        """Compile `src` (which defines `name`) inside a maker taking the constants; the
        function made, with its source attached. SyntaxError if the emitter erred."""
        params = ", ".join(f"K{i}" for i in range(len(self.consts)))
        maker = f"def make({params}):\n" + "".join("    " + line + "\n" for line in src.splitlines()) \
            + f"    return {name}\n"
        exec(compile(maker, label, "exec"), scope)
        fn = scope["make"](*self.consts)
        fn.source = src
        return fn


class _Emitter(SourceNames):
    """Python source for one function's routine."""

    def __init__(self, func):
        super().__init__()
        self.func = func
        self.blocks = _blocks(func.plain)
        self.uses_stack = self.uses_globals = False
        self.uses_captures = bool(func.captures)
        self.leaf = kind(func) == "leaf"
        self.self_tail = False
        self.sites: list = []       # (ip after the call, stack under the callee, refund)
        entries: dict = {}
        for b in self.blocks.values():
            for s in b.succ:
                entries[s] = entries.get(s, 0) + 1
        self.entries = entries

    def source(self) -> str:
        func = self.func
        params = ", ".join(f"l{i}" for i in range(func.nparams))
        body: list[str] = []
        # Blocks with one way in are written where control reaches them; the others (and
        # the entry, when a self tail call loops back to it) are sections of a `while`.
        sections = {0: self.block(self.blocks[0])}
        for s in sorted(s for s, n in self.entries.items() if n > 1 and s in self.blocks):
            sections.setdefault(s, self.block(self.blocks[s]))
        if len(sections) > 1 or self.self_tail:
            # `continue` goes back to the dispatch on `b`; the entry is a section too.
            body.append("b = 0")
            body.append("while True:")
            for s in sorted(sections):
                body.append(f"    if b == {s}:")
                body.extend("        " + line for line in sections[s])
        else:
            body = sections[0]
        out = [f"def R(cl{', ' if params else ''}{params}):"]
        for i in range(func.nparams, func.nlocals):
            out.append(f"    l{i} = None")
        if self.uses_stack:
            out.append("    S = []")
        if self.leaf:
            out.append("    if vm.read_only:")        # a watch: the interpreter says why not
            out.append("        raise HARD")
        if self.uses_captures:
            out.append("    C = cl.captures")
        # Stopped by the budget (a Suspend raised at the start of a block, here or in a
        # callee): this call's frame as the interpreter would hold it at that tick joins
        # the exception's frames (innermost first). At a call, the operand stack is what
        # lay under the callee, the frame resumes after the call, and the instructions of
        # the block after the call, charged but not run, are given back.
        out.append("    try:")
        out.extend("        " + line for line in body)
        out.append("    except SUSPEND as e:")
        stack = "list(S)" if self.uses_stack else "[]"
        out.append("        if e.fresh:")
        out.append("            e.fresh = False")
        out.append(f"            e.frames.append((cl, e.ip, {stack}, [{', '.join(f'l{i}' for i in range(func.nlocals))}]))")
        for k, (ip, below, refund) in enumerate(self.sites):
            out.append(f"        elif site == {k}:")
            if ip is None:          # a tail call: the callee's frame replaced this one
                out.append("            pass")
                continue
            if refund:
                out.append(f"            T[0] += {refund}")
            items = f"[{', '.join(below)}]"
            if self.uses_stack:
                items = f"S + {items}" if below else "list(S)"
            out.append(f"            e.frames.append((cl, {ip}, {items}, [{', '.join(f'l{i}' for i in range(func.nlocals))}]))")
        out.append("        raise")
        clear = "S.clear()" if self.uses_stack else "pass"
        return "\n".join(line.replace("#CLEAR", clear) for line in out) + "\n"

    def goto(self, off) -> list:
        if self.entries.get(off, 0) > 1:
            return [f"b = {off}", "continue"]
        return self.block(self.blocks[off])

    def block(self, b: _Block) -> list:
        lines: list[str] = []
        emit = lines.append
        n = len(b.instrs)
        emit(f"c = T[0] - {n}")
        emit("T[0] = c")
        emit("if c < 0:")                 # (stored first: `failed` tells the budget's bail)
        # The budget: stop here, at the start of the block (the frames are made on the
        # way out); a pause (a budget of about -2**62): bail, the call runs interpreted.
        emit(f"    if c < PAUSED_BUDGET:")
        emit("        raise BAIL")
        emit(f"    T[0] = c + {n}")
        emit(f"    raise SUSPEND({b.start})")
        vs: list[str] = []

        def need(count):
            while len(vs) < count:
                self.uses_stack = True
                t = self.temp()
                emit(f"{t} = S.pop()")
                vs.insert(0, t)

        def flush():
            for e in vs:
                self.uses_stack = True
                emit(f"S.append({e})")
            vs.clear()

        def value(expr) -> str:
            t = self.temp()
            emit(f"{t} = {expr}")
            return t

        def is_int(x) -> str | None:
            return None if x.lstrip("-").isdigit() else f"type({x}) is int"

        def both_int(x, y) -> str:
            conds = [c for c in (is_int(x), is_int(y)) if c]
            return " and ".join(conds) if conds else "True"

        def falsy(x) -> str:
            if x in ("None", "False"):
                return "True"
            if x == "True" or x.lstrip("-").isdigit():
                return "False"
            return f"({x} is None or {x} is False)"

        for i, (off, op, arg, nx) in enumerate(b.instrs):
            need(_B.stack_effect(_B.OPCODES[op], (arg,))[0])
            if op == _B.OP_LoadConst:
                vs.append(self.const(arg))
            elif op in LITERAL_LOADS:
                vs.append(LITERAL_LOADS[op])
            elif op == _B.OP_LoadLocal:
                vs.append(f"l{arg}")
            elif op == _B.OP_LoadGlobal:
                self.uses_globals = True
                vs.append(value(f"G[{arg}]"))
            elif op == _B.OP_LoadCapture:
                self.uses_captures = True
                vs.append(value(f"C[{arg}]"))
            elif op == _B.OP_LoadCaptureCell:
                self.uses_captures = True
                vs.append(value(f"C[{arg}].value"))
            elif op == _B.OP_StoreLocal:
                name = f"l{arg}"
                x = vs.pop()
                # A pending load of this local must keep the value it had when loaded.
                for j, e in enumerate(vs):
                    if e == name:
                        vs[j] = value(name)
                emit(f"{name} = {x}")
            elif op == _B.OP_StoreCaptureCell:
                emit(f"C[{arg}].value = {vs.pop()}")
            elif op == _B.OP_StoreGlobal:
                self.uses_globals = True
                emit(f"G[{arg}] = {vs.pop()}")     # loads of globals are already in temps
            elif op == _B.OP_Dup:
                vs.append(vs[-1])
            elif op == _B.OP_Pop:
                vs.pop()
            elif op == _B.OP_Not:
                vs.append(value(falsy(vs.pop())))
            elif op == _B.OP_IsNil:
                x = vs.pop()
                if self.literal(x):
                    vs.append(repr(x == "None"))    # folded: Python warns on `5 is None`
                else:
                    vs.append(value(f"{x} is None"))
            elif op == _B.OP_AddInt:
                x = vs.pop()
                k = self.const(arg)
                vs.append(value(f"{x} + {k} if {is_int(x) or 'True'} else ADD(vm, {x}, {k})"))
            elif op in _ARITH or op in _COMPARE:
                y, x = vs.pop(), vs.pop()
                sym, prim = _ARITH.get(op) or _COMPARE[op]
                fast = f"{x} {sym} {y}"
                cond = both_int(x, y)
                slow = f"{prim}(vm, {x}, {y})"
                # Two floats: IEEE arithmetic never raises (a zero divisor aside); int and
                # float compare exactly. Everything else goes through the primitive.
                if op in _COMPARE:
                    slow = f"({fast} if type({x}) in NUM and type({y}) in NUM else {slow})"
                elif op in (_B.OP_Mul, _B.OP_Div, _B.OP_Rem):
                    floats = f"type({x}) is float and type({y}) is float"
                    if op == _B.OP_Div:
                        floats += f" and {y}"
                    cond = "False"
                    if op == _B.OP_Mul:
                        # Integers below the primitive's size limit (vm/primitives/numbers.py).
                        cond = f"{both_int(x, y)} and ({x}).bit_length() + ({y}).bit_length() < MAX_BITS"
                    if sym is not None:
                        slow = f"({fast} if {floats} else {slow})"
                else:
                    slow = f"({fast} if type({x}) is float and type({y}) is float else {slow})"
                if cond == "False":
                    expr = slow
                elif cond == "True":
                    expr = fast
                else:
                    expr = f"{fast} if {cond} else {slow}"
                nxt = b.instrs[i + 1][1] if i + 1 < n else None
                if op in _COMPARE and nxt in (_B.OP_JumpIfFalse, _B.OP_JumpIfTrue) and cond != "True":
                    # Compare and branch: the test is the comparison itself.
                    vs.append(f"(({expr}))")
                else:
                    vs.append(value(expr))
            elif op == _B.OP_Get:
                k, c = vs.pop(), vs.pop()
                vs.append(value(f"{c}.items[{k}] if type({c}) is Array and type({k}) is int and "
                                f"-len({c}.items) <= {k} < len({c}.items) else ({c}.d.get({k}) if "
                                f"type({c}) is Struct and type({k}) in KEYS else GET(vm, {c}, {k}))"))
            elif op == _B.OP_Length:
                c = vs.pop()
                vs.append(value(f"len({c}.items) if type({c}) is Array else LENGTH(vm, {c})"))
            elif op == _B.OP_Eq:
                y, x = vs.pop(), vs.pop()
                vs.append(value(f"{x} == {y} if {both_int(x, y)} else EQ({x}, {y})"))
            elif op == _B.OP_Jump:
                flush()
                lines.extend(self.goto(arg))
                return lines
            elif op in (_B.OP_JumpIfFalse, _B.OP_JumpIfTrue):
                c = vs.pop()
                flush()
                test = falsy(c) if not c.startswith("((") else f"not {c}"
                if op == _B.OP_JumpIfTrue:
                    test = f"not ({test})"
                emit(f"if {test}:")
                lines.extend("    " + line for line in self.goto(arg))
                lines.extend(self.goto(nx))
                return lines
            elif op == _B.OP_Return:
                emit(f"return {vs.pop()}")
                return lines
            elif op in (_B.OP_Call, _B.OP_TailCall):
                args = vs[len(vs) - arg:]
                del vs[len(vs) - arg:]
                f = vs.pop()
                if op == _B.OP_TailCall and arg == self.func.nparams:
                    # A tail call to this function is a loop: new parameters, fresh locals.
                    self.self_tail = True
                    emit(f"if type({f}) is Closure and {f}.func is FN:")
                    if arg:
                        emit(f"    {', '.join(f'l{j}' for j in range(arg))} = {', '.join(args)}{',' if arg == 1 else ''}")
                    for j in range(self.func.nparams, self.func.nlocals):
                        emit(f"    l{j} = None")
                    emit("    #CLEAR")              # S.clear(), if the routine has a stack
                    emit("    cl = " + f)
                    if self.uses_captures:
                        emit("    C = cl.captures")
                    emit("    b = 0")
                    emit("    continue")
                # Where this call's frame stands if the callee stops on the budget.
                site = (None, (), 0) if op == _B.OP_TailCall else (nx, tuple(vs), n - i - 1)
                call = self.call(f, args, emit, site)
                if op == _B.OP_TailCall:
                    emit(f"return {call}")
                    return lines
                vs.append(value(call))
        flush()
        lines.extend(self.goto(b.succ[0]))
        return lines

    def call(self, f: str, args: list, emit, site) -> str:
        """An expression for the call (after lines that pick the callee's routine)."""
        argc = len(args)
        joined = ", ".join(args)
        known = self.constant(f)
        if type(known) is Native and native_ok(known, argc, False):
            # A pure primitive the compiler folded to a constant: called directly.
            return f"{self.const(known.fn)}(vm{', ' if joined else ''}{joined})"
        emit(f"site = {len(self.sites)}")
        self.sites.append(site)
        r = self.temp()
        if argc == self.func.nparams:
            emit(f"if type({f}) is Closure and {f}.func is FN:")
            emit(f"    {r} = R")
            emit("else:")
            emit(f"    {r} = CALLEE(vm, {f}, {argc})")
        else:
            emit(f"{r} = CALLEE(vm, {f}, {argc})")
        return f"{r}({f}{', ' if joined else ''}{joined})"


def native_ok(f: Native, argc: int, constant: bool) -> bool:
    """May compiled code (a routine, a region) call primitive `f` with `argc` arguments
    itself? Pure primitives (not the control ones, which switch fibers or frames, nor those
    that read the VM's tick, which the dispatch loop keeps in a local meanwhile), and, for
    regions when the compiler folded the callee to a constant, the impure ones in ATOMIC."""
    if not (f.min_args <= argc and (f.max_args is None or argc <= f.max_args)):
        return False
    if f.control or f.name in TICK_READERS:
        return False
    return f.pure or (constant and f.name in ATOMIC)


# Primitives that read vm.tick.
TICK_READERS = frozenset(("fiber/fuel",))
# Impure primitives that check every argument (and the size limit) before they change
# anything, so one that raises has changed nothing (vm/primitives/collections.py).
ATOMIC = frozenset(("push", "put", "pop"))


def callee(vm, f, argc):
    """The Python callable a routine calls `f` through, called as `r(f, *args)`."""
    if type(f) is Closure:
        func = f.func
        if not interpreted_for_now(vm, func):
            # The JIT's: not decided yet (the interpreter makes the call, which counts it),
            # or compiled: called natively.
            state = func.jit_state
            if state is None:
                raise BAIL
            # (Not code that changes arrays: its hand-over could not be undone by a bail.)
            if (state.__class__ is JitCode and state.native is not None and state.nparams == argc
                    and not state.effects):
                return native_callee(vm, state)
            raise HARD
        r = func.routine
        if r is None and func.fast_argc == argc:
            r = compile_routine(func, vm)
        if not r or func.fast_argc != argc or r.leaf:
            raise HARD              # a leaf's store could not be undone if the caller bails
        if func.jit_blocked or func.routine_vm is not vm:
            raise BAIL
        return r
    if type(f) is Native and native_ok(f, argc, False):
        fn = f.fn
        return lambda _f, *args: fn(vm, *args)
    raise HARD


def native_callee(vm, code):
    """The callable a routine calls compiled `code` through (vm/jit/code.py run_compiled):
    it runs the whole call natively within the routine's budget, or nothing happened and
    the routine bails (the interpreter then makes the call, and the JIT decides again)."""
    T = vm.routine_budget

    def call(_f, *args):
        left = T[0]
        # The room below the depth limit is counted as if the routine's own calls were as
        # deep as Python allows them (they are never deeper): never more than the truth.
        got = run_compiled(vm, code, vm.routine_end - left, left,
                           vm.max_depth - len(vm.current.frames) - depth_room(), args, _f)
        if got.__class__ is tuple:
            T[0] = left - got[1]
            return got[0]
        raise BAIL
    return call


class Hard(Exception):
    """A routine met something it cannot run (counted towards giving it up)."""


# Raised as classes: a shared instance would collect every traceback it was raised with.
BAIL = Bail
HARD = Hard


def compile_routine(func, vm):
    """Compile `func`'s routine for `vm` (func.routine), or mark it False if it cannot be."""
    if func.routine is not None:
        return func.routine
    if not eligible(func):
        func.routine = False
        return False
    e = _Emitter(func)
    scope = {"HARD": Hard, "SUSPEND": Suspend, "PAUSED_BUDGET": PAUSED_BUDGET, "T": vm.routine_budget, "G": vm.globals, "vm": vm, "FN": func,
             "Closure": Closure, "BAIL": BAIL, "CALLEE": callee, "EQ": values_equal,
             "ADD": PRIMITIVES["+"].fn, "SUB": PRIMITIVES["-"].fn, "MUL": PRIMITIVES["*"].fn,
             "LT": PRIMITIVES["<"].fn, "GT": PRIMITIVES[">"].fn, "LE": PRIMITIVES["<="].fn,
             "GE": PRIMITIVES[">="].fn, "DIV": PRIMITIVES["/"].fn, "REM": PRIMITIVES["rem"].fn,
             "GET": PRIMITIVES["get"].fn, "LENGTH": PRIMITIVES["length"].fn, "Array": Array,
             "Struct": Struct, "KEYS": frozenset((Keyword, str, int)), "NUM": frozenset((int, float)), "MAX_BITS": MAX_INT_BITS}
    try:
        r = e.build(e.source(), "R", f"<routine {func.name}>", scope)
    except Exception:               # a shape the emitter does not handle: never a crash
        func.routine = False
        return False
    r.leaf = e.leaf
    func.routine = r
    func.routine_vm = vm
    func.routine_fails = 0
    return r


def run_routine(vm, func, r, closure, args, slice_left):
    """Run routine `r` of `func` for one call; (value, ticks) or None (nothing happened).

    `slice_left` is what is left before the dispatch loop's limit (vm.loop_limit: the
    slice's end or the fuel's), counting the callee's first instruction; the routine may
    run up to the run's target or the fuel's end (vm.routine_end), whichever is nearer.
    After a call bails on that budget, routines wait until half of what was left has run
    interpreted before trying again, so a long tail loop near a limit does not redo its
    work at every iteration."""
    now = vm.loop_limit - slice_left
    if now < vm.routine_wait_until or func.routine_vm is not vm:
        return None
    T = vm.routine_budget
    room = vm.routine_end - now
    if vm.jit_tiering is not None:
        room = routine_budget(vm, func, room)     # stop where the JIT finds it hot
    T[0] = room
    if vm._pause_requested:
        return None
    heap_room = vm.heap_room
    try:
        v = r(closure, *args)
    except Suspend as e:
        v = e                       # stopped exactly on the budget: see Suspend
    except Exception as e:
        vm.heap_room = heap_room    # what its primitives charged is charged again (vm/heap.py)
        failed(vm, func, e, now, room)
        return None
    if vm.jit_tiering is not None:
        note_routine(vm, func, room - T[0])
    return v, room - T[0]


def failed(vm, func, e, now, room):
    """Bookkeeping after a routine raised `e` instead of returning (nothing else changed)."""
    if isinstance(e, Bail):
        # Only the budget running out makes routines wait; not a pause (which also makes
        # the budget negative) nor a callee with a breakpoint.
        if vm.routine_budget[0] < 0 and not vm._pause_requested:
            vm.routine_wait_until = now + room // 2
    elif isinstance(e, RecursionError):
        func.routine = False
    elif isinstance(e, HeapCensus):
        pass                        # the interpreter takes the census: not the routine's failure
    else:
        func.routine_fails += 1
        if func.routine_fails >= GIVE_UP:
            func.routine = False


def add_entry(func, op_region: int, lists) -> bool:
    """Put the routine entry at offset 0 of `func`'s running code (and its saved copy), in
    front of whatever was there. Returns whether the function is eligible."""
    if not eligible(func):
        func.routine = False
        return False
    plain = func.plain
    decoded = lists()[0]
    prev = decoded[0]
    fallback = prev[1] if prev is not None and prev[0] == op_region else None
    nparams = func.nparams
    seen = 0

    def entry(L, S, budget, frame, vm, depth=0):
        nonlocal seen
        r = func.routine
        if r is None:
            seen += 1
            if seen >= HOT and interpreted_for_now(vm, func):
                r = compile_routine(func, vm)
        if r:
            fiber = vm.current
            F = fiber.frames
            if len(F) > 1 and vm.max_depth - len(F) >= depth_room() and func.routine_vm is vm:
                done = run_routine(vm, func, r, frame.closure, L[:nparams], budget)
                if done is not None:
                    v, ran = done
                    if v.__class__ is Suspend:
                        if ran:
                            # The frames the interpreter would hold at this tick replace
                            # the call's frame (which stood at offset 0).
                            F[-1:] = frames_of(v)
                            return RELOAD, ran
                        # Stopped before its first block: nothing ran, the loop goes on.
                    else:
                        F.pop()
                        F[-1].stack.append(v)
                        return RELOAD, ran
        elif r is False:
            # Given up (or never possible for this VM): what was at offset 0 comes back.
            for code in lists():
                if code[0] is not None and code[0][1] is entry:
                    code[0] = prev
        return fallback(L, S, budget, frame, vm, depth) if fallback else (0, 0)

    entry_tuple = (op_region, entry, plain[0][2])
    for code in lists():
        code[0] = entry_tuple
    return True
