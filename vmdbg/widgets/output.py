"""The Output panel: everything the program printed (it never reaches the terminal directly)."""

from __future__ import annotations

from rich.text import Text

from vmdbg.snapshot import Snapshot
from vmdbg.widgets.rows import RowsView, clean

MAX_LINES = 100_000


class OutputView(RowsView):
    """Program output, newest at the bottom; lines printed since the last stop are lit."""

    COMPONENT_CLASSES = RowsView.COMPONENT_CLASSES | {"output--new", "output--end"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Output"
        self.text = ""
        self.lines = [""]            # output.split("\n"): the last item is the unfinished line
        self.dropped = 0             # lines dropped from the front to stay under MAX_LINES
        self.lit_from = 0            # absolute line number where "new since the last stop" starts
        self.stop_total = 0          # line count at the last stop
        self.trailer: list[tuple[str, str]] = []
        self.empty_text = "(no output yet)"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        self._take(snapshot.output)
        total = self.dropped + self._shown_lines()
        self.lit_from = min(self.stop_total, total)
        if snapshot.status != "running":
            self.stop_total = total
        self.trailer = []
        if snapshot.error:
            self.trailer = [(line, "rows--error") for line in snapshot.error.splitlines()]
        elif snapshot.status == "finished":
            self.trailer = [("── the program finished ──", "output--end")]
        self.set_row_count(self._shown_lines() + len(self.trailer))
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def _shown_lines(self) -> int:
        return len(self.lines) - (1 if self.lines[-1] == "" else 0)

    def _take(self, output: str) -> None:
        """Append what is new since the last snapshot, or start over if it is not a continuation."""
        old = self.text
        if output is old:
            return
        tail = old[max(0, len(old) - 64):]
        if len(output) >= len(old) and output[len(old) - len(tail):len(old)] == tail:
            pieces = output[len(old):].split("\n")
        else:                       # restarted or went back in time: nothing is new
            self.lines, self.dropped = [""], 0
            pieces = output.split("\n")
            self.stop_total = len(pieces)
        self.text = output
        self.lines[-1] += pieces[0]
        self.lines.extend(pieces[1:])
        if len(self.lines) > MAX_LINES:
            cut = len(self.lines) - MAX_LINES
            del self.lines[:cut]
            self.dropped += cut

    def row_text(self, index: int) -> Text:
        shown = self._shown_lines()
        if index >= shown:
            line, cls = self.trailer[index - shown]
            return Text(clean(line), self.style(cls))
        new = self.dropped + index >= self.lit_from
        return Text(clean(self.lines[index]), self.style("output--new") if new else "")
