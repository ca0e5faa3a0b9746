"""Themes: the panels take their colours from Textual's theme, readable (WCAG AA, 4.5:1) on
light and dark themes alike, ANSI colours only on the ANSI themes; `--theme` chooses one
and the choice is remembered."""

from __future__ import annotations

import asyncio
import os

import pytest
from rich.color import ColorType

from vmdbg.cli import main
from vmdbg.testing import settle, stopped_app
from vmdbg.tui import settings
from vmdbg.tui.widgets.rows import component_style, contrast
from vmdbg.tui.widgets.source import SourceView

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "vmdbg", "examples",
                    "demo.lisp")
TOKENS = ("source--comment", "source--string", "source--number", "source--keyword", "source--special",
          "source--call", "source--punct")


def token_styles(theme: str) -> tuple:
    async def run():
        app = stopped_app(DEMO)
        app.theme = theme
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            source = app.part(SourceView)
            return [component_style(source, cls) for cls in TOKENS], source.background_colors[1]
    return asyncio.run(run())


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark", "solarized-light", "atom-one-light"])
def test_source_colours_are_readable(theme):
    from textual.color import Color
    styles, background = token_styles(theme)
    for cls, style in zip(TOKENS, styles):
        assert contrast(Color.from_rich_color(style.color), background) >= 4.5, (theme, cls)


def test_an_ansi_theme_sends_no_true_colour():
    styles, _ = token_styles("ansi-dark")
    assert all(s.color is None or s.color.type != ColorType.TRUECOLOR for s in styles)


def test_theme_is_chosen_on_the_command_line_and_remembered(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    from vmdbg.tui.app import DebuggerApp
    themes = []
    monkeypatch.setattr(DebuggerApp, "run", lambda app: themes.append(app.theme))
    assert main([DEMO, "--theme", "textual-light"]) == 0
    assert main([DEMO]) == 0
    assert themes == ["textual-light", "textual-light"]
    assert settings.load() == {"theme": "textual-light"}
    assert main([DEMO, "--theme", "nope"]) == 2
    assert "unknown theme 'nope' (themes: ansi-dark, " in capsys.readouterr().err
