"""The `chat` queue (GPU worker): answers from memory, streamed token by token, and recording summaries.

An answer runs at the highest priority, so it waits at most for the chunk the worker is busy with. Its
tokens go onto the answer's Redis stream as they come; the generation never depends on anyone reading them,
so a client that disconnects and comes back (Last-Event-ID) misses nothing. Summaries run at the lowest
priority, after every other kind of work.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from celery import shared_task
from flask import current_app

import celeryconfig
from app import events, rpc
from app.errors import ApiError
from app.metrics import record
from app.serializers import as_in_recording, public_chat, public_segment, public_speakers
from app.store import chats, recordings, voices
from app.time_phrases import find_window, zone
from app.webhooks import events as webhook_events
from workers import action_items, answer_check, excerpts, prompt_fit, prompts, question_scope
from workers.llm import Abstention, ContextTooLong, LlmEngine, llm_engine
from workers.pool import model_pool

log = logging.getLogger(__name__)
# Neighbours read on either side of each hit: enough for the speaker's turn and the reply to a question.
EXCERPT_CONTEXT = 6
# The assistant reads the fused order, not the learned re-ranker's: it already turns a question asked in a
# meeting into that question and its reply (`excerpts.turn_excerpts`), and on bench/answers the re-ranked
# excerpts answered no better (strict 0.67 against 0.68) and abstained on fewer unanswerable questions
# (14 of 22 against 16). README, Benchmarks, "Re-ranking".
EXCERPT_RANKING = "fused"


def engine(model: str | None = None) -> LlmEngine:
    """The answering model, or another one (the summaries')."""
    config = current_app.extensions["nemo.config"]
    return llm_engine(
        model_pool(config.MODEL_BUDGET_BYTES),
        model or config.LLM_MODEL,
        config.LLM_CONTEXT,
        config.WORKER_THREADS,
        config.LLM_GPU_LAYERS,
    )


class AnswerStream:
    """The answer's events on Redis: what the SSE relay forwards."""

    def __init__(self, chat_id: str) -> None:
        self.redis = current_app.extensions["nemo.redis"]
        self.key = events.chat_stream_key(chat_id)
        self.ttl = current_app.extensions["nemo.config"].EVENT_STREAM_TTL_SECONDS

    def emit(self, event: str, data: dict[str, Any]) -> None:
        events.emit_to(self.redis, self.key, event, data, self.ttl)

    def has_events(self) -> bool:
        return bool(self.redis.exists(self.key))


def last_question(chat: dict) -> str:
    """What the asker asked last: the memory is searched for it and the citations are checked against it."""
    return next(m["content"] for m in reversed(chat["messages"]) if m["role"] == "user")


def scopes(question: str, user_id: str) -> tuple[dict | None, str | None]:
    """The enrolled speaker and the recording the question names, if any."""
    store = current_app.extensions["nemo.store"]
    with store.tx(readonly=True) as tx:
        named = voices.list_voices(tx, user_id, named_only=True)
        titled = recordings.titles(tx, user_id)
    return question_scope.named_voice(question, named), question_scope.named_recording(question, titled)


def recall(chat: dict, timezone: str | None) -> tuple[list[dict], dict]:
    """Memory excerpts for the last question: the search of the memory, with a time phrase turned into a
    window, a named speaker and a named recording into filters. None may erase the memory: a phrase about
    when the event happened ("why did the backup fail last night") searches everything, phrase included;
    filters that leave nothing are dropped (the speaker first: a name may be the topic, not who spoke),
    and the memory event says which were dropped and why. Each hit becomes its speaker's whole turn, and
    a question asked in a recording brings the turn that replied to it (`excerpts.turn_excerpts`)."""
    config = current_app.extensions["nemo.config"]
    question = last_question(chat)
    window, query = find_window(question, time.time(), timezone)
    if window is not None and window.about_event:
        query = question
    speaker, recording_id = scopes(question, chat["user_id"])
    wanted: dict[str, dict[str, Any]] = {}
    if window is not None and not window.about_event:
        wanted["window"] = {"since": window.since, "until": window.until}
    if speaker is not None:
        wanted["speaker"] = {"voice_id": speaker["id"]}
    if recording_id is not None:
        wanted["recording"] = {"recording_id": recording_id}

    for applied in question_scope.attempts(list(wanted)):
        filters = {key: value for name in applied for key, value in wanted[name].items()}
        found = rpc.call(
            celeryconfig.SEARCH_TASK,
            [chat["user_id"], query, config.CHAT_EXCERPTS, filters, "auto", EXCERPT_CONTEXT, EXCERPT_RANKING],
            timeout=config.CHAT_SEARCH_TIMEOUT_SECONDS,
            what="memory search",
        )
        if found["results"]:
            break
    info: dict[str, Any] = {
        "query": query,
        "window": None,
        "speaker": speaker["name"] if speaker and "speaker" in applied else None,
        "recording_id": recording_id if "recording" in applied else None,
        "search_ms": found["took_ms"],
    }
    if window is not None:
        info["window"] = {
            "phrase": window.phrase,
            "since": window.since,
            "until": window.until,
            "applied": "window" in applied,
            "dropped": None,
        }
        if window.about_event:
            info["window"]["dropped"] = "the phrase says when it happened, not when it was said"
        elif "window" not in applied:
            info["window"]["dropped"] = "nothing in the recordings matches in that time"
    if speaker is not None and "speaker" not in applied:
        info["speaker_dropped"] = f"{speaker['name']} said nothing that matches"
    return excerpts.nearest_last(excerpts.turn_excerpts(found["results"])), info


@shared_task(name=celeryconfig.CHAT_TASK, ignore_result=True)
def answer_chat(chat_id: str, timezone: str | None = None) -> None:
    store = current_app.extensions["nemo.store"]
    config = current_app.extensions["nemo.config"]
    with store.tx() as tx:
        chat = chats.get_chat(tx, chat_id)
    if chat is None or chat["state"] in chats.TERMINAL:
        return
    stream = AnswerStream(chat_id)
    picked_up = time.time()
    if stream.has_events():
        # A redelivery after a crash: the answer starts over, and listeners are told to drop what they have.
        stream.emit("restart", {"reason": "the worker restarted; the answer is generated again"})
    try:
        llm = engine()
        with store.tx() as tx:
            if not chats.start(tx, chat_id, llm.name):
                return
        stream.emit("started", {"model": llm.name, "queued_s": round(picked_up - chat["created_at"], 3)})
        hits, memory = None, None
        if chat["use_memory"]:
            try:
                hits, memory = recall(chat, timezone)
            except ApiError as exc:
                # No answer rather than one that says "not in the recordings" without having looked.
                fail(
                    chat_id,
                    stream,
                    "memory_unavailable",
                    f"the recordings could not be searched: {exc.message}",
                )
                return
            memory["excerpts"] = [
                {**prompts.source(n, h), "similarity": h.get("similarity")} for n, h in enumerate(hits, 1)
            ]
            stream.emit("memory", memory)
        messages, hits = prompt_fit.fitted(llm, chat, hits, zone(timezone))
        generation = llm.generate(
            messages,
            chat["max_tokens"],
            chat["temperature"],
            on_token=lambda piece: stream.emit("token", {"text": piece}),
            abstention=None if hits is None else Abstention(prompts.NOT_FOUND, config.CHAT_ABSTAIN_THRESHOLD),
        )
        if memory is not None:
            memory["not_found_probability"] = generation.abstain_probability
            memory["abstained"] = generation.abstained
    except ContextTooLong as exc:
        fail(chat_id, stream, "context_exceeded", str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - the asker is told; a retry would only fail the same way
        log.exception("chat %s failed", chat_id)
        fail(chat_id, stream, "generation_failed", f"{type(exc).__name__}: {exc}")
        return
    answer, question = generation.text, last_question(chat)
    citations = prompts.citations_for(answer, hits or [], question)
    if memory is not None and not generation.abstained and config.CHAT_ANSWER_CHECK:
        reason = unsupported_because(question, answer, citations)
        if reason is not None:
            # The words already streamed are taken back: what is kept is that nothing was found.
            memory["withdrawn"] = {"answer": answer, "reason": reason}
            answer, citations = prompts.NOT_FOUND, []
            stream.emit("revised", {"answer": answer, "reason": reason})
    attributed = prompts.with_cited_speaker(answer, hits or [], citations, question)
    if attributed is not None:
        # "David said ..." over Grace's words: the name follows the moment the answer cites.
        said_by = prompts.attribution(answer)[0]
        reason = f"{citations[0]['speaker']} said it, not {said_by}"
        stream.emit("revised", {"answer": attributed, "reason": reason})
        answer = attributed
    usage = {
        "prompt_tokens": generation.prompt_tokens,
        "completion_tokens": generation.completion_tokens,
        "total_tokens": generation.prompt_tokens + generation.completion_tokens,
    }
    timings = {
        "queued_s": round(picked_up - chat["created_at"], 3),
        "search_ms": memory.get("search_ms") if memory else None,
        "first_token_s": None
        if generation.first_token_seconds is None
        else round(generation.first_token_seconds, 3),
        "generation_s": round(generation.seconds, 3),
        "tokens_per_second": round(generation.tokens_per_second, 2),
        "total_s": round(time.time() - chat["created_at"], 3),
    }
    with store.tx() as tx:
        chats.finish(tx, chat_id, answer, citations, usage, timings)
        final = public_chat(chats.get_chat(tx, chat_id))
    if timings["first_token_s"] is not None:
        record.observe(
            stream.redis, record.CHAT_FIRST_TOKEN_SECONDS, timings["first_token_s"], model=llm.name
        )
    record.observe(stream.redis, record.CHAT_SECONDS, timings["total_s"], model=llm.name)
    stream.emit("done", {**final, "finish_reason": generation.finish_reason, "memory": memory})


def unsupported_because(question: str, answer: str, citations: list[dict]) -> str | None:
    """Why the recordings the answer cites do not hold it (`workers.answer_check`), or None."""
    if prompts.says_not_found(answer):
        return None
    store = current_app.extensions["nemo.store"]
    cited = list(dict.fromkeys(c["recording_id"] for c in citations))
    with store.tx(readonly=True) as tx:
        texts = [recordings.said_in(tx, recording_id) for recording_id in cited]
    return answer_check.unsupported(question, answer, texts)


def fail(chat_id: str, stream: AnswerStream, code: str, message: str) -> None:
    store = current_app.extensions["nemo.store"]
    with store.tx() as tx:
        chats.fail(tx, chat_id, message)
        final = public_chat(chats.get_chat(tx, chat_id))
    stream.emit("failed", {**final, "code": code})


def summary_of(llm: LlmEngine, segments: list[dict]) -> tuple[str, list[str]]:
    """(summary, action items) of the whole transcript: a long one is summarised part by part (map), the
    parts' summaries combined into one (reduce). The action items are the commitments people said
    (`workers.action_items`); the model's own list is used only when nobody said one in a plain shape,
    since it gives tasks to the wrong person more often than it finds one the rules miss."""

    def written(messages: list[dict], max_tokens: int) -> str:
        return llm.generate(messages, max_tokens, 0.2, on_token=lambda _piece: None).text

    part_summaries: list[str] = []
    items: list[str] = []
    for part in prompt_fit.transcript_parts(llm, segments):
        summary, part_items = prompts.parse_summary(
            written(prompts.summary_messages(part), prompt_fit.SUMMARY_MAX_TOKENS)
        )
        part_summaries.append(summary)
        items.extend(part_items)
    said = [item.line() for item in action_items.extract(segments)]
    chosen = prompts.distinct_items(said or items)
    if len(part_summaries) == 1:
        return part_summaries[0], chosen
    combined, _none = prompts.parse_summary(
        written(prompts.combine_messages(part_summaries), prompt_fit.SUMMARY_MAX_TOKENS)
    )
    return combined, chosen


@shared_task(name=celeryconfig.SUMMARY_TASK, ignore_result=True)
def summarize_recording(recording_id: str) -> None:
    """Summary and action items, stored on the recording. Idempotent: a rerun writes them again."""
    store = current_app.extensions["nemo.store"]
    with store.tx() as tx:
        recording = recordings.get_recording(tx, recording_id)
        if recording is None:
            return
        rows = recordings.list_segments(tx, recording_id)
        speakers = recordings.speakers_by_recording(tx, recording["user_id"], [recording])[recording_id]
    # Written with the recording's own "Speaker 1, 2" (or names), as its page shows the lines.
    segments = as_in_recording([public_segment(row) for row in rows], public_speakers(speakers))
    if not segments:
        with store.tx() as tx:
            recordings.update_recording(
                tx, recording_id, summary_state="done", summary="No speech was found.", action_items="[]"
            )
        return
    try:
        llm = engine(current_app.extensions["nemo.config"].SUMMARY_MODEL)
        summary, items = summary_of(llm, segments)
        with store.tx() as tx:
            recordings.update_recording(
                tx,
                recording_id,
                summary=summary,
                action_items=json.dumps(items),
                summary_state="done",
                summary_model=llm.name,
            )
            deliveries = webhook_events.announce(
                tx,
                recording["user_id"],
                "summary.ready",
                {"recording": webhook_events.about_recording(recording), "summary": summary,
                 "action_items": items},
            )  # fmt: skip
        webhook_events.send(deliveries)
    except Exception:
        log.exception("summary of %s failed", recording_id)
        with store.tx() as tx:
            recordings.update_recording(tx, recording_id, summary_state="failed")
        raise
