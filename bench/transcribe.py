"""The transcription pipeline against bare faster-whisper, on synthetic conversations with ground truth.

Run by hand against a running system (`make up`, ideally freshly started so peak memory means this run),
on the same machine, with the same ASR model the server uses:

    NEMO_TOKEN=... .venv/bin/python -m bench.transcribe --model whisper-tiny.en
    NEMO_TOKEN=... .venv/bin/python -m bench.transcribe --model whisper-base --long-minutes 60

It prints WER, DER (collar 0.25 s, speaker count given), enrolled-speaker naming accuracy, wall time and
real-time factor of the whole pipeline (upload -> job done, diarization included) against bare
faster-whisper (same model, int8, same threads, beam 5, word timestamps, model kept loaded), and the peak
resident memory of each worker's processes.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import requests  # noqa: E402

from bench.corpus import SAMPLE_RATE, VOICES, Turn, conversation, random_turns, rttm, synthesize, write_wav  # noqa: E402
from bench.metrics import diarization_error, word_errors  # noqa: E402

ENROLLED = {"flite:kal": "Bench Kal", "flite:slt": "Bench Slt"}
ENROLL_LINES = [
    "Good morning, this is a sample of my voice for the speaker enrollment.",
    "I usually talk about suppliers, logistics and the plans for next quarter.",
]
COLLAR = 0.25


class Api:
    def __init__(self, server: str, token: str) -> None:
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kwargs):
        response = self.session.request(method, f"{self.server}/api/v1{path}", timeout=600, **kwargs)
        response.raise_for_status()
        return None if response.status_code == 204 else response.json()

    def follow(self, job_id: str) -> str:
        """Wait on the job's event stream (no polling, no rate limit) and return how it ended."""
        url = f"{self.server}/api/v1/jobs/{job_id}/events"
        with self.session.get(url, stream=True, timeout=3600) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: ") and line[7:] in ("done", "failed", "cancelled"):
                    return line[7:]
        return "lost"


def enroll_voices(api: Api, workdir: Path) -> None:
    for speaker in api("GET", "/speakers")["speakers"]:
        if speaker["name"] in ENROLLED.values():
            api("DELETE", f"/speakers/{speaker['id']}")
    for voice, name in ENROLLED.items():
        files = []
        for n, line in enumerate(ENROLL_LINES):
            path = workdir / f"enroll-{voice.replace(':', '-')}-{n}.wav"
            write_wav(synthesize(voice, line), path)
            files.append(("audio", (path.name, path.read_bytes())))
        accepted = api("POST", "/speakers", data={"name": name}, files=files)
        if api.follow(accepted["job_id"]) != "done":
            raise RuntimeError(f"enrolling {name} failed")


def make_corpus(workdir: Path, count: int, turns_each: int) -> list[tuple[Path, list[Turn], int]]:
    corpus = []
    for n in range(count):
        speakers = 2 + n % 3  # 2, 3, 4, 2, ...
        voices = [VOICES[(n + k) % len(VOICES)] for k in range(speakers)]
        path = workdir / f"conversation-{n}.wav"
        turns = conversation(random_turns(voices, turns_each, seed=n), path, seed=n)
        (workdir / f"conversation-{n}.rttm").write_text(rttm(turns, path.stem))
        corpus.append((path, turns, speakers))
    return corpus


def long_recording(workdir: Path, corpus, minutes: float) -> tuple[Path, list[Turn], int]:
    """Conversations end to end until `minutes` of audio (ground truth shifted accordingly)."""
    import wave

    pieces, turns, clock, n = [], [], 0.0, 0
    while clock < minutes * 60:
        path, conv_turns, _k = corpus[n % len(corpus)]
        with wave.open(str(path)) as handle:
            audio = (
                np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768
            )
        turns += [Turn(t.voice, t.text, t.start + clock, t.end + clock) for t in conv_turns]
        pieces.append(audio)
        clock += len(audio) / SAMPLE_RATE
        n += 1
    path = workdir / f"long-{minutes:.0f}min.wav"
    write_wav(np.concatenate(pieces), path)
    return path, turns, len({t.voice for t in turns})


def score(segments: list[dict], turns: list[Turn]) -> dict:
    errors, total = word_errors(" ".join(t.text for t in turns), " ".join(s["text"] for s in segments))
    reference = [(t.start, t.end, t.voice) for t in turns]
    hypothesis = [(s["start"], s["end"], s["speaker"] or "?") for s in segments]
    der = diarization_error(reference, hypothesis, collar=COLLAR)["der"]
    named_right = named_total = 0
    for turn in turns:
        overlap: Counter = Counter()
        for s in segments:
            overlap[s["speaker"]] += max(0.0, min(s["end"], turn.end) - max(s["start"], turn.start))
        label = overlap.most_common(1)[0][0] if overlap else None
        expected = ENROLLED.get(turn.voice)
        named_total += 1
        named_right += label == expected if expected else label not in ENROLLED.values()
    return {
        "word_errors": errors,
        "words": total,
        "der": der,
        "named_right": named_right,
        "named": named_total,
    }


