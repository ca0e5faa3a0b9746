"""JitCode (one compiled function), Rejection, and `enter`: the interpreter's door into native code.

This module never imports llvmlite: `vm.call` imports `enter` from here, and the VM must
load without the JIT. The engine (vm/jit/compiler.py) is created on first use.

Value tags shared by the translator, the entry wrapper and the tests. Compiled code
works on (tag, 64-bit payload) pairs; a tag of BAIL_BASE or more is not a value but a
bail-out whose reason is the tag (or EXIT: a hand-over, see ExitSite).

Long native runs stay visible (issue 11): the activation the interpreter called hands
its frame over at a loop's back-edge (an exit) about once a millisecond, for a pause, or
just before the run's target or the fuel, exactly as the interpreter's frame stands at
that tick, so VM.run gets its slices back (the debugger's progress, checkpoints and
pauses) without re-running anything. Calls that cannot hand over (non-tail recursion)
publish the ticks they have used (Engine.native_ticks) and bail on a pause.
"""

from __future__ import annotations

from vm.fiber import Closure, Frame
from vm.values import Cell

TAG_INT = 0          # payload: the integer (fits in i64)
TAG_FLOAT = 1        # payload: the bits of an IEEE double
TAG_BOOL = 2         # payload: 0 or 1
TAG_NIL = 3          # payload: 0
TAG_KW = 4           # payload: the address of an interned Keyword (compared by identity)
TAG_ARRAY = 5        # payload: the address of an Array (vm/values.py), borrowed: see below
TAG_CLOSURE = 6      # payload: the address of a Closure: only the closure a body runs (its
                     # captures are read through it), passed after its parameters
TAG_STRUCT = 7       # payload: the address of a Struct, borrowed like an array (read only)

# Arrays in compiled code (issue 14). A TAG_ARRAY value is always one the interpreter
# passed in (an argument of the call, or a variable of a loop piece), so the caller keeps
# it alive; `put` returns the same array, and `get` yields only numbers, booleans, nil and
# keywords (anything else leaves for the interpreter). The analysis (vm/jit/analyse.py)
# knows statically where a TAG_ARRAY can be and refuses any other use, so code that takes
# "any" type never sees one.

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def fits_i64(n: int) -> bool:
    return INT64_MIN <= n <= INT64_MAX


# Values an exit at a loop's back-edge can carry out (locals and stack slots, or a tail
# call's arguments); a site that would need more does not exit (ExitSite). A loop piece
# (vm/jit/piece.py) with more variables is not compiled.
MAX_EXIT_VALUES = 64

BAIL_BASE = 8
BAIL_GUARD = 8       # a value of a type the code does not handle, or not the one it speculated on
BAIL_OVERFLOW = 9    # an integer result that does not fit 64 bits
BAIL_DIVZERO = 10    # division or remainder by zero (the interpreter raises the error)
BAIL_FUEL = 11       # the fiber's fuel or the run's tick target would be crossed
BAIL_DEPTH = 12      # a nested call beyond the VM's depth limit (or the native cap)
BAIL_INTERRUPT = 13  # a pause was requested while native code ran
BAIL_SIGNAL = 14     # a Python signal handler raised (ctrl+c): the entry returns NULL

# Not a bail: the activation the interpreter called stopped at a loop's back-edge (a self
# or other tail call, or a backward jump) because its native slice ended, a pause was asked
# for or the run's limit is near; the payload names the ExitSite, and the state it hands
# over is exact at the ticks charged so far (see exit_frame).
EXIT = 15

BAIL_NAMES = {BAIL_GUARD: "guard", BAIL_OVERFLOW: "overflow", BAIL_DIVZERO: "division by zero",
              BAIL_FUEL: "fuel", BAIL_DEPTH: "depth", BAIL_INTERRUPT: "pause", BAIL_SIGNAL: "signal"}

