"""Mathematical primitives (math/*: roots, trigonometry, logarithms, rounding, constants, f32 bits) and number predicates."""

from __future__ import annotations

import math
import struct

from vm.primitives.numbers import MAX_INT_BITS, raise_division_by_zero, raise_overflow
from vm.primitives.registry import primitive
from vm.primitives.types import argument_error, expect_int, expect_number


def as_float(name: str, x) -> float:
    """x as a float after checking it is a number; an integer too big for a float is an error."""
    expect_number(name, x)
    try:
        return float(x)
    except OverflowError:
        raise_overflow(name)


def real_function(name: str, fn):
    """Register math/NAME (and NAME) as x -> fn(float x); a domain error gives NaN, as IEEE 754
    does (Python raises ValueError for sqrt(-1), log(-1), asin(2)...), an overflow gives inf."""
    def apply(vm, x):
        v = as_float(name, x)
        try:
            return fn(v)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.inf
    apply.__doc__ = DOCS[name]
    primitive("math/" + name, 1, 1)(apply)
    primitive(name, 1, 1)(apply)


def exp2(x: float) -> float:
    return 2.0 ** x


def cube_root(x: float) -> float:
    # The platform's cbrt can miss exact cubes by an ulp (27 gives 3.0000000000000004).
    r = math.cbrt(x)
    if math.isfinite(r):
        n = round(r)
        if n * n * n == x:
            return float(n)
    return r


def log_natural(x: float) -> float:
    # IEEE 754: log(0) is -inf, log of a negative number is NaN; Python raises for both.
    if x == 0:
        return -math.inf
    return math.log(x)


DOCS = {
    "sqrt": "Square root: (math/sqrt 16) is 4.0; negative numbers give NaN.",
    "cbrt": "Cube root: (math/cbrt 27) is 3.0.",
    "sin": "Sine of an angle in radians.",
    "cos": "Cosine of an angle in radians.",
    "tan": "Tangent of an angle in radians.",
    "asin": "Arcsine, in radians.",
    "acos": "Arccosine, in radians.",
    "atan": "Arctangent, in radians.",
    "sinh": "Hyperbolic sine.",
    "cosh": "Hyperbolic cosine.",
    "tanh": "Hyperbolic tangent.",
    "exp": "e raised to the power x.",
    "exp2": "2 raised to the power x.",
    "log2": "Base-2 logarithm.",
    "log10": "Base-10 logarithm.",
}

for _name, _fn in (("sqrt", math.sqrt), ("cbrt", cube_root),
                   ("sin", math.sin), ("cos", math.cos), ("tan", math.tan), ("asin", math.asin),
                   ("acos", math.acos), ("atan", math.atan), ("sinh", math.sinh),
                   ("cosh", math.cosh), ("tanh", math.tanh), ("exp", math.exp), ("exp2", exp2),
                   ("log2", lambda x: -math.inf if x == 0 else math.log2(x)),
                   ("log10", lambda x: -math.inf if x == 0 else math.log10(x))):
    real_function(_name, _fn)


@primitive("math/log", 1, 2)
@primitive("log", 1, 2)
def logarithm(vm, x, *base):
    """(math/log x base?): natural logarithm, or the logarithm in the given base."""
    v = as_float("math/log", x)
    try:
        if not base:
            return log_natural(v)
        b = as_float("math/log", base[0])
        denominator = log_natural(b)
        if denominator == 0:
            raise_division_by_zero("math/log")
        return log_natural(v) / denominator
    except ValueError:
        return math.nan


@primitive("math/atan2", 2, 2)
@primitive("atan2", 2, 2)
def arctangent2(vm, y, x):
    """(math/atan2 y x): the angle of the point (x, y), in radians, from -pi to pi."""
    return math.atan2(as_float("math/atan2", y), as_float("math/atan2", x))


@primitive("math/pow", 2, 2)
@primitive("pow", 2, 2)
def power(vm, x, y):
    """(math/pow x y): x to the power y; exact for an integer to a non-negative integer power."""
    expect_number("math/pow", x)
    expect_number("math/pow", y)
    if type(x) is int and type(y) is int and y >= 0:
        # Same ceiling as `*`: one call must not build a number of gigabytes.
        if abs(x) > 1 and (abs(x).bit_length() - 1) * y > MAX_INT_BITS:
            raise argument_error("math/pow", f"result would exceed {MAX_INT_BITS} bits")
        return x ** y
    a, b = as_float("math/pow", x), as_float("math/pow", y)
    try:
        r = math.pow(a, b)
    except ZeroDivisionError:
        return math.inf
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf
    return r


