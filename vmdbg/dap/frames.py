"""The stackTrace request: the frames of any fiber, suspended ones included, a page at a time.

Each frame carries an instructionPointerReference (the address of its instruction in
vmdbg.core.listing's layout) so a disassembly view follows ip. A fiber without frames (not
started yet, finished, failed) shows one label frame saying so.
"""

from __future__ import annotations

from vmdbg.core import inspect
from vmdbg.core.listing import code_map, format_address
from vmdbg.dap.context import PRELUDE, Context, DAPError
from vmdbg.dap.server import capability, request

MAX_LEVELS = 1000           # frames in one response when the client asks for "all"


@request("stackTrace")
def stack_trace(ctx: Context, args: dict):
    session = ctx.session
    fid = ctx.fiber_id(args.get("threadId"))
    try:
        total = inspect.frame_count(session, fid)
        start = max(0, int(args.get("startFrame") or 0))
        levels = int(args.get("levels") or 0) or MAX_LEVELS
        places = inspect.fiber_frames(session, fid, start, min(levels, MAX_LEVELS))
    except inspect.NoSuchFrame as e:
        raise DAPError(str(e))
    except (TypeError, ValueError):
        raise DAPError("startFrame and levels must be numbers")
    if total == 0:
        status = next((f.status for f in ctx.snapshot.fibers if f.id == fid), "?") if ctx.snapshot else "?"
        label = {"id": ctx.frame_id(fid, 0), "name": f"(fiber {fid} has no frames: {status})",
                 "line": 0, "column": 0, "presentationHint": "label"}
        return {"stackFrames": [label] if start == 0 else [], "totalFrames": 1}
    cm = code_map(session)
    frames = []
    for place in places:
        info = place.info
        frame = {"id": ctx.frame_id(fid, info.index), "name": info.function,
                 "line": ctx.line_out(info.line), "column": ctx.column_out(info.column),
                 "instructionPointerReference": format_address(cm.address(place.func, place.ip))}
        source = ctx.source(info.file)
        if source is not None and info.line is not None:
            frame["source"] = source
            if place.end_line is not None:
                frame["endLine"] = ctx.line_out(place.end_line)
                frame["endColumn"] = ctx.column_out(place.end_column)
        if info.file == PRELUDE:
            frame["presentationHint"] = "subtle"
        frames.append(frame)
    return {"stackFrames": frames, "totalFrames": total}


capability("supportsDelayedStackTraceLoading")
