"""The assistant's memory excerpts: each search hit read as the speaker said it, with the reply it got.

A transcript is cut after every sentence, so a search hit is often one sentence of a longer turn: "Send me
the lease draft by the end of the week." without the "Okay, James." before it, "I'd like to mentor
someone." without the "Maybe the new hire." after it, "I prefer the old mill on Canal Road." without the
reasons that follow. A small model answers from what the excerpt says, so an excerpt is the speaker's
whole turn around the hit (their consecutive segments, with pauses under TURN_GAP_SECONDS), and a turn
that ends in a question brings the next speaker's turn, which is where its answer is. Hits in one turn
make one excerpt, which leaves room for another.

Each excerpt keeps its turn's parts (segment, times, text), so a citation can point at the sentence that
holds the fact rather than at the start of a long turn, and its `rank` (1 for the best hit).

The prompt lists the best excerpt last, right before the question: the 1.5B model picks the excerpt it
answers from far better that way (bench/answers, all 177 questions: 115 strict answers against 107 with
the best first), as small models attend most to what they read last.
"""

from __future__ import annotations

from typing import Any

# Pauses up to this long inside one speaker's run of segments still make one turn.
TURN_GAP_SECONDS = 2.0
# A turn longer than this (a monologue) is cut to the words around the hit: every word of an excerpt is
# read by the model before it says its first word.
MAX_TURN_WORDS = 60
# At most this many excerpts reach the prompt, replies included.
MAX_EXCERPTS = 8

Part = dict[str, Any]


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?")


def _words(parts: list[Part]) -> int:
    return sum(len(part["text"].split()) for part in parts)


def _continues(turn: list[Part], segment: Part, after: bool) -> bool:
    """Whether `segment` is the same speaker going on (after the turn, or before it) without a long pause.
    An unknown speaker never continues a turn: two people may stand behind it."""
    edge = turn[-1] if after else turn[0]
    if segment.get("speaker_id") is None or segment.get("speaker_id") != edge.get("speaker_id"):
        return False
    gap = segment["start"] - edge["end"] if after else edge["start"] - segment["end"]
    return gap <= TURN_GAP_SECONDS


def turn_around(hit_part: Part, before: list[Part], after: list[Part]) -> tuple[list[Part], list[Part]]:
    """The turn the hit belongs to (its parts in time order) and what follows the turn. `before` and
    `after` are the hit's neighbours in the recording, in time order. The turn grows a segment at a time on
    either side, nearest first, until its speaker stops or it holds MAX_TURN_WORDS."""
    turn = [hit_part]
    earlier, later = list(reversed(before)), list(after)
    grew = True
    while grew:
        grew = False
        for side_after, side in ((False, earlier), (True, later)):
            if side and _continues(turn, side[0], side_after):
                if _words(turn) + len(side[0]["text"].split()) > MAX_TURN_WORDS:
                    continue
                segment = side.pop(0)
                turn = [*turn, segment] if side_after else [segment, *turn]
                grew = True
    # What follows the turn starts where its growth stopped (a monologue cut short is not a reply).
    following = later if not later or not _continues(turn, later[0], True) else []
    return turn, following


def _part(row: dict[str, Any], segment_id_key: str = "id") -> Part:
    return {
        "segment_id": row[segment_id_key],
        "start": row["start"],
        "end": row["end"],
        "text": row["text"],
        "speaker": row.get("speaker"),
        "speaker_id": row.get("speaker_id"),
    }


def _excerpt(hit: dict[str, Any], parts: list[Part], segment_id: str) -> dict[str, Any]:
    """An excerpt shaped like a search hit of the same recording (what prompts and citations read)."""
    return {
        **{key: hit[key] for key in ("recording_id", "recording_title", "recorded_at")},
        "segment_id": segment_id,
        "start": parts[0]["start"],
        "end": parts[-1]["end"],
        "speaker": parts[0]["speaker"],
        "speaker_id": parts[0]["speaker_id"],
        "text": " ".join(part["text"].strip() for part in parts),
        "parts": [{key: part[key] for key in ("segment_id", "start", "end", "text")} for part in parts],
        "similarity": hit.get("similarity"),
    }


def turn_excerpts(hits: list[dict[str, Any]], limit: int = MAX_EXCERPTS) -> list[dict[str, Any]]:
    """The search hits (best first, each with `context_before` / `context_after` neighbours) as turn
    excerpts, each question turn followed by its reply turn. No segment appears twice; when they do not
    all fit, the weakest plain excerpts go first (a question keeps its reply)."""
    taken: set[str] = set()
    merged: list[dict[str, Any]] = []
    for hit in hits:
        if hit["segment_id"] in taken:
            continue
        own = _part(hit, "segment_id")
        before = [_part(row) for row in hit.get("context_before") or []]
        after = [_part(row) for row in hit.get("context_after") or []]
        turn, following = turn_around(own, before, after)
        turn = [part for part in turn if part["segment_id"] not in taken]
        taken.update(part["segment_id"] for part in turn)
        merged.append(_excerpt(hit, turn, hit["segment_id"]))
        if is_question(turn[-1]["text"]) and following and following[0]["segment_id"] not in taken:
            reply, _rest = turn_around(following[0], [], following[1:])
            reply = [part for part in reply if part["segment_id"] not in taken]
            taken.update(part["segment_id"] for part in reply)
            answer = _excerpt(hit, reply, reply[0]["segment_id"])
            merged.append({**answer, "similarity": None, "reply_to": hit["segment_id"]})
    paired = {e["reply_to"] for e in merged if "reply_to" in e}
    while len(merged) > limit:
        plain = [n for n, e in enumerate(merged) if "reply_to" not in e and e["segment_id"] not in paired]
        del merged[plain[-1] if plain else -1]
    return [{**excerpt, "rank": n} for n, excerpt in enumerate(merged, 1)]


def nearest_last(ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Excerpts in rank order (best first) listed best last, each reply still right after its question."""
    groups: list[list[dict[str, Any]]] = []
    for excerpt in ranked:
        if "reply_to" in excerpt and groups:
            groups[-1].append(excerpt)
        else:
            groups.append([excerpt])
    return [excerpt for group in reversed(groups) for excerpt in group]


def without_weakest(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The excerpts without the one of the worst rank, whatever the order they are listed in."""
    weakest = max(range(len(listed)), key=lambda n: listed[n].get("rank", n))
    return listed[:weakest] + listed[weakest + 1 :]
