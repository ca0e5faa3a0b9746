"""The page bar: which page of panels is showing; pages depend on the terminal size."""

from __future__ import annotations

from rich.text import Text
from textual.events import Click
from textual.widgets import Static

from vmdbg.tui.widgets.rows import component_style

# Wide terminals show every panel on one page; small ones split them.
WIDE_PAGES = (("all", "Debugger"), ("jit", "JIT"))
COMPACT_PAGES = (("code", "Source"), ("bytecode", "Bytecode"), ("fibers", "Fibers"),
                 ("output", "Output"), ("jit", "JIT"))


class PageBar(Static):
    """`1 Source  2 Bytecode ...`: press the digit or click the name."""

    COMPONENT_CLASSES = {"pagebar--active", "pagebar--key", "pagebar--hint"}

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.pages: tuple = WIDE_PAGES
        self.active = "all"
        self.spans: list[tuple[int, int, int]] = []     # (start, end, page number)
        self.hint = ""
        self.timeline = Text()

    def set_timeline(self, snapshot, stride: int) -> None:
        """The scrubber: where this tick lies between 0 and the latest tick reached, with
        a mark at each breakpoint hit so far, and the stride , and . move by."""
        style = lambda name: component_style(self, name)
        width = 24
        end = max(snapshot.furthest, snapshot.tick, 1)
        cells = ["─"] * width
        for t in snapshot.stop_ticks:
            cells[min(width - 1, t * width // (end + 1))] = "┼"
        cells[min(width - 1, snapshot.tick * width // (end + 1))] = "●"
        text = Text(no_wrap=True)
        text.append("  ", style("pagebar--hint"))
        text.append(f"{snapshot.tick:,} ", style("pagebar--key"))
        text.append("".join(cells), style("pagebar--hint"))
        text.append(f" {end:,} · stride {stride}", style("pagebar--hint"))
        if text.plain != self.timeline.plain:
            self.timeline = text
            self.set_pages(self.pages, self.active, self.hint)

    def set_pages(self, pages: tuple, active: str, hint: str = "") -> None:
        self.pages, self.active, self.hint = pages, active, hint
        style = lambda name: component_style(self, name)
        text = Text(no_wrap=True, overflow="ellipsis")
        self.spans = []
        for number, (page_id, title) in enumerate(pages, 1):
            start = len(text)
            text.append(f" {number} ", style("pagebar--key"))
            text.append(f"{title} ", style("pagebar--active") if page_id == active else "")
            self.spans.append((start, len(text), number))
            text.append(" ")
        if hint:
            text.append(hint, style("pagebar--hint"))
        text.append_text(self.timeline)
        self.update(text)

    async def on_click(self, event: Click) -> None:
        for start, end, number in self.spans:
            if start <= event.x < end:
                await self.app.run_action(f"page({number})")
