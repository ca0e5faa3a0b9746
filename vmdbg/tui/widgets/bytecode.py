"""The Bytecode panel: the shown function's disassembly around ip, jump targets, breakpoints."""

from __future__ import annotations

import re

from rich.text import Text

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import CursorRowsView, clean, retitle

_JUMP = re.compile(r"-> (\d+)")
_LINE = re.compile(r"^(\d+) (.{4}) (\S+)(.*)$")   # offset, source line or |, opcode, operands


class CodeIndex:
    """Facts about one disassembly, computed once per function (snapshots share the tuple)."""

    def __init__(self, code):
        self.code = code
        jumps = getattr(code, "jumps", None)
        if jumps is not None:                      # a Disassembly: no line made before shown
            self.row_of = {off: i for i, off in enumerate(code.offsets)}
            self.jump_of: dict[int, int] = jumps()     # offset of a jump -> its target offset
        else:
            self.row_of = {off: i for i, (off, _) in enumerate(code)}
            self.jump_of = {}
            for off, text in code:
                m = _JUMP.search(text)
                if m:
                    self.jump_of[off] = int(m.group(1))
        self.targets = set(self.jump_of.values())


class BytecodeView(CursorRowsView):
    """Disassembly with ▶ at ip, ● at breakpoints, » at jump targets (the live one lit)."""

    COMPONENT_CLASSES = CursorRowsView.COMPONENT_CLASSES | {
        "bytecode--offset", "bytecode--line", "bytecode--op", "bytecode--comment",
        "bytecode--here", "bytecode--arrow", "bytecode--target", "bytecode--live-target", "bytecode--breakpoint"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Bytecode"
        self.index = CodeIndex(())
        self.snapshot: Snapshot | None = None
        self.breaks: frozenset = frozenset()
        self.empty_text = "(no code)"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        last, before = self.snapshot, self._decorated()
        self.snapshot = snapshot
        new_code = snapshot.code is not self.index.code
        if new_code:
            self.index = CodeIndex(snapshot.code)
        self.breaks = frozenset(snapshot.code_breaks)
        changed = None if new_code else before | self._decorated()
        retitle(self, title=(f"Bytecode · {snapshot.function} · {snapshot.code_tier}"
                             if snapshot.function else "Bytecode"))
        self.set_row_count(len(snapshot.code), changed)
        row = self.index.row_of.get(snapshot.ip)
        if row is not None:
            if last is None or (snapshot.ip, snapshot.function) != (last.ip, last.function):
                self.cursor = row
            self.scroll_row_into_view(row, center=True)

    def _decorated(self) -> set[int]:
        """Rows drawn differently from plain text: ip, its jump target, breakpoints."""
        row_of = self.index.row_of
        rows = {row_of[off] for off in self.breaks if off in row_of}
        snap = self.snapshot
        if snap is not None and snap.ip in row_of:
            rows.add(row_of[snap.ip])
            target = self.index.jump_of.get(snap.ip)
            if target in row_of:
                rows.add(row_of[target])
        return rows

    def row_text(self, index: int) -> Text:
        off, line = self.index.code[index]
        snap = self.snapshot
        here = snap is not None and snap.ip == off
        live = snap is not None and self.index.jump_of.get(snap.ip) == off
        text = Text(no_wrap=True)
        text.append("●" if off in self.breaks else " ", self.style("bytecode--breakpoint"))
        text.append("▶" if here else " ", self.style("bytecode--arrow"))
        if live:
            text.append("»", self.style("bytecode--live-target"))
        elif off in self.index.targets:
            text.append("»", self.style("bytecode--target"))
        else:
            text.append(" ")
        body, _, comment = line.partition(" ; ")
        m = _LINE.match(body)
        if m is None:
            text.append(clean(body))
        else:
            text.append(m.group(1), self.style("bytecode--offset"))
            text.append(" " + m.group(2) + " ", self.style("bytecode--line"))
            text.append(m.group(3), self.style("bytecode--op"))
            text.append(clean(m.group(4)))
        if comment:
            text.append(" ; " + clean(comment), self.style("bytecode--comment"))
        if here:
            text.stylize(self.style("bytecode--here"), 3)
        return text
