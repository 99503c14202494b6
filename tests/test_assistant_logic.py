"""Pure logic of the assistant: time phrases to windows, citations to segments, summaries parsed, chat
requests checked. No model, no services."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.chat_requests import parse_chat
from app.errors import ApiError
from app.time_phrases import find_window
from workers import prompts

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 25 November 2026, 15:30 in Paris.
NOW = datetime(2026, 11, 25, 15, 30, tzinfo=PARIS).timestamp()


def local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp()


@pytest.mark.parametrize(
    ("question", "since", "until", "rest"),
    [
        ("what did I say this morning?", "2026-11-25T05:00", "2026-11-25T12:00", "what did I say ?"),
        ("what was decided yesterday", "2026-11-24T00:00", "2026-11-25T00:00", "what was decided"),
        ("who called last night", "2026-11-24T17:00", "2026-11-25T05:00", "who called"),
        ("what did we agree today", "2026-11-25T00:00", "2026-11-25T15:30", "what did we agree"),
        ("what did Sarah say 6 hours ago", "2026-11-25T08:00", "2026-11-25T11:00", "what did Sarah say"),
        ("notes from three days ago", "2026-11-22T00:00", "2026-11-23T00:00", "notes from"),
        ("anything in the last 2 hours?", "2026-11-25T13:30", "2026-11-25T15:30", "anything ?"),
        ("plans from last week", "2026-11-16T00:00", "2026-11-23T00:00", "plans from"),
        ("what happened this month", "2026-11-01T00:00", "2026-11-25T15:30", "what happened"),
        ("the meeting on Monday", "2026-11-23T00:00", "2026-11-24T00:00", "the meeting"),
        ("what did I say last wednesday", "2026-11-18T00:00", "2026-11-19T00:00", "what did I say"),
    ],
)
def test_time_phrases_become_windows_in_the_askers_zone(question, since, until, rest):
    window, remaining = find_window(question, NOW, "Europe/Paris")
    assert window is not None
    assert window.since == local(since) and window.until == local(until), window
    assert remaining == rest


def test_no_time_phrase_no_window():
    window, rest = find_window("when is the budget report due?", NOW, "UTC")
    assert window is None and rest == "when is the budget report due?"


def test_an_unknown_zone_is_an_error_not_utc():
    with pytest.raises(ValueError, match="unknown time zone"):
        find_window("today", NOW, "Mars/Olympus")


HITS = [
    {
        "segment_id": f"s{i}",
        "recording_id": f"r{i}",
        "recording_title": f"Rec {i}",
        "recorded_at": 1_790_000_000.0,
        "start": float(i),
        "end": float(i) + 2,
        "speaker": "Speaker 1",
        "text": text,
    }
    for i, text in enumerate(
        [
            "Please send the quarterly budget report to the finance team before Friday.",
            "The printer on the third floor needs new toner cartridges.",
            "We booked our holiday in Portugal.",
        ]
    )
]


def test_citations_map_numbers_to_segments_in_order_of_mention():
    cited = prompts.citations_for("The toner is out [2]; the report is due Friday [1][2] [7].", HITS)
    assert [(c["n"], c["segment_id"], c["inferred"]) for c in cited] == [(2, "s1", False), (1, "s0", False)]
    assert cited[1]["recording_id"] == "r0" and cited[1]["start"] == 0.0 and cited[1]["end"] == 2.0


def test_an_answer_without_markers_gets_the_excerpt_it_uses_marked_inferred():
    cited = prompts.citations_for("Send the quarterly budget report to finance before Friday.", HITS)
    assert [(c["segment_id"], c["inferred"]) for c in cited] == [("s0", True)]
    assert prompts.citations_for("I could not find that in the recordings.", HITS) == []


def test_the_prompt_numbers_excerpts_before_the_last_question():
    conversation = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "when is the report due?"},
    ]
    messages = prompts.build_messages(conversation, HITS[:2])
    assert messages[0]["role"] == "system" and "[1]" in messages[0]["content"]
    assert messages[1:3] == conversation[:2]
    last = messages[-1]["content"]
    assert f"[1] {HITS[0]['text']}\n    (Rec 0, " in last and f"[2] {HITS[1]['text']}\n    (Rec 1, " in last
    assert last.index("[2]") < last.index("when is")
    assert prompts.build_messages(conversation, None)[1:] == conversation


def test_summaries_parse_with_the_usual_small_model_deviations():
    summary, items = prompts.parse_summary(
        "Summary: The team planned the budget.\n\n**Action Items:**\n* Send the report by Friday\n"
        "2. Order toner\n- none"
    )
    assert summary == "The team planned the budget."
    assert items == ["Send the report by Friday", "Order toner"]
    assert prompts.parse_summary("Summary: Small talk.\nAction items: none") == ("Small talk.", [])


def _chat(**body):
    return parse_chat({"messages": [{"role": "user", "content": "hi"}], **body}, context_tokens=4096)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": "hi"}, "non-empty list"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role must be"),
        ({"messages": [{"role": "user", "content": ""}]}, "non-empty string"),
        ({"messages": [{"role": "assistant", "content": "x"}]}, "last message"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 1_000_000}, "max_tokens"),
        ({"max_tokens": "10"}, "max_tokens"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"use_memory": "yes"}, "use_memory"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"messages": [{"role": "user", "content": "word " * 20_000}]}, "context holds"),
    ],
)
def test_bad_chat_requests_are_refused_with_the_reason(body, message):
    with pytest.raises(ApiError, match=message) as caught:
        _chat(**body)
    assert caught.value.status == 400


def test_a_good_chat_request_keeps_its_values():
    wanted = _chat(max_tokens=64, temperature=0, use_memory=False, timezone="Europe/Paris")
    assert (wanted.max_tokens, wanted.temperature, wanted.use_memory) == (64, 0.0, False)
