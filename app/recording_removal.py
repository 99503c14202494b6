"""Deleting a recording for its owner: the rows (segments, vectors, jobs) in one transaction, then the
encrypted audio. The API's DELETE and the OpenAI-compatible `store=false` both end a recording here."""

from __future__ import annotations

from app import extensions as ext
from app.auth import client_address
from app.store import audit, recordings


def delete_owned_recording(user_id: str, recording_id: str) -> dict | None:
    """The deleted recording's row, or None when the user holds no such recording (nothing changes)."""
    with ext.store().tx() as tx:
        row = recordings.get_recording(tx, recording_id, user_id)
        if row is None:
            return None
        recordings.delete_recording(tx, recording_id)
        audit.record(tx, "deleted", user_id, f"recording={recording_id}", client_address())
    for blob_id in (row["blob_id"], row["pcm_blob_id"]):
        if blob_id:
            ext.blobs().delete(blob_id)
    return row
