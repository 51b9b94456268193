"""Benchmark: what a continued run's input costs, the conversation as JSON against packed.

    uv run --frozen python benchmarks/continuation_size.py [--write-docs]

Continue-as-new writes the state twice into history (the old run's last event, the new run's
first). The conversation measured here is a coding agent's, built from this repository's own
files: each step reads one source or documentation file (the tool result is its text), so the
text compresses as real code and prose do, not as the benchmark loop's repeated filler. For
each size it prints the state's payload as the data converter encodes it, with the messages
as JSON objects (what generated code carried before it packed them) and packed
(``pack_messages``). Over ``CONTINUATION_MAX_BYTES`` (1.5 MB) the old tool results are
shortened until the state fits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report import write_between_markers
from temporalio.converter import default as default_converter

from dagent_gen.runtime.loop_support import CONTINUATION_MAX_BYTES, fitted_continuation
from dagent_gen.runtime.messages import ChatMessage, Continuation, ToolCall

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("generator/dagent_gen/**/*.py"), *ROOT.glob("docs/*.md")])
STEPS = (10, 50, 200, 666)  # 666: about where a 1,000-step loop continues as new (8,000 events)


def conversation(steps: int) -> list[ChatMessage]:
    messages = [
        ChatMessage(role="system", content="You maintain this repository."),
        ChatMessage(role="user", content="Read the sources and summarise each module."),
    ]
    for step in range(steps):
        path = SOURCES[step % len(SOURCES)]
        call = ToolCall(id=f"call_{step}", name="read_file", arguments=f'{{"path": "{path.name}"}}')
        messages.append(ChatMessage(role="assistant", content=None, tool_calls=[call]))
        text = path.read_text(encoding="utf-8")[:4_000]  # a read tool returns a page at a time
        messages.append(ChatMessage(role="tool", content=text, tool_call_id=call.id))
    return messages


def size(value: object) -> int:
    return len(default_converter().payload_converter.to_payloads([value])[0].data)


def table() -> str:
    rows = [
        "| steps | conversation as JSON objects | packed | ratio | as JSON objects, it would |",
        "|---|---|---|---|---|",
    ]
    for steps in STEPS:
        state = Continuation(messages=conversation(steps), steps=steps)
        plain = size(state)
        packed = size(fitted_continuation(state, default_converter().payload_converter))
        fits = "fit" if plain <= CONTINUATION_MAX_BYTES else "shorten old tool results"
        rows.append(f"| {steps} | {plain / 1000:,.1f} KB | {packed / 1000:,.1f} KB | "
                    f"{plain / packed:.1f}x | {fits} |")  # fmt: skip
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    found = table()
    print(found)
    if args.write_docs and not write_between_markers(
        ROOT / "docs" / "benchmarks.md", "continuation-size", found
    ):
        print("markers <!-- continuation-size:begin/end --> not found", file=sys.stderr)


if __name__ == "__main__":
    main()
