"""Value types of the language, the printer (display and literal forms) and equality.

Representation (chosen so the interpreter's hot paths are plain Python operations):

    nil            None
    true / false   True / False        (always test `type(x) is int` before arithmetic)
    integers       int (arbitrary precision)
    floats         float
    strings        str
    keywords       Keyword (interned: `kw("a") is kw("a")`)
    symbols        Symbol  (interned)
    ()             EMPTY, the single instance of EmptyList
    pairs          Pair(first, rest)
    arrays         Array(items: list, mutable: bool)
    structs        Struct(d: dict, mutable: bool)
    sets           LSet(s: set, mutable: bool)
    closures       Closure (vm.fiber)
    natives        Native (vm.primitives)
    fibers         Fiber (vm.fiber)
    boxes / cells  Cell
"""

from __future__ import annotations


class Keyword:
    """An interned keyword such as `:yield`; print form omits the colon."""

    __slots__ = ("name", "__weakref__")
    _table: dict[str, "Keyword"] = {}

    def __new__(cls, name: str) -> "Keyword":
        k = cls._table.get(name)
        if k is None:
            k = object.__new__(cls)
            k.name = name
            cls._table[name] = k
        return k

    def __repr__(self) -> str:
        return ":" + self.name

    def __reduce__(self):
        return (Keyword, (self.name,))

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


class Symbol:
    """An interned symbol."""

    __slots__ = ("name", "__weakref__")
    _table: dict[str, "Symbol"] = {}

    def __new__(cls, name: str) -> "Symbol":
        s = cls._table.get(name)
        if s is None:
            s = object.__new__(cls)
            s.name = name
            cls._table[name] = s
        return s

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self):
        return (Symbol, (self.name,))

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


def kw(name: str) -> Keyword:
    """Return the keyword named `name` (without the colon)."""
    return Keyword(name)


def sym(name: str) -> Symbol:
    """Return the symbol named `name`."""
    return Symbol(name)


