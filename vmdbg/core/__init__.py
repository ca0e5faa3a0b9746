"""The debugging core: a Session owns one VM running one program and every front end
(the TUI, the DAP server, the command line, scripts) drives it through its methods and
reads the immutable Snapshots it hands out. Nothing here imports textual or a front end."""

from vmdbg.core.session import Session  # noqa: F401
from vmdbg.core.snapshot import Snapshot  # noqa: F401
