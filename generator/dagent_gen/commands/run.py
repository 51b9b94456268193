"""``dagent-gen run``: build if stale, then run one agent locally with live progress.

Everything it starts — an embedded Temporal dev server when none answers at TEMPORAL_ADDRESS,
an offline scripted model when no OPENAI_API_KEY / OPENAI_BASE_URL is set, and an in-process
worker on a private task queue — is stopped before it returns, also on errors, Ctrl-C, SIGTERM
and SIGHUP. With ``--keep`` the embedded server (and its Web UI) stays up until a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dagent_gen.commands import logs
from dagent_gen.commands.services import (
    DEFAULT_ADDRESS,
    Stopper,
    Temporal,
    activity_slots,
    build_if_stale,
    exit_status,
    local_temporal,
    offline_model_if_needed,
    stop_on_termination,
)
from dagent_gen.exit_codes import ExitCode
from dagent_gen.generated_package import imported_package

if TYPE_CHECKING:  # temporalio is imported when an agent runs: keeps the CLI quick to start
    from temporalio.client import Client


def run_command(
    path: Annotated[Path, typer.Argument(help="Project folder or definition file.")],
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    agent: Annotated[
        str | None, typer.Option("--agent", help="Agent to run (default: the entry agent).")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Print only the answer (and errors).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Debug logs, with tracebacks of failed tools.")
    ] = False,
    keep: Annotated[
        bool,
        typer.Option("--keep", help="Keep the embedded server and its Web UI up until Ctrl-C."),
    ] = False,
) -> None:
    """Run an agent once: build if stale, start what is missing, show progress, print the answer."""

    def say(text: str) -> None:
        if not quiet:
            typer.echo(text, err=True)

    generation = build_if_stale(path, say)
    if generation is None:
        raise typer.Exit(ExitCode.DEFINITION_ERROR)
    model = generation.model
    name = agent or model.entry_agent
    if name not in {a.name for a in model.agents}:
        typer.echo(f"error: no agent named {name!r}", err=True)
        raise typer.Exit(ExitCode.USAGE)
    activity_slots()  # a bad DAGENT_MAX_ACTIVITIES stops here, before anything starts
    logs.configure(logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO)
    try:
        with stop_on_termination() as stopper, contextlib.ExitStack() as stack:
            stack.enter_context(offline_model_if_needed(say))
            temporal = stack.enter_context(local_temporal(say))
            try:
                streams = not quiet and any(a.stream for a in model.agents if a.name == name)
                answer = asyncio.run(
                    _run(generation.project_dir, model.package, model.task_queue, name, task,
                         temporal, say, stopper, streams)
                )  # fmt: skip
            except asyncio.CancelledError:
                raise stopper.interrupt() from None
            if answer is not None:
                typer.echo(answer)
            if keep and temporal.embedded:
                _wait_for_signal(temporal, say)
    except KeyboardInterrupt as interrupt:
        say("interrupted")
        raise typer.Exit(exit_status(interrupt)) from None
    if answer is None:
        raise typer.Exit(1)


def _wait_for_signal(temporal: Temporal, say: Callable[[str], None]) -> None:
    """Keep the embedded server up (the run stays in its Web UI) until Ctrl-C or SIGTERM."""
    say(f"keeping the Temporal dev server at {temporal.address} up; Ctrl-C stops it")
    if temporal.ui_url:
        say(f"Web UI: {temporal.ui_url}")
    with contextlib.suppress(KeyboardInterrupt):  # the expected way to end: exit status 0
        threading.Event().wait()  # a signal raises out of this wait


async def _run(
    project_dir: Path,
    package: str,
    task_queue: str,
    agent: str,
    task: str,
    temporal: Temporal,
    say: Callable[[str], None],
    stopper: Stopper,
    streams: bool = False,
) -> str | None:
    from temporalio.worker import Worker

    current = asyncio.current_task()
    assert current is not None
    client = await _connect(temporal.address)
    queue = f"{task_queue}-run-{uuid.uuid4().hex[:8]}"  # private: no other worker takes our tasks
    with (
        stopper.cancelling(current),
        imported_package(project_dir, package) as generated,
        ThreadPoolExecutor(max_workers=activity_slots()) as executor,
        # Built-in tools resolve their roots against the worker's working directory, which
        # for a deployed worker (and `dagent-gen dev`) is the project folder.
        contextlib.chdir(project_dir.resolve()),
    ):
        worker = Worker(
            client,
            task_queue=queue,
            workflows=generated.workflows,
            activities=generated.activities,
            activity_executor=executor,
            max_concurrent_activities=activity_slots(),  # never more than threads: see services
        )
        async with worker:
            return await _execute(client, queue, agent, task, temporal, say, streams)


async def _execute(
    client: Client,
    queue: str,
    agent: str,
    task: str,
    temporal: Temporal,
    say: Callable[[str], None],
    streams: bool = False,
) -> str | None:
    """Start the agent, print its progress (and, when it streams, its text as it arrives),
    and return its answer (None when it failed)."""
    from temporalio.client import WorkflowFailureError

    from dagent_gen.commands.progress import failure_chain, follow
    from dagent_gen.runtime.text_stream import TextPrinter, poll_streamed_text

    workflow_id = f"{agent}-{uuid.uuid4().hex[:12]}"
    handle = await client.start_workflow(
        agent, {"task": task}, id=workflow_id, task_queue=queue, result_type=dict
    )
    say(f"started {agent} ({workflow_id})")
    if temporal.ui_url:
        say(f"Web UI: {temporal.ui_url}/namespaces/{client.namespace}/workflows/{workflow_id}")
    printer = TextPrinter(lambda text: typer.echo(text, err=True, nl=False)) if streams else None
    progress = asyncio.create_task(follow(client, workflow_id, say, printer=printer))
    if printer is not None:
        poller = asyncio.create_task(poll_streamed_text(client, workflow_id, printer))
        progress.add_done_callback(lambda _: poller.cancel())
    try:
        result: dict[str, Any] = await handle.result()
    except WorkflowFailureError as err:
        causes = failure_chain(err.cause)
        typer.echo(f"agent {agent!r} failed: {causes[0]}", err=True)
        for cause in causes[1:]:
            typer.echo(f"  caused by: {cause}", err=True)
        return None
    except asyncio.CancelledError:
        # Stopped by a signal: no worker will ever serve this private task queue again.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handle.terminate(reason="dagent-gen run was stopped"), 5)
        raise
    finally:
        await asyncio.sleep(0.2)  # let the progress printer catch up
        progress.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await progress
    usage = result.get("usage") or {}
    cost = usage.get("cost_usd") or 0  # 0: no price in the definition
    say(
        f"done: {result.get('stop_reason')} after {result.get('steps')} steps, "
        f"{usage.get('total_tokens', 0)} tokens" + (f", ${cost:.4f}" if cost else "")
    )
    return str(result.get("answer", ""))


async def _connect(address: str) -> Client:
    """The environment's Temporal settings (namespace, TLS, API key) for a server that was
    already there; plain defaults for the embedded dev server."""
    from temporalio.client import Client
    from temporalio.envconfig import ClientConfig

    config = ClientConfig.load_client_connect_config()
    if config.get("target_host", DEFAULT_ADDRESS) != address:
        config = {}
    config["target_host"] = address
    return await Client.connect(**config)
