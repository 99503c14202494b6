"""What the assistant is told, and how its words are tied back to the moments they came from.

The prompt numbers each memory excerpt; the answer cites them as [n]; each [n] maps to one segment
(recording, start, end). Small models forget to cite, so an answer that cites nothing while clearly using an
excerpt gets that excerpt attributed by word overlap, marked `inferred` so nobody mistakes it for the model's
own citation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

SYSTEM_PROMPT = (
    "You are Nemo, an assistant that answers questions about the user's recorded conversations. "
    "When excerpts from the recordings are given, answer only from them and cite the excerpt each fact comes "
    "from by its number in square brackets, like [1]. If the excerpts do not hold the answer, say that you "
    "could not find it in the recordings. Answer in one to three sentences."
)
NO_MEMORY_PROMPT = "You are Nemo, a helpful assistant. Answer briefly."
SUMMARY_PROMPT = (
    "You summarise transcripts of conversations. Reply in exactly this format:\n"
    "Summary: <two or three sentences>\n"
    "Action items:\n- <one task per line, with who does it when the transcript says>\n"
    "If there are no action items, write 'Action items: none'."
)

_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"[a-z0-9']+")
_STOPWORD_TEXT = (
    "a an the and or but if of to in on at for from by with about as is are was were be been being it its "
    "this that these those i you he she we they me him her us them my your his our their what which who "
    "when where why how do does did done have has had not no yes so than then there here will would can "
    "could should may might must shall just also very too only into over under up down out off again"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def excerpt_header(hit: dict[str, Any]) -> str:
    spoken = datetime.fromtimestamp(hit["recorded_at"] + hit["start"], UTC).strftime("%Y-%m-%d %H:%M")
    speaker = hit.get("speaker") or "unknown speaker"
    return f"{hit['recording_title']}, {spoken} UTC, {speaker}"


def memory_block(hits: list[dict[str, Any]]) -> str:
    lines = [f"[{n}] {hit['text']}\n    ({excerpt_header(hit)})" for n, hit in enumerate(hits, 1)]
    return "Excerpts from my recordings:\n" + "\n".join(lines)


def build_messages(
    conversation: list[dict[str, str]], hits: list[dict[str, Any]] | None
) -> list[dict[str, str]]:
    """The conversation with the system prompt first and, when memory is on, the excerpts in front of the
    last question (small models follow context best right before the question)."""
    turns = [m for m in conversation if m["role"] != "system"]
    own_system = [m["content"] for m in conversation if m["role"] == "system"]
    base = SYSTEM_PROMPT if hits is not None else NO_MEMORY_PROMPT
    system = "\n\n".join([base, *own_system])
    if hits is None:
        return [{"role": "system", "content": system}, *turns]
    question = turns[-1]["content"]
    if hits:
        content = (
            f"{memory_block(hits)}\n\nQuestion: {question}\n"
            "Answer the question in one sentence of your own words, using only the excerpts, and end "
            "with the number of the excerpt you used, like [1]."
        )
    else:
        content = f"No excerpt of my recordings matches this question.\n\nQuestion: {question}"
    return [{"role": "system", "content": system}, *turns[:-1], {"role": "user", "content": content}]


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2}


def citation(n: int, hit: dict[str, Any], inferred: bool) -> dict[str, Any]:
    return {
        "n": n,
        "segment_id": hit["segment_id"],
        "recording_id": hit["recording_id"],
        "recording_title": hit["recording_title"],
        "start": hit["start"],
        "end": hit["end"],
        "speaker": hit.get("speaker"),
        "text": hit["text"],
        "inferred": inferred,
    }


def cited_numbers(answer: str, count: int) -> list[int]:
    """Excerpt numbers the answer cites, in order of first mention; numbers with no excerpt are ignored."""
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if 1 <= n <= count and n not in seen:
                seen.append(n)
    return seen


def citations_for(answer: str, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbers = cited_numbers(answer, len(hits))
    if numbers:
        return [citation(n, hits[n - 1], inferred=False) for n in numbers]
    # No citation given: attribute the excerpts the answer evidently draws on (two shared content words, or
    # half of a short excerpt's), best first.
    said = content_words(answer)
    scored = []
    for n, hit in enumerate(hits, 1):
        words = content_words(hit["text"])
        shared = len(said & words)
        if shared >= 2 or (words and shared / len(words) >= 0.5):
            scored.append((shared, -n))
    scored.sort(reverse=True)
    return [citation(-neg_n, hits[-neg_n - 1], inferred=True) for _shared, neg_n in scored[:3]]


def transcript_text(segments: list[dict[str, Any]]) -> str:
    return "\n".join(f"{s.get('speaker') or 'Speaker'}: {s['text']}" for s in segments)


def summary_messages(transcript: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SUMMARY_PROMPT},
        {"role": "user", "content": f"Transcript:\n{transcript}"},
    ]


def parse_summary(text: str) -> tuple[str, list[str]]:
    """(summary, action items) from the model's reply; tolerant of the small deviations small models make
    (bullets as '*', numbered items, a missing 'Summary:' label)."""
    parts = re.split(r"(?im)^\s*\**\s*action items\s*\**\s*:?\s*\**", text, maxsplit=1)
    head = parts[0]
    tail = parts[1] if len(parts) > 1 else ""
    summary = re.sub(r"(?i)^\s*\**summary\**\s*:\s*", "", head.strip()).strip()
    items = []
    for line in tail.splitlines():
        item = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip()
        if item and item.lower().rstrip(".") not in ("none", "no action items", "n/a"):
            items.append(item)
    return summary, items
