"""Pure logic of the assistant: time phrases to windows, chat requests checked, the recording or speaker a
question names, the kind of answer it asks for and answers taken back. No model, no services. Excerpts,
citations, prompts and summaries are in tests/test_assistant_citations.py."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.chat_requests import check_fits
from app.contract.operation import validated
from app.errors import ApiError
from app.schemas.chat import ChatBody
from app.time_phrases import find_window
from workers import answer_check

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


@pytest.mark.parametrize(
    ("question", "about_event"),
    [
        ("Why did the backup job fail last night?", True),
        ("What broke with the certificate yesterday?", True),
        ("How much did the bake sale raise last week?", True),
        ("What did Ken say this morning?", False),
        ("What did we decide about the budget yesterday?", False),
        ("What happened yesterday?", False),
        ("What was discussed in the meeting on Monday?", False),
        ("anything in the last 2 hours?", False),
    ],
)
def test_a_phrase_about_the_event_is_not_when_it_was_said(question, about_event):
    window, _rest = find_window(question, NOW, "Europe/Paris")
    assert window is not None and window.about_event is about_event


def test_no_time_phrase_no_window():
    window, rest = find_window("when is the budget report due?", NOW, "UTC")
    assert window is None and rest == "when is the budget report due?"


def test_an_unknown_zone_is_an_error_not_utc():
    with pytest.raises(ValueError, match="unknown time zone"):
        find_window("today", NOW, "Mars/Olympus")


def _chat(**body):
    """What POST /chat does with a body: the schema's checks (JSON read strictly), then the context's."""
    wanted = validated(ChatBody, {"messages": [{"role": "user", "content": "hi"}], **body}, strict=True)
    check_fits(wanted, context_tokens=4096)
    return wanted


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": []}, "messages: list should have at least 1 item"),
        ({"messages": "hi"}, "messages: input should be a valid list"),
        ({"messages": [{"role": "robot", "content": "x"}]}, r"messages\[0\]\.role: input should be"),
        ({"messages": [{"role": "user", "content": ""}]}, r"messages\[0\]\.content"),
        ({"messages": [{"role": "user", "content": "  "}]}, "non-empty string"),
        ({"messages": [{"role": "user", "content": "x", "name": "y"}]}, "unknown field"),
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


TITLES = [
    ("r1", "Budget review"),
    ("r2", "Quarterly budget planning"),
    ("r3", "Call with Emma about Mom's birthday"),
    ("r4", "Vet call about Biscuit"),
    ("r5", "Meeting"),
]


@pytest.mark.parametrize(
    ("question", "recording_id"),
    [
        ("In the budget review, how many laptops were said to be arriving?", "r1"),
        ("In the quarterly budget planning, how many laptops could we replace?", "r2"),
        ("In the call with Emma about Mom's birthday, what cake was ordered?", "r3"),
        ("What did the vet say about Biscuit's leg?", "r4"),
        ("What was decided in the meeting?", None),  # a one-word title is no name
        ("What did we say about the budget?", None),
    ],
)
def test_a_recording_is_named_by_its_title(question, recording_id):
    from workers.question_scope import named_recording

    assert named_recording(question, TITLES) == recording_id


def test_a_speaker_is_named_as_a_whole_word_longest_first():
    from workers.question_scope import named_voice

    voices = [{"id": "a", "name": "Ann"}, {"id": "b", "name": "Ann Lee"}, {"id": "c", "name": "Ken"}]
    assert named_voice("What did Ann Lee say?", voices)["id"] == "b"
    assert named_voice("What did Kenneth say?", voices) is None
    assert named_voice("what did ken say", voices)["id"] == "c"


def test_filters_that_leave_nothing_are_dropped_speaker_first():
    from workers.question_scope import attempts

    order = attempts(["window", "speaker", "recording"])
    assert order[0] == {"window", "speaker", "recording"} and order[-1] == set()
    assert order[1:4] == [{"window", "recording"}, {"window", "speaker"}, {"speaker", "recording"}]
    assert order[4:7] == [{"window"}, {"recording"}, {"speaker"}]
    assert attempts([]) == [set()]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the flights to Lisbon cost?", "amount"),
        ("How many seats does Bluebird have?", "amount"),
        ("What is the budget for the sales kickoff?", "amount"),
        ("What date is Mom's birthday party?", "time"),
        ("Until when is the designer role frozen?", "time"),
        ("Six weeks ago, when did we say the backend hire should start?", "time"),
        ("How long is the free trial?", "amount or time"),
        ("Which airline are we flying to Lisbon?", "name"),
        ("What's the name of the veterinary practice?", "name"),
        ("Which moving company are we using?", "name"),
        ("In the hiring sync, what did the agency lower its fee to?", None),
        ("Where is the spare key for the lake house?", None),
        ("Who owns the follow up on the payment incident?", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question, kind):
    assert answer_check.asked_kind(question) == kind


def test_the_things_a_question_names_are_its_capitalised_words_not_its_opening():
    assert answer_check.named_terms("How much does Biscuit's medicine cost in Lisbon?") == {
        "biscuit",
        "lisbon",
    }
    assert answer_check.named_terms("What's wrong with the printer? Tell me, is it broken?") == set()
    assert answer_check.named_terms("Mom's party: where is it?") == {"mom"}
    assert answer_check.named_terms("WHAT DID SARAH SAY ABOUT THE API?") == set()


@pytest.mark.parametrize(
    ("question", "answer", "recordings", "taken_back"),
    [
        # The nearest fact shown, of the wrong kind: a place for a date, a month for an amount.
        (
            "What date is Mom's party?",
            "David said the party will be at the lake house [2].",
            ["Mom's party"],
            True,
        ),
        (
            "What is the budget for the sales kickoff?",
            "The kickoff is in Chicago in October [1].",
            ["x"],
            True,
        ),
        # The right kind, from a recording that never mentions what was asked about.
        (
            "How much did the flights to Lisbon cost?",
            "The flights to Lisbon cost 38,000 [2].",
            ["Office move: Sarah James the move is quoted 38,000, including the new furniture"],
            True,
        ),
        # Right answers: the number or time is there, and the recording mentions the thing (by its title,
        # a speaker's name, or anywhere in what was said, not necessarily in the cited line).
        (
            "How much is the Lisbon hotel a night?",
            "It's 140 euros a night [1].",
            ["Trip planning: ... Lisbon ..."],
            False,
        ),
        (
            "When is Olivia's first day?",
            "Her first day is the 7th of July [1].",
            ["Hiring sync Olivia accepted"],
            False,
        ),
        (
            "What did Nina say about Berlin?",
            "She hopes to go to the conference there [3].",
            ["One on one Nina Berlin"],
            False,
        ),
        ("How long is the free trial?", "Two weeks [1].", ["Pricing"], False),
        # A name asked for: the speaker who said it, a month or the question's own words are none.
        (
            "Which airline are we flying?",
            "David said the flights leave on the 2nd of August [1].",
            ["x"],
            True,
        ),
        ("Which bakery is making the cake?", "Rosie's bakery [1].", ["Rosie's bakery"], False),
        ("Which city does Nina want to visit?", "Nina said Berlin [2].", ["Nina Berlin"], False),
        ("Where is the spare key?", "Under the blue flower pot [1].", [], False),
        # The kind asked for must be the answer's own, not the question's words said back.
        ("What time does Mom's party start?", "Emma said it will start at the lake house [4].", [], True),
        ("What time does Mom's party start?", "It starts at four in the afternoon [4].", [], False),
        # Money asked for: a sum of money, not any number.
        ("How much revenue did we lose in the incident?", "Around 340 orders failed [7].", [], True),
        ("How much does Biscuit's medicine cost?", "Grace said don't let him go over 28 [2].", [], True),
        ("What fee did the agency charge?", "Laura said 20% of the first year salary [4].", [], False),
        ("How much will the new engineer earn?", "We offered her 92,000 a year [3].", [], False),
        ("How much is the hotel?", "It is a hundred and forty a night [1].", [], False),
        # An answer that only says the question back.
        ("Who is Olivia's current employer?", "Olivia's current employer is her employer [6].", [], True),
        ("How many people did Emma invite?", "30 people [5].", [], False),
        ("Will there be standing desks?", "James said yes [3].", [], False),
    ],
)
def test_an_answer_its_recordings_do_not_hold_is_taken_back(question, answer, recordings, taken_back):
    reason = answer_check.unsupported(question, answer, recordings)
    assert (reason is not None) == taken_back, reason