class EmptyList:
    """The empty list `()`: truthy and distinct from nil."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "()"

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __reduce__(self):
        return (EmptyList, ())


EMPTY = EmptyList()


class Pair:
    """A cons cell; proper lists end in EMPTY."""

    __slots__ = ("first", "rest")

    def __init__(self, first, rest):
        self.first = first
        self.rest = rest

    def __iter__(self):
        p = self
        while type(p) is Pair:
            yield p.first
            p = p.rest

    def __eq__(self, other):
        return values_equal(self, other)

    def __hash__(self):
        return _bounded_hash(self, _HASH_DEPTH)

    def __repr__(self) -> str:
        return preview(self)

    def __deepcopy__(self, memo):
        # Iterative, so copying a 1,000,000-element list never recurses per element.
        import copy
        if id(self) in memo:
            return memo[id(self)]
        head = Pair(None, None)
        memo[id(self)] = head
        out = head
        p = self
        while True:
            out.first = copy.deepcopy(p.first, memo)
            nxt = p.rest
            if type(nxt) is not Pair:
                out.rest = copy.deepcopy(nxt, memo)
                break
            if id(nxt) in memo:
                out.rest = memo[id(nxt)]
                break
            cell = Pair(None, None)
            memo[id(nxt)] = cell
            out.rest = cell
            out = cell
            p = nxt
        return head


class Array:
    """An array: `[...]` immutable (mutable=False) or `@[...]` mutable."""

    __slots__ = ("items", "mutable")

    def __init__(self, items: list, mutable: bool = False):
        self.items = items
        self.mutable = mutable

    def __eq__(self, other):
        return values_equal(self, other)

    def __hash__(self):
        return _bounded_hash(self, _HASH_DEPTH)

    def __repr__(self) -> str:
        return preview(self)


class Struct:
    """A struct: `{...}` immutable or `@{...}` mutable; keys are values (see hash_key)."""

    __slots__ = ("d", "mutable")

    def __init__(self, d: dict, mutable: bool = False):
        self.d = d
        self.mutable = mutable

    def __eq__(self, other):
        return values_equal(self, other)

    def __hash__(self):
        return _bounded_hash(self, _HASH_DEPTH)

    def __repr__(self) -> str:
        return preview(self)


class LSet:
    """A set: `|...|` immutable or `@|...|` mutable."""

    __slots__ = ("s", "mutable")

    def __init__(self, s: set, mutable: bool = False):
        self.s = s
        self.mutable = mutable

    def __eq__(self, other):
        return values_equal(self, other)

    def __hash__(self):
        return _bounded_hash(self, _HASH_DEPTH)

    def __repr__(self) -> str:
        return preview(self)


class Cell:
    """A box holding one value; also the shared cell of a mutable captured binding."""

    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value

    def __repr__(self) -> str:
        return "<cell " + preview(self.value) + ">"


class BoolKey:
    """Wraps True/False when used as a dict/set key so they never collide with 1/0."""

    __slots__ = ("b",)

    def __init__(self, b: bool):
        self.b = b

    def __eq__(self, other):
        return type(other) is BoolKey and other.b is self.b

    def __hash__(self):
        return hash(("bool", self.b))


# Hashes of lists, arrays and structs look this many levels deep and no further, so hashing a
# value nested 100,000 levels deep (or one that contains itself) never recurses without
# bound. Equal values still hash equal; values shallower than this hash as they always did.
_HASH_DEPTH = 32


def _bounded_hash(v, depth: int, memo: dict | None = None) -> int:
    # memo: (id, depth) -> hash for this one computation, so a value that shares its parts
    # (`(push a a)` twice, a tower of [d d]) costs its distinct nodes, not its paths.
    t = type(v)
    if depth <= 0:
        return 0x5E9 if t is not Struct else 0x5B7
    if memo is None:
        memo = {}
    key = (id(v), depth)
    h = memo.get(key)
    if h is not None:
        return h
    if t is Pair or t is Array:
        items = v.items if t is Array else v
        h = hash(tuple(_hash_part(x, depth - 1, memo) for x in items))
    elif t is Struct:
        h = hash(frozenset((_hash_part(k, depth - 1, memo), _hash_part(x, depth - 1, memo))
                           for k, x in v.d.items()))
    elif t is LSet:
        h = hash(frozenset(_hash_part(k, depth - 1, memo) for k in v.s))
    else:
        h = hash(hash_key(v))
    memo[key] = h
    return h


def _hash_part(v, depth: int, memo: dict):
    """What stands for `v` inside a container's hash: itself, or its bounded hash."""
    t = type(v)
    if t is Pair or t is Array or t is Struct or t is LSet:
        return _bounded_hash(v, depth, memo)
    return hash_key(v)


def hash_key(v):
    """Turn a value into the key used inside Struct.d and LSet.s.

    Booleans are wrapped so `true` and `1` stay distinct keys; everything else is itself
    (mutable collections hash by content at insertion time, as in most Lisps)."""
    if v is True or v is False:
        return BoolKey(v)
    return v


def sorted_members(s) -> list:
    """A set's members in a stable order (type, then printed form), so printing and
    iterating a set gives the same result in every run despite hash randomisation."""
    items = [unkey(k) for k in s]
    try:
        return _with_order_memo(_sort_members, items)
    except RecursionError:
        return items


def _sort_members(items: list) -> list:
    return sorted(items, key=_order_key)


# id -> order key of the containers met while one value is printed or sorted (see
# _with_order_memo): each container is previewed for ordering once, not once per path.
_order_memo: dict | None = None


def _with_order_memo(fn, *args):
    """Run fn(*args) with the order-key memo on (the outermost call owns and drops it)."""
    global _order_memo
    if _order_memo is not None:
        return fn(*args)
    _order_memo = {}
    try:
        return fn(*args)
    finally:
        _order_memo = None


