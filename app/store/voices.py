"""Voices: enrolled speaker profiles (named) and the unnamed identities diarization finds.

A voice's vector is the mean of its embeddings for one embedding model (vectors of different models are
never compared). Unnamed voices that match each other across one user's recordings share one identity, so
"Speaker 3" is the same person everywhere until someone gives them a name.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import numpy as np

from app.store.db import Tx
from app.store.rows import VoiceRow

NAME_MAX = 100
# How an unnamed voice is shown ("Speaker 3"): a reference to that voice, never a new person's name.
_UNNAMED_LABEL = re.compile(r"speaker\s+([0-9]{1,9})", re.IGNORECASE)


class VoiceError(ValueError):
    """A request about voices that cannot be honoured, with a message fit for the caller."""


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise VoiceError("the name must be a non-empty string")
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        raise VoiceError(f"the name must be at most {NAME_MAX} characters")
    return name


def label(row: dict[str, Any]) -> str:
    return row["name"] or f"Speaker {row['number']}"


def looks_unnamed(text: str) -> bool:
    """True for "Speaker 3": the label of an unnamed voice, which a person's name must not look like
    (it would be a second "Speaker 3" beside the first)."""
    return _UNNAMED_LABEL.fullmatch(text.strip()) is not None


def find_by_label(tx: Tx, user_id: str, text: str) -> VoiceRow | None:
    """The caller's voice that `text` names as the pages show it: a name (exactly, then in any case) or
    the label "Speaker N" of an unnamed voice. None when it names nobody."""
    voice = get_voice_by_name(tx, user_id, text)
    if voice is None and (match := _UNNAMED_LABEL.fullmatch(text.strip())):
        voice = get_unnamed_by_number(tx, user_id, int(match.group(1)))
    return voice or get_voice_by_name_any_case(tx, user_id, text)


def existing_or_new_name(tx: Tx, user_id: str, text: str) -> VoiceRow | None:
    """What a person typed as a speaker: the voice it names (`find_by_label`), or None for a person's
    name nobody has yet (the caller makes them). A label nobody has ("Speaker 999") is a VoiceError:
    a label is a reference, never a new name."""
    voice = find_by_label(tx, user_id, text)
    if voice is None and looks_unnamed(text):
        raise VoiceError(f"there is no {text.strip()!r}: choose a listed speaker or give a person's name")
    return voice


def create_voice(tx: Tx, user_id: str, name: str | None) -> VoiceRow:
    if name is not None and looks_unnamed(name):
        raise VoiceError(f"{name!r} is how an unnamed speaker is shown; give a person's name")
    if name is not None and tx.one("SELECT id FROM voices WHERE user_id = ? AND name = ?", (user_id, name)):
        raise VoiceError(f"a speaker named {name!r} already exists")
    number = tx.one("SELECT coalesce(max(number), 0) + 1 AS n FROM voices WHERE user_id = ?", (user_id,))["n"]
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "name": name,
        "number": number,
        "created_at": time.time(),
    }
    tx.execute(
        "INSERT INTO voices (id, user_id, name, number, created_at) VALUES (?, ?, ?, ?, ?)",
        (row["id"], user_id, name, number, row["created_at"]),
    )
    return row


def get_voice(tx: Tx, voice_id: str, user_id: str) -> VoiceRow | None:
    return tx.one("SELECT * FROM voices WHERE id = ? AND user_id = ?", (voice_id, user_id))


def get_voice_by_name(tx: Tx, user_id: str, name: str) -> VoiceRow | None:
    return tx.one("SELECT * FROM voices WHERE user_id = ? AND name = ?", (user_id, name))


def get_unnamed_by_number(tx: Tx, user_id: str, number: int) -> VoiceRow | None:
    """The unnamed voice the user sees as "Speaker `number`"."""
    return tx.one("SELECT * FROM voices WHERE user_id = ? AND number = ? AND name IS NULL", (user_id, number))


def get_voice_by_name_any_case(tx: Tx, user_id: str, name: str) -> VoiceRow | None:
    return tx.one("SELECT * FROM voices WHERE user_id = ? AND lower(name) = lower(?)", (user_id, name))


def list_voices(tx: Tx, user_id: str, named_only: bool = False) -> list[VoiceRow]:
    where = " AND name IS NOT NULL" if named_only else ""
    return tx.all(f"SELECT * FROM voices WHERE user_id = ?{where} ORDER BY number", (user_id,))


def add_embedding(
    tx: Tx,
    voice_id: str,
    kind: str,
    vector: np.ndarray,
    model: str,
    seconds: float,
    recording_id: str | None = None,
) -> None:
    tx.execute(
        "INSERT INTO voice_embeddings (id, voice_id, kind, recording_id, model, vector, seconds, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            uuid.uuid4().hex,
            voice_id,
            kind,
            recording_id,
            model,
            json.dumps([round(float(x), 6) for x in vector]),
            seconds,
            time.time(),
        ),
    )


def add_sample(tx: Tx, voice_id: str, blob_id: str, seconds: float) -> None:
    tx.execute(
        "INSERT INTO voice_samples (id, voice_id, blob_id, seconds, created_at) VALUES (?, ?, ?, ?, ?)",
        (uuid.uuid4().hex, voice_id, blob_id, seconds, time.time()),
    )


def usage(tx: Tx, voice_id: str) -> dict[str, int]:
    """How much a voice holds: `samples` enrolled, `recordings` it speaks in."""
    return tx.one(
        "SELECT (SELECT count(*) FROM voice_samples WHERE voice_id = ?) AS samples, "
        "(SELECT count(DISTINCT recording_id) FROM segments WHERE voice_id = ?) AS recordings",
        (voice_id, voice_id),
    )


def rename_voice(tx: Tx, voice_id: str, name: str) -> None:
    tx.execute("UPDATE voices SET name = ? WHERE id = ?", (name, voice_id))


def delete_voice(tx: Tx, voice_id: str) -> list[str]:
    """Deletes the voice (its samples and vectors go with it); returns its samples' blob ids, for the
    caller to delete once the transaction has committed."""
    blob_ids = [row["blob_id"] for row in samples(tx, voice_id)]
    tx.execute("DELETE FROM voices WHERE id = ?", (voice_id,))
    return blob_ids


def samples(tx: Tx, voice_id: str) -> list[dict[str, Any]]:
    """An enrolled voice's recorded samples, oldest first: `id`, `blob_id`, `seconds` (of voice in it),
    `created_at`."""
    return tx.all(
        "SELECT id, blob_id, seconds, created_at FROM voice_samples WHERE voice_id = ? "
        "ORDER BY created_at, id",
        (voice_id,),
    )


def replace_enrollment(tx: Tx, voice_id: str, vectors: list[tuple[np.ndarray, float]], model: str) -> None:
    """The voice's enrollment vectors (one per sample, with its seconds) instead of the ones it had: an
    enrollment that runs twice leaves one set."""
    tx.execute("DELETE FROM voice_embeddings WHERE voice_id = ? AND kind = 'enrollment'", (voice_id,))
    for vector, seconds in vectors:
        add_embedding(tx, voice_id, "enrollment", vector, model, seconds)


def profiles(tx: Tx, user_id: str, model: str) -> list[tuple[dict[str, Any], list[np.ndarray]]]:
    """Each of the user's voices with the stored vectors for `model` that speak for it (voices without any
    are left out); `workers.naming.profile_vector` makes them one."""
    # A named profile is what its samples and the user's confirmations say; unnamed identities are
    # everything diarization has seen of them.
    rows = tx.all(
        "SELECT v.id, v.name, v.number, v.created_at, e.vector, e.seconds FROM voices v "
        "JOIN voice_embeddings e ON e.voice_id = v.id WHERE v.user_id = ? AND e.model = ? "
        "AND (v.name IS NULL OR e.kind = 'enrollment') ORDER BY v.number",
        (user_id, model),
    )
    grouped: dict[str, tuple[dict[str, Any], list[np.ndarray]]] = {}
    for r in rows:
        grouped.setdefault(r["id"], (r, []))[1].append(np.asarray(json.loads(r["vector"]), dtype=np.float32))
    return list(grouped.values())


def forget_recording(tx: Tx, recording_id: str) -> None:
    """Drop what a recording taught the voices, before it is diarized again."""
    tx.execute("DELETE FROM voice_embeddings WHERE recording_id = ? AND kind = 'recording'", (recording_id,))


def rename_in_recording(
    tx: Tx, user_id: str, recording_id: str, voice: dict[str, Any], name: str, confirm: bool
) -> dict[str, Any]:
    """Give the speaker `voice` of one recording the name `name`; returns the voice they now are.

    An unnamed identity takes the name everywhere (it is one person). A name or label ("Speaker 2") that
    already belongs to a voice moves this recording's segments to that voice: the two were one person.
    With `confirm`, what this recording showed of the voice becomes part of the profile, so later
    recordings recognise it.
    """
    target = existing_or_new_name(tx, user_id, name)
    if target is None and voice["name"] is None:
        tx.execute("UPDATE voices SET name = ? WHERE id = ?", (name, voice["id"]))
        target = {**voice, "name": name}
    elif target is None:
        target = create_voice(tx, user_id, name)
    if target["id"] != voice["id"]:
        tx.execute(
            "UPDATE segments SET voice_id = ? WHERE recording_id = ? AND voice_id = ?",
            (target["id"], recording_id, voice["id"]),
        )
        tx.execute(
            "UPDATE voice_embeddings SET voice_id = ? WHERE recording_id = ? AND voice_id = ?",
            (target["id"], recording_id, voice["id"]),
        )
        _move_turns(tx, recording_id, voice["id"], target["id"])
    if confirm:
        tx.execute(
            "UPDATE voice_embeddings SET kind = 'enrollment' WHERE recording_id = ? AND voice_id = ?",
            (recording_id, target["id"]),
        )
    drop_orphans(tx)
    return target


def recordings_of(tx: Tx, voice_id: str) -> list[str]:
    """The recordings the voice speaks in, most recently recorded first."""
    rows = tx.all(
        "SELECT r.id FROM recordings r WHERE EXISTS "
        "(SELECT 1 FROM segments s WHERE s.recording_id = r.id AND s.voice_id = ?) "
        "ORDER BY r.recorded_at DESC",
        (voice_id,),
    )
    return [row["id"] for row in rows]


def merge_voices(tx: Tx, user_id: str, source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """`source` and `target` are one person: every segment, turn, embedding and sample of `source`
    becomes `target`'s, in every recording of the user, and `source` is gone. An unnamed `target`
    takes `source`'s name (a name is never lost to a merge). Returns `target` as it now is; the caller
    re-enrolls it when samples moved (its profile vector is built from them)."""
    for recording_id in recordings_of(tx, source["id"]):
        _move_turns(tx, recording_id, source["id"], target["id"])
    tx.execute("UPDATE segments SET voice_id = ? WHERE voice_id = ?", (target["id"], source["id"]))
    tx.execute("UPDATE voice_embeddings SET voice_id = ? WHERE voice_id = ?", (target["id"], source["id"]))
    tx.execute("UPDATE voice_samples SET voice_id = ? WHERE voice_id = ?", (target["id"], source["id"]))
    tx.execute("DELETE FROM voices WHERE id = ? AND user_id = ?", (source["id"], user_id))
    if target["name"] is None and source["name"] is not None:
        rename_voice(tx, target["id"], source["name"])
        return {**target, "name": source["name"]}
    return target


def _move_turns(tx: Tx, recording_id: str, from_voice: str, to_voice: str) -> None:
    """The recording's speaker turns follow its segments to the voice they now belong to."""
    row = tx.one("SELECT speaker_turns FROM recordings WHERE id = ?", (recording_id,))
    if not row or not row["speaker_turns"]:
        return
    turns = [
        [start, end, to_voice if voice_id == from_voice else voice_id]
        for start, end, voice_id in json.loads(row["speaker_turns"])
    ]
    tx.execute("UPDATE recordings SET speaker_turns = ? WHERE id = ?", (json.dumps(turns), recording_id))


def drop_orphans(tx: Tx) -> None:
    """An unnamed identity exists only while it labels some segment; one that labels none goes, with its
    embeddings. Named profiles stay until the user deletes them."""
    tx.execute(
        "DELETE FROM voices WHERE name IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM segments s WHERE s.voice_id = voices.id)"
    )
