"""Collection primitives: lists, arrays, structs and sets (building, reading, updating, slicing)."""

from __future__ import annotations

import math

from vm.heap import HeapCensus
from vm.primitives.registry import primitive
from vm.primitives.types import (argument_error, charge, ensure_size, expect_number, guard_depth,
                                 type_error)
from vm.values import _order_key, sorted_members
from vm.values import (EMPTY, Array, EmptyList, Keyword, LSet, Pair, Struct, Symbol, hash_key,
                       list_from, unkey)

SEQUENCE = "a list, array or string"


# ---------------------------------------------------------------------------
# Helpers

def count_list(p) -> int:
    """Number of pairs in a list (an improper tail is not counted)."""
    n = 0
    while type(p) is Pair:
        n += 1
        p = p.rest
    return n


def resolve_index(name: str, i, n: int):
    """The position `i` names in a sequence of length n (negative counts from the end), or None."""
    if type(i) is not int:
        raise type_error(name, "an integer index", i)
    if i < 0:
        i += n
    return i if 0 <= i < n else None


def clamp_index(name: str, i, n: int) -> int:
    """A slice bound: negative counts from the end, then clamped to 0..n."""
    if type(i) is not int:
        raise type_error(name, "an integer index", i)
    if i < 0:
        i += n
    return min(max(i, 0), n)


def key_of(name: str, v):
    """The dict/set key for v; a type error for a value that cannot be a key."""
    k = hash_key(v)
    try:
        hash(k)
    except TypeError:
        raise type_error(name, "a value usable as a key", v) from None
    return k


def unpack_sequence(name: str, coll):
    """The elements of a list or array as a Python list, or a string itself (both slice alike)."""
    t = type(coll)
    if t is Array:
        return coll.items
    if t is str:
        return coll
    if t is Pair or t is EmptyList:
        return list(coll)
    raise type_error(name, SEQUENCE, coll)


def repack_sequence(coll, items):
    """A new sequence of the same kind (and mutability) as coll holding items."""
    t = type(coll)
    if t is Array:
        return Array(list(items), coll.mutable)
    if t is str:
        return items
    return list_from(items)


def expect_mutable_array(name: str, v) -> None:
    """Raise a type error unless v is an @array."""
    if type(v) is not Array or not v.mutable:
        raise type_error(name, "an @array", v)


def expect_struct(name: str, v) -> None:
    """Raise a type error unless v is a struct or @struct."""
    if type(v) is not Struct:
        raise type_error(name, "a struct", v)


