"""Diarization settings compared offline: the pipeline's own stages, in process, over cached work.

`bench/transcribe.py` measures the whole system through its API, which is the figure the README reports;
tuning a turn threshold that way costs a full run per value. This runs the same functions the workers run
(VAD plan, batched decode and `complete_chunk`, `embed_chunk`, segmentation-3.0, `tell_apart`) on the
realistic corpus and the real call, keeps the transcripts, voice windows and segmentation outputs in the
bench cache, and then scores any setting in seconds:

    .venv/bin/python -m bench.diarization                       # defaults
    .venv/bin/python -m bench.diarization --set workers.turns.FILL_GAP_SECONDS=0.1
    .venv/bin/python -m bench.diarization --speaker-model resemblyzer --coverage
    .venv/bin/python -m bench.diarization --engine pyannote            # pyannote.audio's own pipeline
    .venv/bin/python -m bench.diarization --corpus robots,dropped,real --wer   # and bare faster-whisper

Transcripts are cached per ASR model, voices per transcript, speaker model and step, pyannote's answer
per step, bare faster-whisper's text per model: after a change to the decode or its recovery, delete
`~/.cache/nemo-bench/offline/*.asr.json`; after one to `workers/pyannote_pipeline.py`, `*.pyannote.*`.

DER as `bench/transcribe.py` scores it (per file, overlap counted, no collar and 0.25 s), averaged per
corpus; `--coverage` also lists the stretches of VAD speech no word covers, per file.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.metrics import diarization_error, word_errors, words  # noqa: E402
from bench.realistic import CACHE  # noqa: E402

OFFLINE = CACHE / "offline"


@dataclass
class Recording:
    corpus: str
    name: str
    wav: Path
    reference: list[tuple[float, float, str]]
    speakers: int
    text: str  # the reference transcript, in time order


def robot_recordings(workdir: Path) -> list[Recording]:
    """The robots and dropped corpora of bench/transcribe.py with its default sizes."""
    from bench.transcribe import dropped_corpus, reference_text, robot_conversations

    corpora = [
        ("robots", robot_conversations(workdir, 6, 14)),
        ("dropped", dropped_corpus(workdir, range(12))),
    ]
    return [
        Recording(
            corpus,
            item.path.stem,
            item.path,
            [(t.start, t.end, t.voice) for t in sorted(item.turns, key=lambda t: t.start)],
            item.speakers,
            reference_text(item),
        )
        for corpus, items in corpora
        for item in items
    ]


def recordings(realistic_dir: Path, workdir: Path, corpora: set[str]) -> list[Recording]:
    from bench import realistic
    from bench.real import pyannote_sample

    found = robot_recordings(workdir) if corpora & {"robots", "dropped"} else []
    found = [r for r in found if r.corpus in corpora]
    for spec in realistic.MEETINGS if "realistic" in corpora else []:
        meta_path = realistic_dir / f"{spec.name}.json"
        if not meta_path.exists() or json.loads(meta_path.read_text())["spec"] != asdict(spec):
            realistic_dir.mkdir(parents=True, exist_ok=True)
            realistic.build_meeting(spec, realistic.KokoroVoices(), realistic_dir)
        meta = json.loads(meta_path.read_text())
        utterances = sorted(meta["utterances"], key=lambda u: u["start"])
        found.append(
            Recording(
                "realistic",
                spec.name,
                realistic_dir / f"{spec.name}.wav",
                [(u["start"], u["end"], u["speaker"]) for u in utterances],
                spec.speakers,
                " ".join(u["text"] for u in utterances),
            )
        )
    if "real" in corpora:
        sample = pyannote_sample(workdir)
        found.append(
            Recording("real", "pyannote-sample", sample.wav, sample.turns, sample.speakers, sample.text)
        )
    return found


def bare_text(recording: Recording, model: str, threads: int) -> str:
    """Bare faster-whisper's transcript of the file, as bench/transcribe.py runs it (cached)."""
    cached = OFFLINE / f"{recording.name}.{model}.bare.txt"
    if cached.exists():
        return cached.read_text()
    from bench.transcribe import bare_whisper

    _times, (text,) = bare_whisper([recording.wav], model, threads)
    OFFLINE.mkdir(parents=True, exist_ok=True)
    cached.write_text(text)
    return text


def _read(wav: Path) -> np.ndarray:
    from workers.audio import decode_to_pcm16, read_pcm16

    with tempfile.TemporaryDirectory() as tmp:
        pcm = Path(tmp) / "pcm"
        decode_to_pcm16(wav, pcm)
        return read_pcm16(pcm)


