"""The shell tool's process plumbing: stopping a process group, keeping capped output.

``terminate_group`` stops every process of a group (SIGTERM, SIGKILL after a grace period);
``CappedOutput`` decodes a command's output as it arrives and keeps only its head and tail, so
memory stays bounded however much a command writes.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import time

__all__ = ["READ_CHUNK_BYTES", "CappedOutput", "terminate_group"]

READ_CHUNK_BYTES = 65_536


async def terminate_group(pgid: int, grace: float) -> None:
    """SIGTERM the process group ``pgid``, then SIGKILL whatever is left after ``grace`` s."""
    if not _group_alive(pgid):
        return
    _signal_group(pgid, signal.SIGTERM)
    _signal_group(pgid, signal.SIGCONT)  # a stopped process acts on SIGTERM only once resumed
    try:
        deadline = time.monotonic() + grace
        while _group_alive(pgid) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:  # also when cancelled during the grace period
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    # ProcessLookupError: gone; PermissionError: the id now belongs to someone else's group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies waiting to be reaped do not)."""
    try:
        entries = os.listdir("/proc")
    except OSError:  # no procfs: ask the kernel, which also counts zombies
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


class CappedOutput:
    """The decoded output, keeping at most ``limit`` characters: a head and a tail."""

    def __init__(self, limit: int) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail_limit = limit // 2
        self._head_limit = limit - self._tail_limit
        self._head = ""
        self._tail: list[str] = []
        self._tail_chars = 0
        self.total_chars = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        text = self._decoder.decode(data, final)
        self.total_chars += len(text)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += text[:room]
            text = text[room:]
        if text:
            self._tail.append(text)
            self._tail_chars += len(text)
            if self._tail_chars > 2 * self._tail_limit + READ_CHUNK_BYTES:
                self._compact()  # memory stays bounded however much the command writes

    def _compact(self) -> None:
        joined = "".join(self._tail)
        tail = joined[-self._tail_limit :] if self._tail_limit else ""
        self._tail, self._tail_chars = [tail], len(tail)

    def render(self, status: str, drained: bool) -> str:
        self._compact()
        tail = self._tail[0]
        cut = self.total_chars - len(self._head) - len(tail)
        text = self._head + tail
        if cut > 0:
            text = (
                f"{self._head}\n[... {cut:,} of {self.total_chars:,} characters cut from the "
                f"middle of the output ...]\n{tail}"
            )
        if text and not text.endswith("\n"):
            text += "\n"
        if not drained:
            text += (
                "[stopped reading: a process outside the command's group keeps the output open]\n"
            )
        return text + status
