"""Pilot behaviour tests for the TUI: every key, the mouse, pages, live runs, and failures.

Each test drives a headless app (vmdbg.testing.stopped_app) and waits for the session
worker to finish (settle) before looking at the app's snapshot and panels.
"""

from __future__ import annotations

import asyncio
import os
import re
import time

import pytest

from vmdbg.tui.app import DebuggerApp
from vmdbg.tui.keys import GLOBAL_KEYS
from vmdbg.tui.screens import BreakpointEditor, HelpScreen, WatchPrompt
from vmdbg.core.session import Session
from vmdbg.testing import _hops, press, send_keys as send, settle, stopped_app
from vmdbg.tui.widgets.bytecode import BytecodeView
from vmdbg.tui.widgets.fibers import FibersView
from vmdbg.tui.widgets.frames import FramesView
from vmdbg.tui.widgets.jit import JitView
from vmdbg.tui.widgets.source import SourceView
from vmdbg.tui.widgets.status import StatusLine
from vmdbg.tui.widgets.watches import WatchesView

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "vmdbg", "examples")
DEMO = os.path.join(EXAMPLES, "demo.lisp")
LOOP = """(var n 0)
(defn spin [] (while true (assign n (+ n 1))))
(def f (fiber/new spin :fuel))
(while true
  (fiber/set-fuel f 1000)
  (fiber/resume f))
"""
NESTED = """(defn inner [x] (* x 2))
(defn outer [x]
  (+ (inner x) 1))
(println (outer 20))
(println "done")
"""


def drive(app, script, size=(120, 40)):
    """Run `script(pilot)` against `app` headless; returns what the script returns."""
    async def main():
        async with app.run_test(size=size) as pilot:
            try:
                await settle(pilot)
                return await script(pilot)
            finally:                    # a failed test must not leave the VM running
                app.driver.pause()
                try:
                    await app.workers.wait_for_complete()
                except Exception:
                    pass
    return asyncio.run(main())


def status_text(app) -> str:
    return app.part(StatusLine).text.plain


# -- the first screen ------------------------------------------------------------------

def test_opens_stopped_before_the_first_instruction_with_every_panel_visible():
    app = stopped_app(DEMO)

    async def script(pilot):
        snap = app.snapshot
        assert (snap.tick, snap.reason, snap.status) == (0, "entry", "paused")
        titles = {w.border_title.split(" ·")[0] for w in app.panels if w.display and w.region.area}
        assert {"Source", "Bytecode", "Stack", "Frames", "Locals", "Fibers", "Signals",
                "Fuel", "Output", "Watches"} <= titles
        assert "PAUSED" in status_text(app) and "tick 0" in status_text(app)
        assert "LoadConst" in status_text(app)          # the explanation of the next instruction
        assert app.part(BytecodeView).border_title == "Bytecode · main · interp"
    drive(app, script)


# -- stepping ----------------------------------------------------------------------------

def test_step_into_moves_to_the_next_line(key="s"):
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, key)
        assert app.snapshot.line == 24 and app.snapshot.tick > 0
        await press(pilot, key, key, key, key, key, key, key)
        assert app.snapshot.function == "squares"      # it went into the call
    drive(app, script)


def test_step_over_runs_calls_to_completion(key="n"):
    app = stopped_app(source=NESTED, filename="nested.lisp", breakpoints=[4])

    async def script(pilot):
        await press(pilot, key)
        assert app.snapshot.line == 5 and app.snapshot.function == "main"
        assert app.snapshot.output == "41\n"
    drive(app, script)


def test_step_out_returns_to_the_caller(key="f"):
    app = stopped_app(source=NESTED, filename="nested.lisp", breakpoints=[{"function": "inner"}])

    async def script(pilot):
        assert app.snapshot.function == "inner"
        await press(pilot, key)
        assert app.snapshot.function == "outer" and app.snapshot.line == 3
    drive(app, script)


def test_step_instruction_runs_exactly_one_instruction():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "i")
        assert app.snapshot.tick == 1
        await press(pilot, "i", "i")
        assert app.snapshot.tick == 3
    drive(app, script)