def transcribe(recording: Recording, audio: np.ndarray, model: str, threads: int) -> dict:
    """The chunk plan and each chunk's segments as the transcription stage leaves them (cached)."""
    cached = OFFLINE / f"{recording.name}.{model}.asr.json"
    if cached.exists():
        return json.loads(cached.read_text())
    from workers import coverage
    from workers.asr import SAMPLE_RATE
    from workers.engines import asr_engine
    from workers.pool import ModelPool
    from workers.recover import complete_chunk
    from workers.vad import _speech_timestamps, plan_chunks

    engine = asr_engine(ModelPool(8 << 30), model, "cpu", "int8", threads)
    regions = _speech_timestamps(audio)
    plan = plan_chunks(regions)
    chunks = []
    for first in range(0, len(plan), 4):
        batch = plan[first : first + 4]
        audios = [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in batch]
        for (start, end), clip, segments in zip(
            batch, audios, engine.transcribe_batch(audios, "en"), strict=True
        ):
            speech = [(a - start, b - start) for a, b in coverage.clip_spans(regions, start, end)]
            outcome = complete_chunk(engine, clip, speech, segments, "en")
            rows = [segment.shifted(start).as_row() for segment in outcome.segments]
            chunks.append(
                {
                    "start": start,
                    "end": end,
                    "speech": [(a + start, b + start) for a, b in speech],
                    "rows": rows,
                    "speech_seconds": outcome.speech_seconds,
                    "covered_seconds": outcome.covered_seconds,
                }
            )
    result = {"regions": regions, "chunks": chunks}
    OFFLINE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result))
    return result


def chunk_voices(
    recording: Recording, audio: np.ndarray, asr: dict, model: str, speaker_model: str, step: float
):
    """Each chunk's voice windows and segmentation-3.0 activity (cached per speaker model and step)."""
    import time

    from workers.asr import SAMPLE_RATE
    from workers.tell_apart import ChunkVoices, embed_chunk

    transcript = hashlib.sha256(json.dumps(asr).encode()).hexdigest()[:12]
    cached = OFFLINE / f"{recording.name}.{model}.{speaker_model}.{step}.{transcript}.voices.pkl"
    timing = cached.with_suffix(".seconds")
    if cached.exists():
        if timing.exists():
            print(f"{recording.name}: voice windows and segmentation took {float(timing.read_text()):.1f} s")
        return pickle.loads(cached.read_bytes())
    started = time.perf_counter()
    from workers.engines import load_embedder
    from workers.segmentation import load_segmentation

    embedder = load_embedder(speaker_model, "cpu")
    segmenter = load_segmentation("segmentation-3.0", "cpu", step)
    per_chunk = []
    for idx, chunk in enumerate(asr["chunks"]):
        if not chunk["rows"]:
            continue
        rows = [
            {"start_s": r["start"], "end_s": r["end"], "words": json.dumps(r["words"])} for r in chunk["rows"]
        ]
        clip = audio[int(chunk["start"] * SAMPLE_RATE) : int(chunk["end"] * SAMPLE_RATE)]
        per_chunk.append(
            ChunkVoices(
                idx,
                chunk["start"],
                chunk["end"],
                rows,
                embed_chunk(embedder, clip, chunk["start"], rows),
                segmenter.local_activity(clip),
            )
        )
    cached.write_bytes(pickle.dumps(per_chunk))
    timing.write_text(f"{time.perf_counter() - started:.2f}")
    return per_chunk


def pyannote_speakers(recording: Recording, audio: np.ndarray, step: float, threads: int):
    """pyannote.audio's SpeakerDiarization over the whole file (cached per step), and its seconds."""
    import time

    cached = OFFLINE / f"{recording.name}.pyannote.{step}.pkl"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    import torch

    from workers.engines import load_embedder
    from workers.pyannote_pipeline import load_pyannote

    torch.set_num_threads(threads)
    diarizer = load_pyannote(load_embedder("campplus", "cpu"), "cpu", step)
    started = time.perf_counter()
    found = diarizer(audio, recording.speakers)
    result = (found, time.perf_counter() - started)
    OFFLINE.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(result))
    return result


def plain_chunks(asr: dict):
    """The transcript's chunks with no voices computed (the pyannote engine labels words by its turns)."""
    from workers.tell_apart import ChunkVoices

    return [
        ChunkVoices(
            idx,
            chunk["start"],
            chunk["end"],
            [
                {"start_s": r["start"], "end_s": r["end"], "words": json.dumps(r["words"])}
                for r in chunk["rows"]
            ],
            [],
            None,
        )
        for idx, chunk in enumerate(asr["chunks"])
        if chunk["rows"]
    ]


