"""Helpers the compiler's expansions call (each, quasiquote) and the prelude uses."""

from __future__ import annotations

from vm.errors import LispError
from vm.primitives.registry import primitive
from vm.values import (EMPTY, Array, EmptyList, LSet, Pair, Struct, list_from, preview,
                       sorted_members, unkey)


@primitive("%each-items", 1, 1)
def each_items(vm, coll):
    """The elements `each` visits: list/array items, string characters, set members,
    struct [key value] pairs."""
    t = type(coll)
    if t is Array:
        return Array(list(coll.items))
    if t is Pair or t is EmptyList:
        return Array(list(coll))
    if t is str:
        return Array(list(coll))
    if t is LSet:
        return Array(sorted_members(coll.s))
    if t is Struct:
        return Array([Array([unkey(k), v]) for k, v in coll.d.items()])
    raise LispError("type-error", f"each: cannot iterate over {preview(coll, 60)}")


@primitive("%qq-append", 0, None)
def qq_append(vm, *parts):
    items = []
    for p in parts:
        if type(p) is Array:
            items.extend(p.items)
        elif p is EMPTY or type(p) is Pair:
            items.extend(p)
        else:
            raise LispError("type-error", f"unquote-splicing: expected a list or array, got {preview(p, 60)}")
    return list_from(items)


@primitive("%list->array", 2, 2)
def list_to_array(vm, lst, mutable):
    if lst is not EMPTY and type(lst) is not Pair:
        raise LispError("type-error", f"%list->array: expected a list, got {preview(lst, 60)}")
    return Array(list(lst), mutable is True)


@primitive("%shape-like", 2, 2)
def shape_like(vm, model, out):
    """Give `out` (an @array) the shape of `model`: a list for lists, else an array of
    the model's mutability."""
    if type(out) is not Array:
        raise LispError("type-error", f"%shape-like: expected an array, got {preview(out, 60)}")
    if model is EMPTY or type(model) is Pair:
        return list_from(out.items)
    if type(model) is Array and model.mutable:
        return out
    return Array(out.items, False)
