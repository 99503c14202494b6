"""No speech lost: after a chunk's batched decode, decode again whatever speech no word accounts for.

Steps, for one chunk (times relative to the chunk):

1. The batched pass (one decode of the whole window, no seek loop) is checked against the VAD's speech.
2. If it left a hole (an uncovered stretch of speech over 1 s), the chunk is decoded again sequentially,
   the way bare faster-whisper does it (seek loop, timestamp tokens, temperature fallback), and that result
   replaces the batched one when it accounts for more of the speech. A batched pass that skipped a turn
   also tends to align the next turn's words into the gap; the sequential decode gets their times right.
3. Stretches whose words Whisper's own timing gives the lie to (a word stretched over MAX_WORD_SECONDS) are
   decoded again, one clip per stretch of VAD speech the segment touches, and the clips' words replace theirs
   when Whisper's anomaly test finds them less anomalous, they are not fewer and cover as much speech.
   (Segments the anomaly test alone rejects are left: most are a turn's first word squeezed into no time,
   and a clip loses that word more often than it mends anything.) A batched window that skipped a turn
   pulls the next turn's first word back over it, stretched across the pause; the hole left before that
   word gets garbage from a clip ("% of that line for the" for "Sarah said the deadline for the report is
   the end of the month"), which its own clip, cut at the pause, hears right.
4. Holes still left, down to 0.3 s (a short "yeah" between turns), are cut out as clips (with a little
   context) and decoded on their own, first batched, then sequentially for a clip that gave nothing, then
   batched again with more context; the words falling inside the hole are merged in time order. This repeats
   for holes that shrank, until none is left or the decoder truly returns nothing.
5. The first word after a pause starts where the VAD heard the speech begin, when Whisper put it up to
   ONSET_SNAP_SECONDS later and no word came before it in that stretch of speech: Whisper's word timing
   starts the first word of a turn late (0.3-0.4 s on the robot corpus), which cut the word's first
   syllable off when a result is played from its start, and counted as uncovered speech.

What stays uncovered is reported as the chunk's coverage, never hidden.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from workers import coverage
from workers.asr import SAMPLE_RATE, AsrEngine, Segment, Word, split_sentences, words_text
from workers.vad import SPEECH_PAD_SECONDS

# Context either side of a hole when it is decoded on its own: enough for Whisper to hear the onset. A
# hole that gives nothing is tried once more with the wider context (batched only): Whisper puts the first
# word of a clip at the clip's start, so a word right after a short context lands outside the hole (on the
# real call, a second "Hello?" 0.5 s after the first came back only with 1.5 s of context).
CLIP_CONTEXTS_SECONDS = (0.5, 1.5)
MAX_ROUNDS = 4
# The most a word's start is moved back to the onset of the speech it begins (step 5).
ONSET_SNAP_SECONDS = 0.5
# No spoken word lasts this long: a longer one is an alignment gone wrong (Whisper's anomaly test bound).
MAX_WORD_SECONDS = 2.0
# A clip's words replace a doubtful stretch's only when they cover at least this share of what its words did.
REPLACEMENT_COVERAGE = 0.9
# Whisper's own "this is not speech" test (faster-whisper's defaults): both must hold to drop a segment.
NO_SPEECH_PROBABILITY = 0.6
LOW_LOG_PROBABILITY = -1.0
# Text that is only an annotation ("[Music]", "(upbeat music)", "♪♪") or punctuation carries no words.
_ANNOTATION = re.compile(r"^\s*(\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[^\w]+)\s*$")


@dataclass
class CompletedChunk:
    segments: list[Segment]
    speech_seconds: float
    covered_seconds: float
    sequential_redecode: bool = False
    clips_decoded: int = 0
    doubtful_replaced: int = 0


def is_speech(segment: Segment) -> bool:
    """False for what Whisper emits over music or noise: annotations, bare punctuation, and segments its
    own no-speech test rejects."""
    if not segment.text.strip() or _ANNOTATION.match(segment.text):
        return False
    return not (
        segment.no_speech_prob is not None
        and segment.avg_logprob is not None
        and segment.no_speech_prob > NO_SPEECH_PROBABILITY
        and segment.avg_logprob < LOW_LOG_PROBABILITY
    )


def _anomaly(word: Word) -> float:
    """Whisper's word anomaly score (openai/whisper's hallucination check, which faster-whisper also
    applies): an improbable word, or one squeezed into almost no time, is what the decoder writes when no
    audio matches it."""
    duration = word.end - word.start
    score = 1.0 if word.probability < 0.15 else 0.0
    if duration < 0.133:
        score += (0.133 - duration) * 15
    if duration > MAX_WORD_SECONDS:
        score += duration - MAX_WORD_SECONDS
    return score


def is_anomalous(segment: Segment) -> bool:
    words = [w for w in segment.words if w.word.strip(".,!?;:'\"-")][:8]
    if not words:
        return False
    score = sum(_anomaly(w) for w in words)
    return score >= 3 or score + 0.01 >= len(words)


def without_repeat_loops(segments: list[Segment]) -> list[Segment]:
    """Segments in time order without the repeats of a decoding loop: a batched window with no context
    can write one sentence again and again ("Hello. Hello. Hello. Hello." where a real call holds two),
    the copies squeezed into no time. A segment is dropped only when Whisper's own anomaly test rejects
    it and it says what the segment before it said, so a short "yeah" of its own is kept."""
    kept: list[Segment] = []
    for segment in segments:
        if kept and is_anomalous(segment) and _same_words(segment, kept[-1]):
            continue
        kept.append(segment)
    return kept


def _same_words(a: Segment, b: Segment) -> bool:
    def spoken(segment: Segment) -> str:
        return " ".join(re.findall(r"[\w']+", segment.text.lower()))

    return spoken(a) == spoken(b) != ""


def word_times(segments: list[Segment]) -> list[tuple[float, float]]:
    """Each word's span; a segment without word timings counts as one word."""
    spans: list[tuple[float, float]] = []
    for segment in segments:
        if segment.words:
            spans.extend((w.start, w.end) for w in segment.words)
        else:
            spans.append((segment.start, segment.end))
    return spans


