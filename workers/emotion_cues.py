"""Explicit emotion words in a sentence, with their negation: features for the classifier and the rule that
an explicit statement wins.

A sentence vector blurs what a reader sees at once: "I am really angry about it" is anger whatever the
topic, and "I'm not happy with this" is not joy though it says "happy". So the words that name a feeling
are found here, each marked negated when a negator stands within three words before it; their counts
join the sentence vector as features, and a clear first-person statement of one feeling ("I'm furious",
"this is disgusting", "I can't believe it") that nothing negates decides the label outright.
"""

from __future__ import annotations

import re

import numpy as np

from models.labels import EMOTIONS

# Words and short phrases that name or plainly show a feeling. Phrases are matched as written (lowercase,
# apostrophes straight); single words also match their -s/-ed/-ing forms through the stems listed.
CUES: dict[str, tuple[str, ...]] = {
    "anger": (
        "angry", "anger", "angrier", "furious", "livid", "mad at", "so mad", "annoyed", "annoying",
        "irritated", "irritating", "frustrated", "frustrating", "frustration", "pissed", "outraged",
        "outrageous", "infuriating", "infuriated", "fed up", "sick of", "sick and tired", "hate", "hated",
        "ridiculous", "unacceptable", "enraged", "fuming", "seething", "resent", "how dare", "fury",
    ),
    "disgust": (
        "disgusting", "disgusted", "disgust", "gross", "revolting", "repulsive", "nauseating", "vile",
        "filthy", "sickening", "yuck", "ew", "eww", "nasty", "repugnant", "makes me sick", "made me sick",
        "stomach turn", "grossed out", "rancid", "slimy", "reeks", "stinks",
    ),
    "fear": (
        "afraid", "scared", "frightened", "terrified", "terrifying", "worried", "worry", "worrying",
        "nervous", "anxious", "anxiety", "panic", "panicking", "dread", "dreading", "fear", "fearful",
        "scary", "freaking out", "frightening", "petrified", "uneasy",
    ),
    "joy": (
        "happy", "glad", "thrilled", "delighted", "excited", "exciting", "wonderful", "great news",
        "fantastic", "proud", "relieved", "grateful", "thankful", "yay", "awesome", "overjoyed",
        "ecstatic", "pleased", "lovely", "love it", "so good", "best day", "can't wait", "cannot wait",
    ),
    "sadness": (
        "sad", "sadly", "unhappy", "depressed", "heartbroken", "devastated", "miserable", "lonely",
        "grief", "grieving", "crying", "cried", "in tears", "disappointed", "disappointing", "gutted",
        "i miss", "we miss", "miss her", "miss him", "heartbreaking", "broke my heart", "passed away",
    ),
    "surprise": (
        "surprised", "surprising", "surprise", "shocked", "shocking", "astonished", "astonishing",
        "stunned", "unexpected", "unexpectedly", "can't believe", "cannot believe", "couldn't believe",
        "no way", "wow", "whoa", "unbelievable", "out of nowhere", "didn't expect", "never expected",
        "didn't see that coming", "who knew", "speechless",
    ),
}  # fmt: skip
_NEGATOR_TEXT = "not no never n't hardly barely without nobody nothing neither nor"
NEGATORS = frozenset(_NEGATOR_TEXT.split())
# A first-person (or "this is/makes me") frame within four words before a cue: the sentence states the
# feeling rather than mentioning it ("the survey asks how angry customers were").
_STATEMENT = re.compile(
    r"\b(i|i'm|im|i am|i feel|i felt|i was|we|we're|we are|we were|makes me|made me|this is|that's|that is|"
    r"it's|it is|so|really|absolutely|totally|utterly|honestly)\b"
)
# Cue phrases that are already negative in form; they are not flipped by their own "n't".
_SELF_NEGATED = ("can't believe", "cannot believe", "couldn't believe", "didn't expect", "can't wait",
                 "cannot wait", "didn't see that coming", "no way", "never expected")  # fmt: skip
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
FEATURES = 2 * len(EMOTIONS)


def _normalise(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def _patterns() -> dict[str, re.Pattern]:
    patterns = {}
    for emotion, cues in CUES.items():
        longest_first = sorted(cues, key=len, reverse=True)
        patterns[emotion] = re.compile(r"\b(" + "|".join(re.escape(cue) for cue in longest_first) + r")\b")
    return patterns


_CUE_PATTERNS = _patterns()


def _negated(before: str, cue: str) -> bool:
    """A negator among the three words before the cue (or inside it, unless the cue is negative in form)."""
    words = _TOKEN.findall(before)[-3:]
    if cue in _SELF_NEGATED:
        return False
    return any(word in NEGATORS or word.endswith("n't") for word in words)


def find_cues(text: str) -> list[tuple[str, bool, bool]]:
    """(emotion, negated, stated) for each cue in the text, in order."""
    lowered = _normalise(text)
    found = []
    for emotion, pattern in _CUE_PATTERNS.items():
        for match in pattern.finditer(lowered):
            before = lowered[max(0, match.start() - 40) : match.start()]
            negated = _negated(before, match.group(1))
            stated = bool(_STATEMENT.search(" ".join(_TOKEN.findall(before)[-4:])))
            found.append((emotion, negated, stated))
    return found


def cue_features(texts: list[str]) -> np.ndarray:
    """Per text: how many cues of each emotion, then how many negated ones (2 x 7 columns)."""
    rows = np.zeros((len(texts), FEATURES), dtype=np.float32)
    for row, text in enumerate(texts):
        for emotion, negated, _stated in find_cues(text):
            rows[row, EMOTIONS.index(emotion) + (len(EMOTIONS) if negated else 0)] += 1.0
    return rows


def stated_emotion(text: str) -> str | None:
    """The one feeling the sentence states outright, unnegated, with no negated or rival cue beside it."""
    cues = find_cues(text)
    stated = {emotion for emotion, negated, is_stated in cues if is_stated and not negated}
    if len(stated) != 1 or any(negated for _e, negated, _s in cues):
        return None
    (emotion,) = stated
    if any(other != emotion for other, _n, _s in cues):
        return None
    return emotion
