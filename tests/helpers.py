"""What the tests share: speech fixtures, word error rate, polling, the API calls many tests make (upload,
enroll, login, search, chat), the checks of a rejected request, and reading the process table."""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TERMINAL = ("done", "failed", "cancelled")

SPOKEN = (
    "Please remember to send the quarterly budget report to Sarah before Friday. "
    "The marketing meeting moves to Tuesday morning at ten."
)

# The command-line client of this environment.
NEMOCTL = str(Path(sys.executable).parent / "nemoctl")


def synthesize(text: str, target: Path, voice: str = "en-us", speed: int = 150) -> Path:
    """Speech from espeak-ng as a wav; other containers are made with ffmpeg from the file suffix."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is missing: run `make system-deps`")
    wav = target if target.suffix == ".wav" else target.with_name(target.name + ".tmp.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    if wav != target:
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), str(target)], check=True)
        wav.unlink()
    return target


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / max(len(ref), 1)


def wait_for_job(client, job_id: str, headers: dict, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.get_json()
        job = response.get_json()
        if job["state"] in TERMINAL:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def post_recording(url: str, user: dict, path: Path, headers: dict | None = None, **fields):
    """`POST /api/v1/recordings` of `path` over HTTP, as the user, with the form `fields`: the response."""
    import requests

    with path.open("rb") as audio:
        return requests.post(
            f"{url}/api/v1/recordings",
            files={"audio": audio},
            data=fields,
            headers={**user["auth"], **(headers or {})},
            timeout=60,
        )


def upload_over_http(url: str, user: dict, path: Path, headers: dict | None = None, **fields):
    """Upload `path` to the server at `url` and follow the job's events until it ends: returns the 202
    response and the job's final state."""
    import requests

    accepted = post_recording(url, user, path, headers, **fields)
    assert accepted.status_code == 202, accepted.text
    with requests.get(
        f"{url}/api/v1/jobs/{accepted.json()['job_id']}/events",
        headers=user["auth"],
        stream=True,
        timeout=300,
    ) as events:
        for line in events.iter_lines(decode_unicode=True):
            if line.startswith("event: ") and line[7:] in TERMINAL:
                return accepted, line[7:]
    raise AssertionError("the job's events ended without its end")


