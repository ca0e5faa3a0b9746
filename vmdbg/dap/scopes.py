"""The scopes request: Locals, Operand stack, the fiber's state, and the program's Globals for one frame."""

from __future__ import annotations

from vmdbg.core import inspect
from vmdbg.dap.context import Context, DAPError, Ref
from vmdbg.dap.server import request


@request("scopes")
def scopes(ctx: Context, args: dict):
    fid, index = ctx.frame(args.get("frameId"))
    session = ctx.session
    out = []
    try:
        has_frames = inspect.frame_count(session, fid) > 0
        if has_frames:
            names = inspect.frame_locals(session, fid, index)
            stack = inspect.frame_stack(session, fid, index)
            out.append({"name": "Locals", "presentationHint": "locals", "expensive": False,
                        "variablesReference": ctx.ref(Ref("locals", fid, index)),
                        "namedVariables": len(names)})
            out.append({"name": "Operand stack", "presentationHint": "registers", "expensive": False,
                        "variablesReference": ctx.ref(Ref("stack", fid, index)),
                        "indexedVariables": len(stack)})
    except inspect.NoSuchFrame as e:
        raise DAPError(str(e))
    out.append({"name": f"Fiber {fid}", "expensive": False,
                "variablesReference": ctx.ref(Ref("fiber", fid))})
    out.append({"name": "Globals", "expensive": False,
                "variablesReference": ctx.ref(Ref("globals")),
                "namedVariables": len(inspect.program_globals(session))})
    return {"scopes": out}
