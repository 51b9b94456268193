"""The dagent-gen block of ``.gitattributes``: generated state collapses in pull requests.

Only the lines between the two marker comments belong to dagent-gen; everything else in the file
is the user's and is kept as it is. Workflow modules (merged files, which users edit) are left
out on purpose so that their diffs stay visible in review.
"""

from __future__ import annotations

from dagent_gen.state import STATE_DIR

FILE = ".gitattributes"
BEGIN = "# >>> dagent-gen: generated files (managed by `dagent-gen build`) >>>"
END = "# <<< dagent-gen <<<"


def render_block(managed_paths: list[str]) -> str:
    lines = [BEGIN, f"{STATE_DIR}/** linguist-generated=true"]
    lines += [f"{path} linguist-generated=true" for path in sorted(managed_paths)]
    lines.append(END)
    return "\n".join(lines) + "\n"


def update(existing: str | None, managed_paths: list[str]) -> str:
    """``existing`` with its dagent-gen block replaced (or appended when there is none)."""
    block = render_block(managed_paths)
    if not existing:
        return block
    lines = existing.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == END]
    if starts and ends and ends[0] > starts[0]:
        return "".join(lines[: starts[0]]) + block + "".join(lines[ends[0] + 1 :])
    separator = "" if existing.endswith("\n") else "\n"
    return existing + separator + "\n" + block
