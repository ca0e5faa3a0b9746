"""The Output panel: everything the program printed (it never reaches the terminal directly)."""

from __future__ import annotations

from rich.text import Text

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import RowsView, clean

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
        old_shown, old_dropped, old_lit, old_trailer = self._shown_lines(), self.dropped, self.lit_from, self.trailer
        rebuilt = self._take(snapshot.output)
        total = self.dropped + self._shown_lines()
        self.lit_from = min(self.stop_total, total)
        if snapshot.status != "running":
            self.stop_total = total
        trailer = []
        if snapshot.error:
            trailer = [(line, "rows--error") for line in snapshot.error.splitlines()]
        elif snapshot.status == "finished":
            trailer = [("── the program finished ──", "output--end")]
        self.trailer = trailer
        count = self._shown_lines() + len(trailer)
        changed = None
        if not rebuilt and self.dropped == old_dropped:
            # Appending redraws the new rows (and the line that was unfinished) only.
            changed = set(range(max(0, old_shown - 1), count))
            if old_lit != self.lit_from:
                lo, hi = sorted((old_lit, self.lit_from))
                changed.update(range(lo - self.dropped, hi - self.dropped))
            if old_trailer != trailer:
                changed.update(range(min(old_shown, self._shown_lines()), count + len(old_trailer)))
        if changed is None or changed or count != self.row_count:
            self.set_row_count(count, changed)
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def _shown_lines(self) -> int:
        return len(self.lines) - (1 if self.lines[-1] == "" else 0)

    def _take(self, output: str) -> None:
        """Append what is new since the last snapshot, or start over if it is not a continuation."""
        old = self.text
        if output is old or output == old:
            return False
        tail = old[max(0, len(old) - 64):]
        rebuilt = False
        if len(output) >= len(old) and output[len(old) - len(tail):len(old)] == tail:
            pieces = output[len(old):].split("\n")
        else:                       # restarted or went back in time: nothing is new
            self.lines, self.dropped, rebuilt = [""], 0, True
            pieces = output.split("\n")
            self.stop_total = len(pieces)
        self.text = output
        self.lines[-1] += pieces[0]
        self.lines.extend(pieces[1:])
        if len(self.lines) > MAX_LINES:
            cut = len(self.lines) - MAX_LINES
            del self.lines[:cut]
            self.dropped += cut
        return rebuilt

    def row_text(self, index: int) -> Text:
        shown = self._shown_lines()
        if index >= shown:
            line, cls = self.trailer[index - shown]
            return Text(clean(line), self.style(cls))
        new = self.dropped + index >= self.lit_from
        return Text(clean(self.lines[index]), self.style("output--new") if new else "")
