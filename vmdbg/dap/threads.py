"""The threads request: every fiber is a thread (id = fiber id + 1), its status in the name.

Answered on the I/O thread from the last stop's Snapshot, which is immutable: it never waits
for a running program and never touches the VM. While the program runs the list is the one
of the last stop.
"""

from __future__ import annotations

from vmdbg.dap.context import Context
from vmdbg.dap.server import IO, request


def thread_name(fiber) -> str:
    name = f"fiber {fiber.id} {fiber.function} ({fiber.status})"
    return name + " [current]" if fiber.is_current else name


@request("threads", when=IO, needs_session=False)
def threads(ctx: Context, args: dict):
    snap = ctx.snapshot
    if snap is None:
        return {"threads": []}
    return {"threads": [{"id": ctx.thread_id(f.id), "name": thread_name(f)} for f in snap.fibers]}
