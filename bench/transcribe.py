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
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import requests  # noqa: E402

from bench.corpus import (  # noqa: E402
    DROPPED_TURNS_VOICES,
    SAMPLE_RATE,
    VOICES,
    Turn,
    alternating_conversation,
    conversation,
    random_turns,
    synthesize,
    write_wav,
)
from bench.metrics import diarization_error, word_errors, words  # noqa: E402

ROBOT_ENROLLED = {"flite:kal": "Bench Kal", "flite:slt": "Bench Slt"}
# Kokoro voices enrolled for the realistic corpus (each takes part in two or three meetings).
NEURAL_ENROLLED = {"af_nicole": "Bench Nicole", "am_adam": "Bench Adam", "bm_george": "Bench George"}
ENROLL_LINES = [
    "Good morning, this is a sample of my voice for the speaker enrollment.",
    "I usually talk about suppliers, logistics and the plans for next quarter.",
]
COLLAR = 0.25


@dataclass
class Item:
    """One file of a corpus with its ground truth."""

    path: Path
    turns: list[Turn]  # may overlap
    speakers: int
    enrolled: dict[str, str]  # reference speaker -> enrolled name
    text: str | None = None  # what was said, where it is known apart from the turns (a real recording)


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


def enroll(api: Api, workdir: Path, samples: dict[str, list[np.ndarray]], names: dict[str, str]) -> None:
    """Enrol each voice under its bench name (replacing an earlier bench profile of that name)."""
    for speaker in api("GET", "/speakers")["speakers"]:
        if speaker["name"] in names.values():
            api("DELETE", f"/speakers/{speaker['id']}")
    for voice, name in names.items():
        files = []
        for n, audio in enumerate(samples[voice]):
            path = workdir / f"enroll-{voice.replace(':', '-')}-{n}.wav"
            write_wav(audio, path)
            files.append(("audio", (path.name, path.read_bytes())))
        accepted = api("POST", "/speakers", data={"name": name}, files=files)
        if api.follow(accepted["job_id"]) != "done":
            raise RuntimeError(f"enrolling {name} failed")


def robots_corpus(api: Api, workdir: Path, count: int, turns_each: int) -> list[Item]:
    enroll(
        api,
        workdir,
        {v: [synthesize(v, line) for line in ENROLL_LINES] for v in ROBOT_ENROLLED},
        ROBOT_ENROLLED,
    )
    return robot_conversations(workdir, count, turns_each)


def robot_conversations(workdir: Path, count: int, turns_each: int) -> list[Item]:
    """The robots corpus's files (flite and espeak-ng are deterministic: the same files every time)."""
    items = []
    for n in range(count):
        speakers = 2 + n % 3  # 2, 3, 4, 2, ...
        voices = [VOICES[(n + k) % len(VOICES)] for k in range(speakers)]
        path = workdir / f"robots-{n}.wav"
        turns = conversation(random_turns(voices, turns_each, seed=n), path, seed=n)
        items.append(
            Item(path, turns, speakers, {v: ROBOT_ENROLLED[v] for v in voices if v in ROBOT_ENROLLED})
        )
    return items


def dropped_corpus(workdir: Path, seeds: range) -> list[Item]:
    """Two robot voices alternating with short pauses: the batched decode loses turns on some of these."""
    items = []
    for seed in seeds:
        path = workdir / f"dropped-{seed}.wav"
        items.append(Item(path, alternating_conversation(DROPPED_TURNS_VOICES, path, seed=seed), 2, {}))
    return items


def realistic_corpus(api: Api, workdir: Path, build_dir: Path, only: list[str] | None) -> list[Item]:
    from bench import realistic

    kokoro = realistic.KokoroVoices()
    enroll(
        api, workdir, {v: realistic.enrollment_samples(kokoro, v) for v in NEURAL_ENROLLED}, NEURAL_ENROLLED
    )
    items = []
    for spec in realistic.MEETINGS:
        if only and spec.name not in only:
            continue
        meta_path = build_dir / f"{spec.name}.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
        if meta is None or meta["spec"] != asdict(spec):
            build_dir.mkdir(parents=True, exist_ok=True)
            meta = realistic.build_meeting(spec, kokoro, build_dir)
        turns = [Turn(u["speaker"], u["text"], u["start"], u["end"]) for u in meta["utterances"]]
        enrolled = {v: NEURAL_ENROLLED[v] for v in meta["speakers"] if v in NEURAL_ENROLLED}
        items.append(Item(build_dir / f"{spec.name}.wav", turns, spec.speakers, enrolled))
    return items


