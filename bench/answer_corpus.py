"""Scripted meetings and questions about them, with exact ground truth, for `bench/answers.py`.

The meetings are rendered with Kokoro voices (one voice a person), uploaded with their `recorded_at` and
go through the real pipeline, so every choice here is about what a transcript and an assistant will face:

- Text is written for speech: numbers in words ("ninety two thousand"), no digits, symbols or
  abbreviations, one or two sentences a turn, first names Whisper tiny.en spells reliably. Speakers never
  take two turns in a row, so every line is one diarized turn.
- Work and family meetings are mixed and spread over seven weeks, and the same topic comes back with other
  values at other times or from other people (the contractor budget was fifty thousand five weeks ago and
  is sixty thousand this morning; Nina said the launch was on the tenth of June, Tom later moved it to the
  twenty fourth). Questions scoped by speaker, time or recording only have one right answer when the scope
  is applied; without it they meet a confuser.
- Every answerable question has one line that holds its answer (a citation must overlap it and name its
  speaker), and key facts short enough to check by substring, each with the spellings an answer may use.
  `check()` asserts that the facts are in that line and in no other line of the same meeting.
- Kinds: "named" shares words with its line (lexical search finds it); "paraphrase" shares no content word
  (only meaning finds it); "speaker", "time" and "recording" need the scope; "reply" is answered by the turn
  after a question asked in the meeting (the question line alone does not hold the fact); "unanswerable"
  asks what no line says, some of them near misses (the wedding is discussed, its date never).
- Time questions use phrases whose window holds the meeting on any day of the week and month
  (`app/time_phrases.py`): "this morning", "this afternoon", "yesterday", "N days ago" (that one day),
  "last week" only for a meeting seven days ago, and "N weeks ago" only for a meeting exactly 7N days ago;
  "last month" depends on the date, so it is not used. Each names a conversation ("said", "discussed",
  "agree", "hear") so the phrase says when it was said, not when the event happened. Questions name no
  enrolled person other than the one who said the answer (a name in a question filters by speaker).

The data is in two modules, the meetings in `bench/answer_meetings.py` and the questions in
`bench/answer_questions.py`; this one gives their names from one place and checks the whole (`check()`, run
when this module is run).
"""

from __future__ import annotations

import re
from collections import Counter

# Line, Meeting and Question too, for the benches that import them from here.
from bench.answer_meetings import MEETING_BY_KEY, MEETINGS, PEOPLE
from bench.answer_meetings import Line as Line
from bench.answer_meetings import Meeting as Meeting
from bench.answer_questions import KINDS, QUESTIONS
from bench.answer_questions import Question as Question

MINIMUM = {
    "named": 35,
    "paraphrase": 25,
    "speaker": 15,
    "time": 12,
    "recording": 10,
    "reply": 12,
    "unanswerable": 20,
}


# Words too common to count as shared content between a paraphrase and its line.
_STOPWORD_TEXT = (
    "about after again also been before being could does doing from have having here into just like "
    "many more most much only other over should some than that their them then there these they this those "
    "very were what when where which while whom will with would your going said says tell"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _stems(text: str) -> set[str]:
    """Content words as a crude stem: lowercase alphabetic tokens of 4+ letters, first 5 characters."""
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4 and w not in _STOPWORDS}


def _shared(a: str, b: str) -> set[str]:
    """Stems of `a` that match one of `b` (a shorter stem matches a longer one it begins: year, years)."""
    theirs = _stems(b)
    return {s for s in _stems(a) if any(s.startswith(t) or t.startswith(s) for t in theirs)}


def _holds(text: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(alt in text.lower() for alt in alts) for alts in facts)


def counts() -> dict[str, int]:
    found = Counter(q.kind for q in QUESTIONS)
    return {kind: found[kind] for kind in KINDS}


def check() -> None:
    """Assert the corpus is consistent: people, turns, spoken text, and every question's ground truth."""
    assert len(PEOPLE) in range(8, 11) and len(set(PEOPLE.values())) == len(PEOPLE)
    assert set(PEOPLE.values()) <= {
        "af_sarah", "af_nicole", "af_bella", "af_jessica", "af_heart", "am_adam", "am_michael", "am_eric",
        "am_liam", "am_puck", "bf_emma", "bf_isabella", "bm_george", "bm_lewis", "bm_daniel",
    }  # fmt: skip
    assert len(MEETINGS) >= 12 and len(MEETING_BY_KEY) == len(MEETINGS)
    for meeting in MEETINGS:
        where = meeting.key
        assert 2 <= len(meeting.people) <= 4 and set(meeting.people) <= set(PEOPLE), where
        assert 12 <= len(meeting.lines) <= 18, where
        assert 8 <= meeting.hour <= 18 and meeting.days_ago >= 0, where
        assert {line.speaker for line in meeting.lines} == set(meeting.people), where
        for n, line in enumerate(meeting.lines):
            assert re.fullmatch(r"[A-Za-z][A-Za-z ,.?'!]*[.?!]", line.text), (where, n, line.text)
            assert 3 <= len(line.text.split()) <= 30, (where, n)
            if n:
                assert line.speaker != meeting.lines[n - 1].speaker, (where, n)
    for kind, least in MINIMUM.items():
        assert counts()[kind] >= least, (kind, counts()[kind])
    assert len({q.text for q in QUESTIONS}) == len(QUESTIONS), "a question is asked twice"
    for q in QUESTIONS:
        assert q.kind in KINDS, q.text
        if q.kind == "unanswerable":
            assert q.meeting is None and q.line is None and q.speaker is None and not q.facts, q.text
            continue
        assert q.meeting in MEETING_BY_KEY and q.line is not None, q.text
        lines = MEETING_BY_KEY[q.meeting].lines
        assert 0 <= q.line < len(lines), q.text
        target = lines[q.line]
        assert q.speaker == target.speaker, q.text
        assert q.facts and all(alts and all(a == a.lower() for a in alts) for alts in q.facts), q.text
        assert _holds(target.text, q.facts), (q.text, target.text)
        others = [n for n, line in enumerate(lines) if n != q.line and _holds(line.text, q.facts)]
        assert not others, (q.text, "also in lines", others)
        if q.kind == "paraphrase":
            assert not _shared(q.text, target.text), (q.text, _shared(q.text, target.text))
        if q.kind == "reply":
            assert q.line > 0 and "?" in lines[q.line - 1].text, q.text
        # A question that names an enrolled person is scoped to them (the longest name, as the assistant
        # reads it): it must be the one who said the line.
        named = sorted((p for p in PEOPLE if re.search(rf"\b{p}\b", q.text)), key=lambda p: -len(p))
        assert not named or named[0] == q.speaker, (q.text, named)


if __name__ == "__main__":
    check()
    lines = sum(len(m.lines) for m in MEETINGS)
    words = sum(len(line.text.split()) for m in MEETINGS for line in m.lines)
    print(counts(), f"total {len(QUESTIONS)} questions")
    print(f"{len(MEETINGS)} meetings, {lines} lines, {words} words (about {words / 150:.0f} min of speech)")
