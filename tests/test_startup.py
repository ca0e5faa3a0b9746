"""Start-up and loading (issue 15): what loading does not do, so that it stays cheap.

Functions are decoded on first use (vm/bytecode.py CompiledFunction, vm/execute.py
decode_function), not at load; these tests check that unused functions stay undecoded and
that running, stepping (into a function decoded only then), breakpoints and disassembly
give what decoding everything at load gave. (Timings are in tests/bench/bench_scale.py.)
"""

from __future__ import annotations

import textwrap

from vm.api import run_program
from vm.core import VM
from vm.disasm import disassemble_program
from vmdbg.core.session import Session

PROGRAM = textwrap.dedent("""
    (defn unused [x] (* x 1000))
    (defn inner [x]
      (var y (+ x 1))
      (* y 2))
    (defn outer [x]
      (var a (inner x))
      (+ a (inner (+ x 10))))
    (defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
    (println (outer 1))
    (println (fib 12))
""").lstrip()


def functions(vm) -> dict:
    return {f.name: f for f in vm.main.all_functions()}


def decode_everything(vm):
    """What loading did before decoding became lazy."""
    for f in vm.main.all_functions():
        f.decoded


def test_load_decodes_nothing_but_what_runs():
    vm = VM()
    vm.load(PROGRAM, "prog.lisp")
    funcs = functions(vm)
    assert not any(f.is_decoded for name, f in funcs.items() if name != "main")
    vm.run()
    assert vm.status == "finished" and vm.output_text() == "28\n144\n"
    assert funcs["inner"].is_decoded and funcs["outer"].is_decoded and funcs["fib"].is_decoded
    assert not funcs["unused"].is_decoded


def test_lazy_and_eager_decoding_run_alike():
    lazy = VM()
    lazy.load(PROGRAM, "prog.lisp")
    eager = VM()
    eager.load(PROGRAM, "prog.lisp")
    decode_everything(eager)
    for vm in (lazy, eager):
        vm.run()
    assert lazy.output_text() == eager.output_text()
    assert lazy.tick == eager.tick
    # Sliced at every tick too: every stop at the same place.
    places = []
    for vm in (VM(), VM()):
        vm.load(PROGRAM, "prog.lisp")
        if places:
            decode_everything(vm)
        seen = []
        while not vm.halted:
            vm.run(vm.tick + 1)
            frame = vm.current.frames[-1] if vm.current and vm.current.frames else None
            seen.append((vm.tick, frame.func.name if frame else None, frame.ip if frame else None))
        places.append(seen)
    assert places[0] == places[1]


def test_the_jit_flag_is_the_one_at_load():
    vm = VM(jit=1000)
    vm.load(PROGRAM, "prog.lisp")
    inner = functions(vm)["inner"]
    assert not inner.is_decoded
    assert inner.fast_argc == -1        # calls go through the JIT's door, as decoded at load
    plain = VM()
    plain.load(PROGRAM, "prog.lisp")
    assert functions(plain)["inner"].fast_argc == 1


def test_disassembly_needs_no_decoding():
    vm = VM()
    vm.load(PROGRAM, "prog.lisp")
    text = disassemble_program(vm.main, vm.registry)
    assert not functions(vm)["unused"].is_decoded
    eager = VM()
    eager.load(PROGRAM, "prog.lisp")
    decode_everything(eager)
    assert text == disassemble_program(eager.main, eager.registry)
    assert "unused" in text


def stops(session: Session, command, count: int) -> list:
    out = []
    for _ in range(count):
        snap = command()
        out.append((snap.reason, snap.tick, snap.function, snap.line))
        if snap.reason in ("finished", "error"):
            break
    return out


def test_stepping_into_a_function_never_decoded():
    lazy = Session.from_source(PROGRAM, "prog.lisp")
    eager = Session.from_source(PROGRAM, "prog.lisp")
    decode_everything(eager.vm)
    assert not functions(lazy.vm)["inner"].is_decoded
    a = stops(lazy, lazy.step_line, 60)
    b = stops(eager, eager.step_line, 60)
    assert a == b
    assert any(s[2] == "inner" for s in a)


def test_stepping_traps_a_function_decoded_while_running_fast():
    """After Session.fast_after single steps, a step runs at full speed with the entry of
    every function patched; one decoded only then is patched as it is decoded."""
    text = PROGRAM.replace("(println (outer 1))", "(var i 0) (while (< i 300) (assign i (+ i 1))) (println (outer 1))")
    runs = []
    for eager in (False, True):
        s = Session.from_source(text, "prog.lisp")
        s.fast_after = 5
        if eager:
            decode_everything(s.vm)
        else:
            assert not functions(s.vm)["outer"].is_decoded
        runs.append(stops(s, s.step_line, 3000))
    assert runs[0] == runs[1]
    assert any(stop[2] == "outer" for stop in runs[0])
    assert runs[0][-1][0] == "finished"


def test_a_breakpoint_in_a_function_never_decoded():
    runs = []
    for eager in (False, True):
        s = Session.from_source(PROGRAM, "prog.lisp")
        if eager:
            decode_everything(s.vm)
        s.add_breakpoint(function="inner")
        runs.append(stops(s, s.continue_, 10))
    assert runs[0] == runs[1]
    assert [r[2] for r in runs[0][:2]] == ["inner", "inner"]


def test_run_program_output_unchanged():
    out = run_program(PROGRAM, "prog.lisp")
    assert out.output == "28\n144\n" and out.status == 0
