"""Runs Session commands one at a time in a thread worker; the UI only ever sees Snapshots.

Commands queue up (a few quick presses of `s` are all honoured, in order) and run in one
worker thread, so two never touch the VM at once. While a long command runs (continue,
run to cursor...) the session reports progress snapshots, posted as replaceable messages,
and new commands are refused until the user pauses: pause is the one call that may cross
threads (Session.pause is thread-safe).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from textual.message import Message

from vmdbg.tui.messages import CommandFailed, Progress, Stopped

MAX_PENDING = 8
PROGRESS_INTERVAL = 0.05        # seconds between live snapshots: 20 frames per second
PAUSE_REPEAT = 0.01             # seconds between repeated pause requests


@dataclass
class Job:
    """One session command: `run(session)` returns a Snapshot or a message to post."""

    command: str
    run: Callable
    long: bool = False          # may run for a while: the UI shows "running" and live panels


def describe_error(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "internal error: a value is nested too deeply to show"
    if isinstance(error, MemoryError):
        return "out of memory"
    return f"internal error: {type(error).__name__}: {error}"


class SessionDriver:
    """The only path from the UI to the Session."""

    def __init__(self, app, session, live: bool = True):
        self.app = app
        self.session = session
        self.queue: deque[Job] = deque()
        self.lock = threading.Lock()
        self.draining = False           # a worker is running jobs
        self.current: Job | None = None
        self.pausing: Job | None = None     # the job a pause was asked for
        self.live = live
        if live:
            session.progress = self._progress
            session.progress_interval = PROGRESS_INTERVAL

    @property
    def busy(self) -> bool:
        with self.lock:
            return self.draining

    @property
    def running_long(self) -> bool:
        with self.lock:
            return self.current is not None and self.current.long

    def submit(self, job: Job) -> str | None:
        """Queue a command; returns why it was refused, or None."""
        with self.lock:
            if self.current is not None and self.current.long:
                return "the program is running: press p to pause it first"
            if len(self.queue) >= MAX_PENDING:
                return "still busy with earlier commands"
            self.queue.append(job)
            if self.draining:
                return None
            self.draining = True
        self.app.run_worker(self._drain, name="session", group="session", thread=True,
                            exit_on_error=False)
        return None

    def pause(self) -> bool:
        """Drop queued commands and stop the running one at the next instruction boundary."""
        with self.lock:
            self.queue.clear()
            job = self.current
            if job is None or self.pausing is job:
                return job is not None
            self.pausing = job
        self.session.pause()
        threading.Thread(target=self._keep_pausing, args=(job,), name="vmdbg-pause", daemon=True).start()
        return True

    def live_tick(self) -> int | None:
        """While a long command runs, a lower bound of the program's tick (Session.live_tick
        crosses threads, like pause); None otherwise."""
        return self.session.live_tick() if self.running_long else None

    def _keep_pausing(self, job: Job) -> None:
        # A command that had been picked up but not yet started clears an earlier pause
        # request when it starts, so ask again until it has stopped.
        while self.current is job:
            self.session.pause()
            time.sleep(PAUSE_REPEAT)

    def _drain(self) -> None:
        while True:
            with self.lock:
                if not self.queue:
                    self.draining = False
                    return
                job = self.current = self.queue.popleft()
            try:
                result = job.run(self.session)
                message = result if isinstance(result, Message) else Stopped(result, job.command)
            except Exception as error:          # never a traceback in the UI
                message = CommandFailed(job.command, describe_error(error))
            with self.lock:
                self.current = None
            self.app.post_message(message)

    def _progress(self, snapshot) -> None:
        # Called on the worker thread by Session._run; post_message is thread-safe.
        self.app.post_message(Progress(snapshot))
