"""The transcription pipeline against bare faster-whisper, per corpus, with ground truth.

Run by hand against a running system (`make up`, ideally freshly started so peak memory means this run),
on the same machine, with the same ASR model the server uses:

    NEMO_TOKEN=... .venv/bin/python -m bench.transcribe --model whisper-tiny.en
    NEMO_TOKEN=... .venv/bin/python -m bench.transcribe --corpus realistic --model whisper-base
    NEMO_TOKEN=... .venv/bin/python -m bench.transcribe --corpus robots --long-minutes 60

Corpora: `robots` (flite and espeak-ng voices, clean, one at a time), `dropped` (two robot voices
alternating quickly: the recordings on which a batched decode loses turns), `realistic` (Kokoro neural
voices that sound alike, noise, reverb, overlaps, backchannels, a quiet far-away speaker: bench/realistic.py,
needs `make bench-deps`), `real` (pyannote.audio's sample: a real 30 s phone call with reference RTTM and
transcript, bench/real.py). For each it prints WER (numbers and spellings normalised alike) of the pipeline
and of bare faster-whisper on the same files (same model, int8, same threads, beam 5, word timestamps,
language given, model kept loaded), DER with the speaker count given (overlap counted; no collar and 0.25 s),
enrolled-naming accuracy (share of enrolled speakers' words under their name; words of others under no
enrolled name) and names given to two people, the lowest speech coverage of any file, wall time and the
ratio to bare, and the peak resident memory of each worker's processes.

The corpora are built in `bench/transcribe_corpora.py` and scored in `bench/transcribe_scoring.py`; this
module runs them through the server and bare faster-whisper and prints the tables.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.corpus import Turn, conversation  # noqa: E402
from bench.harness import Api  # noqa: E402
from bench.metrics import word_errors  # noqa: E402
from bench.transcribe_corpora import (  # noqa: E402
    ENROLL_LINES,
    Item,
    dropped_corpus,
    long_recording,
    real_corpus,
    realistic_corpus,
    reference_text,
    robots_corpus,
)

# bench/diarization.py imports robot_conversations from here.
from bench.transcribe_corpora import robot_conversations as robot_conversations  # noqa: E402
from bench.transcribe_scoring import score  # noqa: E402


def warm_up(api: Api, workdir: Path) -> None:
    """One short recording through the whole pipeline before anything is timed: the first job pays for
    loading every model (and training the emotion classifier), which is no part of a file's cost."""
    path = workdir / "warm-up.wav"
    turns = conversation([Turn("flite:kal", ENROLL_LINES[0]), Turn("flite:slt", ENROLL_LINES[1])], path)
    run_pipeline(api, Item(path, turns, 2, {}))


def run_pipeline(api: Api, item: Item) -> tuple[float, dict]:
    started = time.perf_counter()
    with item.path.open("rb") as handle:
        # The language is given on both sides (bare faster-whisper gets language="en" too).
        accepted = api(
            "POST",
            "/recordings",
            files={"audio": handle},
            data={"speakers": str(item.speakers), "language": "en"},
        )
    ended = api.follow(accepted["job_id"])
    elapsed = time.perf_counter() - started
    if ended != "done":
        raise RuntimeError(f"job ended {ended}")
    return elapsed, api("GET", f"/recordings/{accepted['recording_id']}")


