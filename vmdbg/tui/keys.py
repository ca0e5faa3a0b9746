"""Key bindings with ids, and the user's remap file (~/.config/vmdbg/keys.toml).

Every binding has an id; a TOML file maps ids to keys and replaces the defaults:

    # ~/.config/vmdbg/keys.toml   ($XDG_CONFIG_HOME/vmdbg/keys.toml, or $VMDBG_KEYS)
    [keys]
    step_into = "s,f11"
    continue = "g,f5"

Keys use Textual's names: letters, "f5", "shift+f11", "ctrl+x", "question_mark". Several
keys for one binding are separated by commas. The help screen (?) shows what is in effect.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One global command: its id, default keys, action and the words the user sees."""

    id: str
    keys: str
    action: str
    description: str
    group: str
    footer: bool = False


# Single letters first (gdb/pudb habits), F-keys as aliases (VS Code habits).
GLOBAL_KEYS = (
    Key("step_into", "s,f11", "step_into", "Step into (line)", "Step", True),
    Key("step_over", "n,f10", "step_over", "Step over", "Step", True),
    Key("step_out", "f,shift+f11", "step_out", "Step out", "Step", True),
    Key("step_instruction", "i", "step_instruction", "Step one instruction", "Step"),
    Key("continue", "c,f5", "continue", "Continue", "Run", True),
    Key("pause", "p,f6", "pause", "Pause", "Run", True),
    Key("run_to_cursor", "t", "run_to_cursor", "Run to the cursor line", "Run"),
    Key("restart", "r", "restart", "Restart (reloads the file)", "Run"),
    Key("step_back", "S", "step_back", "Step back (line)", "Reverse"),
    Key("step_back_over", "N", "step_back_over", "Step back over", "Reverse"),
    Key("step_back_instruction", "I", "step_back_instruction", "Step back one instruction", "Reverse"),
    Key("reverse_continue", "C", "reverse_continue", "Reverse continue", "Reverse"),
    Key("tick_back", "comma", "tick_back", "Back by the stride (ticks)", "Time"),
    Key("tick_forward", "full_stop", "tick_forward", "Forward by the stride", "Time"),
    Key("stride", "slash", "stride", "Stride: 1, 10, 100, 1000", "Time"),
    Key("goto_tick", "T", "goto_tick", "Go to a tick (typed in)", "Time"),
    Key("previous_stop", "less_than_sign", "previous_stop", "Previous breakpoint hit", "Time"),
    Key("next_stop", "greater_than_sign", "next_stop", "Next breakpoint hit, else continue", "Time"),
    Key("toggle_breakpoint", "b,f9", "toggle_breakpoint", "Toggle breakpoint at the cursor", "Breakpoints", True),
    Key("breakpoint_editor", "B", "breakpoint_editor", "Breakpoint editor", "Breakpoints"),
    Key("frame_up", "u", "frame_up", "Frame up (caller)", "Inspect"),
    Key("frame_down", "d", "frame_down", "Frame down (callee)", "Inspect"),
    Key("add_watch", "w", "add_watch", "Add a watch expression", "Inspect"),
    Key("page_1", "1", "page(1)", "Show page 1 of the bar at the top", "Pages"),
    Key("page_2", "2", "page(2)", "Show page 2 of the bar at the top", "Pages"),
    Key("page_3", "3", "page(3)", "Show page 3 of the bar at the top", "Pages"),
    Key("page_4", "4", "page(4)", "Show page 4 of the bar at the top", "Pages"),
    Key("page_5", "5", "page(5)", "Show page 5 of the bar at the top", "Pages"),
    Key("command", "colon", "command", "A debugger command (break, tick...)", "App"),
    Key("help", "question_mark", "help", "Help: keys in effect", "App", True),
    Key("quit", "q,ctrl+q", "quit", "Quit", "App", True),
)

KEYS_BY_ID = {k.id: k for k in GLOBAL_KEYS}


def global_bindings(keys: dict[str, str] | None = None) -> list[Binding]:
    """Textual bindings for GLOBAL_KEYS, with `keys` (id -> "k1,k2", from effective_keys)
    in place of the defaults; the footer shows the main ones, in this order, by their
    first key."""
    keys = keys or {}
    out = []
    for k in GLOBAL_KEYS:
        chosen = keys.get(k.id, k.keys)
        if chosen:
            out.append(Binding(chosen, k.action, k.description, show=k.footer, id=k.id,
                               key_display=_short_display(chosen)))
    return out


def effective_keys(keymap: dict[str, str], path: str = "keys.toml") -> tuple[dict[str, str], list[str]]:
    """(id -> keys in effect, problems) for the global bindings after the user's remap.

    A key the remap gives to one binding is taken from any other that had it by default,
    and the user is told: `quit = "s"` makes s quit, and Step into keeps only f11."""
    keys = {k.id: keymap.get(k.id, k.keys).split(",") for k in GLOBAL_KEYS}
    problems = []
    for binding_id, wanted in keymap.items():
        if binding_id not in keys:
            continue                    # a panel's binding: Textual's keymap handles it
        for key in wanted.split(","):
            for other, theirs in keys.items():
                if other != binding_id and key in theirs:
                    if other in keymap:
                        problems.append(f"{path}: {key} is given to both {binding_id} and {other}")
                        continue
                    theirs.remove(key)
                    left = ", ".join(theirs) or "no key at all"
                    problems.append(f"{path}: {key} is now {binding_id}; {other} keeps {left}")
    return {i: ",".join(ks) for i, ks in keys.items()}, problems


def _short_display(keys: str) -> str:
    first = keys.split(",")[0]
    return "?" if first == "question_mark" else first


def config_path() -> str:
    """Where the remap file is read from: $VMDBG_KEYS, else the XDG config directory."""
    explicit = os.environ.get("VMDBG_KEYS")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "vmdbg", "keys.toml")


def load_keymap(path: str | None = None, known_ids: set[str] | None = None) -> tuple[dict, list[str]]:
    """(binding id -> keys, problems) from the remap file; a missing file is no problem."""
    path = path or config_path()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}, []
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        return {}, [f"{path}: {e}"]
    table = data.get("keys", data)
    if not isinstance(table, dict):
        return {}, [f"{path}: expected a [keys] table"]
    known = known_ids if known_ids is not None else set(KEYS_BY_ID)
    keymap, problems = {}, []
    for binding_id, keys in table.items():
        if binding_id not in known:
            problems.append(f"{path}: unknown binding id {binding_id!r}")
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f"{path}: {binding_id} should be a string of keys, like \"s,f11\"")
        else:
            keymap[binding_id] = ",".join(part.strip() for part in keys.split(","))
    return keymap, problems
