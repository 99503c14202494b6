"""Voice action patterns: what they match in what was said, the slots they take, and the patterns refused."""

from __future__ import annotations

import pytest

from app.voice_intents import compile_pattern, fill, match


@pytest.mark.parametrize(
    ("pattern", "said", "slots"),
    [
        (
            "remind me to {task}",
            "Okay. Remind me to call the plumber tomorrow morning. Thanks!",
            {"task": "call the plumber tomorrow morning"},
        ),
        (
            "hey nemo turn on the {room} light",
            "Hey, Nemo, turn on the living room light please.",
            {"room": "living room"},
        ),
        (
            "turn {state} the {room} lights",
            "Could you turn off the kitchen lights?",
            {"state": "off", "room": "kitchen"},
        ),
        ("start the timer", "START the timer", {}),
    ],
)
def test_a_pattern_takes_its_slots_from_the_sentence_that_holds_it(pattern, said, slots):
    assert match(compile_pattern(pattern), said) == slots


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("remind me to {task}", "Don't remind me."),
        ("turn on the {room} light", "Turn on the light."),  # a slot takes at least one word
        ("start the timer", "restart the timers"),  # whole words only
        ("remind me to {task}", "Remind me. To do it."),  # not across sentences
    ],
)
def test_near_misses_do_not_fire(pattern, said):
    assert match(compile_pattern(pattern), said) is None


@pytest.mark.parametrize("pattern", ["", "   ", "{room}", "turn {a} on {a}", "turn on {room-1}", "x" * 201])
def test_bad_patterns_are_refused(pattern):
    with pytest.raises(ValueError):
        compile_pattern(pattern)


def test_slots_fill_the_action_data_wherever_they_are_named():
    data = {"entity_id": "light.{room}", "brightness": 80, "tags": ["{room}", "{unknown}"]}
    assert fill(data, {"room": "kitchen"}) == {
        "entity_id": "light.kitchen",
        "brightness": 80,
        "tags": ["kitchen", "{unknown}"],
    }
