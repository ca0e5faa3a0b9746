"""Library functions that call functions they are given (all?, find, sort-with, compose, memoize...), as machines run by tasks (vm/primitives/tasks.py)."""

from __future__ import annotations

from vm.errors import LispError
from vm.primitives.collections import get, has, key_of, put
from vm.primitives.internal import iteration_items, shaped_like
from vm.primitives.numbers import compare_chain
from vm.primitives.order import sort_by_keys
from vm.primitives.registry import primitive
from vm.primitives.tasks import (STATE, Machine, MakerMachine, answer, ask, library, maker)
from vm.primitives.types import show, type_error
from vm.values import Array, EmptyList, Pair, Struct, is_truthy, list_from, preview


# ---------------------------------------------------------------------------
# Walking a collection with a predicate: stop at the first element where the predicate's
# truth is `stop_when`; finish(task, i, stopped) gives the answer.

class Search(Machine):
    slots = 4           # pred, items (array), index, the collection
    stop_when = True

    def start(self, vm, task, pred, coll):
        items = iteration_items(coll, self.name)
        task.items[STATE:] = [pred, Array(items, False), 0, coll]
        self.next(vm, task)

    def next(self, vm, task):
        pred, items, i, _ = task.items[STATE:]
        if i < len(items.items):
            ask(task, pred, items.items[i])
        else:
            self.finish(vm, task, i, False)

    def give(self, vm, task, value):
        i = task.items[STATE + 2]
        if is_truthy(value) == self.stop_when:
            self.finish(vm, task, i, True)
        else:
            task.items[STATE + 2] = i + 1
            self.next(vm, task)


@library("all?", 2, 2, "(all? pred coll): true when (pred x) is truthy for every element; stops at the first that is not.")
class All(Search):
    stop_when = False

    def finish(self, vm, task, i, stopped):
        answer(task, not stopped)


@library("any?", 2, 2, "(any? pred coll): true when (pred x) is truthy for some element; stops at the first.")
class Any(Search):
    def finish(self, vm, task, i, stopped):
        answer(task, stopped)


@library("find", 2, 2, "(find pred coll): the first element for which (pred x) is truthy, or nil.")
class Find(Search):
    def finish(self, vm, task, i, stopped):
        answer(task, task.items[STATE + 1].items[i] if stopped else None)


@library("find-index", 2, 2, "(find-index pred coll): the index of the first element for which (pred x) is truthy, or nil.")
class FindIndex(Search):
    def finish(self, vm, task, i, stopped):
        answer(task, i if stopped else None)


@library("take-while", 2, 2, "(take-while pred coll): the leading elements for which (pred x) is truthy, as coll's kind.")
class TakeWhile(Search):
    stop_when = False

    def finish(self, vm, task, i, stopped):
        answer(task, shaped_like(vm, task.items[STATE + 3], task.items[STATE + 1].items[:i]))


@library("drop-while", 2, 2, "(drop-while pred coll): the elements after the leading ones for which (pred x) is truthy.")
class DropWhile(Search):
    stop_when = False

    def finish(self, vm, task, i, stopped):
        answer(task, shaped_like(vm, task.items[STATE + 3], task.items[STATE + 1].items[i:]))


# ---------------------------------------------------------------------------
# Calling f on every element and collecting what comes back

class Each(Machine):
    slots = 5           # f, items (array), index, results (@array), the collection

    def start(self, vm, task, f, coll):
        items = iteration_items(coll, self.name)
        task.items[STATE:] = [f, Array(items, False), 0, Array([], True), coll]
        self.next(vm, task)

    def next(self, vm, task):
        f, items, i, out, coll = task.items[STATE:]
        if i < len(items.items):
            self.ask_for(task, f, i, items.items[i])
        else:
            answer(task, self.finish(vm, out.items, coll, items.items))

    def ask_for(self, task, f, i, x):
        ask(task, f, x)

    def give(self, vm, task, value):
        self.collect(vm, task.items[STATE + 3].items, value)
        task.items[STATE + 2] += 1
        self.next(vm, task)

    def collect(self, vm, out: list, value):
        out.append(value)


@library("count", 2, 2, "(count pred coll): how many elements (pred x) is truthy for.")
class Count(Each):
    def collect(self, vm, out, value):
        if is_truthy(value):
            out.append(True)

    def finish(self, vm, out, coll, items):
        return len(out)


@library("map-indexed", 2, 2, "(map-indexed f coll): (f i x) for each element x at index i, as coll's kind.")
class MapIndexed(Each):
    def ask_for(self, task, f, i, x):
        ask(task, f, i, x)

    def finish(self, vm, out, coll, items):
        return shaped_like(vm, coll, out)


