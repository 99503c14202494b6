"""`nemoctl watch`: a folder's new audio files sent as they appear, whole, each content once, with the
options given, and nothing sent twice across restarts."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import wave

import requests

from tests.helpers import NEMOCTL, post_recording, synthesize


def watch(live_server: str, token: str, folder, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [
            NEMOCTL,
            "watch",
            str(folder),
            "--server",
            live_server,
            "--interval",
            "0.3",
            "--settle",
            "1.5",
            *args,
        ],
        env={"NEMO_TOKEN": token, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def lines_of(proc: subprocess.Popen) -> queue.Queue:
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            found.put(line.strip())

    threading.Thread(target=read, daemon=True).start()
    return found


def until(found: queue.Queue, wanted: list[str], timeout: float = 60) -> list[str]:
    """Lines read until one starting with each of `wanted` came."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not all(any(line.startswith(w) for line in seen) for w in wanted):
        seen.append(found.get(timeout=max(deadline - time.monotonic(), 0.1)))
    return seen


def recordings(live_server, user, **params) -> list[dict]:
    response = requests.get(
        f"{live_server}/api/v1/recordings", params=params, headers=user["auth"], timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["recordings"]


def once(live_server, token, folder) -> list[str]:
    done = subprocess.run(
        [
            NEMOCTL,
            "watch",
            str(folder),
            "--server",
            live_server,
            "--once",
            "--interval",
            "0.3",
            "--settle",
            "1",
        ],
        env={"NEMO_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_watched_folder_sends_whole_files_once(live_server, bob, store, tmp_path):
    spoken = synthesize(
        "The watched folder picked up the recording of the design review.", tmp_path / "spoken.wav"
    )
    audio = spoken.read_bytes()
    with wave.open(str(spoken)) as w:
        seconds = w.getnframes() / w.getframerate()
    folder = tmp_path / "inbox"
    folder.mkdir()
    proc = watch(
        live_server, bob["token"], folder, "--speakers", "1", "--tag", "meeting", "--tag", "Weekly  Sync"
    )
    found = lines_of(proc)
    try:
        # A recorder copying the file slowly: each pause is shorter than the settle time, so no part of it
        # may be sent; files that are not audio, hidden, or a sync tool's partial download are left alone.
        (folder / "notes.txt").write_text("agenda")
        (folder / ".hidden.wav").write_bytes(audio)
        (folder / "draft.wav.part").write_bytes(audio[:1000])
        with (folder / "call.wav").open("wb") as out:
            for start in range(0, len(audio), len(audio) // 4 + 1):
                out.write(audio[start : start + len(audio) // 4 + 1])
                out.flush()
                time.sleep(0.6)
        (folder / "sub").mkdir()
        shutil.copyfile(folder / "call.wav", folder / "sub" / "copy.wav")
        seen = until(found, ["submitted call.wav", "duplicate sub/copy.wav"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read()
    assert not any(name in line for line in seen for name in ("notes.txt", "hidden", "draft")), seen

    held = recordings(live_server, bob, tag="meeting")
    sent = [r for r in held if r["filename"] == "call.wav"]
    assert len(sent) == 1 and sent[0]["tags"] == ["meeting", "weekly sync"]
    assert abs(sent[0]["duration"] - seconds) < 0.1  # the whole file, not a part of it
    assert len(recordings(live_server, bob, sha256=sent[0]["sha256"])) == 1
    with store.tx() as tx:
        options = tx.one("SELECT options FROM recordings WHERE id = ?", (sent[0]["id"],))["options"]
    assert json.loads(options)["speakers"] == 1

    # Restarted: nothing is sent again; a file added meanwhile is, and a broken one is refused once.
    assert not any(line.startswith("submitted") for line in once(live_server, bob["token"], folder))
    synthesize("The invoice for the new office chairs arrived this morning.", folder / "new.wav")
    (folder / "broken.mp3").write_bytes(os.urandom(4000))
    again = once(live_server, bob["token"], folder)
    assert any(line.startswith("submitted new.wav") for line in again), again
    assert any(line.startswith("rejected  broken.mp3") for line in again), again
    assert once(live_server, bob["token"], folder) == []
    state = json.loads((folder / ".nemo-watch.json").read_text())
    assert {name: f["status"] for name, f in state["files"].items()} == {
        "call.wav": "submitted",
        "sub/copy.wav": "duplicate",
        "new.wav": "submitted",
        "broken.mp3": "rejected",
    }


def test_a_bad_tag_is_refused_before_anything_is_stored(live_server, bob, speech_wav):
    before = len(recordings(live_server, bob))
    for tag in ('say "hi"', "50%", "x" * 41, ",".join(f"t{n}" for n in range(21))):
        response = post_recording(live_server, bob, speech_wav, tags=tag)
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_field", tag
    assert len(recordings(live_server, bob)) == before
    bad_filter = requests.get(
        f"{live_server}/api/v1/recordings", params={"tag": "a%"}, headers=bob["auth"], timeout=30
    )
    assert bad_filter.status_code == 400
