"""Modal screens: help (built from the live bindings), the watch prompt, the breakpoint editor."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static

from vmdbg.core.script import parse_where  # noqa: F401  (the editor's Where field)
from vmdbg.tui.keys import GLOBAL_KEYS, config_path
from vmdbg.core.snapshot import Snapshot

MOUSE_HELP = (
    ("click the Source gutter", "toggle a breakpoint there"),
    ("click a frame", "inspect that frame"),
    ("click a fiber", "inspect it (the current one: back)"),
    ("click a page name", "show that page"),
)


def live_keys(node, keymap: dict) -> dict[str, list[str]]:
    """binding id (or action) -> keys in effect on `node`, after the user's remaps."""
    bindings = node._bindings.copy()
    if keymap:
        bindings.apply_keymap(keymap)
    out: dict[str, list[str]] = {}
    for key, binding_list in bindings.key_to_bindings.items():
        for binding in binding_list:
            out.setdefault(binding.id or binding.action, []).append(key)
    return out


def key_label(app, keys: list[str]) -> str:
    return ", ".join(dict.fromkeys(app.get_key_display_for(k) for k in keys))


class HelpScreen(ModalScreen):
    """Every key in effect now, grouped, plus the mouse and where remaps live."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="close_help")]
    LEFT_GROUPS = ("Step", "Run", "Reverse", "Breakpoints")

    def compose(self) -> ComposeResult:
        app = self.app
        keys = live_keys(app, app._keymap)
        left, right = Text(), Text()
        group = None
        pages = len(app.pages)
        for k in GLOBAL_KEYS:
            if k.group == "Pages" and int(k.id.removeprefix("page_")) > pages:
                continue                # only the pages this terminal size has
            text = left if k.group in self.LEFT_GROUPS else right
            if k.group != group:
                group = k.group
                text.append(f"{group}\n", "bold underline")
            shown = key_label(app, keys.get(k.id, [])) or "(unbound)"
            text.append(f"  {shown:<14}", "bold")
            text.append(f"{k.description}\n")
        for title, widget in app.panel_bindings():
            panel_keys = live_keys(widget, app._keymap)
            # Only the panel's own commands (they have ids); list movement is described once.
            rows = dict.fromkeys((b.description, tuple(panel_keys.get(b.id, [])))
                                 for _, b in widget._bindings if b.id)
            if not rows:
                continue
            left.append(f"In the {title} panel\n", "bold underline")
            for description, ks in rows:
                left.append(f"  {key_label(app, list(ks)):<14}", "bold")
                left.append(f"{description}\n")
        left.append("In any panel\n", "bold underline")
        left.append(f"  {'↑ ↓ pgup pgdn':<14}", "bold")
        left.append("move the cursor (home / end too)\n")
        left.append(f"  {'enter':<14}", "bold")
        left.append("choose the row under the cursor\n")
        left.append(f"  {'tab':<14}", "bold")
        left.append("next panel\n")
        right.append("Mouse\n", "bold underline")
        for what, does in MOUSE_HELP:
            right.append(f"  {what:<24}", "bold")
            right.append(f"{does}\n")
        right.append("\nctrl+p: the command palette lists every action.\n")
        path = config_path().replace(os.path.expanduser("~"), "~", 1)
        right.append(f"Remap keys by binding id in\n{path}\n(or the file $VMDBG_KEYS names)\n", "italic")
        with Vertical(id="help-box") as box:
            box.border_title = "Help · keys in effect"
            box.border_subtitle = "escape closes"
            with VerticalScroll():
                with Horizontal(id="help-columns"):
                    yield Static(left, id="help-left")
                    yield Static(right, id="help-right")

    def action_dismiss(self) -> None:
        self.dismiss(None)


class WatchPrompt(ModalScreen[str | None]):
    """Ask for an expression to watch; enter adds it, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_watch")]
    TITLE, LABEL, PLACEHOLDER = ("Add a watch", "An expression, evaluated in the selected frame at every stop:",
                                 "(+ total i)")

    def compose(self) -> ComposeResult:
        with Vertical(id="watch-box") as box:
            box.border_title = self.TITLE
            yield Label(self.LABEL)
            field = Input(placeholder=self.PLACEHOLDER, id="watch-input")
            field.cursor_blink = self.app.cursor_blink
            yield field

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TickPrompt(WatchPrompt):
    """Ask for a tick to go to."""

    TITLE = "Go to tick"
    LABEL = "A tick (instructions since the start); going forward stops at breakpoints:"
    PLACEHOLDER = "1000"