def _sequential(engine: AsrEngine, audio: np.ndarray, language: str | None) -> list[Segment]:
    segments: list[Segment] = []
    for segment in engine.transcribe(audio, language):
        segments.extend(split_sentences(segment))
    return [s for s in segments if is_speech(s)]


def _centred_in(start: float, end: float, span: coverage.Span) -> bool:
    """Whether a word (or a segment without word times) belongs to the span: by its middle, so a word
    straddling an edge belongs to one side only."""
    return span[0] <= (start + end) / 2 <= span[1]


def _clips(
    audio: np.ndarray, spans: list[coverage.Span], contexts: list[float]
) -> tuple[list[coverage.Span], list[np.ndarray]]:
    """Each span widened by its context (within the audio), and the audio of each."""
    duration = len(audio) / SAMPLE_RATE
    bounds = [
        (max(0.0, a - context), min(duration, b + context))
        for (a, b), context in zip(spans, contexts, strict=True)
    ]
    return bounds, [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in bounds]


def _inside(segments: list[Segment], offset: float, hole: coverage.Span) -> list[Segment]:
    """The words of a clip's segments (clip starting at `offset`) whose middle falls inside the hole, as
    segments in recording order."""
    kept: list[Segment] = []
    for segment in segments:
        if not is_speech(segment):
            continue
        shifted = segment.shifted(offset)
        words = [w for w in shifted.words if _centred_in(w.start, w.end, hole)]
        if words:
            text = words_text(words)
            kept.append(Segment(words[0].start, words[-1].end, text, words, shifted.avg_logprob))
        elif not shifted.words and _centred_in(shifted.start, shifted.end, hole):
            kept.append(shifted)
    return kept