def build_struct(vm, name: str, args, mutable: bool) -> Struct:
    """A struct from flat key/value arguments."""
    if len(args) % 2:
        raise argument_error(name, f"expected key/value pairs, got {len(args)} argument{'' if len(args) == 1 else 's'}")
    ensure_size(vm, name, len(args) // 2)
    return Struct({key_of(name, args[i]): args[i + 1] for i in range(0, len(args), 2)}, mutable)


def build_set(vm, name: str, args, mutable: bool) -> LSet:
    """A set of the arguments, each frozen first (a member that could change in place would
    no longer be found where its hash put it)."""
    ensure_size(vm, name, len(args))
    memo: dict = {}
    return LSet({key_of(name, freeze_deep(v, memo)) for v in args}, mutable)


def freeze_deep(v, memo: dict):
    """v with every @array, @struct and @set inside it (itself included) made immutable.

    Parts that hold nothing mutable come back as they are; memo (id -> result) makes shared
    parts cost once. Lists are walked along their spine, so a long list costs no recursion."""
    t = type(v)
    if t is not Pair and t is not Array and t is not Struct and t is not LSet:
        return v
    done = memo.get(id(v))
    if done is not None:
        return done
    if t is Pair:
        items, p = [], v
        while type(p) is Pair:
            items.append(p.first)
            p = p.rest
        new_items = [freeze_deep(x, memo) for x in items]
        tail = freeze_deep(p, memo)
        if tail is p and all(a is b for a, b in zip(items, new_items)):
            out = v
        else:
            out = tail
            for x in reversed(new_items):
                out = Pair(x, out)
    elif t is Array:
        new_items = [freeze_deep(x, memo) for x in v.items]
        same = not v.mutable and all(a is b for a, b in zip(v.items, new_items))
        out = v if same else Array(new_items, False)
    elif t is Struct:
        new_d = {k: freeze_deep(x, memo) for k, x in v.d.items()}
        same = not v.mutable and all(new_d[k] is x for k, x in v.d.items())
        out = v if same else Struct(new_d, False)
    else:
        # Members are already hashed by content; freezing one keeps it equal, so the set
        # can be rebuilt from the frozen members.
        new_s = {freeze_deep(k, memo) for k in v.s}
        out = v if not v.mutable and new_s == v.s else LSet(new_s, False)
    memo[id(v)] = out
    return out


def rank_member(v):
    """A sort key giving set members a deterministic order (Python's set order is not)."""
    return _order_key(v)


# ---------------------------------------------------------------------------
# Lists and sequences

@primitive("list", 0, None)
def make_list(vm, *args):
    """A list of the arguments."""
    ensure_size(vm, "list", len(args))
    return list_from(args)


@primitive("pair", 2, 2)
def make_pair(vm, first, rest):
    """A pair: (pair 1 (list 2)) is (1 2)."""
    room = vm.heap_room - 1         # types.charge, written out: cons is hot
    if room < 0:
        raise HeapCensus("pair", 1)
    vm.heap_room = room
    return Pair(first, rest)


@primitive("first", 1, 1)
def get_first(vm, coll):
    """First element of a list, array or string; nil when empty."""
    t = type(coll)
    if t is Pair:
        return coll.first
    if t is EmptyList:
        return None
    if t is Array:
        return coll.items[0] if coll.items else None
    if t is str:
        return coll[0] if coll else None
    raise type_error("first", SEQUENCE, coll)


@primitive("rest", 1, 1)
def get_rest(vm, coll):
    """Everything after the first element, as the same kind of sequence; empty stays empty."""
    t = type(coll)
    if t is Pair:
        return coll.rest
    if t is EmptyList:
        return EMPTY
    if t is Array:
        return Array(coll.items[1:], coll.mutable)
    if t is str:
        return coll[1:]
    raise type_error("rest", SEQUENCE, coll)


@primitive("last", 1, 1)
def get_last(vm, coll):
    """Last element of a list, array or string; nil when empty."""
    items = unpack_sequence("last", coll)
    return items[-1] if items else None


@primitive("butlast", 1, 1)
def drop_last(vm, coll):
    """All but the last element, as the same kind of sequence."""
    items = unpack_sequence("butlast", coll)
    return repack_sequence(coll, items[:-1])


@primitive("slice", 2, 3)
def take_slice(vm, coll, start, *end):
    """(slice coll start end?): elements start..end-1; negative bounds count from the end."""
    items = unpack_sequence("slice", coll)
    n = len(items)
    lo = clamp_index("slice", start, n)
    hi = n if not end or end[0] is None else clamp_index("slice", end[0], n)
    return repack_sequence(coll, items[lo:max(lo, hi)])


@primitive("reverse", 1, 1)
def reverse_sequence(vm, coll):
    """The elements in reverse order, as the same kind of sequence."""
    return repack_sequence(coll, unpack_sequence("reverse", coll)[::-1])


@primitive("length", 1, 1)
def get_length(vm, coll):
    """Number of elements of a list, array, string, struct or set; characters of a symbol's
    or keyword's name."""
    t = type(coll)
    if t is Array:
        return len(coll.items)
    if t is str:
        return len(coll)
    if t is Pair or t is EmptyList:
        return count_list(coll)
    if t is Struct:
        return len(coll.d)
    if t is LSet:
        return len(coll.s)
    if t is Symbol or t is Keyword:
        return len(coll.name)
    raise type_error("length", "a collection", coll)


def join_arrays(vm, first: Array, more) -> Array:
    """Concatenate arrays: onto an @array in place (as Elle does), else into a new array."""
    for a in more:
        if type(a) is not Array:
            raise type_error("append", "an array", a)
    added = sum(len(a.items) for a in more)
    ensure_size(vm, "append", len(first.items) + added, added if first.mutable else None)
    items = first.items if first.mutable else list(first.items)
    for a in more:
        items.extend(list(a.items) if a is first else a.items)
    return first if first.mutable else Array(items, False)


def join_strings(vm, first: str, more) -> str:
    """Concatenate strings."""
    for s in more:
        if type(s) is not str:
            raise type_error("append", "a string", s)
    ensure_size(vm, "append", len(first) + sum(len(s) for s in more))
    return first + "".join(more)


def join_lists(vm, first, more):
    """Concatenate lists into a new list."""
    items = list(first)
    for p in more:
        if type(p) is not Pair and type(p) is not EmptyList:
            raise type_error("append", "a list", p)
        items.extend(p)
        ensure_size(vm, "append", len(items), 0)
    charge(vm, "append", len(items))
    return list_from(items)


@primitive("append", 1, None, pure=False)
def append(vm, first, *more):
    """Concatenate arrays, lists or strings (all of the first one's kind): an @array grows in
    place and is returned; arrays, lists and strings give a new one."""
    t = type(first)
    if t is Array:
        return join_arrays(vm, first, more)
    if t is str:
        return join_strings(vm, first, more)
    if t is Pair or t is EmptyList:
        return join_lists(vm, first, more)
    raise type_error("append", SEQUENCE, first)


def count_range(start, end, step) -> int:
    """How many elements start, start+step, ... stay before end."""
    if type(start) is int and type(end) is int and type(step) is int:
        return max(0, -((start - end) // step))
    span = (end - start) / step
    if math.isnan(span) or math.isinf(span):
        raise argument_error("range", "bounds and step must be finite")
    return max(0, math.ceil(span))


@primitive("range", 1, 3)
def make_range(vm, *args):
    """(range end), (range start end), (range start end step): an @array of numbers."""
    for a in args:
        expect_number("range", a)
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], 1)
    if len(args) == 3:
        step = args[2]
    if step == 0:
        raise argument_error("range", "step must not be zero")
    try:
        n = count_range(start, end, step)
    except OverflowError:
        raise argument_error("range", "integer too large to convert to a float") from None
    ensure_size(vm, "range", n)
    # An @array, as in Elle: (range 5) is @[0 1 2 3 4].
    if type(start) is int and type(step) is int:
        return Array(list(range(start, start + n * step, step)), True)
    return Array([start + i * step for i in range(n)], True)


# ---------------------------------------------------------------------------
# Constructors and mutability

@primitive("array", 0, None)
def make_array(vm, *args):
    """An immutable array of the arguments."""
    ensure_size(vm, "array", len(args))
    return Array(list(args), False)


@primitive("@array", 0, None)
def make_mutable_array(vm, *args):
    """A mutable @array of the arguments."""
    ensure_size(vm, "@array", len(args))
    return Array(list(args), True)


@primitive("struct", 0, None)
@guard_depth("struct")
def make_struct(vm, *args):
    """An immutable struct from flat key/value arguments."""
    return build_struct(vm, "struct", args, False)


@primitive("@struct", 0, None)
@guard_depth("@struct")
def make_mutable_struct(vm, *args):
    """A mutable @struct from flat key/value arguments."""
    return build_struct(vm, "@struct", args, True)


@primitive("set", 0, None)
@guard_depth("set")
def make_set(vm, *args):
    """An immutable set of the arguments."""
    return build_set(vm, "set", args, False)


@primitive("@set", 0, None)
@guard_depth("@set")
def make_mutable_set(vm, *args):
    """A mutable @set of the arguments."""
    return build_set(vm, "@set", args, True)


def copy_collection(name: str, coll, mutable: bool):
    """A shallow copy of an array, struct or set with the given mutability."""
    t = type(coll)
    if t is Array:
        return Array(list(coll.items), mutable)
    if t is Struct:
        return Struct(dict(coll.d), mutable)
    if t is LSet:
        return LSet(set(coll.s), mutable)
    raise type_error(name, "an array, struct or set", coll)


@primitive("freeze", 1, 1)
def freeze(vm, coll):
    """An immutable copy of an @array, @struct or @set; immutable values come back as they are."""
    t = type(coll)
    if t is str or t is Pair or t is EmptyList:
        return coll
    if t in (Array, Struct, LSet) and not coll.mutable:
        return coll
    return copy_collection("freeze", coll, False)


@primitive("thaw", 1, 1)
def thaw(vm, coll):
    """A mutable copy of an array, struct or set."""
    return copy_collection("thaw", coll, True)


@primitive("set->array", 1, 1)
@guard_depth("set->array")
def set_to_array(vm, s):
    """The members of a set as an array (an @array for an @set), in a deterministic order."""
    if type(s) is not LSet:
        raise type_error("set->array", "a set", s)
    return Array(sorted_members(s.s), s.mutable)


# ---------------------------------------------------------------------------
# Reading and updating by key

def get_nth(seq, index, missing):
    """Element `index` of a list, array or string (negative from the end), or `missing`."""
    t = type(seq)
    if t is Array:
        i = resolve_index("get", index, len(seq.items))
        return missing if i is None else seq.items[i]
    if t is str:
        i = resolve_index("get", index, len(seq))
        return missing if i is None else seq[i]
    i = resolve_index("get", index, count_list(seq))
    if i is None:
        return missing
    for _ in range(i):
        seq = seq.rest
    return seq.first


@primitive("get", 2, 3)
@guard_depth("get")
def get(vm, coll, key, *default):
    """(get coll key default?): struct value, sequence element or set membership; else default or nil."""
    missing = default[0] if default else None
    t = type(coll)
    if t is Struct:
        return coll.d.get(key_of("get", key), missing)
    if t is Array or t is str or t is Pair or t is EmptyList:
        return get_nth(coll, key, missing)
    if t is LSet:
        if key_of("get", key) in coll.s:
            return True
        return default[0] if default else False
    raise type_error("get", "a collection", coll)


def put_array(coll: Array, index, value) -> Array:
    """Replace one element: in place for an @array, in a new array otherwise."""
    n = len(coll.items)
    i = resolve_index("put", index, n)
    if i is None:
        raise argument_error("put", f"index {index} out of range for length {n}")
    target = coll if coll.mutable else Array(list(coll.items), False)
    target.items[i] = value
    return target


def put_struct(vm, coll: Struct, key, value) -> Struct:
    """Set one key: in place for an @struct, in a new struct otherwise."""
    k = key_of("put", key)
    target = coll if coll.mutable else Struct(dict(coll.d), False)
    if k not in target.d:
        ensure_size(vm, "put", len(target.d) + 1, 1 if coll.mutable else None)
    target.d[k] = value
    return target


@primitive("put", 3, 3, pure=False)
@guard_depth("put")
def put(vm, coll, key, value):
    """(put coll key value): mutates and returns an @array/@struct; returns a new immutable one."""
    t = type(coll)
    if t is Array:
        return put_array(coll, key, value)
    if t is Struct:
        return put_struct(vm, coll, key, value)
    raise type_error("put", "an array or struct", coll)


@primitive("push", 2, 2, pure=False)
def push(vm, arr, value):
    """Append value to an @array in place and return it; for an array, return a new one."""
    if type(arr) is not Array:
        raise type_error("push", "an array", arr)
    ensure_size(vm, "push", len(arr.items) + 1, 1 if arr.mutable else None)
    if not arr.mutable:
        return Array(arr.items + [value], False)
    arr.items.append(value)
    return arr


@primitive("pop", 1, 1, pure=False)
def pop(vm, arr):
    """Remove and return the last element of an @array; nil when it is empty."""
    expect_mutable_array("pop", arr)
    return arr.items.pop() if arr.items else None


@primitive("del", 2, 2, pure=False)
@guard_depth("del")
def delete(vm, coll, key):
    """Remove a key from a struct or a member from a set: in place if mutable, else in a copy."""
    t = type(coll)
    if t is Struct:
        k = key_of("del", key)
        target = coll if coll.mutable else Struct(dict(coll.d), False)
        target.d.pop(k, None)
        return target
    if t is LSet:
        k = key_of("del", key)
        target = coll if coll.mutable else LSet(set(coll.s), False)
        target.s.discard(k)
        return target
    raise type_error("del", "a struct or set", coll)


@primitive("has?", 2, 2)
@guard_depth("has?")
def has(vm, coll, key):
    """Struct has the key, set has the member, or array/string has the index."""
    t = type(coll)
    if t is Struct:
        return key_of("has?", key) in coll.d
    if t is LSet:
        return key_of("has?", key) in coll.s
    if t is Array:
        return resolve_index("has?", key, len(coll.items)) is not None
    if t is str:
        return resolve_index("has?", key, len(coll)) is not None
    raise type_error("has?", "a struct, set, array or string", coll)


@primitive("keys", 1, 1)
def get_keys(vm, s):
    """The keys of a struct, as an array in the struct's order."""
    expect_struct("keys", s)
    return Array([unkey(k) for k in s.d])


@primitive("values", 1, 1)
def get_values(vm, s):
    """The values of a struct, as an array in the struct's order."""
    expect_struct("values", s)
    return Array(list(s.d.values()))


@primitive("pairs", 1, 1)
def get_pairs(vm, s):
    """The entries of a struct as an array of [key value] arrays."""
    expect_struct("pairs", s)
    return Array([Array([unkey(k), v]) for k, v in s.d.items()])
