"""The shell tool's core (dagent_gen/runtime/shell.py): output, limits, process groups, env.

Processes are checked through /proc: a pid "lives" while /proc/<pid> exists and is not a zombie
(an orphaned zombie waits for PID 1 to reap it, which can take seconds here). Every wait is on a
condition with a generous bound, so a busy machine makes the tests slower, not red.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from dagent_gen.runtime.shell import (
    ShellCommandRefused,
    ShellConfig,
    ShellToolError,
    command_environment,
    execute_activity_body,
    run_command,
)
from dagent_gen.runtime.shell_allow import check_command

BOUND = 60.0  # seconds a condition may take on a busy machine before the test fails


def run(config: ShellConfig, command: str, **options: object) -> str:
    return asyncio.run(run_command(config, command, **options))  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def processes_in(root: Path) -> list[int]:
    """Live processes whose working directory is ``root`` (every process a test command starts)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if cwd == str(root) and alive(int(entry)):
                found.append(int(entry))
    return found


def wait_until(condition: Callable[[], bool], bound: float = BOUND) -> bool:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def assert_all_gone(root: Path, pids: list[int]) -> None:
    assert wait_until(lambda: not any(alive(pid) for pid in pids)), [p for p in pids if alive(p)]
    assert wait_until(lambda: not processes_in(root)), processes_in(root)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path.resolve()


@pytest.fixture
def config(root: Path) -> ShellConfig:
    return ShellConfig(root=root, timeout=60)


# -- output and status -------------------------------------------------------------------------


def test_output_ends_with_the_exit_code(config: ShellConfig) -> None:
    assert run(config, "echo hello; exit 3") == "hello\n[exit code: 3]"
    assert run(config, "true") == "[exit code: 0]"
    assert run(config, "printf 'no newline'") == "no newline\n[exit code: 0]"


def test_stderr_is_interleaved_with_stdout_in_write_order(config: ShellConfig) -> None:
    result = run(config, "echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 1")
    assert result == "out1\nerr1\nout2\nerr2\n[exit code: 1]"


def test_a_shell_killed_by_a_signal_says_which(config: ShellConfig) -> None:
    assert run(config, "echo before; kill -9 $$") == (
        "before\n[exit code: -9 (shell killed by SIGKILL)]"
    )


def test_the_working_directory_is_the_root(config: ShellConfig, root: Path) -> None:
    assert run(config, "pwd; ls") == f"{root}\n[exit code: 0]"
    (root / "here.txt").write_text("x")
    assert run(config, "ls") == "here.txt\n[exit code: 0]"


def test_long_output_keeps_head_and_tail_with_a_note(root: Path) -> None:
    config = ShellConfig(root=root, timeout=60, max_output_chars=1_000)
    result = run(config, "printf START; head -c 100000 /dev/zero | tr '\\0' x; printf END")
    total = 100_008
    head, note, tail = result.split("\n", 2)
    assert head == "START" + "x" * 495
    assert note == (
        f"[... {total - 1000:,} of {total:,} characters cut from the middle of the output ...]"
    )
    assert tail == "x" * 497 + "END\n[exit code: 0]"


def test_multibyte_characters_split_across_reads_decode_intact(root: Path) -> None:
    config = ShellConfig(root=root, timeout=60, max_output_chars=1_000_000)
    # 7-byte lines: reads of 64 KiB cut through the 3-byte euro signs.
    result = run(config, "yes '€€' | head -n 50000")
    assert "\ufffd" not in result
    assert result.count("€") == 100_000


def test_a_flood_of_output_neither_deadlocks_nor_grows_memory(root: Path) -> None:
    config = ShellConfig(root=root, timeout=600, max_output_chars=10_000)
    tracemalloc.start()
    try:
        result = run(config, "yes | head -c 50000000")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.endswith("[exit code: 0]")
    assert "of 50,000,000 characters cut" in result
    assert len(result) < 10_200
    assert peak < 10_000_000, f"peak traced memory {peak:,} bytes for 50 MB of output"


# -- timeout, leftovers, cancellation: no process remains --------------------------------------

BACKGROUND_JOBS = (
    "sleep 300 & echo $! >> pids; sleep 300 & echo $! >> pids; "
    "(sleep 300; touch marker) & echo $! >> pids; echo $$ >> pids; "
)


def test_timeout_kills_the_whole_process_group(root: Path) -> None:
    config = ShellConfig(root=root, timeout=5)
    result = run(config, BACKGROUND_JOBS + "echo started; wait")
    assert result == "started\n[timed out after 5s; process group killed]"
    pids = pids_in(root / "pids")
    assert len(pids) == 4
    assert_all_gone(root, pids)
    assert not (root / "marker").exists()


