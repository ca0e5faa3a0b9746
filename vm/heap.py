"""The heap budget (--max-heap): how much data a program may hold at once.

`--max-collection` bounds one collection; a program can still build many of them. The
heap budget bounds them all together, in the same unit: elements of arrays, sets and
structs, characters of strings, pairs of lists, cells, captures and frames' slots.

Counting every allocation and every release exactly would cost the interpreter on each
instruction. Instead, primitives that build data charge what they build to
`VM.heap_room` (vm/primitives/types.py ensure_size), and when a charge would not fit,
the VM takes a census (`live_size`): it measures what the program can still reach, from
its globals, fibers and the arguments of the call being made. Data the program dropped
is not counted, so a program that builds and drops a lot runs on; one that holds more
than the budget gets a `:size-limit` error before the allocation that would pass it.
After a census the room is the budget less what is live, or half of what is live when
that is more (a census costs about as much as what it walks, so it comes at most once
per that much allocation), so between two censuses a program holds at most 1.5 times
its budget, plus what instructions build without a primitive (literals, closures).

Determinism: a census runs only in the interpreter, at a call whose state is exact (the
fast paths pass a charge that does not fit back to it: vm/call.py), so it happens at the
same instruction, sees the same data and decides the same in every tier and under the
debugger. What it measures depends only on what the program can reach, never on Python's
garbage collector.
"""

from __future__ import annotations

from vm.fiber import Closure, Fiber, Frame
from vm.values import Array, Cell, EmptyList, Keyword, LSet, Native, Pair, Struct, Symbol

# The default --max-heap: 8 times the default --max-collection (vm/primitives/types.py).
DEFAULT_MAX_HEAP = 1 << 25
# heap_room without a budget: never runs short.
NO_LIMIT = 1 << 62

# Values that hold nothing the census counts.
_ATOMS = frozenset((int, float, bool, type(None), Keyword, Symbol, Native, EmptyList))


class HeapCensus(Exception):
    """A primitive's charge does not fit in VM.heap_room: the VM must take a census before
    the primitive may allocate. Raised before anything changed, so the call can be made
    again once the census found room (vm/call.py call_native)."""

    def __init__(self, name: str, n: int):
        super().__init__(name)
        self.name = name            # the primitive, for the :size-limit message
        self.n = n                  # elements it is about to allocate


def live_size(vm, extra=()) -> int:
    """Elements reachable from the program's globals, its running fibers and `extra`
    (the arguments of the call being made), each counted once however shared."""
    seen = set()
    total = 0
    todo = [vm.globals, list(extra)]
    if vm.root is not None:
        todo.append(vm.root)
    if vm.current is not None:
        todo.append(vm.current)
    atoms = _ATOMS
    while todo:
        v = todo.pop()
        t = type(v)
        if t in atoms or id(v) in seen:
            continue
        seen.add(id(v))
        if t is str:
            total += len(v)
            continue
        if t is Pair:
            # A list: walk the spine here, so a long one takes no Python recursion.
            while type(v) is Pair:
                total += 1
                if type(v.first) not in atoms:
                    todo.append(v.first)
                v = v.rest
                if id(v) in seen:
                    break
                seen.add(id(v))
            if type(v) not in atoms:
                todo.append(v)
            continue
        if t is Array:
            items = v.items
        elif t is Struct:
            total += len(v.d) + 1
            items = [*v.d.keys(), *v.d.values()]
            if not atoms.issuperset(map(type, items)):
                todo.extend(x for x in items if type(x) not in atoms)
            continue
        elif t is LSet:
            items = list(v.s)
        elif t is list or t is tuple or t is frozenset:
            items = v
        elif t is Cell:
            todo.append(v.value)
            total += 1
            continue
        elif t is Closure:
            items = v.captures
        elif t is Fiber:
            items = [v.frames, v.value, v.closure, v.creator, v.parent, v.child,
                     v.waiting_child, v.caught_by]
        elif t is Frame:
            items = [v.stack, v.locals, v.closure]
        else:
            continue                # anything else the VM made (a JIT object...): no data
        total += len(items) + 1
        # Most big collections hold numbers only: one pass in C finds that out.
        if not atoms.issuperset(map(type, items)):
            todo.extend(x for x in items if type(x) not in atoms)
    return total
