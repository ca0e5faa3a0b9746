"""The command language (`vmdbg FILE -x CMDS`, start-up flags, the TUI's `:` prompt) and the
breakpoints and watches saved per program between runs."""

from __future__ import annotations

import json
import textwrap

import pytest

from vmdbg.cli import main, open_debugger
from vmdbg.core import Session, saved
from vmdbg.core.script import CommandError, check, run_command

LOOP = textwrap.dedent("""\
    (defn sum-to [n]
      (var total 0)
      (var i 1)
      (while (<= i n)
        (assign total (+ total i))
        (assign i (+ i 1)))
      total)
    (def g (fiber/new (fn [] (yield 1) (yield 2)) :yield))
    (println (sum-to 5))
    (println (fiber/resume g))
    """)


def session() -> Session:
    return Session.from_source(LOOP, "loop.lisp")


def test_break_with_a_condition_and_a_hit_count_then_continue():
    s = session()
    run_command(s, "break 5 if (> i 2)")
    snap = run_command(s, "continue")
    assert (snap.reason, snap.line, snap.frames[0].locals["i"]) == ("breakpoint", 5, "3")
    run_command(s, "delete all")
    run_command(s, "break 5 hits 2")
    snap = run_command(s, "c")
    assert snap.frames[0].locals["i"] == "5"         # the 2nd hit from here on
    assert [b.hit_count for b in snap.breakpoints] == [2]


def test_logpoints_catchpoints_watches_and_printing():
    s = session()
    run_command(s, 'log 5 "i is {i}"')
    run_command(s, "catch :yield")
    run_command(s, "watch (* 2 2)")
    snap = run_command(s, "continue")
    assert snap.reason == "signal" and snap.watches == {"(* 2 2)": "4"}
    assert snap.output.splitlines()[:2] == ["i is 1", "i is 2"]
    snap = run_command(s, "print (+ 1 2)")
    assert snap.message == "3"
    assert run_command(s, "print (+ 1 :a)").message.startswith("error: type-error")
    assert run_command(s, "unwatch (* 2 2)").watches == {}


def test_moving_through_time_and_selecting():
    s = session()
    assert run_command(s, "run-to 5").line == 5
    assert run_command(s, "next").line == 6
    assert run_command(s, "back").line == 5
    assert run_command(s, "tick 3").tick == 3
    assert run_command(s, "stepi").tick == 4
    assert run_command(s, "backi").tick == 3
    run_command(s, "run-to 5")
    assert run_command(s, "frame 1").function == "main"
    assert run_command(s, "frame 0").function == "sum-to"
    assert run_command(s, "finish").function == "main"
    assert run_command(s, "# a comment").tick == s.vm.tick


@pytest.mark.parametrize("line, message", [
    ("bogus", "unknown command 'bogus'"),
    ("continue now", "continue takes no argument"),
    ("break", "break needs an argument"),
    ("tick x", "tick: expected a whole number, got 'x'"),
    ("break 5 hits x", "break hits: expected a whole number"),
    ("log 5", "log: say where and what"),
])
def test_a_bad_line_is_refused_before_anything_runs(line, message):
    with pytest.raises(CommandError, match=message):
        check(line)


def test_a_breakpoint_where_there_is_no_code_is_an_error_and_is_not_kept():
    s = session()
    with pytest.raises(CommandError, match="line 200 has no code"):
        run_command(s, "break 200")
    assert s.breakpoints == {}
    with pytest.raises(CommandError, match="no breakpoint 9"):
        run_command(s, "delete 9")


def test_the_command_line_checks_the_command_file_first(tmp_path, capsys):
    program = tmp_path / "loop.lisp"
    program.write_text(LOOP)
    commands = tmp_path / "cmds"
    commands.write_text("break 5\nbogus 1\n")
    assert main([str(program), "-x", str(commands)]) == 2
    assert capsys.readouterr().err.startswith(f"vmdbg: {commands}:2: unknown command 'bogus'")
    assert main([str(program), "-x", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main([str(program), "--break", "5 hits q"]) == 2
    assert capsys.readouterr().err.startswith("vmdbg: --break: break hits: expected a whole number")


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def fake_run(monkeypatch, seen: list):
    """DebuggerApp.run replaced by what a user would do: look, run the start-up commands."""
    from vmdbg.tui.app import DebuggerApp

    def run(app):
        seen.append((app.notes, [job.run(app.session) for job in app.startup]))
    monkeypatch.setattr(DebuggerApp, "run", run)


def test_flags_run_in_order_and_breakpoints_are_kept_for_next_time(tmp_path, monkeypatch, state_home):
    program = tmp_path / "loop.lisp"
    program.write_text(LOOP)
    seen = []
    fake_run(monkeypatch, seen)
    assert main([str(program), "--break", "5 if (> i 1)", "--watch", "(+ i 0)", "--catch", ":yield",
                 "--run-to", "6"]) == 0
    notes, snaps = seen[-1]
    assert notes == [] and snaps[-1].line == 6 and snaps[-1].watches == {"(+ i 0)": "1"}
    data = json.loads(open(saved.state_path(str(program))).read())
    assert [(b.get("line"), b.get("signal"), b["condition"]) for b in data["breakpoints"]] == \
        [(5, None, "(> i 1)"), (None, ":yield", None)]
    # Next time they are back (and said so); --clean starts without them.
    assert main([str(program), "-x", str(tmp_path / "none")]) == 2
    (tmp_path / "go").write_text("continue\n")
    assert main([str(program), "-x", str(tmp_path / "go")]) == 0
    notes, snaps = seen[-1]
    assert notes[0].startswith("restored 2 breakpoints and 1 watch")
    assert (snaps[-1].reason, snaps[-1].frames[0].locals["i"]) == ("breakpoint", "2")
    assert main([str(program), "--clean", "-x", str(tmp_path / "go")]) == 0
    notes, snaps = seen[-1]
    assert notes == [] and snaps[-1].reason == "finished"


def test_a_saved_breakpoint_that_no_longer_fits_says_so(tmp_path, state_home):
    program = tmp_path / "p.lisp"
    program.write_text(LOOP)
    s = Session.from_file(str(program))
    s.add_breakpoint(line=9)
    saved.save(s)
    program.write_text("(println 1)\n")
    again = Session.from_file(str(program))
    notes = saved.restore(again)
    assert notes[0].startswith("restored 1 breakpoint") and "line 9 has no code" in notes[1]


def test_a_corrupt_state_file_is_ignored(tmp_path, state_home):
    program = tmp_path / "p.lisp"
    program.write_text(LOOP)
    path = saved.state_path(str(program))
    import os
    os.makedirs(os.path.dirname(path))
    open(path, "w").write("{not json")
    s = Session.from_file(str(program))
    assert saved.restore(s) == ["the saved breakpoints could not be read; starting without them"]
    assert s.breakpoints == {}
    assert open_debugger is not None
