"""The Source panel: highlighted program text, the current form, a breakpoint gutter, a cursor."""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from functools import lru_cache

from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String
from rich.text import Text
from textual.binding import Binding

from vmdbg.tui.lexers import VmdbgLispLexer
from vmdbg.tui.messages import ToggleBreakpoint
from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import CursorRowsView, clean, retitle

# Pygments token type -> component class; the stylesheet picks the colours.
TOKEN_CLASSES = (
    (Comment, "source--comment"),
    (String, "source--string"),
    (Number, "source--number"),
    (Name.Constant, "source--keyword"),       # :keywords
    (Name.Builtin, "source--special"),        # defn, let, each...
    (Keyword, "source--special"),             # fn, var, while, nil...
    (Name.Function, "source--call"),          # the head of a call
    (Punctuation, "source--punct"),
    (Operator, "source--punct"),
)
GUTTER = 8          # "●  123 ▶" : breakpoint, line number, current-line mark


def _token_class(ttype) -> str:
    return next((c for t, c in TOKEN_CLASSES if ttype in t), "")


def _lex_lines(text: str) -> list:
    """Per line of `text`, ((component class or "", text), ...)."""
    lines: list[list] = [[]]
    for ttype, value in VmdbgLispLexer(stripnl=False, ensurenl=False).get_tokens(text):
        cls = _token_class(ttype)
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if part:
                lines[-1].append((cls, part))
    return [tuple(line) for line in lines]


# Tokens that may span lines: strings (also in a comment's place, so a quote in a comment
# starts none) and long strings between runs of backticks.
_SPANNING = re.compile(r'#[^\n]*|@?"(?:\\.|[^"\\])*"?|@?(`+)[\s\S]+?\1')


class LazyTokens:
    """tokenize()'s lines, lexed a block of lines at a time when a line is first asked
    for, so a large file shows its visible part at once. A block is lexed from the
    nearest line before it that does not start inside a string (the lexer is at its root
    state there, as lexing the whole file would have it), up to the first such line after
    it: the same tokens as lexing the whole file."""

    BLOCK = 128

    def __init__(self, text: str):
        # What Pygments does to its input first (so lines are counted alike).
        if text.startswith("\ufeff"):
            text = text[1:]
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts                # offset where each line begins
        # Lines that begin inside a token spanning lines: no block may start lexing there.
        inside = set()
        for m in _SPANNING.finditer(text):
            if "\n" in m.group():
                first = bisect_right(starts, m.start()) - 1
                last = bisect_right(starts, m.end() - 1) - 1
                inside.update(range(first + 1, last + 1))
        self.inside = inside
        self.blocks: dict[int, list] = {}

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> tuple:
        if index < 0:
            index += len(self.starts)
        k, i = divmod(index, self.BLOCK)
        block = self.blocks.get(k)
        if block is None:
            block = self.blocks[k] = self._lex_block(k)
        return block[i]

    def _lex_block(self, k: int) -> list:
        n = len(self.starts)
        first = k * self.BLOCK
        end = min(first + self.BLOCK, n)
        begin = first
        while begin in self.inside:
            begin -= 1
        stop = end
        while stop < n and stop in self.inside:
            stop += 1
        text = self.text[self.starts[begin]:self.starts[stop] - 1 if stop < n else len(self.text)]
        # After a newline, as in the whole text (and a byte order mark there is kept).
        lines = _lex_lines("\n" + text)
        return lines[1 + first - begin:1 + end - begin]


@lru_cache(maxsize=4)
def tokenize(text: str) -> LazyTokens:
    """Per line, ((component class or "", text), ...) for the whole file, each line lexed
    when first asked for (LazyTokens)."""
    return LazyTokens(text)