def _order_key(v):
    """nil, booleans, numbers, strings, keywords, symbols, then anything by its preview."""
    t = type(v)
    if v is None:
        return (0, 0)
    if t is bool:
        return (1, v)
    if t is int or t is float:
        return (2, 0) if v != v else (2, v)
    if t is str:
        return (3, v)
    if t is Keyword:
        return (4, v.name)
    if t is Symbol:
        return (5, v.name)
    memo = _order_memo
    if memo is None:
        return (6, preview(v, 200))
    key = memo.get(id(v))
    if key is None:
        key = memo[id(v)] = (6, preview(v, 200))
    return key


def unkey(k):
    """Inverse of hash_key."""
    if type(k) is BoolKey:
        return k.b
    return k


# ---------------------------------------------------------------------------
# Truthiness, types, equality

def is_truthy(v) -> bool:
    """Only nil and false are falsy."""
    return v is not None and v is not False


def type_name(v) -> str:
    """The keyword name `type-of` returns for a value."""
    if v is None:
        return "nil"
    t = type(v)
    if t is bool:
        return "boolean"
    if t is int:
        return "integer"
    if t is float:
        return "float"
    if t is str:
        return "string"
    if t is Keyword:
        return "keyword"
    if t is Symbol:
        return "symbol"
    if t is EmptyList or t is Pair:
        return "list"
    if t is Array:
        return "@array" if v.mutable else "array"
    if t is Struct:
        return "@struct" if v.mutable else "struct"
    if t is LSet:
        return "@set" if v.mutable else "set"
    if t is Cell:
        return "box"
    name = getattr(v, "type_name", None)
    if name:
        return name
    return t.__name__.lower()


def values_equal(a, b) -> bool:
    """Structural, numeric-aware equality (`=`)."""
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return a is b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a == b
    if a is b:
        return True
    if ta is str and tb is str:
        return a == b
    if ta is not tb or ta not in _CONTAINERS:
        return False
    try:
        return _equal(a, b, _equal_memo)
    except RecursionError:
        # Deep nesting (or an @array that contains itself): a catchable guest error,
        # whichever opcode or primitive compared (the run loop turns LispError into :error).
        raise LispError("stack-overflow", "=: value nested too deeply (or it contains itself)") from None


def _equal(a, b, same: set | None = None) -> bool:
    # same: (id, id) pairs already found equal in this comparison, so values that share
    # their parts compare in time proportional to their distinct nodes. Only finished
    # comparisons are remembered: a value that contains itself still recurses until the
    # RecursionError values_equal turns into :stack-overflow.
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return a is b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a == b
    if a is b:
        return True
    if ta is str and tb is str:
        return a == b
    if ta is not tb or ta not in _CONTAINERS:
        return False
    if same is None:
        same = set()
    pair = (id(a), id(b))
    if pair in same:
        return True
    if ta is Array:
        x, y = a.items, b.items
        equal = len(x) == len(y) and all(_equal(p, q, same) for p, q in zip(x, y))
    elif ta is Pair:
        equal = True
        while type(a) is Pair and type(b) is Pair:
            if not _equal(a.first, b.first, same):
                equal = False
                break
            a, b = a.rest, b.rest
        equal = equal and _equal(a, b, same)
    elif ta is Struct:
        equal = a.d.keys() == b.d.keys() and all(_equal(v, b.d[k], same) for k, v in a.d.items())
    else:
        # Python compares the members (by their stored hashes, then __eq__, which comes
        # back to values_equal): lend it this comparison's memo, so a structure shared by
        # several members, or by sets nested in sets, is compared once, not once per path.
        global _equal_memo
        outer, _equal_memo = _equal_memo, same
        try:
            equal = a.s == b.s
        finally:
            _equal_memo = outer
    if equal:
        same.add(pair)
    return equal


# The memo of the comparison that is comparing two sets' members (see _equal), else None.
_equal_memo: set | None = None


_CONTAINERS = (Array, Pair, Struct, LSet)


