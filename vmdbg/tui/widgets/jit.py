"""The JIT tab: each function's tier (or why the JIT refused it) and its native listings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from vmdbg.tui.messages import ShowJitFunction
from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import CursorRowsView, Panel, clean, retitle


class ListingView(CursorRowsView):
    """Bytecode, optimised LLVM IR and assembly of the chosen function, one after another."""

    COMPONENT_CLASSES = CursorRowsView.COMPONENT_CLASSES | {"listing--header"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Listing"
        self.lines: list[tuple[str, bool]] = []
        self.empty_text = "(choose a compiled function above)"

    def set_listing(self, name: str, listing: tuple | None, note: str = "") -> None:
        retitle(self, title=f"Listing · {name}")
        if listing is None:
            self.lines = [(note or f"{name} has no native code (it runs in the interpreter)", False)]
        else:
            self.lines = []
            for title, body in zip(("bytecode", "optimised LLVM IR", "assembly"), listing):
                self.lines.append((f"── {title} ──", True))
                self.lines.extend((line, False) for line in (body or "").splitlines())
        self.cursor = 0
        self.set_row_count(len(self.lines))
        self.scroll_to(y=0, animate=False)

    def row_text(self, index: int) -> Text:
        line, header = self.lines[index]
        return Text(clean(line), self.style("listing--header") if header else "")


class JitView(Vertical, Panel):
    """The function table (name, tier, note) above the listing of the chosen one."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "JIT"
        self.functions: tuple | None = None
        self.threshold: int | None = None

    def compose(self) -> ComposeResult:
        table = DataTable(id="jit-functions", cursor_type="row", zebra_stripes=True)
        table.add_columns("function", "tier", "why not compiled")
        yield table
        yield ListingView(id="jit-listing")

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        if snapshot.functions == self.functions and snapshot.jit_threshold == self.threshold:
            return
        self.threshold = snapshot.jit_threshold
        self.functions = snapshot.functions
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for name, tier, reason in snapshot.functions:
            table.add_row(clean(name, 40), tier, clean(reason, 200))
        if not snapshot.jit_threshold:
            retitle(self, subtitle="the JIT is off: start with  vmdbg FILE --jit 10")
        elif not snapshot.functions:
            retitle(self, subtitle=f"the JIT is on (--jit {snapshot.jit_threshold}): no function yet")
        else:
            compiled = sum(1 for _, tier, _ in snapshot.functions if tier != "interp")
            retitle(self, subtitle=f"{compiled} of {len(snapshot.functions)} compiled")
            table.move_cursor(row=min(row, len(snapshot.functions) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.functions):
            self.post_message(ShowJitFunction(self.functions[event.cursor_row][0]))

    def set_listing(self, name: str, listing: tuple | None, note: str = "") -> None:
        self.query_one(ListingView).set_listing(name, listing, note)
