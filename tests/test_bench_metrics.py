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