# Words an engine shares with running native code (Engine.shared; vm/jit/runtime.py):
SHARED_FLAG = 0        # the pause flag (Engine.interrupt)
SHARED_PUBLISHED = 1   # ticks the running native call has used, as of its last look
SHARED_SLICE = 2       # ns of a native slice: the outermost activation hands over at a
                       # tail call about this often (a pause and the debugger's progress
                       # then see the true state), as the interpreter's slices come back
SHARED_CHUNK = 3       # ticks between two looks (signals, the pause flag, the GIL, the clock)
SHARED_MARGIN = 4      # ticks kept back before the run's target or the fuel (below)
SHARED_PAUSE_SINCE = 5  # monotonic ns at which a look first saw the pause flag (0: none)
SHARED_GRACE = 6       # ns a pause waits for the outermost activation to reach a back-edge
SHARED_VM = 7          # the address of the VM (primitives called from compiled code take it)
SHARED_GLOBALS = 8     # the address of the VM's globals list (closures called from compiled code)
SHARED_WORDS = 9
# With more than twice the margin to the run's target (or the fuel), native code keeps
# the last ticks back and, when it gets there, hands its activation over at the next
# back-edge (an exit), so the interpreter runs up to the limit exactly without re-running
# the whole call (vm/jit/runtime.py emit_refill).
SHARED_DEFAULTS = {SHARED_SLICE: 1_000_000, SHARED_CHUNK: 1 << 20, SHARED_MARGIN: 1 << 16,
                   SHARED_GRACE: 50_000_000}

# Native recursion is capped below the VM's own limit so a thread's C stack never
# overflows; deeper calls bail and the interpreter (which has no such limit) goes on.
NATIVE_DEPTH_CAP = 10_000

# A compiled function that bails this often (for reasons other than fuel and pauses),
# and on most of its calls, is given up: re-running every call twice costs more than it saves.
GIVE_UP_BAILS = 64

TIER_NAMES = {0: "interp", 1: "jit1", 2: "jit2"}


class Rejection:
    """Why a function will not be compiled; stored in `func.jit_state`, never retried."""

    __slots__ = ("reason", "calls_at", "callee_ok")
    native = None
    tier = "interp"

    def __init__(self, reason: str, calls_at: int = 0, callee_ok: bool = False):
        self.reason = reason          # one line in the user's words
        self.calls_at = calls_at      # the function's call count when it was rejected
        # Not compiled on its own, but with a compiled caller (a "leaf" with a change,
        # analyse.Plan.effects): the interpreter runs it as its routine meanwhile.
        self.callee_ok = callee_ok

    def __repr__(self) -> str:
        return f"<rejected: {self.reason}>"


class JitCode:
    """One function's native code: the Python-callable entry plus what stats and listings need."""

    def __init__(self, func, tier: int, symbol: str, entry, keepalive, ir_text: str,
                 unoptimised_ir: str, compile_ms: float, engine):
        self.func = func                  # the CompiledFunction
        self.nparams = func.nparams       # the only argument count the code takes
        self.level = tier                 # 1 or 2
        self.tier = TIER_NAMES[tier]      # "jit1" or "jit2", as stats and the debugger show it
        self.symbol = symbol              # LLVM name of the native body (the listings show it)
        self.native = entry               # builtin: entry(budget, room, *args) -> (value, ticks) | bail code
        self.keepalive = keepalive        # the PyMethodDef, name and descriptor the builtin points at
        self.ir_text = ir_text            # optimised LLVM IR of the whole compile unit
        self.unoptimised_ir = unoptimised_ir
        self.compile_ms = compile_ms      # wall time of the unit's compile, in milliseconds
        self.compile_cpu_ms = compile_ms  # the same in this thread's CPU time (load-independent)
        self.engine = engine              # keeps the execution engine (and so the code) alive
        self.blockers = (func,)           # this function and every function it calls natively
        self.global_guards = ()           # (global index, expected func or constant) it relies on
        self.calls = 0                    # calls from the interpreter while this is the code
        self.bails = {}                   # bail reason code -> count
        self.exits = 0                    # times it handed its activation over (ExitSite)
        self.hard_bails = 0               # bails that are not fuel or pauses
        self.promote_at = 0               # self.calls at which tier 2 is tried (0: never)
        self.depth_floor = -1             # calls with this much depth room or less run interpreted
        self.param_types = ()             # the argument types the code speculates on (None: any)
        # It changes something outside its frame (analyse.py Plan.effects): None, "leaf"
        # (it bails only before its one change) or "deopt" (it never bails: it hands its
        # frame over at the instruction that could not go on, an exit, since re-running
        # the call would repeat its changes; only the interpreter calls it).
        self.effects = None
        self.env = False                  # its function captures: the native takes the closure last

    def __repr__(self) -> str:
        return f"<{self.tier} {self.func.name}>"


