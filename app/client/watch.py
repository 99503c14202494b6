"""`nemoctl watch DIR`: submit audio files as they appear in a folder (a recorder's sync folder, a
phone's upload target), each once.

- **Whole files only.** A file is sent once its size and modification time have stayed the same for
  `settle` seconds: a copy or a sync still writing it is waited for. Hidden files and the partial files
  of browsers and sync tools (`.part`, `.tmp`, `.crdownload`, ...) are ignored.
- **Each content once.** A file whose content (sha256) was sent before, from this folder or any other
  way, is recorded as a duplicate of the recording that holds it, not sent again.
- **A state file** (`.nemo-watch.json` in the folder, written atomically) remembers what was sent,
  skipped or refused, so a restart sends nothing twice; a file whose content changes is looked at again.
- **Errors that may pass** (the server away, a 5xx, a rate limit) leave the file to the next scan;
  a refusal (not audio, too long) is recorded and not retried until the file changes.

Polling, not inotify: it works the same on network mounts and sync folders, where change events are
missing or late.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.client.http import ClientError, NemoClient, file_sha256
from app.client.submit import AUDIO_SUFFIXES

STATE_NAME = ".nemo-watch.json"
PARTIAL_SUFFIXES = {".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp"}
STATE_VERSION = 1


@dataclass(frozen=True)
class Event:
    status: str  # submitted, duplicate, rejected, retry
    file: str
    recording_id: str | None = None
    job_id: str | None = None
    detail: str | None = None

    def line(self) -> str:
        ids = f" job={self.job_id or '-'} recording={self.recording_id or '-'}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.status:9} {self.file}{ids}{detail}"


def _wanted(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    if any(part.startswith(".") for part in relative.parts):
        return False
    return path.suffix.lower() in AUDIO_SUFFIXES and not any(
        s.lower() in PARTIAL_SUFFIXES for s in path.suffixes
    )


class FolderWatch:
    """What has been seen and sent of one folder; `scan()` does one pass."""

    def __init__(
        self,
        client: NemoClient,
        root: Path,
        fields: dict[str, str],
        settle_seconds: float = 5.0,
        state_path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.root, self.fields = client, root.resolve(), fields
        self.settle_seconds, self.clock = settle_seconds, clock
        self.state_path = state_path or self.root / STATE_NAME
        self.state = self._load()
        # Files seen but not yet settled: relative path -> (size, mtime_ns, first seen unchanged at).
        self.pending: dict[str, tuple[int, int, float]] = {}

    def _load(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return {"version": STATE_VERSION, "files": {}}
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"the state file {self.state_path} cannot be read: {exc}") from exc
        if state.get("version") != STATE_VERSION:
            raise RuntimeError(f"the state file {self.state_path} is of another version")
        return state

    def _save(self) -> None:
        temporary = self.state_path.with_name(self.state_path.name + ".new")
        temporary.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        os.replace(temporary, self.state_path)

    def _files(self) -> Iterator[tuple[str, Path, os.stat_result]]:
        for path in sorted(self.root.rglob("*")):
            if path == self.state_path or not _wanted(path, self.root):
                continue
            try:
                info = path.stat()
            except FileNotFoundError:  # deleted between the listing and the look
                continue
            if path.is_file():
                yield str(path.relative_to(self.root)), path, info

    def scan(self) -> list[Event]:
        """One pass: settled files are sent, the rest wait for a later pass."""
        events = []
        now = self.clock()
        seen = set()
        for name, path, info in self._files():
            seen.add(name)
            known = self.state["files"].get(name)
            if known and known["size"] == info.st_size and known["mtime_ns"] == info.st_mtime_ns:
                continue  # handled before, unchanged since
            size_and_time = (info.st_size, info.st_mtime_ns)
            previous = self.pending.get(name)
            if previous is None or previous[:2] != size_and_time or info.st_size == 0:
                self.pending[name] = (*size_and_time, now)
                continue
            if now - previous[2] < self.settle_seconds:
                continue
            event = self._send(name, path, info)
            if event.status != "retry":
                del self.pending[name]
            events.append(event)
        for gone in set(self.pending) - seen:
            del self.pending[gone]
        return events

    def _send(self, name: str, path: Path, info: os.stat_result) -> Event:
        sha256 = file_sha256(path)
        try:
            held = self.client.find_by_sha256(sha256)
            if held:
                event = Event("duplicate", name, held[0]["id"], None, "the same audio is already a recording")
            else:
                accepted = self.client.upload(path, self.fields)
                event = Event("submitted", name, accepted["recording_id"], accepted["job_id"])
        except ClientError as exc:
            if exc.status in (0, 408, 429) or exc.status >= 500:
                return Event("retry", name, detail=exc.message)
            if exc.status in (401, 403):
                raise
            event = Event("rejected", name, detail=exc.message)
        self.state["files"][name] = {
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "sha256": sha256,
            "status": event.status,
            "recording_id": event.recording_id,
            "job_id": event.job_id,
            "detail": event.detail,
        }
        self._save()
        return event

    @property
    def waiting(self) -> int:
        """Files seen that are not yet settled (still growing, or settling)."""
        return len(self.pending)
