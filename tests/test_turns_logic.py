"""Speaker turns with overlap (workers/turns.py): segmentation's local speakers tied to the voices."""

from __future__ import annotations

import numpy as np

from workers.segmentation import LocalActivity, powerset_classes
from workers.turns import speaker_turns, tie_local_speakers

STEP = 0.016875  # segmentation-3.0's frame step
FRAMES = 589  # frames in one of its 10 s windows


def one_window(*talking: tuple[int, float, float]) -> LocalActivity:
    """One 10 s window where local speaker `n` talks from `start` to `end` seconds."""
    activity = np.zeros((1, FRAMES, 3), dtype=np.float32)
    times = np.arange(FRAMES) * STEP
    for local, start, end in talking:
        activity[0, (times >= start) & (times < end), local] = 1.0
    return LocalActivity(np.array([0.0]), activity, STEP, 0.0)


def spans(turns, label):
    return [(t.start, t.end) for t in turns if t.label == label]


def test_powerset_classes_are_nobody_then_each_alone_then_pairs():
    classes = powerset_classes(3, 2)
    assert classes.tolist() == [
        [0, 0, 0],
        [1, 0, 0], [0, 1, 0], [0, 0, 1],
        [1, 1, 0], [1, 0, 1], [0, 1, 1],
    ]  # fmt: skip


def test_an_overlapped_turn_change_gives_both_voices_in_the_overlap():
    # Voice 0's words until 5.0 s, voice 1's from 5.6 s; the model hears both from 4.6 to 5.4 s.
    local = one_window((0, 0.5, 5.4), (1, 4.6, 9.5))
    turns = speaker_turns(local, 10.0, [(0.5, 5.0, 0), (5.6, 9.5, 1)], 2)
    (first,), (second,) = spans(turns, 0), spans(turns, 1)
    assert abs(first[0] - 0.5) < 0.05 and abs(first[1] - 5.4) < 0.05
    assert abs(second[0] - 4.6) < 0.05 and abs(second[1] - 9.5) < 0.05


def test_local_speakers_follow_the_words_not_their_numbers():
    # The model numbers voice 1 as its local speaker 0 in this window.
    local = one_window((0, 0.5, 4.0), (2, 4.5, 9.0))
    turns = speaker_turns(local, 10.0, [(0.5, 4.0, 1), (4.5, 9.0, 0)], 2)
    assert spans(turns, 1) and spans(turns, 1)[0][1] < 4.1
    assert spans(turns, 0) and spans(turns, 0)[0][0] > 4.4


def test_a_backchannel_under_another_voice_takes_the_voice_guessed_for_it():
    # "mm-hm" from 3.0 to 3.5 s inside voice 0's sentence: no words of its own.
    local = one_window((0, 0.5, 8.0), (1, 3.0, 3.5))
    asked = []

    def guess(window, speaker, taken):
        asked.append((window, speaker, taken))
        return 1

    turns = speaker_turns(local, 10.0, [(0.5, 8.0, 0)], 2, guess)
    assert asked == [(0, 1, {0})]
    ((start, end),) = spans(turns, 1)
    assert abs(start - 3.0) < 0.05 and abs(end - 3.5) < 0.05
    assert len(spans(turns, 0)) == 1  # voice 0 keeps talking through it
    # Without a guess the backchannel is not given to anybody.
    assert spans(speaker_turns(local, 10.0, [(0.5, 8.0, 0)], 2), 1) == []


def test_one_voice_ties_at_most_one_local_speaker_per_window():
    activity = np.zeros((FRAMES, 3), dtype=np.float32)
    activity[0:200, 0] = 1
    activity[250:400, 1] = 1
    words = np.full(FRAMES, 0)
    assert tie_local_speakers(activity, words, 2, STEP) == [0, None, None]


def test_short_pauses_do_not_break_a_turn_and_silence_has_nobody():
    local = one_window((0, 1.0, 3.0), (0, 3.2, 5.0), (0, 7.0, 8.0))
    turns = speaker_turns(local, 10.0, [(1.0, 5.0, 0), (7.0, 8.0, 0)], 1)
    assert [(round(a, 1), round(b, 1)) for a, b in spans(turns, 0)] == [(1.0, 5.0), (7.0, 8.0)]


def test_word_times_running_into_a_pause_do_not_stretch_the_turn_but_unheard_words_still_speak():
    # Whisper's last word runs on to 5.3 s into a pause the model hears as silence from 5.0 s: the turn
    # ends with the model. A whisper at 7-8 s that the model hears none of is the words' speaker's.
    local = one_window((0, 1.0, 5.0))
    turns = speaker_turns(local, 10.0, [(1.0, 5.3, 0), (7.0, 8.0, 0)], 1)
    assert [(round(a, 1), round(b, 1)) for a, b in spans(turns, 0)] == [(1.0, 5.0), (7.0, 8.0)]
