"""Loops tier up: on-stack replacement at loop headers, in functions and at top level.

Calls alone do not find a hot loop in a function called once, or in `main`. With
VM.jit_tiering (`vmdbg run`'s default), run_loop's samples (about every PAUSE_SLICE ticks,
vm/core.py; see Tiering in vm/jit/code.py) also charge the ticks since the last sample to
every loop around the instruction the frame on top stands at. A loop whose count reaches
the tiering threshold is compiled as a piece (vm/jit/piece.py: the loop from its header,
a function of the variables it touches) and its header gets an entry in the function's
pre-decoded code (`decoded` and `fast`, where breakpoints restore from), in the
region protocol (vm/regions.py): the next time the interpreter reaches the header, the
entry runs the piece natively with the frame's variables; when the piece leaves the
loop (an Exit) or hands over at a back-edge (the run's limit near, a pause), the entry
writes the variables back into the frame and the globals, pushes what the piece left on
the stack, and returns the offset to go on at and the ticks run, which the dispatch loop
adds as it does a region's. So ticks, fuel and every value are the interpreter's.

A bail (a guard, an overflow, an error ahead, the fuel) returns before anything was
written: the interpreter runs the loop from the header as if the piece were not there,
and errors come from the interpreter at their own locations. A piece that bails for a
reason other than the fuel or a pause is compiled again for any types if it speculated
on its variables' types, else given up. Regions that would run through a compiled
header are rebuilt to stop there (so the entry is reached); a loop given up, or one that
never compiled, keeps (gets back) the function's regions and superinstructions exactly
as they were. Entries never run while the debugger steps, has a breakpoint in the
function (jit_blocked; the Session also runs the plain entries then), or evaluates a
watch (read_only).
"""

from __future__ import annotations

from vm.fuse import FUSED_REGION
from vm.jit.code import JitCode, Rejection, note_work, run_compiled
from vm.regions import _stub, find_blocks, reachable, worth_it
from vm.values import Array, Keyword, Struct


class LoopState:
    """What the tiering knows of one loop: its work, its piece, or why it has none."""

    __slots__ = ("func", "head", "end", "work", "piece", "dead", "entry")

    def __init__(self, func, head: int, end: int):
        self.func, self.head, self.end = func, head, end
        self.work = 0          # ticks sampled inside the loop
        self.piece = None      # its Piece once compiled
        self.dead = None       # why it stays interpreted (a reason), once decided
        self.entry = None      # the decoded entry at its header while the piece is live

    def __repr__(self) -> str:
        state = "live" if self.piece is not None and self.dead is None else self.dead or "cold"
        return f"<loop {self.func.name}@{self.head}..{self.end} {state}>"


def sample(vm, frame, tick: int):
    """run_loop's sample at a limit: function work (note_work) and, with loops on, the
    work of the loops around the frame's instruction (see the module doc)."""
    t = vm.jit_tiering
    n = tick - t.last
    note_work(vm, frame.func, tick)
    if n > 0 and t.loops and vm.jit_threshold:
        note_loops(vm, t, frame, n)


def loops_of(t, func) -> dict:
    table = t.loop_table.get(func)
    if table is None:
        from vm.jit.piece import find_loops
        plain = getattr(func, "plain", None) or []
        table = t.loop_table[func] = {h: LoopState(func, h, e) for h, e in find_loops(plain).items()}
        if table:
            t.osr_funcs.setdefault(func, None)
    return table


def note_loops(vm, t, frame, n: int):
    table = loops_of(t, frame.func)
    if not table:
        return
    ip = frame.ip
    hot = []
    limit = None
    for st in table.values():
        if st.head <= ip < st.end and st.piece is None and st.dead is None:
            st.work += n
            if limit is None:
                limit = t.threshold(vm)
            if st.work >= limit:
                hot.append(st)
    if hot:
        # The outermost hot loop that compiles runs the ones inside it too: compile it
        # alone (the others wait for `more` instructions of their own, so a loop inside one
        # whose header is not reached again soon still compiles; mandelbrot's x loop does
        # not need to).
        hot.sort(key=lambda st: st.head - st.end)
        for st in hot:
            compile_loops(vm, frame, [st])
            if st.piece is not None:
                for inner in table.values():
                    if st.head <= inner.head and inner.end <= st.end and inner is not st:
                        inner.work = 0      # (the threshold is now `more`: the runtime is loaded)
                break


