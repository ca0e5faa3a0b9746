"""Running a command that moves the program, and telling the client how it stopped."""

from __future__ import annotations

import traceback

from vmdbg.core import inspect
from vmdbg.core.seek import resume
from vmdbg.core.source import EXIT_OK, EXIT_RUNTIME
from vmdbg.dap.context import Context
from vmdbg.dap.server import Then

PROGRESS_INTERVAL = 0.1         # seconds between output flushes while the program runs
ENDS = ("finished", "error", "fuel")


def running(ctx: Context, command, resumable: bool = False, reason: str | None = None,
            body: dict | None = None, first=None) -> Then:
    """The answer of a request that moves the program: the run counts as started before
    the response goes out (a pause sent as soon as the client has it must find it
    running), and runs once it is sent, after `first()` if given."""
    ctx.forget_stop()
    ctx.worker.begin_run(resumable)

    return Then(body, lambda: run(ctx, command, resumable, reason, first))


def run(ctx: Context, command, resumable: bool = False, reason: str | None = None, first=None):
    """Run `command(session) -> Snapshot` on the worker and report the stop. A resumable
    command (continue) may be interrupted to serve breakpoint requests and then goes on;
    `reason` names the stop for the client instead of the Session's reason (goto).
    The worker is in its running state already (running() put it there)."""
    session = ctx.session
    worker = ctx.worker
    if resumable:
        # A continue shows output as it comes. Other commands show it at their stop: a
        # goto's search forward may be rolled back, and its output never happened.
        session.progress = lambda _snap: flush_output(ctx)
        session.progress_interval = PROGRESS_INTERVAL
    snap = None
    try:
        if first is not None:
            first()
        while True:
            snap = command(session)
            if not (resumable and snap.reason == "pause" and worker.peek_reasons() == {"service"}):
                break
            worker.take_reasons()
            for job in worker.take_service_jobs():
                job.run()
            if worker.peek_reasons() - {"service"}:
                break               # a pause or a terminate came in meanwhile
            command = resume
    except Exception as e:          # a bug in the core must not kill the connection
        ctx.log(traceback.format_exc())
        session.message = f"internal error: {type(e).__name__}: {e}"
        snap = None
    finally:
        reasons = worker.finish_run()
        session.progress = None
    if snap is None:
        snap = session.snapshot()
    ctx.snapshot = snap
    if "stop" in reasons:
        flush_output(ctx)           # terminate/restart/disconnect: no stop to report
        return
    report(ctx, snap, reason)


def flush_output(ctx: Context):
    """Send the program's new output (stdout) and log point messages (console); pieces of
    one kind in a row go in one event (a loop printing a line at a time is one event per
    flush, not one per line)."""
    batch: list[str] = []
    kind = None
    for piece_kind, text in ctx.cursor.take(ctx.session) + [(None, "")]:
        if piece_kind != kind and batch:
            ctx.event("output", {"category": "stdout" if kind == "output" else "console",
                                 "output": "".join(batch)})
            batch = []
        kind = piece_kind
        batch.append(text)


def report(ctx: Context, snap, reason: str | None = None):
    """Tell the client about a stop: output first, then stopped, or exited and terminated."""
    flush_output(ctx)
    if snap.message:
        ctx.event("output", {"category": "console", "output": f"vmdbg: {snap.message}\n"})
    if snap.reason in ENDS or snap.status in ("finished", "error"):
        if ctx.ended:
            return                  # told already (a continue at the end)
        if snap.error:
            ctx.event("output", {"category": "stderr", "output": snap.error + "\n"})
        ctx.event("exited", {"exitCode": EXIT_OK if snap.status == "finished" else EXIT_RUNTIME})
        ctx.event("terminated", {})
        ctx.ended = True
        return
    ctx.ended = False
    if snap.reason == "pause":
        reason = None               # paused on the way: that is the stop to report
    body = {"reason": reason or snap.reason, "allThreadsStopped": True,
            "threadId": ctx.thread_id(snap.current_fiber_id if snap.current_fiber_id is not None else 0)}
    if reason is None:
        body.update(describe_stop(ctx, snap))
    if snap.message:
        body.setdefault("text", snap.message)
    ctx.event("stopped", body)


def describe_stop(ctx: Context, snap) -> dict:
    """The DAP reason (and hit breakpoint ids, description) for a Session stop."""
    session = ctx.session
    r = snap.reason
    if r == "breakpoint":
        hit = inspect.breakpoints_hit(session)
        kinds = {bp.kind for bp in hit}
        reason = ("breakpoint" if "line" in kinds or not kinds else
                  "function breakpoint" if "function" in kinds else "instruction breakpoint")
        return {"reason": reason, "hitBreakpointIds": ctx.breakpoints.dap_ids(hit),
                "description": "Paused on " + reason}
    if r == "signal":
        sig = snap.signal
        names = " ".join(":" + n for n in sig.names) if sig is not None else "a signal"
        return {"reason": "exception", "description": f"Paused on signal {names}",
                "hitBreakpointIds": ctx.breakpoints.dap_ids(inspect.catchpoints_hit(session)),
                "text": f"{names} {sig.payload}" if sig is not None else names}
    if r in ("entry", "step", "pause"):
        return {"reason": r}
    return {"reason": "step", "description": r}
