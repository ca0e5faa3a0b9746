"""Unit tests of the number, type, collection, string and output primitives."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# load_all() also imports fibers.py and library.py, which need a whole VM (they switch fibers
# or call closures); import the groups under test directly.
import vm.primitives.associative  # noqa: F401
import vm.primitives.collections  # noqa: F401
import vm.primitives.jsonfmt  # noqa: F401
import vm.primitives.maths  # noqa: F401
import vm.primitives.numbers  # noqa: F401
import vm.primitives.order  # noqa: F401
import vm.primitives.output  # noqa: F401
import vm.primitives.sequences  # noqa: F401
import vm.primitives.strings  # noqa: F401
import vm.primitives.types  # noqa: F401
from vm.errors import LispError
from vm.primitives import PRIMITIVES
from vm.values import (EMPTY, Array, Cell, LSet, Pair, Struct, display, hash_key, kw, list_from,
                       literal, sym)

GROUPS = {"vm.primitives.numbers", "vm.primitives.types", "vm.primitives.collections",
          "vm.primitives.strings", "vm.primitives.output", "vm.primitives.maths",
          "vm.primitives.order", "vm.primitives.sequences", "vm.primitives.associative",
          "vm.primitives.jsonfmt"}
OURS = sorted(name for name, n in PRIMITIVES.items() if n.fn.__module__ in GROUPS)


class FakeVM:
    """Just what primitives use: an output stream and the size limits."""

    def __init__(self, max_size=100_000):
        self.out = []
        self.sizes = []
        self.max_size = max_size
        self.max_collection = max_size      # printed text is capped by it too
        self.max_output = None
        self.output_size = 0
        self.heap_room = 1 << 62            # no heap budget (vm/heap.py)

    def write(self, text):
        self.out.append(text)

    def check_size(self, n):
        self.sizes.append(n)
        if n > self.max_size:
            raise LispError("argument-error", f"size {n} exceeds the limit {self.max_size}")

    def output(self):
        return "".join(self.out)


def call(name, *args, vm=None):
    """Call a primitive as the VM would, after checking the arity the VM checks."""
    native = PRIMITIVES[name]
    assert len(args) >= native.min_args, f"test bug: too few arguments to {name}"
    assert native.max_args is None or len(args) <= native.max_args, f"test bug: too many to {name}"
    return native.fn(vm or FakeVM(), *args)


def fails(name, *args, vm=None):
    """Call a primitive that must fail; return (kind, message)."""
    with pytest.raises(LispError) as info:
        call(name, *args, vm=vm)
    return info.value.kind, info.value.message


def struct(*kv, mutable=False):
    return Struct({hash_key(kv[i]): kv[i + 1] for i in range(0, len(kv), 2)}, mutable)


def lset(*items, mutable=False):
    return LSet({hash_key(x) for x in items}, mutable)


def arr(*items):
    return Array(list(items), False)


def marr(*items):
    return Array(list(items), True)


def lst(*items):
    return list_from(items)


BIG = 2 ** 100


# ---------------------------------------------------------------------------
# Registration

def test_every_primitive_has_a_docstring_and_sane_arity():
    for name in OURS:
        n = PRIMITIVES[name]
        assert n.doc, name
        assert n.max_args is None or n.max_args >= n.min_args, name


def test_mutating_and_printing_primitives_are_impure():
    impure = {name for name in OURS if not PRIMITIVES[name].pure}
    # append, sort, popn, insert, remove, add and put-in change an @array, @set or @struct
    # in place, as in Elle.
    assert impure == {"put", "push", "pop", "del", "print", "println", "append", "sort", "popn",
                      "insert", "remove", "add", "put-in"}


def test_collective_primitives_not_written_here():
    for name in ("map", "filter", "fold", "apply", "emit"):
        assert name not in OURS


# ---------------------------------------------------------------------------
# Numbers

def test_arithmetic_basics():
    assert call("+") == 0
    assert call("*") == 1
    assert call("+", 1, 2, 3) == 6
    assert call("-", 5) == -5
    assert call("-", 10, 1, 2) == 7
    assert call("*", 2, 3, 4) == 24


def test_int_float_mixing_promotes():
    r = call("+", 1, 2.0)
    assert r == 3.0 and type(r) is float
    assert display(call("*", 2, 1.5)) == "3.0"
    assert display(call("-", 3.0, 3)) == "0.0"


def test_negative_zero_survives_a_sum():
    # IEEE: -0.0 + -0.0 is -0.0; a sum that started from the integer 0 printed 0.0.
    assert display(call("+", -0.0)) == "-0.0"
    assert display(call("+", -0.0, -0.0)) == "-0.0"
    assert display(call("+", -0.0, 0)) == "0.0"
    assert display(call("*", -0.0)) == "-0.0"
    with pytest.raises(LispError):
        call("+", "a")


def test_big_integers_stay_exact():
    assert call("*", BIG, BIG) == 2 ** 200
    assert call("+", BIG, 1) - BIG == 1
    assert call("-", 0, BIG) == -BIG
    assert call("/", 2 ** 200 + 1, BIG) == BIG
    assert call("bit/shl", 1, 100) == BIG
    assert call("inc", 2 ** 64 - 1) == 2 ** 64


def test_huge_integer_prints_every_digit():
    n = 10 ** 5000 + 7
    vm = FakeVM()
    call("println", n, vm=vm)
    assert vm.output() == "1" + "0" * 4999 + "7\n"
    assert call("int", "1" + "0" * 5000) == 10 ** 5000


def test_division_truncates_toward_zero():
    assert call("/", 7, 2) == 3
    assert call("/", -7, 2) == -3
    assert call("/", 7, -2) == -3
    assert call("/", -7, -2) == 3
    assert call("/", -(10 ** 40) - 1, 10 ** 20) == -(10 ** 20)
    assert call("/", 7, 2.0) == 3.5
    assert call("/", 100, 2, 5) == 10


def test_reciprocal():
    assert call("/", 4.0) == 0.25
    assert call("/", 1) == 1
    assert call("/", 2) == 0


@pytest.mark.parametrize("args", [(1, 0), (1.0, 0), (1, 0.0), (1.5, -0.0), (0,), (0.0,), (8, 2, 0)])
def test_division_by_zero(args):
    kind, message = fails("/", *args)
    assert kind == "division-by-zero"
    assert message == "/: division by zero"


@pytest.mark.parametrize("name", ["rem", "mod"])
@pytest.mark.parametrize("b", [0, 0.0])
def test_rem_mod_by_zero(name, b):
    assert fails(name, 5, b)[0] == "division-by-zero"


def test_rem_takes_sign_of_dividend_mod_of_divisor():
    assert [call("rem", a, b) for a, b in [(7, 3), (-7, 3), (7, -3), (-7, -3)]] == [1, -1, 1, -1]
    assert [call("mod", a, b) for a, b in [(7, 3), (-7, 3), (7, -3), (-7, -3)]] == [1, 2, -2, -1]
    assert call("rem", -7.5, 2) == -1.5
    assert call("mod", -7.5, 2) == 0.5
    assert call("rem", -(BIG + 1), BIG) == -1
    assert math.isnan(call("rem", math.inf, 2.0))


def test_abs_min_max_inc_dec():
    assert call("abs", -3) == 3
    assert call("abs", -BIG) == BIG
    assert call("abs", -2.5) == 2.5
    assert call("min", 3, 1.5, 2) == 1.5
    assert call("max", 3, 1.5, 7) == 7
    assert call("max", 4) == 4
    assert call("inc", 1.5) == 2.5
    assert call("dec", 0) == -1


def test_arithmetic_type_errors_name_the_primitive_and_value():
    assert fails("+", 1, kw("a")) == ("type-error", "+: expected a number, got :a")
    assert fails("-", "x") == ("type-error", '-: expected a number, got "x"')
    assert fails("*", 2, None) == ("type-error", "*: expected a number, got nil")
    assert fails("/", True) == ("type-error", "/: expected a number, got true")
    assert fails("abs", arr(1)) == ("type-error", "abs: expected a number, got [1]")
    assert fails("min", 1, lst(1, 2))[1] == "min: expected a number, got (1 2)"


def test_booleans_are_not_numbers():
    for name in ("+", "inc", "abs", "int"):
        assert fails(name, True)[0] == "type-error"
    assert fails("bit/and", True, 1)[0] == "type-error"


def test_big_integer_mixed_with_float_is_an_error_not_an_exception():
    kind, message = fails("+", 10 ** 400, 1.0)
    assert kind == "argument-error"
    assert "too large" in message
    assert fails("float", 10 ** 400)[0] == "argument-error"
    assert fails("/", 10 ** 400, 2.0)[0] == "argument-error"


def test_comparisons_chain():
    assert call("<", 1, 2, 3) is True
    assert call("<", 1, 3, 2) is False
    assert call("<=", 1, 1, 2) is True
    assert call(">", 3, 2.5, 1) is True
    assert call(">=", 2, 2, 3) is False
    assert call("<", 5) is True
    assert call("<", BIG, BIG + 1) is True
    assert call("<", 1, 1.5) is True


def test_comparisons_on_strings_and_keywords():
    assert call("<", "apple", "banana") is True
    assert call(">", "b", "a", "") is True
    assert call("<", kw("a"), kw("b")) is True
    assert call(">=", kw("b"), kw("b")) is True


def test_comparing_mixed_kinds_is_a_type_error():
    assert fails("<", 1, "a") == ("type-error", '<: cannot compare 1 with "a"')
    assert fails("<", kw("a"), "a")[0] == "type-error"
    assert fails(">", None, 1) == ("type-error", ">: expected a number, string or keyword, got nil")
    assert fails("<=", 1, 2, arr())[0] == "type-error"


def test_equality():
    assert call("=", 1, 1.0) is True
    assert call("=", arr(1, 2), marr(1, 2)) is True
    assert call("=", lst(1, arr(2)), lst(1, arr(2.0))) is True
    assert call("=", struct(kw("a"), 1), struct(kw("a"), 1)) is True
    assert call("=", 1, 1, 2) is False
    assert call("=", True, 1) is False
    assert call("=", None, False) is False
    assert call("=", EMPTY, None) is False
    assert call("not=", 1, 2) is True
    assert call("not=", "a", "a") is False


def test_not():
    assert call("not", None) is True
    assert call("not", False) is True
    assert call("not", 0) is False
    assert call("not", EMPTY) is False


def test_int_conversion():
    assert call("int", 3.9) == 3
    assert call("int", -3.9) == -3
    assert call("int", "42") == 42
    assert call("int", " -1_000 ") == -1000
    assert call("int", "0x1F") == 31
    assert call("int", "0b101") == 5
    assert call("int", 1e30) == int(1e30)
    assert fails("int", "4.5") == ("argument-error", 'int: cannot parse "4.5" as an integer')
    assert fails("int", "")[0] == "argument-error"
    assert fails("int", math.nan)[0] == "argument-error"
    assert fails("int", math.inf)[0] == "argument-error"
    assert fails("int", kw("x")) == ("type-error", "int: expected a number or string, got :x")


def test_float_conversion():
    assert call("float", 2) == 2.0 and type(call("float", 2)) is float
    assert call("float", "2.5") == 2.5
    assert display(call("float", 3)) == "3.0"
    assert fails("float", "abc")[0] == "argument-error"
    assert fails("float", None)[0] == "type-error"


def test_bit_operations():
    assert call("bit/and", 12, 10) == 8
    assert call("bit/or", 12, 10) == 14
    assert call("bit/xor", 12, 10) == 6
    assert call("bit/and", -1, 255) == 255
    assert call("bit/not", 0) == -1
    assert call("bit/shl", 3, 2) == 12
    assert call("bit/shr", 12, 2) == 3
    assert call("bit/shr", -8, 1) == -4
    assert call("bit/shr", 1, 10 ** 30) == 0
    assert call("bit/shl", 0, 10 ** 30) == 0
    assert fails("bit/and", 1.0, 1) == ("type-error", "bit/and: expected an integer, got 1.0")
    assert fails("bit/shl", 1, -1)[0] == "argument-error"
    assert fails("bit/shl", 1, 10 ** 30)[0] == "argument-error"


# ---------------------------------------------------------------------------
# Types

@pytest.mark.parametrize("value, name", [
    (None, "nil"), (True, "boolean"), (1, "integer"), (1.0, "float"), ("s", "string"),
    (kw("k"), "keyword"), (sym("s"), "symbol"), (EMPTY, "list"), (lst(1), "list"),
    (arr(), "array"), (marr(), "@array"), (struct(), "struct"), (struct(mutable=True), "@struct"),
    (lset(), "set"), (lset(mutable=True), "@set"),
])
def test_type_of(value, name):
    assert call("type-of", value) is kw(name)


def test_predicates():
    assert call("nil?", None) and not call("nil?", EMPTY) and not call("nil?", False)
    assert call("int?", 1) and not call("int?", True) and not call("int?", 1.0)
    assert call("float?", 1.0) and not call("float?", 1)
    assert call("number?", 1) and call("number?", 1.5) and not call("number?", False)
    assert call("string?", "") and not call("string?", kw("a"))
    assert call("keyword?", kw("a")) and not call("keyword?", sym("a"))
    assert call("symbol?", sym("a")) and not call("symbol?", "a")
    assert call("pair?", lst(1)) and not call("pair?", EMPTY) and not call("pair?", arr(1))
    assert call("array?", arr()) and call("array?", marr()) and not call("array?", lst())
    assert call("struct?", struct()) and call("struct?", struct(mutable=True))
    assert call("set?", lset()) and not call("set?", arr())
    assert call("boolean?", False) and not call("boolean?", None)
    assert not call("fiber?", 1) and not call("closure?", PRIMITIVES["+"])


def test_fiber_and_closure_predicates_follow_type_name():
    class Fake:
        def __init__(self, type_name):
            self.type_name = type_name
    assert call("fiber?", Fake("fiber")) is True
    assert call("closure?", Fake("closure")) is True


def test_empty():
    for v in (EMPTY, arr(), marr(), struct(), lset(), ""):
        assert call("empty?", v) is True, literal(v)
    for v in (lst(1), arr(1), struct(1, 2), lset(1), "a"):
        assert call("empty?", v) is False, literal(v)
    assert fails("empty?", None) == ("type-error", "empty?: expected a list, array, struct, set or string, got nil")


def test_identical():
    assert call("identical?", 1, 1) is True
    assert call("identical?", BIG, 2 ** 100) is True
    assert call("identical?", "ab", "a" + "b") is True
    assert call("identical?", 1, 1.0) is False
    assert call("identical?", kw("a"), kw("a")) is True
    assert call("identical?", arr(1), arr(1)) is False
    a = marr(1)
    assert call("identical?", a, a) is True


def test_assert():
    assert call("assert", 5) == 5
    assert call("assert", EMPTY, "never") is EMPTY
    assert fails("assert", False) == ("failed-assertion", "assertion failed")
    assert fails("assert", None, "x must be set") == ("failed-assertion", "x must be set")
    assert fails("assert", None, kw("oops")) == ("failed-assertion", "oops")


# ---------------------------------------------------------------------------
# Collections

def test_list_and_pair():
    assert literal(call("list", 1, "a", kw("b"))) == '(1 "a" :b)'
    assert call("list") is EMPTY
    assert literal(call("pair", 1, lst(2, 3))) == "(1 2 3)"
    assert literal(call("pair", 1, 2)) == "(1 . 2)"


def test_first_and_rest():
    assert call("first", lst(1, 2)) == 1
    assert literal(call("rest", lst(1, 2))) == "(2)"
    assert call("first", EMPTY) is None
    assert call("rest", EMPTY) is EMPTY
    assert call("first", arr(7, 8)) == 7
    assert call("first", arr()) is None
    assert literal(call("rest", marr(1, 2, 3))) == "@[2 3]"
    assert literal(call("rest", arr())) == "[]"
    assert call("first", "hey") == "h"
    assert call("rest", "hey") == "ey"
    assert fails("first", None) == ("type-error", "first: expected a list, array or string, got nil")
    assert fails("rest", 5)[0] == "type-error"


def test_length():
    assert call("length", lst(1, 2, 3)) == 3
    assert call("length", EMPTY) == 0
    assert call("length", arr(1)) == 1
    assert call("length", "héllo") == 5
    assert call("length", struct(1, 2, 3, 4)) == 2
    assert call("length", lset(1, 2, 2)) == 2
    assert fails("length", None) == ("type-error", "length: expected a collection, got nil")
    assert fails("length", 3)[0] == "type-error"


def test_get_by_index_with_negatives_and_defaults():
    a = arr(10, 20, 30)
    assert call("get", a, 0) == 10
    assert call("get", a, -1) == 30
    assert call("get", a, -3) == 10
    assert call("get", a, 3) is None
    assert call("get", a, -4, kw("none")) is kw("none")
    assert call("get", a, BIG, 0) == 0
    assert call("get", "abc", -1) == "c"
    assert call("get", "abc", 5, "?") == "?"
    assert call("get", lst(1, 2, 3), -2) == 2
    assert call("get", EMPTY, 0) is None
    assert fails("get", a, kw("x")) == ("type-error", "get: expected an integer index, got :x")
    assert fails("get", a, True)[0] == "type-error"


def test_get_on_structs_and_sets():
    s = struct(kw("a"), 1, "k", None, 1, "one")
    assert call("get", s, kw("a")) == 1
    assert call("get", s, kw("zz")) is None
    assert call("get", s, kw("zz"), 9) == 9
    assert call("get", s, "k", 9) is None
    assert call("get", s, 1) == "one"
    assert call("get", s, True) is None
    assert call("get", lset(1, 2), 2) is True
    assert call("get", lset(1, 2), 3) is False
    assert call("get", lset(1, 2), 3, kw("no")) is kw("no")
    assert fails("get", None, kw("a")) == ("type-error", "get: expected a collection, got nil")


def test_put_on_immutable_returns_new_collection():
    a = arr(1, 2, 3)
    b = call("put", a, -1, 9)
    assert literal(a) == "[1 2 3]"
    assert literal(b) == "[1 2 9]"
    s = struct(kw("a"), 1)
    t = call("put", s, kw("b"), 2)
    assert literal(s) == "{:a 1}"
    assert literal(t) == "{:a 1 :b 2}"


def test_put_on_mutable_mutates_in_place():
    a = marr(1, 2, 3)
    assert call("put", a, 0, kw("x")) is a
    assert literal(a) == "@[:x 2 3]"
    s = struct(kw("a"), 1, mutable=True)
    assert call("put", s, kw("a"), 5) is s
    assert literal(s) == "@{:a 5}"


def test_put_errors():
    assert fails("put", arr(1), 1, 0) == ("argument-error", "put: index 1 out of range for length 1")
    assert fails("put", marr(), -1, 0)[0] == "argument-error"
    assert fails("put", arr(1), kw("a"), 0)[0] == "type-error"
    assert fails("put", lst(1), 0, 0) == ("type-error", "put: expected an array or struct, got (1)")
    assert fails("put", "abc", 0, "x")[0] == "type-error"


def test_push_mutates_an_at_array_and_copies_an_array():
    a = marr(1)
    assert call("push", a, 2) is a
    assert literal(a) == "@[1 2]"
    assert call("pop", a) == 2
    assert call("pop", a) == 1
    assert call("pop", a) is None
    frozen = arr(1)
    assert literal(call("push", frozen, 2)) == "[1 2]" and literal(frozen) == "[1]"   # as in Elle
    assert fails("push", lst(1), 2) == ("type-error", "push: expected an array, got (1)")
    assert fails("pop", lst(1))[0] == "type-error"


def test_push_respects_the_size_limit():
    vm = FakeVM(max_size=2)
    a = marr(1, 2)
    assert fails("push", a, 3, vm=vm)[0] == "argument-error"
    assert literal(a) == "@[1 2]"


def test_del():
    s = struct(kw("a"), 1, kw("b"), 2)
    t = call("del", s, kw("a"))
    assert literal(s) == "{:a 1 :b 2}" and literal(t) == "{:b 2}"
    m = struct(kw("a"), 1, mutable=True)
    assert call("del", m, kw("a")) is m and literal(m) == "@{}"
    assert call("del", m, kw("missing")) is m
    ms = lset(1, 2, mutable=True)
    assert call("del", ms, 1) is ms and literal(ms) == "@|2|"
    assert literal(call("del", lset(1), 1)) == "||"
    assert fails("del", arr(1), 0)[0] == "type-error"


def test_has():
    assert call("has?", struct(kw("a"), None), kw("a")) is True
    assert call("has?", struct(), kw("a")) is False
    assert call("has?", lset(1), 1) is True
    assert call("has?", lset(True), 1) is False
    assert call("has?", arr(1, 2), -2) is True
    assert call("has?", arr(1, 2), 2) is False
    assert fails("has?", lst(1), 0)[0] == "type-error"


def test_keys_values_pairs():
    s = struct(kw("a"), 1, "b", 2)
    assert literal(call("keys", s)) == '[:a "b"]'
    assert literal(call("values", s)) == "[1 2]"
    assert literal(call("pairs", s)) == '[[:a 1] ["b" 2]]'
    assert literal(call("keys", struct(True, 1))) == "[true]"
    assert fails("keys", arr())[0] == "type-error"


def test_append():
    assert literal(call("append", arr(1), marr(2), arr(3))) == "[1 2 3]"
    assert literal(call("append", marr(1), arr(2))) == "@[1 2]"
    m = marr(1)
    assert call("append", m, arr(2)) is m and literal(m) == "@[1 2]"   # in place, as in Elle
    a = arr(1)
    assert call("append", a, arr(2)) is not a and literal(a) == "[1]"
    assert literal(call("append", lst(1), EMPTY, lst(2, 3))) == "(1 2 3)"
    assert call("append", "ab", "", "c") == "abc"
    assert fails("append", arr(1), lst(2)) == ("type-error", "append: expected an array, got (2)")
    assert fails("append", "a", 1)[0] == "type-error"
    assert fails("append", 1, 2)[0] == "type-error"


def test_append_checks_size():
    vm = FakeVM(max_size=3)
    assert fails("append", arr(1, 2), arr(3, 4), vm=vm)[0] == "argument-error"
    assert fails("append", "ab", "cd", vm=vm)[0] == "argument-error"


def test_reverse():
    assert literal(call("reverse", lst(1, 2, 3))) == "(3 2 1)"
    assert literal(call("reverse", marr(1, 2))) == "@[2 1]"
    assert call("reverse", "abc") == "cba"
    assert call("reverse", EMPTY) is EMPTY


def test_range():
    # An @array, as in Elle: (range 5) is @[0 1 2 3 4].
    assert literal(call("range", 4)) == "@[0 1 2 3]"
    assert literal(call("range", 2, 5)) == "@[2 3 4]"
    assert literal(call("range", 0, 10, 3)) == "@[0 3 6 9]"
    assert literal(call("range", 5, 0, -2)) == "@[5 3 1]"
    assert literal(call("range", 3, 1)) == "@[]"
    assert literal(call("range", -2)) == "@[]"
    assert literal(call("range", 0, 1, 0.25)) == "@[0.0 0.25 0.5 0.75]"
    assert literal(call("range", BIG, BIG + 2)) == f"@[{BIG} {BIG + 1}]"
    assert fails("range", 0, 5, 0) == ("argument-error", "range: step must not be zero")
    assert fails("range", "5")[0] == "type-error"
    assert fails("range", 0, math.inf, 1)[0] == "argument-error"


def test_range_asks_the_vm_before_building():
    vm = FakeVM(max_size=1000)
    assert fails("range", 5, 10 ** 6, vm=vm)[0] == "argument-error"
    assert vm.sizes == [10 ** 6 - 5]
    assert fails("range", 10 ** 30, vm=FakeVM(max_size=10 ** 40))[0] == "argument-error"


def test_constructors():
    assert literal(call("array", 1, kw("a"))) == "[1 :a]"
    assert literal(call("@array")) == "@[]"
    assert literal(call("struct", kw("a"), 1, kw("b"), 2)) == "{:a 1 :b 2}"
    assert literal(call("@struct", kw("a"), 1)) == "@{:a 1}"
    assert fails("struct", kw("a")) == ("argument-error", "struct: expected key/value pairs, got 1 argument")
    assert literal(call("set", 1, 1)) == "|1|"
    assert call("length", call("@set", 1, True, 1.0)) == 2
    assert call("@set").mutable is True


def test_freeze_and_thaw_copy():
    m = marr(1)
    f = call("freeze", m)
    call("push", m, 2)
    assert literal(f) == "[1]" and literal(m) == "@[1 2]"
    frozen = arr(1)
    assert call("freeze", frozen) is frozen
    assert call("freeze", "s") == "s"
    t = call("thaw", frozen)
    assert t.mutable and t is not frozen
    assert literal(call("thaw", struct(kw("a"), 1))) == "@{:a 1}"
    assert literal(call("freeze", lset(1, mutable=True))) == "|1|"
    assert fails("thaw", "s")[0] == "type-error"
    assert fails("freeze", 1)[0] == "type-error"


def test_set_to_array_is_sorted():
    s = lset("pear", "apple", kw("z"), 3, 1.5, None)
    assert literal(call("set->array", s)) == '[nil 1.5 3 "apple" "pear" :z]'
    assert fails("set->array", arr())[0] == "type-error"


def test_butlast_last_slice():
    assert literal(call("butlast", lst(1, 2, 3))) == "(1 2)"
    assert literal(call("butlast", arr())) == "[]"
    assert call("butlast", "abc") == "ab"
    assert call("last", arr(1, 2)) == 2
    assert call("last", EMPTY) is None
    assert call("last", "xyz") == "z"
    assert literal(call("slice", arr(0, 1, 2, 3), 1, 3)) == "[1 2]"
    assert literal(call("slice", marr(0, 1, 2, 3), -2)) == "@[2 3]"
    assert literal(call("slice", lst(0, 1, 2), 1)) == "(1 2)"
    assert call("slice", "hello", 1, -1) == "ell"
    assert call("slice", "hello", 3, 1) == ""
    assert call("slice", "hello", -100, 100) == "hello"
    assert call("slice", "hello", 2, None) == "llo"
    assert fails("slice", "hello", 1.0)[0] == "type-error"


# ---------------------------------------------------------------------------
# Strings and output

def test_string_uses_display_forms():
    assert call("string") == ""
    assert call("string", "a", kw("b"), 1, 2.0, None, True) == "ab12.0niltrue"
    assert call("string", arr(1, kw("kw"), "s", lst(2))) == "[1 kw s (2)]"
    assert call("string", struct(kw("name"), "vm")) == '{:name "vm"}'
    assert call("string", lset(1)) == "|1|"
    assert fails("string", "a" * 10, "b" * 10, vm=FakeVM(max_size=15))[0] == "argument-error"


def test_string_functions():
    assert call("string/length", "héllo") == 5
    assert fails("string/length", kw("a")) == ("type-error", "string/length: expected a string, got :a")
    assert call("string-contains?", "hello", "ell") is True
    assert call("string-contains?", "hello", "") is True
    assert call("string-contains?", "hello", "z") is False
    assert fails("string-contains?", "hello", 1)[0] == "type-error"


def test_split_and_join():
    assert literal(call("string/split", "a,b,,c", ",")) == '["a" "b" "" "c"]'
    assert literal(call("string/split", "abc", "")) == '["a" "b" "c"]'
    assert literal(call("string/split", "", ",")) == '[""]'
    assert call("string/join", arr("a", "b", "c"), ", ") == "a, b, c"
    assert call("string/join", lst("x", kw("y"), 1)) == "xy1"
    assert call("string/join", arr(), "-") == ""
    assert fails("string/join", "abc", ",")[0] == "type-error"
    assert fails("string/join", arr("a"), 1)[0] == "type-error"


def test_format():
    assert call("string/format", "{} + {} = {}", 1, 2, 3) == "1 + 2 = 3"
    assert call("string/format", "name: {}", kw("vm")) == "name: vm"
    assert call("string/format", "{{}} {}", arr("s")) == "{} [s]"
    assert call("string/format", "no holes") == "no holes"
    assert call("string/format", "{x}") == "{x}"
    assert fails("string/format", "{} {}", 1)[0] == "argument-error"
    assert fails("string/format", "{}", 1, 2)[0] == "argument-error"
    assert fails("string/format", 5)[0] == "type-error"


def test_print_and_println_write_display_forms():
    vm = FakeVM()
    assert call("print", "a", 1, vm=vm) is None
    assert call("println", arr(1, kw("kw"), "s", lst(2)), vm=vm) is None
    call("println", struct(kw("a"), 1), " ", 1.0, " ", None, vm=vm)
    call("println", vm=vm)
    assert vm.output() == "a1[1 kw s (2)]\n{:a 1} 1.0 nil\n\n"


# ---------------------------------------------------------------------------
# Robustness: no Python exception escapes, whatever the arguments

def make_deep_list(depth):
    v = EMPTY
    for _ in range(depth):
        v = Pair(v, EMPTY)
    return v


def make_samples():
    """Fresh values of every kind, including a self-containing @array and a very deep list."""
    loop = marr(1)
    loop.items.append(loop)
    loop_struct = struct(kw("self"), None, mutable=True)
    loop_struct.d[kw("self")] = loop_struct
    return [None, True, False, 0, -1, 3, BIG, -BIG, 10 ** 400, 0.0, -2.5, math.nan, math.inf,
            "", "abc", kw("k"), sym("s"), EMPTY, lst(1, 2), Pair(1, 2), arr(), arr(1, "x"),
            marr(2, 1), struct(), struct(kw("a"), 1), struct(kw("m"), 2, mutable=True),
            lset(), lset(1, kw("b")), lset(3, mutable=True), Cell(1), PRIMITIVES["+"],
            loop, loop_struct, make_deep_list(5000)]


def call_safely(name, args):
    """Call the primitive; only LispError may come out."""
    try:
        PRIMITIVES[name].fn(FakeVM(), *args)
    except LispError:
        pass


def arg_counts(native):
    top = native.max_args if native.max_args is not None else native.min_args + 2
    return range(native.min_args, min(top, native.min_args + 3) + 1)


@pytest.mark.parametrize("name", OURS)
def test_no_python_exception_escapes(name):
    native = PRIMITIVES[name]
    small = [None, 1, 2.5, "ab", kw("k"), lst(1), arr(1), struct(1, 2), lset(1), 10 ** 400]
    for n in arg_counts(native):
        samples = make_samples() if n <= 2 else small
        for args in itertools.product(samples, repeat=n):
            call_safely(name, args)


def test_deep_values_give_a_lisp_error():
    deep = make_deep_list(5000)
    kind, message = fails("println", deep)
    assert kind == "stack-overflow"
    assert message.startswith("println: value nested too deeply")
    loop = marr()
    loop.items.append(loop)
    assert fails("string", loop)[0] == "stack-overflow"
    assert fails("=", make_deep_list(5000), make_deep_list(5000))[0] == "stack-overflow"
    assert fails("+", deep)[0] == "type-error"


values_strategy = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
              st.sampled_from([kw("a"), kw("b"), sym("x"), EMPTY])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: Array(xs, False)),
        st.lists(inner, max_size=3).map(lambda xs: Array(xs, True)),
        st.lists(inner, max_size=3).map(list_from),
        st.lists(st.tuples(st.sampled_from([kw("a"), kw("b"), 1, "s"]), inner), max_size=3)
        .map(lambda kvs: Struct({hash_key(k): v for k, v in kvs}, False)),
    ),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(OURS), st.lists(values_strategy, max_size=4))
def test_random_arguments_raise_only_lisp_errors(name, args):
    native = PRIMITIVES[name]
    if len(args) < native.min_args or (native.max_args is not None and len(args) > native.max_args):
        return
    call_safely(name, args)


@settings(max_examples=200, deadline=None)
@given(st.integers(), st.integers().filter(lambda b: b != 0))
def test_division_identities_hold_for_any_integers(a, b):
    q, r = call("/", a, b), call("rem", a, b)
    assert q * b + r == a
    assert abs(r) < abs(b)
    assert r == 0 or (r < 0) == (a < 0)
    m = call("mod", a, b)
    assert m == 0 or (m < 0) == (b < 0)