def poll_until(predicate, timeout: float = 60) -> None:
    """Wait until `predicate()` is true, asking every 0.3 s; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def upload(client, path, headers, **fields):
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/recordings",
            data={"audio": (handle, path.name), **fields},
            headers=headers,
            content_type="multipart/form-data",
        )


def spoken_lines(voice: str | tuple[str, ...], lines: list[str], path: Path, repeat: int = 1) -> None:
    """`lines` said by a synthetic `voice` (bench.corpus's voices; a tuple gives each line its own) with
    0.7 s pauses, `repeat` times over, as a 16 kHz wav at `path`."""
    import numpy as np

    from bench.corpus import synthesize as say
    from bench.corpus import write_wav

    pause = np.zeros(int(0.7 * 16_000), dtype=np.float32)
    parts = []
    voices = voice if isinstance(voice, tuple) else (voice,) * len(lines)
    for who, line in zip(voices, lines, strict=True):
        parts += [say(who, line), pause]
    write_wav(np.concatenate(parts * repeat), path)


def search(client, user, query: str, status: int = 200, **body):
    response = client.post("/api/v1/search", json={"query": query, **body}, headers=user["auth"])
    assert response.status_code == status, response.get_json()
    return response.get_json()


def found_in(recordings: dict[str, dict], answer: dict) -> set[str]:
    """The names in `recordings` ({name: recording}) of the recordings a search answer's results are from."""
    by_id = {r["id"]: name for name, r in recordings.items()}
    return {by_id[hit["recording_id"]] for hit in answer["results"]}


def vector_count(store, recording_id: str) -> int:
    """How many search vectors the store holds for a recording."""
    with store.tx() as tx:
        return tx.one("SELECT count(*) AS n FROM segment_vectors WHERE recording_id = ?", (recording_id,))[
            "n"
        ]


def ask(url: str, user: dict, question: str, **body) -> dict:
    """A chat question posted to the server at `url`; returns the 202's body."""
    import requests

    payload = {"messages": [{"role": "user", "content": question}], "temperature": 0, **body}
    response = requests.post(f"{url}/api/v1/chat", json=payload, headers=user["auth"], timeout=30)
    assert response.status_code == 202, response.text
    return response.json()


def follow(url: str, user: dict, chat_id: str, last_event_id: str | None = None, stop_after_tokens=None):
    """The answer's SSE events as (id, event, data), from the start or after `last_event_id`."""
    import requests

    from app.client import parse_sse

    headers = {**user["auth"], **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    got = []
    with requests.get(
        f"{url}/api/v1/chat/{chat_id}/events", headers=headers, stream=True, timeout=300
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for event in parse_sse(response.iter_lines(decode_unicode=True)):
            got.append(event)
            tokens = sum(1 for e in got if e[1] == "token")
            if event[1] in ("done", "failed") or (stop_after_tokens and tokens >= stop_after_tokens):
                break
    return got


ENROLL_LINES = [
    "Good morning everyone, this is my voice sample for the enrollment.",
    "I usually speak in the weekly planning meeting about logistics and suppliers.",
]


def enroll(client, auth, name: str, voice: str, tmp_path) -> dict:
    """Enroll `name` from two sentences in a synthetic `voice` (bench.corpus's voices) and wait for it."""
    from bench.corpus import synthesize as speak
    from bench.corpus import write_wav

    files = []
    for n, line in enumerate(ENROLL_LINES):
        path = tmp_path / f"{name}-{n}.wav"
        write_wav(speak(voice, line), path)
        files.append((io.BytesIO(path.read_bytes()), path.name))
    response = client.post(
        "/api/v1/speakers",
        data={"name": name, "audio": files},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert wait_for_job(client, body["job_id"], auth)["state"] == "done"
    return body


def speakers_by_turn(segments: list[dict], turns: list) -> list[str]:
    """The speaker label that covers most of each ground-truth turn."""
    labels = []
    for turn in turns:
        overlap: Counter = Counter()
        for s in segments:
            overlap[s["speaker"]] += max(0.0, min(s["end"], turn.end) - max(s["start"], turn.start))
        labels.append(overlap.most_common(1)[0][0])
    return labels


def audit_actions(store, user_id=None) -> list[str]:
    with store.tx() as tx:
        if user_id:
            rows = tx.all("SELECT action FROM audit_log WHERE user_id = ? ORDER BY at", (user_id,))
        else:
            rows = tx.all("SELECT action FROM audit_log ORDER BY at")
    return [r["action"] for r in rows]


def login(client, user) -> str:
    response = client.post(
        "/api/v1/auth/login", json={"username": user["username"], "password": user["password"]}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]


def counts(app) -> tuple[int, int, int]:
    store = app.extensions["nemo.store"]
    with store.tx() as tx:
        recs = tx.one("SELECT count(*) AS n FROM recordings")["n"]
        jobs = tx.one("SELECT count(*) AS n FROM jobs")["n"]
    blob_dir = app.extensions["nemo.config"].BLOB_DIR
    blobs = sum(1 for p in blob_dir.rglob("*") if p.is_file()) if blob_dir.exists() else 0
    return recs, jobs, blobs


def post_bytes(client, headers, payload: bytes, name: str = "clip.wav"):
    return client.post(
        "/api/v1/recordings",
        data={"audio": (io.BytesIO(payload), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def assert_rejected(response, status: int | tuple[int, ...], code: str | tuple[str, ...]):
    statuses = status if isinstance(status, tuple) else (status,)
    codes = code if isinstance(code, tuple) else (code,)
    assert response.status_code in statuses, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] in codes and body["error"]["message"]


def chunk_state(store, recording_id: str) -> tuple[int, int]:
    with store.tx() as tx:
        row = tx.one(
            "SELECT count(*) AS total, coalesce(sum(done), 0) AS done FROM chunks WHERE recording_id = ?",
            (recording_id,),
        )
    return int(row["done"]), int(row["total"])


def wav_bytes(format_tag: int = 1, rate: int = 16_000, channels: int = 1, seconds: float = 1.0) -> bytes:
    """A RIFF/WAVE file with the header's fields as given and a quiet tone as data."""
    bits, block = 16, channels * 2
    frames = max(1, int(rate * seconds))
    data = b"".join(struct.pack("<h", 300 if (i // 20) % 2 else -300) * channels for i in range(frames))
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, rate * block, block, bits)
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def children_of(parent: int) -> dict[str, int]:
    """The launcher's direct children by kind (gpu-worker, cpu-worker, search-worker, flower, web, redis),
    read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != parent:
            continue
        line = " ".join(a.decode(errors="replace") for a in argv)
        for kind, marker in (
            ("gpu-worker", " gpu@"),
            ("cpu-worker", " cpu@"),
            ("search-worker", " search@"),
            ("flower", " flower "),
            ("web", "gunicorn"),
            ("redis", "redis-server"),
        ):
            if marker in line:
                found[kind] = int(entry.name)
    return found