def bare_whisper(paths: list[Path], model: str, threads: int) -> tuple[list[float], list[str]]:
    from faster_whisper import WhisperModel

    from models.assemble import ensure_model

    whisper = WhisperModel(str(ensure_model(model)), device="cpu", compute_type="int8", cpu_threads=threads)
    times, texts = [], []
    for path in paths:
        started = time.perf_counter()
        segments, _info = whisper.transcribe(
            str(path), language="en", word_timestamps=True, beam_size=5, condition_on_previous_text=False
        )
        texts.append(" ".join(s.text for s in segments))
        times.append(time.perf_counter() - started)
    return times, texts


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
    parser.add_argument(
        "--corpus", default="robots,dropped", help="comma-separated: robots, dropped, real, realistic"
    )
    parser.add_argument("--conversations", type=int, default=6, help="robot conversations")
    parser.add_argument("--turns", type=int, default=14, help="turns per robot conversation")
    parser.add_argument("--dropped", type=int, default=12, help="recordings in the dropped corpus")
    parser.add_argument(
        "--realistic-dir", type=Path, default=Path.home() / ".cache" / "nemo-bench" / "realistic"
    )
    parser.add_argument("--meetings", nargs="*", help="only these realistic meetings")
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
        cases: list[tuple[str, list[Item]]] = []
        for name in args.corpus.split(","):
            if name == "robots":
                cases.append(("robots", robots_corpus(api, workdir, args.conversations, args.turns)))
            elif name == "dropped":
                cases.append(("dropped", dropped_corpus(workdir, range(args.dropped))))
            elif name == "real":
                cases.append(("real", real_corpus(workdir)))
            elif name == "realistic":
                cases.append(("realistic", realistic_corpus(api, workdir, args.realistic_dir, args.meetings)))
            else:
                parser.error(f"unknown corpus {name!r}")
        if args.long_minutes:
            label, items = cases[0]
            cases.append(
                (f"{label}, {args.long_minutes:.0f} min", [long_recording(workdir, items, args.long_minutes)])
            )
        warm_up(api, workdir)
        for label, items in cases:
            audio_seconds = sum(max(t.end for t in item.turns) for item in items)
            ours, scores = [], []
            for item in items:
                elapsed, recording = run_pipeline(api, item)
                ours.append(elapsed)
                scores.append(score(recording, item))
            skip = args.skip_bare or audio_seconds > args.bare_max_minutes * 60 * len(items)
            bare_times, bare_texts = (
                ([], []) if skip else bare_whisper([i.path for i in items], args.model, args.threads)
            )
            if not skip:
                for item_score, item, text in zip(scores, items, bare_texts, strict=True):
                    item_score["bare_word_errors"] = word_errors(reference_text(item), text)[0]
            bare_errors = sum(s.get("bare_word_errors", 0) for s in scores)
            rows.append(
                (label, len(items), audio_seconds, sum(ours), sum(bare_times) or None, bare_errors, scores)
            )
    peaks = worker_peak_memory(api)

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(
        f"machine: {machine}; model {args.model}, int8, {args.threads} threads, beam 5; "
        f"DER with the speaker count given, overlap counted"
    )
    print(
        "| corpus | files | length (s) | WER ours | WER bare | DER | DER (0.25 s collar) | naming "
        "| names given to two people | lowest coverage | ours (s) | bare (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, files, seconds, ours_total, bare_total, bare_errors, scores in rows:
        reference_words = max(sum(s["words"] for s in scores), 1)
        wer = sum(s["word_errors"] for s in scores) / reference_words
        bare_wer = f"{bare_errors / reference_words:.3f}" if bare_total else "-"
        der = statistics.mean(s["der"] for s in scores)
        der_collar = statistics.mean(s["der_collar"] for s in scores)
        named = sum(s["named"] for s in scores)
        naming_text = f"{sum(s['named_right'] for s in scores) / named:.3f}" if named else "-"
        coverages = [s["coverage"] for s in scores if s["coverage"] is not None]
        coverage_text = f"{min(coverages):.3f}" if coverages else "-"
        bare_text = f"{bare_total:.1f}" if bare_total else "-"
        ratio = f"{ours_total / bare_total:.2f}" if bare_total else "-"
        print(
            f"| {label} | {files} | {seconds:.0f} | {wer:.3f} | {bare_wer} | {der:.3f} | {der_collar:.3f} "
            f"| {naming_text} | {sum(s['shared_names'] for s in scores)} | {coverage_text} "
            f"| {ours_total:.1f} | {bare_text} | {ratio} |"
        )
    print()
    print("| corpus | DER: missed | false alarm | confusion | DER of the segments alone |")
    print("|---|---|---|---|---|")
    for label, _files, _seconds, _ours, _bare, _bare_errors, scores in rows:
        parts = np.mean([s["der_parts"] for s in scores], axis=0)
        by_words = statistics.mean(s["der_words"] for s in scores)
        print(f"| {label} | {parts[0]:.3f} | {parts[1]:.3f} | {parts[2]:.3f} | {by_words:.3f} |")
    print()
    print("| file | WER ours | WER bare | DER | missed | false alarm | confusion | DER of the segments |")
    print("|---|---|---|---|---|---|---|---|")
    for _label, _files, _seconds, _ours, _bare, _bare_errors, scores in rows:
        for s in scores:
            missed, false_alarm, confusion = s["der_parts"]
            words_scored = max(s["words"], 1)
            bare = f"{s['bare_word_errors'] / words_scored:.3f}" if "bare_word_errors" in s else "-"
            print(
                f"| {s['file']} | {s['word_errors'] / words_scored:.3f} | {bare} | {s['der']:.3f} "
                f"| {missed:.3f} | {false_alarm:.3f} | {confusion:.3f} | {s['der_words']:.3f} |"
            )
    print(
        "peak worker memory (MiB): " + ", ".join(f"{name} {mib:.0f}" for name, mib in sorted(peaks.items()))
    )


if __name__ == "__main__":
    main()
