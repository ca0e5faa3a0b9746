"""String primitives: building strings from display forms, measuring, searching, splitting, joining, case, format."""

from __future__ import annotations

import re

from vm.primitives.registry import primitive
from vm.primitives.types import (MAX_LENGTH, argument_error, charge, ensure_size, expect_string, guard_depth,
                                 type_error)
from vm.values import Array, EmptyList, Keyword, Pair, display

# `{}` takes the next argument, `{name}` the value after the keyword :name; `{{` and `}}`
# are literal braces (as in Rust's and Python's format strings); any other brace is kept.
FORMAT_TOKEN = re.compile(r"\{\{|\}\}|\{\}|\{[A-Za-z_][A-Za-z0-9_?!*+-]*\}")


def concatenate(vm, name: str, parts: list) -> str:
    """Join already-built strings after checking the result's size."""
    ensure_size(vm, name, sum(len(p) for p in parts))
    return "".join(parts)


@guard_depth("string")
def _make_string(vm, *args):
    return concatenate(vm, "string", [display(v, vm.max_collection) for v in args])


@primitive("string", 0, None)
@primitive("any->string", 0, None)
@primitive("symbol->string", 0, None)
def make_string(vm, *args):
    """Concatenate the display forms of the arguments: (string "a" :b 1) is "ab1"."""
    if len(args) == 1:
        # (string n) and (string s), the common cases: what display gives, without the walk.
        v = args[0]
        t = type(v)
        if t is int or t is str:
            s = v if t is str else str(v)
            limit = vm.max_collection
            if len(s) <= MAX_LENGTH and (limit is None or len(s) <= limit):
                return s
            # too long: the general path raises the error the display walk gives
    return _make_string(vm, *args)


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
@primitive("string-split", 2, 2)
def split_string(vm, s, sep):
    """(string/split str sep): the pieces between occurrences of sep, as an array of strings.

    An empty separator splits the string into its characters."""
    expect_string("string/split", s)
    expect_string("string/split", sep)
    pieces = list(s) if sep == "" else s.split(sep)
    ensure_size(vm, "string/split", len(pieces))
    return Array(pieces)


@primitive("string/join", 1, 2)
@primitive("string-join", 1, 2)
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
    parts = [display(v, vm.max_collection) for v in items]
    ensure_size(vm, "string/join", sum(len(p) for p in parts) + len(separator) * max(0, len(parts) - 1))
    return separator.join(parts)


@primitive("string/format", 1, None)
@guard_depth("string/format")
def format_string(vm, fmt, *args):
    """(string/format "{} + {} = {}" 1 2 3): each `{}` becomes the display form of the next
    argument; with named placeholders, (string/format "{a}-{b}" :a 1 :b 2)."""
    expect_string("string/format", fmt)
    tokens = list(FORMAT_TOKEN.finditer(fmt))
    # Named mode: `{name}` placeholders, no `{}`, and arguments to fill them. Otherwise a
    # `{name}` is ordinary text, as it was before named placeholders existed.
    named = None
    if args and any(len(m.group()) > 2 for m in tokens) and not any(m.group() == "{}" for m in tokens):
        named = named_arguments(args)
    parts, start, used = [], 0, 0
    for m in tokens:
        parts.append(fmt[start:m.start()])
        start = m.end()
        token = m.group()
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif token == "{}":
            if used == len(args):
                raise argument_error("string/format", f"the format has more {{}} than the {len(args)} arguments given")
            parts.append(display(args[used], vm.max_collection))
            used += 1
        elif named is None:
            parts.append(token)
        elif token[1:-1] in named:
            parts.append(display(named[token[1:-1]], vm.max_collection))
        else:
            raise argument_error("string/format", f"no argument named :{token[1:-1]}")
    if named is None and used < len(args):
        raise argument_error("string/format", f"{len(args)} arguments given but the format uses only {used}")
    parts.append(fmt[start:])
    return concatenate(vm, "string/format", parts)


def named_arguments(args) -> dict:
    """name -> value from `:name value` pairs, for a format with named placeholders."""
    if len(args) % 2 or not all(type(k) is Keyword for k in args[::2]):
        raise argument_error("string/format", "a format with named placeholders takes :name value pairs")
    return {args[i].name: args[i + 1] for i in range(0, len(args), 2)}


# ---------------------------------------------------------------------------
# Case, searching, replacing

@primitive("string/uppercase", 1, 1)
@primitive("string/upcase", 1, 1)
@primitive("string-upcase", 1, 1)
def uppercase(vm, s):
    """(string/uppercase s): s in upper case."""
    expect_string("string/uppercase", s)
    out = s.upper()
    ensure_size(vm, "string/uppercase", len(out))  # "ß" becomes "SS": it can grow
    return out


