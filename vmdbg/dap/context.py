"""What one DAP connection knows: the Session, the last stop, and the ids handed out for that stop.

Frame ids and variable references belong to the current stop: they are handed out while
the program is stopped and dropped when it runs again (a client asking with an old one
gets an error, never another stop's data). Ids are never reused within a connection.
Thread ids are fiber ids + 1 (DAP clients treat 0 as "no thread").
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from vmdbg.core.outputlog import OutputCursor

PRELUDE = "<prelude>"


class DAPError(Exception):
    """A request that cannot be done: the message goes to the client (success: false),
    then `after()` runs, if given (to report a stop the failed request caused)."""

    def __init__(self, message: str, after=None):
        super().__init__(message)
        self.after = after


@dataclass(frozen=True)
class Ref:
    """What a variables reference stands for."""

    kind: str                   # locals / stack / globals / fiber / value
    fiber_id: int | None = None
    index: int = 0              # frame index (0 = innermost)
    value: object = None        # kind "value": the value (opaque here)
    expression: str | None = None   # an expression for the value, for its parts' evaluate names


class Context:
    """State shared by the handlers of one connection (read and written on the worker
    thread, except `snapshot`, which is immutable and may be read anywhere)."""

    def __init__(self, send_event, worker, log, stop_server):
        self.event = send_event             # event(name, body): queue an event for the client
        self.worker = worker
        self.log = log
        self.stop_server = stop_server
        self.session = None
        self.snapshot = None                # the Snapshot of the last stop
        self.launch_args: dict = {}
        self.client: dict = {}              # the initialize arguments
        self.cursor = OutputCursor()
        self.breakpoints = None             # breakpoint.Breakpoints, made by that module
        self.configured = False             # configurationDone arrived
        self.ended = False                  # exited/terminated were sent for this run
        self._next_id = 1
        self.frames: dict[int, tuple[int, int]] = {}
        self.refs: dict[int, Ref] = {}
        self.source_refs: dict[int, str] = {}

    # -- ids of the current stop -------------------------------------------------------------

    def _new_id(self) -> int:
        i = self._next_id
        self._next_id += 1
        return i

    def forget_stop(self):
        """The program runs again: frame ids and variable references lapse."""
        self.frames.clear()
        self.refs.clear()

    def frame_id(self, fiber_id: int, index: int) -> int:
        i = self._new_id()
        self.frames[i] = (fiber_id, index)
        return i

    def frame(self, frame_id) -> tuple[int, int]:
        try:
            return self.frames[int(frame_id)]
        except (KeyError, TypeError, ValueError):
            raise DAPError(f"no frame {frame_id} at this stop (the program has run since)")

    def ref(self, ref: Ref) -> int:
        i = self._new_id()
        self.refs[i] = ref
        return i

    def deref(self, reference) -> Ref:
        try:
            return self.refs[int(reference)]
        except (KeyError, TypeError, ValueError):
            raise DAPError(f"no variables reference {reference} at this stop (the program has run since)")

    # -- threads, lines, sources -------------------------------------------------------------

    @staticmethod
    def thread_id(fiber_id: int) -> int:
        return fiber_id + 1

    @staticmethod
    def fiber_id(thread_id) -> int:
        try:
            return int(thread_id) - 1
        except (TypeError, ValueError):
            raise DAPError(f"no thread {thread_id!r}")

    def line_out(self, line: int | None) -> int:
        if line is None:
            return 0
        return line if self.client.get("linesStartAt1", True) else line - 1

    def column_out(self, column: int | None) -> int:
        if column is None:
            return 0
        return column if self.client.get("columnsStartAt1", True) else column - 1

    def line_in(self, line) -> int:
        try:
            line = int(line)
        except (TypeError, ValueError):
            raise DAPError(f"not a line number: {line!r}")
        return line if self.client.get("linesStartAt1", True) else line + 1

    def program_path(self) -> str | None:
        return self.session.filename if self.session is not None else None

    def is_program(self, source: dict | None) -> bool:
        """Does a DAP Source name the program being debugged?"""
        path = (source or {}).get("path")
        program = self.program_path() or self.launch_args.get("program")
        return bool(path) and program is not None and same_file(path, program)

    def source(self, file: str | None) -> dict | None:
        """The DAP Source for a file name a frame or an instruction gives."""
        if not file:
            return None
        if file.startswith("<"):
            # Not a file on disk (the prelude): the client fetches the text by reference.
            for ref, name in self.source_refs.items():
                if name == file:
                    break
            else:
                ref = self._new_id()
                self.source_refs[ref] = file
            return {"name": file, "sourceReference": ref, "presentationHint": "deemphasize",
                    "origin": "built in" if file == PRELUDE else "generated"}
        return {"name": os.path.basename(file), "path": os.path.abspath(file)}


def same_file(a: str, b: str) -> bool:
    def norm(p):
        return os.path.normcase(os.path.realpath(os.path.abspath(p)))
    return norm(a) == norm(b)
