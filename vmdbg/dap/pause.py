"""The pause request, answered on the I/O thread: it asks the running command to stop."""

from __future__ import annotations

from vmdbg.dap.context import Context
from vmdbg.dap.server import IO, Then, request


@request("pause", when=IO, needs_session=False)
def pause(ctx: Context, args: dict):
    # The run stops at the next instruction boundary and reports a stop with reason
    # "pause". If nothing runs, the program is stopped already: the last stop is told
    # again, so a client that thinks it runs learns otherwise (from the immutable
    # Snapshot of that stop: the VM is not touched here).
    if ctx.worker.interrupt("user") or ctx.worker.busy or ctx.ended:
        return None
    snap = ctx.snapshot
    if snap is not None:
        return Then(None, lambda: ctx.event("stopped", {
            "reason": "pause", "allThreadsStopped": True,
            "threadId": ctx.thread_id(snap.current_fiber_id or 0)}))
    return None
