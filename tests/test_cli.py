"""The command line as a user meets it: exit statuses, messages, dis and trace formats."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vmdbg.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def write(tmp_path, name, data):
    p = tmp_path / name
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data, encoding="utf-8")
    return str(p)


def test_run_prints_program_output(tmp_path, capsys):
    f = write(tmp_path, "hello.lisp", '(println "hello" " " (+ 1 2))')
    assert run_cli(capsys, "run", f) == (0, "hello 3\n", "")


def test_runtime_error_exit_1_with_kind_location_and_trace(tmp_path, capsys):
    f = write(tmp_path, "boom.lisp", "(defn f [x] (/ x 0))\n(println :before)\n(f 5)\n")
    status, out, err = run_cli(capsys, "run", f)
    assert status == 1
    assert out == "before\n"
    assert err.splitlines()[0] == "division-by-zero: /: division by zero"
    assert f"{f}:1:13" in err
    assert "f (" in err and "main (" in err


def test_read_error_exit_2(tmp_path, capsys):
    f = write(tmp_path, "bad.lisp", "(println 1)\n(+ 1 2")
    status, out, err = run_cli(capsys, "run", f)
    assert status == 2 and out == ""
    assert err.startswith(f"{f}:2:1: read error: unclosed")


def test_compile_error_exit_2_and_nothing_runs(tmp_path, capsys):
    f = write(tmp_path, "bad.lisp", "(println 1)\n(def x 1)\n(assign x 2)\n")
    status, out, err = run_cli(capsys, "run", f)
    assert status == 2 and out == ""
    assert f"{f}:3:9: compile error:" in err
    assert "@x" in err


def test_empty_file_runs_and_exits_0(tmp_path, capsys):
    f = write(tmp_path, "empty.lisp", "")
    assert run_cli(capsys, "run", f) == (0, "", "")


def test_non_utf8_file_is_a_clear_error(tmp_path, capsys):
    f = write(tmp_path, "latin.lisp", b'(println "caf\xe9")\n')
    status, out, err = run_cli(capsys, "run", f)
    assert status == 2
    assert f"{f}:1:14: read error: the file is not valid UTF-8" in err


def test_missing_file_and_directory(tmp_path, capsys):
    status, _, err = run_cli(capsys, "run", str(tmp_path / "nope.lisp"))
    assert status == 2 and "no such file" in err
    status, _, err = run_cli(capsys, "run", str(tmp_path))
    assert status == 2 and "is a directory" in err


def test_usage_errors_exit_2(capsys):
    assert run_cli(capsys, "run")[0] == 2
    assert run_cli(capsys, "run", "x.lisp", "--fuel", "lots")[0] == 2
    assert run_cli(capsys, "frobnicate", "x.lisp")[0] == 2


def test_fuel_exhausted_is_exit_1(tmp_path, capsys):
    f = write(tmp_path, "loop.lisp", "(var i 0)\n(while true (assign i (+ i 1)))\n")
    status, _, err = run_cli(capsys, "run", f, "--fuel", "1000")
    assert status == 1
    assert err.startswith("fuel: fuel exhausted")


def test_max_depth_flag(tmp_path, capsys):
    f = write(tmp_path, "deep.lisp", "(defn d [n] (+ 1 (d (+ n 1))))\n(d 0)\n")
    status, _, err = run_cli(capsys, "run", f, "--max-depth", "50")
    assert status == 1 and err.startswith("stack-overflow:")


def test_stats_go_to_stderr(tmp_path, capsys):
    f = write(tmp_path, "s.lisp", "(println 42)")
    status, out, err = run_cli(capsys, "run", f, "--stats")
    assert status == 0 and out == "42\n"
    assert "instructions:" in err and "time:" in err


def test_dis_lists_every_function_with_offsets_lines_and_constants(tmp_path, capsys):
    f = write(tmp_path, "d.lisp", "(defn add1 [n]\n  (+ n 1))\n(println (add1 41))\n")
    status, out, _ = run_cli(capsys, "dis", f)
    assert status == 0
    assert "== main" in out and "== add1" in out
    add1 = out[out.index("== add1"):]
    lines = add1.splitlines()[1:]
    assert lines[0].split()[:3] == ["0000", "2", "LoadLocal"]
    assert "; n" in lines[0]
    assert lines[1].split()[1] == "|"          # same source line as the previous one
    assert any("Return" in line for line in lines)
    assert "<native println>" in out


def test_trace_prints_stack_then_instruction_with_tick_and_fiber(tmp_path, capsys):
    f = write(tmp_path, "t.lisp", "(println (+ 1 2))")
    status, out, _ = run_cli(capsys, "trace", f)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["0", "f0"]
    assert "LoadConst" in lines[1]
    add = next(i for i, line in enumerate(lines) if " AddInt" in line)
    assert lines[add - 1].endswith("[ <native println> ][ 1 ]")
    assert "3" in lines


def test_trace_limit_and_fuel_column(tmp_path, capsys):
    f = write(tmp_path, "t.lisp", "(var i 0)\n(while true (assign i (+ i 1)))\n")
    status, out, _ = run_cli(capsys, "trace", f, "--limit", "20", "--fuel", "100")
    assert status == 0
    assert "fuel=" in out
    assert out.strip().endswith("(--limit 20)")


def test_python_dash_m_works_the_same(tmp_path):
    f = write(tmp_path, "m.lisp", "(println :ok)")
    r = subprocess.run([sys.executable, "-m", "vmdbg", "run", f], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout == "ok\n"


@pytest.mark.parametrize("name", sorted(os.listdir(os.path.join(ROOT, "vmdbg", "examples"))))
def test_every_example_runs_clean(name, capsys):
    if not name.endswith(".lisp"):
        pytest.skip("not a program")
    status, out, err = run_cli(capsys, "run", os.path.join(ROOT, "vmdbg", "examples", name))
    assert status == 0, err


def test_version_names_the_package_and_its_runtime(capsys):
    status, out, err = run_cli(capsys, "--version")
    assert status == 0 and out.startswith("vmdbg 0.") and "textual " in out and "llvmlite " in out


def test_subcommand_help_shows_its_own_usage_and_true_defaults(capsys):
    status, out, err = run_cli(capsys, "jit", "-h")
    assert status == 0
    assert out.startswith("usage: vmdbg jit [-h]")
    assert "default 1)" in " ".join(out.split())          # --jit's default for `vmdbg jit`
    status, out, err = run_cli(capsys, "run", "--fuel", "x", "f.lisp")
    assert status == 2 and err.startswith("usage: vmdbg run ")
    status, out, err = run_cli(capsys, "--help")
    assert "takes --jit N (default 0), --fuel N" in " ".join(out.split())


@pytest.mark.parametrize("program, status", [("(println 1)", 0), ("(println (/ 1 0))", 1)])
def test_the_debugger_exits_with_the_programs_status(tmp_path, monkeypatch, program, status):
    from vmdbg.cli import open_debugger
    from vmdbg.tui.app import DebuggerApp

    def run_to_the_end_and_quit(app):          # what a user does: continue, then q
        app.session.continue_()

    monkeypatch.setattr(DebuggerApp, "run", run_to_the_end_and_quit)
    assert open_debugger(write(tmp_path, "p.lisp", program)) == status


def test_a_screenshot_draws_the_same_offline(tmp_path, capsys):
    """No web font (offline the columns collapsed), spaces kept, and the footer drawn."""
    out = tmp_path / "shot.svg"
    status, _, err = run_cli(capsys, "screenshot", os.path.join(ROOT, "vmdbg", "examples", "demo.lisp"),
                             "--break", "37", "-o", str(out))
    svg = out.read_text()
    assert status == 0 and err == ""
    style = svg.split("<style>")[1].split("</style>")[0]
    assert "url(" not in style and "@font-face" not in style
    assert 'xml:space="preserve"' in svg and "white-space: pre" in svg
    assert "Quit" in svg and "breakpoint" in svg


def test_jit_n_compiles_a_hot_loop_at_top_level_and_vmdbg_jit_lists_it(tmp_path, capsys):
    pytest.importorskip("llvmlite")
    f = write(tmp_path, "loop.lisp", "(var i 0)\n(var s 0)\n(while (< i 300000)\n  (assign s (+ s (rem i 7)))\n"
                                     "  (assign i (+ i 1)))\n(println s)\n")
    status, out, err = run_cli(capsys, "run", "--jit", "1", "--stats", f)
    assert (status, out) == (0, "899997\n")
    assert "main loop line 3" in err and "jit1" in err
    status, out, err = run_cli(capsys, "jit", f)
    assert status == 0 and out.startswith("899997\n")
    # The loop's own listing: its function's bytecode from the header to the back-edge.
    assert "=== main loop line 3" in out and "== main loop line 3: offsets" in out and "variables: i, s" in out
    assert "--- native assembly ---" in out
