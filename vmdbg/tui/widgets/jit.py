"""The JIT tab: each function's tier (or why the JIT refused it) and its native listings."""

from __future__ import annotations

from pygments.lexers import GasLexer, LlvmLexer
from pygments.token import Comment, Keyword, Name, Number, String
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from vmdbg.tui.lexers import VmdbgDisassemblyLexer
from vmdbg.tui.messages import ShowJitFunction
from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import CursorRowsView, Panel, clean, retitle


# Pygments token type -> component class, for the three listings.
LISTING_TOKENS = (
    (Comment, "listing--comment"),
    (String, "listing--string"),
    (Number, "listing--number"),
    (Keyword, "listing--keyword"),
    (Name.Function, "listing--op"),
    (Name.Builtin, "listing--op"),
    (Name, "listing--name"),
)


def highlight(body: str, lexer) -> list[list[tuple[str, str]]]:
    """Per line of `body`, [(component class or "", text), ...]."""
    lines: list[list] = [[]]
    for ttype, value in lexer.get_tokens(body):
        cls = next((c for t, c in LISTING_TOKENS if ttype in t), "")
        for i, part in enumerate(value.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append((cls, part))
    return lines[:-1] if lines and not lines[-1] else lines


class ListingView(CursorRowsView):
    """Bytecode, optimised LLVM IR and assembly of the chosen function, one after another,
    each coloured by its Pygments lexer (ours for the bytecode, LLVM's, GNU assembler's)."""

    COMPONENT_CLASSES = CursorRowsView.COMPONENT_CLASSES | {
        "listing--header", "listing--comment", "listing--string", "listing--number",
        "listing--keyword", "listing--op", "listing--name"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Listing"
        self.lines: list[tuple[list, bool]] = []      # ([(class, text), ...], is a header)
        self.empty_text = "(choose a compiled function above)"

    def set_listing(self, name: str, listing: tuple | None, note: str = "") -> None:
        retitle(self, title=f"Listing · {name}")
        if listing is None:
            self.lines = [([("", note or f"{name} has no native code (it runs in the interpreter)")], False)]
        else:
            self.lines = []
            lexers = (VmdbgDisassemblyLexer(), LlvmLexer(), GasLexer())
            for title, body, lexer in zip(("bytecode", "optimised LLVM IR", "assembly"), listing, lexers):
                self.lines.append(([("", f"── {title} ──")], True))
                self.lines.extend((parts, False) for parts in highlight(body or "", lexer))
        self.cursor = 0
        self.set_row_count(len(self.lines))
        self.scroll_to(y=0, animate=False)

    def row_text(self, index: int) -> Text:
        parts, header = self.lines[index]
        if header:
            return Text(clean(parts[0][1]), self.style("listing--header"))
        text = Text(no_wrap=True)
        for cls, part in parts:
            text.append(clean(part), self.style(cls) if cls else "")
        return text


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
