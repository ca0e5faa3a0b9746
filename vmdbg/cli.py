"""The `vmdbg` command line: the TUI, and run / dis / trace for scripts and teaching."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from vm.heap import DEFAULT_MAX_HEAP
from vm.primitives.types import DEFAULT_MAX_COLLECTION
from vmdbg.core.source import (EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE,  # noqa: F401
                               SourceFileError, demo_path, positive_int, read_source)


def version_text() -> str:
    """`vmdbg --version`: this package's version and the runtime libraries it uses."""
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    python = ".".join(str(n) for n in sys.version_info[:3])
    return (f"vmdbg {of('vmdbg')} (Python {python}, textual {of('textual')}, "
            f"llvmlite {of('llvmlite')}, pygments {of('pygments')})")


class VersionAction(argparse.Action):
    """--version, its text made only when asked for (importlib.metadata is slow to import)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text())
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of `vmdbg COMMAND ...`; with `command`, only that command's subparser is
    made (what `vmdbg run` parses is the same, and start-up does not pay for the rest)."""
    p = argparse.ArgumentParser(prog="vmdbg", description="A bytecode VM for a small Lisp, and its terminal debugger.",
                                usage="vmdbg [FILE] [--jit N] [--fuel N] [--max-depth N]   (the debugger)\n"
                                      "       vmdbg {run,dis,trace,jit,screenshot,dap} ...")
    p.add_argument("--version", action=VersionAction)
    p.epilog = ("the debugger (vmdbg [FILE]) takes --jit N (default 0), --fuel N and --max-depth N; "
                "each command has its own --help")
    sub = p.add_subparsers(dest="command")

    def common(sp, jit=0):
        sp.add_argument("file", help="program file (.lisp)")
        # jit=None (`run`): a function compiles once it has run enough instructions, its
        # loops included (vm/jit/code.py Tiering).
        sp.add_argument("--jit", type=positive_int, default=jit, metavar="N",
                        help=f"JIT threshold: compile a function at its Nth call (0: interpreter only; "
                             + (f"default {jit})" if jit is not None else
                                "default: once it has run about a million instructions, loops included)"))
        sp.add_argument("--no-jit-cache", action="store_true",
                        help="compile afresh: neither read nor write the JIT's on-disk code cache "
                             "(also VMDBG_JIT_CACHE=0)")
        sp.add_argument("--fuel", type=positive_int, default=None, metavar="N",
                        help="give the program N instructions; running out stops it")
        sp.add_argument("--max-depth", type=positive_int, default=10_000, metavar="N",
                        help="non-tail call depth limit per fiber (default 10000)")
        sp.add_argument("--max-output", type=positive_int, default=None, metavar="N",
                        help="characters of output allowed")
        sp.add_argument("--max-collection", type=positive_int, default=DEFAULT_MAX_COLLECTION, metavar="N",
                        help="elements allowed in one collection, characters in one string or "
                             f"printed text (default {DEFAULT_MAX_COLLECTION:,})")
        sp.add_argument("--max-heap", type=positive_int, default=DEFAULT_MAX_HEAP, metavar="N",
                        help="elements (and characters) the program's data may hold at once "
                             f"(default {DEFAULT_MAX_HEAP:,})")
        sp.add_argument("--stats", action="store_true", help="print instruction count and time on stderr")

    def wanted(name: str) -> bool:
        return command is None or command == name

    # `run` tiers up by instructions run (vm/jit/code.py Tiering); `trace` shows every instruction,
    # so it stays interpreted unless asked.
    if wanted("run"):
        common(sub.add_parser("run", prog="vmdbg run", help="run a program headless; its output goes to stdout"),
               jit=None)
    if command is None:
        sub.add_parser("screenshot", prog="vmdbg screenshot",
                       help="render the debugger at a stop to SVG (see: vmdbg screenshot -h)")
        sub.add_parser("dap", prog="vmdbg dap", help="serve the Debug Adapter Protocol for editors (see: vmdbg dap -h)")
    if wanted("dis"):
        sp = sub.add_parser("dis", prog="vmdbg dis", help="disassemble every function")
        sp.add_argument("file")
    if wanted("trace"):
        sp = sub.add_parser("trace", prog="vmdbg trace", help="one line per instruction: the stack, then the instruction")
        common(sp)
        sp.add_argument("--limit", type=positive_int, default=100_000, metavar="N",
                        help="stop after N instructions (default 100000)")
    if wanted("jit"):
        sp = sub.add_parser("jit", prog="vmdbg jit", help="run with the JIT (--jit 1 unless given), then print each "
                                        "compiled function's bytecode, optimised LLVM IR and assembly")
        common(sp, jit=1)
    return p


