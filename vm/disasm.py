"""Bytecode to text: one helper per operand role; used by the CLI, trace, tests and TUI."""

from __future__ import annotations

from vm.bytecode import OPCODES, decode_at
from vm.values import preview


def operand_role(info, role: str) -> str:
    """The role to describe an operand by: EmitWide's constant is a set of signal bits."""
    return "bits-const" if info.name == "EmitWide" else role


def describe_operand(func, role: str, value: int, next_offset: int, registry=None) -> str:
    """The comment shown after an operand: a constant's value, a local's name, a target."""
    if role == "const":
        if 0 <= value < len(func.constants):
            c = func.constants[value]
            if hasattr(c, "code") and hasattr(c, "nparams"):
                return f"<function {c.name}>"
            return preview(c, 40)
        return "?"
    if role == "local":
        return func.local_names[value] if value < len(func.local_names) else "?"
    if role == "capture":
        return func.captures[value][2] if value < len(func.captures) else "?"
    if role == "global":
        names = func.global_names
        return names[value] if value < len(names) else "?"
    if role == "jump":
        return f"-> {next_offset + value:04d}"
    if role == "bits-const":
        bits = func.constants[value] if 0 <= value < len(func.constants) else None
        if type(bits) is not int:
            return "?"
        role, value = "bits", bits
    if role == "bits":
        if registry is not None:
            return " ".join(":" + n for n in registry.names(value))
        from vm.signals import BUILTIN_SIGNALS
        return " ".join(":" + n for n, b in BUILTIN_SIGNALS.items() if value & b)
    return ""


def disassemble_instruction(func, offset: int, prev_line=None, registry=None) -> tuple[str, int]:
    """(text, next offset) for the instruction at `offset`.

    Text: offset, the source line (or `|` when it repeats the previous one), the opcode
    name as in the table, operands, then a comment with constant values or names."""
    info, ops, nxt = decode_at(func.code, offset)
    line = func.line_at(offset)
    line_text = "   |" if line is not None and line == prev_line else f"{line if line is not None else '-':>4}"
    parts = [f"{offset:04d} {line_text} {info.name:<16}"]
    comments = []
    for role, value in zip(info.operands, ops):
        parts.append(f"{value:>5}")
        c = describe_operand(func, operand_role(info, role), value, nxt, registry)
        if c:
            comments.append(c)
    text = " ".join(parts).rstrip()
    if comments:
        text = f"{text:<34} ; " + ", ".join(comments)
    return text, nxt


def function_header(func) -> str:
    where = ""
    if func.span is not None:
        where = f" ({func.span.file}:{func.span.line}:{func.span.col})"
    return (f"== {func.name}{where}: {func.arity_text} param{'s' if func.arity_text != '1' else ''}, "
            f"{func.nlocals} local{'s' if func.nlocals != 1 else ''}, {len(func.code)} bytes ==")


def disassemble_lines(func, registry=None) -> list[tuple[int, str]]:
    """[(offset, text)] for every instruction of one function."""
    out = []
    off = 0
    prev = None
    while off < len(func.code):
        text, nxt = disassemble_instruction(func, off, prev, registry)
        prev = func.line_at(off)
        out.append((off, text))
        off = nxt
    return out


class Disassembly:
    """disassemble_lines(func) as a read-only sequence of (offset, text), each line made
    the first time it is read: a debugger shows a screenful of a function whose listing
    may be tens of thousands of lines (the main function of a 50,000-line file)."""

    __slots__ = ("func", "registry", "offsets", "_texts")

    def __init__(self, func, registry=None):
        self.func = func
        self.registry = registry
        code = func.code
        n = len(code)
        offsets = []
        off = 0
        while off < n:
            offsets.append(off)
            op = code[off]
            off += OPCODES[op].size if op < len(OPCODES) else 1
        self.offsets = offsets
        self._texts = [None] * len(offsets)

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self.offsets))))
        offsets = self.offsets
        off = offsets[i]
        text = self._texts[i]
        if text is None:
            if i < 0:
                i += len(offsets)
            prev = self.func.line_at(offsets[i - 1]) if i > 0 else None
            text = self._texts[i] = disassemble_instruction(self.func, off, prev, self.registry)[0]
        return off, text

    def __iter__(self):
        for i in range(len(self.offsets)):
            yield self[i]

    def __eq__(self, other):
        if isinstance(other, (Disassembly, tuple, list)):
            return len(self) == len(other) and all(a == tuple(b) for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self):
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<disassembly of {self.func.name}: {len(self.offsets)} instructions>"

    def jumps(self) -> dict:
        """offset of each jump -> its target (what the text shows after `->`)."""
        code = self.func.code
        out = {}
        for off in self.offsets:
            if OPCODES[code[off]].operands == ("jump",):
                _, ops, nxt = decode_at(code, off)
                out[off] = nxt + ops[0]
        return out


def disassemble_function(func, registry=None) -> str:
    lines = [function_header(func)]
    lines += [text for _, text in disassemble_lines(func, registry)]
    return "\n".join(lines)


def disassemble_program(main, registry=None) -> str:
    """Every function of a program, main first, then nested ones depth first."""
    return "\n\n".join(disassemble_function(f, registry) for f in main.all_functions())
