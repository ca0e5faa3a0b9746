"""Number primitives: arithmetic, comparison, equality, conversion and bit operations."""

from __future__ import annotations

import math
import operator
import re
import sys

from vm.errors import LispError
from vm.primitives.registry import primitive
from vm.primitives.types import (argument_error, expect_int, expect_number, guard_depth, show,
                                 type_error)
from vm.values import Keyword, display, is_truthy, values_equal

# Integers are exact at any size (docs/language.md, Reading and Differences from Elle), but Python 3.11 refuses to
# turn an integer of more than 4,300 digits into text or back unless this guard is lifted,
# so printing or parsing a big integer would raise ValueError. The setting is process-wide;
# it belongs with VM start-up and lives here only until the VM sets it itself.
sys.set_int_max_str_digits(0)

# `*` and bit/shl refuse integer results wider than this many bits (about 79,000 decimal
# digits): one instruction must not be able to ask for gigabytes, nor make the next one
# (printing is quadratic in the digits, so is division) take seconds.
MAX_INT_BITS = 1 << 18
MAX_SHIFT_BITS = MAX_INT_BITS

INT_SYNTAX = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*"
    r"|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)")
INT_BASES = {"x": 16, "o": 8, "b": 2}


def raise_overflow(name: str):
    """Raise the error for an integer too large to mix with floats (float(10**400) fails)."""
    raise argument_error(name, "integer too large to convert to a float") from None


def raise_division_by_zero(name: str):
    """Raise the :division-by-zero error, for integer and float divisors alike."""
    raise LispError("division-by-zero", f"{name}: division by zero")


# ---------------------------------------------------------------------------
# Arithmetic

@primitive("+", 0, None)
def add(vm, *args):
    """Sum of the arguments; (+) is 0."""
    if len(args) == 2:
        # The common case (fold's +, the interpreter's Add on a float), without the loop.
        a, b = args
        ta, tb = type(a), type(b)
        if (ta is int or ta is float) and (tb is int or tb is float):
            try:
                return a + b
            except OverflowError:
                raise_overflow("+")
    if not args:
        return 0
    total = args[0]                     # not 0 + x: that turns -0.0 into 0.0
    expect_number("+", total)
    try:
        for x in args[1:]:
            expect_number("+", x)
            total += x
    except OverflowError:
        raise_overflow("+")
    return total


@primitive("-", 1, None)
def subtract(vm, first, *rest):
    """(- x) negates; (- x y ...) subtracts the others from x."""
    expect_number("-", first)
    if not rest:
        return -first
    total = first
    try:
        for x in rest:
            expect_number("-", x)
            total -= x
    except OverflowError:
        raise_overflow("-")
    return total


@primitive("*", 0, None)
def multiply(vm, *args):
    """Product of the arguments; (*) is 1."""
    if len(args) == 2:
        # Two numbers, one of them a float (the interpreter's Mul, mandelbrot's 2.0 * y):
        # what the loop below computes, without it. Two integers take the loop (size check).
        a, b = args
        ta, tb = type(a), type(b)
        if (ta is float and (tb is float or tb is int)) or (ta is int and tb is float):
            try:
                return a * b
            except OverflowError:
                raise_overflow("*")
    total = 1
    try:
        for x in args:
            expect_number("*", x)
            if type(x) is int and type(total) is int and total.bit_length() + x.bit_length() > MAX_INT_BITS:
                # Repeated squaring would otherwise ask for gigabytes in a few dozen steps.
                raise argument_error("*", f"result would exceed {MAX_INT_BITS} bits")
            total *= x
    except OverflowError:
        raise_overflow("*")
    return total


def divide_two(a, b):
    """a / b: integers truncate toward zero, anything with a float divides as floats."""
    if b == 0:
        raise_division_by_zero("/")
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        # Python floors; the language truncates toward zero like C and Elle.
        if r and (a < 0) != (b < 0):
            q += 1
        return q
    try:
        return a / b
    except OverflowError:
        raise_overflow("/")


@primitive("/", 1, None)
def divide(vm, first, *rest):
    """(/ x) is the reciprocal of x; (/ x y ...) divides x by each of the others in turn."""
    expect_number("/", first)
    if not rest:
        return divide_two(1, first)
    total = first
    for x in rest:
        expect_number("/", x)
        total = divide_two(total, x)
    return total


def check_divisor_pair(name: str, a, b) -> None:
    """Type-check both operands of rem/mod and reject a zero divisor."""
    expect_number(name, a)
    expect_number(name, b)
    if b == 0:
        raise_division_by_zero(name)


@primitive("rem", 2, 2)
def remainder(vm, a, b):
    """Remainder of truncating division: takes the sign of the dividend, as in C."""
    check_divisor_pair("rem", a, b)
    if type(a) is int and type(b) is int:
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    try:
        return math.fmod(a, b)
    except OverflowError:
        raise_overflow("rem")
    except ValueError:
        # fmod(inf, y) is a domain error in Python; IEEE 754 says NaN.
        return math.nan


