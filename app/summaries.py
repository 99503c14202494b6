"""Asking for a recording's summary to be written again.

A summary names people and quotes tasks: after a speaker is renamed or merged, or a line corrected, the old
one says "Speaker 1" or repeats the misheard words. Edits come in bursts (a user fixes ten lines in a
minute), so a rewrite waits REWRITE_DELAY_SECONDS and one queued rewrite serves every edit made before it
runs. The summary task runs at the lowest priority on the GPU worker; it never delays a transcript.
"""

from __future__ import annotations

from collections.abc import Iterable

import celeryconfig
from app import extensions as ext
from app.store import recordings
from app.store.db import Tx

REWRITE_DELAY_SECONDS = 20
# A global rename touches every recording the person speaks in: the most recent ones are rewritten.
MOST_REWRITTEN = 50


def mark_stale(tx: Tx, recording_ids: Iterable[str]) -> list[str]:
    """Marks the summaries of `recording_ids` as being rewritten (the page keeps showing the old text
    meanwhile); returns the ids to pass to `rewrite_later` once the transaction has committed. Nothing
    when summaries are off."""
    if not ext.config().SUMMARIES:
        return []
    wanted = list(dict.fromkeys(recording_ids))[:MOST_REWRITTEN]
    for recording_id in wanted:
        recordings.update_recording(tx, recording_id, summary_state="pending")
    return wanted


def rewrite_later(recording_ids: Iterable[str], delay: float = REWRITE_DELAY_SECONDS) -> None:
    """Queues one summary rewrite per recording, `delay` seconds from now, unless one is already waiting
    (a Redis key that lives as long as the wait)."""
    redis = ext.redis_client()
    for recording_id in recording_ids:
        if delay > 0 and not redis.set(f"nemo:summary-due:{recording_id}", "1", nx=True, ex=int(delay)):
            continue
        ext.celery().send_task(celeryconfig.SUMMARY_TASK, args=[recording_id], countdown=delay)
