"""The Locals panel: names in scope in the selected frame and their values."""

from __future__ import annotations

from rich.text import Text

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import RowsView, changed_rows, clean, retitle, same_frame


class LocalsView(RowsView):
    """name = value, by name, changed values lit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Locals"
        self.rows: list[tuple[str, str, bool]] = []
        self.name_width = 1
        self.empty_text = "(none in scope)"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        frame = snapshot.frames[snapshot.selected_frame] if snapshot.selected_frame < len(snapshot.frames) else None
        values = frame.locals if frame is not None else {}
        old = None
        if previous is not None and same_frame(snapshot, previous):
            pframe = previous.frames[previous.selected_frame] if previous.selected_frame < len(previous.frames) else None
            old = pframe.locals if pframe is not None else None
        rows = [(name, value, old is not None and old.get(name) != value)
                for name, value in values.items()]
        width = min(max((len(n) for n in values), default=1), 16)
        changed = changed_rows(self.rows, rows) if width == self.name_width else None
        self.rows, self.name_width = rows, width
        retitle(self, subtitle=frame.function if frame is not None else "")
        self.set_row_count(len(rows), changed)

    def row_text(self, index: int) -> Text:
        name, value, changed = self.rows[index]
        text = Text()
        text.append(clean(name).ljust(self.name_width), self.style("rows--name"))
        text.append(" = ", self.style("rows--dim"))
        text.append(clean(value), self.style("rows--changed") if changed else "")
        return text
