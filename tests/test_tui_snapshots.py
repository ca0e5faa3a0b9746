"""Snapshot tests of the TUI: one SVG per state, compared with the baselines in __snapshots__.

Each docstring says what must be visible. The apps come from vmdbg.testing.stopped_app:
no live refresh, no cursor blink, no user key remaps; `settle` waits for the session worker
to finish before the screenshot, so no worker races the picture. Programs are loaded under
fixed file names so the pictures do not depend on where the repository lives.

Regenerate after an intended change:  python -m pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import os

import pytest

from vmdbg.testing import press, settle, stopped_app

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "vmdbg", "examples")
WIDE, SMALL = (120, 40), (80, 24)


@pytest.fixture(autouse=True)
def fixed_config_path(monkeypatch):
    # The help screen names the key remap file; keep the picture the same on every machine.
    monkeypatch.setenv("VMDBG_KEYS", "~/.config/vmdbg/keys.toml")


def example(name: str, **stop):
    """The app on a bundled example, loaded as plain `name` (no absolute path anywhere)."""
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as fh:
        text = fh.read()
    return stopped_app(source=text, filename=name, **stop)


def keys(*pressed):
    async def run_before(pilot):
        await settle(pilot)
        await press(pilot, *pressed)
    return run_before


def test_start(snap_compare):
    """demo.lisp before its first instruction: status PAUSED, at the start, tick 0, fiber #0;
    Source at line 22 `(signal :progress)` marked ▶; Bytecode · main · interp with ▶ at 0000;
    a single fiber #0 main alive; every panel titled (Source, Bytecode, Stack, Locals, Fibers,
    Frames, Signals, Output, Watches, Fuel); Output says (no output yet)."""
    assert snap_compare(example("demo.lisp"), terminal_size=WIDE, run_before=settle)


def test_after_several_steps(snap_compare):
    """demo.lisp after 14 steps into: inside the generator fiber #1 (`fn`, line 28 or near),
    fiber tree #0 main → #1 fn with #1 current (▶); Locals i and n; mask :yield lit in Signals."""
    assert snap_compare(example("demo.lisp", steps=14), terminal_size=WIDE, run_before=settle)


def test_breakpoint_hit(snap_compare):
    """demo.lisp stopped at the breakpoint on line 37 in sum-to (third hit): ● in the Source
    gutter and in the Bytecode gutter at 0032, status says breakpoint, Locals total and i
    lit as changed since the previous stop, fiber #2 current with fuel, Output has the three
    `produced` lines."""
    assert snap_compare(example("demo.lisp", breakpoints=[37], continues=3), terminal_size=WIDE,
                        run_before=settle)


def test_inside_a_yielded_child_fiber(snap_compare):
    """demo.lisp at line 62, then fiber #1 chosen in the tree: status says `inspecting fiber #1
    (paused)`; Source shows line 28 `(yield (* i i))` where the fiber is suspended; Frames,
    Stack and Locals (i = 1, n = 3) are the saved ones of fiber #1; Signals: mask and last
    both :yield."""
    assert snap_compare(example("demo.lisp", breakpoints=[62], fiber=1), terminal_size=WIDE,
                        run_before=settle)


def test_signal_propagated_through_two_fibers(snap_compare):
    """signals.lisp stopped by a :log catchpoint as the leaf emits: Fibers shows #3 outer ⚡,
    #2 middle ⚡ and the leaf #1 current ▶ (the route up to the fiber whose mask catches it);
    Signals says `:log from #1, caught by #3`."""
    assert snap_compare(example("signals.lisp", catch=[":log"]), terminal_size=WIDE,
                        run_before=settle)


def test_fuel_exhausted(snap_compare):
    """tail_loop.lisp run with --fuel 500: the root fiber runs dry inside sum-below; status
    ERROR, out of fuel, `fuel: fuel exhausted`; Fuel shows fiber #0 out of fuel with an
    empty gauge; Signals: last :fuel, `:fuel from #0, uncaught`; Output ends with the fuel
    error and its location in red."""
    with open(os.path.join(EXAMPLES, "tail_loop.lisp"), encoding="utf-8") as fh:
        app = stopped_app(source=fh.read(), filename="tail_loop.lisp", continues=1,
                          session_options={"fuel": 500})
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_uncaught_error(snap_compare):
    """A division by zero no fiber catches: status ERROR, uncaught error, the first line of
    `division-by-zero: ...`; Output shows `before` and then the error with its location
    boom.lisp:2 and a short trace; fiber #0 marked with the error path."""
    app = stopped_app(source='(println "before")\n(defn f [x] (/ x 0))\n(f 1)\n',
                      filename="boom.lisp", continues=1)
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_stack_overflow_caught(snap_compare):
    """overflow.lisp stopped by an :error catchpoint at the 10,000th nested call of
    `bottomless`: Frames titled 10000 deep lists bottomless frames and `… older frames`;
    Stack shows 10000 on top; Signals: `:error from #1, caught by #1` (protect's fiber)."""
    assert snap_compare(example("overflow.lisp", catch=[":error"]), terminal_size=WIDE,
                        run_before=settle)


def test_finished(snap_compare):
    """demo.lisp run to the end: status FINISHED; Output has all ten lines ending with
    `10 / 0 failed: division-by-zero` and `── the program finished ──`; no frames."""
    assert snap_compare(example("demo.lisp", continues=1), terminal_size=WIDE, run_before=settle)


def test_help_screen(snap_compare):
    """The help screen over the debugger: `Help · keys in effect`, groups Step / Run /
    Reverse / Breakpoints / Inspect / Pages / App with keys such as `s, f11` and
    `f, shift+f11`, the Mouse section and the remap file ~/.config/vmdbg/keys.toml."""
    assert snap_compare(example("demo.lisp"), terminal_size=WIDE, run_before=keys("question_mark"))


def test_breakpoint_editor(snap_compare):
    """The breakpoint editor (B) with a line breakpoint on 37 (condition `(= i 3)`) and a
    :yield catchpoint: the table lists both with their hits; the form fields Where /
    Condition / Hit count / Log message; buttons; the catch-signal checkboxes with :yield
    ticked."""
    app = example("demo.lisp", breakpoints=[{"line": 37, "condition": "(= i 3)"}], catch=[":yield"],
                  continues=0)
    assert snap_compare(app, terminal_size=WIDE, run_before=keys("B"))


def test_small_terminal_layout(snap_compare):
    """80x24 at the line-37 breakpoint: the page bar `1 Source 2 Bytecode 3 Fibers 4 Output
    5 JIT` with Source active; Source on the left, Stack, Locals and Frames on the right;
    status and footer still visible."""
    assert snap_compare(example("demo.lisp", breakpoints=[37]), terminal_size=SMALL,
                        run_before=settle)


def test_small_terminal_fibers_page(snap_compare):
    """80x24 on page 3 at the line-37 breakpoint: the Fibers tree (#0 supervise, #1 fn dead,
    #2 sum-to current with fuel) beside Signals and Fuel."""
    assert snap_compare(example("demo.lisp", breakpoints=[37]), terminal_size=SMALL,
                        run_before=keys("3"))


def test_too_small_terminal(snap_compare):
    """50x15: only the message `vmdbg needs a terminal of at least 60x20.`"""
    assert snap_compare(example("demo.lisp"), terminal_size=(50, 15), run_before=settle)
