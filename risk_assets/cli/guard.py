"""`python -m risk_assets.cli.guard PARENT_PID -- COMMAND ...`: runs COMMAND (the Dagster stack) so that none of the
processes it starts outlives the risk-report command that started the guard, even when that command is killed with
kill -9.

Dagster's own shutdown is not enough: the webserver and daemon stop, but a code server waits for
its runs to finish, and a run stalled on an SMTP server or webhook goes on (and retries) with nobody watching.
So the guard watches its parent and, once the parent is gone or on SIGTERM or SIGINT, stops the whole tree: SIGTERM
to every descendant it has seen, then SIGKILL to whatever is left after STOP_GRACE_SECONDS (docs/orchestration.md).

On every platform (Linux, macOS) the guard polls its parent every PARENT_POLL_SECONDS and records the tree as it
grows, so a descendant whose own parent ended is still stopped. Linux offers more, and the guard takes it: the
kernel sends SIGTERM the moment the parent dies (PR_SET_PDEATHSIG) and makes the guard a child subreaper, so every
orphaned descendant becomes the guard's child and none can leave the tree.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

import psutil

STOP_GRACE_SECONDS = 10.0  # the webserver and daemon stop in 2-3 s; a run stalled mid-send would never stop
PARENT_POLL_SECONDS = 0.5
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
LINUX = sys.platform.startswith("linux")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# Loaded before any fork, so that nothing is looked up in a child between fork and exec.
_LIBC = ctypes.CDLL(None, use_errno=True) if LINUX else None


class Stop(Exception):
    """SIGTERM or SIGINT arrived (`stop_on_signals`)."""


def stop_on_signals() -> None:
    """SIGTERM and SIGINT raise Stop in the main thread."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)


def ignore_stop_signals() -> None:
    """While stopping: a second SIGTERM or SIGINT does not interrupt the stop."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def stop_with_parent() -> None:
    """For preexec_fn, in the child before exec: on Linux, SIGTERM when the parent dies, even by kill -9 (elsewhere
    the guard notices by polling)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def running(pid: int) -> bool:
    """Whether `pid` is a living process; a zombie (dead, not yet collected by its parent) is not."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def descendants(root: int) -> list[psutil.Process]:
    """Every process below `root` now."""
    try:
        return psutil.Process(root).children(recursive=True)
    except psutil.Error:
        return []


class Tree:
    """The guard's descendants, each remembered from the moment it is seen (a psutil.Process knows its start time,
    so a recycled pid is never signalled)."""

    def __init__(self) -> None:
        self.seen: dict[int, psutil.Process] = {}

    def look(self) -> None:
        for process in descendants(os.getpid()):
            self.seen.setdefault(process.pid, process)

    def living(self) -> list[psutil.Process]:
        self.look()
        alive = []
        for process in self.seen.values():
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.Error:
                continue
        return alive

    def signal(self, signum: int) -> None:
        for process in self.living():
            try:
                process.send_signal(signum)
            except psutil.Error:
                pass

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM to every descendant, SIGKILL after `grace` seconds; returns when none is left."""
        self.signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _reap() or self.living():
            if time.monotonic() > deadline:
                self.signal(signal.SIGKILL)
            time.sleep(0.1)


def _reap() -> bool:
    """Collect the exit status of finished children; False once the guard has no child left."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _raise_stop(_signum, _frame) -> None:
    raise Stop()


def _watch(child: subprocess.Popen, parent: int, tree: Tree) -> int:
    """The command's exit code, or 0 once the parent is gone (the tree is stopped by the caller)."""
    while True:
        try:
            return child.wait(timeout=PARENT_POLL_SECONDS)
        except subprocess.TimeoutExpired:
            tree.look()
            if os.getppid() != parent:
                return 0


def main(parent: int, command: list[str]) -> int:
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if os.getppid() != parent:
        return 1  # the command died before the guard started: nothing to guard for
    stop_on_signals()
    tree, code = Tree(), 0
    try:
        child = subprocess.Popen(command)
        code = _watch(child, parent, tree)
    except Stop:
        pass
    finally:
        ignore_stop_signals()
        tree.stop()
    return code


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]))
