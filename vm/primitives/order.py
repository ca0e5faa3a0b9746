"""Ordering and hashing of any values: compare, sort (and the sort-by helper), hash."""

from __future__ import annotations

import functools

from vm.primitives.registry import primitive
from vm.primitives.types import guard_depth, type_error
from vm.values import (EMPTY, Array, BoolKey, EmptyList, Keyword, LSet, Native, Pair, Struct,
                       Symbol, list_from, preview, unkey)

# ---------------------------------------------------------------------------
# The total order: values of different kinds order by kind, in this sequence; values of
# one kind by content. It agrees with `=`: (compare 1 1.0) and (compare [1] @[1]) are 0.

KIND_RANK = {type(None): 0, bool: 1, int: 2, float: 2, str: 3, Keyword: 4, Symbol: 5,
             EmptyList: 6, Pair: 6, Array: 7, Struct: 8, LSet: 9}
OTHER_RANK = 10


def sign(x) -> int:
    return (x > 0) - (x < 0)


def compare_numbers(a, b) -> int:
    # NaN is equal to itself and above every other number, so the order stays total.
    a_nan, b_nan = a != a, b != b
    if a_nan or b_nan:
        return a_nan - b_nan
    return (a > b) - (a < b)


def compare_sequences(xs, ys, same: dict | None = None) -> int:
    """Element by element; a prefix comes first."""
    for x, y in zip(xs, ys):
        c = compare_values(x, y, same)
        if c:
            return c
    return sign(len(xs) - len(ys))


def list_items(p) -> tuple:
    """A list's elements, and its tail when it is improper (nil for a proper list)."""
    items = []
    while type(p) is Pair:
        items.append(p.first)
        p = p.rest
    return items, (None if p is EMPTY else p)


def compare_values(a, b, same: dict | None = None) -> int:
    """-1, 0 or 1: the order `sort` and `compare` use.

    same: what this comparison has learnt, keyed on identity. (id, id) pairs of containers
    found equal map to 0, and a set or struct's id to its members in order. A comparison
    ends at the first difference, so only equal parts are walked twice, and a set is
    sorted once however often it is reached; values that share their parts (a 40-level
    tower of [d d], sets of sets) compare in time proportional to their distinct nodes.
    Both values stay alive for the whole comparison and no Lisp container is built here,
    so the ids cannot be reused meanwhile."""
    if a is b:
        return 0
    ta, tb = type(a), type(b)
    ra, rb = KIND_RANK.get(ta, OTHER_RANK), KIND_RANK.get(tb, OTHER_RANK)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 2:
        return compare_numbers(a, b)
    if ra == 1 or ra == 3:
        return (a > b) - (a < b)
    if ra == 4 or ra == 5:
        return (a.name > b.name) - (a.name < b.name)
    if ra < 6 or ra > 9:
        # Functions, fibers, boxes: by kind and printed form (deterministic, unlike identity).
        pa, pb = preview(a, 200), preview(b, 200)
        return (pa > pb) - (pa < pb)
    if same is None:
        same = {}
    pair = (id(a), id(b))
    if pair in same:
        return 0
    if ra == 6:
        xs, xt = list_items(a)
        ys, yt = list_items(b)
        c = compare_sequences(xs, ys, same) or compare_values(xt, yt, same)
    elif ra == 7:
        c = compare_sequences(a.items, b.items, same)
    elif ra == 8:
        c = compare_entries(in_order(a, same), in_order(b, same), same)
    else:
        c = compare_sequences(in_order(a, same), in_order(b, same), same)
    if not c:
        same[pair] = 0
    return c


def in_order(coll, same: dict) -> list:
    """A struct's (key, value) entries by key, or a set's members, sorted once per comparison."""
    ordered = same.get(id(coll))
    if ordered is None:
        if type(coll) is Struct:
            ordered = sorted_entries(coll, same)
        else:
            ordered = sorted_by_order([unkey(k) for k in coll.s], same)
        same[id(coll)] = ordered
    return ordered


def compare_entries(xs, ys, same: dict) -> int:
    """Two structs' sorted (key, value) lists: key then value, entry by entry."""
    for (xk, xv), (yk, yv) in zip(xs, ys):
        c = compare_values(xk, yk, same) or compare_values(xv, yv, same)
        if c:
            return c
    return sign(len(xs) - len(ys))


def order_key(same: dict | None):
    """A sort key by compare_values that shares one memo (see compare_values) across the sort."""
    if same is None:
        same = {}
    return functools.cmp_to_key(lambda x, y: compare_values(x, y, same))


def sorted_by_order(items, same: dict | None = None) -> list:
    """items sorted by compare_values, stably; plain numbers or plain strings take Python's sort."""
    if all(type(x) is int or (type(x) is float and x == x) for x in items):
        return sorted(items)
    if all(type(x) is str for x in items):
        return sorted(items)
    return sorted(items, key=order_key(same))


