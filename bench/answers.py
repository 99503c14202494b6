"""The assistant's answers on a realistic memory, measured through HTTP against the real system.

    .venv/bin/python -m bench.answers                                  # both shipped models
    .venv/bin/python -m bench.answers --models qwen2.5-1.5b-instruct --kinds named,unanswerable

The memory is `bench/answer_corpus.py`: scripted meetings of named people, rendered with Kokoro's neural
voices (close timbres, light room reverb and noise), spread over two months, uploaded through the API with
their `recorded_at`, transcribed, diarized and named by the real pipeline (every person enrolled first
with clean samples, as a user would). Then each question goes to `POST /chat` and its SSE stream is read
to the end. For each question, against the line that holds its fact (its time span in its recording):

- retrieval recall@1 and @5: the assistant's excerpts (the `memory` event, after its time and speaker
  scoping) hold a segment overlapping that line among the first 1 and 5;
- answer correct: every key fact of the question is in the answer (any of its spellings);
- citation correct: a citation overlaps the line and names the person who said it;
- strict: both (what a user clicking the citation needs);
- misnamed: the answer opens "<Name> said" with one of the memory's people other than the one who said
  the moment it cites first ("David said it's a sprain" over Grace's words);
- abstention: on questions nothing in the memory answers, the answer says it could not find it; the
  answerable ones are also counted for wrong abstentions;
- first token (the server's `first_token_s`) and total time per answer.

The conversation's time zone is picked so that it is late afternoon where the asker is, whatever the hour
of the run, so "this morning" and "this afternoon" have happened; the meetings are placed by local day and
hour in that zone. Summaries are off for the run. The rendered audio is cached under
~/.cache/nemo-bench/answers; the memory is built once per run (about 15 minutes of speech), then every
model answers the same questions on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402

from bench.answer_corpus import MEETINGS, PEOPLE, QUESTIONS, Meeting, Question  # noqa: E402
from bench.chat import Api  # noqa: E402
from bench.corpus import SAMPLE_RATE, write_wav  # noqa: E402
from bench.realistic import CACHE, pink_noise, room_response  # noqa: E402
from bench.search import System, scratch_env  # noqa: E402
from workers import prompts  # noqa: E402

AUDIO_CACHE = CACHE / "answers"
SNR_DB = 22.0
RT60 = 0.3
ABSTAINED = re.compile(
    r"could ?n[o']t find|cannot find|can't find|did ?n[o']t find|not (?:in|found in|mentioned in) the "
    r"(?:recordings|excerpts)|no (?:excerpt|recording|information|mention)|(?:do|does)n't (?:say|mention)|"
    r"not (?:say|mention)|don't know|do not know|unable to find|isn't mentioned|is not mentioned",
    re.IGNORECASE,
)
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip


@dataclass
class Placed:
    """One line of a rendered meeting: who, what, and when in the recording."""

    speaker: str
    text: str
    start: float
    end: float


def render(meeting: Meeting, kokoro) -> tuple[Path, list[Placed]]:
    """The meeting's WAV (cached) and where each line lies in it."""
    from scipy.signal import fftconvolve

    wav = AUDIO_CACHE / f"{meeting.key}.wav"
    meta = AUDIO_CACHE / f"{meeting.key}.json"
    fingerprint = json.dumps([[line.speaker, line.text] for line in meeting.lines], sort_keys=True)
    if wav.exists() and meta.exists() and json.loads(meta.read_text())["fingerprint"] == fingerprint:
        return wav, [Placed(**p) for p in json.loads(meta.read_text())["lines"]]
    rng = np.random.default_rng(len(meeting.key))
    rooms = {person: room_response(RT60, rng) for person in meeting.people}
    pieces, placed, clock = [], [], 0.5
    for line in meeting.lines:
        audio = kokoro.speak(PEOPLE[line.speaker], line.text)
        start = clock + float(rng.uniform(0.3, 0.8))
        placed.append(Placed(line.speaker, line.text, start, start + len(audio) / SAMPLE_RATE))
        pieces.append((start, audio, line.speaker))
        clock = placed[-1].end
    mix = np.zeros(int((clock + 1.0) * SAMPLE_RATE))
    for start, audio, speaker in pieces:
        level = 10 ** ((-20.0 - 20 * np.log10(max(float(np.sqrt(np.mean(audio**2))), 1e-6))) / 20)
        wet = fftconvolve(audio * level, rooms[speaker])[: len(audio) + int(0.3 * SAMPLE_RATE)]
        first = int(start * SAMPLE_RATE)
        wet = wet[: len(mix) - first]
        mix[first : first + len(wet)] += wet
    speech = float(np.sqrt(np.mean(mix[np.abs(mix) > 1e-4] ** 2)))
    mix += pink_noise(len(mix), rng) * speech * 10 ** (-SNR_DB / 20)
    mix *= min(1.0, 0.9 / max(float(np.abs(mix).max()), 1e-9))
    AUDIO_CACHE.mkdir(parents=True, exist_ok=True)
    write_wav(mix.astype(np.float32), wav)
    meta.write_text(json.dumps({"fingerprint": fingerprint, "lines": [p.__dict__ for p in placed]}))
    return wav, placed