def list_from(items) -> object:
    """Build a proper list from a Python iterable."""
    out = EMPTY
    for x in reversed(list(items)):
        out = Pair(x, out)
    return out


# ---------------------------------------------------------------------------
# Printing

def _fmt_float(f: float) -> str:
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    r = repr(f)
    if "e" in r or "E" in r:
        if "." not in r.split("e")[0]:
            mant, exp = r.split("e")
            r = mant + ".0e" + exp
    return r


_SCALARS = frozenset((str, int, float, bool, type(None), Keyword, Symbol))


def display(v, cap: int | None = None) -> str:
    """The display form used by `print`, `println` and `string` (Elle's rules).

    cap: the longest result allowed; a longer one raises a `:size-limit` LispError as soon
    as a part of it is longer, before the whole is built (a tower of `[d d]` 40 levels high
    prints 2^40 leaves). Shared parts are printed once per call and reused."""
    if type(v) in _SCALARS:
        s = _print(v, False, None)
    else:
        s = _with_order_memo(_print_whole, v, False, cap)
    if cap is not None and len(s) > cap:
        raise _too_long(cap)
    return s


def literal(v) -> str:
    """The literal form: strings quoted, keywords with colons (used by debugger previews)."""
    return _with_order_memo(_print_whole, v, True, None)


# While one value is printed whole (no budget): (id, quoted) -> printed form of each
# container met, so a value that shares its parts costs its distinct nodes (plus the
# C-level string joins), and the cap on the result's length (None: none).
_print_memo: dict | None = None
_print_cap: int | None = None


def _print_whole(v, quoted: bool, cap):
    global _print_memo, _print_cap
    saved = _print_memo, _print_cap
    _print_memo, _print_cap = {}, cap
    try:
        return _print(v, quoted, None)
    finally:
        _print_memo, _print_cap = saved


def _too_long(cap: int):
    return LispError("size-limit", f"printed form longer than the limit of {cap} characters")


def preview(v, limit: int = 200) -> str:
    """A literal-form preview capped at about `limit` characters.

    Printing stops early once the budget is used, so previewing a 1,000,000-element
    array costs the same as a 3-element one."""
    budget = [limit]
    s = _with_order_memo(_print, v, True, budget)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def _print(v, quoted: bool, budget) -> str:
    # budget, when given, is a one-element list counting characters still allowed; it lets
    # huge or deeply nested values stop printing early.
    memo = _print_memo
    if budget is None and memo is not None and type(v) in _MEMO_PRINTED:
        key = (id(v), quoted)
        s = memo.get(key)
        if s is None:
            s = memo[key] = _print_node(v, quoted, None)
            if _print_cap is not None and len(s) > _print_cap:
                raise _too_long(_print_cap)
        return s
    return _print_node(v, quoted, budget)


_MEMO_PRINTED = frozenset((Pair, Array, Struct, LSet))


def _print_node(v, quoted: bool, budget) -> str:
    if budget is not None and budget[0] <= 0:
        return "…"
    t = type(v)
    if v is None:
        s = "nil"
    elif t is bool:
        s = "true" if v else "false"
    elif t is int:
        s = str(v) if (budget is None or v.bit_length() < 4000) else "<huge integer>"
    elif t is float:
        s = _fmt_float(v)
    elif t is str:
        if quoted:
            s = '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'
        else:
            s = v
        if budget is not None and len(s) > budget[0] + 2:
            s = s[: budget[0] + 1] + "…"
    elif t is Keyword:
        s = ":" + v.name if quoted else v.name
    elif t is Symbol:
        s = v.name
    elif t is EmptyList:
        s = "()"
    elif t is Pair:
        s = _print_seq("(", ")", _iter_list(v), quoted, budget)
    elif t is Array:
        s = _print_seq("@[" if v.mutable else "[", "]", v.items, quoted, budget)
    elif t is Struct:
        s = _print_struct(v, quoted, budget)
    elif t is LSet:
        members = sorted_members(v.s) if budget is None or len(v.s) <= 10_000 else [unkey(k) for k in _take(v.s, budget)]
        s = _print_seq("@|" if v.mutable else "|", "|", members, True, budget)
    elif t is Cell:
        s = "<box " + _print(v.value, True, budget) + ">"
    else:
        s = repr(v)
    if budget is not None:
        budget[0] -= len(s)
    return s