def sorted_entries(s: Struct, same: dict | None = None) -> list:
    """A struct's entries as (key, value) tuples, in key order."""
    key = order_key(same)
    return sorted(((unkey(k), v) for k, v in s.d.items()), key=lambda e: key(e[0]))


@primitive("compare", 2, 2)
@guard_depth("compare")
def compare(vm, a, b):
    """(compare a b): -1, 0 or 1 as a is before, equal to or after b in sort's order."""
    return compare_values(a, b)


def sortable_items(name: str, coll) -> list:
    """The elements of a list or array, for sorting."""
    t = type(coll)
    if t is Array:
        return coll.items
    if t is Pair or t is EmptyList:
        return list(coll)
    raise type_error(name, "a list or array", coll)


@primitive("sort", 1, 1, pure=False)
@guard_depth("sort")
def sort(vm, coll):
    """(sort coll): ascending in compare's order; an @array is sorted in place and returned,
    an array or list gives a new one."""
    ordered = sorted_by_order(sortable_items("sort", coll))
    t = type(coll)
    if t is Array:
        if coll.mutable:
            coll.items[:] = ordered
            return coll
        return Array(ordered, False)
    return list_from(ordered)


@primitive("%sort-by-keys", 2, 2)
@guard_depth("sort-by")
def sort_by_keys(vm, coll, keys):
    """(%sort-by-keys coll keys): coll's elements ordered by the precomputed keys (an array
    as long as coll), stably, as a new collection of coll's kind (sort-by's second half)."""
    items = sortable_items("sort-by", coll)
    if type(keys) is not Array or len(keys.items) != len(items):
        raise type_error("%sort-by-keys", "an array of one key per element", keys)
    key = order_key(None)
    order = sorted(range(len(items)), key=lambda i: key(keys.items[i]))
    ordered = [items[i] for i in order]
    if type(coll) is Array:
        return Array(ordered, coll.mutable)
    return list_from(ordered)


# ---------------------------------------------------------------------------
# Hashing: deterministic across runs (Python's own string hash is randomised per process),
# equal under `=` implies equal hashes, and containers are looked at to a bounded depth so
# a value nested 100,000 levels deep, or one that contains itself, still hashes at once.

HASH_DEPTH = 32

try:        # hashlib.blake2b itself, without importing hashlib (OpenSSL's set-up) at start-up
    from _blake2 import blake2b as _blake2b
except ImportError:                         # pragma: no cover (a Python built without it)
    from hashlib import blake2b as _blake2b
MASK = (1 << 61) - 1


def text_hash(tag: str, text: str) -> int:
    digest = _blake2b((tag + text).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & MASK


def mix(h: int, x: int) -> int:
    return ((h * 1_000_003) ^ x) & MASK


def stable_hash(v, depth: int, memo: dict) -> int:
    t = type(v)
    if v is None:
        return 0x6E696C
    if t is bool or t is BoolKey:
        return 0x7472 if unkey(v) else 0x6661
    if t is int:
        return hash(v) & MASK          # deterministic for integers, and equal to a float's
    if t is float:
        return 0x4E614E if v != v else hash(v) & MASK
    if t is str:
        return text_hash('"', v)
    if t is Keyword:
        return text_hash(":", v.name)
    if t is Symbol:
        return text_hash("'", v.name)
    if t is EmptyList:
        return 0x28
    if t is Native:
        return text_hash("native ", v.name)
    if t not in (Pair, Array, Struct, LSet):
        # Compared by identity; any constant is a valid hash, the kind keeps them apart.
        return text_hash("<", type(v).__name__)
    if depth <= 0:
        return 0x5E9
    key = (id(v), depth)
    h = memo.get(key)
    if h is not None:
        return h
    if t is Pair:
        items, tail = list_items(v)
        h = 0x28
        for x in items:
            h = mix(h, stable_hash(x, depth - 1, memo))
        if tail is not None:
            h = mix(h ^ 0x2E, stable_hash(tail, depth - 1, memo))
    elif t is Array:
        h = 0x5B
        for x in v.items:
            h = mix(h, stable_hash(x, depth - 1, memo))
    elif t is Struct:
        # Order-independent: structs with the same entries are equal in any order.
        h = 0x7B + sum(mix(stable_hash(k, depth - 1, memo), stable_hash(x, depth - 1, memo))
                       for k, x in v.d.items())
    else:
        h = 0x7C + sum(stable_hash(k, depth - 1, memo) for k in v.s)
    h &= MASK
    memo[key] = h
    return h


@primitive("hash", 1, 1)
def hash_value(vm, v):
    """(hash v): an integer; values that are `=` hash the same, in every run."""
    return stable_hash(v, HASH_DEPTH, {})
