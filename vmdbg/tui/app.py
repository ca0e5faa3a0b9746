"""The Textual app: owns the session (through the driver), the global keys, and the panels."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Iterable

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingsMap
from textual.containers import Container
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static

from vmdbg.tui import commands
from vmdbg.tui.driver import Job, SessionDriver
from vmdbg.tui.keys import (GLOBAL_KEYS, KEYS_BY_ID, config_path, effective_keys, global_bindings,
                            load_keymap)
from vmdbg.tui.messages import (CommandFailed, JitListing, Progress, RemoveWatch, SelectFiber,
                            SelectFrame, ShowJitFunction, Stopped, ToggleBreakpoint)
from vmdbg.tui.screens import (BreakpointEditor, BreakpointRequest, CommandPrompt, HelpScreen, TickPrompt,
                               WatchPrompt)
from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.bytecode import BytecodeView
from vmdbg.tui.widgets.fibers import FibersView
from vmdbg.tui.widgets.frames import FramesView
from vmdbg.tui.widgets.fuel import FuelView
from vmdbg.tui.widgets.jit import JitView
from vmdbg.tui.widgets.locals import LocalsView
from vmdbg.tui.widgets.output import OutputView
from vmdbg.tui.widgets.pagebar import COMPACT_PAGES, WIDE_PAGES, PageBar
from vmdbg.tui.widgets.rows import Panel
from vmdbg.tui.widgets.signals import SignalsView
from vmdbg.tui.widgets.source import SourceView
from vmdbg.tui.widgets.stack import StackView
from vmdbg.tui.widgets.status import StatusLine
from vmdbg.tui.widgets.watches import WatchesView

# Below this the panels switch to pages; below MIN_SIZE a message asks for more room.
COMPACT_BELOW = (110, 34)
MIN_SIZE = (60, 20)
LIVE_TICK_INTERVAL = 0.25      # seconds between looks at a long compiled call's tick


def wide_grid(width: int, height: int) -> tuple[str, str]:
    """Every panel at once: the grid's columns and rows (debugger.tcss draws the layout at
    120x40). Room beyond that goes to the panels whose lines get cut: a quarter of the extra
    width each to Bytecode/Frames/Watches and to Stack/Locals/Signals/Fuel, the rest to
    Source/Fibers/Output; a quarter of the extra height to Output/Watches/Fuel, a tenth to
    Fibers/Frames/Signals, the rest to the top rows."""
    wide, tall = max(0, width - 120), max(0, height - 40)
    return (f"1fr {40 + wide // 4} {30 + wide // 4}",
            f"1fr 1fr {11 + tall // 10} {6 + tall // 4}")


class DebuggerApp(App):
    """vmdbg: step through a program's bytecode, fibers, signals and fuel."""

    CSS_PATH = "debugger.tcss"
    TITLE = "vmdbg"
    BINDINGS = global_bindings()

    state = reactive("paused")          # paused / running / finished / error
    compact = reactive(False)
    page = reactive(1)

    def __init__(self, session, startup: Iterable[Job] = (), live: bool = True,
                 keymap_path: str | None = None, user_keys: bool = True, cursor_blink: bool = True,
                 notes: Iterable[str] = (), theme: str | None = None, remember_theme: bool = False):
        super().__init__()
        if theme is not None:
            self.theme = theme
        self.remember_theme = remember_theme    # a theme picked in the palette is kept
        self.session = session
        self.driver = SessionDriver(self, session, live=live)
        self.startup = list(startup)
        self.cursor_blink = cursor_blink
        self.snapshot: Snapshot | None = None       # the newest picture
        self.base: Snapshot | None = None           # the stop before it (for "changed")
        self.note = ""
        self.keymap_path = keymap_path
        self.user_keys = user_keys
        self.notes = list(notes)            # said once the app is up (restored breakpoints...)
        self.stride = 1                     # ticks moved by , and . (/ cycles it)

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield PageBar(id="pagebar")
        with Container(id="main"):
            yield SourceView(self.session.filename, id="source")
            yield BytecodeView(id="bytecode")
            yield StackView(id="stack")
            yield LocalsView(id="locals")
            yield FibersView(id="fibers")
            yield FramesView(self.session.filename, id="frames")
            yield SignalsView(id="signals")
            yield OutputView(id="output")
            yield WatchesView(id="watches")
            yield FuelView(id="fuel")
            yield JitView(id="jit")
        yield StatusLine(id="status")
        yield Footer()
        yield Static(f"vmdbg needs a terminal of at least {MIN_SIZE[0]}x{MIN_SIZE[1]}.\n"
                     "Make this window larger (or the font smaller).", id="too-small")

    def on_mount(self) -> None:
        if self.user_keys:
            known = {k.id for k in GLOBAL_KEYS} | {b.id for _, w in self.panel_bindings()
                                                    for _, b in w._bindings if b.id}
            keymap, problems = load_keymap(self.keymap_path, known)
            # Global keys are rebuilt in their own order (so the footer keeps its order and
            # shows the key in effect); the panels' remaps go through Textual's keymap.
            keys, clashes = effective_keys(keymap, self.keymap_path or config_path())
            ours = BindingsMap(global_bindings(keys))
            for key, bindings in self._bindings.key_to_bindings.items():
                for b in bindings:              # Textual's own (the palette's ctrl+p...)
                    if b.id not in KEYS_BY_ID and key not in ours.key_to_bindings:
                        ours.key_to_bindings.setdefault(key, []).append(b)
            self._bindings = ours
            panel_map = {i: ks for i, ks in keymap.items() if i not in KEYS_BY_ID}
            if panel_map:
                self.set_keymap(panel_map)
            self.refresh_bindings()
            for problem in problems + clashes:
                self.notify(problem, title="keys.toml", severity="warning")
        self.apply_size(self.size.width, self.size.height)
        if self.driver.live:
            self.set_interval(LIVE_TICK_INTERVAL, self.show_live_tick)
        self.watch_page()
        self.part(SourceView).focus()
        for note in self.notes:
            self.notify(note, title="vmdbg")
        self.submit(Job("snapshot", commands.snapshot))
        for job in self.startup:
            self.submit(job)

    def on_resize(self, event) -> None:
        self.apply_size(event.size.width, event.size.height)

    def apply_size(self, width: int, height: int) -> None:
        self.compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        self.screen_stack[0].set_class(width < MIN_SIZE[0] or height < MIN_SIZE[1], "-too-small")
        self.part(StatusLine).set_two_lines(not self.compact)
        main = self.part("#main")
        if self.compact:            # the pages' own grids (debugger.tcss)
            main.styles.clear_rule("grid_columns")
            main.styles.clear_rule("grid_rows")
        else:
            main.styles.grid_columns, main.styles.grid_rows = wide_grid(width, height)

    def watch_compact(self) -> None:
        self.page = min(self.page, len(self.pages))
        self.watch_page()

    @property
    def pages(self) -> tuple:
        return COMPACT_PAGES if self.compact else WIDE_PAGES

    def watch_page(self) -> None:
        main = self.part("#main")
        page_id = self.pages[min(self.page, len(self.pages)) - 1][0]
        main.set_classes(f"-page-{page_id}" + (" -compact" if self.compact else ""))
        hint = "" if self.compact else "  " + " · ".join(
            f"{self.first_key(i)} {word}" for i, word in
            (("step_into", "step"), ("step_over", "over"), ("continue", "continue"),
             ("toggle_breakpoint", "breakpoint"), ("help", "help")) if self.first_key(i))
        self.part(PageBar).set_pages(self.pages, page_id, hint)

    def watch_theme(self, theme: str) -> None:
        if getattr(self, "remember_theme", False):
            from vmdbg.tui import settings
            settings.save(theme=theme)

    def watch_state(self, old: str, new: str) -> None:
        # Only the status line restyles (a class on the screen would restyle every panel).
        status = self.part(StatusLine)
        status.remove_class(f"-{old}")
        status.add_class(f"-{new}")

    def panel_bindings(self) -> list[tuple[str, object]]:
        """(panel title, widget) of panels with their own keys, for help and remaps."""
        return [(w.border_title.split(" ·")[0], w) for w in self.panels if w._bindings.key_to_bindings]

    def part(self, selector):
        """A widget of the main screen (a modal may be on top), looked up once."""
        cache = self.__dict__.setdefault("_parts", {})
        widget = cache.get(selector)
        if widget is None:
            widget = cache[selector] = self.screen_stack[0].query_one(selector)
        return widget

    @property
    def panels(self) -> list:
        """Every panel widget (anything that can show a snapshot)."""
        if not getattr(self, "_panels", None):
            self._panels = [w for w in self.part("#main").children if isinstance(w, Panel)]
        return self._panels

    # -- commands -----------------------------------------------------------------

    def submit(self, job: Job) -> None:
        refused = self.driver.submit(job)
        if refused:
            self.say(refused)
        elif job.long and self.snapshot is not None:
            self.state = "running"
            self.part(StatusLine).show(replace(self.snapshot, status="running", reason="running"))

    def say(self, note: str) -> None:
        self.note = note
        if self.snapshot is not None:
            self.part(StatusLine).show(self.snapshot, note)

    def run_session(self, command: str, *args, long: bool = False) -> None:
        self.submit(Job(command, commands.call(command, *args), long))

    def action_step_into(self) -> None:
        self.run_session("step_line")

    def action_step_over(self) -> None:
        self.run_session("step_over")

    def action_step_out(self) -> None:
        self.run_session("step_out", long=True)

    def action_step_instruction(self) -> None:
        self.run_session("step_instruction")

    def action_continue(self) -> None:
        self.run_session("continue_", long=True)

    def action_pause(self) -> None:
        if not self.driver.pause():
            self.say("not running")

    def action_run_to_cursor(self) -> None:
        line = self._cursor_line()
        if line is not None:
            self.run_session("run_to", line, long=True)

    def action_restart(self) -> None:
        self.run_session("restart")

    def action_step_back(self) -> None:
        self.run_session("step_back_line")

    def action_step_back_over(self) -> None:
        self.run_session("step_back_over")

    def action_step_back_instruction(self) -> None:
        self.run_session("step_back")

    def action_reverse_continue(self) -> None:
        self.run_session("reverse_continue", long=True)

    def action_toggle_breakpoint(self) -> None:
        line = self._cursor_line()
        if line is not None:
            self.submit(Job("toggle_breakpoint", commands.toggle_line(line)))

    def action_frame_up(self) -> None:
        snap = self.snapshot
        if snap is not None:
            if snap.selected_frame + 1 >= snap.frame_count:
                self.notify("already at the outermost frame" if snap.frame_count else "no frames")
                return
            self.run_session("select_frame", snap.selected_frame + 1)

    def action_frame_down(self) -> None:
        snap = self.snapshot
        if snap is not None:
            if snap.selected_frame == 0:
                self.notify("already at the innermost frame" if snap.frame_count else "no frames")
                return
            self.run_session("select_frame", snap.selected_frame - 1)

    def action_add_watch(self) -> None:
        def added(expression: str | None) -> None:
            if expression:
                self.run_session("add_watch", expression)
        self.push_screen(WatchPrompt(), added)

    # -- the timeline ------------------------------------------------------------------

    STRIDES = (1, 10, 100, 1000)

    def action_tick_back(self) -> None:
        if self.snapshot is not None:
            self.run_session("goto_tick", max(0, self.snapshot.tick - self.stride), long=True)

    def action_tick_forward(self) -> None:
        if self.snapshot is not None:
            self.run_session("goto_tick", self.snapshot.tick + self.stride, long=True)

    def action_stride(self) -> None:
        self.stride = self.STRIDES[(self.STRIDES.index(self.stride) + 1) % len(self.STRIDES)]
        if self.snapshot is not None:
            self.part(PageBar).set_timeline(self.snapshot, self.stride)

    def action_goto_tick(self) -> None:
        def entered(text: str | None) -> None:
            if text is not None:
                if text.replace(",", "").replace("_", "").isdigit():
                    self.run_session("goto_tick", int(text.replace(",", "").replace("_", "")), long=True)
                else:
                    self.say(f"a tick is a whole number, not {text!r}")
        self.push_screen(TickPrompt(), entered)

    def action_previous_stop(self) -> None:
        snap = self.snapshot
        if snap is not None:
            earlier = [t for t in snap.stop_ticks if t < snap.tick]
            self.run_session("goto_tick", earlier[-1] if earlier else 0, long=True)

    def action_next_stop(self) -> None:
        snap = self.snapshot
        if snap is not None:
            later = [t for t in snap.stop_ticks if t > snap.tick]
            if later:
                self.run_session("goto_tick", later[0], long=True)
            else:
                self.action_continue()

    def action_command(self) -> None:
        def entered(line: str | None) -> None:
            if line:
                self.submit(commands.script_job([("command", 0, line)]))
        self.push_screen(CommandPrompt(), entered)

    def action_breakpoint_editor(self) -> None:
        self.push_screen(BreakpointEditor(self.snapshot, self._cursor_line(quiet=True)))

    def edit_breakpoint(self, request: BreakpointRequest) -> None:
        self.submit(Job("breakpoint", commands.edit_breakpoint(request)))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_page(self, number: int) -> None:
        if 1 <= number <= len(self.pages):
            self.page = number

    async def action_quit(self) -> None:
        self.driver.pause()
        self.exit()

    def _cursor_line(self, quiet: bool = False) -> int | None:
        source = self.part(SourceView)
        if source.file not in (None, self.session.filename):
            if not quiet:
                self.say(f"breakpoints and run-to work in {os.path.basename(self.session.filename)} only")
            return None
        return source.cursor_line

    # -- messages from panels ---------------------------------------------------------

    def on_toggle_breakpoint(self, message: ToggleBreakpoint) -> None:
        if self.part(SourceView).file in (None, self.session.filename):
            self.submit(Job("toggle_breakpoint", commands.toggle_line(message.line)))

    def on_select_frame(self, message: SelectFrame) -> None:
        self.run_session("select_frame", message.index)

    def on_select_fiber(self, message: SelectFiber) -> None:
        self.run_session("select_fiber", message.fiber_id)

    def on_remove_watch(self, message: RemoveWatch) -> None:
        self.run_session("remove_watch", message.expression)

    def on_show_jit_function(self, message: ShowJitFunction) -> None:
        self.submit(Job("jit_listing", commands.jit_listing(message.function)))

    # -- messages from the worker ---------------------------------------------------------

    def on_stopped(self, message: Stopped) -> None:
        snapshot = message.snapshot
        if self.snapshot is not None and snapshot.tick != self.snapshot.tick:
            self.base = self.snapshot if self.snapshot.status != "running" else self.base
        if message.command != "snapshot":       # a resync after a failure keeps its note
            self.note = ""
        self.render_snapshot(snapshot)

    def on_progress(self, message: Progress) -> None:
        if self.driver.running_long:
            self.render_snapshot(message.snapshot)

    def show_live_tick(self) -> None:
        """Between progress snapshots (a long compiled call sends none until it returns),
        the status line shows how far the program has got."""
        tick = self.driver.live_tick()
        if tick is not None and self.snapshot is not None and tick > self.snapshot.tick:
            self.part(StatusLine).show(replace(self.snapshot, status="running", reason="running"),
                                       tick_at_least=tick)

    def on_command_failed(self, message: CommandFailed) -> None:
        self.say(f"{message.command} failed: {message.error}")
        self.state = self.snapshot.status if self.snapshot is not None else "paused"
        if message.command != "snapshot":
            self.submit(Job("snapshot", commands.snapshot))

    def on_jit_listing(self, message: JitListing) -> None:
        self.part(JitView).set_listing(message.function, message.listing, message.note)

    def render_snapshot(self, snapshot: Snapshot) -> None:
        """Show one snapshot in every panel (and in an open breakpoint editor)."""
        self.snapshot = snapshot
        self.state = snapshot.status
        base = self.base
        for panel in self.panels:
            panel.show(snapshot, base)
        self.part(StatusLine).show(snapshot, self.note)
        self.part(PageBar).set_timeline(snapshot, self.stride)
        if isinstance(self.screen, BreakpointEditor):
            self.screen.show(snapshot)

    # -- command palette ------------------------------------------------------------

    def first_key(self, binding_id: str) -> str:
        """The key shown for a global binding: the first of its keys in effect ("" if none)."""
        for bindings in self._bindings.key_to_bindings.values():
            for b in bindings:
                if b.id == binding_id:
                    return b.key_display or self.get_key_display_for(b.key)
        return ""

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        ours = {k.description for k in GLOBAL_KEYS}
        for command in super().get_system_commands(screen):
            if command.title not in ours:       # Textual's own Quit: ours says its key
                yield command
        for k in GLOBAL_KEYS:
            key = self.first_key(k.id)
            yield SystemCommand(k.description, f"key: {key}" if key else "no key",
                                lambda action=k.action: self.call_later(self.run_action, action))

    def get_key_display_for(self, key: str) -> str:
        from textual.binding import Binding
        return self.get_key_display(Binding(key, ""))