@primitive("mod", 2, 2)
def modulo(vm, a, b):
    """Modulus of flooring division: takes the sign of the divisor."""
    check_divisor_pair("mod", a, b)
    try:
        return a % b
    except OverflowError:
        raise_overflow("mod")


@primitive("abs", 1, 1)
def absolute(vm, x):
    """Absolute value."""
    expect_number("abs", x)
    return abs(x)


@primitive("inc", 1, 1)
def increment(vm, x):
    """x + 1."""
    expect_number("inc", x)
    return x + 1


@primitive("dec", 1, 1)
def decrement(vm, x):
    """x - 1."""
    expect_number("dec", x)
    return x - 1


def pick_extreme(name: str, args, better):
    """The first argument no other argument is `better` than (Python compares int/float exactly)."""
    best = args[0]
    expect_number(name, best)
    for x in args[1:]:
        expect_number(name, x)
        if better(x, best):
            best = x
    return best


@primitive("min", 1, None)
def minimum(vm, *args):
    """The smallest argument."""
    return pick_extreme("min", args, operator.lt)


@primitive("max", 1, None)
def maximum(vm, *args):
    """The largest argument."""
    return pick_extreme("max", args, operator.gt)


# ---------------------------------------------------------------------------
# Comparison and equality

def classify_comparable(name: str, v) -> str:
    """Which ordering applies to v: numbers, strings or keywords (by name)."""
    t = type(v)
    if t is int or t is float:
        return "number"
    if t is str:
        return "string"
    if t is Keyword:
        return "keyword"
    raise type_error(name, "a number, string or keyword", v)


def compare_chain(name: str, op, args) -> bool:
    """True when op holds between every neighbouring pair; all arguments must be of one kind."""
    kind = classify_comparable(name, args[0])
    for a, b in zip(args, args[1:]):
        if classify_comparable(name, b) != kind:
            raise LispError("type-error", f"{name}: cannot compare {show(a)} with {show(b)}")
    if kind == "keyword":
        args = [k.name for k in args]
    return all(op(a, b) for a, b in zip(args, args[1:]))


@primitive("<", 1, None)
def less(vm, *args):
    """Strictly increasing (numbers, strings or keywords)."""
    return compare_chain("<", operator.lt, args)


@primitive(">", 1, None)
def greater(vm, *args):
    """Strictly decreasing (numbers, strings or keywords)."""
    return compare_chain(">", operator.gt, args)


@primitive("<=", 1, None)
def less_or_equal(vm, *args):
    """Non-decreasing (numbers, strings or keywords)."""
    return compare_chain("<=", operator.le, args)


@primitive(">=", 1, None)
def greater_or_equal(vm, *args):
    """Non-increasing (numbers, strings or keywords)."""
    return compare_chain(">=", operator.ge, args)


def are_all_equal(args) -> bool:
    """True when every neighbouring pair is structurally equal."""
    return all(values_equal(a, b) for a, b in zip(args, args[1:]))


@primitive("=", 1, None)
@primitive("eq?", 1, None)
@guard_depth("=")
def equal(vm, *args):
    """Structural, numeric-aware equality: (= 1 1.0) and (= [1] @[1]) are true."""
    return are_all_equal(args)


@primitive("not=", 1, None)
@guard_depth("not=")
def not_equal(vm, *args):
    """(not (= ...))."""
    return not are_all_equal(args)


@primitive("not", 1, 1)
def negate(vm, v):
    """True for nil and false, false for everything else."""
    return not is_truthy(v)


# ---------------------------------------------------------------------------
# Conversion

def parse_int(text: str) -> int:
    """Read an integer written as the reader accepts it: sign, 0x/0o/0b, `_` between digits."""
    t = text.strip()
    if not INT_SYNTAX.fullmatch(t):
        raise argument_error("int", f"cannot parse {show(text)} as an integer")
    sign = -1 if t[0] == "-" else 1
    body = t.lstrip("+-")
    base = INT_BASES.get(body[1:2].lower(), 10) if body[:1] == "0" else 10
    return sign * int(body, base)


@primitive("int", 1, 1)
@primitive("integer", 1, 1)
def to_int(vm, v):
    """Integer from an int, a float (truncated toward zero) or a string."""
    t = type(v)
    if t is int:
        return v
    if t is float:
        if math.isnan(v) or math.isinf(v):
            raise argument_error("int", f"cannot convert {show(v)} to an integer")
        return int(v)
    if t is str:
        return parse_int(v)
    raise type_error("int", "a number or string", v)


@primitive("float", 1, 1)
def to_float(vm, v):
    """Float from an int, a float or a string."""
    t = type(v)
    if t is float:
        return v
    if t is int:
        try:
            return float(v)
        except OverflowError:
            raise_overflow("float")
    if t is str:
        try:
            return float(v)
        except ValueError:
            raise argument_error("float", f"cannot parse {show(v)} as a float") from None
    raise type_error("float", "a number or string", v)


def text_of(name: str, v) -> str:
    """The text parse-int and parse-float read: a string, or a keyword's name."""
    if type(v) is Keyword:
        return v.name
    if type(v) is not str:
        raise type_error(name, "a string or keyword", v)
    return v