def no_jit_cache(args):
    """--no-jit-cache: the JIT neither reads nor writes its on-disk cache in this process."""
    if getattr(args, "no_jit_cache", False):
        os.environ["VMDBG_JIT_CACHE"] = "0"


def make_vm(args, on_output):
    from vm.core import VM
    vm = VM(max_depth=args.max_depth or 10_000, jit=args.jit or 0, on_output=on_output,
            max_output=args.max_output, max_collection=args.max_collection, max_heap=args.max_heap)
    # VMDBG_JIT_LOOPS=0: hot loops are not compiled on their own (calls still tier up).
    loops = os.environ.get("VMDBG_JIT_LOOPS", "").strip().lower() not in ("0", "no", "off", "false")
    if args.jit is None:
        from vm.jit.code import Tiering
        Tiering(loops=loops).install(vm)
    elif args.jit and loops:
        from vm.jit.code import Tiering
        # --jit N: functions at their Nth call; a loop once it has run about N slices of
        # the interpreter's samples (so a loop at top level, or in a function called once,
        # compiles too).
        work = LOOP_WORK * args.jit
        Tiering(work, work, calls=args.jit).install(vm)
    return vm


# With --jit N, a loop compiles after about N times this many instructions (one sample).
LOOP_WORK = 20_000


def load(args, on_output):
    """(vm, None) ready to run, or (None, exit status) after printing why not."""
    from vm.errors import SourceError
    from vm.verify import VerifyError
    try:
        text = read_source(args.file)
    except SourceFileError as e:
        print(f"vmdbg: {e}", file=sys.stderr)
        return None, EXIT_USAGE
    vm = make_vm(args, on_output)
    try:
        vm.load(text, args.file)
    except SourceError as e:
        print(str(e), file=sys.stderr)
        return None, EXIT_USAGE
    except VerifyError as e:           # a compiler bug: the code is refused, never run
        print(f"vmdbg: {e}", file=sys.stderr)
        return None, EXIT_USAGE
    if getattr(args, "fuel", None) is not None:
        vm.set_fuel(args.fuel)
    return vm, None


def write_out(text: str):
    sys.stdout.write(text)


def report_end(vm) -> int:
    """Print how the program ended (nothing if it finished) and return the exit status."""
    sys.stdout.flush()
    if vm.status == "finished":
        return EXIT_OK
    from vm.api import format_uncaught
    _, text = format_uncaught(vm)
    print(text, file=sys.stderr)
    return EXIT_RUNTIME


def where(vm) -> str:
    from vm.core import span_before
    fiber = vm.current
    if fiber is None or not fiber.frames:
        return "?"
    frame = fiber.frames[-1]
    span = span_before(frame.func, frame.ip)
    return f"{span.file}:{span.line}:{span.col} in {frame.func.name}" if span else frame.func.name


def run_interruptible(vm) -> str:
    """vm.run() with ctrl+c turned into a pause at the next instruction boundary."""
    def on_sigint(signum, frame):
        vm.pause_requested = True

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        return vm.run()
    finally:
        signal.signal(signal.SIGINT, old)


def cmd_run(args) -> int:
    vm, status = load(args, write_out)
    if vm is None:
        return status
    start = time.perf_counter()
    reason = run_interruptible(vm)
    elapsed = time.perf_counter() - start
    if args.stats:
        print_stats(vm, elapsed)
    if reason == "pause":
        sys.stdout.flush()
        print(f"interrupted at {where(vm)} (tick {vm.tick})", file=sys.stderr)
        return EXIT_INTERRUPTED
    return report_end(vm)


def print_stats(vm, elapsed: float):
    rate = vm.tick / elapsed if elapsed > 0 else 0.0
    print(f"instructions: {vm.tick}  time: {elapsed:.3f}s  ({rate / 1e6:.2f} M instructions/s)", file=sys.stderr)
    if vm.jit is not None and hasattr(vm.jit, "format_stats"):
        print(vm.jit.format_stats(), file=sys.stderr)


def cmd_dis(args) -> int:
    from vm.disasm import disassemble_program
    args.jit, args.max_depth, args.max_output, args.max_collection, args.max_heap = 0, 10_000, None, None, None
    vm, status = load(args, write_out)
    if vm is None:
        return status
    print(disassemble_program(vm.main, vm.registry))
    return EXIT_OK