@library("mapcat", 2, 2, "(mapcat f coll): the elements of every (f x), joined, as coll's kind.")
class MapCat(Each):
    def collect(self, vm, out, value):
        out.extend(iteration_items(value, "mapcat"))
        vm.check_size(len(out))

    def finish(self, vm, out, coll, items):
        return shaped_like(vm, coll, out)


@library("group-by", 2, 2, "(group-by f coll): a struct from each key (f x) to the array of elements with that key.")
class GroupBy(Each):
    def finish(self, vm, keys, coll, items):
        groups: dict = {}
        for k, x in zip(keys, items):
            groups.setdefault(key_of("group-by", k), []).append(x)
        return Struct({k: Array(xs, False) for k, xs in groups.items()}, False)


@library("sort-by", 2, 2, "(sort-by keyfn coll): coll ordered by (keyfn x) in compare's order, stably, as a new list or array.")
class SortBy(Each):
    def finish(self, vm, keys, coll, items):
        return sort_by_keys(vm, coll, Array(keys, False))


class Extreme(Each):
    """min-key and max-key: f applied to each argument, the first best one wins."""

    def start(self, vm, task, f, *args):
        task.items[STATE:] = [f, Array(list(args), False), 0, Array([], True), None]
        self.next(vm, task)

    def finish(self, vm, keys, coll, items):
        if not items:
            return None
        best = 0
        for i in range(1, len(keys)):
            if compare_chain(self.name, self.op, [keys[i], keys[best]]):
                best = i
        return items[best]


@library("min-key", 1, None, "(min-key f x ...): the argument for which (f x) is smallest (the first of equals).")
class MinKey(Extreme):
    op = staticmethod(lambda a, b: a < b)


@library("max-key", 1, None, "(max-key f x ...): the argument for which (f x) is largest (the first of equals).")
class MaxKey(Extreme):
    op = staticmethod(lambda a, b: a > b)


# ---------------------------------------------------------------------------
# Sorting with a comparator: a bottom-up merge sort (stable) that stops for each comparison

@library("sort-with", 2, 2, "(sort-with cmp coll): coll ordered by (cmp a b) (negative, zero or positive), stably, as a new collection.",
         aliases=("sort-by-cmp",))
class SortWith(Machine):
    slots = 9           # cmp, src, dst, width, lo, i, j, k, the collection

    def start(self, vm, task, cmp, coll):
        items = iteration_items(coll, "sort-with")
        task.items[STATE:] = [cmp, Array(items, True), Array(list(items), True), 1, 0, 0, 0, 0, coll]
        self.setup_run(task)
        self.advance(vm, task)

    def setup_run(self, task):
        s = task.items
        width, lo = s[STATE + 3], s[STATE + 4]
        s[STATE + 5], s[STATE + 6], s[STATE + 7] = lo, min(lo + width, len(s[STATE + 1].items)), lo

    def advance(self, vm, task):
        """Merge until a comparison is needed or the sort is done."""
        s = task.items
        cmp, src, dst, coll = s[STATE], s[STATE + 1].items, s[STATE + 2].items, s[STATE + 8]
        n = len(src)
        while True:
            width, lo, i, j, k = s[STATE + 3:STATE + 8]
            if width >= n:
                answer(task, shaped_like(vm, coll, list(src)))
                return
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            if k < hi:
                if i < mid and j < hi:
                    ask(task, cmp, src[i], src[j])
                    return
                if i < mid:
                    dst[k] = src[i]
                    s[STATE + 5] = i + 1
                else:
                    dst[k] = src[j]
                    s[STATE + 6] = j + 1
                s[STATE + 7] = k + 1
            elif hi < n:
                s[STATE + 4] = hi
                self.setup_run(task)
            else:
                s[STATE + 1], s[STATE + 2] = s[STATE + 2], s[STATE + 1]
                src, dst = dst, src
                s[STATE + 3], s[STATE + 4] = width * 2, 0
                self.setup_run(task)

    def give(self, vm, task, value):
        if type(value) is not int and type(value) is not float:
            raise LispError("type-error", f"sort-with: the comparator must return a number, got {show(value)}")
        s = task.items
        i, j, k = s[STATE + 5:STATE + 8]
        src, dst = s[STATE + 1].items, s[STATE + 2].items
        if value <= 0:
            dst[k] = src[i]
            s[STATE + 5] = i + 1
        else:
            dst[k] = src[j]
            s[STATE + 6] = j + 1
        s[STATE + 7] = k + 1
        self.advance(vm, task)


# ---------------------------------------------------------------------------
# Updating by key

