"""Action items as a person would write them (owner, task, due date; each once, at most ten), and the
languages an upload may name: pure logic, no service."""

from __future__ import annotations

import pytest

from app.languages import LANGUAGES
from app.schemas.live import language_code
from workers import action_items, prompts

MEETING = [
    ("Speaker 1", "Thanks for joining. We need the launch plan finished before the board meeting."),
    ("Speaker 2", "I can write the press release. I will have it done by Friday."),
    ("Speaker 1", "Great. Priya, can you book the venue for the launch party?"),
    ("Speaker 3", "Yes, I will book the venue tomorrow morning."),
    ("Speaker 1", "And I'll send the budget to finance on Monday."),
    ("Speaker 2", "Sounds good. Can you hear me? I think we are done."),
    ("Speaker 1", "Could you close the door?"),
    ("Speaker 3", "Actually I have a question about the slides."),
]


def segments(lines):
    return [{"speaker": s, "text": t, "start": float(n)} for n, (s, t) in enumerate(lines)]


def test_the_tasks_said_in_a_meeting_each_with_owner_and_due_date():
    items = [item.line() for item in action_items.extract(segments(MEETING))]
    assert items == [
        "Speaker 2: write the press release (by Friday)",
        "Priya: book the venue for the launch party (tomorrow morning)",
        "Speaker 1: send the budget to finance (on Monday)",
    ]


def test_a_request_nobody_takes_on_is_no_ones_task():
    lines = [("Speaker 1", "Could you close the door?"), ("Speaker 2", "Actually I have a question.")]
    assert action_items.extract(segments(lines)) == []


def test_a_request_taken_on_belongs_to_who_answered():
    lines = [
        ("Speaker 1", "Can you send the slides to the client?"),
        ("Speaker 2", "Sure, by the end of the day."),
    ]
    assert [i.line() for i in action_items.extract(segments(lines))] == [
        "Speaker 2: send the slides to the client (by the end of the day)"
    ]


def test_repeated_and_reworded_items_are_listed_once_and_at_most_ten():
    repeated = ["Speaker 1: send the report to finance"] * 20
    assert prompts.distinct_items(repeated) == ["Speaker 1: send the report to finance"]
    reworded = [
        "Ann: send the report to finance (Friday)",
        "Ann: Send the report to finance.",
        "Speaker 2: send the finance report",
        "Bob: book the venue",
    ]
    assert prompts.distinct_items(reworded) == [
        "Ann: send the report to finance (Friday)",
        "Bob: book the venue",
    ]
    many = [
        f"Ann: task number {word}"
        for word in ("alpha", "bravo", "charlie", "delta", "echo", "fox", "golf", "hotel")
        + ("india", "juliet", "kilo", "lima")
    ]
    assert len(prompts.distinct_items(many)) == prompts.MOST_ACTION_ITEMS == 10


def test_a_summary_with_twenty_copies_of_one_item_keeps_one():
    reply = "Summary: The team met.\nAction items:\n" + "- Speaker 1: call the supplier\n" * 20
    summary, items = prompts.parse_summary(reply)
    assert summary == "The team met." and items == ["Speaker 1: call the supplier"]


def test_languages_are_the_transcribers_own():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(LANGUAGES) == set(_LANGUAGE_CODES)
    assert language_code("en") == "en"
    assert language_code("pt-BR") == "pt"
    assert language_code("English") == "en"
    assert language_code("  ") is None
    for wrong in ("klingon", "xx", "e", "en_US!", "a" * 40):
        with pytest.raises(ValueError):
            language_code(wrong)


class WordCountingModel:
    """A stand-in for the LLM's tokenizer and generator (pure logic: one token a word), which records
    what it was asked."""

    def __init__(self, context: int) -> None:
        self.context = context
        self.asked: list[str] = []

    def prompt_tokens(self, messages):
        return " ".join(m["content"] for m in messages).split()

    def generate(self, messages, max_tokens, temperature, on_token):
        from types import SimpleNamespace

        self.asked.append(messages[0]["content"])
        return SimpleNamespace(text=f"Summary: part {len(self.asked)}.\nAction items: none")


def test_a_long_transcript_is_summarised_whole_in_parts_then_combined():
    from tasks.chat import summary_of
    from workers import prompt_fit

    lines = [
        {"speaker": f"Speaker {n % 3 + 1}", "text": f"line {n} " + "word " * 40, "start": n}
        for n in range(60)
    ]
    model = WordCountingModel(context=1200)
    parts = prompt_fit.transcript_parts(model, lines)
    assert len(parts) > 1
    assert "\n".join(parts) == prompts.transcript_text(lines)  # every line, in order, once
    budget = model.context - prompt_fit.SUMMARY_MAX_TOKENS
    assert all(len(model.prompt_tokens(prompts.summary_messages(p))) <= budget for p in parts)
    summary, items = summary_of(model, lines)
    assert model.asked.count(prompts.SUMMARY_PROMPT) == len(parts)
    assert model.asked[-1] == prompts.COMBINE_PROMPT and summary == f"part {len(parts) + 1}."
    assert items == []
    short = WordCountingModel(context=4096)
    assert len(prompt_fit.transcript_parts(short, lines[:3])) == 1