class ExitSite:
    """A place where compiled code may hand its activation over to the interpreter: a
    back-edge of a loop in the function the interpreter called (or one it tail-called).

    The interpreter gets that function's own frame at `ip` (a tail call's TailCall, or a
    backward jump's target), with its `nlocals` locals (the slots in `cells` boxed, as
    MakeCell left them) and the operand stack `stack` describes: None for a value the exit
    carries, ("global", i) for the closure in global i, ("value", v) for a primitive the
    code loaded as a constant. `tail`: a tail call's site (the TailCall runs next, and
    enters native code again at once), else a loop's."""

    __slots__ = ("func", "ip", "nlocals", "cells", "stack", "tail", "reason")

    def __init__(self, func, ip, nlocals, cells, stack, tail, reason=None):
        self.func, self.ip, self.nlocals = func, ip, nlocals
        self.cells, self.stack, self.tail = tuple(cells), tuple(stack), tail
        # Code with effects hands over where it would have bailed (translate.py deopt):
        # the bail's reason, counted as a bail is (a guard that keeps failing gives the
        # code up). None for a hand-over the runtime asked for (fuel, a pause, a slice).
        self.reason = reason

    def __repr__(self) -> str:
        return f"<exit {self.func.name}@{self.ip}{' tail' if self.tail else ''}>"


def exit_frame(vm, closure, r):
    """The frame an exit hands over (`r` is [site, ticks, values...] from the entry), or
    None when it cannot say which closure the frame runs (the call then re-runs
    interpreted, as after a bail). `closure` is the one the interpreter called."""
    site = vm.jit.exit_sites[r[0]]
    target = loop_closure(vm, closure, site.func)
    if target is None:
        return None
    values = r[2:]
    n = site.nlocals
    locals_ = values[:n]
    for i in site.cells:
        locals_[i] = Cell(locals_[i])
    stack, k = [], n
    for entry in site.stack:
        if entry is None:
            stack.append(values[k])
            k += 1
        elif entry[0] == "global":
            stack.append(vm.globals[entry[1]])
        else:
            stack.append(entry[1])
    frame = Frame(target, locals_)
    frame.ip = site.ip
    frame.stack = stack
    return frame


def loop_closure(vm, closure, func):
    """The closure whose frame runs `func` in the activation that exited: the one the
    interpreter called, or the one a tail call loaded from a global. Compiled functions
    capture nothing, so only identity could tell two closures of one function apart; with
    more than one candidate the answer is None."""
    found = closure if closure.func is func else None
    code = closure.func.jit_state
    for index, expected in getattr(code, "global_guards", ()):
        if expected is func:
            v = vm.globals[index]
            if found is None:
                found = v
            elif v is not found:
                return None
    return found


def guards_hold(vm, code) -> bool:
    """The globals the code inlined still hold what they held at compile time, and no
    function it runs natively has a breakpoint (the debugger wins). `enter` inlines this."""
    for func in code.blockers:
        if func.jit_blocked:
            return False
    g = vm.globals
    for index, expected in code.global_guards:
        v = g[index]
        if v.__class__ is Closure:
            if v.func is not expected:
                return False
        elif not same_constant(v, expected):
            return False
    return True


