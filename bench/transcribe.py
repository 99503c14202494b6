"""Transcription wall time: Nemo Server's whole path (upload -> job done) against bare faster-whisper.

Run by hand against a running system (`make up`), on the same machine:

    NEMO_TOKEN=... .venv/bin/python bench/transcribe.py --server http://127.0.0.1:8000 --seconds 120 --runs 5

Both sides use the same model, compute type, threads, beam size and word timestamps; the bare side keeps the
model loaded, as our GPU worker does. Prints a table of medians.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

SENTENCES = [
    "The quarterly numbers came in above the forecast for the third time this year.",
    "We still need someone to own the migration plan before the end of the month.",
    "Sarah will send the updated budget to the finance team on Friday morning.",
    "The customer interviews showed that onboarding takes far too long.",
    "Let us move the design review to Tuesday and invite the whole support team.",
]


def make_speech(seconds: float, target: Path) -> float:
    """espeak-ng speech of about `seconds` seconds; returns the real duration."""
    words_per_second = 2.5
    text, n = [], 0
    while sum(len(s.split()) for s in text) < seconds * words_per_second:
        text.append(SENTENCES[n % len(SENTENCES)])
        n += 1
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(target), " ".join(text)], check=True)
    import av

    with av.open(str(target)) as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base)


def bare_runs(path: Path, model: str, threads: int, runs: int) -> list[float]:
    from faster_whisper import WhisperModel

    from models.assemble import ensure_model

    whisper = WhisperModel(str(ensure_model(model)), device="cpu", compute_type="int8", cpu_threads=threads)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        segments, _info = whisper.transcribe(
            str(path), language="en", word_timestamps=True, beam_size=5, condition_on_previous_text=False
        )
        list(segments)
        times.append(time.perf_counter() - started)
    return times


def pipeline_runs(path: Path, server: str, token: str, runs: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with path.open("rb") as handle:
            reply = requests.post(
                f"{server}/api/v1/recordings", files={"audio": handle}, headers=headers, timeout=600
            )
        reply.raise_for_status()
        job_id = reply.json()["job_id"]
        # Follow the job's event stream, as the upload page does: no polling, no rate limit to hit.
        final = None
        with requests.get(
            f"{server}/api/v1/jobs/{job_id}/events", headers=headers, stream=True, timeout=600
        ) as sse:
            for line in sse.iter_lines(decode_unicode=True):
                if line.startswith("event: ") and line[7:] in ("done", "failed", "cancelled"):
                    final = line[7:]
                    break
        if final != "done":
            raise RuntimeError(f"job {job_id} ended {final}")
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("NEMO_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("NEMO_TOKEN"))
    parser.add_argument("--model", default=os.environ.get("NEMO_ASR_MODEL", "whisper-tiny.en"))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("NEMO_WORKER_THREADS", "2")))
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set NEMO_TOKEN")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.wav"
        duration = make_speech(args.seconds, path)
        pipeline_runs(path, args.server, args.token, 1)  # warm the worker's model pool
        ours = pipeline_runs(path, args.server, args.token, args.runs)
        bare = bare_runs(path, args.model, args.threads, args.runs)
    bare_median, ours_median = statistics.median(bare), statistics.median(ours)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    settings = f"model {args.model}, int8, {args.threads} threads, beam 5, word timestamps"
    print(f"machine: {machine}; {settings}; {args.runs} runs, medians")
    print("| audio (s) | bare faster-whisper (s) | Nemo upload->done (s) | ratio | Nemo RTF |")
    print("|---|---|---|---|---|")
    print(
        f"| {duration:.1f} | {bare_median:.2f} | {ours_median:.2f} | {ours_median / bare_median:.2f} | "
        f"{ours_median / duration:.3f} |"
    )


if __name__ == "__main__":
    main()
