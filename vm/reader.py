"""The reader: source text to Forms, every one carrying its source span."""

from __future__ import annotations

import gc
import re
from functools import partial
from operator import itemgetter

from vm.errors import ReadError
from vm.values import (EMPTY, Array, Keyword, LSet, Pair, Struct, Symbol, hash_key, unkey)


class Span(tuple):
    """Where a datum sits in its file: 1-based line and column of its first character,
    and the line and column just past its last character.

    Immutable, compared and hashed by its five fields. A tuple underneath: a 50,000-line
    file makes hundreds of thousands of these, and a frozen dataclass's __init__ cost a
    tenth of reading it."""

    __slots__ = ()

    def __new__(cls, file: str, line: int, col: int, end_line: int, end_col: int):
        return tuple.__new__(cls, (file, line, col, end_line, end_col))

    def __getnewargs__(self):
        return tuple(self)

    file = property(itemgetter(0))
    line = property(itemgetter(1))
    col = property(itemgetter(2))
    end_line = property(itemgetter(3))
    end_col = property(itemgetter(4))

    def __repr__(self) -> str:
        return (f"Span(file={self[0]!r}, line={self[1]!r}, col={self[2]!r}, "
                f"end_line={self[3]!r}, end_col={self[4]!r})")


class Form:
    """One datum as read, with its span.

    kind is one of:
      "atom"   value is the Python value (None, bool, int, float, str, Keyword, Symbol)
      "list"   (...)        value is a list of Forms
      "array"  [...]        value is a list of Forms
      "marray" @[...]
      "struct" {...}        value is a flat list of Forms k v k v
      "mstruct" @{...}
      "set"    |...|        value is a list of Forms
      "mset"   @|...|
    Quote-family prefixes are expanded while reading into lists:
      'x -> (quote x), `x -> (quasiquote x), ,x -> (unquote x), ,;x -> (unquote-splicing x),
    where the head symbol Form carries the span of the prefix character(s)."""

    __slots__ = ("kind", "value", "span")

    def __init__(self, kind: str, value, span: Span):
        self.kind = kind
        self.value = value
        self.span = span

    def is_symbol(self, name: str | None = None) -> bool:
        if self.kind != "atom" or type(self.value) is not Symbol:
            return False
        return name is None or self.value.name == name

    def is_keyword(self) -> bool:
        return self.kind == "atom" and type(self.value) is Keyword

    def __repr__(self) -> str:
        return f"Form({self.kind}, {self.value!r})"

    def to_value(self):
        """The runtime value this form denotes when quoted."""
        k = self.kind
        if k == "atom":
            return self.value
        if k == "list":
            out = EMPTY
            for f in reversed(self.value):
                out = Pair(f.to_value(), out)
            return out
        if k in ("array", "marray"):
            return Array([f.to_value() for f in self.value], k == "marray")
        if k in ("struct", "mstruct"):
            vals = self.value
            return Struct({hash_key(vals[i].to_value()): vals[i + 1].to_value()
                           for i in range(0, len(vals) - 1, 2)}, k == "mstruct")
        if k in ("set", "mset"):
            return LSet({hash_key(f.to_value()) for f in self.value}, k == "mset")
        raise ValueError(k)


def form_of_value(value, span: Span, limit: int = 1_000_000) -> Form:
    """The Form a runtime value reads as (the inverse of Form.to_value), every part at
    `span`: for `eval`. Lists must be proper; a value that contains itself, or more than
    `limit` parts, raises ValueError with a message for the user."""
    count = 0
    active: set = set()              # ids of the collections being converted (a cycle)

    def conv(v):
        nonlocal count
        count += 1
        if count > limit:
            raise ValueError(f"more than {limit} parts")
        t = type(v)
        if t is Pair:
            if id(v) in active:
                raise ValueError("a list that contains itself")
            active.add(id(v))
            items = []
            x = v
            while type(x) is Pair:
                items.append(conv(x.first))
                x = x.rest
            if x is not EMPTY:
                raise ValueError("an improper list")
            active.discard(id(v))
            return Form("list", items, span)
        if v is EMPTY:
            return Form("list", [], span)
        if t in (Array, Struct, LSet):
            if id(v) in active:
                raise ValueError("a collection that contains itself")
            active.add(id(v))
            if t is Array:
                out = Form("marray" if v.mutable else "array", [conv(x) for x in v.items], span)
            elif t is Struct:
                flat = []
                for k, x in v.d.items():
                    flat.append(conv(unkey(k)))
                    flat.append(conv(x))
                out = Form("mstruct" if v.mutable else "struct", flat, span)
            else:
                out = Form("mset" if v.mutable else "set", [conv(unkey(k)) for k in v.s], span)
            active.discard(id(v))
            return out
        return Form("atom", v, span)     # numbers, strings, keywords, symbols, nil, functions...

    return conv(value)


