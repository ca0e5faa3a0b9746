"""gotoTargets and goto: to a line through time (back to its last run, else forward to its next)."""

from __future__ import annotations

from vmdbg.core import inspect
from vmdbg.core.seek import goto_line
from vmdbg.dap.context import Context, DAPError
from vmdbg.dap.events import running
from vmdbg.dap.server import request


@request("gotoTargets", capability="supportsGotoTargetsRequest")
def goto_targets(ctx: Context, args: dict):
    if not ctx.is_program(args.get("source")):
        return {"targets": []}
    line = ctx.line_in(args.get("line"))
    if not inspect.code_lines(ctx.session, line, line):
        return {"targets": []}
    return {"targets": [{"id": line, "label": f"line {line}: back to the last time it ran, or on to the next",
                         "line": ctx.line_out(line)}]}


@request("goto")
def goto(ctx: Context, args: dict):
    try:
        line = int(args.get("targetId"))
    except (TypeError, ValueError):
        raise DAPError(f"no goto target {args.get('targetId')!r}")
    return running(ctx, lambda s: goto_line(s, line), reason="goto")