def _take(coll, budget):
    if budget is None:
        return list(coll)
    out = []
    for x in coll:
        if len(out) > budget[0]:
            break
        out.append(x)
    return out


def _iter_list(p):
    out = []
    while type(p) is Pair:
        out.append(p.first)
        p = p.rest
        if len(out) > 100000:
            break
    if p is not EMPTY and type(p) is not Pair:
        out.append(Symbol("."))
        out.append(p)
    return out


def _print_seq(open_, close, items, quoted, budget) -> str:
    parts = []
    # The delimiters are charged on the way down, so a preview of a value nested
    # 100,000 levels deep stops after a bounded number of levels (no RecursionError).
    local = None if budget is None else [budget[0] - len(open_) - len(close)]
    if local is None and _print_cap is not None:
        return _print_capped_seq(open_, close, items, quoted, _print_cap)
    for x in items:
        if local is not None and local[0] <= 0:
            parts.append("…")
            break
        parts.append(_print(x, quoted, local))
        if local is not None:
            local[0] -= 1
    return open_ + " ".join(parts) + close


def _print_capped_seq(open_, close, items, quoted, cap) -> str:
    # Printing whole under a cap: stop as soon as the text so far is too long, so a
    # 4,000,000-element array printed against a limit costs the limit, not the array.
    parts = []
    total = len(open_) + len(close) - 1
    for x in items:
        t = type(x)
        s = str(x) if t is int else _print(x, quoted, None)
        parts.append(s)
        total += len(s) + 1
        if total > cap:
            raise _too_long(cap)
    return open_ + " ".join(parts) + close


def _print_struct(v, quoted, budget) -> str:
    # Structs always print in literal form (Elle's rule), keys and values alike.
    parts = []
    local = None if budget is None else [budget[0] - 2]
    cap = _print_cap if budget is None else None
    total = 1
    for k, x in v.d.items():
        if local is not None and local[0] <= 0:
            parts.append("…")
            break
        parts.append(_print(unkey(k), True, local))
        parts.append(_print(x, True, local))
        if cap is not None:
            total += len(parts[-2]) + len(parts[-1]) + 2
            if total > cap:
                raise _too_long(cap)
    return ("@{" if v.mutable else "{") + " ".join(parts) + "}"


class Native:
    """A primitive function implemented in Python.

    `fn(vm, *args)` returns the result value or raises LispError. `pure` natives have no
    side effects (the JIT may call them); `control` natives return a directive the VM acts
    on (fiber switches, apply) instead of a value."""

    __slots__ = ("name", "fn", "min_args", "max_args", "pure", "control", "doc")
    type_name = "native"

    def __init__(self, name, fn, min_args=0, max_args=None, pure=True, control=False, doc=""):
        self.name = name
        self.fn = fn
        self.min_args = min_args
        self.max_args = max_args
        self.pure = pure
        self.control = control
        self.doc = doc

    def __repr__(self) -> str:
        return "<native " + self.name + ">"

    def __deepcopy__(self, memo):
        return self


class LispError(Exception):
    """A runtime error of the guest program, raised by primitives and handlers.

    The VM turns it into an `:error` signal whose payload is the struct
    `{:error :kind :message "..."}` (or `value`, when a program raised its own)."""

    def __init__(self, kind: str, message: str, value=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.value = value

    def payload(self):
        if self.value is not None:
            return self.value
        return make_error(self.kind, self.message)


def make_error(kind: str, message: str) -> Struct:
    """Build the error struct primitives raise: `{:error :kind :message "..."}`."""
    return Struct({kw("error"): kw(kind), kw("message"): message})
