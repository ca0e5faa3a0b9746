"""The DAP server's protocol: Content-Length framing, seq numbers, and the request/response/event loop.

This module alone writes to the stream. Handlers are small functions registered with
@request; they return a response body (or Then(body, after) to do more once the response
is out) and post events through the Context; they never see the stream.

Where a request runs (the `when=` of @request):

    IO        on the I/O thread, at once; such a handler never touches the live VM
              (initialize, pause, threads from the last stop's immutable Snapshot, disconnect)
    STOPPED   on the worker thread, which owns the Session; refused with "the program is
              running" while a command that moves the program executes
    ANYTIME   on the worker thread; while a continue runs, the continue is interrupted at an
              instruction boundary, the request is served and the continue goes on (as gdb
              does to change breakpoints); during a step it waits until the step stops
    INTERRUPT on the worker thread, after stopping a running command without reporting the
              stop (terminate, restart)

Requests for the worker that arrive while it is busy with something else queue in order.
"""

from __future__ import annotations

import json
import queue
import threading
import traceback
from dataclasses import dataclass
from typing import Callable

from vmdbg.dap.context import Context, DAPError
from vmdbg.dap.worker import Job, Worker

IO, STOPPED, ANYTIME, INTERRUPT = "io", "stopped", "anytime", "interrupt"


@dataclass(frozen=True)
class Handler:
    name: str
    fn: Callable
    when: str
    needs_session: bool


HANDLERS: dict[str, Handler] = {}
# Capability name -> value, or a callable(ctx) giving it when initialize is answered.
CAPABILITIES: dict = {}


def request(name: str, when: str = STOPPED, needs_session: bool = True, capability: str | None = None):
    """Register `fn(ctx, arguments) -> body` as the handler of DAP request `name`."""
    def register(fn):
        HANDLERS[name] = Handler(name, fn, when, needs_session)
        if capability is not None:
            CAPABILITIES[capability] = True
        return fn
    return register


def capability(name: str, value=True):
    """Declare a capability, next to the handler that implements it."""
    CAPABILITIES[name] = value


@dataclass
class Then:
    """A response body, and work to do on the same thread once the response is sent (run
    the program, send the events that follow a launch)."""

    body: dict | None
    after: Callable


class Server:
    """One client connection: reads requests from `reader`, writes frames to `writer`."""

    def __init__(self, reader, writer, log=None):
        self.reader = reader
        self.writer = writer
        self.log = log or (lambda text: None)
        self.seq = 0
        self.seq_lock = threading.Lock()
        self.outgoing: queue.Queue = queue.Queue()
        self.done = threading.Event()
        self.worker = Worker(lambda: self.ctx.session, self.log)
        self.ctx = Context(self.send_event, self.worker, self.log, self.stop)

    # -- writing -------------------------------------------------------------------------

    def _send(self, message: dict):
        # seq is given in the order messages are queued, so it matches the order written.
        with self.seq_lock:
            self.seq += 1
            message["seq"] = self.seq
            self.outgoing.put(message)

    def send_event(self, event: str, body: dict | None = None):
        message = {"type": "event", "event": event}
        if body is not None:
            message["body"] = body
        self._send(message)

    def _respond(self, req: dict, body=None, error: str | None = None):
        message = {"type": "response", "request_seq": req.get("seq", 0),
                   "command": str(req.get("command", "")), "success": error is None}
        if error is not None:
            message["message"] = error
        elif body is not None:
            message["body"] = body
        self._send(message)

    def _write_loop(self):
        while True:
            message = self.outgoing.get()
            if message is None:
                return
            try:
                data = json.dumps(message, ensure_ascii=False).encode("utf-8")
                self.writer.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
                self.writer.flush()
                self.log(f"-> {data.decode('utf-8', 'replace')[:2000]}")
            except (OSError, ValueError) as e:        # the client went away
                self.log(f"write failed: {e}")
                self.done.set()
                return

    # -- reading -------------------------------------------------------------------------

    def _read_message(self):
        """The next message as a dict, None at the end of the stream, or {} for a frame
        that is not JSON (logged and skipped)."""
        length = None
        while True:
            line = self.reader.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                if length is not None:
                    break
                continue
            name, _, value = line.decode("ascii", "replace").partition(":")
            if name.strip().lower() == "content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    length = None
        data = b""
        while len(data) < length:
            chunk = self.reader.read(length - len(data))
            if not chunk:
                return None
            data += chunk
        self.log(f"<- {data.decode('utf-8', 'replace')[:2000]}")
        try:
            message = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.log(f"not JSON: {e}")
            return {}
        return message if isinstance(message, dict) else {}

    # -- the loop ------------------------------------------------------------------------

    def serve(self):
        """Answer requests until disconnect or the end of the input stream."""
        writer = threading.Thread(target=self._write_loop, name="vmdbg-dap-writer", daemon=True)
        writer.start()
        self.worker.start()
        try:
            while not self.done.is_set():
                try:
                    message = self._read_message()
                except (OSError, ValueError) as e:     # the connection broke: as its end
                    self.log(f"read failed: {e}")
                    break
                if message is None:
                    break
                if message.get("type") == "request":
                    self._dispatch(message)
        finally:
            self.worker.interrupt("stop")
            self.outgoing.put(None)
            writer.join(timeout=5)

    def stop(self):
        """End the loop after the current message (disconnect)."""
        self.done.set()

    def _dispatch(self, req: dict):
        handler = HANDLERS.get(req.get("command"))
        if handler is None:
            self._respond(req, error=f"unsupported request: {req.get('command')!r}")
            return
        if handler.when == IO:
            self._execute(handler, req)
            return
        if handler.when == STOPPED and self.worker.running:
            self._respond(req, error="the program is running (pause it first)")
            return
        if handler.when == INTERRUPT:
            self.worker.interrupt("stop")
        self.worker.submit(Job(lambda: self._execute(handler, req), service=handler.when == ANYTIME))

    def _execute(self, handler: Handler, req: dict):
        try:
            if handler.needs_session and self.ctx.session is None:
                raise DAPError("no program is loaded (send launch first)")
            args = req.get("arguments")
            result = handler.fn(self.ctx, args if isinstance(args, dict) else {})
        except DAPError as e:
            self._respond(req, error=str(e))
            if e.after is not None:
                self._after(e.after)
            return
        except Exception as e:          # never a traceback to the client
            self.log(traceback.format_exc())
            self._respond(req, error=describe_error(e))
            return
        if isinstance(result, Then):
            self._respond(req, result.body)
            self._after(result.after)
        else:
            self._respond(req, result)

    def _after(self, after):
        try:
            after()
        except Exception as e:
            self.log(traceback.format_exc())
            self.send_event("output", {"category": "console", "output": f"vmdbg: {describe_error(e)}\n"})


def describe_error(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "internal error: a value is nested too deeply to show"
    if isinstance(error, MemoryError):
        return "out of memory"
    return f"internal error: {type(error).__name__}: {error}"
