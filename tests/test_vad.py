"""Chunk planning: cut only in pauses, never past Whisper's window, silence skipped; VAD on real speech."""

from __future__ import annotations

import numpy as np

from bench.corpus import SAMPLE_RATE, synthesize
from workers.vad import MAX_CHUNK_SECONDS, plan_chunks, speech_regions


def test_plan_groups_regions_up_to_the_limit_and_skips_silence():
    regions = [(0.0, 5.0), (6.0, 20.0), (21.0, 31.0), (40.0, 100.0), (101.0, 102.0)]
    plan = plan_chunks(regions)
    assert plan[0] == (0.0, 20.0) and plan[1] == (21.0, 31.0)
    assert all(end - start <= MAX_CHUNK_SECONDS + 1e-6 for start, end in plan)
    assert not any(start < 35.0 < end for start, end in plan), "the 31-40 s silence is in no chunk"
    covered = sum(end - start for start, end in plan)
    assert covered >= sum(e - s for s, e in regions)  # no speech left out
    assert plan_chunks([]) == []


def test_speech_regions_find_speech_between_silences(tmp_path):
    speech = synthesize("flite:kal", "The shipment leaves the warehouse on Monday morning.")
    silence = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)
    audio = np.concatenate([silence, speech, silence, speech, silence])
    pcm = tmp_path / "audio.pcm"
    pcm.write_bytes((audio * 32767).astype("<i2").tobytes())
    regions = speech_regions(pcm)
    first = (3.0, 3.0 + len(speech) / SAMPLE_RATE)
    second = (first[1] + 3.0, first[1] + 3.0 + len(speech) / SAMPLE_RATE)
    assert len(regions) == 2
    for (start, end), (true_start, true_end) in zip(regions, [first, second], strict=True):
        assert abs(start - true_start) < 0.4 and abs(end - true_end) < 0.4
