"""A deep copy of VM state for checkpoints: fast, and without recursion at any depth.

`copy.deepcopy` reaches every Frame and Fiber through `__reduce_ex__` and recurses once
per nested value, so a checkpoint of a 10,000-deep stack or a 100,000-deep list is slow or
fails. This copier knows the VM's types: it first walks the object graph with an explicit
stack and makes an empty copy of every mutable object, then fills the copies in. Lists and
dicts that hold only immutable values are copied in one C-level call, so a 1,000,000-
element array of numbers costs one list copy.

Immutable things are shared, never copied: numbers, strings, keywords, symbols, (),
compiled functions, natives, spans, error sites, closures without captures, and the
pre-decoded code lists frames point at (breakpoint patches live there).
"""

from __future__ import annotations

import copy

from vm.bytecode import CompiledFunction
from vm.core import ErrorSite
from vm.fiber import Closure, Fiber, Frame
from vm.reader import Span
from vm.values import Array, BoolKey, Cell, EmptyList, Keyword, LSet, Native, Pair, Struct, Symbol

SHARED = frozenset({int, float, complex, str, bytes, bool, type(None), Keyword, Symbol,
                    EmptyList, BoolKey, Native, CompiledFunction, Span, ErrorSite})

_FIBER_SLOTS = tuple(name for name in Fiber.__slots__ if name != "__weakref__")


def copy_state(root, apart: set | frozenset = frozenset(), size: list | None = None):
    """A deep copy of `root` (tuples, lists, dicts, sets and VM values), sharing what never
    changes and keeping identity and cycles.

    apart: ids of fibers copied with `frames` None (vmdbg/core/history.py keeps their
    frames apart, shared between checkpoints). size: a list that receives how big the copy
    is (objects copied, plus the elements of lists, dicts and sets)."""
    memo: dict = {}          # id(original) -> its copy
    fills: list = []         # (original, copy) whose contents are copied in phase two
    hashed: list = []        # dicts and sets: filled last, the most recently found first
    tuples: set = set()      # ids of tuples seen (built on demand in phase two)
    frames: list = []        # (original, copy, names of the fields still to fill)
    todo = [root]
    shared = SHARED
    cells = 0
    while todo:
        x = todo.pop()
        t = type(x)
        if t in shared:
            continue
        key = id(x)
        if key in memo or key in tuples:
            continue
        if t is list:
            cells += len(x)
            if shared.issuperset(map(type, x)):     # numbers, strings...: one C-level copy
                y = x.copy()
            else:
                y = []
                fills.append((x, y))
                todo.extend([v for v in x if type(v) not in shared])
        elif t is Frame:
            y = Frame.__new__(Frame)
            y.func = x.func
            y.code = x.code                         # the function's live decoded list
            y.ip = x.ip
            rest = []
            closure = x.closure
            if closure.captures:
                rest.append("closure")
                todo.append(closure)
            else:
                y.closure = closure                 # can never change
            # Most frames hold only numbers and such: those lists are copied right here.
            stack = x.stack
            if shared.issuperset(map(type, stack)):
                y.stack = stack.copy()
            else:
                rest.append("stack")
                todo.append(stack)
            locals_ = x.locals
            if shared.issuperset(map(type, locals_)):
                y.locals = locals_.copy()
            else:
                rest.append("locals")
                todo.append(locals_)
            if rest:
                frames.append((x, y, rest))
        elif t is Pair:
            y = Pair(None, None)
            fills.append((x, y))
            todo.append(x.rest)
            todo.append(x.first)
        elif t is Cell:
            y = Cell()
            fills.append((x, y))
            todo.append(x.value)
        elif t is Array:
            y = Array(None, x.mutable)
            fills.append((x, y))
            todo.append(x.items)
        elif t is Struct:
            y = Struct(None, x.mutable)
            fills.append((x, y))
            todo.append(x.d)
        elif t is LSet:
            y = LSet(None, x.mutable)
            fills.append((x, y))
            todo.append(x.s)
        elif t is Closure:
            if not x.captures:
                y = x                               # can never change
            else:
                y = Closure(x.func, None)
                fills.append((x, y))
                todo.append(x.captures)
        elif t is Fiber:
            y = Fiber.__new__(Fiber)
            fills.append((x, y))
            for name in _FIBER_SLOTS:
                if name != "frames" or key not in apart:
                    todo.append(getattr(x, name))
        elif t is dict:
            cells += len(x)
            y = {}
            hashed.append((x, y))
            todo.extend(x.keys())
            todo.extend(x.values())
        elif t is set:
            cells += len(x)
            y = set()
            hashed.append((x, y))
            todo.extend(x)
        elif t is tuple:
            tuples.add(key)
            todo.extend(x)
            continue
        else:
            continue                                # anything else: copy.deepcopy in phase two
        memo[key] = y

    def get(v):
        t = type(v)
        if t in shared:
            return v
        y = memo.get(id(v))
        if y is None:
            if t is tuple:
                y = tuple([get(item) for item in v])
            else:
                y = copy.deepcopy(v, memo)
            memo[id(v)] = y
        return y

    for x, y in fills:
        t = type(x)
        if t is list:
            y.extend([v if type(v) in shared else get(v) for v in x])
        elif t is Pair:
            y.first = get(x.first)
            y.rest = get(x.rest)
        elif t is Cell:
            y.value = get(x.value)
        elif t is Array:
            y.items = get(x.items)
        elif t is Struct:
            y.d = get(x.d)
        elif t is LSet:
            y.s = get(x.s)
        elif t is Closure:
            y.captures = get(x.captures)
        elif t is Fiber:
            whole = id(x) not in apart
            for name in _FIBER_SLOTS:
                if whole or name != "frames":
                    setattr(y, name, get(getattr(x, name)))
                else:
                    y.frames = None
    for x, y, rest in frames:
        for name in rest:
            setattr(y, name, get(getattr(x, name)))
    # Keys hash by content, so dicts and sets are filled once everything else is, the
    # ones found last (nested deepest) first.
    for x, y in reversed(hashed):
        if type(x) is dict:
            for k, v in x.items():
                y[get(k)] = get(v)
        else:
            y.update([get(k) for k in x])
    result = get(root)
    if size is not None:
        size.append(len(memo) + cells)
    # `get` refers to itself, so this frame lives until a garbage collection: empty the
    # memo now, or the copies it holds (fibers among them) would outlive the checkpoint.
    memo.clear()
    return result
