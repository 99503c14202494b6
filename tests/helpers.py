"""Test helpers: speech fixtures, word error rate, polling."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

TERMINAL = ("done", "failed", "cancelled")

SPOKEN = (
    "Please remember to send the quarterly budget report to Sarah before Friday. "
    "The marketing meeting moves to Tuesday morning at ten."
)


def synthesize(text: str, target: Path, voice: str = "en-us", speed: int = 150) -> Path:
    """Speech from espeak-ng as a wav; other containers are made with ffmpeg from the file suffix."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is missing: run `make system-deps`")
    wav = target if target.suffix == ".wav" else target.with_name(target.name + ".tmp.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    if wav != target:
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), str(target)], check=True)
        wav.unlink()
    return target


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / max(len(ref), 1)


def wait_for_job(client, job_id: str, headers: dict, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.get_json()
        job = response.get_json()
        if job["state"] in TERMINAL:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")
