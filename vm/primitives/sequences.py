"""Sequence primitives beyond the basics: take, drop, concat, conversions, zip, flatten, sums, array editing."""

from __future__ import annotations

from vm.primitives.collections import (expect_mutable_array, key_of, repack_sequence,
                                       resolve_index, unpack_sequence)
from vm.primitives.numbers import add, multiply
from vm.primitives.registry import primitive
from vm.primitives.types import (argument_error, charge, ensure_size, expect_int, expect_number,
                                 guard_depth, type_error)
from vm.values import EMPTY, Array, EmptyList, LSet, Pair, Struct, list_from, sorted_members

# How many elements flatten produces between two checks of the size limit.
SIZE_CHECK_EVERY = 4096


def expect_count(name: str, n) -> int:
    """A count argument: a non-negative integer."""
    expect_int(name, n)
    if n < 0:
        raise argument_error(name, f"expected a non-negative count, got {n}")
    return n


def elements(name: str, coll) -> list:
    """The elements of a list, array, string (its characters) or set (in sorted order)."""
    t = type(coll)
    if t is LSet:
        return sorted_members(coll.s)
    items = unpack_sequence(name, coll)
    return list(items) if t is str else items


# ---------------------------------------------------------------------------
# Reading

@primitive("second", 1, 1)
def get_second(vm, coll):
    """(second coll): the second element of a list, array or string; nil if there is none."""
    items = unpack_sequence("second", coll)
    return items[1] if len(items) > 1 else None


@primitive("nonempty?", 1, 1)
def is_nonempty(vm, coll):
    """(nonempty? coll): true when a list, array, string, struct or set has something in it."""
    t = type(coll)
    if t is Pair:
        return True
    if t is EmptyList:
        return False
    if t is Array:
        return bool(coll.items)
    if t is str:
        return bool(coll)
    if t is Struct:
        return bool(coll.d)
    if t is LSet:
        return bool(coll.s)
    raise type_error("nonempty?", "a list, array, struct, set or string", coll)


@primitive("nth", 2, 2)
def get_nth(vm, n, coll):
    """(nth n coll): element n of a list, array or string (negative counts from the end); nil
    when out of range."""
    items = unpack_sequence("nth", coll)
    i = resolve_index("nth", n, len(items))
    return None if i is None else items[i]


@primitive("take", 2, 2)
def take(vm, n, coll):
    """(take n coll): the first n elements (all of them if fewer), as the same kind of sequence."""
    expect_count("take", n)
    return repack_sequence(coll, unpack_sequence("take", coll)[:n])


@primitive("drop", 2, 2)
def drop(vm, n, coll):
    """(drop n coll): everything after the first n elements, as the same kind of sequence."""
    expect_count("drop", n)
    return repack_sequence(coll, unpack_sequence("drop", coll)[n:])


# ---------------------------------------------------------------------------
# Building

@primitive("concat", 1, None)
@guard_depth("concat")
def concat(vm, first, *more):
    """(concat a b ...): a new collection of a's kind holding all of them: lists, arrays and
    strings join, sets unite, structs merge (later keys win)."""
    t = type(first)
    for x in more:
        if type(x) is not t and not (t in (Pair, EmptyList) and type(x) in (Pair, EmptyList)):
            raise type_error("concat", f"{'a list' if t in (Pair, EmptyList) else 'a ' + kind_name(first)} "
                                       "like the first argument", x)
    parts = (first,) + more
    if t is str:
        ensure_size(vm, "concat", sum(len(s) for s in parts))
        return "".join(parts)
    if t is Array:
        ensure_size(vm, "concat", sum(len(a.items) for a in parts))
        return Array([x for a in parts for x in a.items], first.mutable)
    if t is Pair or t is EmptyList:
        items = []
        for p in parts:
            items.extend(p)
            ensure_size(vm, "concat", len(items), 0)
        charge(vm, "concat", len(items))
        return list_from(items)
    if t is LSet:
        out = set()
        for s in parts:
            out |= s.s
            ensure_size(vm, "concat", len(out), 0)
        charge(vm, "concat", len(out))
        return LSet(out, first.mutable)
    if t is Struct:
        out = {}
        for s in parts:
            out.update(s.d)
            ensure_size(vm, "concat", len(out), 0)
        charge(vm, "concat", len(out))
        return Struct(out, first.mutable)
    raise type_error("concat", "a list, array, string, set or struct", first)


def kind_name(v) -> str:
    t = type(v)
    return {str: "string", Array: "array", LSet: "set", Struct: "struct"}.get(t, "collection")


@primitive("->array", 1, 1)
def to_array(vm, coll):
    """(->array coll): an immutable array of a list's, array's, set's (sorted) or string's
    (characters) elements."""
    if type(coll) is Array and not coll.mutable:
        return coll
    return Array(list(elements("->array", coll)), False)


@primitive("->list", 1, 1)
def to_list(vm, coll):
    """(->list coll): a list of an array's, set's (sorted) or string's (characters) elements."""
    if type(coll) is Pair or type(coll) is EmptyList:
        return coll
    return list_from(elements("->list", coll))


@primitive("array/new", 2, 2)
def new_array(vm, n, fill):
    """(array/new n fill): an array of n elements, each fill."""
    expect_count("array/new", n)
    ensure_size(vm, "array/new", n)
    return Array([fill] * n, False)


@primitive("zip", 0, None)
def zip_sequences(vm, *colls):
    """(zip a b ...): lists of the elements at each position, as long as the shortest input;
    a list of them when a is a list, else an array."""
    if not colls:
        return EMPTY
    columns = [unpack_sequence("zip", c) for c in colls]
    rows = [list_from(row) for row in zip(*columns)]
    first = colls[0]
    if type(first) is Pair or type(first) is EmptyList:
        return list_from(rows)
    return Array(rows, type(first) is Array and first.mutable)


