"""Elle's pure library: every documented example runs and gives its result, and every name is here.

The data is our own copy, in tests/library/: elle_names.tsv lists each name of Elle's
primitive table and stdlib with its aliases and arity; elle_examples.tsv each documented
example with its expected value, and a note where we supplied the result or had to adapt
the example (the note says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from vm.api import run_program
from vm.compiler.forms import SPECIAL_FORMS
from vm.compiler.macros import MACROS
from vm.core import VM
from vm.fiber import Closure
from vm.primitives import load_all
from vm.values import Struct, literal, type_name, values_equal

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "library"
DOC = ROOT / "docs" / "language.md"

# Argument counts Elle accepts that we do not, each explained in docs/language.md.
ARITY_DIFFERENCES = {"not": "`(not x)` takes one argument"}


def read_table(name: str) -> list[dict]:
    """The rows of a tab-separated file in tests/library/, after its # comments and header."""
    lines = [line for line in (DATA / name).read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == len(header), f"{name}: {line!r}"
        rows.append(dict(zip(header, cells)))
    return rows


@dataclass(frozen=True)
class Example:
    name: str
    expression: str
    expected: str
    note: str

    def __str__(self) -> str:
        return f"{self.name}: {self.expression}"


NAMES = read_table("elle_names.tsv")
EXAMPLES = [Example(r["name"], r["expression"], r["expected"], r["note"])
            for r in read_table("elle_examples.tsv")]


def every_name() -> list[tuple[str, str]]:
    """(name, the row's main name) for every name and alias of both tables."""
    out = []
    for row in NAMES:
        out.append((row["name"], row["name"]))
        out += [(a, row["name"]) for a in row["aliases"].split(",") if a]
    return out


def absent_in_doc() -> set[str]:
    """The names docs/language.md lists under "Deliberately absent"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Deliberately absent", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([^`\s]+)`", section))


def parse_arity(text: str) -> tuple[int, int | None]:
    m = re.fullmatch(r"Exact\((\d+)\)|AtLeast\((\d+)\)|Range\((\d+),(\d+)\)", text)
    assert m, text
    if m.group(1):
        return int(m.group(1)), int(m.group(1))
    if m.group(2):
        return int(m.group(2)), None
    return int(m.group(3)), int(m.group(4))


PRELUDE_VM = VM()


def definition(name: str):
    """What `name` is here: a primitive, a prelude function, "form", or None."""
    native = load_all().get(name)
    if native is not None:
        return native
    g = PRELUDE_VM.prelude.lookup(name)
    if g is not None:
        return PRELUDE_VM.globals[g.index]
    if name in SPECIAL_FORMS or name in MACROS:
        return "form"
    return None


def accepts(defn, argc: int) -> bool:
    if type(defn) is Closure:
        return defn.func.accepts(argc)
    return argc >= defn.min_args and (defn.max_args is None or argc <= defn.max_args)


# ---------------------------------------------------------------------------
# The data

def test_the_tables_are_complete():
    assert len(NAMES) == 155 + 59          # primitive rows, distinct stdlib names
    assert len({r["name"] for r in NAMES}) == len(NAMES)
    assert len(EXAMPLES) >= 220
    tables = {r["name"] for r in NAMES}
    assert not [e.name for e in EXAMPLES if e.name not in tables]


def test_every_adapted_example_says_why():
    for e in EXAMPLES:
        if e.note.startswith("adapted"):
            assert len(e.note) > len("adapted: ") + 10, e


# ---------------------------------------------------------------------------
# Names and arities

@pytest.mark.parametrize("name,row", every_name(), ids=[n for n, _ in every_name()])
def test_every_name_is_defined_or_deliberately_absent(name, row):
    assert definition(name) is not None or name in absent_in_doc(), \
        f"{name} (from {row}) is neither defined nor listed as deliberately absent in docs/language.md"


@pytest.mark.parametrize("row", NAMES, ids=[r["name"] for r in NAMES])
def test_every_argument_count_elle_accepts_is_accepted(row):
    lo, hi = parse_arity(row["arity"])
    top = hi if hi is not None else lo + 3
    for name in [row["name"]] + [a for a in row["aliases"].split(",") if a]:
        defn = definition(name)
        if defn == "form" or defn is None or name in ARITY_DIFFERENCES:
            continue
        refused = [n for n in range(lo, top + 1) if not accepts(defn, n)]
        assert not refused, f"{name} refuses {refused} arguments; Elle's arity is {row['arity']}"


def test_arity_differences_are_documented():
    text = DOC.read_text(encoding="utf-8")
    for name, phrase in ARITY_DIFFERENCES.items():
        assert phrase in text, name


# ---------------------------------------------------------------------------
# The examples

def value_of(text: str):
    """Run a one-expression program; (value, None) or (None, error kind)."""
    out = run_program(text + "\n", "example.lisp")
    assert out.status != 2, f"{text} does not compile: {out.error_text}"
    if out.status == 1:
        return None, out.error_kind
    return out.value, None


def matches(actual, expected) -> bool:
    """Same literal form, or (structs, whose entries may come in another order) the same
    kind and `=`."""
    if literal(actual) == literal(expected):
        return True
    return type(actual) is Struct and type_name(actual) == type_name(expected) and values_equal(actual, expected)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_documented_example(example):
    actual, error = value_of(example.expression)
    if example.expected.startswith("!"):
        assert error == example.expected[1:], f"{example}: gave {literal(actual)}, expected a :{example.expected[1:]} error"
        return
    assert error is None, f"{example}: raised :{error}"
    if example.expected == "<integer>":
        assert type(actual) is int, f"{example}: gave {literal(actual)}"
        return
    expected, err = value_of(f"(quote {example.expected})")
    assert err is None, f"{example}: the expected value {example.expected} does not read"
    assert matches(actual, expected), f"{example}: gave {literal(actual)}, expected {example.expected}"
