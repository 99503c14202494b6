"""NeMo engines on tiny randomly initialised models that the test builds and saves as `.nemo` files: no real
checkpoint (Parakeet, TitaNet) is reachable here, so these check the loading and plumbing, not accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from workers.audio import decode_to_pcm16, read_pcm16

LABELS = [" ", *"abcdefghijklmnopqrstuvwxyz", "'"]
MEL = {
    "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
    "sample_rate": 16000,
    "n_fft": 512,
    "window_size": 0.025,
    "window_stride": 0.01,
}


@pytest.fixture(scope="module")
def tiny_ctc(tmp_path_factory):
    from nemo.collections.asr.models import EncDecCTCModel
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {
            "sample_rate": 16000,
            "labels": LABELS,
            "train_ds": None,
            "validation_ds": None,
            "test_ds": None,
            "optim": None,
            "preprocessor": {**MEL, "features": 64},
            "encoder": {
                "_target_": "nemo.collections.asr.modules.ConformerEncoder",
                "feat_in": 64,
                "n_layers": 1,
                "d_model": 32,
                "n_heads": 2,
                "subsampling_factor": 4,
                "subsampling_conv_channels": 16,
                "ff_expansion_factor": 2,
                "conv_kernel_size": 9,
            },
            "decoder": {
                "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
                "feat_in": 32,
                "num_classes": len(LABELS),
                "vocabulary": LABELS,
            },
        }
    )
    path = tmp_path_factory.mktemp("nemo") / "tiny-conformer-ctc.nemo"
    EncDecCTCModel(cfg=cfg).save_to(str(path))
    return path


@pytest.fixture(scope="module")
def tiny_titanet(tmp_path_factory):
    from nemo.collections.asr.models import EncDecSpeakerLabelModel
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {
            "sample_rate": 16000,
            "train_ds": None,
            "validation_ds": None,
            "test_ds": None,
            "optim": None,
            "preprocessor": {**MEL, "features": 32},
            "encoder": {
                "_target_": "nemo.collections.asr.modules.ConvASREncoder",
                "feat_in": 32,
                "activation": "relu",
                "conv_mask": True,
                "jasper": [
                    {
                        "filters": 32,
                        "repeat": 1,
                        "kernel": [3],
                        "stride": [1],
                        "dilation": [1],
                        "dropout": 0.0,
                        "residual": False,
                        "separable": True,
                    }
                ],
            },
            "decoder": {
                "_target_": "nemo.collections.asr.modules.SpeakerDecoder",
                "feat_in": 32,
                "num_classes": 4,
                "pool_mode": "attention",
                "emb_sizes": 16,
            },
            "loss": {
                "_target_": "nemo.collections.asr.losses.angularloss.AngularSoftmaxLoss",
                "scale": 30,
                "margin": 0.2,
            },
        }
    )
    path = tmp_path_factory.mktemp("nemo") / "tiny-titanet.nemo"
    EncDecSpeakerLabelModel(cfg=cfg).save_to(str(path))
    return path


@pytest.fixture(scope="module")
def speech(speech_wav, tmp_path_factory):
    pcm = tmp_path_factory.mktemp("pcm") / "speech.pcm"
    decode_to_pcm16(speech_wav, pcm)
    return read_pcm16(pcm)


def test_nemo_asr_engine_loads_a_nemo_file_and_times_its_words(tiny_ctc, speech):
    from workers.engines import asr_engine
    from workers.pool import ModelPool

    engine = asr_engine(ModelPool(2**30), str(tiny_ctc), "cpu", "int8", 2)
    assert engine.name == "nemo:tiny-conformer-ctc.nemo"
    segments = list(engine.transcribe(speech, "en"))
    duration = len(speech) / 16000
    assert segments, "a random CTC model still emits characters"
    for segment in segments:
        assert 0 <= segment.start < segment.end <= duration + 0.1 and segment.text
        for word in segment.words:
            assert segment.start - 1e-3 <= word.start <= word.end <= segment.end + 1e-3
    with pytest.raises(FileNotFoundError):
        asr_engine(ModelPool(2**30), "/nonexistent/parakeet.nemo", "cpu", "int8", 2)


def test_nemo_speaker_embedder(tiny_titanet, speech):
    from workers.engines import load_embedder

    embedder = load_embedder(str(tiny_titanet), "cpu")
    assert embedder.name.startswith("nemo:tiny-titanet.nemo:") and embedder.dim == 16
    windows = embedder.embed_windows(speech)
    assert windows.whole.shape == (16,) and np.isclose(np.linalg.norm(windows.whole), 1, atol=1e-4)
    assert len(windows.vectors) == len(windows.spans) >= 2
    assert np.allclose(np.linalg.norm(windows.vectors, axis=1), 1, atol=1e-4)
    assert windows.spans[0][0] == 0 and windows.spans[-1][1] <= len(speech) / 16000
    again = embedder.embed_windows(speech)
    assert np.allclose(windows.whole, again.whole, atol=1e-5), "inference is deterministic"


def test_pipeline_diarizes_with_a_nemo_speaker_model(
    environment, client, workers, alice, tiny_titanet, speech_wav
):
    """The diarization stage runs end to end with the NeMo embedder in place of Resemblyzer."""
    from app import create_app
    from app.config import Config
    from app.store import jobs
    from tasks.transcription import diarize_recording
    from tests.helpers import upload, wait_for_job

    accepted = upload(client, speech_wav, alice["auth"], speakers="1").get_json()
    assert wait_for_job(client, accepted["job_id"], alice["auth"])["state"] == "done"
    config = Config()
    config.SPEAKER_MODEL = str(tiny_titanet)
    nemo_app = create_app(config)
    with nemo_app.extensions["nemo.store"].tx() as tx:
        job = jobs.insert_job(tx, alice["id"], accepted["recording_id"], "diarize", "diarization")
    with nemo_app.app_context():
        diarize_recording.run(job["id"])
    # Emotion and indexing follow in the CPU worker.
    finished = wait_for_job(client, job["id"], alice["auth"])
    assert finished["state"] == "done" and finished["warning"] is None, finished
    recording = client.get(f"/api/v1/recordings/{accepted['recording_id']}", headers=alice["auth"]).get_json()
    assert recording["diarized"] and len({s["speaker"] for s in recording["segments"]}) == 1