def asker_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is now between 17:00 and 18:00 (Etc/GMT-3 is three hours ahead of UTC)."""
    offset = (17 - now.hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def meeting_start(meeting: Meeting, zone: str, now: datetime) -> datetime:
    local_now = now.astimezone(ZoneInfo(zone))
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=meeting.days_ago) + timedelta(hours=meeting.hour)


def wav_bytes(audio: np.ndarray) -> bytes:
    with tempfile.NamedTemporaryFile(suffix=".wav") as handle:
        write_wav(audio, Path(handle.name))
        return Path(handle.name).read_bytes()


def enroll_everyone(api: Api, kokoro, people: list[str]) -> None:
    from bench.realistic import enrollment_samples

    jobs = []
    for person in people:
        samples = enrollment_samples(kokoro, PEOPLE[person])
        files = [("audio", (f"{person}{n}.wav", io.BytesIO(wav_bytes(s)))) for n, s in enumerate(samples)]
        jobs.append(api("POST", "/speakers", data={"name": person}, files=files)["job_id"])
    for job in jobs:
        if api.wait_job(job)["state"] != "done":
            raise RuntimeError(f"enrollment job {job} failed")


def build_memory(api: Api, zone: str, now: datetime) -> dict[str, dict]:
    """Every meeting uploaded and processed: key -> {recording, lines}."""
    from bench.realistic import KokoroVoices

    kokoro = KokoroVoices()
    enroll_everyone(api, kokoro, sorted({p for m in MEETINGS for p in m.people}))
    accepted = {}
    for meeting in MEETINGS:
        wav, placed = render(meeting, kokoro)
        with wav.open("rb") as handle:
            reply = api(
                "POST",
                "/recordings",
                files={"audio": handle},
                data={
                    "title": meeting.title,
                    "speakers": str(len(meeting.people)),
                    "recorded_at": meeting_start(meeting, zone, now).isoformat(),
                },
            )
        accepted[meeting.key] = (reply, placed)
    memory = {}
    for key, (reply, placed) in accepted.items():
        job = api.wait_job(reply["job_id"])
        if job["state"] != "done":
            raise RuntimeError(f"{key}: job {job['state']}: {job.get('error')}")
        memory[key] = {"recording": api("GET", f"/recordings/{reply['recording_id']}"), "lines": placed}
    return memory


def overlaps(item: dict, recording_id: str, line: Placed) -> bool:
    """A segment (or citation) that covers at least half of the line or the line half of it."""
    if item["recording_id"] != recording_id:
        return False
    shared = min(item["end"], line.end) - max(item["start"], line.start)
    return shared > 0 and shared >= 0.5 * min(item["end"] - item["start"], line.end - line.start)


def spellings(alternative: str) -> set[str]:
    """A fact's spelling, and its number in digits where it is a simple number in words."""
    found = {alternative.lower()}
    words = alternative.lower().replace("-", " ").split()
    if words and all(w in NUMBER_WORDS for w in words):
        found.add(str(sum(NUMBER_WORDS[w] for w in words)))
    return {spelling.replace("-", " ") for spelling in found}


