"""The Stack panel: the selected frame's operand stack, top first, changed slots lit."""

from __future__ import annotations

from rich.text import Text

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import RowsView, changed_rows, clean, same_frame


class StackView(RowsView):
    """Operand stack of the selected frame; [n] is the slot counted from the bottom."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Stack"
        self.rows: list[tuple[int, str, bool]] = []
        self.empty_text = "(empty)"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        base = snapshot.stack_size - len(snapshot.stack)
        old = {}
        if previous is not None and same_frame(snapshot, previous):
            pbase = previous.stack_size - len(previous.stack)
            old = {pbase + i: v for i, v in enumerate(previous.stack)}
        rows = []
        for i in reversed(range(len(snapshot.stack))):
            slot, value = base + i, snapshot.stack[i]
            rows.append((slot, value, bool(old) and old.get(slot) != value))
        if base > 0:
            rows.append((-base, "", False))
        changed = changed_rows(self.rows, rows)
        self.rows = rows
        self.set_row_count(len(rows), changed)

    def row_text(self, index: int) -> Text:
        slot, value, changed = self.rows[index]
        if slot < 0:
            return Text(f"… {-slot} more below", self.style("rows--dim"))
        text = Text()
        text.append(f"[{slot}] ", self.style("rows--name"))
        text.append(clean(value), self.style("rows--changed") if changed else "")
        if index == 0:
            text.append("  ← top", self.style("rows--dim"))
        return text
