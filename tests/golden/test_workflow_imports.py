"""A workflow run re-imports its own agent's module, not every agent's.

Temporal's sandbox imports a workflow's module afresh for every run, parent packages included,
so ``workflows/__init__.py`` must not import the agents (measured in docs/benchmarks.md: with
the list there, a run's sandbox start cost grew by about 3 ms per agent in the project).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "expected" / "options"  # two agents: lead delegates to helper
TOOLS = HERE / "cases" / "options"  # the tools module the definition names


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", textwrap.dedent(code)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(PROJECT), str(TOOLS)))},
    )


def test_importing_one_agents_workflow_loads_no_other_agent() -> None:
    done = _python("""
        import sys
        import options_agent.workflows.helper
        loaded = sorted(m for m in sys.modules if m.startswith("options_agent.workflows."))
        print(loaded)
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['options_agent.workflows.helper']"


def test_the_worker_registers_every_agent_from_all_workflows() -> None:
    done = _python("""
        from options_agent.all_workflows import ALL_WORKFLOWS
        from temporalio import workflow
        print(sorted(workflow._Definition.must_from_class(w).name for w in ALL_WORKFLOWS))
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['helper', 'lead']"


def test_the_old_import_of_the_list_still_works_with_a_deprecation_warning() -> None:
    done = _python("""
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            from options_agent.workflows import ALL_WORKFLOWS
        from options_agent.all_workflows import ALL_WORKFLOWS as MOVED
        assert ALL_WORKFLOWS is MOVED
        print([str(w.message) for w in caught if w.category is DeprecationWarning])
        try:
            from options_agent.workflows import NO_SUCH_NAME
        except ImportError as error:
            print("ImportError", "NO_SUCH_NAME" in str(error))
        """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "import ALL_WORKFLOWS from options_agent.all_workflows" in lines[0]
    assert lines[1] == "ImportError True"
