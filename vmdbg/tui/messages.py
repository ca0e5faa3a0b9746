"""Messages between the session worker, the panels and the app (all plain dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from vmdbg.core.snapshot import Snapshot


@dataclass
class Stopped(Message):
    """A session command finished; `snapshot` is the new stop (posted from the worker)."""

    snapshot: Snapshot
    command: str


@dataclass
class Progress(Message):
    """The latest picture of a running program, about 20 times a second.

    Only the newest matters, so a queued one is replaced by the next."""

    snapshot: Snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress)


@dataclass
class CommandFailed(Message):
    """A session command raised: shown as a message, never as a traceback."""

    command: str
    error: str


@dataclass
class JitListing(Message):
    """Bytecode, LLVM IR and assembly of one function (None: it has no native code)."""

    function: str
    listing: tuple | None
    note: str = ""


@dataclass
class ToggleBreakpoint(Message):
    """The source gutter was clicked on `line`."""

    line: int


@dataclass
class SelectFrame(Message):
    """A frame was chosen in the Frames panel (0 = innermost)."""

    index: int


@dataclass
class SelectFiber(Message):
    """A fiber was chosen in the Fibers tree."""

    fiber_id: int


@dataclass
class RemoveWatch(Message):
    """The user removed a watch expression."""

    expression: str


@dataclass
class ShowJitFunction(Message):
    """A function was chosen in the JIT tab: fetch its listings."""

    function: str
