"""The TUI's remembered choices (the theme), kept in the user's state directory."""

from __future__ import annotations

import json
import os

from platformdirs import user_state_dir


def themes() -> list[str]:
    """The names `--theme` accepts: Textual's built-in themes."""
    from textual.theme import BUILTIN_THEMES
    return sorted(BUILTIN_THEMES)


def settings_path() -> str:
    return os.path.join(user_state_dir("vmdbg"), "tui.json")


def load() -> dict:
    """The saved settings; {} when there are none or they cannot be read."""
    try:
        with open(settings_path(), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(**changes) -> None:
    """Merge `changes` into the saved settings (a state directory that cannot be written
    only means the choice is not remembered)."""
    data = load()
    data.update(changes)
    try:
        os.makedirs(os.path.dirname(settings_path()), exist_ok=True)
        with open(settings_path(), "w", encoding="utf-8") as fh:
            json.dump(data, fh)
    except OSError:
        pass
