"""The assistant and the shared GPU worker, measured through HTTP against the real system.

    .venv/bin/python -m bench.chat                    # defaults: 5 questions a phase, 20 live chunks
    .venv/bin/python -m bench.chat --budget 4GB       # a budget that holds ASR and the LLM together

It starts its own web server (gunicorn), GPU, CPU and search workers on a scratch instance directory and
Redis database, gives a user two short recordings to remember, and measures:

- the bare engine: llama-cpp-python in this process, same model, threads and prompt as the worker's
  no-memory answer: time to first token and tokens per second (the floor for ours);
- idle: time to first token (client side: POST /chat until the first token event arrives over SSE) and
  tokens per second, with and without memory;
- swap: the GPU worker's model pool with a budget that holds only one of ASR and the LLM (default 800MB):
  a live chunk and a question in turn, each evicting the other model; swap seconds from /health;
- live: 2 s chunks posted in real time, latency from the POST to its partial transcript event, p50/p95;
- under backlog: a one-hour recording is being transcribed (chunk tasks at batch priority) while questions
  come: time to first token, as a ratio to idle; one chunk task's duration from the job's events;
  live chunk latency under the same backlog.

Summaries are switched off for the run (they would take the GPU worker between phases).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import requests  # noqa: E402

from app.client import parse_sse  # noqa: E402
from bench.corpus import synthesize, utterance_wav, write_wav  # noqa: E402
from bench.search import System, percentile, scratch_env, scratch_user  # noqa: E402

QUESTIONS = [
    "When is the quarterly budget report due?",
    "Where are we going on holiday?",
    "What does the printer need?",
    "When does the flight leave?",
    "Who should get the budget report?",
]
PLAIN = "Name three colours of the rainbow."
MEMORY = {
    "Budget": (
        "flite:kal",
        [
            "Please send the quarterly budget report to the finance team before Friday.",
            "The printer on the third floor needs new toner cartridges.",
        ],
    ),
    "Holiday": (
        "flite:slt",
        ["We finally booked our holiday in Portugal!", "The flight leaves on Saturday morning at eight."],
    ),
}
LIVE_PHRASES = ["Buy more coffee beans.", "Call the dentist tomorrow.", "Water the tomato plants."]


def speech(voice: str, lines: list[str], seconds: float | None = None) -> np.ndarray:
    pause = np.zeros(int(0.7 * 16_000), dtype=np.float32)
    one = np.concatenate([part for line in lines for part in (synthesize(voice, line), pause)])
    if seconds is None:
        return one
    return np.tile(one, int(np.ceil(seconds * 16_000 / len(one))))[: int(seconds * 16_000)]


def remember(api: Api, workdir: Path) -> None:
    """Give the bench user MEMORY's recordings, each processed to the end."""
    for title, (voice, lines) in MEMORY.items():
        path = workdir / f"{title}.wav"
        write_wav(speech(voice, lines), path)
        with path.open("rb") as handle:
            accepted = api("POST", "/recordings", files={"audio": handle}, data={"title": title})
        api.wait_job(accepted["job_id"])


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kwargs):
        response = self.session.request(method, f"{self.url}/api/v1{path}", timeout=7200, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def events(self, path: str, terminal: tuple[str, ...], on_event=None) -> list[tuple[float, str, dict]]:
        """(arrival time, event, data) until a terminal event; reads the socket as data comes."""
        got = []
        with self.session.get(f"{self.url}/api/v1{path}", stream=True, timeout=7200) as response:
            lines = response.iter_lines(chunk_size=None, decode_unicode=True)
            for _id, event, data in parse_sse(lines):
                got.append((time.perf_counter(), event, data))
                if on_event is not None:
                    on_event(event, data)
                if event in terminal:
                    break
        return got

    def wait_job(self, job_id: str) -> dict:
        while (job := self("GET", f"/jobs/{job_id}"))["state"] not in ("done", "failed", "cancelled"):
            time.sleep(0.5)
        return job


def ask(api: Api, question: str, use_memory: bool, max_tokens: int) -> dict:
    """One question: client-side time to first token, and the server's own timings."""
    body = {
        "messages": [{"role": "user", "content": question}],
        "use_memory": use_memory,
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    started = time.perf_counter()
    accepted = api("POST", "/chat", json=body)
    events = api.events(f"/chat/{accepted['chat_id']}/events", ("done", "failed"))
    first = next((t for t, e, _d in events if e == "token"), None)
    final = events[-1][2]
    if events[-1][1] != "done":
        raise RuntimeError(f"the answer failed: {final.get('error')}")
    return {
        "ttft": (first - started) if first else float("nan"),
        "tps": final["timings"]["tokens_per_second"],
        "tokens": final["usage"]["completion_tokens"],
        "answer": final["answer"],
        "citations": len(final["citations"]),
    }


def bare_engine(model: str, threads: int, context: int, max_tokens: int, repeats: int) -> tuple[float, float]:
    """(median time to first token, median tokens/s) of llama-cpp-python alone on the worker's prompt."""
    from workers import prompts
    from workers.llm import LlmEngine, model_path

    path, name = model_path(model)
    engine = LlmEngine(path, name, context, threads, 0)
    messages = prompts.build_messages([{"role": "user", "content": PLAIN}], None)
    firsts, speeds = [], []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        arrivals: list[float] = []
        generation = engine.generate(
            messages, max_tokens, 0.0, on_token=lambda _p, seen=arrivals: seen.append(time.perf_counter())
        )
        firsts.append(arrivals[0] - started)
        speeds.append(generation.tokens_per_second)
    engine.close()
    return statistics.median(firsts[1:]), statistics.median(speeds[1:])


def pool_stats(api: Api) -> dict:
    health = api("GET", "/health")
    return next(w["model_pool"] for w in health["workers"] if w["hostname"].startswith("gpu@"))


class LiveListener:
    """Follows a live stream's events in a thread and notes when each chunk's partial transcript came."""

    def __init__(self, api: Api, stream_id: str) -> None:
        self.arrived: dict[int, float] = {}
        self.texts: dict[int, str] = {}

        def note(event: str, data: dict) -> None:
            if event == "partial":
                self.arrived[data["seq"]] = time.perf_counter()
                self.texts[data["seq"]] = data["text"]

        self.thread = threading.Thread(
            target=api.events, args=(f"/streams/{stream_id}/events", ("closed",), note), daemon=True
        )
        self.thread.start()


def live_latencies(api: Api, count: int, pace: float, label: str) -> list[float]:
    """Post `count` 2 s chunks, one every `pace` seconds; latency from each POST to its partial event."""
    stream = api("POST", "/streams", json={"title": f"bench {label}"})
    listener = LiveListener(api, stream["stream_id"])
    time.sleep(0.5)
    audio = [utterance_wav("flite:slt", p, 2.0) for p in LIVE_PHRASES]
    posted: dict[int, float] = {}
    for seq in range(count):
        next_at = time.perf_counter() + pace
        posted[seq] = time.perf_counter()
        api(
            "POST",
            f"/streams/{stream['stream_id']}/chunks",
            data={"seq": str(seq)},
            files={"audio": ("c.wav", audio[seq % len(audio)])},
        )
        time.sleep(max(0.0, next_at - time.perf_counter()))
    deadline = time.perf_counter() + 600
    while len(listener.arrived) < count and time.perf_counter() < deadline:
        time.sleep(0.1)
    api("POST", f"/streams/{stream['stream_id']}/close")
    return [listener.arrived[s] - posted[s] for s in range(count) if s in listener.arrived]


def chunk_task_seconds(events: list[tuple[float, str, dict]]) -> list[float]:
    """Gaps between successive 'chunk transcribed' events: one chunk task each (when nothing else ran)."""
    times = [t for t, e, d in events if e == "progress" and "transcribed" in (d.get("message") or "")]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="flushed before the run")
    parser.add_argument("--budget", default="800MB", help="the GPU worker's model budget")
    parser.add_argument("--model", default="qwen2.5-0.5b-instruct")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="questions per phase")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--live-chunks", type=int, default=20)
    parser.add_argument("--backlog-minutes", type=float, default=60.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="nemo-bench-chat-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; work dir {workdir}", flush=True)
    bare_ttft, bare_tps = bare_engine(args.model, args.threads, 4096, args.max_tokens, args.repeats)
    print(f"bare engine: first token {bare_ttft:.3f} s, {bare_tps:.1f} tokens/s", flush=True)

    env = scratch_env(
        workdir,
        args.redis_url,
        args.threads,
        NEMO_MODEL_BUDGET=args.budget,
        NEMO_LLM_MODEL=args.model,
        NEMO_SUMMARIES="0",
    )
    os.environ.update(env)
    _store, token = scratch_user(args.redis_url, "bench")
    system = System(env, workdir, kinds=("gpu", "cpu", "search"))
    try:
        api = Api(system.start(), token)
        remember(api, workdir)
        ask(api, PLAIN, False, 8)  # loads the LLM

        idle_memory = [ask(api, q, True, args.max_tokens) for q in QUESTIONS[: args.repeats]]
        idle_plain = [ask(api, PLAIN, False, args.max_tokens) for _ in range(args.repeats)]
        print(f"idle: {json.dumps([r['answer'][:80] for r in idle_memory])}", flush=True)

        # Swaps: a live chunk (ASR) and a question (LLM) in turn.
        before = pool_stats(api)
        live_latencies(api, 1, 0, "warm")
        swap_ttft = []
        for _ in range(args.repeats):
            live_latencies(api, 1, 0, "swap")
            swap_ttft.append(ask(api, PLAIN, False, 8)["ttft"])
        after = pool_stats(api)
        swaps = after["swaps"] - before["swaps"]
        swap_mean = (after["swap_seconds"] - before["swap_seconds"]) / swaps if swaps else 0.0

        live_idle = live_latencies(api, args.live_chunks, 2.0, "idle")

        # The backlog: an hour of speech at batch priority.
        long_path = workdir / "hour.wav"
        write_wav(
            speech("flite:kal", MEMORY["Budget"][1] + MEMORY["Holiday"][1], args.backlog_minutes * 60),
            long_path,
        )
        with long_path.open("rb") as handle:
            backlog = api("POST", "/recordings", files={"audio": handle}, data={"title": "Backlog"})
        job_events: list = []
        follower = threading.Thread(
            target=lambda: job_events.extend(
                api.events(f"/jobs/{backlog['job_id']}/events", ("done", "failed", "cancelled"))
            ),
            daemon=True,
        )
        follower.start()
        while not chunk_task_seconds(job_events) and follower.is_alive():
            time.sleep(0.5)
        under_backlog = []
        for question in QUESTIONS[: args.repeats]:
            under_backlog.append(ask(api, question, True, args.max_tokens))
            time.sleep(3)  # let a chunk task start, so the next question lands mid-chunk
        live_backlog = live_latencies(api, max(5, args.live_chunks // 2), 2.0, "backlog")
        chunk_gaps = chunk_task_seconds(job_events)
        backlog_state = api("GET", f"/jobs/{backlog['job_id']}")
        print(f"backlog after the questions: {backlog_state['state']}, {backlog_state['progress']:.2f}")
        if backlog_state["state"] not in ("done", "failed", "cancelled"):
            api("DELETE", f"/jobs/{backlog['job_id']}")
        final_pool = pool_stats(api)
    finally:
        system.stop()

    idle_ttft = statistics.median(r["ttft"] for r in idle_memory)
    backlog_ttft = statistics.median(r["ttft"] for r in under_backlog)
    chunk_p50 = statistics.median(chunk_gaps) if chunk_gaps else float("nan")
    rows = [
        ("bare llama-cpp-python, first token (s)", f"{bare_ttft:.3f}"),
        ("bare llama-cpp-python, tokens/s", f"{bare_tps:.1f}"),
        ("idle, no memory: first token p50 (s)", f"{statistics.median(r['ttft'] for r in idle_plain):.3f}"),
        ("idle, no memory: tokens/s p50", f"{statistics.median(r['tps'] for r in idle_plain):.1f}"),
        ("idle, with memory: first token p50 (s)", f"{idle_ttft:.3f}"),
        ("idle, with memory: tokens/s p50", f"{statistics.median(r['tps'] for r in idle_memory):.1f}"),
        (f"swap ASR <-> LLM, mean of {swaps} (s)", f"{swap_mean:.3f}"),
        ("first token right after a swap, p50 (s)", f"{statistics.median(swap_ttft):.3f}"),
        ("one chunk task under backlog, p50 (s)", f"{chunk_p50:.3f}"),
        ("under backlog, with memory: first token p50 (s)", f"{backlog_ttft:.3f}"),
        ("under backlog / idle, first token", f"{backlog_ttft / idle_ttft:.2f}"),
        ("target: idle + one chunk + one swap (s)", f"{idle_ttft + chunk_p50 + swap_mean:.3f}"),
        (
            "live 2 s chunk, idle: p50 / p95 (s)",
            f"{percentile(live_idle, 50):.3f} / {percentile(live_idle, 95):.3f}",
        ),
        (
            "live 2 s chunk, under backlog: p50 / p95 (s)",
            f"{percentile(live_backlog, 50):.3f} / {percentile(live_backlog, 95):.3f}",
        ),
        ("GPU worker pool: loads / swaps (whole run)", f"{final_pool['loads']} / {final_pool['swaps']}"),
    ]
    print(
        f"\nbench.chat on {platform.machine()}, {os.cpu_count()} cores, model {args.model}, "
        f"budget {args.budget}, {args.threads} threads, max_tokens {args.max_tokens}, "
        f"{args.repeats} questions a phase"
    )
    print("| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
