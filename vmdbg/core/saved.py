"""Breakpoints and watches kept per program between runs of the debugger.

One JSON file per program file (by its absolute path) in the user's state directory
(`$XDG_STATE_HOME/vmdbg/programs/`, `~/.local/state/vmdbg/programs/` on Linux, through
platformdirs, which Textual already brings). `vmdbg FILE --clean` starts without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

from platformdirs import user_state_dir

VERSION = 1


def state_path(program: str) -> str:
    """Where the saved state of `program` lives."""
    full = os.path.abspath(program)
    name = hashlib.sha256(full.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return os.path.join(user_state_dir("vmdbg"), "programs", f"{name}.json")


def describe(session) -> dict:
    """What is worth keeping: every breakpoint as the user set it, and the watches."""
    bps = []
    for bp in session.breakpoints.values():
        where = {"line": {"line": bp.line}, "function": {"function": bp.function},
                 "offset": {"offset": [bp.function, bp.offset]},
                 "signal": {"signal": bp.signal}}[bp.kind]
        bps.append(dict(where, condition=bp.condition, hit_count=bp.hit_count,
                        log_message=bp.log_message, enabled=bp.enabled))
    return {"version": VERSION, "program": os.path.abspath(session.path or session.filename),
            "breakpoints": bps, "watches": list(session.watches)}


def save(session) -> str | None:
    """Write the session's breakpoints and watches for its program file; the path written,
    or None (a session on text has no file; a state directory that cannot be written is
    not the program's problem, so it is skipped)."""
    if session.path is None:
        return None
    path = state_path(session.path)
    data = describe(session)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Write beside it and rename: two debuggers closing at once never leave half a file.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def restore(session) -> list[str]:
    """Add the saved breakpoints and watches of the session's program; notes for the user
    (how many came back, and any that no longer fit the program)."""
    if session.path is None:
        return []
    try:
        with open(state_path(session.path), encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return ["the saved breakpoints could not be read; starting without them"]
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return []
    notes, count = [], 0
    for spec in data.get("breakpoints", []):
        try:
            options = {k: spec[k] for k in ("line", "function", "signal") if spec.get(k) is not None}
            if spec.get("offset"):
                options["offset"] = tuple(spec["offset"])
            bp = session.add_breakpoint(**options, condition=spec.get("condition"),
                                        hit_count=spec.get("hit_count"), log_message=spec.get("log_message"))
        except (TypeError, ValueError, KeyError):
            continue
        if not spec.get("enabled", True):
            session.enable_breakpoint(bp.id, False)
        if not bp.verified:
            notes.append(f"saved {bp.describe()}: {bp.message}")
        count += 1
    for expression in data.get("watches", []):
        if isinstance(expression, str):
            session.add_watch(expression)
    if count or data.get("watches"):
        notes.insert(0, f"restored {count} breakpoint{'s' if count != 1 else ''} and "
                        f"{len(data.get('watches', []))} watch{'es' if len(data.get('watches', [])) != 1 else ''} "
                        f"(--clean starts without them)")
    return notes
