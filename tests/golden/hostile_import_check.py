"""Run in a fresh interpreter by test_hostile_names.py: import a generated package, print JSON.

Usage: python hostile_import_check.py PROJECT_DIR PACKAGE [WORKFLOW_TO_SANDBOX ...]

Prints the Temporal names of ALL_WORKFLOWS and ALL_ACTIVITIES, and what each synchronous tool
activity returns for {"text": <its name>}. The named workflows are also loaded the way a worker
loads them, in the workflow sandbox, which re-imports their modules under its restrictions.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys

from temporalio import activity, workflow
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner


async def _sandbox(definitions: list[workflow._Definition]) -> None:
    """As the worker does at start-up (it needs a running event loop)."""
    runner = SandboxedWorkflowRunner()
    for definition in definitions:
        runner.prepare_workflow(definition)


def main() -> None:
    folder, package, *sandboxed = sys.argv[1:]
    sys.path.insert(0, folder)
    importlib.import_module(f"{package}.worker")
    activities = importlib.import_module(f"{package}.tools").ALL_ACTIVITIES
    workflows = importlib.import_module(f"{package}.all_workflows").ALL_WORKFLOWS
    definitions = [workflow._Definition.must_from_class(cls) for cls in workflows]
    asyncio.run(_sandbox([d for d in definitions if d.name in sandboxed]))
    outputs = {}
    names = []
    for function in activities:
        name = activity._Definition.must_from_callable(function).name
        names.append(name)
        if name != "call_model" and not inspect.iscoroutinefunction(function):
            outputs[name] = function({"text": name})
    print(
        json.dumps(
            {"workflows": [d.name for d in definitions], "activities": names, "outputs": outputs}
        )
    )


if __name__ == "__main__":
    main()
