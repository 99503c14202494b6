"""Explicit emotion words and their negation: the pure rules beside the classifier."""

from __future__ import annotations

import numpy as np
import pytest

from models.labels import EMOTIONS
from workers.emotion import decide
from workers.emotion_cues import cue_features, find_cues, stated_emotion


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("The server migration failed again and I am really angry about it.", "anger"),
        ("I'm absolutely terrified of the results.", "fear"),
        ("This is disgusting.", "disgust"),
        ("Wow, I can't believe she quit!", "surprise"),
        ("I'm not happy about this.", None),  # negated
        ("The survey asks how angry customers were.", None),  # mentioned, not stated
        ("I was happy at first, but now I'm worried.", None),  # two feelings: the classifier decides
    ],
)
def test_a_feeling_stated_outright_is_found_and_negation_cancels_it(text, stated):
    assert stated_emotion(text) == stated


def test_negated_cues_count_apart_from_plain_ones():
    row = cue_features(["I'm not happy, honestly I'm furious."])[0]
    joy, anger = EMOTIONS.index("joy"), EMOTIONS.index("anger")
    assert row[anger] == 1 and row[joy] == 0 and row[len(EMOTIONS) + joy] == 1
    assert ("surprise", False, True) in find_cues("I can't believe it")  # "can't" is part of the cue


def test_a_stated_feeling_wins_and_an_unsure_one_is_neutral():
    sad = np.eye(len(EMOTIONS))[EMOTIONS.index("sadness")] * 0.59 + 0.41 / len(EMOTIONS)
    angry = decide(["The migration failed again and I am really angry about it."], np.array([sad]))[0]
    assert angry.emotion == "anger" and angry.confidence >= 0.7
    flat = np.full(len(EMOTIONS), 1 / len(EMOTIONS))
    unsure = decide(["Right."], np.array([flat]))[0]
    assert unsure.emotion == "neutral" and unsure.confidence == pytest.approx(1 / len(EMOTIONS), abs=1e-3)
