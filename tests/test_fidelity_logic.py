"""Pure logic of fidelity: speech coverage and its holes, hole recovery over a scripted decoder, one-to-one
naming, audio quality figures. The real decoder and real audio are in tests/test_fidelity.py."""

from __future__ import annotations

import numpy as np

from workers import coverage, naming, quality
from workers.asr import SAMPLE_RATE, Segment, Word
from workers.recover import complete_chunk, is_speech, with_speech_onsets


def test_union_intersect_subtract():
    assert coverage.union([(3, 4), (0, 1), (0.5, 2)]) == [(0, 2), (3, 4)]
    assert coverage.intersect([(0, 2), (3, 5)], [(1, 4)]) == [(1, 2), (3, 4)]
    assert coverage.subtract([(0, 10)], [(1, 2), (4, 5), (9, 12)]) == [(0, 1), (2, 4), (5, 9)]
    assert coverage.subtract([(0, 1), (5, 6)], []) == [(0, 1), (5, 6)]


def test_holes_are_uncovered_speech_over_a_second():
    speech = [(0.0, 5.0), (6.0, 9.0)]
    words = [(0.2, 0.6), (0.7, 1.1), (6.2, 6.5)]  # nothing between 1.4 and 5.0, nor 6.8 and 9.0
    assert [(round(a, 3), b) for a, b in coverage.holes(speech, words)] == [(1.4, 5.0), (6.8, 9.0)]
    # A short gap between words is a breath, not a hole.
    assert coverage.holes([(0.0, 2.0)], [(0.1, 0.5), (1.2, 1.9)]) == []
    assert round(coverage.covered(speech, words), 2) == round(8.0 - 3.6 - 2.2, 2)


def seg(start: float, end: float, *words: tuple[float, str]) -> Segment:
    ws = [Word(t, t + 0.3, w, 0.9) for t, w in words]
    return Segment(start, end, " ".join(w for _t, w in words), ws, -0.2, 0.01)


class ScriptedDecoder:
    """A decoder that hears words at fixed times of the audio it is given (by sample offset): what a real
    Whisper heard in the test of the real pipeline, without the model."""

    name = "scripted"

    def __init__(self, spoken: list[tuple[float, str]]) -> None:
        self.spoken = spoken
        self.calls: list[str] = []

    def hears(self, offset: float, length: float) -> list[tuple[float, str]]:
        return [(t, w) for t, w in self.spoken if offset <= t and t + 0.3 <= offset + length]

    def _heard(self, audio: np.ndarray) -> list[Segment]:
        # The clip is identified by the marker value it starts with (its start time in seconds).
        offset = float(audio[0])
        inside = [(t - offset, w) for t, w in self.hears(offset, len(audio) / SAMPLE_RATE)]
        return [seg(inside[0][0], inside[-1][0] + 0.3, *inside)] if inside else []

    def transcribe(self, audio, language):
        self.calls.append("sequential")
        yield from self._heard(audio)

    def transcribe_batch(self, audios, language):
        self.calls.append(f"batch:{len(audios)}")
        return [self._heard(a) for a in audios]


def marked_audio(seconds: float) -> np.ndarray:
    """Audio whose every sample holds its own time, so a clip tells the scripted decoder where it starts."""
    return np.arange(int(seconds * SAMPLE_RATE), dtype=np.float64) / SAMPLE_RATE


def test_a_skipped_turn_is_decoded_again_and_merged_in_order():
    spoken = [(0.5, "one"), (1.0, "two"), (4.0, "three"), (4.5, "four"), (8.0, "five")]
    decoder = ScriptedDecoder(spoken)
    audio = marked_audio(10.0)
    speech = [(0.3, 1.6), (3.8, 5.0), (7.8, 8.6)]
    # The batched pass skipped the middle turn.
    batched = [seg(0.5, 1.3, (0.5, "one"), (1.0, "two")), seg(8.0, 8.3, (8.0, "five"))]
    outcome = complete_chunk(decoder, audio, speech, batched, "en")
    words = [w.word for s in outcome.segments for w in s.words]
    assert words == ["one", "two", "three", "four", "five"]
    starts = [w.start for s in outcome.segments for w in s.words]
    assert starts == sorted(starts) and abs(starts[2] - 4.0) < 1e-6
    assert outcome.sequential_redecode  # the sequential decode heard everything
    assert outcome.covered_seconds == outcome.speech_seconds