def test_f_keys_are_aliases_of_the_letters():
    """F11 into, F10 over, shift+F11 out, F9 breakpoint, F5 continue (F6 pause: below)."""
    app = stopped_app(source=NESTED, filename="nested.lisp", breakpoints=[{"function": "outer"}])

    async def script(pilot):
        assert app.snapshot.function == "outer"
        await press(pilot, "f11")
        assert app.snapshot.function == "inner"
        await press(pilot, "shift+f11")
        assert app.snapshot.function == "outer"
        await press(pilot, "f10")
        assert (app.snapshot.function, app.snapshot.line) == ("main", 4)
        app.part(SourceView).cursor = 4         # line 5
        await press(pilot, "f9")
        assert [bp.line for bp in app.snapshot.breakpoints if bp.kind == "line"] == [5]
        await press(pilot, "f5")
        assert (app.snapshot.reason, app.snapshot.line) == ("breakpoint", 5)
    drive(app, script)


def test_quick_presses_are_all_honoured_in_order():
    app = stopped_app(DEMO)

    async def script(pilot):
        for _ in range(5):
            send(pilot, "i")                # no settling in between: they queue up
        await settle(pilot)
        assert app.snapshot.tick == 5
    drive(app, script)


# -- running, pausing, breakpoints -------------------------------------------------------

def test_continue_runs_to_a_breakpoint_then_to_the_end(key="c"):
    app = stopped_app(DEMO, breakpoints=[66], continues=0)

    async def script(pilot):
        await press(pilot, key)
        assert (app.snapshot.reason, app.snapshot.line) == ("breakpoint", 66)
        await press(pilot, key)
        assert app.snapshot.status == "finished"
        assert "FINISHED" in status_text(app)
        assert "10 / 0 failed: division-by-zero" in app.snapshot.output
    drive(app, script)


@pytest.mark.parametrize("key", ["p", "f6"])
def test_pause_stops_an_endless_loop_quickly(key):
    session = Session.from_source(LOOP, "loop.lisp")
    app = DebuggerApp(session, user_keys=False, cursor_blink=False)

    async def script(pilot):
        send(pilot, "c")
        await asyncio.sleep(0.3)
        assert app.driver.running_long
        start = time.perf_counter()
        send(pilot, key)
        await app.workers.wait_for_complete()
        elapsed = time.perf_counter() - start
        await settle(pilot)
        assert app.snapshot.reason == "pause" and app.snapshot.status == "paused"
        assert app.snapshot.tick > 1000
        assert elapsed < 2.0            # the bench measures it properly; here: no hang
    drive(app, script)


def test_commands_are_refused_while_running_and_the_ui_says_why():
    session = Session.from_source(LOOP, "loop.lisp")
    app = DebuggerApp(session, user_keys=False, cursor_blink=False)

    async def script(pilot):
        send(pilot, "c")
        await asyncio.sleep(0.2)
        send(pilot, "s")
        await _hops(pilot)
        assert "press p to pause" in status_text(app)
        await press(pilot, "p")
        assert app.snapshot.reason == "pause"
    drive(app, script)


def test_running_shows_live_snapshots_at_least_ten_times_a_second():
    session = Session.from_source(LOOP, "loop.lisp")
    app = DebuggerApp(session, user_keys=False, cursor_blink=False)
    ticks = []

    async def script(pilot):
        render = app.render_snapshot

        def counting(snapshot):
            if snapshot.status == "running":
                ticks.append(snapshot.tick)
            render(snapshot)
        app.render_snapshot = counting
        send(pilot, "c")
        await asyncio.sleep(1.5)
        assert "RUNNING" in status_text(app)
        await press(pilot, "p")
    drive(app, script)
    assert len(ticks) >= 10 and ticks == sorted(ticks) and ticks[-1] > ticks[0]


