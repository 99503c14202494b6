"""The corpora of the transcription bench (`bench/transcribe.py`): each file with its ground truth (who spoke
when, what was said, who is enrolled under which name), and the enrolment of the voices they name. Kept
apart from the bench's run and report because `bench/diarization.py` builds the same files without a
server."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.corpus import (
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
from bench.harness import Api

ROBOT_ENROLLED = {"flite:kal": "Bench Kal", "flite:slt": "Bench Slt"}
# Kokoro voices enrolled for the realistic corpus (each takes part in two or three meetings).
NEURAL_ENROLLED = {"af_nicole": "Bench Nicole", "am_adam": "Bench Adam", "bm_george": "Bench George"}
ENROLL_LINES = [
    "Good morning, this is a sample of my voice for the speaker enrollment.",
    "I usually talk about suppliers, logistics and the plans for next quarter.",
]


@dataclass
class Item:
    """One file of a corpus with its ground truth."""

    path: Path
    turns: list[Turn]  # may overlap
    speakers: int
    enrolled: dict[str, str]  # reference speaker -> enrolled name
    text: str | None = None  # what was said, where it is known apart from the turns (a real recording)


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
