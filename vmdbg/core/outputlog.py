"""The program's output and the log points' messages as two streams, each piece handed out once.

Snapshot.output interleaves log messages with what the program printed (as the TUI shows
them); a protocol client wants them apart (the DAP `stdout` and `console` categories) and
wants only what is new since it last asked. Time travel makes "new" subtle: going back
drops output and log messages from the timeline and going forward again writes the same
ones again (replay is deterministic), so a cursor keeps the furthest point it has handed
out and gives each piece of the timeline once.
"""

from __future__ import annotations


class OutputCursor:
    """What a client has been given of one program run's output and log messages."""

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget everything handed out (a restart runs the program afresh)."""
        self.chunks = 0             # output chunks handed out: vm.output[:chunks]
        self.log_mark = (-1, 0)     # (tick, how many of that tick's log messages) handed out
        # How far session.logs has been read. Going back in time replaces the list (the
        # Session drops the later messages), so a different list is read from its start.
        self._logs = None
        self._read = 0
        self._tail = (None, 0)      # (tick, count) of the last run of equal ticks read

    def take(self, session) -> list[tuple[str, str]]:
        """[("output" or "log", text)] new since the last call, in the order written."""
        vm = session.vm
        chunks = vm.output
        pieces = []         # (chunk index it precedes, 0 for a log / 1 for output, n, text)
        if len(chunks) > self.chunks:
            for i in range(self.chunks, len(chunks)):
                pieces.append((i, 1, 0, chunks[i]))
            self.chunks = len(chunks)
        logs = session.logs
        if logs is not self._logs or len(logs) < self._read:
            self._logs, self._read, self._tail = logs, 0, (None, 0)
        mark_tick, mark_n = self.log_mark
        last_tick, same_tick = self._tail
        for n in range(self._read, len(logs)):
            tick, index, text = logs[n]
            same_tick = same_tick + 1 if tick == last_tick else 1
            last_tick = tick
            if tick < mark_tick or (tick == mark_tick and same_tick <= mark_n):
                continue            # handed out before the program went back in time
            # A log message written at chunk index i came before the chunk at i.
            pieces.append((index, 0, n, text))
            self.log_mark = (tick, same_tick)
        self._read, self._tail = len(logs), (last_tick, same_tick)
        pieces.sort()
        return [("log" if kind == 0 else "output", text) for _, kind, _, text in pieces]
