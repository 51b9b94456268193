"""The temporalio-deepagents side's own virtual environment (LangChain stays out of ours).

Created with ``uv venv`` + ``uv pip install`` under ``benchmarks/.venv-deepagents`` the first
time the benchmark runs; reused afterwards. Any failure (offline, resolver error, timeout) is
returned as a note for the table instead of raised.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-deepagents"
PACKAGES = ["temporalio-deepagents", "langchain-openai"]
CHECK = (
    "import importlib.metadata as m, temporalio.deepagents, langchain_openai; "
    "print(m.version('temporalio-deepagents'), m.version('deepagents'))"
)


def _python() -> Path:
    return VENV / "bin" / "python"


def _installed_versions() -> str | None:
    if not _python().exists():
        return None
    done = subprocess.run([str(_python()), "-c", CHECK], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_deepagents(install_timeout: float = 900.0) -> tuple[Path | None, str]:
    """The side's Python and its versions, or ``None`` and why it is not available."""
    versions = _installed_versions()
    if versions is None:
        commands = [
            ["uv", "venv", "-q", "--allow-existing", str(VENV), "--python", "3.11"],
            ["uv", "pip", "install", "-q", "--python", str(_python()), *PACKAGES],
        ]
        for command in commands:
            try:
                done = subprocess.run(command, capture_output=True, text=True,
                                      timeout=install_timeout)  # fmt: skip
            except (OSError, subprocess.SubprocessError) as error:
                return None, f"`{' '.join(command[:3])}` failed: {error}"
            if done.returncode != 0:
                return None, f"`{' '.join(command[:3])}` failed: {done.stderr.strip()[-300:]}"
        versions = _installed_versions()
    if versions is None:
        return None, "temporalio.deepagents does not import in the side environment"
    plugin, deepagents = versions.split()
    return _python(), f"temporalio-deepagents {plugin}, deepagents {deepagents}"