def complete_chunk(
    engine: AsrEngine,
    audio: np.ndarray,
    speech: list[coverage.Span],
    segments: list[Segment],
    language: str | None,
) -> CompletedChunk:
    """The chunk's segments with every hole in the speech decoded again (see the module docstring)."""
    duration = len(audio) / SAMPLE_RATE
    speech = coverage.clip_spans(speech, 0.0, duration)
    result = without_repeat_loops(sorted((s for s in segments if is_speech(s)), key=lambda s: s.start))
    outcome = CompletedChunk(result, coverage.seconds(speech), 0.0)

    if coverage.holes(speech, word_times(result)):
        sequential = _sequential(engine, audio, language)
        if coverage.covered(speech, word_times(sequential)) > coverage.covered(speech, word_times(result)):
            result = sequential
            outcome.sequential_redecode = True

    result = with_doubtful_stretches_decoded_again(engine, audio, speech, result, language, outcome)

    # Per hole, how many contexts were tried without a word coming back.
    tried: dict[tuple[float, float], int] = {}
    for _round in range(MAX_ROUNDS):
        gaps = [
            g
            for g in coverage.holes(speech, word_times(result), min_seconds=coverage.MIN_CLIP_HOLE_SECONDS)
            if tried.get(_key(g), 0) < len(CLIP_CONTEXTS_SECONDS)
        ]
        if not gaps:
            break
        contexts = [CLIP_CONTEXTS_SECONDS[tried.get(_key(g), 0)] for g in gaps]
        bounds, clips = _clips(audio, gaps, contexts)
        decoded = engine.transcribe_batch(clips, language)
        outcome.clips_decoded += len(clips)
        for gap, context, (clip_start, _end), clip, clip_segments in zip(
            gaps, contexts, bounds, clips, decoded, strict=True
        ):
            found = _inside(clip_segments, clip_start, gap)
            if not found and context == CLIP_CONTEXTS_SECONDS[0]:
                found = _inside(_sequential(engine, clip, language), clip_start, gap)
                outcome.clips_decoded += 1
            if found:
                result.extend(found)
            else:
                tried[_key(gap)] = tried.get(_key(gap), 0) + 1
        result.sort(key=lambda s: s.start)

    outcome.segments = with_speech_onsets(without_repeat_loops(result), speech)
    outcome.covered_seconds = coverage.covered(speech, word_times(outcome.segments))
    return outcome


def doubtful_stretches(segments: list[Segment], speech: list[coverage.Span]) -> list[list[coverage.Span]]:
    """Where the words cannot be what was said (step 3): each segment with a word stretched over
    MAX_WORD_SECONDS, as the group of stretches of speech it touches (groups that share a stretch are one).
    Each stretch is decoded on its own: a clip of two turns lets Whisper skip one of them again."""
    regions = coverage.union(speech)
    groups: list[list[coverage.Span]] = []
    for segment in segments:
        if not any(w.end - w.start > MAX_WORD_SECONDS for w in segment.words):
            continue
        touched = [r for r in regions if r[0] < segment.end and segment.start < r[1]]
        group = touched or [(segment.start, segment.end)]
        if groups and groups[-1][-1][1] >= group[0][0]:
            groups[-1] = sorted(set(groups[-1]) | set(group))
        else:
            groups.append(group)
    return groups


def _shares(group: list[coverage.Span]) -> list[coverage.Span]:
    """The part of the group's extent each of its stretches answers for: the pause between two stretches
    is split at its middle, so a word a clip puts there belongs to one clip only."""
    shares = []
    for n, (start, end) in enumerate(group):
        left = start if n == 0 else (group[n - 1][1] + start) / 2
        right = end if n == len(group) - 1 else (end + group[n + 1][0]) / 2
        shares.append((left, right))
    return shares


def _words_inside(segments: list[Segment], span: coverage.Span) -> list[Word]:
    return [w for s in segments for w in s.words if _centred_in(w.start, w.end, span)]