def cmd_trace(args) -> int:
    lines: list[str] = []
    vm, status = load(args, lambda text: lines.append(text))
    if vm is None:
        return status
    out = sys.stdout
    count = 0
    interrupted = []

    def on_sigint(signum, frame):
        interrupted.append(True)
        vm.pause_requested = True

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        count = trace_steps(vm, args.limit, out, lines, interrupted)
    finally:
        signal.signal(signal.SIGINT, old)
    if interrupted:
        out.flush()
        print(f"interrupted at {where(vm)} (tick {vm.tick})", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not vm.halted:
        out.write(f"-- stopped after {count} instructions (--limit {args.limit})\n")
        return EXIT_OK
    return report_end(vm)


def trace_steps(vm, limit: int, out, lines: list, interrupted: list) -> int:
    """Trace up to `limit` instructions (fewer if ctrl+c is pressed); how many ran."""
    from vm.disasm import disassemble_instruction
    from vm.values import preview
    count = 0
    while not vm.halted and count < limit and not interrupted:
        fiber = vm.current
        frame = fiber.frames[-1]
        prefix = f"{vm.tick:>7} f{fiber.id}"
        if fiber.fuel is not None:
            prefix += f" fuel={vm.live_fuel(fiber)}"
        stack = "".join(f"[ {preview(v, 40)} ]" for v in frame.stack[-8:])
        if len(frame.stack) > 8:
            stack = "[ … ]" + stack
        out.write(f"{prefix}          {stack}\n")
        text, _ = disassemble_instruction(frame.func, frame.ip, None, vm.registry)
        out.write(f"{prefix} {frame.func.name:<10} {text}\n")
        reason = vm.step()
        for chunk in lines:
            out.write(chunk)
        lines.clear()
        count += 1
        if reason in ("pause",):
            break
    return count


def cmd_default(argv) -> int:
    """`vmdbg [FILE] [options]`: the debugger (no FILE: the demo)."""
    p = argparse.ArgumentParser(prog="vmdbg", description="The debugger on FILE (default: the bundled demo). "
                                "The start-up options run, in order: the saved breakpoints and watches, "
                                "--break/--catch/--watch, the command file, then --run-to or --tick.")
    p.add_argument("file", nargs="?", default=None)
    p.add_argument("--jit", type=positive_int, default=0, metavar="N", help="JIT threshold (default 0: off)")
    p.add_argument("--no-jit-cache", action="store_true", help="do not use the JIT's on-disk code cache")
    p.add_argument("--fuel", type=positive_int, default=None, metavar="N")
    p.add_argument("--max-depth", type=positive_int, default=10_000, metavar="N")
    p.add_argument("--break", dest="breaks", action="append", default=[], metavar="WHERE",
                   help="a breakpoint: LINE, FUNCTION, NAME@OFFSET, or with a condition 'LINE if EXPR'")
    p.add_argument("--catch", action="append", default=[], metavar=":SIGNAL", help="stop when SIGNAL is emitted")
    p.add_argument("--watch", action="append", default=[], metavar="EXPR", help="evaluate EXPR at every stop")
    p.add_argument("-x", "--commands", dest="command_file", metavar="FILE",
                   help="run the debugger commands in FILE, one a line (see README: the command language)")
    p.add_argument("--run-to", type=positive_int, default=None, metavar="LINE", help="then run to LINE")
    p.add_argument("--tick", type=positive_int, default=None, metavar="N", help="then go to tick N")
    p.add_argument("--theme", metavar="NAME", help="the colour theme (remembered; e.g. textual-light, "
                   "ansi-dark for the terminal's own colours); the palette's 'Change theme' picks one too")
    p.add_argument("--clean", action="store_true",
                   help="start without the breakpoints and watches saved for this program (and save none)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code not in (0, None) else EXIT_OK
    no_jit_cache(args)
    lines = [("--break", 0, f"break {w}") for w in args.breaks]
    lines += [("--catch", 0, f"catch {s}") for s in args.catch]
    lines += [("--watch", 0, f"watch {e}") for e in args.watch]
    if args.command_file:
        try:
            text = read_source(args.command_file)
        except SourceFileError as e:
            print(f"vmdbg: {e}", file=sys.stderr)
            return EXIT_USAGE
        lines += [(args.command_file, n, line) for n, line in enumerate(text.splitlines(), 1)]
    if args.run_to is not None:
        lines.append(("--run-to", 0, f"run-to {args.run_to}"))
    if args.tick is not None:
        lines.append(("--tick", 0, f"tick {args.tick}"))
    from vmdbg.core.script import CommandError, check
    for origin, n, line in lines:
        try:
            check(line)
        except CommandError as e:
            where = f"{origin}:{n}" if n else origin
            print(f"vmdbg: {where}: {e}", file=sys.stderr)
            return EXIT_USAGE
    if args.theme is not None:
        from vmdbg.tui.settings import themes as known_themes
        themes = known_themes()
        if args.theme not in themes:
            print(f"vmdbg: unknown theme {args.theme!r} (themes: {', '.join(themes)})", file=sys.stderr)
            return EXIT_USAGE
    return open_debugger(args.file or demo_path(), script=lines, restore=not args.clean, theme=args.theme,
                         jit=args.jit, fuel=args.fuel, max_depth=args.max_depth)


def open_debugger(path: str, script=(), restore: bool = False, theme: str | None = None,
                  **options) -> int:
    """`vmdbg FILE`: open the debugger; returns the exit status (2: the file cannot be run).
    `script`: (origin, line number, command) to run first; `restore`: bring back, and at
    the end save, the breakpoints and watches kept for this program."""
    from vm.errors import SourceError
    from vmdbg.core.session import Session
    try:
        session = Session.from_file(path, **options)
    except SourceFileError as e:
        print(f"vmdbg: {e}", file=sys.stderr)
        return EXIT_USAGE
    except SourceError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:      # a compiler bug (VerifyError...) is reported, not a traceback
        print(f"vmdbg: {e}", file=sys.stderr)
        return EXIT_USAGE
    from vmdbg.core import saved
    from vmdbg.tui.app import DebuggerApp
    from vmdbg.tui.commands import script_job
    notes = saved.restore(session) if restore else []
    from vmdbg.tui import settings
    startup = [script_job(list(script))] if script else []
    theme = theme or settings.load().get("theme")
    if theme is not None:
        settings.save(theme=theme)
    app = DebuggerApp(session, startup=startup, notes=notes, remember_theme=True,
                      theme=theme if theme in settings.themes() else None)
    app.run()
    if restore and not app.driver.busy:
        saved.save(session)
    if app.driver.busy:
        # One endless instruction ignores pause; do not wait for it at interpreter exit.
        sys.stdout.flush()
        os._exit(EXIT_OK)
    # The program failed while it was being debugged: say so, as `vmdbg run` would.
    return EXIT_RUNTIME if session.exit_status() == 1 else EXIT_OK


def cmd_jit(args) -> int:
    """Run the program (its output first), then the three listings of every compiled function."""
    vm, status = load(args, write_out)
    if vm is None:
        return status
    start = time.perf_counter()
    reason = run_interruptible(vm)
    elapsed = time.perf_counter() - start
    end = EXIT_INTERRUPTED if reason == "pause" else report_end(vm)
    sys.stdout.flush()
    engine = vm.jit
    funcs = [f for f in vm.main.all_functions() if engine is not None and engine.listings(f) is not None]
    if engine is not None:
        funcs += [f for f in engine.seen if f not in funcs and engine.listings(f) is not None]
    if reason == "pause":
        print(f"interrupted at {where(vm)} (tick {vm.tick})", file=sys.stderr)
    if not funcs:
        what = "interrupted before any function was compiled" if reason == "pause" else "no function was compiled"
        print(f"vmdbg: {what}" + (" (--jit 0)" if not args.jit else ""), file=sys.stderr)
    for func in funcs:
        bytecode, ir_text, asm = engine.listings(func)
        s = engine.function_stats(func)
        ms = ", ".join(f"tier {t} {v:.1f} ms" for t, v in sorted(s["compile_ms"].items()))
        print(f"\n=== {func.name} ({s['where']}): {s['tier']}, compiled: {ms} ===")
        for title, body in (("bytecode", bytecode), ("optimised LLVM IR", ir_text), ("native assembly", asm)):
            print(f"--- {title} ---\n{body.rstrip()}")
    if args.stats:
        print_stats(vm, elapsed)
    return end


COMMANDS = {"run": cmd_run, "dis": cmd_dis, "trace": cmd_trace, "jit": cmd_jit}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "screenshot":
        from vmdbg.screenshot import main as screenshot
        return screenshot(argv[1:])
    if argv and argv[0] == "dap":
        from vmdbg.dap.main import main as dap
        return dap(argv[1:])
    if argv and argv[0] in ("--version", "-V"):
        print(version_text())
        return EXIT_OK
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        return cmd_default(argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help") and not argv[0].startswith("-")):
        if len(argv) > 1 and not argv[1].startswith("-"):
            print(f"vmdbg: unknown command {argv[0]!r} (try: vmdbg --help)", file=sys.stderr)
            return EXIT_USAGE
        return cmd_default(argv)
    # `vmdbg COMMAND ...` builds only COMMAND's parser; `vmdbg -h` all of them.
    parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code not in (0, None) else EXIT_OK
    no_jit_cache(args)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:           # ctrl+c outside a run (loading, printing)
        print("vmdbg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RecursionError:
        print("vmdbg: internal error: value nested too deeply", file=sys.stderr)
        return EXIT_RUNTIME
