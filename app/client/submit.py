"""`nemoctl submit`: upload files and folders in a batch, skip what was already sent, optionally wait."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from app.client.http import ClientError, NemoClient, file_sha256

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".oga", ".opus", ".webm", ".aac", ".mp4"}
TERMINAL = ("done", "failed", "cancelled")


@dataclass
class Outcome:
    file: str
    status: str  # submitted, skipped, rejected, done, failed, cancelled
    job_id: str | None = None
    recording_id: str | None = None
    error: str | None = None
    error_code: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def collect_files(paths: list[Path]) -> list[Path]:
    """Files given directly, plus audio files found (recursively) in folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path} does not exist")
    unique: dict[Path, None] = dict.fromkeys(p.resolve() for p in found)
    return list(unique)


def submit_all(client: NemoClient, files: list[Path], force: bool, show_progress: bool) -> list[Outcome]:
    outcomes = []
    for path in tqdm(files, desc="uploading", unit="file", disable=not show_progress):
        if not force:
            existing = client.find_by_sha256(file_sha256(path))
            if existing:
                rec = existing[0]
                job = rec.get("job") or {}
                outcomes.append(Outcome(str(path), "skipped", job.get("id"), rec["id"]))
                continue
        try:
            accepted = client.upload(path)
        except ClientError as exc:
            if exc.status in (0, 401, 429) or exc.status >= 500:
                raise
            outcomes.append(Outcome(str(path), "rejected", error=exc.message, error_code=exc.code))
            continue
        outcomes.append(Outcome(str(path), "submitted", accepted["job_id"], accepted["recording_id"]))
    return outcomes


def wait_all(
    client: NemoClient, outcomes: list[Outcome], show_progress: bool, poll_seconds: float = 1.0
) -> None:
    """Poll until every submitted job ends, with one request per poll for the whole batch (so a batch of
    hundreds stays far below the rate limit); the bar counts finished jobs of this batch."""
    pending = {o.job_id: o for o in outcomes if o.status == "submitted" and o.job_id}
    with tqdm(total=len(pending), desc="transcribing", unit="job", disable=not show_progress) as bar:
        while pending:
            for job in client.jobs(list(pending)):
                if job["state"] in TERMINAL:
                    outcome = pending.pop(job["id"])
                    outcome.status = job["state"]
                    outcome.error = job["error"]
                    bar.update(1)
            if pending:
                time.sleep(poll_seconds)