def test_a_hole_the_sequential_decode_also_misses_is_decoded_as_a_clip():
    spoken = [(0.5, "one"), (4.0, "three"), (4.5, "four")]

    class MissesTheMiddleOnAWholeChunk(ScriptedDecoder):
        def hears(self, offset, length):
            heard = super().hears(offset, length)
            return [(t, w) for t, w in heard if t < 2] if length > 5 else heard  # only a clip hears it

    decoder = MissesTheMiddleOnAWholeChunk(spoken)
    outcome = complete_chunk(decoder, marked_audio(8.0), [(0.3, 1.0), (3.8, 5.0)], [], "en")
    assert [w.word for s in outcome.segments for w in s.words] == ["one", "three", "four"]
    assert outcome.clips_decoded >= 1


def test_a_short_backchannel_between_turns_is_decoded_as_a_clip_without_a_whole_chunk_redecode():
    # A "yeah" of ~0.5 s between two turns: too short for the whole chunk to be decoded again, long
    # enough for a clip of its own.
    spoken = [(0.5, "one"), (1.0, "two"), (2.6, "yeah"), (4.0, "three"), (4.5, "four")]
    decoder = ScriptedDecoder(spoken)
    speech = [(0.3, 1.6), (2.5, 3.0), (3.8, 5.0)]
    batched = [seg(0.5, 1.3, (0.5, "one"), (1.0, "two")), seg(4.0, 4.8, (4.0, "three"), (4.5, "four"))]
    outcome = complete_chunk(decoder, marked_audio(6.0), speech, batched, "en")
    assert [w.word for s in outcome.segments for w in s.words] == ["one", "two", "yeah", "three", "four"]
    assert not outcome.sequential_redecode and decoder.calls == ["batch:1"]
    assert outcome.covered_seconds == outcome.speech_seconds


def test_a_word_a_short_context_misplaces_is_found_with_a_wider_one():
    # Like Whisper on the real call, this decoder puts a clip's first word at the clip's start: a second
    # "hello" 0.6 s after the first comes back outside its hole from a clip with 0.5 s of context, and in
    # place from one with 1.5 s (where the word before it is the one moved to the start).
    spoken = [(0.5, "hello"), (1.4, "hello"), (3.0, "oh"), (3.4, "right")]

    class FirstWordAtTheStart(ScriptedDecoder):
        def _heard(self, audio):
            segments = super()._heard(audio)
            for segment in segments[:1]:
                first = segment.words[0]
                segment.words[0] = Word(0.0, first.end - first.start, first.word, first.probability)
            return segments

    decoder = FirstWordAtTheStart(spoken)
    speech = [(0.4, 2.0), (2.9, 3.8)]
    batched = [seg(0.5, 0.8, (0.5, "hello")), seg(3.0, 3.7, (3.0, "oh"), (3.4, "right"))]
    outcome = complete_chunk(decoder, marked_audio(5.0), speech, batched, "en")
    words = [(w.word, round(w.start, 2)) for s in outcome.segments for w in s.words]
    assert words == [("hello", 0.5), ("hello", 1.4), ("oh", 3.0), ("right", 3.4)], words
    assert outcome.covered_seconds == outcome.speech_seconds


def stretched(start: float, end: float, first: str, *rest: tuple[float, str]) -> Segment:
    """A segment whose first word Whisper's alignment pulled back over a turn it skipped: it lasts from
    `start` to where the next word begins."""
    following = seg(rest[0][0], rest[-1][0] + 0.3, *rest)
    words = [Word(start, rest[0][0], first, 0.99), *following.words]
    return Segment(start, end, " ".join(w.word for w in words), words, -0.2, 0.01)


def test_a_turn_a_stretched_word_hides_is_decoded_again_turn_by_turn():
    # Robot conversation 4 of the bench: the batched pass skipped "Sarah said the deadline ..." and put the
    # next turn's "pilot" over it, 2.3 s long, so no hole was left to decode.
    spoken = [(0.5, "one"), (1.0, "two"), (2.4, "three"), (3.0, "four"), (4.7, "five"), (5.2, "six")]
    decoder = ScriptedDecoder(spoken)
    speech = [(0.3, 1.6), (2.2, 3.6), (4.5, 6.0)]
    batched = [seg(0.5, 1.3, (0.5, "one"), (1.0, "two")), stretched(2.3, 5.5, "five", (5.2, "six"))]
    outcome = complete_chunk(decoder, marked_audio(7.0), speech, batched, "en")
    words = [(w.word, round(w.start, 2)) for s in outcome.segments for w in s.words]
    assert words == [("one", 0.5), ("two", 1.0), ("three", 2.4), ("four", 3.0), ("five", 4.7), ("six", 5.2)]
    assert outcome.doubtful_replaced == 1 and not outcome.sequential_redecode


def test_a_stretched_word_is_kept_when_its_clips_hear_less():
    # The clips hear only "six": fewer words than the stretched pass gave, so what was there stays.
    decoder = ScriptedDecoder([(5.2, "six")])
    speech = [(2.2, 3.6), (4.5, 6.0)]
    batched = [stretched(2.3, 5.5, "five", (5.2, "six"))]
    outcome = complete_chunk(decoder, marked_audio(7.0), speech, batched, "en")
    assert [w.word for s in outcome.segments for w in s.words] == ["five", "six"]
    assert outcome.doubtful_replaced == 0