def test_timeout_escalates_to_sigkill_when_sigterm_is_ignored(root: Path) -> None:
    config = ShellConfig(root=root, timeout=3)
    command = "trap '' TERM; sleep 300 & echo $! >> pids; echo $$ >> pids; wait; wait; wait"
    result = run(config, command, kill_grace=1.0)
    assert result.endswith("[timed out after 3s; process group killed]")
    pids = pids_in(root / "pids")
    assert len(pids) == 2
    assert_all_gone(root, pids)


def test_jobs_left_running_when_the_shell_exits_are_killed(config: ShellConfig, root: Path) -> None:
    started = time.monotonic()
    result = run(config, BACKGROUND_JOBS + "echo done")
    assert result == "done\n[exit code: 0]"
    assert time.monotonic() - started < BOUND  # it did not wait for the jobs
    pids = pids_in(root / "pids")
    assert len(pids) == 4
    assert_all_gone(root, pids)


def test_cancelling_the_call_kills_the_process_group_and_reraises(
    config: ShellConfig, root: Path
) -> None:
    heartbeats: list[float] = []

    async def scenario() -> None:
        call = asyncio.create_task(
            run_command(
                config,
                BACKGROUND_JOBS + "wait",
                heartbeat=lambda: heartbeats.append(time.monotonic()),
            )
        )
        deadline = time.monotonic() + BOUND
        while len(pids_in(root / "pids")) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not call.done()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(scenario())
    pids = pids_in(root / "pids")
    assert len(pids) == 4
    assert heartbeats  # called at least once, at the start
    assert_all_gone(root, pids)
    assert not (root / "marker").exists()


def test_an_error_while_waiting_kills_the_process_group(config: ShellConfig, root: Path) -> None:
    def heartbeat() -> None:
        if len(pids_in(root / "pids")) == 4:
            raise RuntimeError("heartbeat failed")

    with pytest.raises(RuntimeError, match="heartbeat failed"):
        run(config, BACKGROUND_JOBS + "wait", heartbeat=heartbeat, heartbeat_interval=0.05)
    pids = pids_in(root / "pids")
    assert len(pids) == 4
    assert_all_gone(root, pids)


def test_heartbeat_is_called_while_the_command_runs(config: ShellConfig) -> None:
    beats: list[float] = []
    run(config, "sleep 1", heartbeat=lambda: beats.append(1.0), heartbeat_interval=0.05)
    assert len(beats) >= 2


def test_a_process_that_leaves_the_group_does_not_hang_the_call(
    config: ShellConfig, root: Path
) -> None:
    command = "setsid sh -c 'echo $$ > escaped; exec sleep 300' & sleep 0.1; echo done"
    try:
        result = run(config, command)
        assert wait_until(lambda: bool(pids_in(root / "escaped")))
        assert result.startswith("done\n[stopped reading: a process outside")
        assert result.endswith("[exit code: 0]")
    finally:
        for pid in pids_in(root / "escaped"):
            os.kill(pid, signal.SIGKILL)


def test_execute_activity_body_runs_outside_an_activity(config: ShellConfig) -> None:
    assert asyncio.run(execute_activity_body(config, "echo hi")) == "hi\n[exit code: 0]"


# -- environment -------------------------------------------------------------------------------