def has_facts(answer: str, question: Question) -> bool:
    text = answer.lower().replace(",", "").replace("-", " ")
    text = re.sub(r"(\d) (?=\d{3}\b)", r"\1", text)  # "92 000" (a transcript's "92 ,000") is 92000
    return all(any(s.replace(",", "") in text for a in alts for s in spellings(a)) for alts in question.facts)


def ask(api: Api, question: Question, zone: str, max_tokens: int) -> dict:
    body = {
        "messages": [{"role": "user", "content": question.text}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "timezone": zone,
    }
    accepted = api("POST", "/chat", json=body)
    events = api.events(f"/chat/{accepted['chat_id']}/events", ("done", "failed"))
    memory = next((d for _t, e, d in events if e == "memory"), {})
    final = events[-1][2]
    if events[-1][1] != "done":
        raise RuntimeError(f"{question.text}: the answer failed: {final.get('error')}")
    return {"memory": memory, "final": final}


def score(question: Question, reply: dict, memory: dict[str, dict]) -> dict:
    final = reply["final"]
    answer = final["answer"]
    abstained = bool(ABSTAINED.search(answer))
    row = {
        "question": question.text,
        "kind": question.kind,
        "answer": answer,
        "abstained": abstained,
        "first_token_s": final["timings"]["first_token_s"],
        "total_s": final["timings"]["total_s"],
        "similarities": [e.get("similarity") for e in reply["memory"].get("excerpts", [])],
        "not_found_probability": (final.get("memory") or {}).get("not_found_probability"),
        "citations": [[c["n"], c["inferred"]] for c in final["citations"]],
        "excerpts": [
            [e.get("speaker"), e["text"], e.get("rank")] for e in reply["memory"].get("excerpts", [])
        ],
        "withdrawn": (final.get("memory") or {}).get("withdrawn"),
    }
    if question.meeting is None:
        return row
    recording_id = memory[question.meeting]["recording"]["id"]
    line = memory[question.meeting]["lines"][question.line]
    # In search rank order (the prompt lists the best excerpt last).
    excerpts = sorted(reply["memory"].get("excerpts", []), key=lambda e: e.get("rank") or 0)
    ranks = [n for n, e in enumerate(excerpts) if overlaps(e, recording_id, line)]
    cited = [c for c in final["citations"] if overlaps(c, recording_id, line)]
    said_by = prompts.attribution(answer)[0]
    first = final["citations"][0] if final["citations"] else None
    row.update(
        # The answer opens "<Name> said" with a person of the memory other than who said what it cites.
        misnamed=bool(first and said_by in PEOPLE and said_by != first.get("speaker")),
        recall1=bool(ranks) and ranks[0] < 1,
        recall5=bool(ranks) and ranks[0] < 5,
        correct=has_facts(answer, question),
        cited=bool(cited),
        cited_speaker=any(c.get("speaker") == question.speaker for c in cited),
    )
    row["strict"] = row["correct"] and row["cited"] and row["cited_speaker"]
    return row


def share(rows: list[dict], key: str) -> str:
    return f"{sum(1 for r in rows if r[key]) / len(rows):.2f}" if rows else "-"


def report(model: str, rows: list[dict]) -> None:
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    print(f"\n### {model}: {len(answerable)} answerable, {len(unanswerable)} unanswerable questions")
    print("| kind | n | recall@1 | recall@5 | answer correct | citation holds it | cited speaker | strict |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    kinds = sorted({r["kind"] for r in answerable}, key=[q.kind for q in QUESTIONS].index)
    for kind in [*kinds, "all"]:
        group = answerable if kind == "all" else [r for r in answerable if r["kind"] == kind]
        keys = ("recall1", "recall5", "correct", "cited", "cited_speaker", "strict")
        cells = [share(group, key) for key in keys]
        print(f"| {kind} | {len(group)} | " + " | ".join(cells) + " |")
    wrongly = sum(1 for r in answerable if r["abstained"])
    misnamed = sum(1 for r in answerable if r.get("misnamed"))
    print(
        f"abstained on unanswerable: {share(unanswerable, 'abstained')} ({len(unanswerable)}); "
        f"abstained on answerable: {wrongly} of {len(answerable)}; "
        f"answers naming someone other than the cited speaker: {misnamed}"
    )
    firsts = [r["first_token_s"] for r in rows if r["first_token_s"] is not None]
    totals = [r["total_s"] for r in rows]
    print(
        f"first token p50 / p90: {statistics.median(firsts):.2f} / {np.percentile(firsts, 90):.2f} s; "
        f"total p50: {statistics.median(totals):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="qwen2.5-0.5b-instruct,qwen2.5-1.5b-instruct")
    parser.add_argument("--kinds", default="", help="only these question kinds (comma-separated)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="flushed before the run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--stride", type=int, default=1, help="every n-th question only (a quick look)")
    parser.add_argument("--offset", type=int, default=0, help="with --stride: start at this question")
    parser.add_argument("--out", type=Path, help="write every answer and its scores here (JSON)")
    parser.add_argument(
        "--workdir", type=Path, help="keep the memory here; a later run the same day reuses it"
    )
    args = parser.parse_args()
    questions = [q for q in QUESTIONS if not args.kinds or q.kind in args.kinds.split(",")][
        args.offset :: args.stride
    ]

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nemo-bench-answers-"))
    workdir.mkdir(parents=True, exist_ok=True)
    saved = workdir / "memory.json"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; work dir {workdir}", flush=True)
    env = scratch_env(workdir, args.redis_url, args.threads, NEMO_SUMMARIES="0")
    os.environ.update(env)
    import redis

    memory: dict[str, dict] = {}
    if saved.exists():
        kept = json.loads(saved.read_text())
        token, zone = kept["token"], kept["zone"]
        memory = {k: {**m, "lines": [Placed(**p) for p in m["lines"]]} for k, m in kept["memory"].items()}
    else:
        redis.Redis.from_url(args.redis_url).flushdb()
        from app import create_app
        from app.store import users

        store = create_app().extensions["nemo.store"]
        with store.tx() as tx:
            user = users.create_user(tx, "bench", secrets.token_urlsafe(16))
            token, _ = users.create_token(tx, user["id"], "bench")
        zone = asker_zone(datetime.now(UTC))
    results = {}
    # A SIGTERM (or Ctrl-C) still stops the workers and web server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for model in args.models.split(","):
        system = System({**env, "NEMO_LLM_MODEL": model}, workdir, kinds=("gpu", "cpu", "search"))
        try:
            api = Api(system.start(), token)
            if not memory:
                started = time.perf_counter()
                memory = build_memory(api, zone, datetime.now(UTC))
                lines = {k: {**m, "lines": [p.__dict__ for p in m["lines"]]} for k, m in memory.items()}
                saved.write_text(json.dumps({"token": token, "zone": zone, "memory": lines}))
                speech = sum(m["recording"]["duration"] for m in memory.values())
                print(f"memory: {len(memory)} meetings, {speech:.0f} s, built in "
                      f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
            ask(api, Question("Hello?", "unanswerable", None, None, (), None), zone, 4)  # loads the model
            rows = []
            for question in questions:
                rows.append(score(question, ask(api, question, zone, args.max_tokens), memory))
                print(json.dumps(rows[-1]), flush=True)
            results[model] = rows
        finally:
            system.stop()
    print(f"\nbench.answers on {platform.machine()}, {os.cpu_count()} cores, {args.threads} threads, "
          f"zone {zone}, max_tokens {args.max_tokens}")  # fmt: skip
    for model, rows in results.items():
        report(model, rows)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
