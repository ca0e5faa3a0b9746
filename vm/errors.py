"""The two error families: guest-program errors (LispError, SourceError) and VM bugs (VMBug)."""

from __future__ import annotations

# LispError and make_error live with the values they carry (vm.values sits below this
# module); they are re-exported here, where a reader looks for the error families.
from vm.values import Keyword, LispError, Struct, display, kw, make_error, preview  # noqa: F401


class SourceError(Exception):
    """A read or compile error at a source position: `FILE:LINE:COL: read error: ...`."""

    def __init__(self, phase: str, message: str, file: str, line: int, col: int):
        super().__init__(message)
        self.phase = phase
        self.message = message
        self.file = file
        self.line = line
        self.col = col

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.phase} error: {self.message}"


class ReadError(SourceError):
    """The reader could not turn text into data."""

    def __init__(self, message, file, line, col):
        super().__init__("read", message, file, line, col)


class CompileError(SourceError):
    """The compiler rejected a form."""

    def __init__(self, message, file, line, col):
        super().__init__("compile", message, file, line, col)


class VMBug(Exception):
    """An invariant of the VM failed: a bug in vmdbg, never the guest program's fault."""


def error_kind(payload) -> str:
    """The kind name of an error payload (`type-error`), or a best effort for other values."""
    if type(payload) is Struct:
        k = payload.d.get(kw("error"))
        if type(k) is Keyword:
            return k.name
    if type(payload) is Keyword:
        return payload.name
    return "error"


def error_message(payload) -> str:
    """The message of an error payload, or its display form."""
    if type(payload) is Struct:
        m = payload.d.get(kw("message"))
        if m is not None:
            return _display(m)
        return _display(payload)
    if type(payload) is Keyword:
        return payload.name
    return _display(payload)


def _display(v) -> str:
    """display(v), or a bounded preview when v is nested too deeply or too big to print whole."""
    try:
        return display(v, 100_000)
    except (RecursionError, LispError):
        return preview(v, 200)
