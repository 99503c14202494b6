"""The benchmark's scoring, on cases worked out by hand."""

from __future__ import annotations

import pytest

from bench.metrics import diarization_error, word_errors


def test_word_errors():
    assert word_errors("The cat sat.", "the cat sat") == (0, 3)
    assert word_errors("the cat sat on the mat", "the cat sat on a hat") == (2, 6)


def test_der_is_zero_for_a_relabelled_perfect_answer():
    ref = [(0, 10, "kal"), (10, 20, "slt")]
    hyp = [(0, 10, "Speaker 2"), (10, 20, "Speaker 1")]
    assert diarization_error(ref, hyp)["der"] == 0


def test_der_counts_confusion_miss_and_false_alarm_outside_the_collar():
    ref = [(0, 10, "a"), (10, 20, "b")]
    # 2 s of b labelled a (confusion), 1 s of a unlabelled (miss), 1 s after the end labelled (false alarm).
    hyp = [(0, 8, "x"), (9, 12, "x"), (12, 20, "y"), (20.5, 21.5, "y")]
    result = diarization_error(ref, hyp, collar=0.0)
    assert result["confusion"] == pytest.approx(2 / 20, abs=0.002)
    assert result["missed"] == pytest.approx(1 / 20, abs=0.002)
    assert result["false_alarm"] == pytest.approx(1 / 20, abs=0.002)
    # With a collar, the 10 s boundary's error partly stops counting.
    assert diarization_error(ref, hyp, collar=0.25)["der"] < result["der"]


def test_der_counts_overlapped_speech_for_every_speaker():
    # 2 s where a and b talk at once; a hypothesis with one speaker at a time misses one of them there.
    ref = [(0, 6, "a"), (4, 10, "b")]
    hyp = [(0, 3, "x"), (3, 10, "y")]
    result = diarization_error(ref, hyp, collar=0.0)
    assert result["missed"] == pytest.approx(2 / 12, abs=0.002)  # 4-6 s: only one of the two is heard
    assert result["confusion"] == pytest.approx(1 / 12, abs=0.002)  # 3-4 s: a talks, labelled as b
    assert result["false_alarm"] == 0


def test_normalised_words_spell_numbers_and_spellings_one_way():
    from bench.metrics import normalise

    assert normalise("We offered 40,000 a year.") == "we offered forty thousand a year"
    assert (
        normalise("Meet at 10:30 on the 3rd; costs up 5%.")
        == "meet at ten thirty on the third costs up five percent"
    )
    assert normalise("The colour, okay? Mm-hmm.") == normalise("the color OK mhm")
    assert word_errors("forty thousand", "40,000") == (0, 2)
