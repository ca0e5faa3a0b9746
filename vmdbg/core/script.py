"""The debugger's command language: one command a line, the same in a command file
(`vmdbg FILE -x CMDS`), in start-up flags, at the TUI's command prompt and in an editor's
debug console (DAP `evaluate` in the repl context).

    break WHERE [hits N] [if EXPR]   a breakpoint; WHERE is a line, a function name,
                                     name@offset or :signal (a catchpoint)
    log WHERE MESSAGE                a logpoint: print MESSAGE ({expr} replaced), never stop
    catch :SIGNAL                    stop when SIGNAL is emitted (also |:yield :error|)
    delete N | delete all            remove breakpoint N, or every one
    enable N | disable N
    watch EXPR | unwatch EXPR
    continue (c) | step (s) | next (n) | finish (out, f) | stepi (i)
    back (S) | back-over (N) | backi (I) | reverse-continue (rc, C)
    run-to LINE (until) | tick N (goto)
    fiber ID | frame N | restart
    print EXPR (p)                   evaluate in the selected frame; the value is the message

Every command returns the Snapshot after it; a command that cannot be carried out raises
CommandError with a message in the user's terms.
"""

from __future__ import annotations

import shlex


class CommandError(ValueError):
    """A command line that does not parse, or names something that is not there."""


def parse_where(where: str) -> dict:
    """'12' or 'line 12' -> line; ':yield' -> signal; 'name@7' -> offset; else a function."""
    where = where.strip()
    if where.lower().startswith("line "):
        where = where[5:].strip()
    if where.lower().startswith("fn "):
        return {"function": where[3:].strip()}
    if where.isdigit():
        return {"line": int(where)}
    if where.startswith((":", "|")) or where.lower().startswith("signal "):
        return {"signal": where.removeprefix("signal ").strip()}
    if "@" in where:
        name, _, off = where.rpartition("@")
        if off.strip().isdigit():
            return {"offset": (name.strip(), int(off))}
    if not where:
        raise ValueError("say where: a line number, a function name, name@offset or :signal")
    return {"function": where}


# name -> Session method, for the commands that take no argument.
MOVES = {
    "continue": "continue_", "c": "continue_",
    "step": "step_line", "s": "step_line",
    "next": "step_over", "n": "step_over",
    "finish": "step_out", "out": "step_out", "f": "step_out",
    "stepi": "step_instruction", "i": "step_instruction",
    "back": "step_back_line", "S": "step_back_line",
    "back-over": "step_back_over", "N": "step_back_over",
    "backi": "step_back", "I": "step_back",
    "reverse-continue": "reverse_continue", "rc": "reverse_continue", "C": "reverse_continue",
    "restart": "restart",
}
WITH_ARGUMENT = ("break", "b", "log", "catch", "delete", "enable", "disable", "watch", "unwatch",
                 "run-to", "until", "tick", "goto", "fiber", "frame", "print", "p")
NAMES = tuple(MOVES) + WITH_ARGUMENT


def split(line: str) -> tuple[str, str]:
    """(command, the rest of the line); comments (#) and blank lines give ("", "")."""
    text = line.strip()
    if not text or text.startswith("#"):
        return "", ""
    name, _, rest = text.partition(" ")
    if name not in NAMES:
        raise CommandError(f"unknown command {name!r} (commands: break, log, catch, delete, watch, "
                           f"continue, step, next, finish, stepi, back, run-to, tick, fiber, frame, print)")
    if name in MOVES and rest.strip():
        raise CommandError(f"{name} takes no argument")
    if name in WITH_ARGUMENT and not rest.strip() and name != "delete":
        raise CommandError(f"{name} needs an argument")
    return name, rest.strip()


def check(line: str) -> None:
    """Raise CommandError if `line` would not parse (a command file is checked whole
    before anything runs)."""
    name, rest = split(line)
    if name in ("break", "b"):
        breakpoint_options(rest)
    elif name == "log":
        logpoint_options(rest)
    elif name in ("run-to", "until", "tick", "goto", "fiber", "frame", "enable", "disable"):
        number(name, rest)
    elif name == "delete" and rest and rest != "all":
        number(name, rest)


def number(name: str, text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise CommandError(f"{name}: expected a whole number, got {text!r}") from None
    if n < 0:
        raise CommandError(f"{name}: expected a number >= 0, got {n}")
    return n


def breakpoint_options(rest: str) -> dict:
    """`WHERE [hits N] [if EXPR]` -> add_breakpoint's keyword arguments."""
    condition = None
    if " if " in f" {rest} ":
        rest, _, condition = f" {rest} ".partition(" if ")
        rest, condition = rest.strip(), condition.strip()
        if not condition:
            raise CommandError("break: say the condition after if")
    hit_count = None
    words = rest.split()
    if len(words) >= 3 and words[-2] == "hits":
        hit_count = number("break hits", words[-1])
        rest = " ".join(words[:-2])
    try:
        where = parse_where(rest)
    except ValueError as e:
        raise CommandError(f"break: {e}") from None
    return dict(where, condition=condition, hit_count=hit_count)


def logpoint_options(rest: str) -> dict:
    """`WHERE MESSAGE` (MESSAGE may be quoted) -> add_breakpoint's keyword arguments."""
    where, _, message = rest.partition(" ")
    message = message.strip()
    if message[:1] in ("'", '"'):
        try:
            message = " ".join(shlex.split(message))
        except ValueError as e:
            raise CommandError(f"log: {e}") from None
    if not where or not message:
        raise CommandError("log: say where and what, like: log 12 i is {i}")
    try:
        return dict(parse_where(where), log_message=message)
    except ValueError as e:
        raise CommandError(f"log: {e}") from None


def run_command(session, line: str):
    """Carry out one command line on `session`; the Snapshot after it."""
    name, rest = split(line)
    if not name:
        return session.snapshot()
    if name in MOVES:
        return getattr(session, MOVES[name])()
    if name in ("break", "b", "log", "catch"):
        if name == "catch":
            options = {"signal": rest}
        elif name == "log":
            options = logpoint_options(rest)
        else:
            options = breakpoint_options(rest)
        bp = session.add_breakpoint(**options)
        if not bp.verified:
            session.remove_breakpoint(bp.id)
            raise CommandError(f"{name} {rest}: {bp.message}")
        session.message = f"breakpoint {bp.id}: {bp.describe()}"
        return session.snapshot()
    if name == "delete":
        ids = list(session.breakpoints) if rest in ("", "all") else [number(name, rest)]
        for bp_id in ids:
            if not session.remove_breakpoint(bp_id):
                raise CommandError(f"delete: no breakpoint {bp_id}")
        return session.snapshot()
    if name in ("enable", "disable"):
        if not session.enable_breakpoint(number(name, rest), name == "enable"):
            raise CommandError(f"{name}: no breakpoint {rest}")
        return session.snapshot()
    if name == "watch":
        return session.add_watch(rest)
    if name == "unwatch":
        return session.remove_watch(rest)
    if name in ("run-to", "until"):
        return session.run_to(number(name, rest))
    if name in ("tick", "goto"):
        return session.goto_tick(number(name, rest))
    if name == "fiber":
        return session.select_fiber(number(name, rest))
    if name == "frame":
        return session.select_frame(number(name, rest))
    ok, text = session.evaluate(rest)          # print / p
    session.message = text if ok else f"error: {text}"
    return session.snapshot()
