"""The source and loadedSources requests: the program file, and the built-in prelude by reference."""

from __future__ import annotations

from vmdbg.core import inspect
from vmdbg.dap.context import PRELUDE, Context, DAPError
from vmdbg.dap.server import request


@request("source")
def source(ctx: Context, args: dict):
    ref = args.get("sourceReference") or (args.get("source") or {}).get("sourceReference")
    name = ctx.source_refs.get(int(ref)) if isinstance(ref, int) else None
    if name is None:
        path = (args.get("source") or {}).get("path")
        if path and ctx.is_program({"path": path}):
            name = ctx.session.filename
    text = inspect.source_text(ctx.session, name) if name else None
    if text is None:
        raise DAPError(f"no source {ref!r}")
    return {"content": text, "mimeType": "text/x-lisp"}


@request("loadedSources", capability="supportsLoadedSourcesRequest")
def loaded_sources(ctx: Context, args: dict):
    return {"sources": [ctx.source(ctx.session.filename), ctx.source(PRELUDE)]}

