"""Moving the program: continue, next, stepIn, stepOut, and back in time with stepBack and reverseContinue.

Every one answers at once and reports the stop later with a `stopped` event (or `exited`
and `terminated` when the program ends). All fibers stop and go together (the VM runs one
fiber at a time), so threadId only says which fiber the client is looking at.
`granularity: "instruction"` steps one instruction; "line" and "statement" step by line.
"""

from __future__ import annotations

from vmdbg.dap.context import Context
from vmdbg.dap.events import running
from vmdbg.dap.server import capability, request


def _instruction(args: dict) -> bool:
    return args.get("granularity") == "instruction"


def _go(ctx: Context, command, resumable: bool = False, body: dict | None = None):
    return running(ctx, command, resumable=resumable, body=body)


@request("continue")
def continue_(ctx: Context, args: dict):
    return _go(ctx, lambda s: s.continue_(), resumable=True, body={"allThreadsContinued": True})


@request("next")
def next_(ctx: Context, args: dict):
    return _go(ctx, (lambda s: s.step_instruction()) if _instruction(args) else (lambda s: s.step_over()))


@request("stepIn")
def step_in(ctx: Context, args: dict):
    return _go(ctx, (lambda s: s.step_instruction()) if _instruction(args) else (lambda s: s.step_line()))


@request("stepOut")
def step_out(ctx: Context, args: dict):
    return _go(ctx, lambda s: s.step_out())


capability("supportsSteppingGranularity")


@request("stepBack", capability="supportsStepBack")
def step_back(ctx: Context, args: dict):
    # The reverse of `next`: back to where the previous line of this frame began (calls
    # and resumed fibers in between are skipped); one instruction with that granularity.
    return _go(ctx, (lambda s: s.step_back()) if _instruction(args) else (lambda s: s.step_back_over()))


@request("reverseContinue")
def reverse_continue(ctx: Context, args: dict):
    return _go(ctx, lambda s: s.reverse_continue())
