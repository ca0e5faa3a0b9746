"""The Source panel lexes a large file a block of lines at a time, when a line is first
drawn (vmdbg/tui/widgets/source.py LazyTokens): every line must get exactly the tokens that
lexing the whole file gives, whatever the block size, with strings, long strings and
comments spanning lines, quotes in comments, carriage returns and byte order marks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from vmdbg.tui.widgets.source import LazyTokens, _lex_lines, tokenize

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "tests" / "programs").rglob("*.lisp")) + sorted((ROOT / "vmdbg" / "examples").glob("*.lisp"))

PIECES = ['(print "a\nb # not\n(c")\n', '# a "quote\n', '(def s "esc \\" q\n(x")\n', '``long\n(str``\n',
          '@"buf\nfer"\n', '(+ 1 2)\n', '\n', '  (f :k 1.5)\r\n', '"unterminated\n(x)\n', '(a # "c\n b)\n',
          '`x`\n', '\ufeff', '\r', ' ', '(defn f [x] x)', '(fiber/new (fn [] (yield 1)) :yield)\n']


def lazily(text: str, block: int) -> list:
    tokens = LazyTokens(text)
    tokens.BLOCK = block
    order = list(range(len(tokens)))
    random.Random(block).shuffle(order)         # lines asked for in any order
    got = {i: tokens[i] for i in order}
    return [got[i] for i in range(len(tokens))]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 128])
def test_lazy_lines_are_the_whole_file_lexed(block):
    rng = random.Random(block)
    for _ in range(400):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 14)))
        assert lazily(text, block) == _lex_lines(text), repr(text)


def test_lazy_lines_of_the_example_and_golden_programs():
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        want = _lex_lines(text)
        for block in (1, 5, 64):
            assert lazily(text, block) == want, path


def test_a_large_file_is_lexed_only_where_asked():
    text = "".join(f'(defn f{i} [x] # "c\n  (+ x {i}))\n' for i in range(20_000))
    tokens = tokenize(text)
    assert len(tokens) == 40_001
    assert tokens[30_001] == _lex_lines(text.split("\n", 30_001)[-1].split("\n")[0])[0]
    assert len(tokens.blocks) == 1
