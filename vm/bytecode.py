"""THE opcode table (name, operands, stack effect, meaning), the encoder and CompiledFunction.

Every opcode is declared once in OPCODES below, in one notation:

    Name  [operands]  ( stack before -- stack after )  one-line meaning

The encoder, disassembler, dispatch table, verifier, JIT and the debugger's explanation
line are all built from this table; tests/test_bytecode.py fails when an opcode lacks any
of them.

Encoding: one opcode byte, then its operands big-endian: u8 (argument counts), u16
(constant, local, capture and global indexes, element counts, signal bits), i32 (jump
offsets, relative to the start of the next instruction).
"""

from __future__ import annotations

import struct

# Operand kinds and their encoded sizes.
OPERAND_SIZE = {"u8": 1, "u16": 2, "i32": 4}

# Operand roles: the size kind plus what the disassembler shows next to it.
#   const   u16 index into the constant pool (shown with the constant's value)
#   local   u16 local slot (shown with the local's name)
#   capture u16 capture index (shown with the captured name)
#   global  u16 global index (shown with the global's name)
#   count   u16 element count
#   argc    u8 argument count
#   bits    u16 signal bits (shown as keywords)
#   jump    i32 relative jump (shown as the absolute target)
ROLE_KIND = {"const": "u16", "local": "u16", "capture": "u16", "global": "u16",
             "count": "u16", "argc": "u8", "bits": "u16", "jump": "i32"}


class OpInfo:
    """One row of the opcode table (immutable; compared by its fields)."""

    __slots__ = ("code", "name", "operands", "effect", "doc", "size")
    _FIELDS = __slots__

    def __init__(self, code: int, name: str, operands: tuple, effect: str, doc: str, size: int = 1):
        set_ = object.__setattr__
        set_(self, "code", code)
        set_(self, "name", name)
        set_(self, "operands", operands)     # operand roles, e.g. ("local",)
        set_(self, "effect", effect)         # "( a b -- c )"
        set_(self, "doc", doc)               # one-line meaning
        set_(self, "size", size)             # encoded size in bytes, computed

    def _key(self) -> tuple:
        return (self.code, self.name, self.operands, self.effect, self.doc, self.size)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of OpInfo")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of OpInfo")

    def __eq__(self, other):
        return self._key() == other._key() if type(other) is OpInfo else NotImplemented

    def __hash__(self):
        return hash(self._key())

    def __repr__(self) -> str:
        return ("OpInfo(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self._FIELDS) + ")")

    @property
    def signature(self) -> str:
        ops = " ".join(f"[{r}]" for r in self.operands)
        return f"{self.name} {ops} {self.effect}".replace("  ", " ")


