"""Keeps the one-machine runtime's processes running: a child that exits is restarted with backoff and the
rest keep serving. Only a stop request (Ctrl-C, SIGTERM) stops everything.

Why not stop everything when one child dies: one crashed worker used to take the web, Flower and the other
workers down with it, and nothing brought them back. Tasks survive a worker's death (leases and late
acknowledgement), so restarting the one that died is both safe and what a user expects.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

# First restart after this many seconds, doubling on each quick failure up to the cap; a child that ran
# for STABLE_SECONDS before dying starts again from the first delay.
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0
STABLE_SECONDS = 60.0


@dataclass
class Child:
    """One supervised process: how to start it, and its restart history."""

    name: str
    start: Callable[[], subprocess.Popen]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_failures: int = 0
    restart_at: float | None = None
    exits: list[int] = field(default_factory=list)

    def launch(self) -> None:
        self.proc = self.start()
        self.started_at = time.monotonic()
        self.restart_at = None


def next_delay(quick_failures: int) -> float:
    """Backoff before the next start, given how many times in a row the child died soon after starting."""
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** max(0, quick_failures - 1))


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the child's whole process group: a killed Celery or gunicorn parent leaves pool processes
    behind that would hold models, ports and tasks."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


class Supervisor:
    """Starts children in order, restarts the ones that exit, stops them all in reverse order."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.children: list[Child] = []
        self.say = say

    def add(self, name: str, start: Callable[[], subprocess.Popen]) -> Child:
        child = Child(name, start)
        child.launch()
        self.children.append(child)
        return child

    def check(self, now: float | None = None) -> None:
        """One round: note children that exited and schedule their restart; start those whose time came."""
        now = time.monotonic() if now is None else now
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    assert child.proc is not None
                    kill_group(child.proc)  # whatever of the old group did not end on SIGTERM
                    child.restarts += 1
                    try:
                        child.launch()
                    except Exception as exc:  # noqa: BLE001 - a failed start is retried like a crash
                        child.quick_failures += 1
                        child.restart_at = now + next_delay(child.quick_failures)
                        self.say(f"{child.name} did not start ({exc}); trying again")
                        continue
                    self.say(f"{child.name} restarted (restart {child.restarts})")
                continue
            assert child.proc is not None
            code = child.proc.poll()
            if code is None:
                continue
            # Its orphans, if any, are asked to end now (gunicorn workers finish the requests they
            # hold) and killed when the child is started again.
            kill_group(child.proc, signal.SIGTERM)
            ran = now - child.started_at
            child.quick_failures = 1 if ran >= STABLE_SECONDS else child.quick_failures + 1
            delay = next_delay(child.quick_failures)
            child.exits.append(code)
            child.restart_at = now + delay
            self.say(f"{child.name} exited with status {code} after {ran:.1f} s; restarting in {delay:.1f} s")

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        running = [c.proc for c in reversed(self.children) if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            kill_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                kill_group(proc)
                proc.wait()
        for child in self.children:
            if child.proc is not None:
                kill_group(child.proc)  # leftovers of children that exited on their own
