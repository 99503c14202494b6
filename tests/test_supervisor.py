"""The launcher's supervisor on real processes: a killed child is restarted after its backoff while the
others keep running; quick repeated deaths back off further; a child that cannot start is retried; stop
ends every process group, orphans included."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from deploy.supervisor import MAX_DELAY_SECONDS, Supervisor, next_delay


def sleeper() -> subprocess.Popen:
    # A parent with a child of its own in the same session, like a Celery worker and its pool.
    return subprocess.Popen(["sh", "-c", "sleep 300 & wait"], start_new_session=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry))
    return members


def test_backoff_doubles_and_is_capped():
    assert [next_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert next_delay(30) == MAX_DELAY_SECONDS


def test_a_killed_child_is_restarted_and_the_others_keep_running():
    said: list[str] = []
    supervisor = Supervisor(say=said.append)
    try:
        worker = supervisor.add("worker", sleeper)
        web = supervisor.add("web", sleeper)
        web_pid, first_pid = web.proc.pid, worker.proc.pid
        time.sleep(0.3)
        orphans = [pid for pid in group_members(first_pid) if pid != first_pid]
        assert orphans, "the child's own child runs in its group"
        os.kill(first_pid, signal.SIGKILL)
        worker.proc.wait()
        now = time.monotonic()
        supervisor.check(now)
        assert said == [
            f"worker exited with status -9 after {now - worker.started_at:.1f} s; restarting in 0.5 s"
        ]
        time.sleep(0.2)
        assert not any(alive(pid) for pid in orphans), "the dead child's pool went with it"
        supervisor.check(now + 0.1)
        assert worker.proc.pid == first_pid, "not before its backoff"
        supervisor.check(now + 0.6)
        assert worker.proc.pid != first_pid and worker.proc.poll() is None
        assert said[-1] == "worker restarted (restart 1)"
        assert web.proc.pid == web_pid and web.proc.poll() is None, "the others were left alone"

        # Dying again soon after the restart waits twice as long.
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()
        supervisor.check(now + 1.0)
        assert said[-1].endswith("restarting in 1.0 s")
    finally:
        supervisor.stop_all(grace_seconds=5)
    for child in supervisor.children:
        assert child.proc.poll() is not None
        assert group_members(child.proc.pid) == []


def test_a_child_that_cannot_start_is_tried_again():
    said: list[str] = []
    attempts = []

    def flaky() -> subprocess.Popen:
        attempts.append(time.monotonic())
        if len(attempts) in (2, 3):
            raise OSError("port in use")
        return sleeper()

    supervisor = Supervisor(say=said.append)
    try:
        child = supervisor.add("redis", flaky)
        os.kill(child.proc.pid, signal.SIGKILL)
        child.proc.wait()
        now = time.monotonic()
        supervisor.check(now)
        supervisor.check(now + 1)
        assert said[-1] == "redis did not start (port in use); trying again"
        supervisor.check(now + 2)
        assert "did not start" in said[-1]
        supervisor.check(now + 10)
        assert said[-1] == "redis restarted (restart 3)" and child.proc.poll() is None
    finally:
        supervisor.stop_all(grace_seconds=5)


def test_stop_ends_children_that_ignore_sigterm():
    grace = 0.5
    supervisor = Supervisor(say=lambda _line: None)
    stubborn = supervisor.add(
        "stubborn",
        lambda: subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 300 & wait"], start_new_session=True),
    )
    time.sleep(0.3)
    started = time.monotonic()
    supervisor.stop_all(grace_seconds=grace)
    assert stubborn.proc.poll() is not None and time.monotonic() - started < grace + 5
    assert group_members(stubborn.proc.pid) == []
