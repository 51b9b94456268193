"""``dagent-gen run``: build if stale, then run one agent locally with live progress.

Everything it starts — an embedded Temporal dev server when none answers at TEMPORAL_ADDRESS,
an offline scripted model when no OPENAI_API_KEY / OPENAI_BASE_URL is set, and an in-process
worker on a private task queue — is stopped before it returns, also on errors and Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dagent_gen.commands.services import (
    DEFAULT_ADDRESS,
    build_if_stale,
    local_temporal,
    offline_model_if_needed,
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
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the answer.")] = False,
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
    with contextlib.ExitStack() as stack:
        stack.enter_context(offline_model_if_needed(say))
        address, ui_url = stack.enter_context(local_temporal(say))
        try:
            answer = asyncio.run(
                _run(generation.project_dir, model.package, model.task_queue, name, task, address,
                     ui_url, say)
            )  # fmt: skip
        except KeyboardInterrupt:
            say("interrupted")
            raise typer.Exit(130) from None
    if answer is None:
        raise typer.Exit(1)
    typer.echo(answer)


async def _run(
    project_dir: Path,
    package: str,
    task_queue: str,
    agent: str,
    task: str,
    address: str,
    ui_url: str | None,
    say: Callable[[str], None],
) -> str | None:
    from temporalio.client import WorkflowFailureError
    from temporalio.worker import Worker

    from dagent_gen.commands.progress import follow

    client = await _connect(address)
    queue = f"{task_queue}-run-{uuid.uuid4().hex[:8]}"  # private: no other worker takes our tasks
    workflow_id = f"{agent}-{uuid.uuid4().hex[:12]}"
    with (
        imported_package(project_dir, package) as generated,
        ThreadPoolExecutor(max_workers=8) as executor,
    ):
        worker = Worker(
            client,
            task_queue=queue,
            workflows=generated.workflows,
            activities=generated.activities,
            activity_executor=executor,
        )
        async with worker:
            handle = await client.start_workflow(
                agent, {"task": task}, id=workflow_id, task_queue=queue, result_type=dict
            )
            say(f"started {agent} ({workflow_id})")
            if ui_url:
                say(f"Web UI: {ui_url}/namespaces/{client.namespace}/workflows/{workflow_id}")
            progress = asyncio.create_task(follow(client, workflow_id, say))
            try:
                result: dict[str, Any] = await handle.result()
            except WorkflowFailureError as err:
                say(f"agent {agent!r} failed: {err.cause or err}")
                return None
            finally:
                await asyncio.sleep(0.2)  # let the progress printer catch up
                progress.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await progress
    usage = result.get("usage") or {}
    say(
        f"done: {result.get('stop_reason')} after {result.get('steps')} steps, "
        f"{usage.get('total_tokens', 0)} tokens"
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
