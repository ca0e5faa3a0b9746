"""Helpers the compiler's expansions call (each, quasiquote) and the prelude uses."""

from __future__ import annotations

from vm.errors import LispError
from vm.primitives.registry import primitive
from vm.primitives.collections import build_set
from vm.primitives.types import guard_depth
from vm.values import (EMPTY, Array, EmptyList, LSet, Pair, Struct, list_from, preview,
                       sorted_members, unkey)


def iteration_items(coll, who: str = "each") -> list:
    """The elements `each` visits: list/array items, string characters, set members (in
    sorted order), struct [key value] pairs. `who` is the name the type error blames."""
    t = type(coll)
    if t is Array:
        return list(coll.items)
    if t is Pair or t is EmptyList:
        return list(coll)
    if t is str:
        return list(coll)
    if t is LSet:
        return sorted_members(coll.s)
    if t is Struct:
        return [Array([unkey(k), v]) for k, v in coll.d.items()]
    raise LispError("type-error", f"{who}: cannot iterate over {preview(coll, 60)}")


@primitive("%each-items", 1, 2)
def each_items(vm, coll, *name):
    """The elements `each` visits, as a new array (see iteration_items). The optional name
    is the library function to blame in the error."""
    who = name[0] if name and type(name[0]) is str else "each"
    return Array(iteration_items(coll, who))


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


def shaped_like(vm, model, items: list):
    """items as a collection of model's kind: a list for a list, a set (of the model's
    mutability) for a set, else an array of the model's mutability."""
    if model is EMPTY or type(model) is Pair:
        return list_from(items)
    if type(model) is LSet:
        return build_set(vm, "map", items, model.mutable)
    return Array(items, type(model) is Array and model.mutable)


@primitive("%shape-like", 2, 2)
@guard_depth("map")
def shape_like(vm, model, out):
    """Give `out` (an @array) the shape of `model` (see shaped_like)."""
    if type(out) is not Array:
        raise LispError("type-error", f"%shape-like: expected an array, got {preview(out, 60)}")
    return shaped_like(vm, model, out.items)
