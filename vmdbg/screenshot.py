"""`vmdbg screenshot`: render the debugger headlessly at a stop and save it as SVG.

    vmdbg screenshot FILE [--break LINE]... [--catch :SIGNAL]... [--continue N] [--steps N]
                          [--tick N] [--fiber ID] [--press KEY]... [--size 120x40] -o OUT.svg

Breakpoints and catchpoints are set first, then the program continues (once, if there are
any), steps, goes to a tick and selects a fiber; --press sends keys last (e.g. --press
question_mark for the help screen). `python -m vmdbg.screenshot --all DIR` regenerates the
README's screenshots (the SCENES below).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys

from vmdbg.core.source import EXAMPLES, EXIT_OK, EXIT_USAGE, SourceFileError, demo_path, positive_int

# name -> (program, stop arguments, session options, keys, size): the README's pictures.
SCENES = {
    "start": ("demo.lisp", {}, {}, (), (120, 40)),
    "stepping": ("demo.lisp", {"steps": 14}, {}, (), (120, 40)),
    "breakpoint": ("demo.lisp", {"breakpoints": [37], "continues": 3}, {}, (), (120, 40)),
    "yielded_fiber": ("demo.lisp", {"breakpoints": [62], "fiber": 1}, {}, (), (120, 40)),
    "signal_path": ("signals.lisp", {"catch": [":log"]}, {}, (), (120, 40)),
    "fuel_catch": ("demo.lisp", {"catch": [":fuel"]}, {}, (), (120, 40)),
    "stack_overflow": ("overflow.lisp", {"catch": [":error"]}, {}, (), (120, 40)),
    "finished": ("demo.lisp", {"continues": 1}, {}, (), (120, 40)),
    "help": ("demo.lisp", {}, {}, ("question_mark",), (120, 40)),
    "compact": ("demo.lisp", {"breakpoints": [37]}, {}, (), (80, 24)),
}


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(n) for n in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 120x40, got {text!r}")
    if width < 20 or height < 5:
        raise argparse.ArgumentTypeError("the size is too small to show anything")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vmdbg screenshot",
                                description="Render the debugger at a stop to an SVG file.")
    p.add_argument("file", nargs="?", help="program file (default: the bundled demo)")
    p.add_argument("-o", "--output", help="SVG file to write")
    p.add_argument("--break", dest="breaks", action="append", default=[], type=int, metavar="LINE",
                   help="set a breakpoint on LINE (repeatable)")
    p.add_argument("--catch", action="append", default=[], metavar=":SIGNAL",
                   help="stop when SIGNAL is emitted (repeatable)")
    p.add_argument("--continue", dest="continues", type=positive_int, default=None, metavar="N",
                   help="continue N times (default: once if there are breakpoints)")
    p.add_argument("--steps", type=positive_int, default=0, metavar="N", help="then step into N lines")
    p.add_argument("--tick", type=positive_int, default=None, metavar="N", help="then go to tick N")
    p.add_argument("--fiber", type=int, default=None, metavar="ID", help="then inspect fiber ID")
    p.add_argument("--press", action="append", default=[], metavar="KEY",
                   help="then press KEY (Textual key names; repeatable)")
    p.add_argument("--size", type=parse_size, default=(120, 40), metavar="WxH")
    p.add_argument("--fuel", type=positive_int, default=None, metavar="N")
    p.add_argument("--jit", type=positive_int, default=0, metavar="N")
    p.add_argument("--all", metavar="DIR", help="write every README screenshot into DIR")
    return p


async def render(path: str, stop: dict, options: dict, keys, size) -> str:
    """The SVG of the app on `path` stopped as `stop` says, after pressing `keys`."""
    from vmdbg.testing import settle, stopped_app
    for attempt in range(3):
        app = stopped_app(path, session_options=options, **stop)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            # The footer fills in from the bindings a refresh after the rest: wait for it.
            for _ in range(50):
                if app.query("FooterKey"):
                    break
                await pilot.pause(0.02)
            await pilot.pause()
            svg = app.export_screenshot(title=f"vmdbg {os.path.basename(path)}")
        if "Quit" in svg or keys:
            break
    return offline(svg)


def offline(svg: str) -> str:
    """The SVG drawn the same without a network: no web font (Fira Code is used if it is
    installed, else the system's monospace fonts), and spaces kept as drawn (some
    renderers drop the leading space of a run, which shifted every column after it)."""
    svg = re.sub(r"@font-face \{.*?\}\s*", "", svg, flags=re.S)
    svg = svg.replace("font-family: Fira Code, monospace;",
                      'font-family: "Fira Code", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", '
                      "monospace;\n        white-space: pre;")
    return svg.replace("<svg class=", '<svg xml:space="preserve" class=', 1)


def write_all(directory: str) -> int:
    os.makedirs(directory, exist_ok=True)
    for name, (program, stop, options, keys, size) in SCENES.items():
        svg = asyncio.run(render(os.path.join(EXAMPLES, program), stop, options, keys, size))
        out = os.path.join(directory, f"{name}.svg")
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(svg)
        print(out, flush=True)
    return EXIT_OK


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.all:
        return write_all(args.all)
    if not args.output:
        print("vmdbg screenshot: say where to write the SVG with -o OUT.svg", file=sys.stderr)
        return EXIT_USAGE
    from vm.errors import SourceError
    stop = {"breakpoints": args.breaks, "catch": args.catch, "continues": args.continues,
            "steps": args.steps, "tick": args.tick, "fiber": args.fiber}
    options = {"jit": args.jit, "fuel": args.fuel}
    try:
        svg = asyncio.run(render(args.file or demo_path(), stop, options, args.press, args.size))
    except (SourceFileError, SourceError) as e:
        print(f"vmdbg: {e}", file=sys.stderr)
        return EXIT_USAGE
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(svg)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
