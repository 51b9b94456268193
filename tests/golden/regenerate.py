"""Regenerate the golden outputs: ``uv run python tests/golden/regenerate.py``.

Each folder under ``cases/`` is built in memory with the real pipeline; its generated files are
written to ``expected/<case>/``. Review the diff before committing it: it *is* the change in
generated output (note it in CHANGELOG.md).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generated_files(case: Path) -> dict[str, str]:
    from dagent_gen.pipeline import generate

    generation, problems = generate(case)
    if generation is None:
        raise SystemExit("\n".join(p.render() for p in problems))
    return {file.path: file.content for file in generation.files}


def main() -> None:
    for case in sorted((HERE / "cases").iterdir()):
        target = HERE / "expected" / case.name
        shutil.rmtree(target, ignore_errors=True)
        for path, content in generated_files(case).items():
            out = target / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(content, encoding="utf-8", newline="\n")
        print(f"regenerated {target.relative_to(HERE.parent.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
