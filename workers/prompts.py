"""What the assistant is told, and how its words are tied back to the moments they came from.

The prompt numbers each memory excerpt; the answer cites them as [n]; each [n] maps to one segment
(recording, start, end). Small models forget to cite, so an answer that cites nothing while clearly using an
excerpt gets that excerpt attributed by word overlap, marked `inferred` so nobody mistakes it for the model's
own citation.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from workers.excerpts import is_question

NOT_FOUND = "I could not find that in the recordings."
SYSTEM_PROMPT = (
    "You are Nemo, an assistant that answers questions about the user's recorded conversations from "
    "numbered excerpts of them. Answer in one short sentence of your own words, using only what the "
    "excerpts say, and put the number of the excerpt the fact comes from in square brackets, like [2]. "
    "If you say who said it, use the name on that excerpt. If no excerpt answers the question, reply "
    f"exactly: {NOT_FOUND}"
)
# Two worked examples after the instructions: small models copy an example's form far better than they
# follow a rule. They never change, so llama.cpp keeps them in its prompt cache: they cost no time.
EXAMPLES = [
    {
        "role": "user",
        "content": "Excerpts:\n"
        "[1] Ann, Weekly sync, 3 Mar: Did anyone fix the printer on the second floor?\n"
        "[2] Bob, Weekly sync, 3 Mar: Yes, the technician replaced the fuser on Monday.\n"
        "[3] Ann, Budget call, 1 Mar: The printer budget is two hundred dollars.\n"
        "Question: What was done about the printer?",
    },
    {"role": "assistant", "content": "Bob said the technician replaced its fuser on Monday [2]."},
    {
        "role": "user",
        "content": "Excerpts:\n"
        "[1] Ann, Offsite planning, 9 Mar: We moved the offsite to Lisbon.\n"
        "[2] Bob, Offsite planning, 9 Mar: The hotel is booked for three nights.\n"
        "Question: When is Ann's wedding?",
    },
    {"role": "assistant", "content": NOT_FOUND},
]
NO_MEMORY_PROMPT = "You are Nemo, a helpful assistant. Answer briefly."
SUMMARY_PROMPT = (
    "You summarise transcripts of conversations. Reply in exactly this format:\n"
    "Summary: <two or three sentences>\n"
    "Action items:\n- <who>: <task> (<when, if said>)\n"
    "List each task someone agreed or was asked to do, once, at most 10. "
    "If there are no action items, write 'Action items: none'."
)
COMBINE_PROMPT = (
    "These are summaries of consecutive parts of one conversation. Write one summary of the whole "
    "conversation in two or three sentences. Reply in exactly this format:\nSummary: <two or three sentences>"
)
# A summary lists at most this many action items: a person would not write more for one conversation.
MOST_ACTION_ITEMS = 10

_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"[a-z0-9']+")
_STOPWORD_TEXT = (
    "a an the and or but if of to in on at for from by with about as is are was were be been being it its "
    "this that these those i you he she we they me him her us them my your his our their what which who "
    "when where why how do does did done have has had not no yes so than then there here will would can "
    "could should may might must shall just also very too only into over under up down out off again"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def excerpt_day(at: float, zone: tzinfo, today: date) -> str:
    """The day an excerpt was said, in the asker's zone, written as people write dates: "30 Nov" this
    year, "30 Nov 2025" another. The worked examples carry no year either, and Qwen's tokenizer reads a
    year as five tokens, so eight excerpts dated this year save about forty tokens before the first word."""
    day = datetime.fromtimestamp(at, zone).date()
    return day.strftime("%-d %b" if day.year == today.year else "%-d %b %Y")


def memory_block(hits: list[dict[str, Any]], zone: tzinfo = UTC, now: float | None = None) -> str:
    """Each excerpt as `[n] speaker, recording, day: words`: the speaker first (small models attribute a
    line to the name nearest to it), and short, because every token of it is read before the first word of
    the answer."""
    today = datetime.fromtimestamp(time.time() if now is None else now, zone).date()
    lines = []
    for n, hit in enumerate(hits, 1):
        day = excerpt_day(hit["recorded_at"] + hit["start"], zone, today)
        speaker = hit.get("speaker") or "Unknown speaker"
        lines.append(f"[{n}] {speaker}, {hit['recording_title']}, {day}: {hit['text']}")
    return "Excerpts:\n" + "\n".join(lines)


def build_messages(
    conversation: list[dict[str, str]],
    hits: list[dict[str, Any]] | None,
    zone: tzinfo = UTC,
    now: float | None = None,
) -> list[dict[str, str]]:
    """The conversation with the system prompt first and, when memory is on, the excerpts in front of the
    last question (small models follow context best right before the question). Excerpts are dated in the
    asker's zone (`zone`), as the question's own time phrases are read."""
    turns = [m for m in conversation if m["role"] != "system"]
    own_system = [m["content"] for m in conversation if m["role"] == "system"]
    base = SYSTEM_PROMPT if hits is not None else NO_MEMORY_PROMPT
    system = "\n\n".join([base, *own_system])
    if hits is None:
        return [{"role": "system", "content": system}, *turns]
    question = turns[-1]["content"]
    content = f"{memory_block(hits, zone, now) if hits else 'Excerpts: none.'}\nQuestion: {question}"
    return [
        {"role": "system", "content": system},
        *EXAMPLES,
        *turns[:-1],
        {"role": "user", "content": content},
    ]


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2}


def citation(
    n: int, hit: dict[str, Any], inferred: bool, new_words: set[str] | None = None
) -> dict[str, Any]:
    """Excerpt `n` as a citation. An excerpt of several segments (a speaker's turn) is cited at the part
    that holds most of the answer's new words, so a click lands on the sentence that says it; without
    such words, at the segment the search found."""
    part = _part_holding(hit, new_words or set())
    return {
        "n": n,
        "segment_id": part["segment_id"],
        "recording_id": hit["recording_id"],
        "recording_title": hit["recording_title"],
        "start": part["start"],
        "end": part["end"],
        "speaker": hit.get("speaker"),
        "text": part["text"],
        "inferred": inferred,
    }


def source(n: int, hit: dict[str, Any]) -> dict[str, Any]:
    """Excerpt `n` as the prompt shows it (a speaker's whole turn), for the memory event: what the
    assistant was given to read, as opposed to what it cited, with its search rank (1 is the best: the
    prompt lists the best last)."""
    shown = {"start": hit["start"], "end": hit["end"], "text": hit["text"], "rank": hit.get("rank", n)}
    return {**citation(n, hit, inferred=False), **shown}


def _part_holding(hit: dict[str, Any], new_words: set[str]) -> dict[str, Any]:
    parts = hit.get("parts") or [hit]
    own = next((p for p in parts if p["segment_id"] == hit["segment_id"]), parts[0])
    held = [len(new_words & content_words(p["text"])) for p in parts]
    if max(held) == 0:
        return own
    return max(zip(parts, held, strict=True), key=lambda ph: (ph[1], ph[0] is own))[0]


def without_citations(answer: str) -> str:
    """The answer's words with its `[n]` marks taken out."""
    return _CITATION.sub(" ", answer)


def says_not_found(answer: str) -> bool:
    return NOT_FOUND.lower().rstrip(".") in answer.lower()


def cited_numbers(answer: str, count: int) -> list[int]:
    """Excerpt numbers the answer cites, in order of first mention; numbers with no excerpt are ignored."""
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if 1 <= n <= count and n not in seen:
                seen.append(n)
    return seen


def citations_for(answer: str, hits: list[dict[str, Any]], question: str = "") -> list[dict[str, Any]]:
    """The excerpts the answer cites, each checked against what the answer says that the question did not
    (its new words: the salary, the reason, the date; not the name of whoever it says said it). A cited
    excerpt holding none of them, next to one holding some, is the model's slip to a neighbour: the one
    that holds them is cited instead, marked `inferred` (the model did not pick it). A question asked in
    the meeting is not where its answer was said: a citation of one goes to the reply after it, unless the
    reply holds fewer of the new words. An answer that cites nothing gets the excerpts it evidently draws
    on, marked the same way; one that says it found nothing cites nothing."""
    if says_not_found(answer):
        return []
    _name, claim = attribution(without_citations(answer))
    new_words = content_words(claim) - content_words(question)
    held = [len(new_words & content_words(hit["text"])) for hit in hits]

    def answered_by(index: int) -> int:
        """The excerpt that answers excerpt `index` when it is a question with its reply in the prompt."""
        if not is_question(hits[index]["text"]):
            return index
        reply = next(
            (n for n, hit in enumerate(hits) if hit.get("reply_to") == hits[index]["segment_id"]), None
        )
        return index if reply is None or held[reply] < held[index] else reply

    numbers = cited_numbers(answer, len(hits))
    if numbers:
        cited: list[dict[str, Any]] = []
        for n in numbers:
            best = max(range(len(hits)), key=lambda i: (held[i], -abs(i - (n - 1))))
            index, inferred = (best, True) if held[n - 1] == 0 and held[best] > 0 else (n - 1, False)
            answering = answered_by(index)
            inferred = inferred or answering != index
            if all(c["n"] != answering + 1 for c in cited):
                cited.append(citation(answering + 1, hits[answering], inferred, new_words))
        return cited
    # No citation given: attribute the excerpts the answer evidently draws on (two shared content words, or
    # half of a short excerpt's), best first; failing that, the one excerpt that alone holds the most of
    # the answer's new words (a one-word answer such as "Berlin").
    said = content_words(answer)
    scored = []
    for n, hit in enumerate(hits, 1):
        words = content_words(hit["text"])
        shared = len(said & words)
        if shared >= 2 or (words and shared / len(words) >= 0.5):
            scored.append((shared, -n))
    scored.sort(reverse=True)
    if not scored and held and max(held) > 0 and held.count(max(held)) == 1:
        scored = [(max(held), -(held.index(max(held)) + 1))]
    chosen = list(dict.fromkeys(answered_by(-neg_n - 1) for _shared, neg_n in scored[:3]))
    return [citation(index + 1, hits[index], True, new_words) for index in chosen]


# "<Name> said ..." (or says, thinks, wants, ...): how small models open an answer about what someone said.
_ATTRIBUTION = re.compile(
    r"^(?P<lead>\s*)(?P<name>[A-Z][a-z]+(?: [A-Z][a-z]+)?)(?P<verb>\s+(?:said|says|mentioned|thinks|thought|"
    r"wants|wanted|suggested|asked|offered|agreed|explained|told|promised|decided|prefers|preferred)\b)"
)
_ASKS_WHO = re.compile(r"\b(who|whom|whose)\b", re.IGNORECASE)


def attribution(answer: str) -> tuple[str | None, str]:
    """(the name an answer opens with as who said it, the rest of the answer): "Grace said it is a sprain"
    -> ("Grace", "it is a sprain")."""
    match = _ATTRIBUTION.match(answer)
    if match is None:
        return None, answer
    return match.group("name"), answer[match.end() :]


def with_cited_speaker(
    answer: str, hits: list[dict[str, Any]], citations: list[dict[str, Any]], question: str = ""
) -> str | None:
    """The answer with its opening "<Name> said" naming the speaker of the moment it cites, when it names
    another speaker of the excerpts instead ("David said it's a sprain" over Grace's words); None when
    the answer needs no change. A name that is no speaker of the excerpts is left alone ("Mark said he'd
    take him" reports what someone said about Mark), and so is any name in the answer to a question
    asking who: there the name may be the answer ("James said he's ordering the laptops")."""
    match = _ATTRIBUTION.match(answer)
    if match is None or not citations or _ASKS_WHO.search(question):
        return None
    name, speaker = match.group("name"), citations[0].get("speaker")
    if not speaker or name == speaker or name not in {hit.get("speaker") for hit in hits}:
        return None
    return f"{match.group('lead')}{speaker}{match.group('verb')}{answer[match.end() :]}"


def transcript_text(segments: list[dict[str, Any]]) -> str:
    return "\n".join(f"{s.get('speaker') or 'Speaker'}: {s['text']}" for s in segments)


def summary_messages(transcript: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SUMMARY_PROMPT},
        {"role": "user", "content": f"Transcript:\n{transcript}"},
    ]


def combine_messages(part_summaries: list[str]) -> list[dict[str, str]]:
    parts = "\n".join(f"Part {n}: {summary}" for n, summary in enumerate(part_summaries, 1))
    return [{"role": "system", "content": COMBINE_PROMPT}, {"role": "user", "content": parts}]


def distinct_items(items: list[str], most: int = MOST_ACTION_ITEMS) -> list[str]:
    """Action items as a person would list them: each task once, at most `most`. Small models repeat a
    line many times, or say it again in other words; an item whose task's content words are mostly those
    of one already kept (Jaccard >= 0.6, or one holding all of the other's) is the same task."""
    kept: list[tuple[str, set[str]]] = []
    for item in items:
        words = content_words(item.split(":", 1)[-1])  # the task, whoever it is given to
        if not words:
            continue
        same = any(
            len(words & seen) >= 0.6 * len(words | seen) or words <= seen or seen <= words
            for _text, seen in kept
        )
        if not same:
            kept.append((item, words))
    return [text for text, _words in kept[:most]]


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
    return summary, distinct_items(items)