def test_a_long_compiled_call_shows_its_live_tick_and_a_pause_says_where_it_landed():
    """fib(60) compiled at its first call is one native call with no snapshot until it
    returns; the status line still moves (a lower bound, "tick ≥ N"). The pause bails the
    call, which the interpreter re-runs from its start (a true state, behind the number
    shown): the status line says so."""
    fib = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 60))\n"
    session = Session.from_source(fib, "fib.lisp", jit=1)
    app = DebuggerApp(session, user_keys=False, cursor_blink=False)
    shown = []

    async def script(pilot):
        send(pilot, "c")
        for _ in range(100):
            await asyncio.sleep(0.1)
            m = re.search(r"tick ≥ ([\d,]+)", status_text(app))
            if m:
                shown.append(int(m.group(1).replace(",", "")))
            if len(set(shown)) >= 3:
                break
        await press(pilot, "p")
        assert app.snapshot.reason == "pause" and f"tick {app.snapshot.tick:,} │" in status_text(app)
        assert app.snapshot.tick < shown[-1]
        assert f"the program had reached tick ≥ {shown[-1]:,}" in app.snapshot.message
        assert "re-run by the interpreter" in status_text(app)
    drive(app, script)
    assert len(set(shown)) >= 3 and shown == sorted(shown) and shown[-1] > 1_000_000


def _move_cursor_to(pilot, app, line):
    source = app.part(SourceView)
    source.cursor = line - 1


def test_toggle_breakpoint_at_the_cursor_line(key="b"):
    app = stopped_app(DEMO)

    async def script(pilot):
        _move_cursor_to(pilot, app, 37)
        await press(pilot, key)
        assert [bp.line for bp in app.snapshot.breakpoints] == [37]
        assert "●" in app.part(SourceView).row_text(36).plain
        await press(pilot, "c")
        assert (app.snapshot.reason, app.snapshot.line) == ("breakpoint", 37)
        _move_cursor_to(pilot, app, 37)
        await press(pilot, key)
        assert app.snapshot.breakpoints == ()
    drive(app, script)


def test_a_breakpoint_on_a_line_without_code_is_refused_with_a_note():
    app = stopped_app(DEMO)

    async def script(pilot):
        _move_cursor_to(pilot, app, 2)          # a comment
        await press(pilot, "b")
        assert app.snapshot.breakpoints == ()
        assert "line 2 has no code" in status_text(app)
    drive(app, script)


def test_run_to_the_cursor_line():
    app = stopped_app(DEMO)

    async def script(pilot):
        _move_cursor_to(pilot, app, 44)
        await press(pilot, "t")
        assert app.snapshot.line == 44 and app.snapshot.function == "supervise"
        assert app.snapshot.breakpoints == ()
    drive(app, script)


def test_source_cursor_moves_with_the_arrow_keys():
    app = stopped_app(DEMO)

    async def script(pilot):
        source = app.part(SourceView)
        assert source.cursor_line == 22
        await press(pilot, "down", "down", "up", "down")
        assert source.cursor_line == 24
        await press(pilot, "enter")         # enter in the Source panel toggles too
        assert [bp.line for bp in app.snapshot.breakpoints] == [24]
    drive(app, script)


def test_breakpoint_editor_adds_conditions_catchpoints_and_deletes():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "B")
        assert isinstance(app.screen, BreakpointEditor)
        editor = app.screen
        editor.query_one("#bp-where").value = "37"
        editor.query_one("#bp-condition").value = "(= i 3)"
        await pilot.click("#bp-add")
        await settle(pilot)
        bp = app.snapshot.breakpoints[0]
        assert (bp.line, bp.condition) == (37, "(= i 3)")
        await pilot.click("#catch-yield")
        await settle(pilot)
        assert any(b.kind == "signal" for b in app.snapshot.breakpoints)
        assert editor.query_one("#bp-table").row_count == 2
        editor.query_one("#bp-table").focus()
        await press(pilot, "space")             # disable the first one
        assert not app.snapshot.breakpoints[0].enabled
        await press(pilot, "delete")
        assert len(app.snapshot.breakpoints) == 1
        await press(pilot, "escape")
        assert not isinstance(app.screen, BreakpointEditor)
        await press(pilot, "c")                 # the :yield catchpoint stops the generator
        assert app.snapshot.reason == "signal" and app.snapshot.signal.names == ("yield",)
    drive(app, script)


def test_breakpoint_editor_reports_a_bad_location():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "B")
        app.screen.query_one("#bp-where").value = "no-such-function"
        await pilot.click("#bp-add")
        await settle(pilot)
        assert "no function named no-such-function" in status_text(app)
    drive(app, script)


