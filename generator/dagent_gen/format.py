"""Stage 5, format: ruff, pinned and isolated from the user's configuration.

The same ruff version and options everywhere mean ``dagent-gen check`` compares against exactly
what ``build`` writes, on any machine. Imports are sorted one per line so that adding a tool adds
lines instead of rewriting one.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from ruff.__main__ import find_ruff_bin

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, Location, error
from dagent_gen.render import GeneratedFile

LINE_LENGTH = 100
TARGET_VERSION = "py311"


def format_files(
    files: list[GeneratedFile], first_party: list[str]
) -> tuple[list[GeneratedFile], list[Diagnostic]]:
    """Sort imports and format every Python file; other files pass through untouched."""
    python = [file for file in files if file.path.endswith(".py")]
    if not python:
        return files, []
    ruff = find_ruff_bin()
    known = ",".join(f'"{name}"' for name in sorted(set(first_party)))
    with tempfile.TemporaryDirectory(prefix="dagent-gen-format-") as tmp:
        root = Path(tmp)
        for file in python:
            target = root / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.content, encoding="utf-8", newline="\n")
        common = ["--isolated", "--no-cache", "--target-version", TARGET_VERSION]
        commands = [
            [
                ruff, "check", *common, "--select", "I", "--fix", "--exit-zero", "--quiet",
                "--config", "lint.isort.force-single-line = true",
                "--config", f"lint.isort.known-first-party = [{known}]",
                "--line-length", str(LINE_LENGTH), ".",
            ],
            [ruff, "format", *common, "--line-length", str(LINE_LENGTH), "--quiet", "."],
        ]  # fmt: skip
        for command in commands:
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                return files, [
                    error(
                        Code.FORMAT_FAILED,
                        f"ruff could not format the generated code: {done.stderr.strip()}",
                        Location("<generated>"),
                        "this is a dagent-gen bug: please report it with your definition",
                    )
                ]
        formatted = {file.path: (root / file.path).read_text(encoding="utf-8") for file in python}
    return [replace(file, content=formatted.get(file.path, file.content)) for file in files], []
