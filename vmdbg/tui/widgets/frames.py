"""The Frames panel: the shown fiber's call frames, innermost first; choose one to inspect."""

from __future__ import annotations

import os

from rich.text import Text

from vmdbg.tui.messages import SelectFrame
from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import CursorRowsView, changed_rows, clean, retitle


class FramesView(CursorRowsView):
    """#index function file:line @ip; the selected frame is marked ▶ (click or enter selects)."""

    COMPONENT_CLASSES = CursorRowsView.COMPONENT_CLASSES | {"frames--selected"}

    def __init__(self, program_file: str = "", **kwargs):
        super().__init__(**kwargs)
        self.program_file = program_file
        self.border_title = "Frames"
        self.snapshot: Snapshot | None = None
        self.empty_text = "(no frames)"
        self.keys: list = []

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        self.snapshot = snapshot
        more = snapshot.frame_count - len(snapshot.frames)
        retitle(self, subtitle=f"{snapshot.frame_count} deep" if snapshot.frame_count > 1 else "")
        keys = [(f.index, f.function, f.file, f.line, f.ip, f.tier, f.index == snapshot.selected_frame)
                for f in snapshot.frames] + ([more] if more > 0 else [])
        changed = changed_rows(self.keys, keys)
        self.keys = keys
        self.set_row_count(len(keys), changed)
        if snapshot.selected_frame < len(snapshot.frames):
            self.set_reactive(FramesView.cursor, snapshot.selected_frame)
            self.scroll_row_into_view(snapshot.selected_frame)

    def row_text(self, index: int) -> Text:
        snap = self.snapshot
        if index >= len(snap.frames):
            return Text(f"… {snap.frame_count - len(snap.frames)} older frames", self.style("rows--dim"))
        frame = snap.frames[index]
        selected = index == snap.selected_frame
        text = Text()
        text.append("▶ " if selected else "  ", self.style("frames--selected"))
        text.append(f"#{frame.index} ", self.style("rows--dim"))
        text.append(clean(frame.function, 40), self.style("frames--selected") if selected else self.style("rows--name"))
        line = frame.line if frame.line is not None else "?"
        # The program's own file goes without saying; the prelude's does not.
        where = f"line {line}" if frame.file == self.program_file \
            else f"{os.path.basename(frame.file or '?')}:{line}"
        text.append(f"  {clean(where)} @{frame.ip:04d}", self.style("rows--dim"))
        if frame.tier != "interp":
            text.append(f" [{frame.tier}]", self.style("rows--marker"))
        return text

    def row_clicked(self, index: int, x: int) -> None:
        if self.snapshot is not None and index < len(self.snapshot.frames):
            self.post_message(SelectFrame(index))