# -- going back, restarting ------------------------------------------------------------------

def test_step_back_keys_go_back_in_time():
    app = stopped_app(DEMO, steps=12)

    async def script(pilot):
        tick = app.snapshot.tick
        await press(pilot, "I")
        assert app.snapshot.tick == tick - 1
        await press(pilot, "S")
        back_line = app.snapshot.tick
        assert back_line < tick - 1
        await press(pilot, "N")
        assert app.snapshot.tick < back_line
    drive(app, script)


def test_reverse_continue_goes_back_to_the_previous_breakpoint_hit():
    app = stopped_app(DEMO, breakpoints=[62], continues=2)

    async def script(pilot):
        second = app.snapshot.tick
        await press(pilot, "C")
        assert app.snapshot.reason == "breakpoint" and app.snapshot.tick < second
        assert app.snapshot.line == 62
    drive(app, script)


def test_restart_goes_back_to_the_start_and_keeps_breakpoints():
    app = stopped_app(DEMO, breakpoints=[62], continues=2)

    async def script(pilot):
        assert app.snapshot.output
        await press(pilot, "r")
        assert (app.snapshot.tick, app.snapshot.output) == (0, "")
        assert [bp.line for bp in app.snapshot.breakpoints] == [62]
    drive(app, script)


# -- frames, fibers, watches --------------------------------------------------------------------

def test_frame_up_and_down_select_frames():
    app = stopped_app(source=NESTED, filename="nested.lisp", breakpoints=[{"function": "inner"}])

    async def script(pilot):
        assert app.snapshot.frame_count == 3
        await press(pilot, "u")
        assert app.snapshot.selected_frame == 1 and app.snapshot.function == "outer"
        assert "frame #1" in status_text(app)
        await press(pilot, "u", "u", "u")
        assert app.snapshot.selected_frame == 2
        await press(pilot, "d")
        assert app.snapshot.selected_frame == 1
    drive(app, script)


def test_clicking_a_frame_selects_it():
    app = stopped_app(source=NESTED, filename="nested.lisp", breakpoints=[{"function": "inner"}])

    async def script(pilot):
        frames = app.part(FramesView)
        await pilot.click(FramesView, offset=(5, 2))       # border row, then frames #0, #1
        await settle(pilot)
        assert app.snapshot.selected_frame == 1
        assert frames.cursor == 1
    drive(app, script)


def test_selecting_a_fiber_inspects_it_and_the_current_one_returns_to_live_view():
    app = stopped_app(DEMO, breakpoints=[62])

    async def script(pilot):
        tree = app.part(FibersView)
        node = tree.nodes[1]
        await pilot.click(FibersView, offset=(4, 1 + node.line))
        await settle(pilot)
        snap = app.snapshot
        assert snap.inspecting and snap.fiber_id == 1 and snap.function == "fn"
        assert "inspecting fiber #1 (paused)" in status_text(app)
        assert snap.line == 28                  # the yield it is suspended at
        await pilot.click(FibersView, offset=(4, 1 + tree.nodes[0].line))
        await settle(pilot)
        assert not app.snapshot.inspecting and app.snapshot.fiber_id == 0
    drive(app, script)


def test_add_and_remove_a_watch():
    app = stopped_app(DEMO, breakpoints=[37])

    async def script(pilot):
        await press(pilot, "w")
        assert isinstance(app.screen, WatchPrompt)
        await press(pilot, *"(+ total i)")
        await press(pilot, "enter")
        assert app.snapshot.watches == {"(+ total i)": "1"}
        await press(pilot, "c")
        assert app.snapshot.watches == {"(+ total i)": "3"}
        watches = app.part(WatchesView)
        assert watches.rows[0][2]                 # changed since the last stop: lit
        watches.focus()
        await press(pilot, "delete")
        assert app.snapshot.watches == {}
    drive(app, script)


def test_watch_prompt_escape_adds_nothing():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "w")
        await press(pilot, "x", "escape")
        assert app.snapshot.watches == {}
    drive(app, script)


