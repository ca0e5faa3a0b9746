"""String primitives: building strings from display forms, measuring, searching, splitting, joining."""

from __future__ import annotations

import re

from vm.primitives.registry import primitive
from vm.primitives.types import (argument_error, ensure_size, expect_string, guard_depth,
                                 type_error)
from vm.values import EmptyList, Array, Pair, display

# `{}` takes the next argument; `{{` and `}}` are literal braces (as in Rust's and Python's
# format strings); any other brace is kept as written.
FORMAT_TOKEN = re.compile(r"\{\{|\}\}|\{\}")


def concatenate(vm, name: str, parts: list) -> str:
    """Join already-built strings after checking the result's size."""
    ensure_size(vm, name, sum(len(p) for p in parts))
    return "".join(parts)


@primitive("string", 0, None)
@guard_depth("string")
def make_string(vm, *args):
    """Concatenate the display forms of the arguments: (string "a" :b 1) is "ab1"."""
    return concatenate(vm, "string", [display(v) for v in args])


@primitive("string/length", 1, 1)
def measure_string(vm, s):
    """Number of characters in a string."""
    expect_string("string/length", s)
    return len(s)


@primitive("string-contains?", 2, 2)
def contains_string(vm, s, part):
    """True when part occurs in s."""
    expect_string("string-contains?", s)
    expect_string("string-contains?", part)
    return part in s


@primitive("string/split", 2, 2)
def split_string(vm, s, sep):
    """(string/split str sep): the pieces between occurrences of sep, as an array of strings.

    An empty separator splits the string into its characters."""
    expect_string("string/split", s)
    expect_string("string/split", sep)
    pieces = list(s) if sep == "" else s.split(sep)
    ensure_size(vm, "string/split", len(pieces))
    return Array(pieces)


@primitive("string/join", 1, 2)
@guard_depth("string/join")
def join_strings(vm, coll, *sep):
    """(string/join coll sep?): the display forms of an array's or list's elements joined by sep."""
    separator = sep[0] if sep else ""
    expect_string("string/join", separator)
    t = type(coll)
    if t is Array:
        items = coll.items
    elif t is Pair or t is EmptyList:
        items = list(coll)
    else:
        raise type_error("string/join", "an array or list", coll)
    parts = [display(v) for v in items]
    ensure_size(vm, "string/join", sum(len(p) for p in parts) + len(separator) * max(0, len(parts) - 1))
    return separator.join(parts)


@primitive("string/format", 1, None)
@guard_depth("string/format")
def format_string(vm, fmt, *args):
    """(string/format "{} + {} = {}" 1 2 3): each `{}` becomes the display form of the next argument."""
    expect_string("string/format", fmt)
    parts, start, used = [], 0, 0
    for m in FORMAT_TOKEN.finditer(fmt):
        parts.append(fmt[start:m.start()])
        start = m.end()
        token = m.group()
        if token != "{}":
            parts.append(token[0])
            continue
        if used == len(args):
            raise argument_error("string/format", f"the format has more {{}} than the {len(args)} arguments given")
        parts.append(display(args[used]))
        used += 1
    if used < len(args):
        raise argument_error("string/format", f"{len(args)} arguments given but the format uses only {used}")
    parts.append(fmt[start:])
    return concatenate(vm, "string/format", parts)
