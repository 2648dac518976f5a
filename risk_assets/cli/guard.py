"""`python -m risk_assets.cli.guard PARENT_PID -- COMMAND ...`: runs COMMAND (`dagster dev`) so that none of the processes it
starts outlives the risk-report command that started the guard, even when that command is killed with kill -9.

Dagster's own shutdown is not enough: `dagster dev` stops its webserver and daemon, but a code server waits for
its runs to finish, and a run stalled on an SMTP server or webhook goes on (and retries) with nobody watching.
So the guard is a child subreaper (every orphaned descendant becomes its child), asks the kernel for SIGTERM when
its parent dies (PR_SET_PDEATHSIG, like the guard's own launch), and on SIGTERM or SIGINT stops the whole tree:
SIGTERM to every descendant, then SIGKILL to whatever is left after STOP_GRACE_SECONDS. docs/orchestration.md.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_GRACE_SECONDS = 10.0  # dagster dev stops its services in 2-3 s; a run stalled mid-send would never stop
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: nothing to look up in a child


class _Stop(Exception):
    pass


def stop_with_parent() -> None:
    """For preexec_fn, in the child before exec: SIGTERM when the parent dies, even by kill -9 (Linux)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat from the state on (state, parent pid, ...), or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": the comm may hold spaces and parentheses


def _parent_pid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def running(pid: int) -> bool:
    """Whether `pid` is a living process; a zombie (dead, not yet collected by its parent) is not."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def descendants(root: int) -> list[int]:
    """Every living process below `root` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent_pid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def _reap() -> bool:
    """Collect the exit status of finished children; False once the guard has no child (and so no descendant)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def stop_tree(grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to every descendant of this process, SIGKILL after `grace` seconds; returns when none is left."""
    _signal_all(descendants(os.getpid()), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _reap():
        if time.monotonic() > deadline:
            _signal_all(descendants(os.getpid()), signal.SIGKILL)
        time.sleep(0.1)


def _raise_stop(_signum, _frame) -> None:
    raise _Stop()


def main(parent: int, command: list[str]) -> int:
    _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if os.getppid() != parent:
        return 1  # the command died before the kernel could be asked to tell us: nothing to guard for
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_stop)
    code = 0
    try:
        child = subprocess.Popen(command)
        code = child.wait()
    except _Stop:
        pass
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)  # the stop below is not interrupted by a second signal
        stop_tree()
    return code


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]))