@library("update", 3, 3, "(update coll key f): coll with the value at key replaced by (f value); the key must exist.")
class Update(Machine):
    slots = 2           # the collection, the key

    def start(self, vm, task, coll, key, f):
        if not has(vm, coll, key):
            raise LispError("argument-error", f"update: key {preview(key, 60)} does not exist")
        task.items[STATE:] = [coll, key]
        ask(task, f, get(vm, coll, key))

    def give(self, vm, task, value):
        coll, key = task.items[STATE:]
        answer(task, put(vm, coll, key, value))


@library("update-in", 3, 3, "(update-in coll [k ...] f): coll with the value at the key path replaced by (f value); missing steps become structs.")
class UpdateIn(Machine):
    slots = 2           # the containers along the path, the keys

    def start(self, vm, task, coll, keys, f):
        t = type(keys)
        ks = keys.items if t is Array else list(keys) if t is Pair or t is EmptyList else None
        if ks is None:
            raise type_error("update-in", "a list or array of keys", keys)
        chain = [coll]
        for k in ks:
            nxt = get(vm, chain[-1], k)
            chain.append(Struct({}, False) if nxt is None and len(chain) < len(ks) else nxt)
        task.items[STATE:] = [Array(chain, False), Array(list(ks), False)]
        ask(task, f, chain[-1])

    def give(self, vm, task, value):
        chain, ks = task.items[STATE].items, task.items[STATE + 1].items
        for container, k in zip(reversed(chain[:-1]), reversed(ks)):
            value = put(vm, container, k, value)
        answer(task, value)


# ---------------------------------------------------------------------------
# Functions that make functions (see tasks.py): each call of the function returned runs
# call() below.

@maker("complement", 1, 1, "(complement f): a function returning (not (f args...)).")
class Complement(MakerMachine):
    slots = 1

    def data(self, vm, f):
        return [f]

    def call(self, vm, task, args):
        ask(task, task.items[STATE], *args)

    def give(self, vm, task, value):
        answer(task, not is_truthy(value))


@maker("constantly", 1, 1, "(constantly x): a function that takes any arguments and returns x.")
class Constantly(MakerMachine):
    slots = 1

    def data(self, vm, x):
        return [x]

    def call(self, vm, task, args):
        answer(task, task.items[STATE])


@maker("partial", 1, None, "(partial f a ...): a function calling f with a ... and then its own arguments.")
class Partial(MakerMachine):
    slots = 2

    def data(self, vm, f, *bound):
        return [f, Array(list(bound), False)]

    def call(self, vm, task, args):
        f, bound = task.items[STATE:]
        vm.check_size(len(bound.items) + len(args))
        ask(task, f, *bound.items, *args)


@maker("compose", 0, None, "(compose f g ...): a function applying the last first: ((compose f g) x) is (f (g x)).")
class Compose(MakerMachine):
    slots = 2           # the functions, last first; how many have run

    def data(self, vm, *fns):
        return [Array(list(reversed(fns)), False), 0]

    def call(self, vm, task, args):
        fns = task.items[STATE].items
        if not fns:
            answer(task, args[0] if args else None)
        else:
            ask(task, fns[0], *args)

    def give(self, vm, task, value):
        fns, done = task.items[STATE].items, task.items[STATE + 1] + 1
        task.items[STATE + 1] = done
        if done == len(fns):
            answer(task, value)
        else:
            ask(task, fns[done], value)


@maker("juxt", 0, None, "(juxt f g ...): a function returning the array [(f args...) (g args...) ...].")
class Juxt(MakerMachine):
    slots = 3           # the functions, the arguments, the results so far

    def data(self, vm, *fns):
        return [Array(list(fns), False), None, None]

    def call(self, vm, task, args):
        task.items[STATE + 1] = Array(args, False)
        task.items[STATE + 2] = Array([], True)
        self.next(task)

    def next(self, task):
        fns, args, out = task.items[STATE:]
        if len(out.items) < len(fns.items):
            ask(task, fns.items[len(out.items)], *args.items)
        else:
            answer(task, Array(out.items, False))

    def give(self, vm, task, value):
        task.items[STATE + 2].items.append(value)
        self.next(task)


@maker("memoize", 1, 1, "(memoize f): a function like f that remembers each result by its arguments (compared with =).")
class Memoize(MakerMachine):
    slots = 3           # f, the cache (@struct from argument lists), this call's arguments

    def data(self, vm, f):
        return [f, Struct({}, True), None]

    def call(self, vm, task, args):
        f, cache, _ = task.items[STATE:]
        key = list_from(args)
        task.items[STATE + 2] = key
        if key in cache.d:
            answer(task, cache.d[key])
        else:
            ask(task, f, *args)

    def give(self, vm, task, value):
        _, cache, key = task.items[STATE:]
        vm.check_size(len(cache.d) + 1)
        cache.d[key] = value
        answer(task, value)


@primitive("identity", 1, 1)
def identity(vm, x):
    """(identity x): x."""
    return x