@primitive("math/fmod", 2, 2)
@primitive("fmod", 2, 2)
def float_modulo(vm, a, b):
    """(math/fmod a b): a - floor(a/b) * b as a float (the sign of b): (math/fmod 5.5 2.0) is 1.5."""
    x, y = as_float("math/fmod", a), as_float("math/fmod", b)
    if y == 0:
        raise_division_by_zero("math/fmod")
    if math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    return x % y


def rounding(name: str, fn, doc: str):
    """Register math/NAME and NAME: integers come back unchanged, floats are rounded to a
    float (inf and NaN stay as they are)."""
    def apply(vm, x):
        expect_number("math/" + name, x)
        if type(x) is int or math.isinf(x) or math.isnan(x):
            return x
        return float(fn(x))
    apply.__doc__ = doc
    primitive("math/" + name, 1, 1)(apply)
    primitive(name, 1, 1)(apply)


def round_half_away(x: float) -> int:
    """Round to nearest, halves away from zero (Python's round() goes to even)."""
    t = math.trunc(x)
    if abs(x - t) >= 0.5:
        t += 1 if x > 0 else -1
    return t


rounding("floor", math.floor, "(math/floor x): the largest whole number <= x; (math/floor 3.7) is 3.0.")
rounding("ceil", math.ceil, "(math/ceil x): the smallest whole number >= x; (math/ceil 3.2) is 4.0.")
rounding("round", round_half_away, "(math/round x): the nearest whole number, halves away from zero.")
rounding("trunc", math.trunc, "(math/trunc x): x without its fractional part (toward zero).")


def constant(names, value: float, doc: str):
    """Register a constant as a function of no arguments under each name: (math/pi)."""
    def apply(vm):
        return value
    apply.__doc__ = doc
    for n in names:
        primitive(n, 0, 0)(apply)


constant(("math/pi", "pi"), math.pi, "The constant pi, 3.141592653589793.")
constant(("math/e", "e"), math.e, "The constant e, 2.718281828459045.")
constant(("math/inf", "+inf", "inf"), math.inf, "Positive infinity.")
constant(("math/-inf", "-inf"), -math.inf, "Negative infinity.")
constant(("math/nan", "nan"), math.nan, "Not a number (NaN).")


@primitive("math/f32-bits", 1, 1)
def f32_bits(vm, x):
    """(math/f32-bits x): the IEEE 754 single-precision bit pattern of x, as an integer."""
    v = as_float("math/f32-bits", x)
    try:
        packed = struct.pack(">f", v)
    except OverflowError:
        # Too large for single precision: the conversion rounds to infinity.
        packed = struct.pack(">f", math.copysign(math.inf, v))
    return struct.unpack(">I", packed)[0]


@primitive("math/f32-from-bits", 1, 1)
def f32_from_bits(vm, bits):
    """(math/f32-from-bits n): the single-precision float whose bit pattern is n (0 to 2^32-1)."""
    expect_int("math/f32-from-bits", bits)
    if not 0 <= bits < 1 << 32:
        raise argument_error("math/f32-from-bits", f"expected a 32-bit pattern, got {bits}")
    return struct.unpack(">f", struct.pack(">I", bits))[0]


# ---------------------------------------------------------------------------
# Number predicates

def is_num(v) -> bool:
    t = type(v)
    return t is int or t is float


@primitive("even?", 1, 1)
def is_even(vm, n):
    """True for an even integer."""
    expect_int("even?", n)
    return n % 2 == 0


@primitive("odd?", 1, 1)
def is_odd(vm, n):
    """True for an odd integer."""
    expect_int("odd?", n)
    return n % 2 == 1


@primitive("zero?", 1, 1)
def is_zero(vm, v):
    """True for 0 and 0.0; false for anything else, numbers or not."""
    return is_num(v) and v == 0


@primitive("nonzero?", 1, 1)
def is_nonzero(vm, v):
    """True for a number other than zero (NaN included); false for non-numbers."""
    return is_num(v) and v != 0


@primitive("nan?", 1, 1)
def is_nan(vm, v):
    """True for NaN; false for every other value."""
    return type(v) is float and v != v


@primitive("inf?", 1, 1)
@primitive("infinite?", 1, 1)
def is_infinite(vm, v):
    """True for inf and -inf; false for every other value."""
    return type(v) is float and math.isinf(v)


@primitive("pos?", 1, 1)
@primitive("positive?", 1, 1)
def is_positive(vm, v):
    """True for a number greater than zero."""
    expect_number("pos?", v)
    return v > 0


@primitive("neg?", 1, 1)
@primitive("negative?", 1, 1)
def is_negative(vm, v):
    """True for a number less than zero."""
    expect_number("neg?", v)
    return v < 0
