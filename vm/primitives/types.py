"""Type primitives (type-of, predicates, identical?, assert) and the argument checks the groups share."""

from __future__ import annotations

import functools
import sys

from vm.errors import LispError
from vm.heap import HeapCensus
from vm.primitives.registry import primitive
from vm.values import (Array, Cell, EmptyList, Keyword, LSet, Native, Pair, Struct, Symbol,
                       display, is_truthy, preview, type_name)

# Beyond this length Python cannot even index a list; checked before vm.check_size so a VM
# configured without a size limit still gets a LispError instead of an OverflowError.
MAX_LENGTH = sys.maxsize // 16

# The default --max-collection (vm.core.VM's max_collection): elements in one collection,
# characters in one string or printed text. Every primitive checks it before allocating, so
# a runaway doubling ends with :size-limit, and at this size the longest single primitive
# (range, append, string, sort of this many elements) takes a fraction of a second.
DEFAULT_MAX_COLLECTION = 1 << 22


# ---------------------------------------------------------------------------
# Shared helpers

def show(v) -> str:
    """Return the literal form of `v` for an error message, capped so huge values stay short."""
    try:
        return preview(v, 80)
    except RecursionError:
        return "<" + type_name(v) + ">"


def type_error(name: str, expected: str, v) -> LispError:
    """Build the `:type-error` a primitive raises: `+: expected a number, got :a`."""
    return LispError("type-error", f"{name}: expected {expected}, got {show(v)}")


def argument_error(name: str, message: str) -> LispError:
    """Build the `:argument-error` for a value of the right type but a bad value."""
    return LispError("argument-error", f"{name}: {message}")


def expect_number(name: str, v) -> None:
    """Raise a type error unless `v` is an int or a float (booleans are not numbers)."""
    t = type(v)
    if t is not int and t is not float:
        raise type_error(name, "a number", v)


def expect_int(name: str, v) -> None:
    """Raise a type error unless `v` is an integer."""
    if type(v) is not int:
        raise type_error(name, "an integer", v)


def expect_string(name: str, v) -> None:
    """Raise a type error unless `v` is a string."""
    if type(v) is not str:
        raise type_error(name, "a string", v)


def ensure_size(vm, name: str, n: int, new: int | None = None) -> None:
    """Refuse to build a collection or string of length `n` beyond the VM's configured limit,
    then charge the `new` elements it allocates (default `n`) to the heap budget
    (vm/heap.py). The last check a primitive makes: nothing after it may fail."""
    if n > MAX_LENGTH:
        raise argument_error(name, f"a result of length {n} is too large")
    vm.check_size(n)
    charge(vm, name, n if new is None else new)


def charge(vm, name: str, n: int) -> None:
    """Count `n` new elements against vm.heap_room; HeapCensus (before anything changed)
    when they do not fit, and the VM measures what the program holds (vm/call.py)."""
    room = vm.heap_room - n
    if room < 0:
        raise HeapCensus(name, n)
    vm.heap_room = room


def guard_depth(name: str):
    """Wrap a primitive that walks its arguments (printing, hashing, equality).

    Those walks recurse in Python, so a value nested thousands of levels deep, or an @array
    that contains itself, would raise RecursionError; the guest sees a catchable error."""

    def wrap(fn):
        @functools.wraps(fn)
        def guarded(vm, *args):
            try:
                return fn(vm, *args)
            except RecursionError:
                raise LispError("stack-overflow",
                                f"{name}: value nested too deeply (or it contains itself)") from None
        return guarded

    return wrap


# ---------------------------------------------------------------------------
# Assertions

@primitive("assert", 1, 2)
@guard_depth("assert")
def assert_value(vm, v, *message):
    """(assert v msg?): v when it is truthy, else a :failed-assertion error carrying msg."""
    if is_truthy(v):
        return v
    if message and message[0] is not None:
        raise LispError("failed-assertion", display(message[0], vm.max_collection))
    raise LispError("failed-assertion", "assertion failed")


# ---------------------------------------------------------------------------
# Type predicates

@primitive("type-of", 1, 1)
@primitive("type", 1, 1)
def type_of(vm, v):
    """The type of v as a keyword: :integer, :string, :array, :@array, :list ..."""
    return Keyword(type_name(v))


@primitive("nil?", 1, 1)
def is_nil(vm, v):
    """True for nil only (not for the empty list)."""
    return v is None


