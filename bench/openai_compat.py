"""The OpenAI-compatible transcription endpoint against bare faster-whisper, on the same audio.

Starts a system of its own (web and the GPU, CPU and search workers on a scratch instance), then for each
file of the corpora asks `POST /v1/audio/transcriptions` through OpenAI's own Python client twice:

- `json`, stored: answered as soon as every chunk is transcribed (what a tool that wants text waits for);
- `diarized_json`, `store=false`: answered once the speakers are found, and nothing is kept;

and runs bare faster-whisper on the file (same model, int8, same threads, beam 5, word timestamps,
language given, model kept loaded). It prints, per corpus, the word error rate of each against the
script, the speaker count `diarized_json` found against the true one, and the wall time (sum and ratio to
bare). Corpora: `robots` (flite and espeak-ng conversations of 2-4 voices) and `dropped` (two robot voices
alternating quickly, the files on which a batched decode once lost turns); both are deterministic.

    .venv/bin/python -m bench.openai_compat --conversations 4 --dropped 6

It prints each file's word errors on both sides as it goes; `BENCH_SHOW_TEXT=1` also prints the script,
our transcript and bare faster-whisper's, to see what kind the errors are (a lost turn, or a word heard
wrong).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import openai  # noqa: E402

from bench.harness import System, scratch_env, scratch_user  # noqa: E402
from bench.metrics import word_errors  # noqa: E402
from bench.transcribe import bare_whisper  # noqa: E402
from bench.transcribe_corpora import Item, dropped_corpus, reference_text, robot_conversations  # noqa: E402


def ask(client: openai.OpenAI, item: Item, response_format: str, store: bool) -> tuple[float, object]:
    started = time.perf_counter()
    with item.path.open("rb") as audio:
        answer = client.audio.transcriptions.create(
            model="whisper-1",
            file=audio,
            language="en",
            response_format=response_format,
            extra_body={"store": str(store).lower(), "speakers": str(item.speakers)},
        )
    return time.perf_counter() - started, answer


def wer(items: list[Item], texts: list[str]) -> float:
    errors = words = 0
    for item, text in zip(items, texts, strict=True):
        wrong, total = word_errors(reference_text(item), text)
        errors, words = errors + wrong, words + total
    return errors / max(words, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--model", default=os.environ.get("NEMO_ASR_MODEL", "whisper-tiny.en"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--conversations", type=int, default=4, help="robot conversations")
    parser.add_argument("--turns", type=int, default=14, help="turns per robot conversation")
    parser.add_argument("--dropped", type=int, default=6, help="recordings in the dropped corpus")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="nemo-bench-openai-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {args.model}; work dir {workdir}")
    env = scratch_env(workdir, args.redis_url, args.threads, NEMO_SUMMARIES="0", NEMO_ASR_MODEL=args.model)
    os.environ.update(env)
    _store, token = scratch_user(args.redis_url, "openai-bench")
    corpora = {
        "robots": robot_conversations(workdir, args.conversations, args.turns),
        "dropped": dropped_corpus(workdir, range(args.dropped)),
    }
    system = System(env, workdir, kinds=("gpu", "cpu", "search"))
    rows = []
    try:
        client = openai.OpenAI(api_key=token, base_url=f"{system.start()}/v1", max_retries=0, timeout=3600)
        ask(client, corpora["robots"][0], "diarized_json", store=False)  # loads every model once
        for name, items in corpora.items():
            json_times, json_texts, diarized_times, diarized_texts, speakers_right = [], [], [], [], 0
            for item in items:
                seconds, answer = ask(client, item, "json", store=True)
                json_times.append(seconds)
                json_texts.append(answer.text)
                seconds, answer = ask(client, item, "diarized_json", store=False)
                diarized_times.append(seconds)
                diarized_texts.append(answer.text)
                speakers_right += len({s.speaker for s in answer.segments}) == item.speakers
            bare_times, bare_texts = bare_whisper([i.path for i in items], args.model, args.threads)
            for item, ours, bare in zip(items, json_texts, bare_texts, strict=True):
                mine, theirs = (
                    word_errors(reference_text(item), ours),
                    word_errors(reference_text(item), bare),
                )
                print(
                    f"{item.path.name}: word errors {mine[0]} ours, {theirs[0]} bare, of {mine[1]}",
                    flush=True,
                )
                if os.environ.get("BENCH_SHOW_TEXT"):
                    print(f"REF  {reference_text(item)}\nOURS {ours}\nBARE {bare}", flush=True)
            audio = sum(max(t.end for t in item.turns) for item in items)
            rows.append(
                (name, len(items), audio, wer(items, bare_texts), sum(bare_times), wer(items, json_texts),
                 sum(json_times), wer(items, diarized_texts), sum(diarized_times), speakers_right,
                 statistics.median(json_times))
            )  # fmt: skip
    finally:
        system.stop()
    print()
    print(
        "| corpus | files | audio | bare WER | bare time | `json` WER | `json` time (x bare) "
        "| `diarized_json` WER | `diarized_json` time (x bare) | speaker count right |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, files, audio, b_wer, b_time, j_wer, j_time, d_wer, d_time, right, _median in rows:
        print(
            f"| {name} | {files} | {audio:.0f} s | {b_wer:.3f} | {b_time:.1f} s | {j_wer:.3f} | "
            f"{j_time:.1f} s ({j_time / b_time:.2f}x) | {d_wer:.3f} | "
            f"{d_time:.1f} s ({d_time / b_time:.2f}x) | {right}/{files} |"
        )


if __name__ == "__main__":
    main()
