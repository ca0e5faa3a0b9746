"""Build the debugger stopped at a chosen point, for snapshot tests of your own programs.

    from pathlib import Path
    from vmdbg.testing import stopped_app, settle

    PROGRAM = Path(__file__).parent / "prog.lisp"     # found from any working directory

    def test_my_program_at_line_12(snap_compare):
        app = stopped_app(PROGRAM, breakpoints=[12])
        assert snap_compare(app, terminal_size=(120, 40), run_before=settle)

`stopped_app` sets breakpoints and catchpoints, continues (once by default when there are
any), steps, goes to a tick, and selects a frame or fiber, all before the first screenshot;
`settle` waits until every queued session command has finished and the panels show its
result. The app it builds is deterministic: no live refresh while running (only the final
stop is drawn), no cursor blink, and the user's key remaps are not read. The program is
named by its file name alone in the pictures (error messages, titles), so a snapshot does
not change when the project folder moves.
"""

from __future__ import annotations

import asyncio
import os
from typing import Iterable

from vmdbg.tui import commands
from vmdbg.tui.driver import Job

STEP_COMMANDS = {"into": "step_line", "over": "step_over", "out": "step_out",
                 "instruction": "step_instruction", "back": "step_back_line"}


def startup_jobs(breakpoints: Iterable = (), catch: Iterable[str] = (), continues: int | None = None,
                 steps: int = 0, step: str = "into", tick: int | None = None, watches: Iterable[str] = (),
                 frame: int | None = None, fiber: int | None = None) -> list[Job]:
    """The session commands that bring a fresh session to the wanted stop, in order."""
    jobs = []
    breakpoints, catch = list(breakpoints), list(catch)
    for bp in breakpoints:
        where = bp if isinstance(bp, dict) else {"line": int(bp)}
        jobs.append(Job("add_breakpoint", commands.call("add_breakpoint", **where)))
    for signal in catch:
        jobs.append(Job("add_breakpoint", commands.call("add_breakpoint", signal=signal)))
    for expression in watches:
        jobs.append(Job("add_watch", commands.call("add_watch", expression)))
    if continues is None:
        continues = 1 if breakpoints or catch else 0
    jobs += [Job("continue_", commands.call("continue_")) for _ in range(continues)]
    jobs += [Job(STEP_COMMANDS[step], commands.call(STEP_COMMANDS[step])) for _ in range(steps)]
    if tick is not None:
        jobs.append(Job("goto_tick", commands.call("goto_tick", tick)))
    if frame is not None:
        jobs.append(Job("select_frame", commands.call("select_frame", frame)))
    if fiber is not None:
        jobs.append(Job("select_fiber", commands.call("select_fiber", fiber)))
    return jobs


def stopped_app(path: "str | os.PathLike | None" = None, *, source: str | None = None, filename: str = "program.lisp",
                session_options: dict | None = None, **stop):
    """A DebuggerApp on `path` (or on `source` text), stopped where `stop` says.

    `stop` takes the arguments of startup_jobs: breakpoints=[12, {"function": "f"}],
    catch=[":yield"], continues=2, steps=3, step="over", tick=500, watches=["(+ a 1)"],
    frame=1, fiber=2. Session options (jit=, fuel=, max_depth=) go in session_options."""
    from vmdbg.tui.app import DebuggerApp
    from vmdbg.core.session import Session
    options = session_options or {}
    if source is not None:
        session = Session.from_source(source, filename, **options)
    else:
        from vmdbg.core.source import read_source
        path = os.fspath(path)
        # The file name alone: the pictures must not depend on where the project lives.
        session = Session(read_source(path), os.path.basename(path), path=path, **options)
    return DebuggerApp(session, startup=startup_jobs(**stop), live=False, user_keys=False,
                       cursor_blink=False)


async def settle(pilot) -> None:
    """Wait until the app has run every queued session command and drawn the result.

    Unlike pilot.pause() this does not wait for the CPU to go idle (a program running in
    the worker keeps it busy): it waits for the worker, then for every queued message."""
    app = pilot.app
    await _hops(pilot)                  # keys just posted reach their bindings and queue commands
    for _ in range(100_000):
        await app.workers.wait_for_complete()
        await pilot._wait_for_screen()
        if not app.driver.busy:
            break
    await pilot._wait_for_screen()
    for _ in range(3):
        # Run call_after_refresh work (scrolling waits for the layout it needs), then let
        # what it changed be drawn.
        app.screen._on_timer_update()
        await pilot._wait_for_screen()


async def _hops(pilot, rounds: int = 6) -> None:
    # A key travels app -> screen -> focused widget -> binding -> action: let every hop
    # run, so a command it queues is seen as queued.
    for _ in range(rounds):
        await asyncio.sleep(0)
        await pilot._wait_for_screen()


def send_keys(pilot, *keys: str) -> None:
    """Post key presses without waiting (e.g. to press p while the program runs)."""
    from textual import events
    from textual.keys import _character_to_key, key_to_character
    for key in keys:
        char = key if len(key) == 1 else None
        if char is not None and not char.isalnum():
            key = _character_to_key(char)
        pilot.app._driver.send_message(events.Key(key, char or key_to_character(key)))


async def press(pilot, *keys: str) -> None:
    """Press keys one at a time, settling after each (faster than pilot.press)."""
    for key in keys:
        send_keys(pilot, key)
        await _hops(pilot)
        await settle(pilot)