def expect_radix(name: str, radix) -> int:
    """Check a radix argument: an integer from 2 to 36."""
    expect_int(name, radix)
    if not 2 <= radix <= 36:
        raise argument_error(name, f"radix must be between 2 and 36, got {radix}")
    return radix


def digits_value(c: str) -> int:
    """The value of one digit character in bases up to 36 (99 for anything else)."""
    if "0" <= c <= "9":
        return ord(c) - 48
    c = c.lower()
    return ord(c) - 87 if "a" <= c <= "z" else 99


@primitive("parse-int", 1, 2)
def parse_integer(vm, s, *radix):
    """(parse-int s radix?): the integer a string or keyword spells; radix 2 to 36 (default 10,
    where 0x/0o/0b prefixes and `_` work as in source)."""
    text = text_of("parse-int", s)
    # Reading n digits costs time quadratic in n: refuse what `*` could never produce.
    if len(text) > MAX_INT_BITS:
        raise argument_error("parse-int", f"a number of {len(text)} digits is too long")
    if not radix:
        try:
            return parse_int(text)
        except LispError:
            raise argument_error("parse-int", f"cannot parse {show(s)} as an integer") from None
    base = expect_radix("parse-int", radix[0])
    body = text.strip()
    sign = -1 if body[:1] == "-" else 1
    body = body[1:] if body[:1] in ("-", "+") else body
    if not body or any(digits_value(c) >= base for c in body):
        raise argument_error("parse-int", f"cannot parse {show(s)} as a base-{base} integer")
    return sign * int(body, base)


FLOAT_SYNTAX = re.compile(r"[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?"
                          r"|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


@primitive("parse-float", 1, 1)
def parse_float(vm, s):
    """(parse-float s): the float a string or keyword spells ("3.14", "1e10", "-inf", "nan")."""
    text = text_of("parse-float", s).strip()
    if len(text) > MAX_INT_BITS or not FLOAT_SYNTAX.fullmatch(text):
        raise argument_error("parse-float", f"cannot parse {show(s)} as a float")
    return float(text)


DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def int_to_base(n: int, base: int) -> str:
    """n written in base 2..36, lowercase, with a leading minus for negatives."""
    if base == 10:
        return str(n)
    if base in (2, 8, 16):
        return format(n, {2: "b", 8: "o", 16: "x"}[base])
    digits, m = [], abs(n)
    while m:
        m, d = divmod(m, base)
        digits.append(DIGITS[d])
    return ("-" if n < 0 else "") + ("".join(reversed(digits)) or "0")


@primitive("number->string", 1, 2)
def number_to_string(vm, n, *radix):
    """(number->string n radix?): n as text; with a radix (2 to 36) an integer in that base,
    lowercase and without prefix."""
    expect_number("number->string", n)
    if not radix:
        return display(n)
    base = expect_radix("number->string", radix[0])
    if type(n) is not int:
        raise type_error("number->string", "an integer when a radix is given", n)
    # Base conversion outside 2/8/10/16 is quadratic in the digits: the same cap as `*`.
    if n.bit_length() > MAX_INT_BITS:
        raise argument_error("number->string", f"integer wider than {MAX_INT_BITS} bits")
    return int_to_base(n, base)


# ---------------------------------------------------------------------------
# Bits (integers only)

def fold_bits(name: str, op, args) -> int:
    """Combine integer arguments left to right with op."""
    total = args[0]
    expect_int(name, total)
    for x in args[1:]:
        expect_int(name, x)
        total = op(total, x)
    return total


@primitive("bit/and", 1, None)
def bit_and(vm, *args):
    """Bitwise and (two's complement for negative integers)."""
    return fold_bits("bit/and", operator.and_, args)


@primitive("bit/or", 1, None)
def bit_or(vm, *args):
    """Bitwise or."""
    return fold_bits("bit/or", operator.or_, args)


@primitive("bit/xor", 1, None)
def bit_xor(vm, *args):
    """Bitwise exclusive or."""
    return fold_bits("bit/xor", operator.xor, args)


@primitive("bit/not", 1, 1)
def bit_not(vm, x):
    """Bitwise complement: -x - 1."""
    expect_int("bit/not", x)
    return ~x


def check_shift(name: str, x, n) -> None:
    """Type-check a shift and refuse negative counts."""
    expect_int(name, x)
    expect_int(name, n)
    if n < 0:
        raise argument_error(name, f"shift count must not be negative, got {n}")


@primitive("bit/shl", 2, 2)
@primitive("bit/shift-left", 2, 2)
def shift_left(vm, x, n):
    """x shifted left by n bits; exact, never wraps."""
    check_shift("bit/shl", x, n)
    if x and x.bit_length() + n > MAX_SHIFT_BITS:
        raise argument_error("bit/shl", f"result would exceed {MAX_SHIFT_BITS} bits")
    return x << n if x else 0


@primitive("bit/shr", 2, 2)
@primitive("bit/shift-right", 2, 2)
def shift_right(vm, x, n):
    """x shifted right by n bits (arithmetic: negative numbers stay negative)."""
    check_shift("bit/shr", x, n)
    return x >> n
