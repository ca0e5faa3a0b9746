"""Session commands as jobs for the driver: each runs on the worker thread and returns a Snapshot.

Nothing here runs on the UI thread; the app builds these and hands them to the driver.
"""

from __future__ import annotations

from vmdbg.core.breakpoints import program_functions
from vmdbg.tui.messages import JitListing
from vmdbg.core.snapshot import Snapshot


def script_job(lines: list):
    """A job running debugger commands ((origin, line number or 0, text), in order) until
    one fails; the failure becomes the stop's message, `FILE:LINE: what` (or `ORIGIN: what`)."""
    from vmdbg.core.script import CommandError, run_command
    from vmdbg.tui.driver import Job

    def run(session):
        snap = session.snapshot()
        for origin, number, text in lines:
            try:
                snap = run_command(session, text)
            except CommandError as e:
                where = f"{origin}:{number}" if number else origin
                session.message = f"{where}: {e}"
                return session.snapshot()
        return snap
    return Job("commands", run, long=True)


def snapshot(session):
    return session.snapshot()


def call(command: str, *args, **kwargs):
    """A job calling Session.<command>(*args, **kwargs); returns the snapshot after it."""
    def run(session):
        result = getattr(session, command)(*args, **kwargs)
        return result if isinstance(result, Snapshot) else session.snapshot()
    return run


def toggle_line(line: int):
    """Toggle a line breakpoint; a line with no code gets none, and a note says why."""
    def run(session):
        bp = session.toggle_line_breakpoint(line)
        if bp is not None and not bp.verified:
            session.remove_breakpoint(bp.id)
            session.message = bp.message
        else:
            session.message = f"breakpoint set on line {line}" if bp is not None else f"breakpoint on line {line} removed"
        return session.snapshot()
    return run


def edit_breakpoint(request):
    """Carry out a BreakpointRequest from the breakpoint editor."""
    from vmdbg.core.script import parse_where

    def run(session):
        session.message = ""
        action = request.action
        if action in ("add", "replace", "catch"):
            try:
                where = parse_where(request.where)
                hit_count = int(request.hit_count) if request.hit_count else None
            except ValueError as e:
                session.message = str(e) if "invalid literal" not in str(e) else "hit count must be a whole number"
                return session.snapshot()
            if action == "replace" and request.bp_id is not None:
                session.remove_breakpoint(request.bp_id)
            bp = session.add_breakpoint(**where, condition=request.condition or None,
                                        hit_count=hit_count, log_message=request.log_message or None)
            session.message = f"added {bp.describe()}" if bp.verified else f"{bp.describe()}: {bp.message}"
        elif action == "uncatch":
            for bp in list(session.breakpoints.values()):
                if bp.kind == "signal" and bp.signal == request.where:
                    session.remove_breakpoint(bp.id)
        elif action == "remove":
            session.remove_breakpoint(request.bp_id)
        elif action in ("enable", "disable"):
            session.enable_breakpoint(request.bp_id, action == "enable")
        return session.snapshot()
    return run


def jit_listing(name: str):
    """Bytecode, LLVM IR and assembly of function `name`, if the JIT compiled it."""
    def run(session):
        jit = session.vm.jit
        if jit is None or not hasattr(jit, "listings"):
            if session.vm.jit_threshold:
                return JitListing(name, None, f"{name} has not compiled yet: it compiles at call "
                                              f"{session.vm.jit_threshold}")
            return JitListing(name, None, "no listings: the JIT is off (start with --jit N)")
        funcs = [f for f in program_functions(session.vm) if f.name == name]
        for func in funcs:
            listing = jit.listings(func)
            if listing is not None:
                return JitListing(name, tuple(listing))
        return JitListing(name, None, f"{name} has no native code: it runs in the interpreter")
    return run
