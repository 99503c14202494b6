"""Pure logic of the assistant's reading of its memory: search hits grouped into turn excerpts, answers'
citations mapped to the moments that hold them, prompts built, summaries parsed. No model, no services.
Apart from tests/test_assistant_logic.py (time phrases, request checks, question scope, answer checks)
because these all work on the same made-up hits and conversations."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from workers import excerpts, prompts

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
