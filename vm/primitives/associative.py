"""Set and struct primitives beyond the basics: set algebra, merging, nested paths, deep-freeze."""

from __future__ import annotations

from vm.primitives.collections import build_set, freeze_deep, get, key_of, put
from vm.primitives.registry import primitive
from vm.primitives.sequences import elements
from vm.primitives.types import ensure_size, guard_depth, type_error
from vm.values import Array, EmptyList, LSet, Pair, Struct

# A value no program can hold: get's default when a path step is missing.
MISSING = object()


# ---------------------------------------------------------------------------
# Freezing

@primitive("deep-freeze", 1, 1)
@guard_depth("deep-freeze")
def deep_freeze(vm, v):
    """(deep-freeze v): v with every mutable collection inside it, and itself, made immutable."""
    return freeze_deep(v, {})




# ---------------------------------------------------------------------------
# Sets

def expect_set(name: str, s) -> None:
    if type(s) is not LSet:
        raise type_error(name, "a set", s)


def expect_same_sets(name: str, a, b) -> None:
    """Both sets, and both mutable or both immutable."""
    expect_set(name, a)
    expect_set(name, b)
    if a.mutable != b.mutable:
        raise type_error(name, f"a {'@set' if a.mutable else 'set'} like the first argument", b)


@primitive("add", 2, 2, pure=False)
@guard_depth("add")
def add_member(vm, s, value):
    """(add s v): s with v as a member: an @set in place, a set as a new one."""
    expect_set("add", s)
    k = key_of("add", freeze_deep(value, {}))
    target = s if s.mutable else LSet(set(s.s), False)
    if k not in target.s:
        ensure_size(vm, "add", len(target.s) + 1, 1 if s.mutable else len(target.s) + 1)
        target.s.add(k)
    return target


@primitive("union", 2, 2)
@guard_depth("union")
def union(vm, a, b):
    """(union a b): a new set of the members of either (both sets, or both @sets)."""
    expect_same_sets("union", a, b)
    ensure_size(vm, "union", len(a.s) + len(b.s))
    return LSet(a.s | b.s, a.mutable)


@primitive("intersection", 2, 2)
@guard_depth("intersection")
def intersection(vm, a, b):
    """(intersection a b): a new set of the members of both."""
    expect_same_sets("intersection", a, b)
    return LSet(a.s & b.s, a.mutable)


@primitive("difference", 2, 2)
@guard_depth("difference")
def difference(vm, a, b):
    """(difference a b): a new set of the members of a that are not in b."""
    expect_same_sets("difference", a, b)
    return LSet(a.s - b.s, a.mutable)


@primitive("seq->set", 1, 1)
@guard_depth("seq->set")
def seq_to_set(vm, coll):
    """(seq->set coll): a set of a list's, array's, string's or set's elements; an @set
    from an @array or @set."""
    mutable = type(coll) in (Array, LSet) and coll.mutable
    return build_set(vm, "seq->set", elements("seq->set", coll), mutable)


# ---------------------------------------------------------------------------
# Structs

@primitive("merge", 2, 2)
@guard_depth("merge")
def merge(vm, a, b):
    """(merge a b): a new struct with a's entries, then b's (b wins); both structs or both @structs."""
    if type(a) is not Struct:
        raise type_error("merge", "a struct", a)
    if type(b) is not Struct or b.mutable != a.mutable:
        raise type_error("merge", f"a {'@struct' if a.mutable else 'struct'} like the first argument", b)
    d = dict(a.d)
    d.update(b.d)
    ensure_size(vm, "merge", len(d))
    return Struct(d, a.mutable)


@primitive("from-pairs", 1, 1)
@guard_depth("from-pairs")
def from_pairs(vm, entries):
    """(from-pairs [[k v] ...]): a struct from [key value] arrays or lists."""
    if type(entries) not in (Array, Pair, EmptyList):
        raise type_error("from-pairs", "a list or array of pairs", entries)
    d = {}
    for entry in path_keys("from-pairs", entries):
        t = type(entry)
        items = entry.items if t is Array else list(entry) if t is Pair else None
        if items is None or len(items) != 2:
            raise type_error("from-pairs", "a [key value] pair", entry)
        d[key_of("from-pairs", items[0])] = items[1]
    return Struct(d, False)


def path_keys(name: str, keys) -> list:
    """The keys of a path: a list or array."""
    t = type(keys)
    if t is Array:
        return keys.items
    if t is Pair or t is EmptyList:
        return list(keys)
    raise type_error(name, "a list or array of keys", keys)


def is_collection(v) -> bool:
    return type(v) in (Struct, Array, LSet, Pair, EmptyList, str)


@primitive("get-in", 2, 3)
@guard_depth("get-in")
def get_in(vm, coll, keys, *default):
    """(get-in coll [k1 k2 ...] default?): (get (get coll k1) k2)...; default (or nil) when a
    step is missing."""
    missing = default[0] if default else None
    for k in path_keys("get-in", keys):
        if not is_collection(coll):
            return missing
        coll = get(vm, coll, k, MISSING)
        if coll is MISSING:
            return missing
    return coll


@primitive("put-in", 3, 3, pure=False)
@guard_depth("put-in")
def put_in(vm, coll, keys, value):
    """(put-in coll [k1 k2 ...] v): coll with v at the path; missing steps become structs.
    Like put, @structs and @arrays on the path change in place, others are copied."""
    ks = path_keys("put-in", keys)
    if not ks:
        return value
    chain = [coll]
    for k in ks[:-1]:
        nxt = get(vm, chain[-1], k, MISSING)
        chain.append(Struct({}, False) if nxt is MISSING or nxt is None else nxt)
    for container, k in zip(reversed(chain), reversed(ks)):
        value = put(vm, container, k, value)
    return value

