"""The bytecode verifier (vm/verify.py): everything the compiler emits verifies; every check
refuses a corrupted example with a message naming the function and the offset; refused code
never runs (VM.compile_text verifies before decoding) and the CLI reports it cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from vm import bytecode
from vm.bytecode import CompiledFunction, encode
from vm.compiler import Module
from vm.core import VM
from vm.errors import SourceError, VMBug
from vm.verify import VerifyError, verify_all, verify_function

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(list((ROOT / "tests").rglob("*.lisp")) + list((ROOT / "vmdbg" / "examples").glob("*.lisp")))


def asm(*instrs) -> bytes:
    """asm(("LoadNil",), ("Return",)) -> bytes."""
    return b"".join(encode(name, *ops) for name, *ops in instrs)


def fn(*instrs, name="f", constants=None, nlocals=0, nparams=0, captures=None, children=None,
       global_names=None, code=None) -> CompiledFunction:
    return CompiledFunction(name=name, code=asm(*instrs) if code is None else code,
                            constants=list(constants or []), nlocals=nlocals, nparams=nparams,
                            captures=list(captures or []), children=list(children or []),
                            global_names=list(global_names or []), source="test.lisp")


def refused(func, *fragments, offset=None):
    with pytest.raises(VerifyError) as info:
        verify_function(func)
    e = info.value
    text = str(e)
    assert isinstance(e, VMBug)
    assert f"function {func.name}" in text
    if offset is not None:
        assert e.offset == offset and f"at offset {offset}" in text, text
    for frag in fragments:
        assert frag in text, text
    return e


# -- everything the compiler emits verifies ------------------------------------------


def test_corpus_is_not_empty():
    assert len(CORPUS) > 50


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_compiled_program_verifies(path):
    vm = VM()
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        # compile_text verifies as it goes; verify again explicitly, whole program.
        main = vm.compile_text(text, path.name, Module(vm.table, vm.prelude))
    except SourceError:
        pytest.skip("a read/compile error program")
    verify_all(main)
    for func in main.all_functions():
        verify_function(func)


def test_prelude_verifies():
    vm = VM()
    main = vm.compile_text((ROOT / "vm" / "prelude.lisp").read_text(encoding="utf-8"),
                           "<prelude2>", Module(vm.table))
    verify_all(main)


def test_good_hand_written_function():
    # (fn [x] (if x 1 2)) with a loop-free merge, a cell, and a closure capturing it.
    child = fn(("LoadCaptureCell", 0), ("Return",), name="child", captures=[(True, 1, "c")])
    f = fn(("LoadLocal", 0), ("JumpIfFalse", 8),
           ("LoadConst", 0), ("Jump", 3),
           ("LoadConst", 1),
           ("MakeCell", 1), ("MakeClosure", 2), ("Return",),
           constants=[1, 2, child], nlocals=2, nparams=1, children=[child])
    verify_function(f)
    verify_function(child)


# -- one failing example per check ------------------------------------------------


def test_empty_code():
    refused(fn(code=b""), "empty code", offset=0)


def test_unknown_opcode():
    refused(fn(code=asm(("LoadNil",)) + bytes([bytecode.NUM_OPCODES]) + asm(("Return",))),
            "unknown opcode", offset=1)


def test_truncated_instruction():
    code = asm(("LoadNil",), ("Pop",)) + encode("LoadConst", 0)[:2]
    refused(fn(code=code, constants=[1]), "truncated LoadConst", offset=2)


def test_constant_index_out_of_range():
    refused(fn(("LoadConst", 3), ("Return",), constants=[1, 2]), "constant index 3", offset=0)


def test_local_index_out_of_range():
    refused(fn(("LoadLocal", 2), ("Return",), nlocals=2), "local slot 2 out of range", offset=0)


def test_capture_index_out_of_range():
    refused(fn(("LoadCapture", 1), ("Return",), captures=[(True, 0, "a")]),
            "capture index 1 out of range", offset=0)


def test_global_index_out_of_range():
    refused(fn(("LoadNil",), ("StoreGlobal", 5), ("LoadNil",), ("Return",), global_names=["a"]),
            "global index 5 out of range", offset=1)


def test_argument_count_underflows_the_stack():
    # Call 3 needs the function and three arguments: four values, two on the stack.
    refused(fn(("LoadNil",), ("LoadNil",), ("Call", 3), ("Return",)),
            "Call pops 4 values", "stack underflow", offset=2)


def test_element_count_underflows_the_stack():
    # MakeStruct 2 takes two key/value pairs: four values.
    refused(fn(("LoadNil",), ("LoadNil",), ("MakeStruct", 2), ("Return",)),
            "MakeStruct pops 4", offset=2)


def test_jump_outside_the_function():
    refused(fn(("Jump", 100), ("LoadNil",), ("Return",)), "jump target 105 is outside", offset=0)


def test_jump_backwards_before_the_start():
    refused(fn(("LoadNil",), ("Jump", -10), ("Return",)), "jump target -4 is outside", offset=1)


def test_jump_into_the_middle_of_an_instruction():
    # Target 6 is inside the LoadConst at 5.
    refused(fn(("Jump", 1), ("LoadConst", 0), ("Return",), constants=[1]),
            "jump target 6 is not the start of an instruction", offset=0)


def test_stack_depth_differs_where_paths_merge():
    #  0 LoadTrue; 1 JumpIfFalse -> 12; 6 LoadNil; 7 Jump -> 12; 12 LoadNil; 13 Return
    # The fall-through path reaches 12 with one value, the jump with none.
    f = fn(("LoadTrue",), ("JumpIfFalse", 6), ("LoadNil",), ("Jump", 0), ("LoadNil",), ("Return",))
    refused(f, "stack depth", "on one path", offset=12)


def test_loop_that_grows_the_stack():
    # 0 LoadNil; 1 Jump -> 0: the loop head is reached with 0 and then 1 values.
    refused(fn(("LoadNil",), ("Jump", -6)), "stack depth", offset=0)


def test_stack_underflow():
    refused(fn(("Pop",), ("LoadNil",), ("Return",)), "Pop pops 1 value but the stack holds 0",
            offset=0)


def test_return_with_an_empty_stack():
    refused(fn(("Return",)), "Return pops 1", offset=0)


def test_falls_off_the_end():
    refused(fn(("LoadNil",), ("Pop",)), "falls off the end", offset=1)


def test_conditional_jump_falls_off_the_end():
    refused(fn(("LoadNil",), ("LoadNil",), ("JumpIfFalse", -7)), "falls off the end", offset=2)


def test_tail_call_as_the_last_instruction_falls_off_the_end():
    """A tail call to a native that switches fibers (fiber/resume) comes back to the frame
    and runs the next instruction (found by the long fuzz: a mutated Return after it)."""
    refused(fn(("LoadConst", 0), ("LoadNil",), ("TailCall", 1), constants=[0]),
            "falls off the end", offset=4)


def test_tail_call_to_fiber_resume_returns_through_the_next_instruction():
    text = "(defn f [] (fiber/resume (fiber/new (fn [] 41) 0)))\n(println (+ 1 (f)))\n"
    vm = VM()
    vm.load(text, "t.lisp")
    vm.run()
    assert "".join(vm.output) == "42\n"


def test_unreachable_code_may_end_without_return():
    # Jump over nothing useful: the trailing Pop is never reached.
    verify_function(fn(("LoadNil",), ("Return",), ("Pop",)))


def test_make_closure_constant_is_not_a_function():
    refused(fn(("MakeClosure", 0), ("Return",), constants=["not code"]),
            "MakeClosure: constant 0 is not a function", offset=0)


def test_make_closure_function_not_nested():
    stray = fn(("LoadNil",), ("Return",), name="stray")
    refused(fn(("MakeClosure", 0), ("Return",), constants=[stray]), "stray is not nested", offset=0)


def test_make_closure_capture_out_of_range():
    child = fn(("LoadCapture", 0), ("Return",), name="child", captures=[(True, 4, "x")])
    refused(fn(("MakeClosure", 0), ("Return",), constants=[child], children=[child], nlocals=1),
            "captures local slot 4", offset=0)


def test_emit_wide_constant_is_not_an_integer():
    refused(fn(("LoadNil",), ("EmitWide", 0), ("Return",), constants=["yield"]),
            "EmitWide: constant 0 is not a positive integer", offset=1)


def test_emit_without_signal_bits():
    refused(fn(("LoadNil",), ("Emit", 0), ("Return",)), "Emit: no signal bits", offset=1)


def test_add_int_constant_is_not_an_integer():
    refused(fn(("LoadNil",), ("AddInt", 0), ("Return",), constants=["1"]),
            "AddInt: constant 0 is not an integer", offset=1)


def test_more_parameters_than_locals():
    refused(fn(("LoadNil",), ("Return",), nparams=3, nlocals=1), "3 parameters but only 1 local")


def test_load_cell_from_a_plain_local():
    refused(fn(("LoadCell", 0), ("Return",), nlocals=1), "LoadCell: local slot 0 does not hold a cell",
            offset=0)


def test_load_cell_when_only_one_path_made_the_cell():
    #  0 LoadTrue; 1 JumpIfFalse -> 10; 6 LoadNil; 7 MakeCell 0; 10 LoadCell 0; 13 Return
    f = fn(("LoadTrue",), ("JumpIfFalse", 4), ("LoadNil",), ("MakeCell", 0), ("LoadCell", 0),
           ("Return",), nlocals=1)
    refused(f, "LoadCell: local slot 0 may not hold a cell", offset=10)


def test_load_local_of_a_cell():
    f = fn(("LoadNil",), ("MakeCell", 0), ("LoadLocal", 0), ("Return",), nlocals=1)
    refused(f, "LoadLocal: local slot 0 may hold a cell", offset=4)


def test_capture_used_as_cell_and_as_value():
    f = fn(("LoadCapture", 0), ("Pop",), ("LoadCaptureCell", 0), ("Return",),
           captures=[(True, 0, "x")])
    refused(f, "capture 0 is used as a cell here but as a plain", offset=4)


def test_closure_unboxes_a_local_that_is_not_a_cell():
    child = fn(("LoadCaptureCell", 0), ("Return",), name="child", captures=[(True, 0, "x")])
    f = fn(("LoadNil",), ("StoreLocal", 0), ("MakeClosure", 0), ("Return",),
           constants=[child], children=[child], nlocals=1)
    refused(f, "child uses local slot 0 (x) as a cell", offset=4)


def test_root_function_cannot_capture():
    main = fn(("LoadCapture", 0), ("Return",), name="main", captures=[(True, 0, "x")])
    with pytest.raises(VerifyError, match="main function cannot capture"):
        verify_all(main)


# -- refused code is never run --------------------------------------------------------


def _corrupting(monkeypatch, corrupt):
    import vm.core as core
    real = core.compile_program

    def compile_then_corrupt(*args, **kwargs):
        main = real(*args, **kwargs)
        if args[1] != "<prelude>":
            corrupt(main)
        return main

    monkeypatch.setattr(core, "compile_program", compile_then_corrupt)


def _drop_last_return(main):
    main.code = main.code[:-1]          # the final Return: now it falls off the end


def test_refused_code_never_runs(monkeypatch):
    _corrupting(monkeypatch, _drop_last_return)
    vm = VM()
    with pytest.raises(VerifyError) as info:
        vm.load('(println "side effect")\n(+ 1 2)\n', "bad.lisp")
    assert "function main (bad.lisp)" in str(info.value)
    assert "falls off the end" in str(info.value)
    assert vm.output_text() == "" and vm.tick == 0
    assert vm.main is None


def test_cli_reports_a_verify_failure(monkeypatch, tmp_path, capsys):
    from vmdbg import cli
    _corrupting(monkeypatch, _drop_last_return)
    path = tmp_path / "bad.lisp"
    path.write_text('(println "side effect")\n')
    status = cli.main(["run", str(path)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "verify error in function main" in err and "falls off the end" in err
    assert "Traceback" not in err
