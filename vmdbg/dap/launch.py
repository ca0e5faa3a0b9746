"""The session's life: initialize, launch, configurationDone, restart, terminate, disconnect."""

from __future__ import annotations

import os

from vm.errors import SourceError
from vmdbg.core.session import Session
from vmdbg.core.source import SourceFileError
from vmdbg.dap.breakpoint import exception_filters, specs_of
from vmdbg.dap.context import Context, DAPError
from vmdbg.dap.events import report, running
from vmdbg.dap.server import CAPABILITIES, INTERRUPT, IO, Then, request

# Launch arguments (beyond the program) and the Session options they set.
OPTIONS = {"jit": ("jit", 0), "fuel": ("fuel", None), "maxDepth": ("max_depth", 10_000),
           "maxOutput": ("max_output", None), "maxCollection": ("max_collection", None),
           "maxHeap": ("max_heap", None)}


@request("initialize", when=IO, needs_session=False)
def initialize(ctx: Context, args: dict):
    if ctx.client or ctx.session is not None:
        raise DAPError("initialize was sent already (it comes first, once)")
    ctx.client = dict(args) or {"adapterID": "vmdbg"}
    return {name: value(ctx) if callable(value) else value for name, value in CAPABILITIES.items()}


def load(args: dict) -> Session:
    """A Session for the launch arguments, or DAPError with what the CLI would say
    (FILE:LINE:COL: compile error: ... for a program that does not compile)."""
    program = args.get("program")
    if not isinstance(program, str) or not program.strip():
        raise DAPError('launch needs "program": the path of the .lisp file to debug')
    cwd = args.get("cwd") if isinstance(args.get("cwd"), str) else os.getcwd()
    path = os.path.abspath(os.path.join(cwd, os.path.expanduser(program)))
    options = {}
    for name, (option, default) in OPTIONS.items():
        value = args.get(name, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise DAPError(f'launch: "{name}" must be a whole number >= 0, not {value!r}')
        if value is not None:
            options[option] = value
        elif default is not None:
            options[option] = default
        # else: the Session's (and the VM's) own default, e.g. the default --max-collection
    try:
        return Session.from_file(path, **options)
    except SourceFileError as e:
        raise DAPError(str(e))
    except SourceError as e:
        raise DAPError(str(e))
    except Exception as e:          # the verifier refusing the code, a VM bug: a message
        raise DAPError(f"{path}: cannot load the program: {type(e).__name__}: {e}")


def start(ctx: Context, session: Session, args: dict):
    """Make `session` the connection's program."""
    ctx.session = session
    ctx.launch_args = dict(args)
    ctx.cursor.reset()
    ctx.forget_stop()
    ctx.ended = False
    ctx.snapshot = session.snapshot()
    specs_of(ctx).apply_all()


@request("launch", needs_session=False)
def launch(ctx: Context, args: dict):
    if ctx.session is not None:
        raise DAPError("a program is already launched in this session (use restart)")
    session = load(args)
    start(ctx, session, args)

    def after():
        ctx.event("process", {"name": session.filename, "startMethod": "launch", "isLocalProcess": True})
        # The program's user signals are known now: the full list of exception filters.
        ctx.event("capabilities", {"capabilities": {"exceptionBreakpointFilters": exception_filters(ctx)}})
        specs_of(ctx).changed_events()
        ctx.event("initialized")

    return Then(None, after)


@request("attach", when=IO, needs_session=False)
def attach(ctx: Context, args: dict):
    raise DAPError("vmdbg dap runs the program itself: use launch, not attach")


def go(ctx: Context, first=None) -> Then:
    """Start the program after launch or restart (after `first()`): stop at entry, or run."""
    args = ctx.launch_args
    if args.get("stopOnEntry") and not args.get("noDebug"):
        def entry():
            if first is not None:
                first()
            report(ctx, ctx.session.snapshot())
        return Then(None, entry)
    return running(ctx, lambda s: s.continue_(), resumable=True, first=first)


@request("configurationDone", capability="supportsConfigurationDoneRequest")
def configuration_done(ctx: Context, args: dict):
    if ctx.configured:
        raise DAPError("configurationDone was sent already")
    ctx.configured = True
    return go(ctx)


@request("restart", when=INTERRUPT, capability="supportsRestartRequest")
def restart(ctx: Context, args: dict):
    """Reload the file (edits show up) with the breakpoints kept; new launch arguments
    (a different program or options) load a new Session instead."""
    new = args.get("arguments")
    # If the program cannot be reloaded it stays as it was, stopped (a run is interrupted
    # for a restart): the client hears where, as after any stop.
    if isinstance(new, dict) and any(new.get(k) != ctx.launch_args.get(k)
                                     for k in ("program", "cwd", *OPTIONS)):
        try:
            session = load(new)
        except DAPError as e:
            raise DAPError(f"restart failed: {e}", after=lambda: report(ctx, ctx.session.snapshot()))
        start(ctx, session, new)
    else:
        snap = ctx.session.restart()
        if snap.message.startswith("restart failed"):
            raise DAPError(snap.message, after=lambda: report(ctx, snap))
        if isinstance(new, dict):
            ctx.launch_args = dict(new)
        ctx.cursor.reset()
        ctx.forget_stop()
        ctx.ended = False
        ctx.snapshot = snap
        specs_of(ctx).after_restart()

    def changed():
        ctx.event("capabilities", {"capabilities": {"exceptionBreakpointFilters": exception_filters(ctx)}})
        specs_of(ctx).changed_events()

    return go(ctx, changed) if ctx.configured else Then(None, changed)


@request("terminate", when=INTERRUPT, capability="supportsTerminateRequest")
def terminate(ctx: Context, args: dict):
    def after():
        if not ctx.ended:
            ctx.ended = True
            ctx.event("terminated", {})

    return Then(None, after)


@request("disconnect", when=IO, needs_session=False)
def disconnect(ctx: Context, args: dict):
    # On the I/O thread: a running command is stopped (a pause request, which any thread
    # may make) and the connection ends after this response. The program goes with it.
    ctx.worker.interrupt("stop")
    return Then(None, ctx.stop_server)
