"""Action items read from what people said, not from what a small model recalls.

The summary models (Qwen2.5 0.5B/1.5B on CPU) listed "none" for a meeting with three clear tasks, or gave
a task to the wrong person. A commitment is said in a few plain shapes, and the transcript knows who said
each line: "I will send the budget on Monday" (the speaker's), "Priya, can you book the venue?" answered
"Yes, I will" (Priya's, or the one who answered), "Please send the slides" (the next speaker who agrees).
Each item keeps its owner, the task, and when it is due if a time was said. The model's own items come after
these and only where they add a task (`workers.prompts.distinct_items`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"[^.!?]+[.!?]?")
_PROMISE = re.compile(
    r"\b(?:i|we)\s*(?:will|'ll|shall|am going to|'m going to|are going to|can|could)\s+"
    r"(?!not\b|be\b|see\b|hear\b|think\b|try\b|have to\b|need\b|say\b|tell you\b|do that\b|do it\b)"
    r"(?P<task>.+)",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"^(?:(?P<name>[A-Z][a-z]+),\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+)?(?P<task>.+?)\??$|"
    r"^(?:(?P<name2>[A-Z][a-z]+),\s+)?please\s+(?P<task2>.+?)[.!]?$",
    re.IGNORECASE,
)
_AGREEMENT = re.compile(
    r"^\s*(?:yes|yeah|yep|sure|ok|okay|of course|absolutely|will do|no problem|i will|i'll|i can)\b",
    re.IGNORECASE,
)
_DUE = re.compile(
    r"\s*\b(?P<due>(?:by|before|on|until|next|this)\s+(?:the\s+)?(?:end of (?:the )?(?:day|week|month)|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|tomorrow(?: morning| afternoon)?|"
    r"\d{1,2}(?:st|nd|rd|th)?(?: of \w+)?)|tomorrow(?: morning| afternoon| evening)?|today|tonight|"
    r"end of (?:the )?(?:day|week|month)|(?:this|next) (?:week|month|morning|afternoon))\b",
    re.IGNORECASE,
)
# Words that make a promise about a pronoun ("I will have it done") useless without its sentence before.
_VAGUE = re.compile(r"^(?:have|get)\s+(?:it|that|this)\b|^(?:it|that|this)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ActionItem:
    owner: str
    task: str
    due: str | None
    start: float  # seconds into the recording where it was said

    def line(self) -> str:
        due = f" ({self.due})" if self.due else ""
        return f"{self.owner}: {self.task}{due}"


def _task_and_due(text: str) -> tuple[str, str | None]:
    text = text.strip().rstrip(".!?,; ")
    match = _DUE.search(text)
    due = match.group("due").strip() if match else None
    task = (text[: match.start()] + text[match.end() :]).strip(" ,") if match else text
    return task, due


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def extract(segments: list[dict]) -> list[ActionItem]:
    """The commitments and accepted requests in a transcript (dicts with `speaker`, `text`, `start`), in
    the order they were said. An accepted request is one item: the reply that takes it on ("Yes, I will
    book it tomorrow") adds its due date, not a second task."""
    items: list[ActionItem] = []
    taken_on: set[int] = set()  # segments whose first sentence accepted a request
    for n, segment in enumerate(segments):
        speaker = segment.get("speaker") or "Someone"
        for k, sentence in enumerate(_sentences(segment["text"])):
            if k == 0 and n in taken_on:
                _, due = _task_and_due(sentence)
                if due and not items[-1].due:
                    items[-1] = ActionItem(items[-1].owner, items[-1].task, due, items[-1].start)
                continue
            request = _REQUEST.match(sentence)
            if request:
                task, due = _task_and_due(request.group("task") or request.group("task2") or "")
                reply = _agreeing_reply(segments, n, speaker)
                owner = (
                    request.group("name")
                    or request.group("name2")
                    or (segments[reply]["speaker"] if reply else None)
                )
                if task and owner:
                    items.append(ActionItem(owner, task, due, segment.get("start", 0.0)))
                    if reply is not None:
                        taken_on.add(reply)
                continue
            promise = _PROMISE.search(sentence)
            if promise and not sentence.rstrip().endswith("?"):
                task, due = _task_and_due(promise.group("task"))
                if _VAGUE.match(task):
                    if due and items and items[-1].owner == speaker and not items[-1].due:
                        items[-1] = ActionItem(speaker, items[-1].task, due, items[-1].start)
                    continue
                if task:
                    items.append(ActionItem(speaker, task, due, segment.get("start", 0.0)))
    return items


def _agreeing_reply(segments: list[dict], asked_at: int, asker: str) -> int | None:
    """The index of the next other speaker's line when it agrees; else None (nobody took it on)."""
    for index in range(asked_at + 1, min(asked_at + 3, len(segments))):
        segment = segments[index]
        if segment.get("speaker") and segment.get("speaker") != asker:
            return index if _AGREEMENT.match(segment["text"]) else None
    return None