@primitive("string/lowercase", 1, 1)
@primitive("string/downcase", 1, 1)
@primitive("string-downcase", 1, 1)
def lowercase(vm, s):
    """(string/lowercase s): s in lower case."""
    expect_string("string/lowercase", s)
    out = s.lower()
    ensure_size(vm, "string/lowercase", len(out))
    return out


@primitive("string/find", 2, 3)
def find_string(vm, s, part, *offset):
    """(string/find s part start?): the index of the first occurrence of part at or after
    start (default 0; negative counts from the end), or nil."""
    expect_string("string/find", s)
    expect_string("string/find", part)
    start = 0
    if offset:
        start = offset[0]
        if type(start) is not int:
            raise type_error("string/find", "an integer offset", start)
        if start < 0:
            start = max(0, start + len(s))
    if start > len(s):
        return None
    i = s.find(part, start)
    return None if i < 0 else i


@primitive("string/contains?", 2, 2)
def contains_substring(vm, s, part):
    """(string/contains? s part): true when part occurs in s."""
    expect_string("string/contains?", s)
    expect_string("string/contains?", part)
    return part in s


@primitive("string/starts-with?", 2, 2)
@primitive("string-starts-with?", 2, 2)
def starts_with(vm, s, prefix):
    """(string/starts-with? s prefix): true when s begins with prefix."""
    expect_string("string/starts-with?", s)
    expect_string("string/starts-with?", prefix)
    return s.startswith(prefix)


@primitive("string/ends-with?", 2, 2)
@primitive("string-ends-with?", 2, 2)
def ends_with(vm, s, suffix):
    """(string/ends-with? s suffix): true when s ends with suffix."""
    expect_string("string/ends-with?", s)
    expect_string("string/ends-with?", suffix)
    return s.endswith(suffix)


@primitive("string/replace", 3, 3)
@primitive("string-replace", 3, 3)
def replace_string(vm, s, old, new):
    """(string/replace s old new): s with every occurrence of old replaced by new."""
    for v in (s, old, new):
        expect_string("string/replace", v)
    if not old:
        raise argument_error("string/replace", "the string to replace must not be empty")
    ensure_size(vm, "string/replace", len(s) + s.count(old) * (len(new) - len(old)))
    return s.replace(old, new)


@primitive("string/trim", 1, 1)
@primitive("string-trim", 1, 1)
def trim_string(vm, s):
    """(string/trim s): s without leading and trailing whitespace."""
    expect_string("string/trim", s)
    return s.strip()


@primitive("string/repeat", 2, 2)
@primitive("string-repeat", 2, 2)
def repeat_string(vm, s, n):
    """(string/repeat s n): s written n times."""
    expect_string("string/repeat", s)
    if type(n) is not int:
        raise type_error("string/repeat", "a non-negative integer", n)
    if n < 0:
        raise argument_error("string/repeat", f"expected a non-negative count, got {n}")
    if not s:
        return ""           # any count of nothing: Python would refuse a count past 2^63
    ensure_size(vm, "string/repeat", len(s) * n)
    return s * n


# ---------------------------------------------------------------------------
# Bytes

# RFC 3986's unreserved characters: the bytes uri-encode leaves as they are.
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def utf8(s: str) -> bytes:
    # surrogatepass: a string is any sequence of code points; this never fails.
    return s.encode("utf-8", "surrogatepass")


@primitive("string/size-of", 1, 1)
def byte_size(vm, s):
    """(string/size-of s): the number of bytes of s in UTF-8."""
    expect_string("string/size-of", s)
    return len(utf8(s))


@primitive("uri-encode", 1, 1)
def uri_encode(vm, s):
    """(uri-encode s): s percent-encoded per RFC 3986 (letters, digits and -._~ stay)."""
    expect_string("uri-encode", s)
    data = utf8(s)
    ensure_size(vm, "uri-encode", 3 * len(data))
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in data)


@primitive("@string", 0, None)
def string_from_bytes(vm, *codes):
    """(@string 72 105): the string whose UTF-8 bytes are the arguments (there are no
    mutable strings here; the result is an ordinary string)."""
    for b in codes:
        if type(b) is not int or not 0 <= b <= 255:
            raise type_error("@string", "a byte (an integer from 0 to 255)", b)
    ensure_size(vm, "@string", len(codes), 0)
    try:
        text = bytes(codes).decode("utf-8")
    except UnicodeDecodeError:
        raise argument_error("@string", "the bytes are not valid UTF-8") from None
    charge(vm, "@string", len(text))
    return text