def test_a_hole_with_nothing_in_it_is_reported_not_filled():
    decoder = ScriptedDecoder([(0.5, "one")])
    outcome = complete_chunk(
        decoder, marked_audio(6.0), [(0.3, 1.0), (2.0, 5.0)], [seg(0.5, 0.8, (0.5, "one"))], "en"
    )
    assert [s.text for s in outcome.segments] == ["one"]
    assert outcome.speech_seconds == 3.7
    assert outcome.covered_seconds < 1.0  # the 3 s hole stays uncovered and counted
    assert decoder.calls.count("sequential") <= 3  # tried, then given up: no endless loop


def test_annotations_and_rejected_windows_are_not_speech():
    assert not is_speech(Segment(0, 1, "[Music]"))
    assert not is_speech(Segment(0, 1, "(upbeat music)"))
    assert not is_speech(Segment(0, 1, "♪ ♪"))
    assert not is_speech(Segment(0, 1, "..."))
    assert not is_speech(Segment(0, 1, "you", avg_logprob=-1.4, no_speech_prob=0.8))
    assert is_speech(Segment(0, 1, "Thank you.", avg_logprob=-0.3, no_speech_prob=0.8))


def unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def test_one_enrolled_voice_names_one_cluster_only():
    calibration = naming.Calibration(0.83, 0.03, "test")
    alice = unit([1, 0.0, 0])
    # The other voice scores 0.88 against Alice's profile, over the threshold, but Alice's own cluster
    # scores higher: only that cluster takes the name.
    clusters = np.stack([unit([1, 0.1, 0]), unit([0.88, 0.475, 0])])
    assert naming.assign(clusters, alice[None, :], [True], calibration) == [0, None]


def test_two_profiles_too_close_to_call_stay_unnamed_and_strangers_stay_unnamed():
    calibration = naming.Calibration(0.83, 0.03, "test")
    alice, alicia = unit([1, 0, 0]), unit([1, 0.05, 0])
    cluster = np.stack([unit([1, 0.02, 0])])  # 0.9998 and 0.9997: a coin toss between two names
    assert naming.assign(cluster, np.stack([alice, alicia]), [True, True], calibration) == [None]
    # Two clusters that both sound like Alice: the closer one is her, the other is someone else.
    clusters = np.stack([unit([1, 0.2, 0]), unit([1, 0.25, 0])])
    assert naming.assign(clusters, alice[None, :], [True], calibration) == [0, None]
    stranger = np.stack([unit([0, 0, 1])])
    assert naming.assign(stranger, alice[None, :], [True], calibration) == [None]


def test_two_profiles_two_clusters_are_paired_optimally():
    calibration = naming.Calibration(0.5, 0.03, "test")
    known = np.stack([unit([1, 0.6, 0]), unit([0.6, 1, 0])])
    # Greedy nearest-profile would give both clusters profile 0; the assignment pairs them right.
    clusters = np.stack([unit([1, 0.5, 0]), unit([0.7, 1, 0])])
    assert naming.assign(clusters, known, [True, True], calibration) == [0, 1]


def test_quality_of_clean_quiet_noisy_and_clipped_audio():
    rng = np.random.default_rng(0)
    t = np.arange(4 * SAMPLE_RATE) / SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    speech = [(1.0, 3.0)]
    clean = np.where((t >= 1) & (t < 3), tone, 0.0)

    def measured(audio):
        meter = quality.QualityMeter()
        meter.add(audio.astype(np.float32), 0.0, speech)
        return meter.result()

    good = measured(clean)
    assert -15 < good["speech_level_dbfs"] < -10 and good["snr_db"] == quality.MAX_SNR_DB
    assert good["speech_ratio"] == 0.5 and good["clipping_ratio"] == 0 and quality.warnings(good) == []

    quiet = measured(clean * 0.005)
    assert any("very quiet" in w for w in quality.warnings(quiet))

    noisy = measured(clean + rng.normal(0, 0.1, len(t)))
    assert 0 < noisy["snr_db"] < 15 and any("noisy" in w for w in quality.warnings(noisy))

    clipped = measured(np.clip(clean * 5, -1, 1))
    assert clipped["clipping_ratio"] > 0.01 and any("clipped" in w for w in quality.warnings(clipped))

    one = quality.segment_quality(
        (clean + rng.normal(0, 0.1, len(t)))[16000:48000], noisy["noise_level_dbfs"]
    )
    assert abs(one["snr_db"] - noisy["snr_db"]) < 1.5
    assert one["flags"] == ["noisy"] and quality.flags(good) == []
    assert quality.flags(clipped) == ["clipped"] and "quiet" in quality.flags(quiet)