def apply_settings(settings: list[str]) -> None:
    """`module.NAME=value` overrides of module constants, for one run of this bench."""
    for setting in settings:
        target, value = setting.split("=", 1)
        module_name, attribute = target.rsplit(".", 1)
        module = importlib.import_module(module_name)
        current = getattr(module, attribute)
        setattr(module, attribute, type(current)(value))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--engine", choices=("nemo", "pyannote"), default="nemo")
    parser.add_argument("--speaker-model", default="campplus")
    parser.add_argument("--step", type=float, default=2.5, help="segmentation-3.0 window step")
    parser.add_argument("--clustering", default="agglomerative")
    parser.add_argument("--no-segmentation", action="store_true", help="turns from the words alone")
    parser.add_argument("--set", action="append", default=[], help="module.CONSTANT=value")
    parser.add_argument("--coverage", action="store_true", help="list the uncovered speech per file")
    parser.add_argument(
        "--realistic-dir", type=Path, default=Path.home() / ".cache" / "nemo-bench" / "realistic"
    )
    parser.add_argument("--only", nargs="*", help="only these recordings")
    parser.add_argument(
        "--corpus", default="realistic,real", help="comma-separated: realistic, real, robots, dropped"
    )
    parser.add_argument("--wer", action="store_true", help="WER of the transcript and of bare faster-whisper")
    args = parser.parse_args()
    apply_settings(args.set)

    from workers import coverage
    from workers.tell_apart import tell_apart, tell_apart_by_turns

    per_corpus: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for recording in recordings(args.realistic_dir, Path(tmp), set(args.corpus.split(","))):
            if args.only and recording.name not in args.only:
                continue
            audio = _read(recording.wav)
            asr = transcribe(recording, audio, args.model, args.threads)
            if args.engine == "pyannote":
                found, seconds = pyannote_speakers(recording, audio, args.step, args.threads)
                speakers = tell_apart_by_turns(plain_chunks(asr), found)
                print(f"{recording.name}: pyannote.audio took {seconds:.1f} s")
            else:
                per_chunk = chunk_voices(recording, audio, asr, args.model, args.speaker_model, args.step)
                if args.no_segmentation:
                    for chunk in per_chunk:
                        chunk.local = None
                speakers = tell_apart(
                    per_chunk, {"speakers": recording.speakers}, args.speaker_model, args.clustering
                )
            hypothesis = [(t.start, t.end, str(t.label)) for t in speakers.turns]
            der = diarization_error(recording.reference, hypothesis, collar=0.0)
            speech = sum(c["speech_seconds"] for c in asr["chunks"])
            covered = sum(c["covered_seconds"] for c in asr["chunks"])
            figures = {
                "name": recording.name,
                **der,
                "collar": diarization_error(recording.reference, hypothesis, collar=0.25)["der"],
                "coverage": covered / speech if speech else 1.0,
            }
            if args.wer:
                ours = " ".join(r["text"] for c in asr["chunks"] for r in c["rows"])
                figures["words"] = len(words(recording.text))
                figures["errors"] = word_errors(recording.text, ours)[0]
                figures["bare_errors"] = word_errors(recording.text, bare_text(recording, args.model, 2))[0]
                print(
                    f"{recording.name}: WER {figures['errors'] / figures['words']:.3f}, "
                    f"bare {figures['bare_errors'] / figures['words']:.3f}"
                )
            per_corpus.setdefault(recording.corpus, []).append(figures)
            print(
                f"{recording.name}: DER {der['der']:.3f} (missed {der['missed']:.3f}, false alarm "
                f"{der['false_alarm']:.3f}, confusion {der['confusion']:.3f}), "
                f"collar {figures['collar']:.3f}, coverage {figures['coverage']:.3f}"
            )
            if args.coverage:
                for chunk in asr["chunks"]:
                    spans = [(w["start"], w["end"]) for r in chunk["rows"] for w in r["words"]] + [
                        (r["start"], r["end"]) for r in chunk["rows"] if not r["words"]
                    ]
                    missing = coverage.subtract(coverage.union(chunk["speech"]), coverage.word_spans(spans))
                    for a, b in missing:
                        if b - a >= 0.05:
                            print(f"    uncovered {a:7.2f}-{b:7.2f} ({b - a:.2f} s)")
    for corpus, figures in per_corpus.items():
        mean = {
            key: statistics.mean(f[key] for f in figures)
            for key in ("der", "missed", "false_alarm", "confusion", "collar")
        }
        lowest = min(f["coverage"] for f in figures)
        if args.wer:
            total = sum(f["words"] for f in figures)
            print(
                f"== {corpus}: WER {sum(f['errors'] for f in figures) / total:.3f}, "
                f"bare {sum(f['bare_errors'] for f in figures) / total:.3f}"
            )
        print(
            f"== {corpus} ({len(figures)} files): DER {mean['der']:.3f} (missed {mean['missed']:.3f}, "
            f"false alarm {mean['false_alarm']:.3f}, confusion {mean['confusion']:.3f}), "
            f"collar {mean['collar']:.3f}, lowest coverage {lowest:.3f}"
        )


if __name__ == "__main__":
    main()
