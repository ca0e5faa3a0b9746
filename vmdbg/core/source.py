"""What the user hands the debugger: program files, numbers on a command line, and the
exit statuses every front end reports (no front end is imported here)."""

from __future__ import annotations

import argparse
import os

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130


class SourceFileError(Exception):
    """A file that cannot be used as a program: missing, unreadable, not UTF-8."""


# The example programs shipped as package data.
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")


def demo_path() -> str:
    """The bundled demo, which `vmdbg` with no file opens."""
    return os.path.join(EXAMPLES, "demo.lisp")


def read_source(path: str) -> str:
    """The file's text, or SourceFileError with a message in the user's terms."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise SourceFileError(f"{path}: no such file")
    except IsADirectoryError:
        raise SourceFileError(f"{path}: is a directory, not a program file")
    except OSError as e:
        raise SourceFileError(f"{path}: cannot read: {e.strerror or e}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        raise SourceFileError(f"{path}:{line}:{col}: read error: the file is not valid UTF-8 "
                              f"(byte 0x{data[e.start]:02x})")


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {n}")
    return n
