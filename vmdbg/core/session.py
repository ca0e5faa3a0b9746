"""The debugging core's façade: one Session owns one VM running one program.

Every command returns the Snapshot at the new stop. The Session is assembled from parts a
reader can take one at a time, all working on the same state (set up in __init__ below):

- BreakpointTable (bptable.py): breakpoints and catchpoints, resolved and patched;
- Stepping over ForwardEngine (stepping.py, engine.py): continue, steps, run to, pause;
- TimeTravel (timetravel.py): go to a tick, step back, reverse continue;
- Views (views.py): the Snapshot a front end renders.

No textual here, and no front end: the TUI, the DAP server and scripts are its clients.
"""

from __future__ import annotations

import threading

from vm.core import VM
from vm.errors import SourceError, VMBug
from vm.values import preview
from vmdbg.core.bptable import BreakpointTable, signal_bits  # noqa: F401
from vmdbg.core.breakpoints import Breakpoint, Patches
from vmdbg.core.history import History
from vmdbg.core.snapshot import PREVIEW, Snapshot
from vmdbg.core.source import SourceFileError, read_source
from vmdbg.core.stepping import Stepping
from vmdbg.core.timetravel import TimeTravel
from vmdbg.core.views import Views
from vmdbg.core.watch import evaluate


class Session(BreakpointTable, Stepping, TimeTravel, Views):
    """A program under the debugger, stopped between instructions."""

    def __init__(self, text: str, filename: str, path: str | None = None, jit: int = 0,
                 fuel: int | None = None, max_depth: int = 10_000, checkpoint_interval: int = 50_000,
                 max_checkpoints: int | None = None, **vm_options):
        self.path = path                    # file on disk (restart reloads it), or None
        self.filename = filename
        self.text = text
        self.jit = jit
        self.fuel = fuel
        self.max_depth = max_depth
        self.vm_options = vm_options
        self.breakpoints: dict[int, Breakpoint] = {}
        self.next_bp_id = 1
        self.watches: list[str] = []
        # By default 48 checkpoints, up to 512 while they are small (History.small_count).
        self.history = History(checkpoint_interval, max_checkpoints or 48,
                               512 if max_checkpoints is None else None)
        self.patches = Patches()
        self.reason = "entry"
        self.message = ""
        self.selected_frame = 0
        self.selected_fiber = None          # fiber id being inspected, None: the current one
        self.progress = None                # callable(snapshot) during long runs
        self.progress_interval = 0.1
        self._pause = threading.Event()
        self._last_signal = None            # SignalInfo of the last catchpoint stop
        self.logs: list = []                # (tick, output chunk index, text) of log messages
        self._internal = None               # predicate: a patched spot the running command stops at
        self._scanning = False              # reverse_continue is replaying: no log output
        self.furthest = 0                   # the latest tick the program has reached (the timeline's end)
        self._evaluated_at = None           # tick whose breakpoints forward execution has evaluated
        self.vm = self._make_vm(text)

    @classmethod
    def from_file(cls, path: str, **options) -> "Session":
        """Load a program file; raises SourceFileError (missing, unreadable, not UTF-8) or
        SourceError (read or compile error, FILE:LINE:COL)."""
        return cls(read_source(path), path, path=path, **options)

    @classmethod
    def from_source(cls, text: str, filename: str = "<source>", **options) -> "Session":
        """Load program text; raises SourceError (read or compile error, FILE:LINE:COL)."""
        return cls(text, filename, **options)

    def _make_vm(self, text: str) -> VM:
        vm = VM(max_depth=self.max_depth, jit=self.jit, **self.vm_options)
        try:
            vm.load(text, self.filename)
        except VMBug as e:
            # The verifier refused what the compiler made (a compiler bug): still the
            # documented SourceError, so no front end shows a traceback.
            raise SourceError("compile", f"internal error: {e}", self.filename, 1, 1) from e
        if self.fuel is not None:
            vm.set_fuel(self.fuel)
        self.history.clear()
        self.history.take(vm)
        return vm

    def restart(self) -> "Snapshot":
        """Reload the file from disk (edits show up) and keep breakpoints, re-resolved."""
        text = self.text
        if self.path is not None:
            try:
                text = read_source(self.path)
            except SourceFileError as e:
                self.message = f"restart failed: {e}; the session is unchanged"
                return self.snapshot()
        try:
            vm = VM(max_depth=self.max_depth, jit=self.jit, **self.vm_options)
            vm.load(text, self.filename)
        except (SourceError, VMBug) as e:     # VMBug: the verifier refused the code
            self.message = f"restart failed: {e}"
            return self.snapshot()
        self.patches.clear()
        self.text = text
        self.vm = vm
        if self.fuel is not None:
            vm.set_fuel(self.fuel)
        self.history.clear()
        self.history.take(vm)
        for bp in self.breakpoints.values():
            bp.hits = 0
            del bp.hit_ticks[:]
            bp.locations = []
            self._resolve(bp)
        self._update_catch_bits()
        self.reason = "entry"
        self.furthest = 0
        self._evaluated_at = None
        self.selected_frame = 0
        self.selected_fiber = None
        self._last_signal = None
        self.logs = []
        self.message = "restarted"
        return self.snapshot()

    def select_frame(self, index: int) -> "Snapshot":
        """Show frame `index` (0: innermost) of the shown fiber: locals, stack and source."""
        fiber = self._shown_fiber()
        n = len(fiber.frames) if fiber is not None else 0
        self.selected_frame = max(0, min(int(index), max(n - 1, 0)))
        return self.snapshot()

    def select_fiber(self, fiber_id: int | None) -> "Snapshot":
        """Inspect fiber `fiber_id` (None: the running one); its innermost frame is shown."""
        vm = self.vm
        if fiber_id is None or (vm.current is not None and fiber_id == vm.current.id):
            self.selected_fiber = None
        elif fiber_id in vm.fibers:
            self.selected_fiber = fiber_id
        else:
            self.message = f"no fiber {fiber_id}"
        self.selected_frame = 0
        return self.snapshot()

    def add_watch(self, expression: str) -> "Snapshot":
        """Evaluate `expression` at every stop (in a throwaway fiber; it never changes the program)."""
        expression = expression.strip()
        if expression and expression not in self.watches:
            self.watches.append(expression)
        return self.snapshot()

    def remove_watch(self, expression: str) -> "Snapshot":
        """Stop evaluating `expression` at every stop."""
        if expression in self.watches:
            self.watches.remove(expression)
        return self.snapshot()

    def evaluate(self, expression: str) -> tuple[bool, str]:
        """Evaluate an expression in the selected frame: (ok, preview or error text)."""
        frame = self._selected_frame_obj()
        ok, value = evaluate(self.vm, frame, expression, self._lift_patches)
        return ok, (preview(value, PREVIEW) if ok else value)

    def exit_status(self) -> int | None:
        """The status `vmdbg run` exits with for the program as it stands: 0 finished, 1 an
        uncaught error, fuel run out or an uncaught signal; None while it can go on."""
        vm = self.vm
        if not vm.halted:
            return None
        return 0 if vm.status == "finished" else 1

    def source_lines(self) -> list[str]:
        """The program's source, a line at a time."""
        return self.text.splitlines()