def test_the_environment_is_not_inherited_except_passthrough_names(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGENT_SHELL_TEST_SECRET", "s3cret-value")
    monkeypatch.setenv("DAGENT_SHELL_TEST_PASSED", "visible")
    monkeypatch.delenv("DAGENT_SHELL_TEST_MISSING", raising=False)
    config = ShellConfig(root=root, env=("DAGENT_SHELL_TEST_PASSED", "DAGENT_SHELL_TEST_MISSING"))
    result = run(config, "env")
    assert "s3cret-value" not in result
    assert "DAGENT_SHELL_TEST_PASSED=visible\n" in result
    names = {line.split("=", 1)[0] for line in result.splitlines()[:-1]}
    shell_own = {"PWD", "OLDPWD", "SHLVL", "_"}
    assert names <= {"PATH", "HOME", "LANG", "DAGENT_SHELL_TEST_PASSED"} | shell_own


def test_command_environment_policy(root: Path) -> None:
    config = ShellConfig(root=root, env=("A", "B"))
    worker = {"PATH": "/p", "HOME": "/h", "LANG": "de_DE.UTF-8", "A": "1", "SECRET": "s"}
    assert command_environment(config, worker) == {
        "PATH": "/p",
        "HOME": "/h",
        "LANG": "de_DE.UTF-8",
        "A": "1",
    }
    assert command_environment(config, {}) == {"PATH": os.defpath, "LANG": "C.UTF-8"}


# -- configuration and refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": 3600.5},
        {"timeout": float("nan")},
        {"max_output_chars": 10},
        {"env": ("1BAD",)},
        {"env": ("A-B",)},
        {"env": "HOME"},
        {"allow": "ls"},
        {"allow": ("/bin/ls",)},
        {"allow": ("rm -rf",)},
        {"allow": ("if",)},
        {"allow": ("l*",)},
        {"allow": ("",)},
    ],
)
def test_bad_configuration_is_refused(root: Path, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ShellConfig(root=root, **options)  # type: ignore[arg-type]


def test_timeout_bounds_are_inclusive_of_an_hour(root: Path) -> None:
    assert ShellConfig(root=root, timeout=3600).timeout == 3600


@pytest.mark.parametrize("command", ["", "   \n", "echo a\0b"])
def test_empty_or_nul_commands_are_refused(config: ShellConfig, command: str) -> None:
    with pytest.raises(ShellToolError):
        run(config, command)


def test_a_missing_root_is_a_tool_error(root: Path) -> None:
    with pytest.raises(ShellToolError, match="not a directory"):
        run(ShellConfig(root=root / "missing"), "true")


ALLOW = ("cat", "echo", "grep", "ls", "wc")

ALLOWED_COMMANDS = [
    "ls -la",
    "ls | wc -l",
    "echo a; echo b",
    "echo a && ls || echo b &",
    "ls\n\nwc\n",
    "ls &&\n  wc",
    "echo 'a; rm x'",
    'echo "a && rm x $HOME"',
    "echo a\\;rm x",
    "ls > out.txt 2>&1",
    "cat < in.txt >> out.txt",
    "echo a#b",
    "ls # rm x; it's a comment",
    "echo '$(rm x)' '`rm x`' '${X}'",
    "'ls'",
    '"l"s',
    "l\\\ns",
    'echo "it\'s"',
    "grep -c x file | wc -l",
]

REFUSED_COMMANDS = [
    "rm -rf x",
    "ls; rm x",
    "ls && rm x",
    "ls || rm x",
    "ls | rm x",
    "ls & rm x",
    "ls\nrm x",
    "ls \\\n; rm x",
    "ls $(rm x)",
    "ls `rm x`",
    'ls "$(rm x)"',
    'ls "`rm x`"',
    "ls $((1+2))",
    "ls ${X:-y}",
    "(rm x)",
    "ls; (rm x)",
    "{ rm x; }",
    "FOO=1 ls",
    "> out ls",
    "2>/dev/null ls",
    "$X",
    "./ls",
    "/bin/ls",
    "ls;; rm x",
    "; ls",
    "ls &>x rm",
    "ls |& rm x",
    "if ls; then rm x; fi",
    "ls 'unterminated",
    'ls "unterminated',
    "echo $'\\''; rm x; echo '",
    '";" ls',
    '">" ls',
    "cat <<EOF\n'\nEOF\nrm x\n'",
    "ls # it's\nrm x\n'",
    "echo a#b; rm x",  # shlex (default comments) reads "#b; rm x" as a comment
    "ls #\nrm x",
    "ls\r",
    "f() { ls; }; f",
]


@pytest.mark.parametrize("command", ALLOWED_COMMANDS)
def test_allow_list_passes_commands_starting_only_allowed_programs(command: str) -> None:
    check_command(command, ALLOW)


@pytest.mark.parametrize("command", REFUSED_COMMANDS)
def test_allow_list_refuses_other_programs_and_unchecked_constructs(command: str) -> None:
    with pytest.raises(ShellCommandRefused):
        check_command(command, ALLOW)


def test_a_refused_command_does_not_run(root: Path) -> None:
    config = ShellConfig(root=root, allow=ALLOW)
    with pytest.raises(ShellCommandRefused, match="'touch' is not allowed"):
        run(config, "echo hi; touch marker")
    assert not (root / "marker").exists()
    assert run(config, "echo hi | wc -l") == "1\n[exit code: 0]"


def test_an_empty_allow_list_allows_nothing(root: Path) -> None:
    with pytest.raises(ShellCommandRefused, match="allowed programs: none"):
        run(ShellConfig(root=root, allow=()), "ls")
