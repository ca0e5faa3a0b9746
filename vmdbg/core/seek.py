"""Commands made of the Session's own: go to a line through time; continue after an unseen interrupt."""

from __future__ import annotations

from vmdbg.core.snapshot import Snapshot


def goto_line(session, line: int) -> Snapshot:
    """Go to the last time the program began `line` before now (back in time); if it never
    did, forward to the next time it does. A goto is a jump, not a run: breakpoints and
    catchpoints are ignored on the way (so hit counts miss what was jumped over, as with
    disabled breakpoints). If the line is not reached either way, the program stays where
    it was. reason "breakpoint" when it got there, else "step" with a message."""
    start = session.snapshot().tick
    enabled = [bp.id for bp in session.breakpoints.values() if bp.enabled]
    for bp_id in enabled:
        session.enable_breakpoint(bp_id, False)
    target = session.add_breakpoint(line=line)
    try:
        if not target.verified:
            session.message = target.message
            return session.snapshot()
        if start > 0:
            snap = session.reverse_continue()
            if snap.reason == "breakpoint":
                session.message = f"went back to line {line} (tick {snap.tick})"
                return session.snapshot()
        if session.snapshot().tick != start:
            session.goto_tick(start)        # the reverse search went back to the start
        snap = session.continue_()
        if snap.reason == "breakpoint":
            session.message = f"ran forward to line {line} (tick {snap.tick})"
            return session.snapshot()
        if snap.reason == "pause":
            return snap
        # The program ended (or failed) first: back to where the goto started.
        session.goto_tick(start)
        session.message = f"line {line} does not run before or after tick {start}"
        return session.snapshot()
    finally:
        session.remove_breakpoint(target.id)
        for bp_id in enabled:
            session.enable_breakpoint(bp_id, True)


def resume(session) -> Snapshot:
    """Continue after a pause that only the front end asked for (to change breakpoints
    while the program runs): a breakpoint at the instruction the pause landed on is
    evaluated first, as the uninterrupted run would have done (a continue leaves a stop
    without evaluating the breakpoint it stands on)."""
    arrived = getattr(session, "_arrived", None)
    if arrived is not None and session.reason == "pause":
        session._begin()                    # clears the pause, or a condition could not run
        why = arrived()
        if why is not None:
            return session._finish(why)
    return session.continue_()
