"""Helpers of the property tests: snapshot a project folder, check what a check reported."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagent_gen.builder import Prepared, prepare
from dagent_gen.diagnostics import Diagnostic


def snapshot(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root`` (caches included)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def located(problem: Diagnostic) -> bool:
    """A diagnostic that says where: a file, and a line unless it is about the whole file."""
    return problem.location is not None and bool(problem.location.file)


def check_in_process(root: Path) -> Prepared:
    """``dagent-gen check`` minus the printing: prepare the build, write nothing.

    The property of every caller: it returns (no exception escapes), and either the build is
    possible or it says why, with errors that all carry a location.
    """
    prepared = prepare(root)
    errors = [p for p in prepared.problems if p.severity == "error"]
    if not prepared.ok:
        assert errors, f"not ok, but no error: {prepared.problems}"
    assert all(located(p) for p in errors), errors
    return prepared