# name, operand roles, stack effect, meaning.  Order fixes the opcode numbers.
_TABLE = [
    ("LoadConst", ("const",), "( -- v )", "push constant [const]"),
    ("LoadNil", (), "( -- nil )", "push nil"),
    ("LoadTrue", (), "( -- true )", "push true"),
    ("LoadFalse", (), "( -- false )", "push false"),
    ("LoadLocal", ("local",), "( -- v )", "push local [local]"),
    ("StoreLocal", ("local",), "( v -- )", "pop into local [local]"),
    ("MakeCell", ("local",), "( v -- )", "pop v into a fresh cell held by local [local], shared by closures"),
    ("LoadCell", ("local",), "( -- v )", "push the value in the cell held by local [local]"),
    ("StoreCell", ("local",), "( v -- )", "pop into the cell held by local [local]"),
    ("LoadCapture", ("capture",), "( -- v )", "push captured value [capture]"),
    ("LoadCaptureCell", ("capture",), "( -- v )", "push the value in captured cell [capture]"),
    ("StoreCaptureCell", ("capture",), "( v -- )", "pop into captured cell [capture]"),
    ("LoadGlobal", ("global",), "( -- v )", "push top-level binding [global]"),
    ("StoreGlobal", ("global",), "( v -- )", "pop into top-level binding [global]"),
    ("Dup", (), "( v -- v v )", "duplicate the top of the stack"),
    ("Pop", (), "( v -- )", "discard the top of the stack"),
    ("MakeClosure", ("const",), "( -- f )", "make a closure of function [const], capturing its free variables"),
    ("Call", ("argc",), "( f a1..an -- r )", "call f with [argc] arguments, pushing a new frame"),
    ("TailCall", ("argc",), "( f a1..an -- r )", "call f with [argc] arguments reusing this frame"),
    ("Return", (), "( v -- )", "return v to the caller's frame"),
    ("Jump", ("jump",), "( -- )", "continue at [jump]"),
    ("JumpIfFalse", ("jump",), "( c -- )", "pop c; continue at [jump] if c is nil or false"),
    ("JumpIfTrue", ("jump",), "( c -- )", "pop c; continue at [jump] unless c is nil or false"),
    ("Add", (), "( a b -- a+b )", "add two numbers"),
    ("AddInt", ("const",), "( a -- a+k )", "add the integer constant [const] to a number"),
    ("Sub", (), "( a b -- a-b )", "subtract b from a"),
    ("Mul", (), "( a b -- a*b )", "multiply two numbers"),
    ("Div", (), "( a b -- a/b )", "divide a by b (integers truncate toward zero)"),
    ("Rem", (), "( a b -- r )", "remainder of a divided by b, with the sign of a"),
    ("Eq", (), "( a b -- a=b )", "structural, numeric-aware equality"),
    ("Lt", (), "( a b -- a<b )", "true if a is less than b"),
    ("Gt", (), "( a b -- a>b )", "true if a is greater than b"),
    ("Le", (), "( a b -- a<=b )", "true if a is at most b"),
    ("Ge", (), "( a b -- a>=b )", "true if a is at least b"),
    ("Not", (), "( v -- b )", "true if v is nil or false"),
    ("IsNil", (), "( v -- b )", "true if v is nil"),
    ("IsSymbol", (), "( v -- b )", "true if v is a symbol"),
    ("IsArray", (), "( v -- b )", "true if v is an array or @array"),
    ("IsPair", (), "( v -- b )", "true if v is a non-empty list"),
    ("IsStruct", (), "( v -- b )", "true if v is a struct or @struct"),
    ("First", (), "( p -- a )", "first element of a list (nil for ())"),
    ("Rest", (), "( p -- r )", "the list after the first element (() for ())"),
    ("MakePair", (), "( a d -- p )", "make the pair (a . d)"),
    ("Length", (), "( c -- n )", "number of elements of a collection or string"),
    ("Get", (), "( c k -- v )", "element k of c (nil when missing)"),
    ("MakeList", ("count",), "( v1..vn -- l )", "make a list of [count] values"),
    ("MakeArray", ("count",), "( v1..vn -- a )", "make an immutable array of [count] values"),
    ("MakeMArray", ("count",), "( v1..vn -- a )", "make a mutable @array of [count] values"),
    ("MakeStruct", ("count",), "( k1 v1..kn vn -- s )", "make an immutable struct of [count] pairs"),
    ("MakeMStruct", ("count",), "( k1 v1..kn vn -- s )", "make a mutable @struct of [count] pairs"),
    ("MakeSet", ("count",), "( v1..vn -- s )", "make an immutable set of [count] values"),
    ("MakeMSet", ("count",), "( v1..vn -- s )", "make a mutable @set of [count] values"),
    ("Emit", ("bits",), "( v -- r )", "emit signal [bits] with payload v; the value the fiber is resumed with replaces it"),
    ("EmitWide", ("const",), "( v -- r )", "emit signal [const] (a user signal) with payload v; the value the fiber is resumed with replaces it"),
]

OPCODES: list[OpInfo] = []
BY_NAME: dict[str, OpInfo] = {}
for _code, (_name, _ops, _effect, _doc) in enumerate(_TABLE):
    _size = 1 + sum(OPERAND_SIZE[ROLE_KIND[r]] for r in _ops)
    _info = OpInfo(_code, _name, _ops, _effect, _doc, _size)
    OPCODES.append(_info)
    BY_NAME[_name] = _info
    globals()["OP_" + _name] = _code

NUM_OPCODES = len(OPCODES)


def _effect_of(info: OpInfo) -> tuple[int, int, int, int]:
    """(fixed pops, pops per n, fixed pushes, pushes per n) from the effect notation."""
    before, after = info.effect.strip("( )").split("--")
    return (_count_words(before, 0), _count_words(before, 1) - _count_words(before, 0),
            _count_words(after, 0), _count_words(after, 1) - _count_words(after, 0))


def stack_effect(info: OpInfo, operands: tuple) -> tuple[int, int]:
    """(pops, pushes) of one instruction, derived from the table's effect notation.

    A word written `a1..an` stands for as many values as the instruction's count or argc
    operand; a pair `k1 v1..kn vn` for twice that."""
    pops, pops_n, pushes, pushes_n = _EFFECTS[info.code]
    if pops_n or pushes_n:
        n = operands[0] if operands else 0
        return pops + pops_n * n, pushes + pushes_n * n
    return pops, pushes


def _count_words(side: str, n: int) -> int:
    words = side.split()
    if not any(".." in w for w in words):
        return len(words)
    # Variable part: "a1..an" is n values; "k1 v1..kn vn" is 2n values.
    if "k1" in words:
        fixed = [w for w in words if w not in ("k1", "v1..kn", "vn")]
        return len(fixed) + 2 * n
    fixed = [w for w in words if ".." not in w]
    return len(fixed) + n


_EFFECTS = [_effect_of(info) for info in OPCODES]
# Per opcode: a function unpacking its operands (big-endian, in order), or None.
_UNPACK = [struct.Struct(">" + "".join({"u8": "B", "u16": "H", "i32": "i"}[ROLE_KIND[r]] for r in info.operands)).unpack_from
           if info.operands else None for info in OPCODES]