@primitive("flatten", 1, 1)
def flatten(vm, coll):
    """(flatten coll): the non-sequence elements of nested lists and arrays, in order, as a
    sequence of coll's kind."""
    if type(coll) not in (Pair, EmptyList, Array):
        raise type_error("flatten", "a list or array", coll)
    out = []
    # An explicit stack, not recursion: nesting depth costs memory, not Python frames.
    on_path = {id(coll)}
    stack = [(coll, iter(coll.items if type(coll) is Array else coll))]
    while stack:
        container, it = stack[-1]
        for x in it:
            t = type(x)
            if t is Pair or t is EmptyList or t is Array:
                if id(x) in on_path:
                    raise argument_error("flatten", "the value contains itself")
                on_path.add(id(x))
                stack.append((x, iter(x.items if t is Array else x)))
                break
            out.append(x)
            if len(out) % SIZE_CHECK_EVERY == 0:
                ensure_size(vm, "flatten", len(out), 0)
        else:
            stack.pop()
            on_path.discard(id(container))
    ensure_size(vm, "flatten", len(out))
    return repack_sequence(coll, out)


@primitive("interpose", 2, 2)
def interpose(vm, sep, coll):
    """(interpose sep coll): coll's elements with sep between each two, as coll's kind."""
    if type(coll) not in (Pair, EmptyList, Array):
        raise type_error("interpose", "a list or array", coll)
    items = unpack_sequence("interpose", coll)
    ensure_size(vm, "interpose", max(0, 2 * len(items) - 1))
    out = []
    for i, x in enumerate(items):
        if i:
            out.append(sep)
        out.append(x)
    return repack_sequence(coll, out)


@primitive("distinct", 1, 1)
@guard_depth("distinct")
def distinct(vm, coll):
    """(distinct coll): coll without repeated (=) elements, first occurrences kept, as coll's kind."""
    if type(coll) not in (Pair, EmptyList, Array):
        raise type_error("distinct", "a list or array", coll)
    seen, out = set(), []
    for x in unpack_sequence("distinct", coll):
        k = key_of("distinct", x)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return repack_sequence(coll, out)


@primitive("frequencies", 1, 1)
@guard_depth("frequencies")
def frequencies(vm, coll):
    """(frequencies coll): a struct from each distinct element to how often it occurs."""
    counts: dict = {}
    for x in elements("frequencies", coll):
        k = key_of("frequencies", x)
        counts[k] = counts.get(k, 0) + 1
    return Struct(counts, False)


@primitive("sum", 1, 1)
def sum_numbers(vm, coll):
    """(sum xs): the sum of a list's or array's numbers; (sum []) is 0."""
    items = unpack_sequence("sum", coll) if type(coll) is not str else None
    if items is None:
        raise type_error("sum", "a list or array", coll)
    for x in items:
        expect_number("sum", x)
    return add(vm, *items)


@primitive("product", 1, 1)
def product_numbers(vm, coll):
    """(product xs): the product of a list's or array's numbers; (product []) is 1."""
    items = unpack_sequence("product", coll) if type(coll) is not str else None
    if items is None:
        raise type_error("product", "a list or array", coll)
    for x in items:
        expect_number("product", x)
    return multiply(vm, *items)


# ---------------------------------------------------------------------------
# Editing arrays: @arrays change in place, arrays and lists give a new value

@primitive("popn", 2, 2, pure=False)
def pop_n(vm, arr, n):
    """(popn arr n): remove the last n elements of an @array (fewer if shorter) and return
    them as an @array, in their order."""
    expect_mutable_array("popn", arr)
    expect_count("popn", n)
    cut = max(0, len(arr.items) - n)
    taken = arr.items[cut:]
    del arr.items[cut:]
    return Array(taken, True)


def edited(name: str, coll, edit):
    """Apply edit (a function on a Python list) in place to an @array, or to a copy of an
    array's or list's elements, returning the collection that holds the result."""
    t = type(coll)
    if t is Array and coll.mutable:
        edit(coll.items)
        return coll
    if t is Array or t is Pair or t is EmptyList:
        items = list(unpack_sequence(name, coll))
        edit(items)
        return repack_sequence(coll, items)
    raise type_error(name, "an array or list", coll)


@primitive("insert", 3, 3, pure=False)
def insert(vm, coll, index, value):
    """(insert arr i v): v placed before element i (i may equal the length; negative counts
    from the end): an @array in place, an array or list as a new one."""
    n = len(unpack_sequence("insert", coll)) if type(coll) is not str else None
    if n is None:
        raise type_error("insert", "an array or list", coll)
    expect_int("insert", index)
    i = index + n if index < 0 else index
    if not 0 <= i <= n:
        raise argument_error("insert", f"index {index} out of range for length {n}")
    ensure_size(vm, "insert", n + 1, 1 if type(coll) is Array and coll.mutable else None)
    return edited("insert", coll, lambda items: items.insert(i, value))


@primitive("remove", 2, 3, pure=False)
def remove(vm, coll, index, *count):
    """(remove arr i n?): take out n elements (default 1) starting at i: an @array in place,
    an array or list as a new one."""
    n = len(unpack_sequence("remove", coll)) if type(coll) is not str else None
    if n is None:
        raise type_error("remove", "an array or list", coll)
    k = expect_count("remove", count[0]) if count else 1
    i = resolve_index("remove", index, n)
    if i is None:
        raise argument_error("remove", f"index {index} out of range for length {n}")

    def cut(items):
        del items[i:i + k]
    return edited("remove", coll, cut)

