"""The Watches panel: expressions evaluated at every stop in the selected frame."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from vmdbg.tui.messages import RemoveWatch
from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import CursorRowsView, changed_rows, clean


class WatchesView(CursorRowsView):
    """expression = value; `w` adds one, delete (or x) removes the one under the cursor."""

    BINDINGS = [Binding("delete,x", "remove_watch", "Remove watch", id="remove_watch")]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Watches"
        self.rows: list[tuple[str, str, bool]] = []
        self.empty_text = "(none: press w to add one)"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        old = previous.watches if previous is not None else {}
        rows = [(expr, value, expr in old and old[expr] != value)
                for expr, value in snapshot.watches.items()]
        changed = changed_rows(self.rows, rows)
        self.rows = rows
        self.set_row_count(len(rows), changed)

    def row_text(self, index: int) -> Text:
        expr, value, changed = self.rows[index]
        text = Text()
        text.append(clean(expr), self.style("rows--name"))
        text.append(" = ", self.style("rows--dim"))
        style = "rows--error" if value.startswith("error: ") else "rows--changed" if changed else ""
        text.append(clean(value), self.style(style) if style else "")
        return text

    def action_remove_watch(self) -> None:
        if 0 <= self.cursor < len(self.rows):
            self.post_message(RemoveWatch(self.rows[self.cursor][0]))
