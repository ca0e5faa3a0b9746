"""`vmdbg dap` driven as an editor drives it: a real `python -m vmdbg dap` subprocess, spoken
to over pipes (once over a socket) by the small DAP client below, through whole sessions.

Programs are written inline; lines a test refers to carry a `# @name` marker and are looked
up with `line_of`. Nothing sleeps to synchronise: every wait is for a response or an event,
with a timeout. Every frame the server writes must be a well-formed DAP frame (the client
checks the header), and no session may leave a Python traceback on stderr.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "vmdbg" / "examples"
TIMEOUT = 20


def program(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(text: str, marker: str) -> int:
    for number, line in enumerate(program(text).splitlines(), 1):
        if line.rstrip().endswith("# @" + marker):
            return number
    raise AssertionError(f"no line marked @{marker}")


class Client:
    """A DAP client: requests with seq numbers, responses matched by request_seq, events
    kept in order (`event` waits for the next one of a name not taken yet)."""

    def __init__(self, reader, writer, proc=None):
        self.reader, self.writer, self.proc = reader, writer, proc
        self.seq = 0
        self.cond = threading.Condition()
        self.responses: dict[int, dict] = {}
        self.events: list[dict] = []
        self.taken: dict[str, int] = {}
        self.closed = False
        self.bad_frames: list = []
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def spawn(cls, *args) -> "Client":
        proc = subprocess.Popen([sys.executable, "-m", "vmdbg", "dap", *args], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return cls(proc.stdout, proc.stdin, proc)

    def _read(self):
        try:
            while True:
                header = self.reader.readline()
                if not header:
                    break
                m = re.fullmatch(rb"Content-Length: (\d+)\r\n", header)
                blank = self.reader.readline()
                if m is None or blank != b"\r\n":
                    self.bad_frames.append(header + blank)
                    continue
                message = json.loads(self.reader.read(int(m.group(1))).decode("utf-8"))
                with self.cond:
                    if message["type"] == "response":
                        self.responses[message["request_seq"]] = message
                    else:
                        self.events.append(message)
                    self.cond.notify_all()
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def send(self, command: str, arguments: dict | None = None) -> int:
        self.seq += 1
        message = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        data = json.dumps(message).encode("utf-8")
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.writer.flush()
        return self.seq

    def _wait(self, find, what: str, timeout: float = TIMEOUT):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                found = find()
                if found is not None:
                    return found
                left = end - time.monotonic()
                if left <= 0 or self.closed:
                    raise AssertionError(f"no {what}; last events: {self.events[-4:]}")
                self.cond.wait(left)

    def response(self, seq: int, timeout: float = TIMEOUT) -> dict:
        return self._wait(lambda: self.responses.get(seq), f"response to request {seq}", timeout)

    def request(self, command: str, arguments: dict | None = None, timeout: float = TIMEOUT) -> dict:
        return self.response(self.send(command, arguments), timeout)

    def ok(self, command: str, arguments: dict | None = None, timeout: float = TIMEOUT) -> dict:
        r = self.request(command, arguments, timeout)
        assert r["success"], r
        return r.get("body") or {}

    def event(self, name: str, timeout: float = TIMEOUT) -> dict:
        """The body of the next event named `name` (each name has its own place)."""
        def find():
            seen = [e for e in self.events if e["event"] == name]
            taken = self.taken.get(name, 0)
            if len(seen) > taken:
                self.taken[name] = taken + 1
                return seen[taken]
        return self._wait(find, f"{name!r} event", timeout).get("body", {})

    def output(self, category: str = "stdout") -> str:
        with self.cond:
            return "".join(e["body"]["output"] for e in self.events
                           if e["event"] == "output" and e["body"]["category"] == category)

    def outputs(self) -> list[tuple[str, str]]:
        """(category, line) of every output line so far, in order (vmdbg's notes left out)."""
        with self.cond:
            out = []
            for e in self.events:
                if e["event"] == "output" and not e["body"]["output"].startswith("vmdbg:"):
                    out += [(e["body"]["category"], ln) for ln in e["body"]["output"].splitlines()]
            return out

    # -- a session's usual steps -----------------------------------------------------------

    def start(self, path, breakpoints=(), stop_on_entry=False, **launch) -> dict:
        """initialize, launch, wait for initialized, set line breakpoints: their responses."""
        caps = self.ok("initialize", {"adapterID": "vmdbg", "linesStartAt1": True, "columnsStartAt1": True})
        self.caps = caps
        self.path = str(path)
        self.ok("launch", {"program": str(path), "stopOnEntry": stop_on_entry, **launch})
        self.event("initialized")
        return self.set_lines(breakpoints) if breakpoints else {}

    def set_lines(self, breakpoints) -> list[dict]:
        bps = [b if isinstance(b, dict) else {"line": b} for b in breakpoints]
        return self.ok("setBreakpoints", {"source": {"path": self.path}, "breakpoints": bps})["breakpoints"]

    def stopped(self) -> dict:
        return self.event("stopped")

    def top(self, thread: int = 1) -> dict:
        return self.ok("stackTrace", {"threadId": thread})["stackFrames"][0]

    def value(self, expression: str, frame: int | None = None, context: str = "watch") -> str:
        args = {"expression": expression, "context": context}
        if frame is not None:
            args["frameId"] = frame
        return self.ok("evaluate", args)["result"]

    def go(self, command: str, **arguments) -> dict:
        """Send a command that moves the program and wait for the stop it reports."""
        self.ok(command, {"threadId": 1, **arguments})
        return self.stopped()

    def finish(self) -> int:
        """Disconnect and wait for the server to exit; its exit status."""
        self.send("disconnect", {})
        if self.proc is None:
            return 0
        try:
            code = self.proc.wait(TIMEOUT)
        finally:
            self.writer.close()
        return code


@pytest.fixture
def dap():
    """Start `vmdbg dap` subprocesses; each is checked and ended after the test."""
    clients = []

    def spawn(*args) -> Client:
        c = Client.spawn(*args)
        clients.append(c)
        return c

    yield spawn
    for c in clients:
        if c.proc.poll() is None:
            c.finish()
        stderr = c.proc.stderr.read().decode("utf-8", "replace")
        c.proc.stderr.close()
        assert "Traceback" not in stderr, stderr
        assert c.bad_frames == [], c.bad_frames


def write(tmp_path, text: str, name: str = "prog.lisp") -> Path:
    path = tmp_path / name
    path.write_text(program(text))
    return path


# -- programs --------------------------------------------------------------------------------

LOOP = """
(defn add [a b]
  (+ a b))                       # @add-body
(var total 0)
(var i 0)
(while (< i 6)
  (assign total (add total i))   # @loop-body
  (println i)                    # @print
  (assign i (+ i 1)))

(println (string "total " total))
"""


def test_initialize_declares_what_the_server_does(dap, tmp_path):
    path = write(tmp_path, """
        (signal :progress)
        (emit :progress 1)
        """)
    c = dap()
    c.start(path)
    caps = c.caps
    for name in ("supportsConfigurationDoneRequest", "supportsConditionalBreakpoints",
                 "supportsHitConditionalBreakpoints", "supportsLogPoints", "supportsFunctionBreakpoints",
                 "supportsInstructionBreakpoints", "supportsStepBack", "supportsDisassembleRequest",
                 "supportsSteppingGranularity", "supportsEvaluateForHovers", "supportsRestartRequest",
                 "supportsTerminateRequest", "supportsExceptionInfoRequest", "supportsGotoTargetsRequest"):
        assert caps.get(name) is True, name
    before = [f["filter"] for f in caps["exceptionBreakpointFilters"]]
    assert {"error", "yield", "fuel"} <= set(before) and "progress" not in before
    # The program's user signals are known once it is loaded.
    after = c.event("capabilities")["capabilities"]["exceptionBreakpointFilters"]
    assert "progress" in [f["filter"] for f in after]
    # Every capability claimed is a request that answers.
    assert c.request("initialize", {})["success"] is False          # only once


def test_line_breakpoints_with_condition_hit_condition_and_log_message(dap, tmp_path):
    path = write(tmp_path, LOOP)
    body, printed = line_of(LOOP, "loop-body"), line_of(LOOP, "print")
    c = dap()
    cond, hits, log, none = c.start(path, [
        {"line": body, "condition": "(= i 3)"},
        {"line": printed, "hitCondition": "5"},
        {"line": line_of(LOOP, "add-body"), "logMessage": "add {a} {b}"},
        {"line": 500}])
    assert [b["verified"] for b in (cond, hits, log, none)] == [True, True, True, False]
    assert cond["line"] == body and "no code" in none["message"]
    c.ok("configurationDone")
    stop = c.stopped()
    assert (stop["reason"], stop["hitBreakpointIds"], stop["threadId"]) == ("breakpoint", [cond["id"]], 1)
    assert c.top()["line"] == body and c.value("i") == "3"
    # The set is replaced: the condition breakpoint goes; the two sent again are the same
    # breakpoints (same ids), so the hit count of the second one goes on from 3 hits.
    again = c.set_lines([{"line": printed, "hitCondition": "5"},
                         {"line": line_of(LOOP, "add-body"), "logMessage": "add {a} {b}"}])
    assert [b["id"] for b in again] == [hits["id"], log["id"]]
    stop = c.go("continue")
    assert stop["hitBreakpointIds"] == [hits["id"]]
    assert c.top()["line"] == printed and c.value("i") == "4"
    kept, = c.set_lines([{"line": line_of(LOOP, "add-body"), "logMessage": "add {a} {b}"}])
    assert kept["id"] == log["id"]
    c.ok("continue", {"threadId": 1})
    assert c.event("exited")["exitCode"] == 0
    c.event("terminated")
    # Log messages are console output, each just before what the program printed next.
    expected = []
    for i, total in zip(range(6), (0, 0, 1, 3, 6, 10)):
        expected += [("console", f"add {total} {i}"), ("stdout", str(i))]
    assert c.outputs() == expected + [("stdout", "total 15")]


FUNCTIONS = """
(defn add [a b]
  (+ a b))
(def twice (fn [f x] (f (f x))))
(println (twice (fn [y] (add y 1)) 5))
(def r (protect (add :oops 1)))   # @protect
(println r)
"""


def test_function_and_instruction_breakpoints(dap, tmp_path):
    path = write(tmp_path, FUNCTIONS)
    c = dap()
    c.start(path, stop_on_entry=True)
    found, missing = c.ok("setFunctionBreakpoints", {"breakpoints": [{"name": "add"}, {"name": "nope"}]})[
        "breakpoints"]
    assert found["verified"] and not missing["verified"] and "no function named nope" in missing["message"]
    c.ok("configurationDone")
    assert c.stopped()["reason"] == "entry"
    entry_ip = c.top()["instructionPointerReference"]
    stop = c.go("continue")
    assert (stop["reason"], stop["hitBreakpointIds"]) == ("function breakpoint", [found["id"]])
    frames = c.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert [f["name"] for f in frames] == ["add", "twice", "main"]     # fn's call is a tail call
    assert c.value("a") == "5"
    c.ok("setFunctionBreakpoints", {"breakpoints": []})
    # An instruction breakpoint in the protect body's `fn` only: the other `fn` (y) runs
    # first, shares its name, and must not stop.
    listing = c.ok("disassemble", {"memoryReference": entry_ip, "instructionCount": 400})["instructions"]
    protect_line = line_of(FUNCTIONS, "protect")
    target = next(i for i in listing if i.get("symbol") == "fn" and i.get("line") == protect_line)
    wide = next(i for i in listing if len(i.get("instructionBytes", "").split()) > 1)
    inside = hex(int(wide["address"], 16) + 1)
    good, bad = c.ok("setInstructionBreakpoints", {"breakpoints": [
        {"instructionReference": target["address"]}, {"instructionReference": inside}]})["breakpoints"]
    assert good["verified"] and good["instructionReference"] == target["address"]
    assert not bad["verified"] and "no instruction starts at" in bad["message"]
    stop = c.go("continue")
    assert (stop["reason"], stop["hitBreakpointIds"]) == ("instruction breakpoint", [good["id"]])
    top = c.top(stop["threadId"])
    assert top["instructionPointerReference"] == target["address"] and top["line"] == protect_line
    c.ok("setInstructionBreakpoints", {"breakpoints": []})
    c.ok("continue", {"threadId": 1})
    assert c.event("exited")["exitCode"] == 0
    assert c.output().splitlines()[0] == "7"


FIBERS = """
(defn gen-body []
  (yield 1)                   # @yield-1
  (yield 2)                   # @yield-2
  3)
(def g (fiber/new gen-body :yield))
(def a (fiber/resume g))      # @resume-a
(def b (fiber/resume g))      # @resume-b
(println (+ a b))             # @print
"""


def test_stepping_into_fibers_and_back_and_the_threads_they_are(dap, tmp_path):
    path = write(tmp_path, FIBERS)
    L = lambda m: line_of(FIBERS, m)  # noqa: E731
    c = dap()
    c.start(path, [L("resume-a")])
    c.ok("configurationDone")
    assert c.stopped()["threadId"] == 1
    stop = c.go("stepIn")
    assert (stop["reason"], stop["threadId"]) == ("step", 2)       # fiber 1 is thread 2
    top = c.top(2)
    assert (top["name"], top["line"]) == ("gen-body", L("yield-1"))
    threads = {t["id"]: t["name"] for t in c.ok("threads")["threads"]}
    assert set(threads) == {1, 2} and "alive" in threads[2]
    stop = c.go("stepIn")                                         # the yield: back in main
    assert stop["threadId"] == 1 and c.top(1)["line"] == L("resume-a")
    # The suspended fiber's own stack, and its status in the thread list.
    assert "paused" in {t["id"]: t["name"] for t in c.ok("threads")["threads"]}[2]
    suspended = c.ok("stackTrace", {"threadId": 2})
    assert suspended["totalFrames"] == 1 and suspended["stackFrames"][0]["line"] == L("yield-1")
    assert c.value("a") == "nil"
    stop = c.go("next")                                           # over the def: a is set
    assert c.top(1)["line"] == L("resume-b") and c.value("a") == "1"
    stop = c.go("stepIn")                                         # into the fiber, after its yield
    assert stop["threadId"] == 2 and c.top(2)["line"] == L("yield-1")
    stop = c.go("stepOut")                                        # to its next yield: back in main
    assert stop["threadId"] == 1 and c.top(1)["line"] == L("resume-b")
    stop = c.go("next")
    assert c.top(1)["line"] == L("print") and c.value("b") == "2"
    c.ok("continue", {"threadId": 1})
    assert c.event("exited")["exitCode"] == 0 and c.output() == "3\n"


def test_reverse_execution_step_back_and_reverse_continue(dap, tmp_path):
    path = write(tmp_path, LOOP)
    body, printed = line_of(LOOP, "loop-body"), line_of(LOOP, "print")
    c = dap()
    c.start(path, [printed])
    c.ok("configurationDone")
    c.stopped()
    for _ in range(2):
        c.go("continue")
    assert c.value("i") == "2" and c.output() == "0\n1\n"
    stop = c.go("reverseContinue")
    assert stop["reason"] == "breakpoint" and c.value("i") == "1"
    stop = c.go("stepBack")
    assert stop["reason"] == "step" and c.top()["line"] == body
    assert (c.value("i"), c.value("total")) == ("1", "0")
    ip = c.top()["instructionPointerReference"]
    c.go("stepBack", granularity="instruction")
    before = c.ok("disassemble", {"memoryReference": ip, "instructionOffset": -1, "instructionCount": 1})
    assert c.top()["instructionPointerReference"] == before["instructions"][0]["address"]
    assert c.go("reverseContinue")["reason"] == "breakpoint" and c.value("i") == "0"
    stop = c.go("reverseContinue")
    assert stop["reason"] == "entry" and "went back to the start" in stop["text"]
    # Forward again to the end: what the program printed is shown once, not again.
    c.set_lines([])
    c.ok("continue", {"threadId": 1})
    assert c.event("exited")["exitCode"] == 0
    assert c.output() == "0\n1\n2\n3\n4\n5\ntotal 15\n"


def test_goto_a_line_goes_back_to_the_last_time_it_ran(dap, tmp_path):
    path = write(tmp_path, LOOP)
    body, printed = line_of(LOOP, "loop-body"), line_of(LOOP, "print")
    c = dap()
    c.start(path, [{"line": printed, "condition": "(= i 4)"}])
    c.ok("configurationDone")
    c.stopped()
    source = {"path": str(path)}
    targets = c.ok("gotoTargets", {"source": source, "line": body})["targets"]
    assert [t["line"] for t in targets] == [body]
    assert c.ok("gotoTargets", {"source": source, "line": 500})["targets"] == []
    stop = c.go("goto", targetId=targets[0]["id"])
    assert stop["reason"] == "goto" and c.top()["line"] == body and c.value("i") == "4"
    assert c.value("total") == "6"                      # before (add total 4)


SIGNALS = """
(signal :note)
(var phase 0)
(defn risky [x] (/ 10 x))
(def r (protect (risky 0)))                            # @risky
(def f (fiber/new (fn []
                    (emit :note 7)
                    (assign phase 1)
                    (emit :note 8)                     # @note-8
                    1) :note))
(fiber/resume f)
(fiber/resume f)
(emit :note 99)                                        # @uncaught
"""


def test_catchpoints_stop_on_signals_and_explain_them(dap, tmp_path):
    path = write(tmp_path, SIGNALS)
    c = dap()
    c.start(path, stop_on_entry=True)
    filters = c.ok("setExceptionBreakpoints", {"filters": ["error"], "filterOptions": [
        {"filterId": "note", "condition": "(= phase 1)"}]})["breakpoints"]
    assert [b["verified"] for b in filters] == [True, True]
    c.ok("configurationDone")
    c.stopped()
    assert c.request("exceptionInfo", {"threadId": 1})["success"] is False   # not at a signal
    stop = c.go("continue")
    assert stop["reason"] == "exception" and ":error" in stop["description"]
    info = c.ok("exceptionInfo", {"threadId": stop["threadId"]})
    assert info["exceptionId"] == ":error" and "division-by-zero" in info["description"]
    assert "catches it" in info["description"] and c.top(stop["threadId"])["name"] == "risky"
    stop = c.go("continue")                              # (emit :note 7) in phase 0: no stop
    info = c.ok("exceptionInfo", {"threadId": stop["threadId"]})
    assert (info["exceptionId"], info["details"]["message"]) == (":note", "8")
    assert c.top(stop["threadId"])["line"] == line_of(SIGNALS, "note-8")
    fiber = stop["threadId"] - 1
    assert f"fiber {fiber}'s mask catches it" in info["description"]
    stop = c.go("continue")
    info = c.ok("exceptionInfo", {"threadId": stop["threadId"]})
    assert info["details"]["message"] == "99" and "ends the program" in info["description"]
    assert c.top(stop["threadId"])["line"] == line_of(SIGNALS, "uncaught")
    c.ok("continue", {"threadId": 1})
    assert c.event("exited")["exitCode"] == 1
    assert "uncaught signal :note" in c.output("stderr")


NESTED = """
(defn inner [x]
  (def local-array @[1 2 3])
  (+ x 1))                    # @inner-body
(defn outer [y]
  (+ 0 (inner (* y 2))))      # not a tail call: outer's frame stays
(def data {:name "vm" :items [10 20 30]})
(println (outer 5))
"""


def test_evaluate_in_any_frame_without_side_effects(dap, tmp_path):
    path = write(tmp_path, NESTED)
    c = dap()
    c.start(path, [line_of(NESTED, "inner-body")])
    c.ok("configurationDone")
    c.stopped()
    inner, outer, main = c.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert [f["name"] for f in (inner, outer, main)] == ["inner", "outer", "main"]
    assert c.value("x", inner["id"]) == "10"
    assert c.value("(* y 3)", outer["id"], "hover") == "15"
    wrong = c.request("evaluate", {"expression": "x", "frameId": outer["id"], "context": "watch"})
    assert not wrong["success"] and "unknown variable: x" in wrong["message"]
    failing = c.request("evaluate", {"expression": "(/ x 0)", "frameId": inner["id"], "context": "repl"})
    assert not failing["success"] and failing["message"].startswith("division-by-zero")
    for changes in ("(push local-array 4)", "(println 1)"):
        r = c.request("evaluate", {"expression": changes, "frameId": inner["id"], "context": "repl"})
        assert not r["success"] and "would change the program's state" in r["message"]
    assert "fuel" in c.request("evaluate", {"expression": "(forever 1)", "context": "repl"})["message"]
    assert c.value("local-array", inner["id"]) == "@[1 2 3]"
    # A structured result expands, and its parts say how to evaluate them.
    result = c.ok("evaluate", {"expression": "data", "frameId": inner["id"], "context": "repl"})
    assert result["type"] == "struct" and result["namedVariables"] == 2
    parts = c.ok("variables", {"variablesReference": result["variablesReference"]})["variables"]
    assert [(p["name"], p["value"]) for p in parts] == [(":name", '"vm"'), (":items", "[10 20 30]")]
    assert c.value(parts[1]["evaluateName"]) == "[10 20 30]"
    scopes = {s["name"]: s for s in c.ok("scopes", {"frameId": outer["id"]})["scopes"]}
    assert set(scopes) >= {"Locals", "Operand stack", "Globals", "Fiber 0"}
    names = c.ok("variables", {"variablesReference": scopes["Locals"]["variablesReference"]})["variables"]
    assert [(v["name"], v["value"]) for v in names] == [("y", "5")]
    c.ok("continue", {"threadId": 1})
    assert c.event("exited")["exitCode"] == 0 and c.output() == "11\n"


BIG = """
(def big @[])
(var i 0)
(while (< i 5000)
  (push big (if (= i 7) {:at i :tags [1 2]} i))
  (assign i (+ i 1)))
(println (length big))        # @end
"""


def test_variables_are_fetched_lazily_and_paged(dap, tmp_path):
    path = write(tmp_path, BIG)
    c = dap()
    c.start(path, [line_of(BIG, "end")])
    c.ok("configurationDone")
    c.stopped()
    frame = c.top()
    scopes = {s["name"]: s for s in c.ok("scopes", {"frameId": frame["id"]})["scopes"]}
    globals_ = c.ok("variables", {"variablesReference": scopes["Globals"]["variablesReference"]})["variables"]
    big = next(v for v in globals_ if v["name"] == "big")
    assert big["indexedVariables"] == 5000 and big["type"] == "@array"
    page = c.ok("variables", {"variablesReference": big["variablesReference"], "filter": "indexed",
                              "start": 4990, "count": 10})["variables"]
    assert [(v["name"], v["value"]) for v in page] == [(f"[{n}]", str(n)) for n in range(4990, 5000)]
    seventh = c.ok("variables", {"variablesReference": big["variablesReference"], "filter": "indexed",
                                 "start": 7, "count": 1})["variables"][0]
    assert seventh["evaluateName"] == "(get big 7)" and seventh["namedVariables"] == 2
    fields = c.ok("variables", {"variablesReference": seventh["variablesReference"]})["variables"]
    assert [(f["name"], f["value"]) for f in fields] == [(":at", "7"), (":tags", "[1 2]")]
    assert c.value(fields[1]["evaluateName"]) == "[1 2]"
    # References belong to the stop: after the program moves they are refused.
    c.go("next", granularity="instruction")
    stale = c.request("variables", {"variablesReference": big["variablesReference"]})
    assert not stale["success"] and "has run since" in stale["message"]


def test_disassemble_follows_the_instruction_pointer(dap, tmp_path):
    path = write(tmp_path, LOOP)
    c = dap()
    c.start(path, stop_on_entry=True)
    c.ok("configurationDone")
    assert c.stopped()["reason"] == "entry"
    ip = c.top()["instructionPointerReference"]
    listing = c.ok("disassemble", {"memoryReference": ip, "instructionOffset": -3,
                                   "instructionCount": 8})["instructions"]
    assert len(listing) == 8
    # Nothing comes before the program's first instruction: fillers, marked invalid.
    assert [i.get("presentationHint") for i in listing[:3]] == ["invalid"] * 3
    here, after = listing[3], listing[4]
    assert here["address"] == ip and here["symbol"] == "main" and here["line"] == 1
    assert here["location"]["path"] == str(path) and here["instruction"].startswith("MakeClosure")
    c.go("next", granularity="instruction")
    assert c.top()["instructionPointerReference"] == after["address"]
    c.go("stepIn", granularity="instruction")
    assert c.top()["instructionPointerReference"] == listing[5]["address"]


def test_prelude_frames_show_their_source_by_reference(dap, tmp_path):
    text = """
    (defn double [x]
      (* x 2))                  # @body
    (println (map double [1 2 3]))
    """
    path = write(tmp_path, text)
    c = dap()
    c.start(path, [line_of(text, "body")])
    c.ok("configurationDone")
    c.stopped()
    frames = c.ok("stackTrace", {"threadId": 1})["stackFrames"]
    assert [f["name"] for f in frames] == ["double", "map", "main"]
    library = frames[1]["source"]
    assert library["name"] == "<prelude>" and "path" not in library
    assert frames[1]["presentationHint"] == "subtle"
    content = c.ok("source", {"source": library, "sourceReference": library["sourceReference"]})["content"]
    assert "(defn map" in content
    assert library in c.ok("loadedSources")["sources"]
    # Paged: the caller frames, one at a time.
    page = c.ok("stackTrace", {"threadId": 1, "startFrame": 1, "levels": 1})
    assert page["totalFrames"] == 3 and [f["name"] for f in page["stackFrames"]] == ["map"]


def test_no_debug_runs_to_the_end_without_stopping(dap, tmp_path):
    path = write(tmp_path, LOOP)
    c = dap()
    c.start(path, [line_of(LOOP, "print")], stop_on_entry=True, noDebug=True)
    c.ok("configurationDone")
    assert c.event("exited")["exitCode"] == 0
    assert c.output().endswith("total 15\n") and not [e for e in c.events if e["event"] == "stopped"]


def test_bad_launches_and_requests_fail_with_a_message_not_a_traceback(dap, tmp_path):
    bad = write(tmp_path, """
        (println 1)
        (println (undefined-thing 2))
        """, "bad.lisp")
    c = dap()
    c.ok("initialize", {"adapterID": "vmdbg"})
    r = c.request("stackTrace", {"threadId": 1})
    assert not r["success"] and "launch first" in r["message"]
    r = c.request("launch", {"program": str(tmp_path / "missing.lisp")})
    assert not r["success"] and r["message"] == f"{tmp_path / 'missing.lisp'}: no such file"
    r = c.request("launch", {"program": str(bad)})
    assert not r["success"]
    assert r["message"] == f"{bad}:2:11: compile error: unknown variable: undefined-thing"
    assert not c.request("launch", {})["success"]
    assert not c.request("launch", {"program": str(bad), "fuel": "lots"})["success"]
    r = c.request("frobnicate", {"x": 1})
    assert not r["success"] and "unsupported request" in r["message"]
    assert not c.request("attach", {})["success"]
    # Not a request at all, and a frame that is not JSON: ignored, the server goes on.
    c.writer.write(b'Content-Length: 7\r\n\r\nnotjson')
    c.writer.flush()
    ok = write(tmp_path, "(println 42)\n", "ok.lisp")
    c.ok("launch", {"program": str(ok)})
    c.ok("configurationDone")
    assert c.event("exited")["exitCode"] == 0 and c.output() == "42\n"
    assert c.finish() == 0


SPIN = """
(var n 0)
(defn tick []
  (assign n (+ n 1)))         # @tick-body
(forever
  (tick)
  (when (= 0 (rem n 50000)) (println n)))
"""


def test_pause_and_breakpoints_while_the_program_runs(dap, tmp_path):
    path = write(tmp_path, SPIN)
    c = dap()
    c.start(path)
    c.ok("configurationDone")
    busy = c.request("stackTrace", {"threadId": 1})
    assert not busy["success"] and "running" in busy["message"]
    assert c.ok("threads")["threads"][0]["id"] == 1          # never waits for the run
    # A breakpoint set while running is set at once and hit by the same run.
    bp, = c.set_lines([{"line": line_of(SPIN, "tick-body"), "hitCondition": "3"}])
    assert bp["verified"]
    stop = c.stopped()
    assert stop["reason"] == "breakpoint" and c.top()["name"] == "tick"
    first = int(c.value("n"))
    c.set_lines([])
    c.ok("continue", {"threadId": 1})
    c.ok("pause", {"threadId": 1})
    stop = c.stopped()
    assert stop["reason"] == "pause" and int(c.value("n")) > first
    c.ok("continue", {"threadId": 1})
    c.ok("terminate")
    c.event("terminated")
    assert c.finish() == 0


def test_restart_reloads_the_file_and_keeps_breakpoints(dap, tmp_path):
    text = """
    (def greeting "v1")
    (println greeting)           # @print
    (def done true)
    """
    path = write(tmp_path, text)
    c = dap()
    bp, = c.start(path, [line_of(text, "print")])
    c.ok("configurationDone")
    c.stopped()
    c.go("next")
    assert c.output() == "v1\n"
    path.write_text(program(text).replace("v1", "v2"))
    c.ok("restart")
    changed = c.event("breakpoint")["breakpoint"]
    assert changed["id"] == bp["id"] and changed["verified"]
    stop = c.stopped()
    assert stop["reason"] == "breakpoint" and c.value("greeting") == '"v2"'
    path.write_text("(println (oops\n")
    r = c.request("restart")
    assert not r["success"] and f"{path}:" in r["message"] and "read error" in r["message"]
    c.ok("continue", {"threadId": 1})                     # the old program goes on
    assert c.event("exited")["exitCode"] == 0
    assert c.output() == "v1\nv2\n"


def test_a_failing_program_reports_its_error_and_exit_status(dap, tmp_path):
    path = write(tmp_path, """
        (println "before")
        (println (/ 1 0))
        """)
    c = dap()
    c.start(path)
    c.ok("configurationDone")
    assert c.event("exited")["exitCode"] == 1
    c.event("terminated")
    assert c.output() == "before\n"
    assert c.output("stderr").startswith("division-by-zero: /: division by zero")


def headless(path) -> tuple[str, int]:
    done = subprocess.run([sys.executable, "-m", "vmdbg", "run", "--jit", "0", str(path)], cwd=ROOT,
                          capture_output=True, timeout=60)
    return done.stdout.decode("utf-8"), done.returncode


@pytest.mark.parametrize("name", ["demo.lisp", "generators.lisp", "errors.lisp", "failing"])
def test_breakpoints_that_never_stop_change_nothing(dap, tmp_path, name):
    """Under `vmdbg dap` with a breakpoint on every line that never stops (condition false,
    or a log point), a program prints what `vmdbg run --jit 0` prints and ends the same way."""
    if name == "failing":
        path = write(tmp_path, """
            (defn f [n] (if (= n 0) (error :boom "bottom") (f (- n 1))))
            (println "going down")
            (f 5)
            """)
    else:
        path = EXAMPLES / name
    expected, status = headless(path)
    c = dap()
    c.start(path)
    n = len(path.read_text().splitlines())
    lines = [b["line"] for b in c.ok("breakpointLocations", {"source": {"path": str(path)}, "line": 1,
                                                              "endLine": n})["breakpoints"]]
    assert len(lines) >= 3
    specs = [{"line": ln, "condition": "false"} if k % 2 else {"line": ln, "logMessage": "at " + str(ln)}
             for k, ln in enumerate(lines)]
    assert all(b["verified"] for b in c.set_lines(specs))
    c.ok("setExceptionBreakpoints", {"filters": [],
                                     "filterOptions": [{"filterId": "error", "condition": "false"}]})
    c.ok("configurationDone")
    assert c.event("exited")["exitCode"] == status
    c.event("terminated")
    assert c.output() == expected
    assert c.output("console")                             # the log points did write


def test_socket_mode_serves_one_client(tmp_path):
    path = write(tmp_path, '(println "over a socket")\n')
    proc = subprocess.Popen([sys.executable, "-m", "vmdbg", "dap", "--port", "0"], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        announced = proc.stderr.readline().decode()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", announced).group(1))
        conn = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        c = Client(conn.makefile("rb"), conn.makefile("wb"))
        c.start(path)
        c.ok("configurationDone")
        assert c.event("exited")["exitCode"] == 0 and c.output() == "over a socket\n"
        c.ok("disconnect")
        assert proc.wait(TIMEOUT) == 0
        assert proc.stdout.read() == b""                    # the protocol went over the socket
        conn.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