def real_corpus(workdir: Path) -> list[Item]:
    from bench.real import pyannote_sample

    sample = pyannote_sample(workdir)
    turns = [Turn(speaker, "", start, end) for start, end, speaker in sample.turns]
    return [Item(sample.wav, turns, sample.speakers, {}, sample.text)]


def long_recording(workdir: Path, corpus: list[Item], minutes: float) -> Item:
    """Files of a corpus end to end until `minutes` of audio (ground truth shifted accordingly)."""
    import wave

    pieces, turns, clock, n = [], [], 0.0, 0
    while clock < minutes * 60:
        item = corpus[n % len(corpus)]
        with wave.open(str(item.path)) as handle:
            audio = (
                np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768
            )
        turns += [Turn(t.voice, t.text, t.start + clock, t.end + clock) for t in item.turns]
        pieces.append(audio)
        clock += len(audio) / SAMPLE_RATE
        n += 1
    path = workdir / f"long-{minutes:.0f}min.wav"
    write_wav(np.concatenate(pieces), path)
    enrolled = {k: v for item in corpus for k, v in item.enrolled.items()}
    return Item(path, turns, len({t.voice for t in turns}), enrolled)


def reference_text(item: Item) -> str:
    if item.text is not None:
        return item.text
    return " ".join(t.text for t in sorted(item.turns, key=lambda t: t.start))


def naming(segments: list[dict], item: Item) -> tuple[int, int, int]:
    """(words named right, words scored, names held by more than one person).

    A reference turn takes the label that covers most of it; an enrolled speaker's words are right under
    their name, anybody else's under no enrolled name. A person holds the name most of their words carry,
    so a backchannel swallowed by someone else's turn does not count as a name given to two people."""
    right = total = 0
    enrolled_names = set(ROBOT_ENROLLED.values()) | set(NEURAL_ENROLLED.values())
    words_by_label: dict[str, Counter] = {}
    for turn in item.turns:
        overlap: Counter = Counter()
        for s in segments:
            overlap[s["speaker"]] += max(0.0, min(s["end"], turn.end) - max(s["start"], turn.start))
        label = overlap.most_common(1)[0][0] if overlap and overlap.most_common(1)[0][1] > 0 else None
        count = len(words(turn.text)) or 1
        words_by_label.setdefault(turn.voice, Counter())[label] += count
        if not item.enrolled:
            continue  # nobody of this recording is enrolled: naming is not scored here
        expected = item.enrolled.get(turn.voice)
        total += count
        right += count if (label == expected if expected else label not in enrolled_names) else 0
    held = Counter(c.most_common(1)[0][0] for c in words_by_label.values())
    return right, total, sum(1 for name, people in held.items() if name in enrolled_names and people > 1)


def score(recording: dict, item: Item) -> dict:
    """The recording's figures against the item's ground truth. DER is scored on the speaker turns the
    server reports (overlap included) and, for comparison, on the transcript's segments (one speaker at a
    time, as the words carry them)."""
    segments = recording["segments"]
    errors, total = word_errors(reference_text(item), " ".join(s["text"] for s in segments))
    reference = [(t.start, t.end, t.voice) for t in item.turns]
    by_words = [(s["start"], s["end"], s["speaker"] or "?") for s in segments]
    turns = recording.get("speaker_turns")
    hypothesis = [(t["start"], t["end"], t["speaker"] or "?") for t in turns] if turns else by_words
    named_right, named, shared_names = naming(segments, item)
    der = diarization_error(reference, hypothesis, collar=0.0)
    coverage = recording.get("speech_coverage")
    return {
        "file": item.path.stem,
        "der_words": diarization_error(reference, by_words, collar=0.0)["der"],
        "word_errors": errors,
        "words": total,
        "der": der["der"],
        "der_parts": (der["missed"], der["false_alarm"], der["confusion"]),
        "der_collar": diarization_error(reference, hypothesis, collar=COLLAR)["der"],
        "named_right": named_right,
        "named": named,
        "shared_names": shared_names,
        "coverage": (coverage or {}).get("ratio"),
    }


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
