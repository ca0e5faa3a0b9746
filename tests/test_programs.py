"""Run the Lisp corpus (golden programs, conformance suite, shipped examples) through vm.api.

Golden programs (`tests/programs/<feature>/*.lisp`) carry inline expectations, in order:

    # expect: TEXT                 one line the program prints, exact text
    # expect error: :KIND          the program ends with this uncaught runtime error (status 1)
    # expect compile error: TEXT   status 2; the compile error message contains TEXT
    # expect read error: TEXT      status 2; the read error message contains TEXT

An expectation may trail code on the same line. A file has at most one `expect error`;
it may list several `compile error` / `read error` substrings, all of which must appear.
A golden file without an error expectation must exit 0, and its output must be exactly
the `# expect:` lines (so a compile-error file with no `# expect:` lines checks that
nothing ran).

Conformance programs (`tests/conformance/*.lisp`) check themselves with `assert` and must
exit 0. Examples (`vmdbg/examples/*.lisp`) must exit 0 and print the `# expect:` lines
their header lists.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS_DIR = ROOT / "tests" / "programs"
CONFORMANCE_DIR = ROOT / "tests" / "conformance"
EXAMPLES_DIR = ROOT / "vmdbg" / "examples"

GOLDEN = sorted(PROGRAMS_DIR.rglob("*.lisp"))
CONFORMANCE = sorted(CONFORMANCE_DIR.glob("*.lisp"))
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.lisp"))
EVERYTHING = GOLDEN + CONFORMANCE + EXAMPLES

# `# expect: 55`, `# expect error: :division-by-zero`, `# expect compile error: unknown variable`.
EXPECT_RE = re.compile(r"#\s*expect(?: (error|compile error|read error))?:(.*)$")
# Anything that looks like an expectation but does not parse (`# expect 55`, `# expected: 1`).
SUSPICIOUS_RE = re.compile(r"#\s*expect")


def rel(path: Path) -> str:
    """The path relative to the repository root, with forward slashes (test ids, filenames)."""
    return path.relative_to(ROOT).as_posix()


@dataclass
class Expectations:
    """What a program's comments say it should do."""

    output: list[str] = field(default_factory=list)
    runtime_errors: list[str] = field(default_factory=list)  # kinds without the colon
    compile_errors: list[str] = field(default_factory=list)  # message substrings
    read_errors: list[str] = field(default_factory=list)     # message substrings
    malformed: list[str] = field(default_factory=list)       # lines that look wrong

    @property
    def has_any(self) -> bool:
        return bool(self.output or self.runtime_errors or self.compile_errors or self.read_errors)


def parse_expectations(text: str) -> Expectations:
    """Collect the expectation comments of a program, in file order."""
    exp = Expectations()
    for number, line in enumerate(text.splitlines(), 1):
        m = EXPECT_RE.search(line)
        if m is None:
            if SUSPICIOUS_RE.search(line):
                exp.malformed.append(f"line {number}: {line.strip()}")
            continue
        kind, value = m.group(1), m.group(2)
        # Exactly one space separates the colon from the text; the rest is significant.
        if value.startswith(" "):
            value = value[1:]
        if kind is None:
            exp.output.append(value)
        elif kind == "error":
            exp.runtime_errors.append(value.strip().lstrip(":"))
        elif kind == "compile error":
            exp.compile_errors.append(value.strip())
        else:
            exp.read_errors.append(value.strip())
    return exp


@functools.lru_cache(maxsize=None)
def run(path_id: str):
    """Run one program in a fresh VM (cached: the Traceback check reuses the results)."""
    from vm.api import run_program  # imported here so collection works before vm.api exists

    text = (ROOT / path_id).read_text(encoding="utf-8")
    return run_program(text, path_id)


def describe(path_id: str, exp: Expectations, out) -> str:
    """The failure report: file, expected and actual output, status and error text."""
    expected = "\n".join(exp.output) if exp.output else "(none)"
    actual = out.output if out.output.endswith("\n") or not out.output else out.output + "\n"
    wanted = []
    if exp.runtime_errors:
        wanted.append(f"runtime error :{exp.runtime_errors[0]} (status 1)")
    if exp.compile_errors:
        wanted.append(f"compile error containing {exp.compile_errors} (status 2)")
    if exp.read_errors:
        wanted.append(f"read error containing {exp.read_errors} (status 2)")
    return (
        f"\n=== {path_id}\n"
        f"--- expected output ---\n{expected}\n"
        f"--- actual output ---\n{actual}"
        f"--- expected ending: {', '.join(wanted) or 'exit 0'}\n"
        f"--- actual: status {out.status}, error kind {out.error_kind!r}\n"
        f"--- error text ---\n{out.error_text or ''}\n"
    )