def test_clicking_the_source_gutter_toggles_a_breakpoint():
    app = stopped_app(DEMO)

    async def script(pilot):
        source = app.part(SourceView)
        source.cursor = 36                      # scrolls line 37 into view
        await pilot.pause()
        row = 37 - 1 - int(source.scroll_y)
        await pilot.click(SourceView, offset=(2, 1 + row))
        await settle(pilot)
        assert [bp.line for bp in app.snapshot.breakpoints] == [37]
        await pilot.click(SourceView, offset=(2, 1 + row))
        await settle(pilot)
        assert app.snapshot.breakpoints == ()
    drive(app, script)


def test_a_stop_far_down_the_file_is_scrolled_into_view_from_the_first_paint():
    """The first stop of the app is below the first screenful: the Source panel shows it
    (the scroll waits for the layout that gives the panel its size, however late)."""
    text = "".join(f"(def v{i} {i})\n" for i in range(1, 120)) + "(println v7)\n"
    app = stopped_app(source=text, filename="long.lisp", breakpoints=[100], continues=1)

    async def script(pilot):
        source = app.part(SourceView)
        top = int(source.scroll_y)
        height = source.scrollable_content_region.height
        assert app.snapshot.line == 100
        assert top <= 99 < top + height, (top, height)
        assert top > 0
    drive(app, script)


# -- help, palette, remapping, quitting -------------------------------------------------------------

def test_help_lists_the_live_bindings():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help-left").content.plain + app.screen.query_one("#help-right").content.plain
        pages = len(app.pages)
        for key in GLOBAL_KEYS:
            page = int(key.id.removeprefix("page_")) if key.group == "Pages" else 0
            assert (key.description in text) == (page <= pages), key.id
        assert "s, f11" in text and "shift+f11" in text
        assert "$VMDBG_KEYS" in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
    drive(app, script)


def test_every_action_is_in_the_command_palette():
    app = stopped_app(DEMO)

    async def script(pilot):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for key in GLOBAL_KEYS:
            assert key.description in titles
        await press(pilot, "ctrl+p", *"Step one instruction")
        await pilot.pause(0.3)                 # the palette searches in the background
        await press(pilot, "enter")
        await settle(pilot)
        assert app.snapshot.tick == 1
    drive(app, script)


def test_bindings_are_remapped_from_the_config_file(tmp_path):
    config = tmp_path / "keys.toml"
    config.write_text('[keys]\nstep_into = "g"\nno_such_binding = "x"\n')
    session = Session.from_file(DEMO)
    app = DebuggerApp(session, keymap_path=str(config), cursor_blink=False)

    async def script(pilot):
        await press(pilot, "s")
        assert app.snapshot.tick == 0           # s is no longer bound
        await press(pilot, "g")
        assert app.snapshot.line == 24
        await press(pilot, "question_mark")
        text = app.screen.query_one("#help-left").content.plain
        assert "g             Step into (line)" in text
    drive(app, script)


def test_a_remap_keeps_the_footer_and_the_top_bar_true_and_warns_of_a_stolen_key(tmp_path):
    config = tmp_path / "keys.toml"
    config.write_text('[keys]\nstep_over = "j"\ncontinue = "g,f5"\nquit = "s"\n')
    app = DebuggerApp(Session.from_file(DEMO), keymap_path=str(config), cursor_blink=False)

    async def script(pilot):
        await settle(pilot)
        footer = [(k.key, k.description) for k in app.query("FooterKey")]
        assert footer[:4] == [("f11", "Step into (line)"), ("j", "Step over"), ("f", "Step out"),
                              ("g", "Continue")]                  # in order, with the keys in effect
        assert ("s", "Quit") in footer
        bar = app.part("#pagebar").render().plain
        assert "f11 step · j over · g continue · b breakpoint" in bar
        warnings = [n.message for n in app._notifications]
        assert f"{config}: s is now quit; step_into keeps f11" in warnings
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Quit") == 1
        await press(pilot, "j")
        assert app.snapshot.tick > 0
    drive(app, script, size=(160, 40))


def test_the_palette_shows_the_key_the_footer_shows():
    app = stopped_app(DEMO)

    async def script(pilot):
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Step into (line)"] == "key: s" and helps["Quit"] == "key: q"
        assert [c.title for c in app.get_system_commands(app.screen)].count("Quit") == 1
    drive(app, script)


