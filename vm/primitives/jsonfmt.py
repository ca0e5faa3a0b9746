"""JSON primitives: json/parse reads JSON text into values, json/serialize and json/pretty write it."""

from __future__ import annotations

import math

from vm.primitives.collections import key_of
from vm.primitives.numbers import MAX_INT_BITS
from vm.primitives.registry import primitive
from vm.primitives.types import (argument_error, ensure_size, expect_string, guard_depth, show,
                                 type_error)
from vm.values import Array, EmptyList, Keyword, LSet, Pair, Struct, Symbol, kw, sorted_members, unkey


# The decimal digits of the widest integer `*` may build.
MAX_INT_DIGITS = int(MAX_INT_BITS * math.log10(2)) + 1


def reject_constant(name: str):
    # Python's json module reads NaN and Infinity; JSON has neither.
    raise ValueError(f"{name} is not JSON")


def read_int(digits: str) -> int:
    # Reading n digits takes time quadratic in n; the cap is the size `*` refuses to exceed.
    if len(digits) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(digits)} digits is too long")
    return int(digits)


def from_json(v, keyword_keys: bool):
    """A parsed Python value as a value of the language: objects become structs, arrays arrays."""
    t = type(v)
    if t is dict:
        return Struct({key_of("json/parse", kw(k) if keyword_keys else k): from_json(x, keyword_keys)
                       for k, x in v.items()}, False)
    if t is list:
        return Array([from_json(x, keyword_keys) for x in v], False)
    return v


@primitive("json/parse", 1, 3)
@primitive("json-parse", 1, 3)
@guard_depth("json/parse")
def json_parse(vm, text, *options):
    """(json/parse text): objects become structs with string keys (keyword keys with
    `:keys :keyword`), arrays arrays, null nil."""
    expect_string("json/parse", text)
    keyword_keys = False
    if options:
        if len(options) != 2 or options[0] is not kw("keys") or options[1] not in (kw("keyword"), kw("string")):
            raise argument_error("json/parse", "the only option is :keys :keyword (or :keys :string)")
        keyword_keys = options[1] is kw("keyword")
    try:
        import json             # on first use: not on every start-up
        value = json.loads(text, parse_constant=reject_constant, parse_int=read_int)
    except ValueError as e:
        raise argument_error("json/parse", f"invalid JSON: {e}") from None
    return from_json(value, keyword_keys)


def to_json(v):
    """A value of the language as a Python value json.dumps writes."""
    t = type(v)
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float:
        if math.isnan(v) or math.isinf(v):
            raise argument_error("json/serialize", f"{show(v)} has no JSON form")
        return v
    if t is Keyword or t is Symbol:
        return v.name
    if t is Array:
        return [to_json(x) for x in v.items]
    if t is Pair or t is EmptyList:
        return [to_json(x) for x in v]
    if t is LSet:
        return [to_json(x) for x in sorted_members(v.s)]
    if t is Struct:
        out = {}
        for k, x in v.d.items():
            k = unkey(k)
            if type(k) is Keyword or type(k) is Symbol:
                key = k.name
            elif type(k) is str:
                key = k
            else:
                raise type_error("json/serialize", "struct keys that are strings or keywords", k)
            out[key] = to_json(x)
        return out
    raise type_error("json/serialize", "a value with a JSON form", v)


def write_json(vm, name: str, v, indent) -> str:
    separators = (",", ":") if indent is None else (",", ": ")
    import json
    text = json.dumps(to_json(v), ensure_ascii=False, indent=indent, separators=separators)
    ensure_size(vm, name, len(text))
    return text


@primitive("json/serialize", 1, 1)
@primitive("json-serialize", 1, 1)
@guard_depth("json/serialize")
def json_serialize(vm, v):
    """(json/serialize v): compact JSON text; keywords become strings, lists and sets arrays."""
    return write_json(vm, "json/serialize", v, None)


@primitive("json/pretty", 1, 1)
@primitive("json-serialize-pretty", 1, 1)
@guard_depth("json/pretty")
def json_pretty(vm, v):
    """(json/pretty v): JSON text indented by two spaces."""
    return write_json(vm, "json/pretty", v, 2)
