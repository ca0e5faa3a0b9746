"""The status line: state, stop reason, tick, fiber, and what the next instruction does."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import clean, component_style

REASONS = {
    "entry": "at the start", "step": "step", "breakpoint": "breakpoint", "signal": "catchpoint",
    "pause": "paused by you", "finished": "finished", "error": "uncaught error",
    "fuel": "out of fuel", "running": "running", "reverse step": "reverse step",
}


class StatusLine(Static):
    """One line; the app's state classes (-running, -error...) on the screen colour it."""

    COMPONENT_CLASSES = {"status--state", "status--sep", "status--note", "status--explain"}

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.text = Text()
        self.shown: tuple | None = None     # show()'s arguments, to redraw on a new layout

    def set_two_lines(self, two: bool) -> None:
        """Wide layouts give the explanation a line of its own (one line would cut it)."""
        if two != self.has_class("-two-lines"):
            self.set_class(two, "-two-lines")
            if self.shown is not None:
                self.show(*self.shown)

    def show(self, snapshot: Snapshot, note: str = "", tick_at_least: int | None = None) -> None:
        """`tick_at_least`: while compiled code runs a long call, the snapshot is older than
        the program; the line then shows the live lower bound of its tick."""
        self.shown = (snapshot, note, tick_at_least)
        style = lambda name: component_style(self, name)
        sep = Text(" │ ", style("status--sep"))
        text = Text()
        text.append(f" {snapshot.status.upper()} ", style("status--state"))
        reason = (f"went to tick {snapshot.tick:,}" if snapshot.reason == "goto"
                  else REASONS.get(snapshot.reason, snapshot.reason))
        parts = [Text(reason), Text(f"tick {snapshot.tick:,}" if tick_at_least is None
                                     else f"tick ≥ {tick_at_least:,}")]
        if snapshot.inspecting:
            status = next((f.status for f in snapshot.fibers if f.id == snapshot.fiber_id), "?")
            parts.append(Text(f"inspecting fiber #{snapshot.fiber_id} ({status})", style("status--note")))
        elif snapshot.current_fiber_id is not None:
            parts.append(Text(f"fiber #{snapshot.current_fiber_id}"))
        if snapshot.selected_frame:
            parts.append(Text(f"frame #{snapshot.selected_frame}", style("status--note")))
        message = note or snapshot.message
        if snapshot.error and snapshot.status == "error":
            parts.append(Text(clean(snapshot.error.splitlines()[0], 200), style("status--note")))
        elif message:
            parts.append(Text(clean(message, 200), style("status--note")))
        explain = None
        if snapshot.explanation and snapshot.status in ("paused", "running"):
            explain = Text(clean(snapshot.explanation, 300), style("status--explain"))
        two = self.has_class("-two-lines")
        if explain is not None and not two:
            parts.append(explain)
        text.append(" ")
        text.append(sep.join(parts))
        if two:
            text.append("\n")
            if explain is not None:
                text.append("   ")
                text.append(explain)
        text.no_wrap = True
        text.overflow = "ellipsis"
        if text != self.text:
            # Static.update would re-run layout; one line never changes size, so repaint only.
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text