def encode(name: str, *operands: int) -> bytes:
    """Encode one instruction."""
    info = BY_NAME[name]
    if len(operands) != len(info.operands):
        raise ValueError(f"{name} takes {len(info.operands)} operands")
    out = bytearray([info.code])
    for role, value in zip(info.operands, operands):
        kind = ROLE_KIND[role]
        if kind == "u8":
            out += struct.pack(">B", value)
        elif kind == "u16":
            out += struct.pack(">H", value)
        else:
            out += struct.pack(">i", value)
    return bytes(out)


def decode_at(code: bytes, offset: int) -> tuple[OpInfo, tuple, int]:
    """Decode the instruction at `offset`: (info, operand values, next offset).

    Raises ValueError on an unknown opcode or a truncated instruction."""
    op = code[offset]
    if op >= NUM_OPCODES:
        raise ValueError(f"unknown opcode {op} at offset {offset}")
    info = OPCODES[op]
    end = offset + info.size
    if end > len(code):
        raise ValueError(f"truncated {info.name} at offset {offset}")
    unpack = _UNPACK[op]
    return info, (unpack(code, offset + 1) if unpack is not None else ()), end


def iter_instructions(code: bytes):
    """Yield (offset, info, operands, next_offset) for every instruction."""
    off = 0
    while off < len(code):
        info, ops, nxt = decode_at(code, off)
        yield off, info, ops, nxt
        off = nxt


# Filled in on first use by vm/execute.py decode_function (see CompiledFunction.__getattr__).
_LAZY = frozenset(("decoded", "plain", "fast", "group_head", "fast_argc", "pad"))


class CompiledFunction:
    """One compiled function: its bytecode and everything the VM and debugger need.

    The pre-decoded forms the VM runs (`decoded`, `plain`, `fast`, `group_head`,
    `fast_argc`, `pad`: vm/execute.py decode_function) are built the first time any of
    them is read, so loading a program decodes only what it runs. Once built they are
    plain instance attributes, read at full speed. `decode_jit` says how (the VM sets it
    when the JIT is on)."""

    decode_jit = False
    decoder = None            # vm/execute.py decode_function, set when vm.execute is imported

    def __init__(self, name: str, code: bytes = b"", constants=None, nparams: int = 0, nopt: int = 0,
                 rest: bool = False, nlocals: int = 0, local_names=None, local_scopes=None,
                 cell_params=None, captures=None, global_names=None, locations=None,
                 form_starts=None, span=None, source: str = "", children=None):
        self.name = name
        self.code = code
        self.constants = [] if constants is None else constants
        self.nparams = nparams                       # required parameters
        self.nopt = nopt                             # &opt parameters after the required ones
        self.rest = rest                             # a & rest parameter collects the remaining arguments
        self.nlocals = nlocals                       # slots: parameters first, then every let/def binding
        self.local_names = [] if local_names is None else local_names     # slot -> name
        self.local_scopes = [] if local_scopes is None else local_scopes  # slot -> [first offset, end offset]
        self.cell_params = [] if cell_params is None else cell_params     # parameter slots boxed at entry
        self.captures = [] if captures is None else captures              # (from_local: bool, index, name)
        self.global_names = [] if global_names is None else global_names  # shared list: global index -> name
        self.locations = {} if locations is None else locations           # byte offset -> Span of its form
        self.form_starts = [] if form_starts is None else form_starts     # (Span, offset) of each form
        self.span = span                             # Span of the whole fn form
        self.source = source                         # file name
        self.children = [] if children is None else children              # nested CompiledFunctions
        # The VM's state: calls counted for the JIT, its compiled code.
        self.calls = 0
        self.jit_state = None
        self.routine = None            # vm/routines.py: None (not yet), False (never), or the routine
        self.jit_blocked = False       # a breakpoint is patched in: no compiled code runs it

    def __getattr__(self, name):
        # Only attributes not set yet come here: the lazy decoded forms, built once.
        if name in _LAZY and "code" in self.__dict__ and "plain" not in self.__dict__:
            decode = CompiledFunction.decoder
            if decode is None:
                raise AttributeError(f"{name}: nothing decodes functions until vm.execute is imported")
            decode(self, self.decode_jit)
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def is_decoded(self) -> bool:
        """Whether the pre-decoded forms have been built (reading them builds them)."""
        return "decoded" in self.__dict__

    @property
    def arity_text(self) -> str:
        if self.rest:
            return f"at least {self.nparams}"
        if self.nopt:
            return f"{self.nparams} to {self.nparams + self.nopt}"
        return str(self.nparams)

    def accepts(self, argc: int) -> bool:
        if argc < self.nparams:
            return False
        return self.rest or argc <= self.nparams + self.nopt

    def line_at(self, offset: int) -> int | None:
        span = self.locations.get(offset)
        return span.line if span else None

    def all_functions(self):
        """This function and every nested one, depth first."""
        stack = [self]
        while stack:
            f = stack.pop()
            yield f
            stack.extend(reversed(f.children))

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"<function {self.name}>"
