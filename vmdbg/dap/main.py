"""`vmdbg dap [--port N] [--log FILE]`: the Debug Adapter Protocol on stdin/stdout, or a local socket."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import traceback

# The request handlers register themselves with the server when imported.
import vmdbg.dap.breakpoint  # noqa: F401
import vmdbg.dap.disassemble  # noqa: F401
import vmdbg.dap.evaluate  # noqa: F401
import vmdbg.dap.exceptions  # noqa: F401
import vmdbg.dap.frames  # noqa: F401
import vmdbg.dap.goto  # noqa: F401
import vmdbg.dap.launch  # noqa: F401
import vmdbg.dap.pause  # noqa: F401
import vmdbg.dap.scopes  # noqa: F401
import vmdbg.dap.sources  # noqa: F401
import vmdbg.dap.stepping  # noqa: F401
import vmdbg.dap.threads  # noqa: F401
import vmdbg.dap.variables  # noqa: F401
from vmdbg.core.source import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, positive_int
from vmdbg.dap.server import Server


def make_log(path: str | None):
    """log(text) writing to `path` ("-": stderr), or doing nothing: without --log the
    server says nothing outside the protocol."""
    if not path:
        return None
    stream = sys.stderr if path == "-" else open(path, "a", encoding="utf-8", buffering=1)
    lock = threading.Lock()

    def log(text: str):
        with lock:
            try:
                stream.write(text.rstrip("\n") + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass
    return log


def protocol_stdio():
    """(reader, writer) on stdin/stdout. stdout then carries protocol frames only: the
    frames get their own copy of the descriptor, and fd 1 and sys.stdout go to stderr, so
    nothing else (a library's print, a C extension) can write into the protocol stream."""
    reader = sys.stdin.buffer
    writer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return reader, writer


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="vmdbg dap", description="Serve the Debug Adapter Protocol "
                                "(on stdin/stdout, or with --port to one client on 127.0.0.1).")
    p.add_argument("--port", type=positive_int, default=None, metavar="N",
                   help="listen on 127.0.0.1:N for one client (0: any free port, printed on stderr)")
    p.add_argument("--log", default=None, metavar="FILE",
                   help="log the protocol traffic and internal errors to FILE (-: stderr)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code not in (0, None) else EXIT_OK
    log = make_log(args.log)

    def on_thread_error(hook):
        if log is not None:
            log("".join(traceback.format_exception(hook.exc_type, hook.exc_value, hook.exc_traceback)))

    threading.excepthook = on_thread_error      # a traceback never reaches the client
    try:
        server = serve(args.port, log)
    except KeyboardInterrupt:                  # ctrl+c in a terminal running the server
        return EXIT_INTERRUPTED
    except OSError as e:                        # the port is taken, say
        print(f"vmdbg dap: {e}", file=sys.stderr)
        return EXIT_USAGE
    if server.worker.running:
        # One endless instruction ignores pause: do not wait for it at interpreter exit.
        sys.stderr.flush()
        os._exit(EXIT_OK)
    return EXIT_OK


def serve(port: int | None, log) -> Server:
    """Serve one client, on stdin/stdout or (port given) on a socket; the finished Server."""
    if port is None:
        reader, writer = protocol_stdio()
        server = Server(reader, writer, log)
        server.serve()
        return server
    with socket.create_server(("127.0.0.1", port)) as listener:
        port = listener.getsockname()[1]
        print(f"vmdbg dap: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        conn, _ = listener.accept()
    with conn:
        server = Server(conn.makefile("rb"), conn.makefile("wb"), log)
        server.serve()
    return server