def _without(segments: list[Segment], span: coverage.Span) -> list[Segment]:
    """The segments with every word whose middle falls inside the span taken out."""
    kept: list[Segment] = []
    for segment in segments:
        if not segment.words:
            if not _centred_in(segment.start, segment.end, span):
                kept.append(segment)
            continue
        words = [w for w in segment.words if not _centred_in(w.start, w.end, span)]
        if len(words) == len(segment.words):
            kept.append(segment)
        elif words:
            text = words_text(words)
            kept.append(
                Segment(
                    words[0].start, words[-1].end, text, words, segment.avg_logprob, segment.no_speech_prob
                )
            )
    return kept


def _is_better(found: list[Word], current: list[Word], speech: list[coverage.Span]) -> bool:
    """A clip's words win when Whisper's own test finds them less anomalous word for word, they are not
    fewer (the point is words that were lost, not fewer words) and they account for about as much of the
    speech."""
    if not found:
        return False
    covered_found = coverage.covered(speech, [(w.start, w.end) for w in found])
    covered_current = coverage.covered(speech, [(w.start, w.end) for w in current])
    return (
        len(found) >= len(current)
        and sum(_anomaly(w) for w in found) / len(found)
        < sum(_anomaly(w) for w in current) / max(len(current), 1)
        and covered_found >= REPLACEMENT_COVERAGE * covered_current
    )


def with_doubtful_stretches_decoded_again(
    engine: AsrEngine,
    audio: np.ndarray,
    speech: list[coverage.Span],
    segments: list[Segment],
    language: str | None,
    outcome: CompletedChunk,
) -> list[Segment]:
    """Step 3 of the module docstring: one batched decode of a clip per stretch of every doubtful group;
    a group's words are replaced all together or not at all."""
    groups = doubtful_stretches(segments, speech)
    if not groups:
        return segments
    stretches = [stretch for group in groups for stretch in group]
    bounds, clips = _clips(audio, stretches, [CLIP_CONTEXTS_SECONDS[0]] * len(stretches))
    decoded = iter(zip(bounds, engine.transcribe_batch(clips, language), strict=True))
    outcome.clips_decoded += len(clips)
    for group in groups:
        found: list[Segment] = []
        for share in _shares(group):
            (clip_start, _end), clip_segments = next(decoded)
            found.extend(_inside(clip_segments, clip_start, share))
        extent = (group[0][0], group[-1][1])
        inside_speech = coverage.clip_spans(speech, *extent)
        if _is_better([w for s in found for w in s.words], _words_inside(segments, extent), inside_speech):
            segments = sorted(_without(segments, extent) + found, key=lambda s: s.start)
            outcome.doubtful_replaced += 1
    return segments


def with_speech_onsets(segments: list[Segment], speech: list[coverage.Span]) -> list[Segment]:
    """The segments with each word that opens a stretch of VAD speech starting at that speech's onset
    (step 5 of the module docstring). Only starts move, only earlier, never past an earlier word."""
    region_starts = [start for start, _end in coverage.union(speech)]
    out: list[Segment] = []
    spoken_until = float("-inf")
    for segment in segments:
        if not segment.words:
            out.append(segment)
            spoken_until = max(spoken_until, segment.end)
            continue
        words: list[Word] = []
        for word in segment.words:
            region = bisect.bisect_right(region_starts, word.start) - 1
            if region >= 0 and spoken_until <= region_starts[region]:
                onset = region_starts[region] + SPEECH_PAD_SECONDS
                if word.start - ONSET_SNAP_SECONDS <= onset < word.start:
                    word = Word(onset, word.end, word.word, word.probability)
            words.append(word)
            spoken_until = max(spoken_until, word.end)
        out.append(
            Segment(
                min(segment.start, words[0].start),
                segment.end,
                segment.text,
                words,
                segment.avg_logprob,
                segment.no_speech_prob,
            )
        )
    return out


def _key(span: coverage.Span) -> tuple[float, float]:
    return (round(span[0], 2), round(span[1], 2))