def same_constant(v, expected) -> bool:
    """A global still holds the constant compiled code inlined (floats may be equal copies)."""
    return v is expected or (v.__class__ is expected.__class__ and v == expected)


def enter(vm, fiber, closure, args: list, tail: bool):
    """Count a closure call and run it natively when it is compiled.

    Returns (value, ticks) when native code ran the whole call (vm.tick already advanced),
    or None: the interpreter runs the call from its start, exactly as without the JIT.
    Bail-outs return None too; nothing was charged, so fuel and ticks are as at the call.
    Or a Frame: native code stopped at a loop's back-edge (an exit, see ExitSite) and
    vm.tick is advanced to that point; the caller pushes the frame (replaces the current
    one for a tail call), exactly as the call's own frame would stand at that tick.
    This runs on every call of a compiled function, so it reads as few attributes as it
    can (CompiledFunction attributes are the slow ones)."""
    code = closure.func.jit_state
    if code is None:
        code = consider(vm, closure.func, args)
        if code is None:
            return None
    if code.native is None or len(args) != code.nparams:
        return None
    tick = vm.tick
    budget = vm.run_target - tick
    if fiber.fuel is not None:
        fuel = vm.live_fuel(fiber)
        if fuel < budget:
            budget = fuel
    r = run_compiled(vm, code, tick, budget, vm.max_depth - len(fiber.frames) - (0 if tail else 1), args,
                     closure)
    if r.__class__ is tuple:
        vm.tick = tick + r[1]
        return r
    if r is None:
        return None
    frame = exit_frame(vm, closure, r)
    if frame is not None:
        vm.tick = tick + r[1]
    return frame


def run_compiled(vm, code, tick: int, budget: int, room: int, args, closure=None):
    """Run one call of compiled `code` at `tick`, with `budget` ticks to the run's target or
    the fiber's fuel and `room` frames below the depth limit: (value, ticks), or None when it
    declined or bailed (the interpreter runs the call; nothing was charged), or a list
    [exit site, ticks, values...] when it exited at a loop's back-edge (see exit_frame;
    nothing was charged yet). The dispatch loop comes here through `enter`, regions
    (vm/regions.py) directly; the call is counted. `closure`: the one called, which code
    of a function that captures takes after the arguments."""
    if vm.stepping or (code.effects and vm.read_only):
        return None
    calls = code.calls = code.calls + 1
    if calls == code.promote_at:
        code = vm.jit_engine().promote(code.func)
        if code.native is None:
            return None
    for f in code.blockers:
        if f.jit_blocked:
            return None
    if code.global_guards:
        g = vm.globals
        for index, expected in code.global_guards:
            v = g[index]
            if v.__class__ is Closure:
                if v.func is not expected:
                    return None
            elif not same_constant(v, expected):
                return None
    if room <= code.depth_floor:      # includes room < 0: the interpreter raises the overflow
        return None
    if budget <= 0:
        return None
    engine = code.engine
    if tick + budget == engine.bail_horizon and budget * 2 > engine.bail_budget:
        return None
    if code.env:
        if closure is None:
            return None
        args = (*args, closure)
    r = code.native(budget, room if room < NATIVE_DEPTH_CAP else NATIVE_DEPTH_CAP, *args)
    if r.__class__ is tuple:
        return r
    if r.__class__ is list:
        code.exits += 1
        if code.effects == "deopt":
            reason = engine.exit_sites[r[0]].reason
            if reason is not None:
                note_bail(vm, code, reason, room)
        if budget - r[1] <= engine.exit_margin:
            # It stopped because the run's target or the fuel is near: the interpreter runs
            # the last few ticks; native code would only stop again after a turn.
            engine.bail_horizon, engine.bail_budget = tick + budget, 0
        return r
    if r == BAIL_FUEL:
        # The interpreter now runs this call up to the fuel (or run) limit, and every call
        # it makes on the way would try natively again and bail again. Try again only once
        # half of this budget is spent, so the wasted native work stays below the budget.
        engine.bail_horizon, engine.bail_budget = tick + budget, budget
    note_bail(vm, code, r, room)
    return None


