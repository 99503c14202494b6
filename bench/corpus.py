"""Synthetic conversations with exact ground truth: 2 to 4 voices (flite and espeak-ng), turns and pauses.

Each turn is synthesised alone, trimmed of its leading and trailing silence, and placed on a 16 kHz timeline,
so who spoke when (RTTM) and what was said are known exactly.
"""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

SAMPLE_RATE = 16_000
# Voices chosen to be told apart: their GE2E vectors are at most 0.78 similar (flite's four voices and two
# espeak-ng variants; espeak's own variants are often near-identical to each other).
VOICES = ["flite:kal", "flite:slt", "flite:awb", "espeak:en-us+f4", "flite:rms", "espeak:en-us+m3"]
LINES = [
    "I think the budget for the warehouse needs another look before we sign anything.",
    "We could move the launch to March if the supplier confirms the new dates.",
    "The customer interviews were clear that onboarding takes far too long.",
    "Let us ask the finance team to send the updated numbers by Friday.",
    "Hiring two more engineers would cut the backlog in half by the summer.",
    "I am worried that the design review keeps slipping every single week.",
    "The new dashboard already saves the support team about an hour a day.",
    "Before we decide, we should hear what the legal team has to say.",
    "Sarah said the deadline for the report is the end of the month.",
    "The pilot in Berlin went well, and the partners want to extend it.",
    "Our cloud costs went up again because nobody turned off the test servers.",
    "Can we agree to meet again on Tuesday morning with the final plan?",
]


@dataclass
class Turn:
    voice: str
    text: str
    start: float = 0.0
    end: float = 0.0


def synthesize(voice: str, text: str) -> np.ndarray:
    """One utterance as 16 kHz mono float32, silence trimmed."""
    engine, name = voice.split(":", 1)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        if engine == "flite":
            subprocess.run(["flite", "-voice", name, "-t", text, "-o", str(raw)], check=True)
        else:
            subprocess.run(["espeak-ng", "-v", name, "-s", "155", "-w", str(raw), text], check=True)
        resampled = Path(tmp) / "16k.wav"
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(raw),
                "-ac",
                "1",
                "-ar",
                str(SAMPLE_RATE),
                str(resampled),
            ],
            check=True,
        )
        with wave.open(str(resampled)) as handle:
            audio = (
                np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float32) / 32768
            )
    loud = np.flatnonzero(np.abs(audio) > 0.02)
    return audio[loud[0] : loud[-1] + 1] if len(loud) else audio


def write_wav(audio: np.ndarray, target: Path | BinaryIO) -> None:
    """16-bit mono WAV to a path or an open binary file."""
    with wave.open(target if hasattr(target, "write") else str(target), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def utterance_wav(voice: str, text: str, seconds: float) -> bytes:
    """`text` spoken and cut or padded with silence to exactly `seconds`, as WAV bytes: a live-stream
    chunk."""
    samples = int(seconds * SAMPLE_RATE)
    audio = synthesize(voice, text)[:samples]
    buffer = io.BytesIO()
    write_wav(np.pad(audio, (0, samples - len(audio))), buffer)
    return buffer.getvalue()


def conversation(
    turns: list[Turn], path: Path, pause: tuple[float, float] = (0.4, 0.9), seed: int = 0
) -> list[Turn]:
    """Write the turns one after another with random pauses; returns them with their times filled in. A
    negative pause overlaps the next turn with the end of this one (the two are mixed there)."""
    rng = random.Random(seed)
    placed, at = [], int(0.3 * SAMPLE_RATE)
    for turn in turns:
        audio = synthesize(turn.voice, turn.text)
        turn.start, turn.end = at / SAMPLE_RATE, (at + len(audio)) / SAMPLE_RATE
        placed.append((at, audio))
        at += len(audio) + int(rng.uniform(*pause) * SAMPLE_RATE)
    mix = np.zeros(max([at] + [first + len(audio) for first, audio in placed]), dtype=np.float32)
    for first, audio in placed:
        mix[first : first + len(audio)] += audio
    write_wav(np.clip(mix, -1.0, 1.0), path)
    return turns


def random_turns(voices: list[str], count: int, seed: int = 0) -> list[Turn]:
    rng = random.Random(seed)
    turns, previous = [], None
    for n in range(count):
        voice = rng.choice([v for v in voices if v != previous]) if len(voices) > 1 else voices[0]
        turns.append(Turn(voice, LINES[(n + seed) % len(LINES)]))
        previous = voice
    return turns


def rttm(turns: list[Turn], name: str) -> str:
    return "".join(
        f"SPEAKER {name} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.voice} <NA> <NA>\n" for t in turns
    )


def alternating_conversation(
    voices: list[str], path: Path, seed: int, turns: int = 10, pause: tuple[float, float] = (0.3, 0.9)
) -> list[Turn]:
    """Turns that alternate between `voices`, lines in a seeded order, seeded pauses: written to `path`."""
    rng = random.Random(seed)
    lines = LINES[:]
    rng.shuffle(lines)
    spoken = [Turn(voices[n % len(voices)], lines[n % len(lines)]) for n in range(turns)]
    return conversation(spoken, path, pause=pause, seed=seed)


# A recording on which faster-whisper's batched pass (tiny.en, int8) leaves whole turns without words:
# flite kal16 and espeak-ng en-us+f4 alternating, 43 s; its first ~25 s chunk comes back nearly empty.
DROPPED_TURNS_VOICES = ["flite:kal16", "espeak:en-us+f4"]
DROPPED_TURNS_SEED = 8
