"""The debugging core: a Session owns one VM running one program and every front end
(the TUI, the DAP server, the command line, scripts) drives it through its methods and
reads the immutable Snapshots it hands out. Nothing here imports textual or a front end.

`Session` and `Snapshot` are imported on first use (PEP 562), so `vmdbg run`, which needs
only vmdbg.core.source, does not load the debugger."""


def __getattr__(name):
    if name == "Session":
        from vmdbg.core.session import Session
        return Session
    if name == "Snapshot":
        from vmdbg.core.snapshot import Snapshot
        return Snapshot
    raise AttributeError(f"module 'vmdbg.core' has no attribute {name!r}")


__all__ = ["Session", "Snapshot"]
