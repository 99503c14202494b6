"""Real recordings with ground truth that ship inside packages: bench assets, never used by the server.

pyannote.audio's wheel carries `pyannote/audio/sample/`: a real 30 s two-person telephone conversation
(16 kHz mono WAV, MIT) with its reference RTTM (who spoke when, overlaps included) and STM (what was said).
`make bench-deps` keeps the wheel in the bench cache; nothing of pyannote is installed or imported.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.realistic import CACHE

PYANNOTE_WHEEL = "pyannote_audio-4.0.7-py3-none-any.whl"
SAMPLE = "pyannote/audio/sample/"


@dataclass
class RealRecording:
    name: str
    wav: Path
    turns: list[tuple[float, float, str]]  # reference RTTM: (start, end, speaker)
    text: str  # reference transcript, in time order
    speakers: int


def pyannote_sample(workdir: Path) -> RealRecording:
    wheel = CACHE / PYANNOTE_WHEEL
    if not wheel.exists():
        raise RuntimeError(f"{wheel} is missing: run `make bench-deps`")
    with zipfile.ZipFile(wheel) as archive:
        wav = workdir / "pyannote-sample.wav"
        wav.write_bytes(archive.read(SAMPLE + "sample.wav"))
        rttm = archive.read(SAMPLE + "sample.rttm").decode()
        stm = archive.read(SAMPLE + "sample.stm").decode()
    turns = []
    for line in rttm.splitlines():
        fields = line.split()
        start, length = float(fields[3]), float(fields[4])
        turns.append((start, start + length, fields[7]))
    said = sorted(
        (float(f[3]), " ".join(f[5:])) for f in (line.split() for line in stm.splitlines()) if len(f) > 5
    )
    return RealRecording(
        "pyannote sample (phone call)", wav, turns, " ".join(t for _s, t in said), len({t[2] for t in turns})
    )