def message_after(error_text: str, phase: str) -> str | None:
    """The message part of `FILE:LINE:COL: <phase> error: MESSAGE`, or None if absent.

    Substrings are matched against the message only, so a file name such as
    `malformed_let.lisp` cannot satisfy `# expect compile error: let` by itself."""
    marker = f"{phase} error:"
    if not error_text or marker not in error_text:
        return None
    return error_text.split(marker, 1)[1]


def check_ending(path_id: str, exp: Expectations, out, report: str) -> None:
    """Check the status and error expectations of one run."""
    if exp.read_errors or exp.compile_errors:
        phase = "read" if exp.read_errors else "compile"
        assert out.status == 2, f"expected a {phase} error (status 2){report}"
        message = message_after(out.error_text, phase)
        assert message is not None, f"error text lacks '{phase} error:'{report}"
        for needle in exp.read_errors or exp.compile_errors:
            assert needle in message, f"{phase} error message lacks {needle!r}{report}"
        assert f"{path_id}:" in out.error_text, f"error text lacks the file location{report}"
    elif exp.runtime_errors:
        kind = exp.runtime_errors[0]
        assert out.status == 1, f"expected an uncaught :{kind} (status 1){report}"
        assert out.error_kind == kind, f"expected error kind {kind!r}{report}"
        assert kind in (out.error_text or ""), f"error text does not name :{kind}{report}"
        assert f"{path_id}:" in out.error_text, f"error text lacks the file location{report}"
    else:
        assert out.status == 0, f"expected exit status 0{report}"


# ---------------------------------------------------------------------------
# The corpus itself (these run without the interpreter).

def test_corpus_is_present():
    assert len(GOLDEN) >= 50, "tests/programs looks empty"
    assert CONFORMANCE, "tests/conformance looks empty"
    assert (EXAMPLES_DIR / "demo.lisp").exists(), "the debugger's default program is missing"


@pytest.mark.parametrize("path", EVERYTHING, ids=rel)
def test_expectation_comments_are_well_formed(path):
    exp = parse_expectations(path.read_text(encoding="utf-8"))
    assert not exp.malformed, f"{rel(path)}: unparsable expectation comments: {exp.malformed}"
    assert len(exp.runtime_errors) <= 1, f"{rel(path)}: more than one '# expect error:'"
    kinds = [bool(exp.runtime_errors), bool(exp.compile_errors), bool(exp.read_errors)]
    assert sum(kinds) <= 1, f"{rel(path)}: mixes runtime, compile and read error expectations"
    if path in GOLDEN:
        assert path.parent != PROGRAMS_DIR, f"{rel(path)}: golden files live in a feature folder"
        assert exp.has_any, f"{rel(path)}: a golden program needs at least one expectation"
    else:
        assert not (exp.runtime_errors or exp.compile_errors or exp.read_errors), (
            f"{rel(path)}: conformance programs and examples must run cleanly")


# ---------------------------------------------------------------------------
# Running the corpus.

@pytest.mark.parametrize("path", GOLDEN, ids=rel)
def test_golden_program(path):
    path_id = rel(path)
    exp = parse_expectations(path.read_text(encoding="utf-8"))
    out = run(path_id)
    report = describe(path_id, exp, out)
    check_ending(path_id, exp, out, report)
    assert out.output.splitlines() == exp.output, f"output differs{report}"


@pytest.mark.parametrize("path", CONFORMANCE, ids=rel)
def test_conformance_program(path):
    path_id = rel(path)
    exp = parse_expectations(path.read_text(encoding="utf-8"))
    out = run(path_id)
    report = describe(path_id, exp, out)
    assert out.status == 0, f"conformance program failed{report}"
    if exp.output:
        assert out.output.splitlines() == exp.output, f"output differs{report}"


@pytest.mark.parametrize("path", EXAMPLES, ids=rel)
def test_example_program(path):
    path_id = rel(path)
    exp = parse_expectations(path.read_text(encoding="utf-8"))
    assert exp.output, f"{path_id}: an example's header should list its output as '# expect:' lines"
    out = run(path_id)
    report = describe(path_id, exp, out)
    assert out.status == 0, f"example failed{report}"
    assert out.output.splitlines() == exp.output, f"output differs from the header{report}"


def test_no_python_traceback_leaks():
    """A Python traceback in program output or an error message is a VM bug, never a
    guest-program error."""
    leaks = []
    for path in EVERYTHING:
        path_id = rel(path)
        try:
            out = run(path_id)
        except Exception as exc:  # noqa: BLE001 - an escaping exception is itself the finding
            leaks.append(f"{path_id}: run_program raised {type(exc).__name__}: {exc}")
            continue
        for name in ("output", "error_text"):
            if "Traceback" in (getattr(out, name) or ""):
                leaks.append(f"{path_id}: Traceback in {name}")
    assert not leaks, "\n".join(leaks)
