"""Fitting a prompt into the model's context: what is cut first when an answer's prompt or a summary's
transcript does not fit beside the tokens the model will write."""

from __future__ import annotations

import time
from datetime import tzinfo

from workers import excerpts, prompts
from workers.llm import LlmEngine

# Excerpts are dropped (the weakest first) until the prompt fits; at least this many are kept.
MIN_EXCERPTS = 1

SUMMARY_MAX_TOKENS = 300


def fitted(
    engine_: LlmEngine, chat: dict, hits: list[dict] | None, asker_zone: tzinfo
) -> tuple[list[dict], list[dict] | None]:
    """The prompt, cut to fit the context with the answer's tokens: the weakest excerpts go first (by their
    search rank), then the oldest turns; the last question is never cut (if it alone does not fit, that is
    the caller's error). Excerpts are dated in the asker's time zone."""
    turns = list(chat["messages"])
    budget = engine_.context - chat["max_tokens"]
    now = time.time()
    while True:
        messages = prompts.build_messages(turns, hits, asker_zone, now)
        if len(engine_.prompt_tokens(messages)) <= budget:
            return messages, hits
        if hits is not None and len(hits) > MIN_EXCERPTS:
            hits = excerpts.without_weakest(hits)
        elif len([m for m in turns if m["role"] != "system"]) > 1:
            first = next(i for i, m in enumerate(turns) if m["role"] != "system")
            del turns[first]
        else:
            return messages, hits  # generate() raises ContextTooLong with the exact count


def transcript_parts(llm: LlmEngine, segments: list[dict]) -> list[str]:
    """The transcript in consecutive parts, each fitting the context beside the instructions and the
    summary it asks for: one part when it fits whole, several for a long meeting (each is summarised,
    then the summaries are combined, so the end of a meeting counts as much as its beginning)."""
    overhead = len(llm.prompt_tokens(prompts.summary_messages("")))
    budget = llm.context - SUMMARY_MAX_TOKENS - overhead - 64
    empty = len(llm.prompt_tokens([{"role": "user", "content": ""}]))
    parts: list[str] = []
    lines: list[str] = []
    used = 0
    for line in prompts.transcript_text(segments).splitlines():
        cost = len(llm.prompt_tokens([{"role": "user", "content": line}])) - empty + 1
        if cost > budget:  # one very long line: cut it to what fits on its own
            line, cost = line[: budget * 3], budget
        if lines and used + cost > budget:
            parts.append("\n".join(lines))
            lines, used = [], 0
        lines.append(line)
        used += cost
    if lines:
        parts.append("\n".join(lines))
    return parts
