"""Superinstructions change nothing a user can see: every program gives the same output,
error, tick count, and the same state at fuel pauses, with fusion on and off."""

from __future__ import annotations

import glob
import os

import pytest

from vm import execute
from vm.api import run_program
from vm.values import preview

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = sorted(glob.glob(os.path.join(ROOT, "tests", "programs", "**", "*.lisp"), recursive=True)
                  + glob.glob(os.path.join(ROOT, "tests", "conformance", "*.lisp"))
                  + glob.glob(os.path.join(ROOT, "vmdbg", "examples", "*.lisp")))


def run(path, fusion, **kw):
    old = execute.FUSION
    execute.FUSION = fusion
    try:
        with open(path, encoding="utf-8") as fh:
            out = run_program(fh.read(), os.path.relpath(path, ROOT), **kw)
    finally:
        execute.FUSION = old
    return out.output, out.status, out.error_kind, out.error_text, out.ticks


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: os.path.relpath(p, ROOT))
def test_same_with_and_without_fusion(path):
    assert run(path, True) == run(path, False)


LOOP = """
(defn count-up [n]
  (var i 0)
  (var acc 0)
  (while (< i n)
    (assign acc (+ acc i))
    (assign i (+ i 1)))
  acc)
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(println (count-up 50) " " (fib 12))
(println (count-up "x"))
"""


@pytest.mark.parametrize("fuel", [1, 2, 3, 5, 7, 11, 50, 101, 997, 1500, 4000])
def test_fuel_pauses_land_on_the_same_instruction(fuel):
    """A root fiber running dry stops at the same tick and location both ways."""
    results = []
    for fusion in (True, False):
        old = execute.FUSION
        execute.FUSION = fusion
        try:
            out = run_program(LOOP, "loop.lisp", fuel=fuel)
        finally:
            execute.FUSION = old
        vm = out.vm
        frame = vm.current.frames[-1] if vm.current is not None and vm.current.frames else None
        results.append((out.output, out.status, out.error_text, out.ticks,
                        frame.ip if frame else None, [preview(v) for v in frame.stack] if frame else None))
    assert results[0] == results[1]


def test_type_errors_inside_fused_code_point_at_the_failing_form():
    out = run_program(LOOP, "loop.lisp")
    assert out.status == 1
    assert out.error_kind == "type-error"
    assert "loop.lisp:5:" in out.error_text