@primitive("boolean?", 1, 1)
@primitive("bool?", 1, 1)
def is_boolean(vm, v):
    """True for true and false."""
    return type(v) is bool


@primitive("int?", 1, 1)
@primitive("integer?", 1, 1)
def is_int(vm, v):
    """True for integers."""
    return type(v) is int


@primitive("float?", 1, 1)
def is_float(vm, v):
    """True for floats."""
    return type(v) is float


@primitive("number?", 1, 1)
def is_number(vm, v):
    """True for integers and floats."""
    t = type(v)
    return t is int or t is float


@primitive("string?", 1, 1)
def is_string(vm, v):
    """True for strings."""
    return type(v) is str


@primitive("keyword?", 1, 1)
def is_keyword(vm, v):
    """True for keywords."""
    return type(v) is Keyword


@primitive("symbol?", 1, 1)
def is_symbol(vm, v):
    """True for symbols."""
    return type(v) is Symbol


@primitive("pair?", 1, 1)
def is_pair(vm, v):
    """True for a non-empty list (a pair)."""
    return type(v) is Pair


@primitive("array?", 1, 1)
@primitive("tuple?", 1, 1)
def is_array(vm, v):
    """True for arrays and @arrays."""
    return type(v) is Array


@primitive("struct?", 1, 1)
@primitive("table?", 1, 1)
def is_struct(vm, v):
    """True for structs and @structs."""
    return type(v) is Struct


@primitive("set?", 1, 1)
def is_set(vm, v):
    """True for sets and @sets."""
    return type(v) is LSet


@primitive("fiber?", 1, 1)
def is_fiber(vm, v):
    """True for fibers."""
    return type_name(v) == "fiber"


@primitive("closure?", 1, 1)
def is_closure(vm, v):
    """True for closures (functions written in the language; natives are not closures)."""
    return type_name(v) == "closure"


@primitive("list?", 1, 1)
def is_list(vm, v):
    """True for the empty list and for pairs."""
    t = type(v)
    return t is EmptyList or t is Pair


@primitive("fn?", 1, 1)
def is_function(vm, v):
    """True for closures and primitives."""
    return type(v) is Native or type_name(v) == "closure"


@primitive("callable?", 1, 1)
def is_callable(vm, v):
    """True for what can be called here: closures and primitives (collections cannot be)."""
    return type(v) is Native or type_name(v) == "closure"


def is_mutable_value(v) -> bool:
    """@arrays, @structs, @sets and boxes can change in place; nothing else can."""
    t = type(v)
    if t is Array or t is Struct or t is LSet:
        return v.mutable
    return t is Cell


@primitive("mutable?", 1, 1)
def is_mutable(vm, v):
    """True for @arrays, @structs, @sets and boxes."""
    return is_mutable_value(v)


@primitive("immutable?", 1, 1)
def is_immutable(vm, v):
    """True for every value mutable? is false for."""
    return not is_mutable_value(v)


@primitive("empty?", 1, 1)
def is_empty(vm, v):
    """True for (), and for an array, struct, set or string with nothing in it."""
    t = type(v)
    if t is EmptyList:
        return True
    if t is Pair:
        return False
    if t is Array:
        return not v.items
    if t is Struct:
        return not v.d
    if t is LSet:
        return not v.s
    if t is str:
        return not v
    raise type_error("empty?", "a list, array, struct, set or string", v)


@primitive("identical?", 2, 2)
def is_identical(vm, a, b):
    """Same object; numbers and strings of the same type compare by value ((identical? 1 1) is true)."""
    if a is b:
        return True
    t = type(a)
    if t is type(b) and (t is int or t is float or t is str):
        return a == b
    return False


# ---------------------------------------------------------------------------
# Logic as functions (the special forms `and` and `or` short-circuit; these are for
# passing as values: (apply and xs), (fold or nil xs))

@primitive("and", 0, None)
def logical_and(vm, *args):
    """The first falsy argument, else the last one; (and) is true."""
    for v in args:
        if not is_truthy(v):
            return v
    return args[-1] if args else True


@primitive("or", 0, None)
def logical_or(vm, *args):
    """The first truthy argument, else the last one; (or) is false."""
    for v in args:
        if is_truthy(v):
            return v
    return args[-1] if args else False


@primitive("xor", 0, None)
def logical_xor(vm, *args):
    """True when an odd number of the arguments are truthy."""
    return sum(1 for v in args if is_truthy(v)) % 2 == 1
