"""Checkpoints of the whole VM state, for reverse execution by deterministic replay.

Frames are shared between checkpoints, so a deep stack costs little. The VM changes a
frame only while it is the top of its fiber, and a frame that returned is never pushed
again (a restore makes new ones). So while a frame stays at index k of its fiber, frames
0..k-1 do not change. A checkpoint keeps a fiber's outermost frames that refer to nothing
mutable packed in Chunks of CHUNK frames, each with a weak reference (`mark`) to the live
frame right above it; while that frame is still there, the chunk and all below it are
still what the live frames are. The next checkpoint shares those chunks and packs only the
frames above them; a restore keeps those live frames and makes only the rest (and marks
the frames it made, so the chunks are shared again). Weak references: a checkpoint must
not keep a frame (and what its stack holds, a fiber say) alive after it returned.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

from vm.fiber import Frame
from vmdbg.core.statecopy import SHARED, copy_state

_ref = weakref.ref
_chain = chain.from_iterable
_closure = attrgetter("closure")
_captures = attrgetter("captures")
_ip = attrgetter("ip")
_stack = attrgetter("stack")
_locals = attrgetter("locals")


# Checkpoints may take at most about this share of the running time.
COPY_SHARE = 0.05
# Checkpoints holding fewer than this many references all together (about 8 to 30 MB) are
# small: more of them are kept (History.small_count).
SMALL_SIZE = 1_000_000


@dataclass
class Checkpoint:
    """A deep copy of everything the program can change, taken between instructions."""

    tick: int
    state: tuple
    output_chunks: int
    output_size: int
    cost: float          # seconds the copy took
    stacks: dict = None  # fiber id -> FrameCopies (the fibers in `state` have frames None)
    size: int = 0        # about how many references this copy added (see History.limit)


class History:
    """Periodic checkpoints with bounded memory: when there are more than `max_count`,
    every other one is dropped and the interval doubles, so a run of any length keeps
    at most `max_count` copies and replay never covers more than two intervals.

    `small_count`: while the copies are small (all of them together hold fewer than
    SMALL_SIZE references: objects copied, elements of lists, dicts and sets, frames packed),
    up to that many are kept instead, so a long run of small state (fib, a tail loop: a
    few frames and globals) keeps its checkpoints closer together and a step back replays
    less."""

    def __init__(self, interval: int = 50_000, max_count: int = 48, small_count: int | None = None):
        self.interval = interval
        self.initial_interval = interval
        self.max_count = max_count
        self.small_count = max(small_count or max_count, max_count)
        self.checkpoints: list[Checkpoint] = []
        self.skipped = 0            # tick of the last checkpoint that could not be taken
        self.last_taken = None      # perf_counter() when the last checkpoint was taken
        self.recent = None          # the checkpoint last taken or restored (frames shared)
        self.scratch = None         # one more, taken by a replay near where it went (see take_scratch)

    def clear(self):
        self.checkpoints.clear()
        self.interval = self.initial_interval
        self.last_taken = None
        self.recent = None
        self.scratch = None
        self.skipped = 0

    def next_due(self) -> int:
        if not self.checkpoints:
            return 0
        return max(self.checkpoints[-1].tick, self.skipped) + self.interval

    def maybe_take(self, vm):
        """Take a checkpoint if one is due at vm.tick (never with a signal held for a
        catchpoint: replays deliver signals at once, so that state is not on the timeline)."""
        if vm.held_signal is not None:
            return
        if not self.checkpoints or vm.tick >= self.next_due():
            if self.checkpoints and self.checkpoints[-1].tick == vm.tick:
                return
            self.take(vm)

    def take(self, vm):
        start = time.perf_counter()
        vm.settle_fuel()
        try:
            prev = self.recent if self.recent is not None else (self.checkpoints[-1] if self.checkpoints else None)
            state, stacks, size = capture(vm, prev.stacks if prev is not None else None)
        except RecursionError:
            # State nested too deeply to copy (a 100,000-deep list, thousands of nested
            # fibers): skip this one; replay from an earlier checkpoint stays exact.
            if not self.checkpoints:
                raise
            self.skipped = vm.tick
            return
        cp = Checkpoint(vm.tick, state, len(vm.output), vm.output_size, time.perf_counter() - start,
                        stacks, size)
        # Drop checkpoints "in the future" (after a goto into the past, then new stepping).
        while self.checkpoints and self.checkpoints[-1].tick >= vm.tick:
            self.checkpoints.pop()
        if self.scratch is not None and self.scratch.tick >= vm.tick:
            self.scratch = None
        self.checkpoints.append(cp)
        self.recent = cp
        while len(self.checkpoints) > self.limit():
            keep = self.checkpoints[::2]
            if keep[-1] is not self.checkpoints[-1]:
                keep.append(self.checkpoints[-1])
            self.checkpoints = keep
            self.interval *= 2
        # A copy that costs a lot, or more than a small share of the time the program ran
        # since the last one, spaces the next ones out (a big heap is copied less often).
        now = time.perf_counter()
        since = now - self.last_taken if self.last_taken is not None else None
        if cp.cost > 0.05 or (since is not None and cp.cost > COPY_SHARE * since):
            self.interval *= 2
        self.last_taken = now

    def limit(self) -> int:
        """How many checkpoints may be kept now (see small_count)."""
        if self.small_count > self.max_count and len(self.checkpoints) > self.max_count:
            if sum(cp.size for cp in self.checkpoints) < SMALL_SIZE:
                return self.small_count
        return self.max_count

    def before(self, tick: int) -> Checkpoint | None:
        """The latest checkpoint at or before `tick`."""
        best = None
        for cp in self.checkpoints:
            if cp.tick <= tick:
                best = cp
            else:
                break
        sc = self.scratch
        if sc is not None and sc.tick <= tick and (best is None or sc.tick > best.tick):
            best = sc
        return best

    def take_scratch(self, vm):
        """Keep a checkpoint of now (a replay's way, on the timeline) apart from the others:
        the steps back that follow replay from here. Replaced by the next one; dropped
        with the checkpoints after it."""
        if vm.held_signal is not None:
            return
        start = time.perf_counter()
        vm.settle_fuel()
        try:
            state, stacks, size = capture(vm, self.recent.stacks if self.recent is not None else None)
        except RecursionError:
            return
        self.scratch = Checkpoint(vm.tick, state, len(vm.output), vm.output_size,
                                  time.perf_counter() - start, stacks, size)

    def restore(self, vm, cp: Checkpoint):
        restore(vm, cp)
        self.recent = cp

    def memory_estimate(self) -> int:
        """Rough bytes held by the checkpoints (sizes of the copied objects)."""
        import sys
        seen = set()
        total = 0
        cps = self.checkpoints + ([self.scratch] if self.scratch is not None else [])
        stack = [cp.state for cp in cps]
        stack += [(st.chunks, st.rest) for cp in cps for st in cp.stacks.values()]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            total += sys.getsizeof(obj)
            if isinstance(obj, (list, tuple)):
                stack.extend(obj)
            elif isinstance(obj, dict):
                stack.extend(obj.keys())
                stack.extend(obj.values())
            elif hasattr(obj, "__slots__"):
                for name in getattr(type(obj), "__slots__", ()):
                    if name != "__weakref__" and hasattr(obj, name):
                        v = getattr(obj, name)
                        if not callable(v) and type(v).__name__ not in ("CompiledFunction", "Native"):
                            stack.append(v)
        return total


_FIELDS = ("root", "current", "result", "uncaught", "error_site", "held_signal", "held_ip",
           "halted", "status", "tick", "next_fiber_id", "heap_room")

CHUNK = 256


class Chunk:
    """CHUNK frames (or fewer, at the top) that refer to nothing mutable, packed in four
    tuples (about 48 bytes a frame): their contents never change, so every checkpoint
    whose frames hold them shares one Chunk. `mark` is a weak reference to a live frame
    that sits right above them (at the next chunk's first index) while the live frames
    below it are these; None for a partial chunk or one with nothing above it."""

    __slots__ = ("closures", "ips", "lens", "vals", "mark")

    @classmethod
    def make(cls, frames, above, shared=SHARED):
        """The chunk of `frames`, or None if one of them refers to something mutable (a
        closure with captures, a stack or locals holding more than numbers, strings and
        such). A frame's func and code are always its closure's, so only the closure is
        kept."""
        closures = tuple(map(_closure, frames))
        if any(map(_captures, closures)):
            return None
        stacks = list(map(_stack, frames))
        locals_ = list(map(_locals, frames))
        vals = tuple(_chain(_chain(zip(stacks, locals_))))
        if not shared.issuperset(map(type, vals)):
            return None
        self = cls.__new__(cls)
        self.closures = closures
        self.ips = tuple(map(_ip, frames))
        self.lens = tuple(_chain(zip(map(len, stacks), map(len, locals_))))
        self.vals = vals
        self.mark = _ref(above) if above is not None and len(frames) == CHUNK else None
        return self

    def unpack(self, out: list):
        lens = self.lens
        vals = self.vals
        pos = 0
        new = Frame.__new__
        for i, (c, ip) in enumerate(zip(self.closures, self.ips)):
            f = new(Frame)
            f.closure = c
            f.func = func = c.func
            f.code = func.decoded
            f.ip = ip
            k = pos + lens[2 * i]
            f.stack = list(vals[pos:k])
            pos = k + lens[2 * i + 1]
            f.locals = list(vals[k:pos])
            out.append(f)


class FrameCopies:
    """One fiber's frames in a checkpoint: the outermost `plain` frames (those that refer
    to nothing mutable) in Chunks (chunk c: frames c*CHUNK..), shared with other
    checkpoints; the frames above them are copies in `rest`."""

    __slots__ = ("chunks", "rest", "plain", "added")

    def __init__(self, chunks, rest, plain, added=0):
        self.chunks = chunks
        self.rest = rest
        self.plain = plain
        self.added = added            # references in the chunks made for this checkpoint


def _plain(f, shared=SHARED) -> bool:
    return (not f.closure.captures and shared.issuperset(map(type, f.stack))
            and shared.issuperset(map(type, f.locals)))


def _unchanged(live: list, chunks: list) -> int:
    """How many leading chunks of `chunks` the live frames `live` still are: a chunk whose
    mark is the live frame right above it (all the chunks below it come with it: they sat
    under that frame since, so none of them ran)."""
    n = len(live)
    for c in range(len(chunks) - 1, -1, -1):
        m = chunks[c].mark
        if m is not None:
            i = (c + 1) * CHUNK
            if i < n and live[i] is m():
                return c + 1
    return 0


def _frame_copies(frames: list, prev) -> tuple:
    """(FrameCopies without `rest`, the frames to copy into `rest`) for live `frames`,
    sharing the chunks of `prev` (FrameCopies or None) they still are."""
    n = len(frames)
    full = _unchanged(frames, prev.chunks) if prev is not None else 0
    chunks = prev.chunks[:full] if full else []
    shared = full
    plain = full * CHUNK
    while plain < n:
        end = min(plain + CHUNK, n)
        chunk = Chunk.make(frames[plain:end], frames[end] if end < n else None)
        if chunk is None:
            # Up to the first frame that refers to something mutable.
            end = plain
            while _plain(frames[end]):
                end += 1
            if end > plain:
                chunks.append(Chunk.make(frames[plain:end], None))
            plain = end
            break
        chunks.append(chunk)
        plain = end
    added = sum(len(c.vals) + 4 * len(c.closures) for c in chunks[shared:])
    return FrameCopies(chunks, None, plain, added), frames[plain:]


def capture(vm, prev: dict | None = None) -> tuple:
    """(state, stacks): a copy of everything the program can change, the fibers' frames
    apart (fiber id -> FrameCopies), sharing the frames unchanged since `prev`'s."""
    # The current fiber's fuel is charged lazily; a checkpoint holds it charged, since a
    # restore starts counting afresh (fuel_tick None).
    vm.settle_fuel()
    fibers = list(vm.fibers.values())
    stacks = {}
    rests = []
    for f in fibers:
        st, rest = _frame_copies(f.frames, prev.get(f.id) if prev else None)
        stacks[f.id] = st
        rests.append(rest)
    live = (tuple(getattr(vm, f) for f in _FIELDS), list(vm.globals), fibers, dict(vm.registry.bits),
            vm.registry.next_user, rests)
    size = []
    state = copy_state(live, {id(f) for f in fibers}, size)
    for st, rest in zip(stacks.values(), state[5]):
        st.rest = rest
    return state[:5], stacks, size[0] + sum(st.added for st in stacks.values())


def restore(vm, cp: Checkpoint):
    # Live frames that are still what the checkpoint holds are kept; the others are made
    # from its chunks and copies.
    live = {f.id: f.frames for f in vm.fibers.values()}
    kept = {}
    tails = []
    for fid, st in cp.stacks.items():
        frames = live.get(fid)
        chunks = st.chunks
        r = _unchanged(frames, chunks) if frames else 0
        out = frames[:r * CHUNK] if r else []
        for chunk in chunks[r:]:
            chunk.unpack(out)
        kept[fid] = out
        tails.append(st.rest)
    state, tails = copy_state((cp.state, tails), {id(f) for f in cp.state[2]})
    fields, globals_, fibers, bits, next_user = state
    for fiber, tail in zip(fibers, tails):
        frames = kept[fiber.id]
        frames += tail
        fiber.frames = frames
        # The frames made stand for the chunks now (the ones they were are gone): mark
        # them, so the next checkpoint and restore share them again.
        chunks = cp.stacks[fiber.id].chunks
        n = len(frames)
        for c, chunk in enumerate(chunks):
            i = (c + 1) * CHUNK
            if i < n and len(chunk.closures) == CHUNK:
                m = chunk.mark
                if m is None or m() is not frames[i]:
                    chunk.mark = _ref(frames[i])
    for name, value in zip(_FIELDS, fields):
        setattr(vm, name, value)
    if vm.status == "running":          # taken between slices of a run
        vm.status = "ready"
    # Globals an `eval` defined after the checkpoint keep their slots, unset again.
    vm.globals[:] = globals_ + [None] * (len(vm.globals) - len(globals_))
    vm.fibers = weakref.WeakValueDictionary({f.id: f for f in fibers})
    vm.registry.bits = bits
    vm.registry.next_user = next_user
    del vm.output[cp.output_chunks:]
    vm.output_size = cp.output_size
    vm.fuel_tick = None
    vm.stop_reason = None
    vm.pause_requested = False
