"""The opcode table drives everything: each opcode has an encoder, a disassembler format,
a handler, a doc line and a stack effect, and the pieces agree with each other."""

from __future__ import annotations

import re

import pytest

from vm import bytecode, dispatch
from vm.bytecode import OPCODES, decode_at, encode, stack_effect
from vm.disasm import disassemble_instruction
from vm.execute import HANDLER_TABLE, OP_BREAK
from vm.fuse import FUSED_BASE

SEED_OPCODES = ["LoadConst", "LoadLocal", "StoreLocal", "Dup", "Pop", "Call", "TailCall", "Return",
                "Jump", "JumpIfFalse", "Add", "AddInt", "Sub", "Mul", "Div", "Rem", "Eq", "Lt", "Gt",
                "Le", "Ge", "IsNil", "IsSymbol", "IsArray", "MakeArray", "MakeStruct", "Emit"]


def test_the_seed_instructions_are_all_in_the_table():
    names = {info.name for info in OPCODES}
    assert set(SEED_OPCODES) <= names


@pytest.mark.parametrize("info", OPCODES, ids=lambda i: i.name)
def test_every_opcode_is_complete(info):
    # A doc line in the table's notation.
    assert info.doc and "\n" not in info.doc
    assert re.fullmatch(r"\( .*-- .*\)|\( -- .*\)|\( .* -- \)", info.effect), info.effect
    # An encoder and a decoder that agree.
    operands = tuple(3 for _ in info.operands)
    code = encode(info.name, *operands)
    assert len(code) == info.size
    decoded, ops, nxt = decode_at(code, 0)
    assert decoded is info and ops == operands and nxt == len(code)
    # A handler named after it.
    handler = getattr(dispatch, "op_" + info.name, None)
    assert handler is not None and HANDLER_TABLE[info.code] is handler
    # A stack effect the verifier can use.
    pops, pushes = stack_effect(info, operands)
    assert pops >= 0 and pushes >= 0


@pytest.mark.parametrize("info", OPCODES, ids=lambda i: i.name)
def test_every_opcode_disassembles(info):
    from vm.bytecode import CompiledFunction
    func = CompiledFunction(name="f", constants=[1, 2, 3, 4], local_names=["a", "b", "c", "d"],
                            captures=[(True, 0, "x")] * 4, global_names=["g0", "g1", "g2", "g3"])
    func.code = encode(info.name, *(3 for _ in info.operands))
    text, nxt = disassemble_instruction(func, 0)
    assert info.name in text
    assert text.startswith("0000")
    assert nxt == info.size


def test_internal_opcodes_never_collide_with_the_table():
    assert OP_BREAK == len(OPCODES)
    assert FUSED_BASE > OP_BREAK
    assert bytecode.NUM_OPCODES == len(OPCODES) < 256


def test_jump_operands_show_absolute_targets():
    from vm.bytecode import CompiledFunction
    func = CompiledFunction(name="f")
    func.code = encode("Jump", 7) + b"\x01" * 7
    text, _ = disassemble_instruction(func, 0)
    assert "-> 0012" in text
