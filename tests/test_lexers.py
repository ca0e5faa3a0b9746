"""The Pygments lexers vmdbg registers: `.lisp` files like ours are ours (not Common
Lisp's), and `vmdbg dis` output has a lexer of its own."""

from __future__ import annotations

import os

from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Name, Number

from vmdbg.tui.lexers import VmdbgDisassemblyLexer, VmdbgLispLexer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "vmdbg", "examples", "demo.lisp")


def test_the_lexers_are_registered_with_pygments():
    text = open(DEMO, encoding="utf-8").read()
    assert isinstance(get_lexer_for_filename("demo.lisp", text), VmdbgLispLexer)
    assert isinstance(get_lexer_by_name("vmdbg"), VmdbgLispLexer)
    assert isinstance(get_lexer_by_name("vmdbg-dis"), VmdbgDisassemblyLexer)


def test_every_example_lexes_without_errors():
    folder = os.path.join(ROOT, "vmdbg", "examples")
    for name in os.listdir(folder):
        if name.endswith(".lisp"):
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            assert not [v for t, v in VmdbgLispLexer().get_tokens(text) if t in Error], name


def test_the_disassembly_lexer_names_the_parts_of_an_instruction():
    line = "0007    2 EmitWide             1   ; :log\n"
    tokens = [(t, v) for t, v in VmdbgDisassemblyLexer().get_tokens(line) if v.strip()]
    assert tokens[:4] == [(Number.Hex, "0007"), (Name.Label, "2"), (Name.Function, "EmitWide"),
                          (Number.Integer, "1")]
    assert tokens[-1] == (Comment.Single, "; :log")