class SourceView(CursorRowsView):
    """The program around the current form; click the gutter to toggle a breakpoint."""

    COMPONENT_CLASSES = CursorRowsView.COMPONENT_CLASSES | {
        "source--comment", "source--string", "source--number", "source--keyword",
        "source--special", "source--call", "source--punct", "source--form",
        "source--current", "source--gutter", "source--breakpoint", "source--disabled",
        "source--here", "source--cursor"}
    BINDINGS = [Binding("enter", "toggle_here", "Toggle a breakpoint on the cursor line", show=False,
                        id="source_toggle")]

    def __init__(self, program_file: str, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Source"
        self.program_file = program_file     # breakpoints can be set in this file only
        self.file: str | None = None
        self.text = ""
        self.lines: tuple = ()
        self.snapshot: Snapshot | None = None
        self.breaks: dict[int, bool] = {}    # line -> enabled
        self.empty_text = "(no source)"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        last, before = self.snapshot, self._decorated()
        self.snapshot = snapshot
        new_text = snapshot.file is not None and (snapshot.file != self.file or snapshot.source is not self.text)
        if new_text:
            self.file, self.text = snapshot.file, snapshot.source
            self.lines = tokenize(self.text) if self.text else ()
            retitle(self, subtitle=os.path.basename(self.file))
        self.breaks = {bp.line: bp.enabled for bp in snapshot.breakpoints
                       if bp.kind == "line" and bp.line is not None} if self.file == self.program_file else {}
        moved = last is None or (snapshot.line, snapshot.file) != (last.line, last.file)
        self.set_row_count(len(self.lines), None if new_text else before | self._decorated())
        # A stop brings the current line back into view (again on every snapshot while the
        # cursor is on it: the first scroll may come before the layout is final); once the
        # user has moved the cursor away (to set a breakpoint below), the view stays.
        stopped = snapshot.status != "running" and (last is None or snapshot.tick != last.tick
                                                    or snapshot.reason != last.reason)
        following = snapshot.status != "running" and self.cursor == snapshot.line - 1 \
            if snapshot.line is not None else False
        if snapshot.line is not None and (moved or new_text or stopped or following):
            if moved:
                self.cursor = snapshot.line - 1
            self.scroll_row_into_view(snapshot.line - 1, center=True)

    def _decorated(self) -> set[int]:
        """Rows drawn differently from plain text: breakpoints, the current line and form."""
        rows = {line - 1 for line in self.breaks}
        snap = self.snapshot
        if snap is not None and snap.line is not None and snap.file == self.file:
            last = min(snap.end_line or snap.line, snap.line + 500)
            rows.update(range(snap.line - 1, last))
        return rows

    @property
    def cursor_line(self) -> int:
        return self.cursor + 1

    def row_text(self, index: int) -> Text:
        line_no = index + 1
        snap = self.snapshot
        text = Text(no_wrap=True)
        mark = self.breaks.get(line_no)
        if mark is None:
            text.append("  ", self.style("source--gutter"))
        else:
            text.append("● ", self.style("source--breakpoint" if mark else "source--disabled"))
        here = snap is not None and snap.line == line_no and snap.file == self.file
        gutter = self.style("source--here" if here else "source--gutter")
        text.append(f"{line_no:>4} ", gutter)
        text.append("▶ " if here else "  ", self.style("source--here"))
        start = len(text)
        for cls, part in self.lines[index]:
            text.append(clean(part), self.style(cls) if cls else "")
        self._mark_form(text, index, start, here)
        return text

    def _mark_form(self, text: Text, index: int, start: int, here: bool) -> None:
        """Give the current form (from the snapshot's span) a background."""
        snap = self.snapshot
        if snap is None or snap.line is None or snap.file != self.file:
            return
        line_no = index + 1
        end_line = snap.end_line or snap.line
        if not snap.line <= line_no <= end_line:
            return
        first = (snap.column or 1) - 1 if line_no == snap.line else 0
        last = (snap.end_column or 1) - 1 if line_no == end_line else len(text) - start
        if here:
            text.stylize(self.style("source--current"), start, len(text))
        text.stylize(self.style("source--form"), start + first, start + max(last, first + 1))

    def row_clicked(self, index: int, x: int) -> None:
        if x < GUTTER:
            self.post_message(ToggleBreakpoint(index + 1))

    def action_toggle_here(self) -> None:
        self.post_message(ToggleBreakpoint(self.cursor_line))

    def cursor_style(self):
        # The cursor is always drawn (t and b use it); brighter when the panel has focus.
        return self.style("rows--cursor" if self.has_focus else "source--cursor")