class Tiering:
    """When a function is worth compiling, by the instructions it runs (`vmdbg run`'s
    default; VM.jit_tiering). Without one, a function compiles at its jit_threshold-th call.

    Instructions are counted by sampling, which costs the dispatch loop nothing: each time
    run_loop reaches its limit (about every PAUSE_SLICE ticks, vm/core.py), the ticks run
    since the last sample are charged to the function of the frame on top (note_work). So
    a function's loops count as well as its calls, whether the loop runs in the dispatch
    loop or a region, and a function that does little work is never compiled, whatever
    its call count. A routine call (vm/routines.py run_routine: a whole call as Python,
    without frames) counts its own ticks for its function and is stopped exactly where
    that function gets hot (routine_budget, note_routine). A function whose count reaches
    the threshold is hot: its next call compiles it (consider), as the call threshold
    would; until then it keeps the interpreter's fast paths (the inline call, routines:
    interpreted_for_now). A hot loop (in a function called once, or at top level) is
    compiled on its own and entered at its header (`loops`, on by default: vm/jit/osr.py).
    The first compile of a process pays for llvmlite and the runtime
    (tests/bench/README.md: tens of ms, several times a function's own compile), so the
    first threshold is higher than the next ones: compile cost is paid where the work
    already done says it will be repaid."""

    __slots__ = ("first", "more", "work", "hot", "last", "loops", "loop_table", "osr_funcs", "calls")

    def __init__(self, first: int | None = None, more: int | None = None, loops: bool = True,
                 calls: int = 0):
        self.first = WORK_FIRST if first is None else first   # before anything compiled
        self.more = WORK_MORE if more is None else more       # once the JIT's runtime is loaded
        self.work: dict = {}          # function -> instructions sampled in it
        self.hot: set = set()         # functions that compile at their next call
        self.last = 0                 # tick of the last sample
        # Loops tier up too (on-stack replacement, vm/jit/osr.py): a loop whose sampled
        # work reaches the same threshold is compiled and entered at its header.
        self.loops = loops
        self.loop_table: dict = {}    # function -> {header offset: osr.LoopState}
        self.osr_funcs: dict = {}     # function -> its `fast` entries before any piece (or None)
        # `vmdbg run --jit N`: functions compile at their Nth call, as without a Tiering;
        # only loops are found by the samples (so a loop at top level compiles too).
        self.calls = calls

    def install(self, vm):
        """Turn the JIT on for `vm` (made with jit=0, before it loads a program; or with
        jit=N for `calls`) with this policy. Functions keep the interpreter's fast paths
        (the inline call, routines) until they are hot: only then do their calls go
        through the JIT's door (enter)."""
        vm.jit_threshold = self.calls or 10     # on; without `calls` the number is not used
        vm.jit_tiering = self
        self.last = vm.tick
        return vm

    def threshold(self, vm) -> int:
        engine = vm.jit
        return self.more if engine is not None and engine._backend is not None else self.first


# Instructions a function runs (as sampled) before it is compiled: about what the compile
# costs in the interpreter's time (the ski-rental rule: a program that ends just after
# loses at most about as much as it ran interpreted, one that goes on wins). The first
# compile of a process pays the JIT's start-up (importing llvmlite, loading the runtime:
# about 40 ms of CPU with a warm code cache; the interpreter runs 30-45M instructions a
# second with its routines, so about 1M of them), the next ones only their own (2-10 ms).
# Measured: tests/bench/README.md, "Whole process (issue 14)".
WORK_FIRST = 1_000_000
WORK_MORE = 200_000
# The least budget routine_budget gives a routine (a routine stopped before its first block
# has run nothing, and would never count).
ROUTINE_STEP = 4096


