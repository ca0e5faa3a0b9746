"""Differential tests: every program gives the same output, value, error (kind and location)
and ticks interpreted (--jit=0) and JIT-compiled (--jit=1), also when fuel stops it early.

When two runs differ, the report carries the disassembly and the JIT stats, so the
function that went wrong can be read off (byterun's assert_ok habit).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from vm.api import run_program
from vm.values import literal

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "tests" / "programs").rglob("*.lisp"))
PROGRAMS += sorted((ROOT / "tests" / "conformance").glob("*.lisp"))
PROGRAMS += sorted((ROOT / "vmdbg" / "examples").glob("*.lisp"))

# Every program is compared when VMDBG_SLOW=1; by default the folders where the JIT
# compiles most (CI time: each run compiles native code), plus all examples.
if not os.environ.get("VMDBG_SLOW"):
    FAST_SET = ("arithmetic", "tailcalls", "limit", "loops", "fuel", "conformance", "examples")
    PROGRAMS = [p for p in PROGRAMS if any(part in FAST_SET for part in p.parts)]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def observe(outcome) -> dict:
    """What a user can see of a run, as plain data."""
    return {"output": outcome.output, "status": outcome.status, "error_kind": outcome.error_kind,
            "error_text": outcome.error_text, "ticks": outcome.ticks,
            "value": literal(outcome.value) if outcome.status == 0 else None}


def run(path_id: str, jit: int, fuel: int | None = None):
    text = (ROOT / path_id).read_text(encoding="utf-8")
    return run_program(text, path_id, jit=jit, fuel=fuel)


@functools.lru_cache(maxsize=None)
def summary(path_id: str, jit: int, fuel: int | None = None) -> tuple:
    """(observed plain data, compiled anything?, JIT internal error) of one run. Only plain
    data is cached: a VM with its execution engines is too big to keep for every run."""
    out = run(path_id, jit, fuel)
    jit_engine = out.vm.jit if out.vm is not None else None
    compiled = jit_engine is not None and any(s["state"] == "compiled" for s in jit_engine.stats())
    return observe(out), compiled, jit_engine.last_error if jit_engine is not None else None


def report(jitted) -> str:
    """Disassembly of every function plus the JIT's view of them."""
    vm = jitted.vm
    if vm is None or vm.main is None:
        return ""
    from vm.disasm import disassemble_function
    parts = [disassemble_function(f) for f in vm.main.all_functions()]
    if vm.jit is not None:
        parts.append(vm.jit.format_stats())
    return "\n\n" + "\n\n".join(parts)


def assert_same(path_id: str, fuel=None, jit=1):
    a, _, _ = summary(path_id, 0, fuel)
    b, _, error = summary(path_id, jit, fuel)
    if a != b:
        detail = report(run(path_id, jit, fuel))
        raise AssertionError(f"{path_id} (fuel {fuel}) differs under --jit={jit}:\n{a}\n{b}{detail}")
    assert error is None, error


@pytest.mark.parametrize("path", PROGRAMS, ids=rel)
def test_jit_agrees_with_interpreter(path):
    assert_same(rel(path))


@pytest.mark.parametrize("path", PROGRAMS, ids=rel)
def test_jit_agrees_when_fuel_runs_out(path):
    """Fuel given to the root fiber stops both runs at the same instruction."""
    path_id = rel(path)
    full, _, _ = summary(path_id, 0)
    if full["status"] == 2 or not summary(path_id, 1)[1]:
        pytest.skip("nothing compiled, or the program does not compile")
    ticks = full["ticks"]
    for fuel in sorted({37, ticks // 3, ticks // 2, ticks - 1}):
        if fuel > 0:
            assert_same(path_id, fuel)


@pytest.mark.parametrize("path", PROGRAMS, ids=rel)
def test_jit_threshold_ten_agrees(path):
    """The CLI's default threshold mixes interpreted and compiled calls of one function."""
    path_id = rel(path)
    if not summary(path_id, 1)[1]:
        pytest.skip("nothing compiled")
    assert_same(path_id, jit=10)


@pytest.mark.parametrize("path", PROGRAMS, ids=rel)
def test_tier_2_agrees(path, monkeypatch):
    """Every compiled function promoted to tier 2 at its second call from the interpreter."""
    import vm.jit.compiler as compiler
    path_id = rel(path)
    if not summary(path_id, 1)[1]:
        pytest.skip("nothing compiled")
    monkeypatch.setattr(compiler, "TIER2_CALLS", 1)
    out = run(path_id, 1)
    assert observe(out) == summary(path_id, 0)[0], report(out)
    assert out.vm.jit.last_error is None, out.vm.jit.last_error
