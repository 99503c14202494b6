"""`nemoctl submit --wait` against the real server (gunicorn), workers and model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import NEMOCTL, synthesize, word_error_rate

WER_BOUND = 0.25
TEXTS = {
    "standup.wav": "Yesterday I finished the login page and today I will fix the upload bug.",
    "nested/call.mp3": "The customer asked for a refund because the parcel arrived late.",
}


def run_submit(live_server: str, token: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NEMOCTL, "submit", *args, "--server", live_server, "--json"],
        env={"NEMO_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_submit_folder_waits_skips_and_forces(live_server, bob, tmp_path, app):
    folder = tmp_path / "batch"
    for name, text in TEXTS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        synthesize(text, folder / name)
    (folder / "notes.txt").write_text("not audio, and not picked from a folder")

    result = run_submit(live_server, bob["token"], str(folder), "--wait")
    assert result.returncode == 0, result.stderr
    outcomes = {
        Path(o["file"]).relative_to(folder.resolve()).as_posix(): o for o in json.loads(result.stdout)
    }
    assert set(outcomes) == set(TEXTS)
    from app.client import NemoClient

    client = NemoClient(live_server, bob["token"])
    for name, text in TEXTS.items():
        outcome = outcomes[name]
        assert outcome["status"] == "done", outcome
        segments = client.recording(outcome["recording_id"])["segments"]
        heard = " ".join(s["text"] for s in segments)
        assert word_error_rate(text, heard) <= WER_BOUND, heard

    again = run_submit(live_server, bob["token"], str(folder), "--wait")
    assert again.returncode == 0, again.stderr
    assert {o["status"] for o in json.loads(again.stdout)} == {"skipped"}

    forced = run_submit(live_server, bob["token"], str(folder / "standup.wav"), "--wait", "--force")
    assert forced.returncode == 0, forced.stderr
    [outcome] = json.loads(forced.stdout)
    assert outcome["status"] == "done" and outcome["recording_id"] != outcomes["standup.wav"]["recording_id"]


def test_submit_exits_non_zero_when_a_file_fails(live_server, bob, tmp_path, speech_wav):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(speech_wav.read_bytes()[:2000])
    good = tmp_path / "good.wav"
    shutil.copy(speech_wav, good)
    result = run_submit(live_server, bob["token"], str(bad), str(good), "--wait", "--force")
    assert result.returncode == 1
    outcomes = {Path(o["file"]).name: o for o in json.loads(result.stdout)}
    assert outcomes["broken.wav"]["status"] == "rejected"
    assert outcomes["broken.wav"]["error_code"] == "truncated_audio"
    assert outcomes["good.wav"]["status"] == "done"


def test_submit_without_token_or_with_bad_token(live_server, speech_wav):
    result = subprocess.run(
        [NEMOCTL, "submit", str(speech_wav), "--server", live_server],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0 and "token" in result.stderr.lower()
    result = run_submit(live_server, "nemo_wrong", str(speech_wav))
    assert result.returncode != 0 and "unknown or revoked" in result.stderr


def test_enroll_and_export(live_server, bob, tmp_path):
    from bench.corpus import synthesize as voice_line
    from bench.corpus import write_wav

    samples = []
    for n, line in enumerate(
        [
            "This is my voice for the enrollment sample.",
            "I lead the logistics team in the northern warehouse.",
        ]
    ):
        samples.append(tmp_path / f"rms{n}.wav")
        write_wav(voice_line("flite:rms", line), samples[-1])
    env = {"NEMO_TOKEN": bob["token"], "PATH": "/usr/bin:/bin"}
    enrolled = subprocess.run(
        [NEMOCTL, "enroll", "Robin", *map(str, samples), "--wait", "--json", "--server", live_server],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    assert json.loads(enrolled.stdout)["state"] == "done"

    clip = tmp_path / "robin.wav"
    write_wav(voice_line("flite:rms", "The trucks leave the depot at six every morning."), clip)
    [outcome] = json.loads(run_submit(live_server, bob["token"], str(clip), "--wait", "--force").stdout)

    def export(fmt: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [NEMOCTL, "export", outcome["recording_id"], "--format", fmt, "--server", live_server],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    srt = export("srt")
    assert srt.returncode == 0, srt.stderr
    assert srt.stdout.startswith("1\n00:00:0") and "Robin: " in srt.stdout and "depot" in srt.stdout.lower()
    out = tmp_path / "robin.vtt"
    vtt = subprocess.run(
        [
            NEMOCTL,
            "export",
            outcome["recording_id"],
            "--format",
            "vtt",
            "-o",
            str(out),
            "--server",
            live_server,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert vtt.returncode == 0 and out.read_text().startswith("WEBVTT") and "<v Robin>" in out.read_text()
    rttm = export("rttm")
    assert rttm.returncode == 0, rttm.stderr
    assert rttm.stdout.startswith(f"SPEAKER {outcome['recording_id']} 1 ") and " Robin " in rttm.stdout
    bad = export("docx")
    assert bad.returncode == 2 and "docx" in bad.stderr
    missing = subprocess.run(
        [NEMOCTL, "export", "nope", "--server", live_server],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and "no such recording" in missing.stderr


def test_the_client_offers_every_export_format_and_imports_nothing_of_the_server():
    """The client package runs where only it is installed: a fresh interpreter importing it loads neither
    Flask, the store nor an engine."""
    from app import exports
    from app.client.commands import EXPORT_FORMATS

    assert sorted(EXPORT_FORMATS) == sorted(exports.FORMATS)
    probe = (
        "import sys, app.client.commands; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'workers', 'tasks', 'celery') "
        "or m.startswith('app.store')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout
