"""Pygments lexers for vmdbg's language and its disassembly, registered as entry points
(pyproject.toml, `pygments.lexers`), so `pygmentize prog.lisp` and other tools that use
Pygments colour them; the Source panel uses the first one too."""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups
from pygments.lexers import JanetLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, Text, Whitespace


class VmdbgLispLexer(JanetLexer):
    """The language vmdbg runs (Elle's core): Janet's reader rules fit it closely (`#`
    comments, `@[...]`, `|...|` sets, keywords), so this is Janet's lexer under our name,
    preferred over Common Lisp's for `.lisp` files that look like ours."""

    name = "vmdbg Lisp"
    aliases = ["vmdbg", "elle"]
    filenames = ["*.lisp"]
    mimetypes = ["text/x-vmdbg"]
    url = "https://pypi.org/project/vmdbg/"
    # Above Common Lisp's 0 among lexers claiming *.lisp; analyse_text raises it further for
    # text with our signs (`#` comments, defn, fiber/...).
    priority = 0.3

    def analyse_text(text):
        score = 0.0
        if re.search(r"^\s*#", text, re.M):
            score += 0.3
        if re.search(r"\((defn|fiber/|emit|yield)\b", text):
            score += 0.4
        return min(score, 1.0)


class VmdbgDisassemblyLexer(RegexLexer):
    """`vmdbg dis` output: function headers, offsets, source lines, opcodes, operands and
    the `;` comment naming constants, locals and signals."""

    name = "vmdbg disassembly"
    aliases = ["vmdbg-dis"]
    filenames = ["*.vmdis"]
    mimetypes = ["text/x-vmdbg-dis"]

    tokens = {
        "root": [
            (r"^==.*?==$", Keyword.Namespace),
            (r"^(\d{4})(\s+)(\d+|\||-)(\s+)([A-Z][A-Za-z0-9]*)",
             bygroups(Number.Hex, Whitespace, Name.Label, Whitespace, Name.Function)),
            (r";.*$", Comment.Single),
            (r"->", Operator),
            (r"-?\d+", Number.Integer),
            (r"[(),:]", Punctuation),
            (r"\s+", Whitespace),
            (r".", Text),
        ],
    }