def test_the_breakpoint_editor_starts_each_breakpoint_afresh():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "B")
        editor = app.screen
        assert isinstance(editor, BreakpointEditor)
        field = lambda i: editor.query_one(f"#{i}")
        field("bp-where").value = "37"
        field("bp-log").value = "i={i}"
        await press(pilot, "enter")
        assert [(b.line, b.log_message) for b in app.snapshot.breakpoints] == [(37, "i={i}")]
        assert field("bp-log").value == "" and field("bp-where").value == ""
        field("bp-where").value = "38"
        await press(pilot, "enter")
        assert [(b.line, b.log_message) for b in app.snapshot.breakpoints] == [(37, "i={i}"), (38, None)]
        field("bp-where").value = "38"
        await press(pilot, "enter")                 # the same again is refused, and said
        assert len(app.snapshot.breakpoints) == 2
        assert any("already set" in n.message for n in app._notifications)
    drive(app, script)


def test_a_breakpoint_far_below_stays_in_view_and_frame_keys_say_when_there_is_nowhere_to_go():
    app = stopped_app(DEMO)

    async def script(pilot):
        source = app.part(SourceView)
        source.focus()
        await press(pilot, *["down"] * 40)
        line = source.cursor_line
        await press(pilot, "b")
        assert line in {b.line for b in app.snapshot.breakpoints}
        top = int(source.scroll_y)
        assert top <= line - 1 < top + source.scrollable_content_region.height
        await press(pilot, "d")
        assert any("innermost frame" in n.message for n in app._notifications)
        await press(pilot, "u")
        assert any("outermost frame" in n.message for n in app._notifications)
    drive(app, script)


def test_the_timeline_moves_by_a_stride_to_a_typed_tick_and_between_breakpoint_hits():
    app = stopped_app(DEMO, breakpoints=[37], continues=3)

    async def script(pilot):
        hits = app.snapshot.stop_ticks
        assert len(hits) == 3 and app.snapshot.tick == hits[-1]
        here = app.snapshot.tick
        await press(pilot, "comma")
        assert (app.snapshot.tick, app.snapshot.reason) == (here - 1, "goto")
        assert f"went to tick {here - 1:,}" in app.part(StatusLine).text.plain
        await press(pilot, "slash", "slash", "full_stop")          # stride 100
        assert app.snapshot.tick == here - 1 + 100 or app.snapshot.reason == "breakpoint"
        assert "stride 100" in app.part("#pagebar").render().plain
        await press(pilot, "T")
        app.screen.query_one("#watch-input").value = "5"
        await press(pilot, "enter")
        assert app.snapshot.tick == 5
        await press(pilot, "greater_than_sign")                     # the first hit seen
        assert app.snapshot.tick == hits[0]
        await press(pilot, "greater_than_sign")
        assert app.snapshot.tick == hits[1]
        await press(pilot, "less_than_sign")
        assert app.snapshot.tick == hits[0]
    drive(app, script)


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
def test_quit(key):
    app = stopped_app(DEMO)

    async def script(pilot):
        send(pilot, key)
        await asyncio.sleep(0.2)
        return app.is_running
    assert drive(app, script) is False


def test_quitting_while_running_does_not_hang():
    session = Session.from_source(LOOP, "loop.lisp")
    app = DebuggerApp(session, user_keys=False, cursor_blink=False)

    async def script(pilot):
        send(pilot, "c")
        await asyncio.sleep(0.2)
        send(pilot, "q")
        await asyncio.sleep(0.2)
    start = time.perf_counter()
    drive(app, script)
    assert time.perf_counter() - start < 10
    assert not app.driver.running_long


# -- sizes and pages ----------------------------------------------------------------------------

def test_small_terminal_uses_pages():
    app = stopped_app(DEMO, breakpoints=[37])

    async def script(pilot):
        assert app.compact
        shown = lambda: {w.id for w in app.panels if w.display and w.region.area}
        assert {"source", "stack", "locals", "frames"} <= shown() and "bytecode" not in shown()
        await press(pilot, "2")
        assert "bytecode" in shown() and "source" not in shown()
        await press(pilot, "3")
        assert {"fibers", "signals", "fuel"} <= shown()
        await press(pilot, "4")
        assert {"output", "watches"} <= shown()
        await press(pilot, "5")
        assert shown() == {"jit"}
        await press(pilot, "1")
        await press(pilot, "s")                 # keys still work on any page
        assert app.snapshot.line == 38
    drive(app, script, size=(80, 24))