# ---------------------------------------------------------------------------
# Tokens

# Each match is (skipped whitespace and comments, token, unclosed string). Every
# character is covered, so the matches tile the text and positions follow from their
# lengths; the token is empty only at the end. `@[`, `@{` and `@|` are kept out of atoms
# so they open collections, and the unrolled string body stays linear on long text. An
# unclosed string swallows the rest of the input, so findall (which keeps the per-token
# work in C and roughly halves the reader's time) never rescans what follows it.
_TOKEN = re.compile(r"""
    ((?:\s+|\#[^\n]*)*+)
  (?:
    (   (?!@[\[{|])[^\s()\[\]{}|"\#'`,;]+   # atom
      | [(\[{]|@[\[{|]                     # opener
      | [)\]}|]                            # closer (`|` may open a set instead)
      | "[^"\\]*(?:\\.[^"\\]*)*"           # string
      | ,;|[',`]                           # quote-family prefix
      | ;                                  # lone `;`
      | \Z
    )
  | ("[\s\S]*)                             # unclosed string
  )""", re.VERBOSE | re.DOTALL)
_OPEN, _CLOSE, _PREFIX, _SEMI, _END = range(5)
_TOKEN_KINDS = {
    "(": _OPEN, "[": _OPEN, "{": _OPEN, "@[": _OPEN, "@{": _OPEN, "@|": _OPEN,
    ")": _CLOSE, "]": _CLOSE, "}": _CLOSE, "|": _CLOSE,
    "'": _PREFIX, "`": _PREFIX, ",": _PREFIX, ",;": _PREFIX,
    ";": _SEMI, "": _END,
}  # anything else is an atom, or a string when it starts with `"`

_INT = re.compile(r"""([+-]?)(?:
    0x(?P<hex>[0-9a-fA-F](?:_?[0-9a-fA-F])*)
  | 0o(?P<oct>[0-7](?:_?[0-7])*)
  | 0b(?P<bin>[01](?:_?[01])*)
  | (?P<dec>[0-9](?:_?[0-9])*)
)\Z""", re.VERBOSE)

_DIGITS = r"[0-9](?:_?[0-9])*"
_FLOAT = re.compile(
    rf"[+-]?{_DIGITS}(?:\.(?:{_DIGITS})?(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)\Z")

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"'}

# opener text -> (Form kind, closer text)
_OPENERS = {
    "(": ("list", ")"), "[": ("array", "]"), "{": ("struct", "}"), "|": ("set", "|"),
    "@[": ("marray", "]"), "@{": ("mstruct", "}"), "@|": ("mset", "|"),
}
_PREFIXES = {"'": "quote", "`": "quasiquote", ",": "unquote", ",;": "unquote-splicing"}
_CONSTANTS = {"true": True, "false": False, "nil": None}

# Stack entries. A container is [kind, items, opener, closer, line, col]; a pending
# quote-family prefix is [None, head_name, prefix_text, None, line, col, end_col].
_KIND, _ITEMS, _OPENER, _CLOSER, _LINE, _COL = range(6)


def _parse_decimal(digits: str) -> int:
    """Convert a decimal digit string of any length, sidestepping Python's
    int-from-string digit limit by splitting long inputs in halves."""
    if len(digits) <= 4000:
        return int(digits)
    half = len(digits) // 2
    high, low = digits[:half], digits[half:]
    return _parse_decimal(high) * 10 ** len(low) + _parse_decimal(low)


