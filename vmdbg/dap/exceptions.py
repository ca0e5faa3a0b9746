"""The exceptionInfo request: at a catchpoint stop, the signal, its payload, and which fiber will catch it."""

from __future__ import annotations

from vmdbg.dap.context import Context, DAPError
from vmdbg.dap.server import request


@request("exceptionInfo", capability="supportsExceptionInfoRequest")
def exception_info(ctx: Context, args: dict):
    snap = ctx.snapshot
    sig = snap.signal if snap is not None and snap.reason == "signal" else None
    if sig is None:
        raise DAPError("the program is not stopped at a signal")
    names = " ".join(":" + n for n in sig.names) or str(sig.bits)
    if sig.will_propagate:
        fate = "no fiber's mask catches it: delivering it ends the program"
    else:
        fate = (f"fiber {sig.caught_by}'s mask catches it (thread {ctx.thread_id(sig.caught_by)}): "
                f"its fiber/resume returns the payload")
    description = f"{names} from fiber {sig.fiber_id} with payload {sig.payload}; {fate}"
    return {"exceptionId": names, "description": description,
            "breakMode": "always",
            "details": {"message": sig.payload, "typeName": names,
                        "fullTypeName": f"signal bits {sig.bits}"}}
