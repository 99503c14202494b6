"""pyannote.audio 4's own SpeakerDiarization pipeline as a diarization engine: it imports beside the CPU torch
(torchaudio without its native libraries), tells apart the two people of a real phone call from local
weights, and its turns label the transcript's words."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from deploy.torchaudio_python_only import record_is_true, strip_native
from workers.channels import word_channel
from workers.pyannote_pipeline import PyannoteSpeakers
from workers.tell_apart import ChunkVoices, tell_apart_by_turns


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def test_the_native_libraries_are_left_out_and_the_wheel_stays_installable(tmp_path):
    files = {
        "torchaudio/__init__.py": b"__version__ = '2.11.0'\n",
        "torchaudio/lib/libtorchaudio.abi3.so": b"\x7fELF native",
        "torchaudio/lib/__init__.py": b"",
    }
    record = "\n".join([*(_record_line(n, d) for n, d in files.items()), "t-2.11.0.dist-info/RECORD,,"])
    published = tmp_path / "published" / "t-2.11.0-cp311-cp311-linux_x86_64.whl"
    published.parent.mkdir()
    with zipfile.ZipFile(published, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr("t-2.11.0.dist-info/RECORD", record)
    stripped = strip_native(published, tmp_path)
    with zipfile.ZipFile(stripped) as wheel:
        names = set(wheel.namelist())
    assert "torchaudio/lib/libtorchaudio.abi3.so" not in names
    assert {"torchaudio/__init__.py", "torchaudio/lib/__init__.py"} <= names
    assert record_is_true(stripped) and stripped.name == published.name


def test_torchaudio_runs_its_python_code_without_its_native_part():
    import torch
    import torchaudio
    import torchaudio.compliance.kaldi as kaldi
    from torchaudio._extension import _IS_TORCHAUDIO_EXT_AVAILABLE

    assert not _IS_TORCHAUDIO_EXT_AVAILABLE
    tone = torch.sin(torch.arange(16000) / 16000 * 2 * torch.pi * 440)[None]
    assert kaldi.fbank(tone, num_mel_bins=80).shape == (98, 80)
    assert torchaudio.functional.resample(tone, 16000, 8000).shape == (1, 8000)


def _reference(rttm: str) -> list[tuple[float, float, str]]:
    turns = []
    for line in rttm.splitlines():
        fields = line.split()
        start, duration = float(fields[3]), float(fields[4])
        turns.append((start, start + duration, fields[7]))
    return turns


@pytest.fixture(scope="module")
def real_call(tmp_path_factory):
    """pyannote.audio's own sample: a real 30 s two-person phone call, with its reference RTTM."""
    from workers.audio import decode_to_pcm16, read_pcm16

    sample = resources.files("pyannote.audio") / "sample"
    pcm = tmp_path_factory.mktemp("real-call") / "sample.pcm"
    with resources.as_file(sample / "sample.wav") as wav:
        decode_to_pcm16(Path(wav), pcm)
    return read_pcm16(pcm), _reference((sample / "sample.rttm").read_text())


@pytest.fixture(scope="module")
def diarizer():
    from workers.engines import load_embedder
    from workers.pyannote_pipeline import load_pyannote

    return load_pyannote(load_embedder("campplus", "cpu"), "cpu", 2.5)


def test_pyannote_tells_apart_the_two_people_of_a_real_call(diarizer, real_call):
    from bench.metrics import diarization_error

    audio, reference = real_call
    steps: list[str] = []
    found = diarizer(audio, speakers=2, on_step=steps.append)
    assert "segmentation" in steps and "embeddings" in steps
    hypothesis = [(a, b, str(label)) for a, b, label in found.turns]
    der = diarization_error(reference, hypothesis, collar=0.0)
    # Measured 0.056 (the voice-window engine: 0.19); a confused speaker costs about a third.
    assert der["der"] <= 0.10, der
    assert found.centroids.shape == (2, 192)
    assert np.allclose(np.linalg.norm(found.centroids, axis=1), 1.0, atol=1e-5)
    # One speaker at a time in the exclusive turns; both at once somewhere in the others.
    exclusive = sorted(found.exclusive)
    assert all(b[0] >= a[1] - 1e-6 for a, b in zip(exclusive, exclusive[1:], strict=False))


def test_the_count_is_estimated_when_not_given(diarizer, real_call):
    audio, _reference_turns = real_call
    found = diarizer(audio, max_speakers=4)
    assert len(found.centroids) == 2, [t for t in found.turns]


def _row(start: float, end: float, words: list[tuple[float, float, str]]) -> dict:
    return {
        "start_s": start,
        "end_s": end,
        "words": json.dumps([{"start": a, "end": b, "word": f" {w}"} for a, b, w in words]),
    }


def test_words_take_the_speaker_talking_during_them_and_segments_split_there():
    centroids = np.eye(2, 192, dtype=np.float32)
    exclusive = [(0.0, 2.0, 0), (2.1, 4.0, 1), (4.6, 6.0, 0)]
    found = PyannoteSpeakers(turns=[*exclusive, (1.8, 2.4, 0)], exclusive=exclusive, centroids=centroids)
    rows = [
        _row(0.0, 4.0, [(0.1, 0.5, "so"), (0.6, 1.9, "anyway"), (2.2, 2.8, "right"), (3.0, 3.9, "agreed")]),
        # A word in the pause between turns goes to the nearest turn (the one starting at 4.6).
        _row(4.3, 6.0, [(4.3, 4.5, "well"), (4.7, 5.5, "then")]),
    ]
    chunk = ChunkVoices(0, 0.0, 6.0, rows, [], None)
    speakers = tell_apart_by_turns([chunk], found)
    first = speakers.pieces[(0, 0)]
    assert [(p.label, p.text) for p in first] == [(0, "so anyway"), (1, "right agreed")]
    assert [(p.label, p.text) for p in speakers.pieces[(0, 1)]] == [(0, "well then")]
    assert first[1].start == pytest.approx(2.2)
    assert np.allclose(speakers.cluster_seconds, [3.4, 1.9])
    # The overlap turn is kept as a turn; every segment carries its majority speaker's voice.
    assert len(speakers.turns) == 4
    assert np.array_equal(chunk.voices[1].whole, centroids[0])
    assert word_channel(exclusive, 2.0, 2.05) in (0, 1)
