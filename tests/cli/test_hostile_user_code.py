"""User code that exits, hangs, starts threads or prints cannot fake, hang or pollute a command.

``dagent.py`` and the tool modules run in a child interpreter (``dagent_gen.user_code``); each
case here runs the real command line as a separate process, with a hard time limit, and checks
the exit code and that ``--format json`` prints one valid JSON document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

CLI = [sys.executable, "-m", "dagent_gen.cli"]
LIMIT = 60  # seconds; a command that takes this long has hung
HANG_LIMIT = "5"  # DAGENT_GEN_IMPORT_TIMEOUT for the hang cases: start-up of the child included

TOML = """
[project]
package = "agents"

[agents.main]
tools = ["ping"]

[tools.ping]
function = "tools:ping"
"""
PING = '''
def ping(text: str) -> str:
    """Echo the text."""
    return text
'''
PROJECT_PY = """
from dagent_gen import Agent, Project

project = Project(package="agents", agents=[Agent("main")])
"""


def write_project(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=LIMIT,
        env={**os.environ, **env},
    )


def check_json(folder: Path, **env: str) -> tuple[int, dict[str, Any]]:
    done = run_cli("check", "--format", "json", str(folder), **env)
    return done.returncode, json.loads(done.stdout)  # one JSON document, nothing else


def dg105(report: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in report["diagnostics"] if d["code"] == "DG105"]
    assert len(found) == 1, report
    return found[0]


@pytest.mark.parametrize(
    "files",
    [
        {"dagent.py": "import os\n" + PROJECT_PY + "os._exit(0)\n"},
        {"dagent.toml": TOML, "tools.py": "import os\nos._exit(0)\n" + PING},
        {"dagent.toml": TOML, "tools.py": "import os, signal\nos.kill(os.getpid(), 9)\n"},
    ],
    ids=["dagent_py_os_exit_0", "tools_os_exit_0", "tools_kills_itself"],
)
def test_user_code_ending_the_process_is_an_error_not_a_success(
    tmp_path: Path, files: dict[str, str]
) -> None:
    code, report = check_json(write_project(tmp_path / "p", files))
    assert code == 1 and report["status"] == "definition-error"
    problem = dg105(report)
    definition = "dagent.py" if "dagent.py" in files else "dagent.toml"
    assert problem["file"] == str(tmp_path / "p" / definition)
    if "tools.py" in files:  # blamed on the tool whose module was being imported
        assert "`tools:ping` for tool `ping`" in problem["message"]
        assert problem["line"] == 8


def test_a_hanging_definition_times_out_at_the_hanging_line(tmp_path: Path) -> None:
    folder = write_project(tmp_path / "p", {"dagent.py": PROJECT_PY + "while True:\n    pass\n"})
    code, report = check_json(folder, DAGENT_GEN_IMPORT_TIMEOUT=HANG_LIMIT)
    assert code == 1
    problem = dg105(report)
    assert f"did not finish within {HANG_LIMIT}s" in problem["message"]
    assert problem["file"] == str(folder / "dagent.py") and problem["line"] in (4, 5)
    assert "DAGENT_GEN_IMPORT_TIMEOUT" in problem["hint"]


def test_a_hanging_tool_module_times_out_and_build_writes_nothing(tmp_path: Path) -> None:
    tools = "import time\nprint('about to sleep')\ntime.sleep(3600)\n" + PING
    folder = write_project(tmp_path / "p", {"dagent.toml": TOML, "tools.py": tools})
    done = run_cli("build", str(folder), DAGENT_GEN_IMPORT_TIMEOUT=HANG_LIMIT)
    assert done.returncode == 1
    assert f"{folder / 'tools.py'}:3: error[DG105]: importing `tools:ping`" in done.stderr
    assert "about to sleep" in done.stderr  # what the module printed is shown
    assert sorted(p.name for p in folder.iterdir()) == ["dagent.toml", "tools.py"]


def test_a_non_daemon_thread_in_a_tool_module_does_not_keep_build_alive(tmp_path: Path) -> None:
    tools = "import threading, time\nthreading.Thread(target=time.sleep, args=(3600,)).start()\n"
    folder = write_project(tmp_path / "p", {"dagent.toml": TOML, "tools.py": tools + PING})
    done = run_cli("build", str(folder))  # would hang until LIMIT before the fix
    assert done.returncode == 0, done.stderr
    assert (folder / "agents" / "tools" / "ping.py").is_file()


def test_prints_in_user_code_do_not_pollute_json_output(tmp_path: Path) -> None:
    files = {
        "dagent.toml": TOML,
        "tools.py": "import sys\nprint('{not json')\nsys.stdout.flush()\n" + PING,
    }
    code, report = check_json(write_project(tmp_path / "p", files))
    assert code == 3 and report["status"] == "stale" and report["diagnostics"] == []


def test_prints_in_dagent_py_do_not_pollute_json_output(tmp_path: Path) -> None:
    files = {"dagent.py": "print('hello')\nimport os\nos.write(1, b'raw')\n" + PROJECT_PY}
    code, report = check_json(write_project(tmp_path / "p", files))
    assert code == 3 and report["diagnostics"] == []


def test_a_bad_timeout_setting_is_a_diagnostic(tmp_path: Path) -> None:
    folder = write_project(tmp_path / "p", {"dagent.py": PROJECT_PY})
    code, report = check_json(folder, DAGENT_GEN_IMPORT_TIMEOUT="soon")
    assert code == 1
    assert "DAGENT_GEN_IMPORT_TIMEOUT='soon'" in dg105(report)["message"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_process_started_by_a_tool_module_neither_delays_nor_outlives_the_build(
    tmp_path: Path,
) -> None:
    # The sleeping process inherits the child's output; before, the build waited for it.
    tools = (
        "import pathlib, subprocess\n"
        "proc = subprocess.Popen(['sleep', '3600'])\n"
        "pathlib.Path(__file__).with_name('pid').write_text(str(proc.pid))\n"
    )
    folder = write_project(tmp_path / "p", {"dagent.toml": TOML, "tools.py": tools + PING})
    code, report = check_json(folder, DAGENT_GEN_IMPORT_TIMEOUT="30")
    assert code == 3 and report["diagnostics"] == []
    pid = int((folder / "pid").read_text())
    assert not _running(pid)  # killed with the child's process group


def _running(pid: int) -> bool:
    """Alive and not a zombie (whoever adopted the killed process may not have reaped it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")
