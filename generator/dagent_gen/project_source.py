"""Where a project made by ``dagent-gen new`` installs dagent-gen from.

By default, where this dagent-gen was installed from (see :func:`dagent_gen_source`). A folder
(a checkout) is named by its absolute path, editable: such a project works on this machine
only, and :func:`switch_commands` gives the commands that make it portable. A wheel or sdist is
copied into the project's ``vendor/`` and named relatively, so the project works anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from dagent_gen.codes import Code
from dagent_gen.diagnostics import Diagnostic, error, warning

SOURCE_ENV = "DAGENT_GEN_SOURCE"
VENDOR = "vendor"  # where a project keeps the dagent-gen wheel it installs


@dataclass(frozen=True)
class Source:
    """How the new project's ``pyproject.toml`` names dagent-gen."""

    requirement: str  # the entry of the dev dependency group
    uv_source: str  # a TOML inline table for ``[tool.uv.sources]``, or "" for the index
    origin: str  # for messages: where it came from
    archive: Path | None = None  # a wheel or sdist that `new` copies into the project
    folder: Path | None = None  # a folder on this machine: the project works here only

    def data(self) -> dict[str, str]:
        return {
            "dagent_gen_requirement": self.requirement,
            "dagent_gen_source": self.uv_source,
            "dagent_gen_local": str(self.folder or ""),
            "dagent_gen_switch": "\n".join(switch_commands(self.folder)) if self.folder else "",
        }


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _path_source(path: Path, origin: str) -> Source:
    """A folder stays where it is (editable, this machine only); an archive is copied into the
    project's ``vendor/`` and named relatively, so the project works wherever it is cloned."""
    if path.is_dir():
        table = f"{{ path = {_toml_string(str(path))}, editable = true }}"
        return Source("dagent-gen", table, origin, folder=path)
    table = f"{{ path = {_toml_string(f'{VENDOR}/{path.name}')} }}"
    return Source("dagent-gen", table, origin, archive=path)


def switch_commands(folder: Path) -> list[str]:
    """Commands, run in the new project, that replace a machine-local dagent-gen folder with a
    source that works anywhere: a release, a git repository, or a wheel committed with it."""
    version = _version_of(folder)
    git_url = _git_remote(folder) or "GIT_URL"
    wheel = f"dagent_gen-{version}-py3-none-any.whl"
    return [
        f'uv remove --dev dagent-gen && uv add --dev "dagent-gen>={version}"'
        "   # a release on the package index",
        f'uv add --dev "dagent-gen @ git+{git_url}"   # a git repository',
        f"uv build --wheel --out-dir {VENDOR} {folder} && uv add --dev ./{VENDOR}/{wheel}"
        f"   # a wheel you commit in {VENDOR}/",
    ]


def _version_of(folder: Path) -> str:
    """The version in the checkout's pyproject.toml: the one place it is written."""
    try:
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
        return str(project["project"]["version"])
    except (OSError, ValueError, KeyError):
        return "VERSION"


def _git_remote(folder: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    url = done.stdout.strip()
    return url if done.returncode == 0 and url else None


def _index_source(version: str | None) -> Source:
    requirement = f"dagent-gen>={version}" if version else "dagent-gen"
    return Source(requirement, "", "the package index")


def _checkout() -> Path | None:
    """The repository this module runs from, when it is not installed (a bare checkout)."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "dagent-gen"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def dagent_gen_source(
    environ: Mapping[str, str] | None = None,
) -> tuple[Source | None, list[Diagnostic]]:
    """Where the new project installs dagent-gen from: where this dagent-gen was installed from.

    * ``DAGENT_GEN_SOURCE`` set: a folder (a checkout: editable), a wheel or sdist file, or
      ``index`` for the package index;
    * installed from a local folder (``uv sync`` in a checkout, ``pip install -e``): that
      folder, editable;
    * installed from a wheel or sdist file: that file;
    * installed from a git repository or an archive URL: the same;
    * installed from the package index: ``dagent-gen>=VERSION``.
    """
    env = os.environ if environ is None else environ
    override = env.get(SOURCE_ENV, "").strip()
    if override:
        return _override_source(override)
    try:
        dist = distribution("dagent-gen")
    except PackageNotFoundError:
        checkout = _checkout()
        if checkout is not None:
            return _path_source(checkout, f"the checkout {checkout}"), []
        return _index_source(None), []
    direct = dist.read_text("direct_url.json")
    if not direct:
        return _index_source(dist.version), []
    try:
        info: dict[str, Any] = json.loads(direct)
        url = str(info["url"])
    except (ValueError, KeyError, TypeError):
        return _index_source(dist.version), []
    parsed = urlparse(url)
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id")
        rev = f", rev = {_toml_string(str(commit))}" if commit else ""
        table = f"{{ git = {_toml_string(url)}{rev} }}"
        return Source("dagent-gen", table, f"the git repository {url}"), []
    if parsed.scheme != "file":
        return Source("dagent-gen", f"{{ url = {_toml_string(url)} }}", url), []
    path = Path(url2pathname(unquote(parsed.path)))
    if not path.exists():  # the wheel or folder is gone: fall back to the index
        return _index_source(dist.version), [
            warning(
                Code.INVALID_SOURCE,
                f"dagent-gen was installed from {path}, which no longer exists; the new "
                f"project gets dagent-gen>={dist.version} from the package index",
                hint=f"set {SOURCE_ENV} to a dagent-gen checkout or wheel to use that instead",
            )
        ]
    kind = "the folder" if path.is_dir() else "the file"
    return _path_source(path, f"{kind} {path}"), []


def _override_source(value: str) -> tuple[Source | None, list[Diagnostic]]:
    if value == "index":
        try:
            version: str | None = distribution("dagent-gen").version
        except PackageNotFoundError:
            version = None
        return _index_source(version), []
    path = Path(value).expanduser().resolve()
    archive = path.is_file() and path.name.endswith((".whl", ".tar.gz", ".zip"))
    if path.is_dir() or archive:
        return _path_source(path, f"{SOURCE_ENV}={value}"), []
    return None, [
        error(
            Code.INVALID_SOURCE,
            f"{SOURCE_ENV}={value!r} is neither a dagent-gen folder nor a wheel or sdist file",
            hint=f"point {SOURCE_ENV} at a dagent-gen checkout or a built wheel, set it to "
            "'index' for the package index, or unset it",
        )
    ]
