"""Signal bits, the keyword registry for user signals, and mask parsing."""

from __future__ import annotations

from vm.errors import LispError
from vm.values import Array, Keyword, LSet, Pair, EmptyList, kw, unkey

SIG_ERROR = 1
SIG_YIELD = 2
SIG_DEBUG = 4
SIG_HALT = 256
SIG_IO = 512
SIG_FUEL = 4096
USER_SIGNAL_BASE = 1 << 32

BUILTIN_SIGNALS = {"error": SIG_ERROR, "yield": SIG_YIELD, "debug": SIG_DEBUG,
                   "halt": SIG_HALT, "io": SIG_IO, "fuel": SIG_FUEL}


class SignalRegistry:
    """Maps signal keywords to bits; user signals get 2^32, 2^33, ... in declaration order."""

    def __init__(self):
        self.bits: dict[str, int] = dict(BUILTIN_SIGNALS)
        self.next_user = USER_SIGNAL_BASE

    def declare(self, name: str) -> int:
        """Declare a user signal (idempotent) and return its bit."""
        if name not in self.bits:
            self.bits[name] = self.next_user
            self.next_user <<= 1
        return self.bits[name]

    def lookup(self, name: str) -> int | None:
        return self.bits.get(name)

    def names(self, bits: int) -> list[str]:
        """The keyword names set in `bits`, lowest bit first; unknown bits as numbers."""
        out = []
        known = 0
        for name, b in sorted(self.bits.items(), key=lambda kv: kv[1]):
            if bits & b:
                out.append(name)
                known |= b
        rest = bits & ~known
        if rest:
            out.append(str(rest))
        return out

    def bits_of(self, spec) -> int:
        """Bits of a mask or signal given as an int, keyword, or a set/array/list of keywords."""
        if type(spec) is int:
            return spec
        if spec is None:
            return 0
        if type(spec) is Keyword:
            b = self.bits.get(spec.name)
            if b is None:
                raise LispError("argument-error", f"unknown signal :{spec.name}")
            return b
        if type(spec) is LSet:
            items = [unkey(k) for k in spec.s]
        elif type(spec) is Array:
            items = spec.items
        elif type(spec) is Pair or type(spec) is EmptyList:
            items = list(spec)
        else:
            raise LispError("type-error", "expected a signal keyword, an int or a set of keywords")
        total = 0
        for item in items:
            total |= self.bits_of(item)
        return total


def signal_keyword(name: str) -> Keyword:
    return kw(name)
