"""The evaluate request (watch, hover, repl, clipboard): an expression in a frame, run as a watch.

It runs in a throwaway fiber with the watches' fuel cap; impure primitives are refused and
the program's state is put back, so evaluating never changes what the program does. An
expression that fails (does not compile, raises, runs out of fuel) answers success: false
with the error, which editors show in place of a value.
"""

from __future__ import annotations

from vmdbg.core import children, inspect
from vmdbg.dap.context import Context, DAPError, Ref
from vmdbg.dap.server import capability, request

CLIPBOARD = 1_000_000       # characters of a value copied to the clipboard


@request("evaluate")
def evaluate(ctx: Context, args: dict):
    expression = args.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        raise DAPError("nothing to evaluate")
    if args.get("frameId") is not None:
        fid, index = ctx.frame(args.get("frameId"))
    else:
        fid, index = None, 0        # the current fiber's innermost frame
    try:
        ok, value = inspect.evaluate_at(ctx.session, fid, index, expression)
    except inspect.NoSuchFrame as e:
        raise DAPError(str(e))
    if not ok:
        raise DAPError(value)
    limit = CLIPBOARD if args.get("context") == "clipboard" else None
    info = children.describe(value, limit) if limit else children.describe(value)
    body = {"result": info.preview, "type": info.type, "variablesReference": 0}
    if info.named or info.indexed:
        # The expression names the value for its parts' evaluate names when it is one line.
        name = expression.strip() if "\n" not in expression.strip() else None
        body["variablesReference"] = ctx.ref(Ref("value", value=value, expression=name))
        if info.named:
            body["namedVariables"] = info.named
        if info.indexed:
            body["indexedVariables"] = info.indexed
    return body


capability("supportsEvaluateForHovers")
capability("supportsClipboardContext")