def note_work(vm, func, tick: int):
    """Charge the ticks run since the last sample to `func` (the function on top at a
    limit of run_loop); a function not decided yet that reaches the threshold is hot."""
    t = vm.jit_tiering
    n = tick - t.last
    t.last = tick
    if n <= 0 or func.jit_state is not None or func is vm.main or t.calls:
        return
    w = t.work[func] = t.work.get(func, 0) + n
    if w >= t.threshold(vm):
        t.hot.add(func)
        func.fast_argc = -1       # its next call comes to the JIT (consider) and compiles


def routine_budget(vm, func, room: int) -> int:
    """The ticks a routine call of `func` (vm/routines.py run_routine) may run: `room`, or
    with VM.jit_tiering just enough to make an undecided `func` hot, so that one long call
    (fib(30) as a routine, without frames the samples could see) stops there exactly
    (Suspend) and the interpreter, which goes on from its frames, compiles it at the next
    call."""
    t = vm.jit_tiering
    if t is None or t.calls or func.jit_state is not None or func in t.hot:
        return room
    left = t.threshold(vm) - t.work.get(func, 0)
    return room if left >= room else min(room, max(left, ROUTINE_STEP))


def note_routine(vm, func, ran: int):
    """A routine call of `func` ran `ran` ticks: they count for `func`, not for the frame a
    sample finds on top (VM.jit_tiering)."""
    t = vm.jit_tiering
    t.last += ran
    if func.jit_state is None and func is not vm.main and not t.calls:
        w = t.work[func] = t.work.get(func, 0) + ran
        if w >= t.threshold(vm) and func not in t.hot:
            t.hot.add(func)
            func.fast_argc = -1


def interpreted_for_now(vm, func) -> bool:
    """The JIT leaves `func` to the interpreter's own fast paths (routines, vm/routines.py):
    the JIT is off, rejected it, or (VM.jit_tiering) has not found it hot yet. Or it is a
    "leaf" with a change (a counter closure: analyse.Plan.effects): one short block, which
    compiled callers run natively and the interpreter as its routine, since a native call
    from Python would cost more than the whole body."""
    if not vm.jit_threshold:
        return True
    state = func.jit_state
    if state is None:
        t = vm.jit_tiering
        return t is not None and not t.calls and func not in t.hot
    return state.__class__ is Rejection or state.effects == "leaf"


def consider(vm, func, args):
    """A call of a function the JIT has not decided on: count it; compile at the threshold
    (the jit_threshold-th call, or the first call once hot for VM.jit_tiering)."""
    func.calls += 1
    tiering = vm.jit_tiering
    if tiering is None or tiering.calls:
        if func.calls < vm.jit_threshold:
            return None
    elif func not in tiering.hot:
        # Not hot: its calls take the interpreter's inline path until it is (note_work).
        # (Functions are decoded for the JIT's door, vm/execute.py decode_function.)
        if not (func.rest or func.nopt):
            func.fast_argc = func.nparams
        return None
    try:
        engine = vm.jit_engine()
    except Exception as e:  # llvmlite missing or broken: run everything interpreted
        vm.jit_threshold = 0
        func.jit_state = Rejection(f"JIT unavailable: {type(e).__name__}: {e}", func.calls)
        return func.jit_state
    code = engine.compile(func, args)
    if code.native is not None:
        code.calls = -1     # this call is in func.calls already; enter counts it again
    return code


def note_bail(vm, code, reason: int, room: int):
    """Count a bail-out; a function that keeps bailing for real reasons is given up."""
    code.bails[reason] = code.bails.get(reason, 0) + 1
    if reason in (BAIL_FUEL, BAIL_INTERRUPT):
        return
    if reason == BAIL_DEPTH:
        # The interpreter now recurses one level at a time; retrying natively at every
        # level below this one would redo the same deep work each time.
        code.depth_floor = room
        return
    code.hard_bails += 1
    if code.hard_bails >= GIVE_UP_BAILS and code.hard_bails * 2 > code.calls:
        vm.jit_engine().give_up(code.func, f"bails too often ({BAIL_NAMES.get(reason, reason)})")
