"""docs/language.md: every example in it runs and gives what it says, and it names every form and primitive.

Each ```lisp block of the document is one program, run top to bottom in a fresh VM. A line
`EXPR  #=> VALUE` checks that EXPR (one line, one form) gives VALUE, compared by literal
form (structs: by kind and `=`, so their order does not matter); `<integer>` accepts any
integer. A line `EXPR  #!> :KIND` checks that EXPR raises a :KIND error. Every other line
is part of the program as written (definitions the examples use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from vm.api import format_uncaught
from vm.compiler.forms import SPECIAL_FORMS
from vm.compiler.macros import MACROS
from vm.core import VM
from vm.errors import SourceError
from vm.primitives import load_all
from vm.values import Native, Struct, Symbol, kw, literal, type_name, values_equal

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "language.md"

BLOCK_RE = re.compile(r"^```lisp\n(.*?)^```", re.MULTILINE | re.DOTALL)
CHECK_RE = re.compile(r"^(?P<expr>.*?)\s+#(?P<kind>=>|!>)\s*(?P<expected>.+?)\s*$")


@dataclass
class Block:
    line: int           # line of the document where the block's code starts
    text: str


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def lisp_blocks() -> list[Block]:
    text = doc_text()
    return [Block(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK_RE.finditer(text)]


def matches(actual, expected) -> bool:
    """Same literal form, or (structs, whose entries may come in another order) the same
    kind and `=`."""
    if type(expected) is Symbol and expected.name == "<integer>":
        return type(actual) is int
    if literal(actual) == literal(expected):
        return True
    return type(actual) is Struct and type_name(actual) == type_name(expected) and values_equal(actual, expected)


class Checker:
    """The natives the rewritten block calls: each records whether its example held."""

    def __init__(self, first_line: int):
        self.first_line = first_line
        self.results: dict[int, str | None] = {}     # doc line -> None (passed) or what went wrong

    def check_value(self, vm, line, actual, expected):
        ok = matches(actual, expected)
        self.results[line] = None if ok else f"gave {literal(actual)}, expected {literal(expected)}"
        return None

    def check_error(self, vm, line, outcome, kind):
        ok_flag, payload = outcome.items
        got = payload.d.get(kw("error")) if type(payload) is Struct else payload
        if ok_flag:
            self.results[line] = f"gave {literal(payload)}, expected a {literal(kind)} error"
        elif got is not kind:
            self.results[line] = f"raised {literal(payload)}, expected a {literal(kind)} error"
        else:
            self.results[line] = None
        return None


def rewrite(block: Block) -> tuple[str, list[tuple[int, str]]]:
    """The block as a program whose example lines call the checking natives."""
    out, checks = [], []
    for offset, line in enumerate(block.text.splitlines()):
        number = block.line + offset
        m = CHECK_RE.match(line)
        if m is None or not m.group("expr").strip():
            out.append(line)
            continue
        expr, expected = m.group("expr").strip(), m.group("expected")
        checks.append((number, line.strip()))
        if m.group("kind") == "=>":
            out.append(f"(doc-check-value {number} {expr} (quote {expected}))")
        else:
            out.append(f"(doc-check-error {number} (protect {expr}) (quote {expected}))")
    return "\n".join(out) + "\n", checks


def run_block(block: Block):
    checker = Checker(block.line)
    vm = VM()
    vm.primitives = dict(vm.primitives)
    vm.primitives["doc-check-value"] = Native("doc-check-value", checker.check_value, 3, 3, False)
    vm.primitives["doc-check-error"] = Native("doc-check-error", checker.check_error, 3, 3, False)
    program, checks = rewrite(block)
    try:
        vm.load(program, f"docs/language.md:{block.line}")
    except SourceError as e:
        pytest.fail(f"the block at line {block.line} does not compile: {e}")
    vm.run()
    return vm, checker, checks


BLOCKS = lisp_blocks()


def test_the_document_has_examples():
    assert len(BLOCKS) >= 20
    assert sum(len(rewrite(b)[1]) for b in BLOCKS) >= 300


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"line{b.line}")
def test_examples_give_what_the_document_says(block):
    vm, checker, checks = run_block(block)
    assert vm.status == "finished", f"the block at line {block.line} stopped: {format_uncaught(vm)[1]}"
    failures = []
    for number, line in checks:
        if number not in checker.results:
            failures.append(f"line {number}: never ran: {line}")
        elif checker.results[number] is not None:
            failures.append(f"line {number}: {line}\n    {checker.results[number]}")
    assert not failures, "\n".join(failures)


def documented_names() -> set[str]:
    return set(re.findall(r"`([^`\s]+)`", doc_text())) | set(re.findall(r"`\(([^`\s()]+)", doc_text()))


def test_every_primitive_is_documented():
    names = documented_names()
    missing = sorted(n for n in load_all() if n not in names)
    assert not missing, f"primitives docs/language.md does not mention: {missing}"


def test_every_primitive_has_an_example():
    """At least one name of every primitive (a function and its aliases share one body) is
    used in an example; the internal `%` helpers are exempt."""
    code = "\n".join(b.text for b in BLOCKS)
    used = set(re.findall(r"[\s(\[']([^\s()\[\]{}]+)(?=[\s)\]])", code))
    groups: dict = {}
    for name, native in load_all().items():
        groups.setdefault(native.fn, []).append(name)
    missing = sorted(names[0] for names in groups.values()
                     if not any(n in used for n in names) and not names[0].startswith("%"))
    assert not missing, f"primitives without an example in docs/language.md: {missing}"


def test_every_form_and_prelude_function_is_documented():
    names = documented_names()
    vm = VM()
    prelude = set(vm.prelude.globals)
    missing = sorted(n for n in set(SPECIAL_FORMS) | set(MACROS) | prelude if n not in names)
    assert not missing, f"forms docs/language.md does not mention: {missing}"


def test_the_document_stands_alone():
    """It is the reference: no path out of the repository."""
    assert "../" not in doc_text()


def test_examples_are_checked_not_just_shown():
    """A `#=>` outside a lisp block would never run: the convention must not be broken."""
    outside = re.sub(r"^```.*?^```", "", doc_text(), flags=re.MULTILINE | re.DOTALL)
    stray = [line for line in outside.splitlines() if "#=>" in line and not line.lstrip().startswith("`")
             and "`" not in line]
    assert not stray, stray

