"""Voice action rules: a phrase pattern with slots ("remind me to {task}", "hey nemo turn on the {room}
light") matched in what was said, and the slots filled into an action's data.

Matching is on words: case, punctuation and extra spaces are ignored, so "Hey Nemo, turn on the kitchen
light." matches "hey nemo turn on the {room} light" with room = "kitchen". A slot takes at least one word;
one at the end of a pattern takes the rest of the sentence. The pattern may sit anywhere in the text
("okay, remind me to call the plumber" fires), so a wake phrase is simply a pattern's first words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PUNCTUATION = re.compile(r"[^\w'{}\s]+")
_SLOT = re.compile(r"\{([a-z_][a-z0-9_]{0,29})\}")
PATTERN_MAX = 200
SENTENCE_END = re.compile(r"[.!?]+")


def words_of(text: str) -> str:
    """Lower-case words separated by single spaces (slot braces kept, for patterns)."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class Intent:
    pattern: str
    regex: re.Pattern[str]
    slots: tuple[str, ...]


def compile_pattern(pattern: str) -> Intent:
    """The pattern as a regex over `words_of` text; ValueError for an empty, too long or malformed one."""
    normal = words_of(pattern)
    if not normal or len(pattern) > PATTERN_MAX:
        raise ValueError(f"a pattern is 1-{PATTERN_MAX} characters of words and {{slot}} names")
    parts, slots, at = [], [], 0
    for match in _SLOT.finditer(normal):
        fixed = normal[at : match.start()].strip()
        if fixed:
            parts.append(re.escape(fixed))
        name = match.group(1)
        if name in slots:
            raise ValueError(f"the slot {{{name}}} appears twice")
        slots.append(name)
        last = match.end() == len(normal)
        parts.append(f"(?P<{name}>[\\w' ]+)" if last else f"(?P<{name}>[\\w']+(?: [\\w']+)*?)")
        at = match.end()
    tail = normal[at:].strip()
    if tail:
        parts.append(re.escape(tail))
    leftover = _SLOT.sub("", normal)
    if "{" in leftover or "}" in leftover:
        raise ValueError("slot names are letters, digits and underscores in braces, e.g. {room}")
    if not any(not p.startswith("(?P<") for p in parts):
        raise ValueError("a pattern needs at least one word besides its slots")
    return Intent(pattern, re.compile(r"(?:^| )" + " ".join(parts) + r"(?= |$)"), tuple(slots))


def match(intent: Intent, text: str) -> dict[str, str] | None:
    """The slots of the first sentence of `text` that holds the pattern, or None."""
    for sentence in SENTENCE_END.split(text):
        found = intent.regex.search(words_of(sentence))
        if found:
            return {name: found.group(name).strip() for name in intent.slots}
    return None


def fill(template: Any, slots: dict[str, str]) -> Any:
    """`template` (JSON: objects, lists, strings) with each "{slot}" in its strings replaced."""
    if isinstance(template, str):
        return _SLOT.sub(lambda m: slots.get(m.group(1), m.group(0)), template)
    if isinstance(template, list):
        return [fill(item, slots) for item in template]
    if isinstance(template, dict):
        return {key: fill(value, slots) for key, value in template.items()}
    return template