def test_channel_turns_follow_the_loudest_side_and_ignore_bleed():
    from workers.channels import FRAME_SECONDS, channel_turns, word_channel

    frames = int(4 / FRAME_SECONDS)
    levels = np.full((2, frames), -90.0)
    t = np.arange(frames) * FRAME_SECONDS
    left, right = (t < 1.5), (t >= 2.0) & (t < 3.5)
    levels[0, left], levels[1, left] = -20, -45  # the left side talks, bleeding into the right at -25 dB
    levels[1, right], levels[0, right] = -22, -47
    levels[0, (t >= 0.6) & (t < 0.8)] = -80  # a short pause inside the left turn is bridged
    levels[1, (t >= 0.6) & (t < 0.8)] = -80
    turns = channel_turns(levels)
    assert [(round(a, 2), round(b, 2), c) for a, b, c in turns] == [(0.0, 1.5, 0), (2.0, 3.5, 1)]
    assert word_channel(turns, 0.2, 0.5) == 0 and word_channel(turns, 2.5, 2.9) == 1
    assert word_channel(turns, 1.6, 1.8) == 0  # between turns: the nearest
    assert channel_turns(levels[:1]) == []  # mono: nothing to read


def test_split_sentences_keep_numbers_and_compounds_whole():
    from workers.asr import Segment, Word, split_sentences

    transcribed = "We offered her 92 ,000 a year. The back -end role is Mom 's."
    said = transcribed.split()
    words = [Word(n * 0.3, n * 0.3 + 0.25, w, 0.9) for n, w in enumerate(said)]
    first, second = split_sentences(Segment(0.0, 4.5, "", words))
    assert first.text == "We offered her 92,000 a year."
    assert second.text == "The back-end role is Mom's."


def test_a_decoding_loop_s_squeezed_repeats_are_dropped_and_a_real_repeat_is_kept():
    def one(start: float, end: float, text: str, probability: float = 0.9) -> Segment:
        return Segment(start, end, text, [Word(start, end, text, probability)], -0.3, 0.01)

    # The real call's first chunk from the batched pass: "Hello." written four times in 0.7 s, three of
    # them squeezed into almost no time; two people really said "Hello?" before.
    segments = [
        one(6.58, 7.20, "Hello."),
        one(7.68, 8.04, "Hello?"),
        one(8.30, 8.34, "Hello."),
        one(8.34, 8.64, "Hello."),
        one(8.86, 8.86, "Hello."),
        one(8.98, 8.98, "Hello."),
        one(9.10, 9.14, "Yeah."),  # squeezed too, but not a repeat
    ]
    decoder = ScriptedDecoder([])
    outcome = complete_chunk(decoder, marked_audio(10.0), [], segments, "en")
    assert [(s.start, s.text) for s in outcome.segments] == [
        (6.58, "Hello."),
        (7.68, "Hello?"),
        (8.34, "Hello."),
        (9.10, "Yeah."),
    ]


def test_a_turn_s_first_word_starts_where_the_speech_does():
    # VAD heard speech from 1.0 and 4.0 s (its regions start 0.2 s before the voice); Whisper put each
    # turn's first word 0.35 s late.
    speech = [(1.0, 3.0), (4.0, 6.0), (7.0, 9.0)]
    turns = [
        Segment(1.55, 2.8, "Hello there", [Word(1.55, 2.0, " Hello", 0.9), Word(2.1, 2.8, " there", 0.9)]),
        Segment(4.55, 5.0, "Yes", [Word(4.55, 5.0, " Yes", 0.9)]),
        Segment(8.0, 8.5, "Late", [Word(8.0, 8.5, " Late", 0.9)]),
    ]
    moved = with_speech_onsets(turns, speech)
    assert [w.start for s in moved for w in s.words] == [1.2, 2.1, 4.2, 8.0]  # 0.8 s late: not moved
    assert [s.start for s in moved] == [1.2, 4.2, 8.0]
    assert [w.end for s in moved for w in s.words] == [2.0, 2.8, 5.0, 8.5]
    assert coverage.covered(
        speech, [(w.start, w.end) for s in moved[:2] for w in s.words]
    ) > coverage.covered(speech, [(w.start, w.end) for s in turns[:2] for w in s.words])
    # A word after another one in the same stretch of speech keeps its time.
    joined = [Segment(1.3, 2.8, "A b", [Word(1.3, 1.5, " A", 0.9), Word(1.9, 2.8, " b", 0.9)])]
    assert [w.start for w in with_speech_onsets(joined, [(1.0, 3.0)])[0].words] == [1.2, 1.9]
