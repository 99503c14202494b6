"""How the transcription bench (`bench/transcribe.py`) scores a processed recording against its ground
truth: word errors, DER (with and without a collar, on the speaker turns and on the words' segments) and
naming of enrolled speakers. Kept apart from the corpora, and from the bench's run and report, so the
figures' definitions are read in one place."""

from __future__ import annotations

from collections import Counter

from bench.metrics import diarization_error, word_errors, words
from bench.transcribe_corpora import NEURAL_ENROLLED, ROBOT_ENROLLED, Item, reference_text

COLLAR = 0.25


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