def _parse_number(tok: str):
    """Return the int or float `tok` denotes, or None when it is malformed."""
    m = _INT.match(tok)
    if m:
        if m["dec"] is not None:
            n = _parse_decimal(m["dec"].replace("_", ""))
        elif m["hex"] is not None:
            n = int(m["hex"].replace("_", ""), 16)
        elif m["oct"] is not None:
            n = int(m["oct"].replace("_", ""), 8)
        else:
            n = int(m["bin"].replace("_", ""), 2)
        return -n if m.group(1) == "-" else n
    if _FLOAT.match(tok):
        return float(tok.replace("_", ""))
    return None


def _starts_like_number(tok: str) -> bool:
    c = tok[0]
    if c in "+-":
        return len(tok) > 1 and tok[1] in "0123456789"
    return c in "0123456789"


def _read_atom(tok: str, filename: str, line: int, col: int):
    """The value of a run of non-delimiter characters."""
    if tok in _CONSTANTS:
        return _CONSTANTS[tok]
    if tok[0] == ":":
        if len(tok) == 1:
            raise ReadError("`:` alone is not a keyword; write `:name`", filename, line, col)
        return Keyword(tok[1:])
    if _starts_like_number(tok):
        n = _parse_number(tok)
        if n is None:
            raise ReadError(f"malformed number `{tok}`", filename, line, col)
        return n
    return Symbol(tok)


def _read_string(tok: str, filename: str, line: int, col: int) -> str:
    """Decode the escapes of a string token (quotes included); `line`/`col` locate
    its opening quote so a bad escape can point at its own backslash."""
    body = tok[1:-1]
    if "\\" not in body:
        return body

    def replace(m):
        ch = m.group(1)
        out = _ESCAPES.get(ch)
        if out is None:
            offset = m.start() + 1
            nl = tok.rfind("\n", 0, offset)
            bad_line = line + tok.count("\n", 0, offset)
            bad_col = col + offset if nl < 0 else offset - nl
            shown = "\\n" if ch == "\n" else ch
            raise ReadError(f"unknown escape `\\{shown}` in string "
                            f"(known: \\n \\t \\r \\\\ \\\")", filename, bad_line, bad_col)
        return out

    return _ESCAPE.sub(replace, body)


def _prefix_error(entry, filename: str) -> ReadError:
    return ReadError(f"`{entry[_OPENER]}` must be followed by a form",
                     filename, entry[_LINE], entry[_COL])


# ---------------------------------------------------------------------------
# The reader

# Span(file, line, col, end_line, end_col) without a Python-level call: the reader makes
# one per token.
_span = partial(tuple.__new__, Span)

def _slot(stack: list, out: list):
    """Where the next finished form goes: the open container's items (or `out` at top
    level), or None while a quote-family prefix is waiting for its form."""
    if not stack:
        return out
    top = stack[-1]
    return top[_ITEMS] if top[_KIND] is not None else None


def _wrap_prefixes(form: Form, stack: list, out: list, filename: str) -> list:
    """Wrap `form` in every pending prefix on top of the stack, store it, return the new slot."""
    while stack and stack[-1][_KIND] is None:
        p = stack.pop()
        pl, pc = p[_LINE], p[_COL]
        head = Form("atom", Symbol(p[_ITEMS]), _span((filename, pl, pc, pl, p[6])))
        s = form.span
        form = Form("list", [head, form], _span((filename, pl, pc, s[3], s[4])))
    slot = _slot(stack, out)
    slot.append(form)
    return slot


def _find_closable(stack: list) -> int:
    """Index of the innermost open container, looking past pending prefixes (-1 if none)."""
    i = len(stack) - 1
    while i >= 0 and stack[i][_KIND] is None:
        i -= 1
    return i


