"""The one thread that owns the Session: every request that reads or moves the VM runs here, in order.

The I/O thread hands jobs over and, to stop a running command, asks for a pause; it never
touches the VM itself. Session.pause is the one call that may cross threads, and a command
that has been picked up but not started yet clears an earlier pause request when it starts,
so a pause is asked for again and again until the running command reports back.

Why a run was paused is kept as a set of reasons, so the run command knows what to do:
"user" (the pause request: report the stop), "service" (requests that may be served in the
middle of a continue: serve them and go on), "stop" (terminate, restart, disconnect: end the
command without reporting a stop).
"""

from __future__ import annotations

import threading
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Callable

PAUSE_REPEAT = 0.005        # seconds between repeated pause requests


@dataclass
class Job:
    run: Callable
    service: bool = False       # may be served in the middle of a continue


class Worker:
    """Runs jobs one at a time on its own thread."""

    def __init__(self, session_of: Callable, log):
        self.session_of = session_of
        self.log = log
        self.queue: deque[Job] = deque()
        self.cond = threading.Condition()
        self.running = False        # a command that moves the program is executing
        self.resumable = False      # ... and it is a continue, which may be interrupted
        self.reasons: set[str] = set()
        self.pending: set[str] = set()  # reasons for a run that has not started yet
        self.busy = False               # a job is executing or queued
        self.thread = threading.Thread(target=self._loop, name="vmdbg-dap-worker", daemon=True)
        self._wake = threading.Event()

    def start(self):
        self.thread.start()

    def submit(self, job: Job):
        with self.cond:
            self.queue.append(job)
            self.busy = True
            self.cond.notify()
            if job.service and self.running and self.resumable:
                self._interrupt("service")

    def interrupt(self, reason: str) -> bool:
        """Pause the running command for `reason` (any thread); False if none runs. While
        other jobs are queued or executing, the reason waits for the next run among them
        (a pause sent right after a continue, before the continue started); it lapses when
        the worker goes idle."""
        with self.cond:
            if not self.running:
                if self.busy:
                    self.pending.add(reason)
                return False
            self._interrupt(reason)
            return True

    def _interrupt(self, reason: str):
        first = not self.reasons
        self.reasons.add(reason)
        if first:
            threading.Thread(target=self._keep_pausing, name="vmdbg-dap-pause", daemon=True).start()

    def _keep_pausing(self):
        while True:
            with self.cond:
                # Under the lock: once the run command has taken the reasons, no pause
                # request can land on the command after it.
                if not self.reasons or not self.running:
                    return
                session = self.session_of()
                if session is not None:
                    session.pause()
            self._wake.wait(PAUSE_REPEAT)

    # -- for the run command, on this thread -----------------------------------------------

    def begin_run(self, resumable: bool):
        with self.cond:
            self.running = True
            self.resumable = resumable
            for reason in self.pending:
                self._interrupt(reason)
            self.pending.clear()

    def take_reasons(self) -> set[str]:
        """The reasons the command was paused for, forgotten here (the command goes on
        being "running" until finish_run)."""
        with self.cond:
            reasons, self.reasons = self.reasons, set()
            return reasons

    def peek_reasons(self) -> set[str]:
        with self.cond:
            return set(self.reasons)

    def finish_run(self) -> set[str]:
        with self.cond:
            reasons, self.reasons = self.reasons, set()
            self.running = self.resumable = False
            return reasons

    def take_service_jobs(self) -> list[Job]:
        with self.cond:
            jobs = [job for job in self.queue if job.service]
            for job in jobs:
                self.queue.remove(job)
            return jobs

    # -- the thread ----------------------------------------------------------------------

    def _loop(self):
        while True:
            with self.cond:
                if not self.queue:
                    self.busy = False
                    self.pending.clear()
                while not self.queue:
                    self.cond.wait()
                job = self.queue.popleft()
            try:
                job.run()
            except BaseException:        # a job reports its own errors; this is a last guard
                self.log(traceback.format_exc())
