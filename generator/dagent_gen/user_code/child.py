"""The child interpreter that runs the user's code: ``python -m dagent_gen.user_code.child``.

It reads a :class:`Request` on stdin, loads and validates the definition (running
``dagent.py``), imports and describes every tool used, and writes :class:`Message` lines on
the file descriptor that was its stdout. Its own stdout is pointed at stderr first, so a
``print`` in user code lands in the captured output instead of in the result. After the result
it leaves with ``os._exit``: threads the user's modules started cannot keep it alive.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error, has_errors
from dagent_gen.introspect import ToolSignature, introspect_tool
from dagent_gen.introspect.output_model import OutputSchema, introspect_output
from dagent_gen.load import load_definition
from dagent_gen.user_code.wire import Inspection, Message, Request, Stage
from dagent_gen.validate import validate

DUMP_SIGNAL = signal.SIGUSR1  # the parent sends it on timeout: print every thread's stack
BUG = "this is a dagent-gen bug: please report it with the output above"


def inspect_definition(file: Path, announce: Callable[[Stage], None]) -> Inspection:
    """Load, validate and introspect ``file``; ``announce`` is told before user code runs."""
    verb = "running" if file.suffix == ".py" else "reading"
    announce(Stage(doing=f"{verb} {file.name}", location=Location(str(file))))
    data, source, problems = load_definition(file)
    if data is None:
        return Inspection(definition=None, signatures={}, diagnostics=problems)
    definition, problems = validate(data, source)
    if definition is None:
        return Inspection(definition=None, signatures={}, diagnostics=problems)
    signatures: dict[str, ToolSignature] = {}
    used = {tool for agent in definition.agents.values() for tool in agent.tools}
    used |= {tool for bundle in definition.skills.values() for tool in bundle.tools}
    for name, tool in definition.tools.items():
        if name not in used:
            continue
        where = source.locate(("tools", name, "function"))
        announce(Stage(doing=f"importing `{tool.function}` for tool `{name}`", location=where))
        signature, found = introspect_tool(tool.function, search_path=file.parent, location=where)
        problems.extend(sorted(found, key=lambda d: d.location or Location("")))
        if signature is not None:
            signatures[name] = signature
    outputs: dict[str, OutputSchema] = {}
    for name, agent in definition.agents.items():
        if agent.output is None:
            continue
        where = source.locate(("agents", name, "output"))
        announce(Stage(doing=f"importing `{agent.output}` for agent `{name}`", location=where))
        output, found = introspect_output(agent.output, search_path=file.parent, location=where)
        problems.extend(found)
        if output is not None:
            outputs[name] = output
    if has_errors(problems):
        return Inspection(definition=None, signatures={}, diagnostics=problems)
    return Inspection(
        definition=definition, signatures=signatures, diagnostics=problems, outputs=outputs
    )


def inspect_safely(file: Path, announce: Callable[[Stage], None]) -> Inspection:
    """``inspect_definition``, with an exception that no stage turned into a diagnostic (a
    bug in dagent-gen: user code's exceptions are caught where it runs) reported as DG105."""
    try:
        return inspect_definition(file, announce)
    except Exception as exc:
        return _internal_error(file, exc)


def _internal_error(file: Path, exc: BaseException) -> Inspection:
    """An exception no stage turned into a diagnostic: report it with its traceback."""
    trace = "".join(traceback.format_exception(exc)).rstrip()
    problem = error(
        Code.USER_CODE_PROCESS_FAILED,
        f"reading the definition failed: {type(exc).__name__}: {exc}\n{trace}",
        Location(str(file)),
        BUG,
    )
    return Inspection(definition=None, signatures={}, diagnostics=[problem])


def _send(channel: IO[str], message: Message) -> None:
    channel.write(message.model_dump_json() + "\n")
    channel.flush()


def _unsendable(file: Path, exc: Exception) -> Inspection:
    # e.g. a lone surrogate in a docstring: text that cannot be written as UTF-8 JSON.
    problem: Diagnostic = error(
        Code.USER_CODE_PROCESS_FAILED,
        f"the definition cannot be written as JSON: {type(exc).__name__}: {exc}",
        Location(str(file)),
        "remove characters that are not valid Unicode text (e.g. lone surrogates)",
    )
    return Inspection(definition=None, signatures={}, diagnostics=[problem])


def main() -> None:
    request = Request.model_validate_json(sys.stdin.read())
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # user code's prints go to the captured stderr, never into the result
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # input() in user code gets EOF instead of waiting
    faulthandler.register(DUMP_SIGNAL, all_threads=True)
    sys.path[:] = request.sys_path
    file = Path(request.definition_file)
    result = inspect_safely(file, lambda stage: _send(channel, Message(stage=stage)))
    try:
        _send(channel, Message(result=result))
    except (ValueError, UnicodeError) as exc:
        _send(channel, Message(result=_unsendable(file, exc)))
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(0)  # skip atexit and non-daemon threads the user's modules started


if __name__ == "__main__":
    main()