def test_page_bar_click_switches_pages():
    app = stopped_app(DEMO)

    async def script(pilot):
        await pilot.click("#pagebar", offset=(len(" 1 Source   2 Bytecode   3 "), 0))
        await settle(pilot)
        assert app.page == 3
    drive(app, script, size=(80, 24))


def test_too_small_terminal_says_so():
    app = stopped_app(DEMO)

    async def script(pilot):
        message = app.screen.query_one("#too-small")
        assert message.display and message.region.area
        assert "at least 60x20" in str(message.content)
        assert not app.part("#main").region.area
    drive(app, script, size=(50, 15))


def test_jit_tab_lists_functions_and_shows_listings():
    app = stopped_app(DEMO, continues=1, session_options={"jit": 1})

    async def script(pilot):
        await press(pilot, "2")
        jit = app.part(JitView)
        assert jit.display and jit.region.area
        names = [name for name, _, _ in app.snapshot.functions]
        assert "sum-to" in names and "squares" in names
        table = jit.query_one("#jit-functions")
        table.focus()
        await press(pilot, "enter")
        listing = jit.query_one("#jit-listing")
        assert listing.lines and listing.border_title.startswith("Listing · ")
    drive(app, script)


def test_jit_listings_are_coloured_by_their_lexers():
    app = stopped_app(source="(defn add1 [x] (+ x 1))\n(println (add1 1))\n", filename="add.lisp",
                      continues=1, session_options={"jit": 1})

    async def script(pilot):
        await press(pilot, "2")
        jit = app.part(JitView)
        assert app.snapshot.functions[0][:2] == ("add1", "jit1")
        jit.query_one("#jit-functions").focus()
        await press(pilot, "enter")
        listing = jit.query_one("#jit-listing")
        sections = [parts[0][1] for parts, header in listing.lines if header]
        assert sections == ["── bytecode ──", "── optimised LLVM IR ──", "── assembly ──"]
        # Opcodes and instructions, LLVM's keywords, comments: each from its lexer.
        classes = {cls for parts, header in listing.lines if not header for cls, _ in parts}
        assert {"listing--op", "listing--keyword", "listing--comment", "listing--name"} <= classes
    drive(app, script)


def test_jit_tab_without_the_jit_says_how_to_turn_it_on():
    app = stopped_app(DEMO)

    async def script(pilot):
        await press(pilot, "2")
        assert "--jit" in app.part(JitView).border_subtitle
    drive(app, script)


# -- nothing a program does takes the debugger down --------------------------------------------------

@pytest.mark.parametrize("source, reason", [
    ("(defn f [x] (/ x 0))\n(f 1)\n", "error"),
    ("(defn deep [n] (+ 1 (deep (+ n 1))))\n(deep 0)\n", "error"),
    ("(def big (range 1000000))\n(println (length big))\n", "finished"),
    ("(error {:error :custom :message \"bad\"})\n", "error"),
])
def test_hostile_programs_end_in_a_message_not_a_crash(source, reason):
    app = stopped_app(source=source, filename="hostile.lisp", continues=1)

    async def script(pilot):
        assert app.snapshot.reason == reason
        await press(pilot, "s", "n", "f", "i", "S", "u", "d")     # everything still answers
        assert app.is_running
    drive(app, script)


def test_an_exception_in_a_session_command_is_a_message_not_a_traceback():
    app = stopped_app(DEMO)

    def broken():
        raise RuntimeError("the VM fell over")

    async def script(pilot):
        app.session.step_line = broken
        await press(pilot, "s")
        assert "step_line failed: internal error: RuntimeError: the VM fell over" in status_text(app)
        await press(pilot, "i")
        assert app.snapshot.tick == 1                  # and the app carries on
    drive(app, script)


