"""Who and which recording a question names, turned into search filters by the assistant, and the order
in which those filters are given up when they leave nothing.

"What did Sarah say about the deadline?" names an enrolled speaker; "In the hiring sync, what fee did the
agency charge?" names a recording by its title. Both narrow the memory search; the assistant drops either
again when it leaves nothing (a name may be the topic, not the speaker). Pure functions over the user's
names and titles, so the rules are tested without a store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+")
# Words a title shares with any question: they say nothing about which recording is meant.
_TITLE_STOPWORD_TEXT = (
    "a an the and or of to in on at for with about from by my our your call meeting recording chat talk "
    "notes session"
)
_TITLE_STOPWORDS = frozenset(_TITLE_STOPWORD_TEXT.split())
# A title must name at least this many words of its own to be recognised in a question.
MIN_TITLE_WORDS = 2


def _words(text: str) -> list[str]:
    """Lowercase words with possessives folded ("Mom's" -> "mom")."""
    return _WORD.findall(re.sub(r"['\u2019]s\b", "", text.lower()))


def named_voice(question: str, voices: Iterable[dict]) -> dict | None:
    """The enrolled voice the question names as a whole word, the longest name first."""
    for voice in sorted(voices, key=lambda v: -len(v["name"])):
        if re.search(rf"\b{re.escape(voice['name'])}\b", question, re.IGNORECASE):
            return voice
    return None


def named_recording(question: str, recordings: Iterable[tuple[str, str]]) -> str | None:
    """The id of the recording whose title the question names: every telling word of the title is in the
    question (at least `MIN_TITLE_WORDS` of them). The title with most words wins; a tie names none."""
    asked = set(_words(question))
    best: list[tuple[int, str]] = []
    for recording_id, title in recordings:
        telling = {w for w in _words(title or "") if w not in _TITLE_STOPWORDS}
        if len(telling) >= MIN_TITLE_WORDS and telling <= asked:
            best.append((len(telling), recording_id))
    if not best:
        return None
    best.sort(reverse=True)
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]


def attempts(active: list[str]) -> list[frozenset[str]]:
    """The sets of filters to try, most first; among sets of one size the speaker goes first, then the
    recording, then the time window (the likeliest to be meant as said)."""
    keep = {"window": 0, "recording": 1, "speaker": 2}
    masks = range(1 << len(active))
    subsets = [frozenset(name for bit, name in enumerate(active) if mask >> bit & 1) for mask in masks]
    return sorted(subsets, key=lambda s: (-len(s), sorted(keep[n] for n in s)))