def run_pipeline(api: Api, path: Path, speakers: int) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    with path.open("rb") as handle:
        # The language is given on both sides (bare faster-whisper gets language="en" too).
        accepted = api(
            "POST", "/recordings", files={"audio": handle}, data={"speakers": str(speakers), "language": "en"}
        )
    ended = api.follow(accepted["job_id"])
    elapsed = time.perf_counter() - started
    if ended != "done":
        raise RuntimeError(f"job ended {ended}")
    return elapsed, api("GET", f"/recordings/{accepted['recording_id']}")["segments"]


def bare_whisper(paths: list[Path], model: str, threads: int) -> list[float]:
    from faster_whisper import WhisperModel

    from models.assemble import ensure_model

    whisper = WhisperModel(str(ensure_model(model)), device="cpu", compute_type="int8", cpu_threads=threads)
    times = []
    for path in paths:
        started = time.perf_counter()
        segments, _info = whisper.transcribe(
            str(path), language="en", word_timestamps=True, beam_size=5, condition_on_previous_text=False
        )
        list(segments)
        times.append(time.perf_counter() - started)
    return times


def worker_peak_memory(api: Api) -> dict[str, float]:
    """Peak resident memory (VmHWM, MiB) of each worker's processes, the main one and its pool children."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    peaks = {}
    for worker in api("GET", "/health")["workers"]:
        pids, peak = [worker["pid"]], 0.0
        while pids:
            pid = pids.pop()
            pids += children.get(pid, [])
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            hwm = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "VmHWM: 0 kB")
            peak = max(peak, int(hwm.split()[1]) / 1024)
        peaks[worker["hostname"].split("@")[0]] = peak
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("NEMO_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("NEMO_TOKEN"))
    parser.add_argument(
        "--model",
        default=os.environ.get("NEMO_ASR_MODEL", "whisper-tiny.en"),
        help="the server's ASR model, for the bare faster-whisper side",
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("NEMO_WORKER_THREADS", "2")))
    parser.add_argument("--conversations", type=int, default=6)
    parser.add_argument("--turns", type=int, default=14)
    parser.add_argument("--long-minutes", type=float, default=0, help="also one recording this long")
    parser.add_argument("--skip-bare", action="store_true", help="no bare faster-whisper comparison")
    parser.add_argument(
        "--bare-max-minutes",
        type=float,
        default=90,
        help="no bare comparison for a long recording past this length",
    )
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set NEMO_TOKEN")
    api = Api(args.server, args.token)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        enroll_voices(api, workdir)
        corpus = make_corpus(workdir, args.conversations, args.turns)
        cases = [("corpus", corpus)]
        if args.long_minutes:
            cases.append(
                (f"{args.long_minutes:.0f} min", [long_recording(workdir, corpus, args.long_minutes)])
            )
        for label, items in cases:
            audio_seconds = sum(t[-1].end for _p, t, _k in items)
            ours, scores = [], []
            for path, turns, speakers in items:
                elapsed, segments = run_pipeline(api, path, speakers)
                ours.append(elapsed)
                scores.append(score(segments, turns))
            skip = args.skip_bare or audio_seconds > args.bare_max_minutes * 60 * len(items)
            bare = [] if skip else bare_whisper([p for p, _t, _k in items], args.model, args.threads)
            rows.append((label, len(items), audio_seconds, sum(ours), sum(bare) if bare else None, scores))
    peaks = worker_peak_memory(api)

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(
        f"machine: {machine}; model {args.model}, int8, {args.threads} threads, beam 5; "
        f"DER collar {COLLAR} s, speaker count given"
    )
    print(
        "| audio | files | length (s) | WER | DER | naming accuracy | Nemo pipeline (s) "
        "| bare faster-whisper (s) | ratio | pipeline RTF |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, files, seconds, ours_total, bare_total, scores in rows:
        wer = sum(s["word_errors"] for s in scores) / max(sum(s["words"] for s in scores), 1)
        der = statistics.mean(s["der"] for s in scores)
        naming = sum(s["named_right"] for s in scores) / max(sum(s["named"] for s in scores), 1)
        bare_text = f"{bare_total:.1f}" if bare_total else "-"
        ratio = f"{ours_total / bare_total:.2f}" if bare_total else "-"
        print(
            f"| {label} | {files} | {seconds:.0f} | {wer:.3f} | {der:.3f} | {naming:.3f} "
            f"| {ours_total:.1f} | {bare_text} | {ratio} | {ours_total / seconds:.3f} |"
        )
    print(
        "peak worker memory (MiB): " + ", ".join(f"{name} {mib:.0f}" for name, mib in sorted(peaks.items()))
    )


if __name__ == "__main__":
    main()