def test_a_million_element_array_stays_cheap_to_show(monkeypatch):
    """Work is counted, not timed: showing the array prints a bounded part of it."""
    import vm.values as values
    app = stopped_app(source="(def big (range 1000000))\n(def x 1)\n", filename="big.lisp", steps=1)
    printed = [0]
    real = values._print

    def counted(*args):
        printed[0] += 1
        return real(*args)

    async def script(pilot):
        monkeypatch.setattr(values, "_print", counted)
        await press(pilot, "s", "s")
        assert 0 < printed[0] < 20_000            # a million elements, a few hundred printed
        assert all(len(v) <= 210 for v in app.snapshot.stack)
    drive(app, script)


def test_a_snapshot_does_not_depend_on_where_the_program_lives(tmp_path):
    """vmdbg.testing names the program by its file name, so a user's snapshot test of an
    error stop passes after the project folder moves."""
    pictures = []
    for folder in ("one", "two/deeper"):
        path = tmp_path / folder / "fails.lisp"
        path.parent.mkdir(parents=True)
        path.write_text("(defn f [x] (/ x 0))\n(f 1)\n")
        app = stopped_app(path, continues=1)

        async def script(pilot):
            assert app.snapshot.reason == "error"
            for _ in range(100):                # the footer fills in a refresh after the rest
                if app.query("FooterKey"):
                    break
                await pilot.pause(0.02)
            await pilot.pause()
            return app.export_screenshot(title="fails")
        svg = drive(app, script)
        assert str(tmp_path) not in svg and "fails.lisp" in svg
        pictures.append(re.findall(r">([^<]*)</text>", svg))     # the words on the screen
    assert pictures[0] == pictures[1]


# -- room: a large terminal gives it to the panels that cut their lines -----------------

def test_a_large_terminal_widens_stack_watches_and_signals_and_heightens_output():
    """At 200x60 the extra room is shared: Stack, Locals, Signals, Fuel and Bytecode,
    Frames, Watches grow wider, Output and Watches taller, so a watch's error and the
    signal rows are no longer cut; back at 120x40 the layout is the one drawn at 120x40,
    and a small terminal still pages."""
    app = stopped_app(DEMO)
    long_watch = "(- \"a\")"

    async def script(pilot):
        at_120 = {i: app.part(f"#{i}").region for i in ("source", "stack", "signals", "watches", "output")}
        await pilot.resize_terminal(200, 60)
        await settle(pilot)
        at_200 = {i: app.part(f"#{i}").region for i in at_120}
        for panel in ("stack", "signals", "watches"):
            assert at_200[panel].width >= at_120[panel].width + 15, panel
        assert at_200["source"].width > at_120["source"].width
        assert at_200["output"].height >= at_120["output"].height + 4
        assert at_200["watches"].height == at_200["output"].height
        app.session.add_watch(long_watch)
        await press(pilot, "s")
        row = app.part(WatchesView).row_text(0).plain
        assert row.rstrip().endswith('expected a number, got "a"'), row
        assert 40 < len(row.rstrip()) <= app.part(WatchesView).content_region.width   # cut at 120x40
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert {i: app.part(f"#{i}").region for i in at_120} == at_120
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert app.compact and not app.part("#stack").display or app.part("#stack").region.width <= 40
    drive(app, script)


def test_the_explanation_has_a_line_of_its_own_when_wide_and_is_never_cut():
    """A wide layout gives the explanation of the next instruction the status line's second
    line, so a long one (a catchpoint's delivery) is shown whole at 120 columns."""
    session = Session.from_file(DEMO)
    session.add_breakpoint(signal=":progress")
    app = DebuggerApp(session, user_keys=False, cursor_blink=False, live=False)

    async def script(pilot):
        await settle(pilot)
        await press(pilot, "c")
        assert app.snapshot.reason == "signal"
        explanation = app.snapshot.explanation
        assert len(explanation) > 60
        lines = status_text(app).split("\n")
        assert len(lines) == 2 and "catchpoint" in lines[0] and lines[1].strip() == explanation
        assert len(lines[1]) <= 120
        assert app.part(StatusLine).region.height == 2
        await pilot.resize_terminal(100, 30)          # compact: one line, as before
        await settle(pilot)
        assert "\n" not in status_text(app) and app.part(StatusLine).region.height == 1
    drive(app, script)
