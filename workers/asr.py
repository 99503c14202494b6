"""Speech recognition engines behind one interface.

An engine takes 16 kHz mono float32 audio and yields segments with word timings one at a time, so the caller
can report progress and stop a cancelled job between segments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float | None = None
    # Whisper's probability that the window holds no speech (None for engines that do not say).
    no_speech_prob: float | None = None

    def shifted(self, offset: float) -> Segment:
        """The segment moved by `offset` seconds: chunk-relative times become recording times."""
        words = [Word(w.start + offset, w.end + offset, w.word, w.probability) for w in self.words]
        return Segment(
            self.start + offset, self.end + offset, self.text, words, self.avg_logprob, self.no_speech_prob
        )

    def as_row(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "avg_logprob": self.avg_logprob,
            "words": [
                {
                    "start": round(w.start, 3),
                    "end": round(w.end, 3),
                    "word": w.word,
                    "probability": round(w.probability, 4),
                }
                for w in self.words
            ],
        }


SAMPLE_RATE = 16_000
SENTENCE_END = (".", "?", "!")
# A word that starts with one of these continues the word before it (Whisper splits "92,000" into "92"
# and ",000", "back-end" into "back" and "-end"): no space goes between them.
_ATTACHED = tuple(",.!?;:%')]-")


def words_text(words: list[Word]) -> str:
    """The text of words whose own spacing was stripped: spaced, except before a continuation."""
    text = ""
    for word in words:
        text += word.word if not text or word.word.startswith(_ATTACHED) else f" {word.word}"
    return text


def split_sentences(segment: Segment) -> list[Segment]:
    """Cut a segment after each word that ends a sentence: a batched pass returns one segment per chunk, and a
    30 s paragraph is no way to read, play or correct a transcript."""
    if len(segment.words) < 2:
        return [segment]
    pieces: list[list[Word]] = [[]]
    for word in segment.words:
        pieces[-1].append(word)
        if word.word.endswith(SENTENCE_END):
            pieces.append([])
    pieces = [p for p in pieces if p]
    if len(pieces) == 1:
        return [segment]
    return [
        Segment(
            segment.start if n == 0 else words[0].start,
            segment.end if n == len(pieces) - 1 else words[-1].end,
            words_text(words),
            words,
            segment.avg_logprob,
            segment.no_speech_prob,
        )
        for n, words in enumerate(pieces)
    ]


class AsrEngine(Protocol):
    name: str

    def transcribe(
        self, audio: np.ndarray, language: str | None, hints: DecodeHints | None = None
    ) -> Iterator[Segment]: ...

    def transcribe_batch(
        self, audios: list[np.ndarray], language: str | None, hints: DecodeHints | None = None
    ) -> list[list[Segment]]:
        """Several chunks at once (each at most 30 s); segment times are relative to each chunk."""
        ...

    def detect_language(self, audio: np.ndarray) -> str | None:
        """The language spoken, or None when the engine does not tell (or has only one)."""
        ...


@dataclass(frozen=True)
class DecodeHints:
    """What the uploader told the decoder (the OpenAI-compatible API's `prompt` and `temperature`): words
    to expect (names, jargon) and a fixed sampling temperature. None keeps the engine's defaults, which
    for Whisper is greedy decoding that retries hotter when the output looks wrong."""

    prompt: str | None = None
    temperature: float | None = None

    def whisper_options(self) -> dict:
        options: dict = {}
        if self.prompt:
            options["initial_prompt"] = self.prompt
        if self.temperature:
            options["temperature"] = self.temperature
        return options


class HintedEngine:
    """An engine that decodes every call with the same hints, so the code that transcribes a recording
    (chunks, holes decoded again) passes them on without knowing of them."""

    def __init__(self, engine: AsrEngine, hints: DecodeHints) -> None:
        self._engine, self._hints = engine, hints
        self.name = engine.name

    def transcribe(self, audio: np.ndarray, language: str | None) -> Iterator[Segment]:
        return self._engine.transcribe(audio, language, hints=self._hints)

    def transcribe_batch(self, audios: list[np.ndarray], language: str | None) -> list[list[Segment]]:
        return self._engine.transcribe_batch(audios, language, hints=self._hints)

    def detect_language(self, audio: np.ndarray) -> str | None:
        return self._engine.detect_language(audio)


def with_hints(engine: AsrEngine, hints: DecodeHints) -> AsrEngine:
    """The engine itself when there is nothing to hint (most uploads), else one that passes the hints on."""
    return engine if hints == DecodeHints() else HintedEngine(engine, hints)


class FasterWhisperEngine:
    """CTranslate2 Whisper through faster-whisper; int8 on CPU, float16 on CUDA."""

    def __init__(
        self, model_dir: Path, name: str, device: str = "auto", compute_type: str = "int8", threads: int = 2
    ) -> None:
        from faster_whisper import WhisperModel

        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        if device == "cuda" and compute_type == "int8":
            compute_type = "float16"
        self.name = name
        self.device = device
        self._english_only = name.endswith(".en")
        self._model = WhisperModel(
            str(model_dir), device=device, compute_type=compute_type, cpu_threads=threads
        )
        self._batched = None

    def detect_language(self, audio: np.ndarray) -> str | None:
        if self._english_only:
            return "en"
        language, _probability, _all = self._model.detect_language(audio)
        return language

    def transcribe_batch(
        self, audios: list[np.ndarray], language: str | None, hints: DecodeHints | None = None
    ) -> list[list[Segment]]:
        """One batched pass over several chunks: on two CPU cores, four 30 s chunks take about as long as one
        does alone, since the encoder and the beam search run on all of them together."""
        from faster_whisper import BatchedInferencePipeline

        if self._english_only:
            language = "en"
        if self._batched is None:
            self._batched = BatchedInferencePipeline(model=self._model)
        offsets, clips, position = [], [], 0.0
        for audio in audios:
            seconds = len(audio) / SAMPLE_RATE
            offsets.append(position)
            clips.append({"start": position, "end": position + seconds})
            position += seconds
        joined = np.concatenate(audios) if audios else np.zeros(0, dtype=np.float32)
        results: list[list[Segment]] = [[] for _ in audios]
        if not len(joined):
            return results
        segments, _info = self._batched.transcribe(
            joined,
            language=language,
            word_timestamps=True,
            beam_size=5,
            batch_size=len(audios),
            clip_timestamps=clips,
            **(hints or DecodeHints()).whisper_options(),
        )
        for seg in segments:
            text = seg.text.strip()
            if not text:
                continue
            # The chunk is found by the segment's middle: clip starts are rounded to samples inside
            # faster-whisper, so a start can fall a hair before its own chunk's offset.
            middle = (seg.start + seg.end) / 2
            n = max([0] + [i for i, offset in enumerate(offsets) if offset <= middle])
            words = [Word(w.start, w.end, w.word.strip(), w.probability) for w in seg.words or []]
            segment = Segment(seg.start, seg.end, text, words, seg.avg_logprob, seg.no_speech_prob)
            segment = segment.shifted(-offsets[n])
            results[n].extend(split_sentences(segment))
        return results

    def transcribe(
        self, audio: np.ndarray, language: str | None, hints: DecodeHints | None = None
    ) -> Iterator[Segment]:
        if self._english_only:
            language = "en"
        segments, _info = self._model.transcribe(
            audio,
            language=language,
            word_timestamps=True,
            beam_size=5,
            vad_filter=False,
            condition_on_previous_text=False,
            **(hints or DecodeHints()).whisper_options(),
        )
        for seg in segments:
            text = seg.text.strip()
            if not text:
                continue
            words = [Word(w.start, w.end, w.word.strip(), w.probability) for w in seg.words or []]
            yield Segment(seg.start, seg.end, text, words, seg.avg_logprob, seg.no_speech_prob)


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - no CUDA runtime means CPU
        return False
