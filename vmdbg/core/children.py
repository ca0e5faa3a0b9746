"""The parts of a value a front end can expand (array items, struct fields, captures), a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from vm.fiber import Closure, Fiber
from vm.values import (EMPTY, Array, Cell, Keyword, LSet, Pair, Struct, literal, preview,
                       sorted_members, type_name, unkey)

from vmdbg.core.snapshot import PREVIEW

# A key is written into an evaluate name only when its literal form is this short: a long
# string key would make a watch expression nobody wants to read.
KEY_IN_NAME = 60


@dataclass(frozen=True)
class ValueInfo:
    """How a value is shown on one line, and how many parts it has."""

    preview: str
    type: str
    named: int          # named parts (struct fields, captures, a box's value, a list's tail)
    indexed: int        # indexed parts (array items, list elements, set members)


@dataclass(frozen=True)
class Part:
    """One part of a value: its name, the value itself, and an expression for it (built
    from the parent's), or None when the part cannot be named in the language."""

    name: str
    value: object
    expression: str | None


def describe(value, limit: int = PREVIEW) -> ValueInfo:
    named, indexed = _counts(value)
    return ValueInfo(preview(value, limit), type_name(value), named, indexed)


def expandable(value) -> bool:
    named, indexed = _counts(value)
    return named + indexed > 0


def _counts(value) -> tuple[int, int]:
    t = type(value)
    if t is Array:
        return 0, len(value.items)
    if t is Struct:
        return len(value.d), 0
    if t is LSet:
        return 0, len(value.s)
    if t is Pair:
        n, tail = _list_length(value)
        return (1 if tail is not EMPTY else 0), n
    if t is Closure:
        return len(_captures(value)), 0
    if t is Cell:
        return 1, 0
    if t is Fiber:
        return len(_fiber_fields(value)), 0
    return 0, 0


def parts(value, parent: str | None, start: int = 0, count: int | None = None,
          which: str | None = None) -> list[Part]:
    """Parts `start` .. `start + count - 1` of `value` (count None or 0: all the rest);
    `which` is "indexed", "named" or None (both, named first). `parent` is an expression
    for the value, or None."""
    start = max(0, int(start or 0))
    named, indexed = _counts(value)
    if which == "indexed":
        stop = indexed if not count else min(indexed, start + int(count))
        return _indexed(value, parent, start, stop) if start < stop else []
    out = _named(value, parent) if named else []
    if which == "named":
        return out[start:start + int(count)] if count else out[start:]
    # Both kinds in one list: the page covers the named parts, then the indexed ones.
    first = max(0, start - len(out))
    stop = indexed if not count else min(indexed, start + int(count) - len(out))
    out = out[start:] + (_indexed(value, parent, first, stop) if first < stop else [])
    return out[:int(count)] if count else out


def _indexed(value, parent, start: int, stop: int) -> list[Part]:
    t = type(value)
    if t is Array:
        items = value.items[start:stop]
    elif t is LSet:
        # Sets have no order of their own: the printer's stable order, so a page is the
        # same page every time it is asked for.
        items = sorted_members(value.s)[start:stop]
        parent = None                   # a set member has no (get s i)
    else:                               # a list: walk to the page
        items, p, i = [], value, 0
        while type(p) is Pair and i < stop:
            if i >= start:
                items.append(p.first)
            p, i = p.rest, i + 1
    return [Part(f"[{i}]", v, f"(get {parent} {i})" if parent else None)
            for i, v in enumerate(items, start)]


def _named(value, parent) -> list[Part]:
    t = type(value)
    if t is Struct:
        out = []
        for k, v in value.d.items():
            key = unkey(k)
            name = preview(key, 80)
            text = literal(key) if type(key) in (Keyword, str, int, bool) or key is None else None
            expr = f"(get {parent} {text})" if parent and text and len(text) <= KEY_IN_NAME else None
            out.append(Part(name, v, expr))
        return out
    if t is Pair:
        _, tail = _list_length(value)
        return [Part("tail", tail, None)]
    if t is Closure:
        return [Part(name, v, None) for name, v in _captures(value)]
    if t is Cell:
        return [Part("value", value.value, None)]
    if t is Fiber:
        return [Part(name, v, None) for name, v in _fiber_fields(value)]
    return []


def _list_length(p) -> tuple[int, object]:
    n = 0
    while type(p) is Pair:
        n += 1
        p = p.rest
    return n, p


def _captures(closure) -> list[tuple[str, object]]:
    """(name, value) of each capture the user wrote (compiler temporaries left out)."""
    out = []
    caps = closure.captures
    for i, (_, _, name) in enumerate(closure.func.captures):
        if "#" in name or i >= len(caps):
            continue
        v = caps[i]
        out.append((name, v.value if type(v) is Cell else v))
    return out


def _fiber_fields(fiber) -> list[tuple[str, object]]:
    # Plain values only: the fiber's frames are shown as a thread's stack, not here.
    return [("id", fiber.id), ("status", Keyword(fiber.status)), ("function", fiber.function_name),
            ("mask", fiber.mask), ("bits", fiber.bits), ("value", fiber.value)]