def _close_error(tok: str, stack: list, i: int, filename: str, line: int, col: int) -> ReadError:
    """The error for closer `tok` when it cannot close stack[i] (the innermost container)."""
    if i < len(stack) - 1:
        return _prefix_error(stack[-1], filename)
    if i < 0:
        return ReadError(f"unexpected `{tok}` with nothing open to close", filename, line, col)
    entry = stack[i]
    return ReadError(f"expected `{entry[_CLOSER]}` to close `{entry[_OPENER]}` "
                     f"at {entry[_LINE]}:{entry[_COL]}, found `{tok}`", filename, line, col)


def _eof_error(stack: list, filename: str) -> ReadError:
    entry = stack[-1]
    if entry[_KIND] is None:
        return _prefix_error(entry, filename)
    return ReadError(f"unclosed `{entry[_OPENER]}`: expected `{entry[_CLOSER]}` "
                     f"before end of input", filename, entry[_LINE], entry[_COL])


def read_all(text: str, filename: str) -> list[Form]:
    """Read every top-level form of `text`; raise ReadError (`FILE:LINE:COL: read error: ...`)."""
    # Reading allocates two tracked objects per form and no cycles, so the cyclic
    # collector would only rescan the growing tree again and again (half the run time
    # on a large file). Pause it while reading.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_forms(text, filename)
    finally:
        if was_enabled:
            gc.enable()


def _read_forms(text: str, filename: str) -> list[Form]:
    out: list[Form] = []
    # Nesting lives on this explicit stack, never on Python's, so depth is unbounded.
    stack: list[list] = []
    slot = out  # see _slot; kept in a local because nearly every token appends to it
    atoms: dict[str, object] = {}  # token text -> value; source repeats its names a lot
    pos, line, line_start = 0, 1, 0  # offset of the next match, its line, that line's offset

    for skip, tok, unclosed in _TOKEN.findall(text):
        if skip:
            if "\n" in skip:
                line += skip.count("\n")
                line_start = pos + skip.rfind("\n") + 1
            pos += len(skip)
        col = pos - line_start + 1
        pos += len(tok)
        group = _TOKEN_KINDS.get(tok)
        if group is None and tok[0] != '"':
            value = atoms.get(tok, atoms)
            if value is atoms:
                value = atoms[tok] = _read_atom(tok, filename, line, col)
            form = Form("atom", value, _span((filename, line, col, line, col + len(tok))))
        elif group is None:
            value = _read_string(tok, filename, line, col)
            start_line = line
            if "\n" in tok:
                line += tok.count("\n")
                line_start = pos - len(tok) + tok.rfind("\n") + 1
            form = Form("atom", value, _span((filename, start_line, col, line, pos - line_start + 1)))
        elif group == _OPEN:
            kind, closer = _OPENERS[tok]
            stack.append([kind, [], tok, closer, line, col])
            slot = stack[-1][_ITEMS]
            continue
        elif group == _CLOSE:
            i = _find_closable(stack)
            # `|` closes the innermost open set, and otherwise opens one.
            if tok == "|" and (i < 0 or stack[i][_CLOSER] != "|"):
                stack.append(["set", [], "|", "|", line, col])
                slot = stack[-1][_ITEMS]
                continue
            if i < 0 or i < len(stack) - 1 or stack[i][_CLOSER] != tok:
                raise _close_error(tok, stack, i, filename, line, col)
            kind, items, opener, _, open_line, open_col = stack.pop()
            if len(items) % 2 and kind in ("struct", "mstruct"):
                raise ReadError(f"struct literal `{opener}` has an odd number of forms "
                                f"({len(items)}); keys and values must pair up",
                                filename, open_line, open_col)
            form = Form(kind, items, _span((filename, open_line, open_col, line, col + 1)))
            slot = _slot(stack, out)
        elif group == _PREFIX:
            stack.append([None, _PREFIXES[tok], tok, None, line, col, col + len(tok)])
            slot = None
            continue
        elif group == _END:
            if unclosed:
                raise ReadError("unclosed string: no closing `\"`", filename, line, col)
            break
        else:
            raise ReadError("`;` (splice) is not supported here; only `,;` (unquote-splicing) is",
                            filename, line, col)
        if slot is not None:
            slot.append(form)
        else:
            slot = _wrap_prefixes(form, stack, out, filename)

    if stack:
        raise _eof_error(stack, filename)
    return out
