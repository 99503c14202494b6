"""Pure logic of the assistant: time phrases to windows, citations to segments, summaries parsed, chat
requests checked. No model, no services."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.chat_requests import parse_chat
from app.errors import ApiError
from app.time_phrases import find_window
from workers import answer_check, excerpts, prompts

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


def test_a_citation_slipped_to_a_neighbour_goes_to_the_excerpt_that_holds_the_fact():
    hits = [
        {**HITS[0], "segment_id": "a", "text": "Nina was the strongest candidate we interviewed."},
        {**HITS[1], "segment_id": "b", "text": "We offered her ninety two thousand a year."},
    ]
    question = "What salary did we offer Nina?"
    cited = prompts.citations_for("Nina was offered ninety two thousand a year [1].", hits, question)
    assert [(c["segment_id"], c["inferred"]) for c in cited] == [("b", True)]
    # A right citation stays the model's own; an answer that found nothing cites nothing.
    cited = prompts.citations_for("Nina was offered ninety two thousand [2].", hits, question)
    assert [(c["segment_id"], c["inferred"]) for c in cited] == [("b", False)]
    assert prompts.citations_for(f"{prompts.NOT_FOUND} [1]", hits, question) == []


def said(segment_id: str, start: float, speaker: str, text: str, seconds: float = 2.0) -> dict:
    """A neighbour of a search hit, as the store gives it."""
    return {
        "id": segment_id,
        "start": start,
        "end": start + seconds,
        "speaker": speaker,
        "speaker_id": f"voice-{speaker}",
        "text": text,
    }


def hit_of(neighbours: list[dict], n: int) -> dict:
    """Neighbour `n` as a search hit, the others as its context."""
    row = neighbours[n]
    return {
        **{k: HITS[0][k] for k in ("recording_id", "recording_title", "recorded_at")},
        "segment_id": row["id"],
        **{k: row[k] for k in ("start", "end", "speaker", "speaker_id", "text")},
        "similarity": 0.5,
        "context_before": neighbours[:n],
        "context_after": neighbours[n + 1 :],
    }


LEASE_TALK = [
    said("a", 0.0, "Sarah", "Which building do we take?"),
    said("b", 2.5, "Michael", "Okay, James."),
    said("c", 4.6, "Michael", "Send me the lease draft by the end of the week."),
    said("d", 7.0, "James", "Will do."),
    said("e", 12.0, "Michael", "And the parking?"),
]


def test_a_hit_is_read_as_its_speakers_whole_turn():
    (excerpt,) = excerpts.turn_excerpts([hit_of(LEASE_TALK, 2)])
    assert excerpt["text"] == "Okay, James. Send me the lease draft by the end of the week."
    assert (excerpt["segment_id"], excerpt["speaker"], excerpt["start"], excerpt["end"]) == (
        "c",
        "Michael",
        2.5,
        6.6,
    )
    assert [part["segment_id"] for part in excerpt["parts"]] == ["b", "c"]
    # Another hit in the same turn adds nothing twice: one excerpt, the first hit's.
    both = excerpts.turn_excerpts([hit_of(LEASE_TALK, 2), hit_of(LEASE_TALK, 1)])
    assert [e["segment_id"] for e in both] == ["c"]


def test_a_turn_stops_at_another_speaker_a_long_pause_or_an_unknown_speaker():
    # "e" is Michael again, but after a 3 s pause: another turn.
    (excerpt,) = excerpts.turn_excerpts([hit_of(LEASE_TALK, 4)])
    assert excerpt["text"] == "And the parking?" and "parts" in excerpt
    unknown = [{**row, "speaker_id": None} for row in LEASE_TALK]
    (excerpt,) = excerpts.turn_excerpts([hit_of(unknown, 2)])
    assert excerpt["text"] == "Send me the lease draft by the end of the week."


def test_a_monologue_is_cut_to_the_words_around_the_hit():
    long_turn = [said(f"m{i}", i * 2.2, "Tom", f"Sentence {i} " + "word " * 18) for i in range(8)]
    (excerpt,) = excerpts.turn_excerpts([hit_of(long_turn, 5)])
    assert len(excerpt["text"].split()) <= excerpts.MAX_TURN_WORDS
    kept = [part["segment_id"] for part in excerpt["parts"]]
    assert "m5" in kept and len(kept) == 3 and kept == sorted(kept)


def test_a_question_asked_in_a_meeting_brings_the_turn_that_answered_it():
    talk = [
        said("q1", 0.0, "Sarah", "What about training?"),
        said("q2", 2.1, "Sarah", "Can we still do the team workshop?"),
        said("r1", 4.5, "Michael", "Yes, keep the workshop."),
        said("r2", 6.6, "Michael", "But cap it at three thousand."),
        said("n", 9.0, "Sarah", "Fine."),
    ]
    merged = excerpts.turn_excerpts([hit_of(talk, 0)])
    assert [e["text"] for e in merged] == [
        "What about training? Can we still do the team workshop?",
        "Yes, keep the workshop. But cap it at three thousand.",
    ]
    reply = merged[1]
    assert (reply["segment_id"], reply["reply_to"], reply["speaker"]) == ("r1", "q1", "Michael")
    # The reply found by the search itself is not repeated, and a full prompt keeps a question's reply.
    assert [e["segment_id"] for e in excerpts.turn_excerpts([hit_of(talk, 3), hit_of(talk, 1)])] == [
        "r2",
        "q2",
    ]
    crowded = excerpts.turn_excerpts([hit_of(talk, 0), hit_of(LEASE_TALK, 2)], limit=2)
    assert [e["segment_id"] for e in crowded] == ["q1", "r1"]


def test_a_turn_is_cited_at_the_sentence_that_holds_the_fact():
    (excerpt,) = excerpts.turn_excerpts([hit_of(LEASE_TALK, 1)])
    question = "What does Michael want James to send him?"
    (cited,) = prompts.citations_for("Michael wants the lease draft [1].", [excerpt], question)
    assert (cited["segment_id"], cited["start"], cited["inferred"]) == ("c", 4.6, False)
    assert cited["text"] == "Send me the lease draft by the end of the week."
    # Without the fact's words, the citation is the segment the search found.
    (cited,) = prompts.citations_for("He asked for it [1].", [excerpt], question)
    assert cited["segment_id"] == "b"


def test_a_one_word_answer_without_a_marker_cites_the_one_excerpt_that_holds_it():
    hits = [
        {**HITS[0], "segment_id": "a", "text": "Can I go to the database conference in Berlin in November?"},
        {**HITS[1], "segment_id": "b", "text": "Yes, the budget should cover it."},
    ]
    cited = prompts.citations_for("Berlin", hits, "Which city's conference came up?")
    assert [(c["segment_id"], c["inferred"]) for c in cited] == [("a", True)]
    # Words two excerpts share point at neither.
    other = {**hits[1], "text": "We fly out for the trade fair in November with the whole team."}
    assert prompts.citations_for("November", [hits[0], other], "When?") == []


def test_the_prompt_numbers_excerpts_before_the_last_question():
    conversation = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "when is the report due?"},
    ]
    messages = prompts.build_messages(conversation, HITS[:2], UTC, HITS[0]["recorded_at"])
    assert messages[0]["role"] == "system" and "[2]" in messages[0]["content"]
    # The worked examples come first (a fixed prefix the model's cache keeps), then the conversation.
    examples = len(prompts.EXAMPLES)
    assert messages[1 : 1 + examples] == prompts.EXAMPLES
    assert messages[1 + examples : 3 + examples] == conversation[:2]
    last = messages[-1]["content"]
    day = datetime.fromtimestamp(HITS[0]["recorded_at"], UTC).strftime("%-d %b")
    assert f"[1] Speaker 1, Rec 0, {day}: {HITS[0]['text']}\n[2] Speaker 1, Rec 1, " in last
    assert last.index("[2]") < last.index("when is")
    assert prompts.build_messages(conversation, None)[1:] == conversation


def test_excerpts_are_dated_as_the_asker_would_write_the_day():
    """In the asker's zone, and with a year only when it is not this year's."""
    said = datetime(2026, 11, 30, 23, 30, tzinfo=UTC).timestamp()
    hit = {**HITS[0], "recorded_at": said, "start": 0.0}
    asked = datetime(2026, 12, 6, 12, 0, tzinfo=UTC).timestamp()
    assert "Rec 0, 30 Nov: " in prompts.memory_block([hit], UTC, asked)
    # Half past eleven at night in London is already the next morning in Tokyo.
    assert "Rec 0, 1 Dec: " in prompts.memory_block([hit], ZoneInfo("Asia/Tokyo"), asked)
    next_year = datetime(2027, 1, 4, 9, 0, tzinfo=UTC).timestamp()
    assert "Rec 0, 30 Nov 2026: " in prompts.memory_block([hit], UTC, next_year)


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
    from app.question_scope import named_recording

    assert named_recording(question, TITLES) == recording_id


def test_a_speaker_is_named_as_a_whole_word_longest_first():
    from app.question_scope import named_voice

    voices = [{"id": "a", "name": "Ann"}, {"id": "b", "name": "Ann Lee"}, {"id": "c", "name": "Ken"}]
    assert named_voice("What did Ann Lee say?", voices)["id"] == "b"
    assert named_voice("What did Kenneth say?", voices) is None
    assert named_voice("what did ken say", voices)["id"] == "c"


def test_filters_that_leave_nothing_are_dropped_speaker_first():
    from tasks.chat import attempts

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


def test_a_cited_question_gives_way_to_the_reply_that_answered_it():
    talk = [
        said("q", 0.0, "Sarah", "How many interview rounds are we planning?"),
        said("r", 2.5, "Laura", "For rounds, with the take home exercise as the second one."),
        said("x", 40.0, "Michael", "Good Sarah, send me the contractor plan by Friday."),
    ]
    hits = [*excerpts.turn_excerpts([hit_of(talk, 0)]), {**hit_of(talk, 2), "parts": None}]
    question = "How many interview rounds were planned?"
    # The name of who the answer says spoke is not a fact of the answer: "Sarah" does not pull the
    # citation to Michael's line that happens to hold the word.
    (cited,) = prompts.citations_for("Sarah said we planned four interview rounds [1].", hits, question)
    assert (cited["segment_id"], cited["speaker"], cited["inferred"]) == ("r", "Laura", True)
    # A reply that holds fewer of the answer's words than the question leaves the citation where it is.
    (cited,) = prompts.citations_for("Sarah asked how many rounds we are planning [1].", hits[:2], "What?")
    assert cited["segment_id"] == "q"


def test_an_answer_names_the_speaker_of_the_moment_it_cites():
    hits = [
        {**HITS[0], "segment_id": "a", "speaker": "Grace", "text": "It's a sprained ligament in his leg."},
        {**HITS[1], "segment_id": "b", "speaker": "David", "text": "Why is he limping?"},
    ]
    answer = "David said it's a sprained ligament [1]."
    cited = prompts.citations_for(answer, hits, "What is wrong with Biscuit's leg?")
    assert prompts.with_cited_speaker(answer, hits, cited) == "Grace said it's a sprained ligament [1]."
    # Right already, no name, or a name that is nobody in the excerpts: unchanged.
    assert prompts.with_cited_speaker("Grace said it's a sprain [1].", hits, cited) is None
    assert prompts.with_cited_speaker("It's a sprained ligament [1].", hits, cited) is None
    assert prompts.with_cited_speaker("Mark said he'd take him [1].", hits, cited) is None
    assert prompts.with_cited_speaker(answer, hits, []) is None
    # Asked who, the name may be the answer itself.
    assert prompts.with_cited_speaker(answer, hits, cited, "Who diagnosed the sprain?") is None
