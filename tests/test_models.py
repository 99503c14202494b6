"""Model assembly from PyPI packages, verified by sha256; both default Whisper models really transcribe."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from models import assemble
from models.manifest import MODELS, WHISPER_TINY_EN
from tests.helpers import SPOKEN, word_error_rate
from workers.audio import decode_to_pcm16, read_pcm16
from workers.engines import asr_engine
from workers.pool import ModelPool


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(assemble, "CACHE_ROOT", tmp_path / "cache")
    return tmp_path / "cache"


def test_assembly_verifies_and_repairs(cache):
    directory = assemble.ensure_model("whisper-tiny.en")
    model_bin = directory / "model.bin"
    assert assemble._sha256(model_bin) == WHISPER_TINY_EN.files[0].sha256
    # Flip one byte, keeping the size: a cheap load trusts the stamp, a verified load notices and repairs.
    data = bytearray(model_bin.read_bytes())
    data[1000] ^= 0xFF
    model_bin.write_bytes(bytes(data))
    assemble.ensure_model("whisper-tiny.en", verify=True)
    assert assemble._sha256(model_bin) == WHISPER_TINY_EN.files[0].sha256


def test_a_wrong_hash_is_an_error(cache, monkeypatch):
    bad_file = dataclasses.replace(WHISPER_TINY_EN.files[1], sha256="0" * 64)
    bad = dataclasses.replace(WHISPER_TINY_EN, name="tampered", files=(bad_file,))
    monkeypatch.setitem(MODELS, "tampered", bad)
    with pytest.raises(assemble.ModelError, match="does not match"):
        assemble.ensure_model("tampered")
    assert not (cache / "tampered" / "config.json").exists()
    with pytest.raises(assemble.ModelError, match="unknown model"):
        assemble.ensure_model("whisper-huge")


def test_processes_that_reach_an_unassembled_model_at_once_all_get_it_whole(tmp_path):
    """On a new machine every worker process assembles the models it loads as it first needs them; four
    at once must each get the verified model, none an error or a half-written file."""
    script = (
        "import sys; from models import assemble; "
        "path = assemble.ensure_model('whisper-tiny.en') / 'model.bin'; "
        "print(assemble._sha256(path))"
    )
    env = {**os.environ, "NEMO_MODEL_CACHE": str(tmp_path / "cache")}
    started = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    outcomes = [(process.wait(timeout=300), *process.communicate()) for process in started]
    for code, out, err in outcomes:
        assert code == 0, err.decode()
        assert out.decode().strip() == WHISPER_TINY_EN.files[0].sha256
    assert not list((tmp_path / "cache" / "whisper-tiny.en").glob("*.part"))


@pytest.mark.parametrize("model", ["whisper-tiny.en", "whisper-base"])
def test_each_default_model_transcribes(model, speech_wav, tmp_path):
    pcm = tmp_path / "speech.pcm"
    duration = decode_to_pcm16(speech_wav, pcm)
    assert duration == pytest.approx(len(read_pcm16(pcm)) / 16_000)
    engine = asr_engine(ModelPool(8 * 1024**3), model, "cpu", "int8", 2)
    segments = list(engine.transcribe(read_pcm16(pcm), "en"))
    text = " ".join(s.text for s in segments)
    assert word_error_rate(SPOKEN, text) <= 0.25, text
    assert all(w.start <= w.end for s in segments for w in s.words)


def test_pool_evicts_least_recently_used():
    pool = ModelPool(budget_bytes=100)
    loads = []
    for key in ("a", "b", "a", "c"):
        pool.get(key, 40, lambda key=key: loads.append(key) or key)
    assert loads == ["a", "b", "c"]  # "a" was still resident the second time
    assert pool.stats.evictions == 1 and pool.stats.resident == ["a", "c"]  # "b" was least recently used


def test_a_loader_may_take_from_the_pool_what_its_model_is_built_on():
    """The pyannote pipeline is built around the pooled speaker embedder: a loader asking the pool for
    another model must get it, not wait forever on the pool's own lock (a CI run hung there)."""
    import threading

    pool = ModelPool(budget_bytes=100)
    built: list[str] = []

    def pipeline() -> str:
        return "pipeline around " + pool.get("embedder", 30, lambda: "embedder")

    worker = threading.Thread(target=lambda: built.append(pool.get("pipeline", 40, pipeline)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert built == ["pipeline around embedder"]
    assert sorted(pool.stats.resident) == ["embedder", "pipeline"]