class CommandPrompt(WatchPrompt):
    """Ask for one line of the command language (the same as `vmdbg FILE -x CMDS`)."""

    TITLE = "Debugger command"
    LABEL = "break, log, catch, delete, watch, continue, step, next, finish, back, run-to, tick, print ..."
    PLACEHOLDER = "break 12 if (> i 3)"


@dataclass
class BreakpointRequest:
    """What the editor asks the app to do; the app runs it as a session command."""

    action: str                  # add / remove / enable / disable / catch / uncatch
    where: str = ""
    condition: str = ""
    hit_count: str = ""
    log_message: str = ""
    bp_id: int | None = None


class BreakpointEditor(ModalScreen):
    """Add, change, disable and delete breakpoints; tick signals to stop when they are emitted."""

    BINDINGS = [Binding("escape", "close", "Close", id="close_breakpoints"),
                Binding("delete", "delete", "Delete the highlighted breakpoint", id="delete_breakpoint"),
                Binding("space", "toggle", "Enable / disable the highlighted breakpoint", id="toggle_enabled")]

    def __init__(self, snapshot: Snapshot | None, cursor_line: int | None = None):
        super().__init__()
        self.snapshot = snapshot
        self.cursor_line = cursor_line
        self.ids: list[int] = []

    def compose(self) -> ComposeResult:
        blink = self.app.cursor_blink
        with Vertical(id="bp-box") as box:
            box.border_title = "Breakpoints"
            box.border_subtitle = "escape closes · space enables/disables · delete removes"
            table = DataTable(id="bp-table", cursor_type="row")
            table.add_columns("on", "where", "hits", "condition", "hit count", "log message")
            yield table
            for label, field_id, hint in (
                    ("Where", "bp-where", "line number, function name, name@offset, or :signal"),
                    ("Condition", "bp-condition", "stop only when this expression is truthy"),
                    ("Hit count", "bp-hits", "stop from the Nth hit on"),
                    ("Log message", "bp-log", "print this instead of stopping; {expr} is replaced")):
                with Horizontal(classes="bp-field"):
                    yield Label(label)
                    field = Input(placeholder=hint, id=field_id, compact=True)
                    field.cursor_blink = blink
                    yield field
            with Horizontal(id="bp-buttons"):
                yield Button("Add", id="bp-add", variant="primary", compact=True)
                yield Button("Replace highlighted", id="bp-replace", compact=True)
                yield Button("Enable/disable", id="bp-toggle", compact=True)
                yield Button("Delete", id="bp-delete", variant="error", compact=True)
            yield Label("Stop when a signal is emitted (catchpoints):", id="bp-catch-label")
            with Horizontal(id="bp-catch"):
                for name, _ in (self.snapshot.signal_names if self.snapshot else ()):
                    yield Checkbox(f":{name}", id=f"catch-{name}", compact=True)

    def on_mount(self) -> None:
        if self.cursor_line is not None:
            self.query_one("#bp-where", Input).value = str(self.cursor_line)
        self.show(self.snapshot)
        self.query_one("#bp-where", Input).focus()

    def show(self, snapshot: Snapshot | None, previous: Snapshot | None = None) -> None:
        if snapshot is None:
            return
        self.snapshot = snapshot
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.ids = []
        caught = set()
        for bp in snapshot.breakpoints:
            where = bp.description + ("" if bp.verified else f" ({bp.message})")
            table.add_row("●" if bp.enabled else "○", where, str(bp.hits), bp.condition or "",
                          str(bp.hit_count or ""), bp.log_message or "")
            self.ids.append(bp.id)
            if bp.kind == "signal" and bp.enabled:
                caught.add(bp.description.removeprefix("signal ").strip().lstrip(":"))
        if self.ids:
            table.move_cursor(row=min(max(row, 0), len(self.ids) - 1))
        for name, _ in snapshot.signal_names:
            for box in self.query(f"#catch-{name}").results(Checkbox):
                with box.prevent(Checkbox.Changed):
                    box.value = name in caught

    def _highlighted(self) -> int | None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.ids):
            return self.ids[table.cursor_row]
        return None

    def _form(self, action: str, bp_id: int | None = None) -> BreakpointRequest:
        value = lambda i: self.query_one(f"#{i}", Input).value.strip()
        return BreakpointRequest(action, value("bp-where"), value("bp-condition"), value("bp-hits"),
                                 value("bp-log"), bp_id)

    def _add(self) -> None:
        """Add what the form says, then empty the form: the next breakpoint starts afresh
        (it would otherwise silently copy this one's condition or log message)."""
        request = self._form("add")
        if self._duplicate(request):
            self.app.notify(f"that breakpoint is already set ({request.where})", severity="warning")
            return
        self.app.edit_breakpoint(request)
        for field_id in ("bp-where", "bp-condition", "bp-hits", "bp-log"):
            self.query_one(f"#{field_id}", Input).value = ""

    def _duplicate(self, request: BreakpointRequest) -> bool:
        try:
            where = parse_where(request.where)
        except ValueError:
            return False
        for bp in self.snapshot.breakpoints if self.snapshot else ():
            same_place = ((bp.kind == "line" and where.get("line") == bp.line) or
                          (bp.kind == "function" and where.get("function") == bp.description.removeprefix("function ")))
            if same_place and (bp.condition or "") == request.condition and \
                    str(bp.hit_count or "") == request.hit_count and (bp.log_message or "") == request.log_message:
                return True
        return False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "bp-add":
            self._add()
        elif event.button.id == "bp-replace" and self._highlighted() is not None:
            self.app.edit_breakpoint(self._form("replace", self._highlighted()))
        elif event.button.id == "bp-toggle":
            self.action_toggle()
        elif event.button.id == "bp-delete":
            self.action_delete()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._add()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        name = (event.checkbox.id or "").removeprefix("catch-")
        self.app.edit_breakpoint(BreakpointRequest("catch" if event.value else "uncatch", f":{name}"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        bp_id = self._highlighted()
        bp = next((b for b in self.snapshot.breakpoints if b.id == bp_id), None) if self.snapshot else None
        if bp is None or not self.query_one(DataTable).has_focus:
            return
        where = {"line": str(bp.line), "signal": bp.description.removeprefix("signal ")}.get(
            bp.kind, bp.description.removeprefix("function ").replace(" @", "@"))
        for field_id, value in (("bp-where", where), ("bp-condition", bp.condition),
                                ("bp-hits", bp.hit_count), ("bp-log", bp.log_message)):
            self.query_one(f"#{field_id}", Input).value = str(value or "")

    def action_toggle(self) -> None:
        bp_id = self._highlighted()
        bp = next((b for b in self.snapshot.breakpoints if b.id == bp_id), None) if self.snapshot else None
        if bp is not None:
            self.app.edit_breakpoint(BreakpointRequest("disable" if bp.enabled else "enable", bp_id=bp.id))

    def action_delete(self) -> None:
        bp_id = self._highlighted()
        if bp_id is not None:
            self.app.edit_breakpoint(BreakpointRequest("remove", bp_id=bp_id))

    def action_close(self) -> None:
        self.dismiss(None)