def compile_loops(vm, frame, hot: list):
    """Compile the hot loops around the frame's instruction (each its own piece), and put
    an entry at the header of each one that compiled."""
    func = frame.func
    from vm.jit.analyse import Reject, analyse, resolver_for, speculated_types
    from vm.jit.piece import build_piece
    resolve = resolver_for(vm)
    changed = False
    for st in hot:
        try:
            piece = build_piece(func, st.head, st.end, resolve)
            args = [frame.locals[i] for i in piece.slots] + [vm.globals[g] for g in piece.globals]
            # Only the types of variables read before they are assigned matter at entry;
            # the values the frame holds now (inside the loop) say what they will be.
            args = [a if k in piece.live_in and representable(a) else _ANY for k, a in enumerate(args)]
            # What the engine would refuse, refused before it is made (a loop that calls a
            # function it was passed, say: no llvmlite, no engine for it).
            analyse(piece, resolve, speculated_types(args))
        except Reject as r:
            st.dead = str(r)
            continue
        except Exception as e:  # the JIT must never take the program down
            st.dead = f"JIT error: {type(e).__name__}: {e}"
            continue
        try:
            engine = vm.jit_engine()
        except Exception as e:  # llvmlite missing or broken: the loops stay interpreted
            st.dead = f"JIT unavailable: {type(e).__name__}: {e}"
            continue
        code = engine.compile(piece, args)
        if code.__class__ is not JitCode:
            st.dead = code.reason if code.__class__ is Rejection else "not compiled"
            continue
        st.piece = piece
        changed = True
    if changed:
        reinstall(vm, func)


class _Any:
    """An argument whose type the piece does not speculate on (see speculated_types)."""


_ANY = _Any()


def representable(v) -> bool:
    t = type(v)
    return t in (int, float, bool, Keyword, Array, Struct) or v is None


def give_up(vm, st, reason: str):
    """The piece of `st` bails for real: try once for any types, then interpreted only."""
    piece = st.piece
    code = piece.jit_state
    engine = vm.jit_engine()
    if code.__class__ is JitCode and any(p is not None for p in code.param_types):
        engine.give_up(piece, reason)
        if piece.jit_state.__class__ is JitCode and piece.jit_state is not code:
            return
    if piece.jit_state.__class__ is not Rejection:
        engine.reject(piece, reason)
    st.dead = "gave up: " + reason
    reinstall(vm, st.func)


def make_entry(vm, st):
    """The region-protocol entry at the loop's header (see the module doc)."""
    piece = st.piece
    head = st.head
    slots = piece.slots
    gslots = piece.globals
    n = len(slots) + len(gslots)
    from vm.jit.code import BAIL_NAMES

    def entry(L, S, budget, frame, vm, depth=0):
        code = piece.jit_state
        if code.__class__ is not JitCode or S or vm.read_only or vm._pause_requested:
            if code.__class__ is not JitCode or S:
                give_up(vm, st, "the loop starts with values on the stack" if S else "not compiled")
            return head, 0
        now = vm.loop_limit - budget
        end = vm.routine_end - now
        g = vm.globals
        args = [L[i] for i in slots]
        if gslots:
            args += [g[i] for i in gslots]
        hard = code.hard_bails
        r = run_compiled(vm, code, now, end, vm.max_depth - len(vm.current.frames), args)
        if r.__class__ is list:
            values = r[2:]
            k = 0
            for i in slots:
                L[i] = values[k]
                k += 1
            for i in gslots:
                g[i] = values[k]
                k += 1
            site = vm.jit.exit_sites[r[0]]
            for e in site.stack:
                if e is None:
                    S.append(values[k])
                    k += 1
                else:
                    S.append(g[e[1]] if e[0] == "global" else e[1])
            return head + site.ip, r[1]
        if r is None and piece.jit_state is code and code.hard_bails > hard:
            reason = max(code.bails, key=code.bails.get) if code.bails else 0
            give_up(vm, st, f"bails ({BAIL_NAMES.get(reason, reason)})")
        return head, 0
    return entry


def reinstall(vm, func):
    """Rebuild the entries of `func`'s code for its live pieces: an entry at each live
    header, regions that stop at those headers, everything else as it was before the
    first piece (the saved copy); with no live piece, exactly as it was."""
    t = vm.jit_tiering
    saved = t.osr_funcs.get(func)
    fast = getattr(func, "fast", None)     # (None without superinstructions: vm/execute.py FUSION)
    if saved is None:
        saved = t.osr_funcs[func] = list(fast if fast is not None else func.decoded)
    live = {st.head: st for st in t.loop_table.get(func, {}).values()
            if st.piece is not None and st.dead is None}
    out = list(saved)
    if live:
        plain = func.plain
        blocks = find_blocks(plain)
        for b in blocks.values():
            b.succ = [s for s in b.succ if s not in live]
        lists = lambda: (func.decoded, func.fast) if fast is not None else (func.decoded,)    # noqa: E731
        hot: dict = {}              # shared by the new stubs (vm/regions.py COVERED)
        for start, entry in enumerate(saved):
            if entry is None or start in live:
                continue
            if entry[0] == FUSED_REGION and start in blocks:
                region = reachable(blocks, start)
                nx = plain[start][2]
                out[start] = ((FUSED_REGION, _stub(region, FUSED_REGION, nx, lists, hot), nx)
                              if worth_it(region) else plain[start])
        for head, st in live.items():
            if st.entry is None:
                st.entry = make_entry(vm, st)
            out[head] = (FUSED_REGION, st.entry, plain[head][2])
    if fast is not None:
        fast[:] = out
    if not func.jit_blocked:
        func.decoded[:] = out
