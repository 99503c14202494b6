"""Who spoke which words, with no store and no model loading: each segment's voice from the voice windows
over its chunk, the speakers (clustered voices, a call's channels, or pyannote's turns), every word
labelled and segments split where the speaker changes, the speaker turns chunk by chunk (overlap
included), and the rows a chunk is rewritten with. `tasks.diarization` loads the inputs and writes the
result; `bench/diarization.py` runs this over cached voices to compare settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workers import naming
from workers.channels import word_channel
from workers.diarize import Piece, SegmentVoice, cluster_voices, nearest, split_at_labels, split_by_speaker
from workers.pyannote_pipeline import PyannoteSpeakers
from workers.segmentation import LocalActivity
from workers.speakers import SpeakerEmbedder
from workers.turns import Turn, speaker_turns

# Segments shorter than this carry too little voice to cluster on; they are labelled, not clustered.
MIN_CLUSTER_SECONDS = 1.0


def embed_chunk(
    embedder: SpeakerEmbedder, audio: np.ndarray, offset: float, rows: list[dict]
) -> list[SegmentVoice]:
    """Voice windows over the whole chunk in one pass (equal windows batch well, and a segment shorter than
    a window still gets a full window of voice), then each segment takes the windows that overlap it; its
    whole-segment vector is their mean, weighted by how much of each window lies inside the segment."""
    windows = embedder.embed_windows(audio)
    spans = np.array([(offset + a, offset + b) for a, b in windows.spans]).reshape(-1, 2)
    voices_of_rows = []
    for row in rows:
        start, end = row["start_s"], row["end_s"]
        inside = np.minimum(spans[:, 1], end) - np.maximum(spans[:, 0], start)
        chosen = np.flatnonzero(inside > 0)
        if not len(chosen):  # a segment of no duration: the window nearest to it
            chosen = np.array([int(np.argmin(np.abs(spans.mean(axis=1) - (start + end) / 2)))])
        weights = np.maximum(inside[chosen], 1e-3)[:, None]
        whole = (windows.vectors[chosen] * weights).sum(axis=0)
        voices_of_rows.append(
            SegmentVoice(
                start,
                end,
                json.loads(row["words"]),
                whole / max(float(np.linalg.norm(whole)), 1e-9),
                windows.vectors[chosen],
                [tuple(span) for span in spans[chosen]],
            )
        )
    return voices_of_rows


def by_voice(
    wholes: np.ndarray, durations: np.ndarray, options: dict, model: str, method: str = "agglomerative"
) -> np.ndarray:
    """Centroids of the voices heard, clustered on the segments long enough to carry a voice."""
    long_enough = durations >= MIN_CLUSTER_SECONDS
    if long_enough.any():
        wholes, durations = wholes[long_enough], durations[long_enough]
    distance = naming.calibration_for(model).cluster_distance
    return cluster_voices(
        wholes, durations, options.get("speakers"), options.get("max_speakers"), distance, method
    )


def by_channel(
    segment_voices: list[SegmentVoice], turns: list
) -> tuple[np.ndarray, Callable[[SegmentVoice], list[Piece]], list[Turn]]:
    """Speakers from a call's channels: every word takes the channel talking during it; each channel's
    voice (for naming) is the mean of its segments' vectors; the channels' turns are the speaker turns."""
    channels = sorted({t[2] for t in turns})
    index = {channel: n for n, channel in enumerate(channels)}

    def labels(sv: SegmentVoice) -> list[int]:
        spans = [(w["start"], w["end"]) for w in sv.words] or [(sv.start, sv.end)]
        return [index[word_channel(turns, a, b)] for a, b in spans]

    sums = np.zeros((len(channels), segment_voices[0].whole.shape[0]))
    for sv in segment_voices:
        counts = np.bincount(labels(sv), minlength=len(channels))
        sums[int(np.argmax(counts))] += sv.whole * (sv.end - sv.start)
    # A channel whose words all sit in segments led by the other still needs a vector: it gets a unit one
    # that matches nobody.
    empty = ~sums.any(axis=1)
    sums[empty, 0] = 1e-6
    centroids = sums / np.linalg.norm(sums, axis=1, keepdims=True)

    def pieces_of(sv: SegmentVoice) -> list[Piece]:
        return split_at_labels(sv, labels(sv))

    return centroids, pieces_of, [Turn(start, end, index[channel]) for start, end, channel in turns]


@dataclass
class ChunkVoices:
    """One chunk's segments with their voices, and what segmentation-3.0 heard there (None when off)."""

    idx: int
    start: float
    end: float
    rows: list[dict]
    voices: list[SegmentVoice]
    local: LocalActivity | None


@dataclass
class Speakers:
    """What diarization found in a recording, before any of it is stored: the voices (one centroid each,
    with the seconds of speech it holds), every segment's pieces under their voice, and the turns."""

    centroids: np.ndarray
    cluster_seconds: np.ndarray
    pieces: dict[tuple[int, int], list[Piece]]
    turns: list[Turn]


def tell_apart(
    per_chunk: list[ChunkVoices],
    options: dict,
    model: str,
    method: str = "agglomerative",
    channel_turns: list | None = None,
) -> Speakers:
    """Cluster the voices, label every word and find the speaker turns: the store-free core of `diarize`,
    which `bench/diarization.py` runs over cached voices to compare settings."""
    segment_voices = [sv for chunk in per_chunk for sv in chunk.voices]
    durations = np.array([sv.end - sv.start for sv in segment_voices])
    wholes = np.stack([sv.whole for sv in segment_voices])
    if channel_turns:
        centroids, pieces_of, turns = by_channel(segment_voices, channel_turns)
    else:
        centroids = by_voice(wholes, durations, options, model, method)

        def pieces_of(sv: SegmentVoice) -> list[Piece]:
            return split_by_speaker(sv, centroids)

    cluster_seconds = np.bincount(nearest(wholes, centroids), weights=durations, minlength=len(centroids))
    pieces = {(chunk.idx, n): pieces_of(sv) for chunk in per_chunk for n, sv in enumerate(chunk.voices)}
    if not channel_turns:
        turns = [turn for chunk in per_chunk for turn in chunk_turns(chunk, pieces, centroids)]
    return Speakers(centroids, cluster_seconds, pieces, turns)


def tell_apart_by_turns(per_chunk: list[ChunkVoices], found: PyannoteSpeakers) -> Speakers:
    """Speakers from a diarizer's turns (pyannote's): every word takes the speaker talking during it, a
    segment splits where that changes, and each segment's voice is its majority speaker's centroid (what a
    user's locked or edited row is matched by). Fills each chunk's `voices`."""
    centroids = found.centroids
    pieces: dict[tuple[int, int], list[Piece]] = {}
    for chunk in per_chunk:
        chunk.voices = []
        for n, row in enumerate(chunk.rows):
            words = json.loads(row["words"])
            spans = [(w["start"], w["end"]) for w in words] or [(row["start_s"], row["end_s"])]
            # Labelled as a call's channels label words: who talks most during it, else the nearest turn.
            labels = [word_channel(found.exclusive, a, b) for a, b in spans]
            majority = int(np.bincount(labels, minlength=len(centroids)).argmax())
            voice = SegmentVoice(
                row["start_s"],
                row["end_s"],
                words,
                centroids[majority],
                np.zeros((0, centroids.shape[1])),
                [],
            )
            chunk.voices.append(voice)
            pieces[(chunk.idx, n)] = split_at_labels(voice, labels if words else [majority])
    cluster_seconds = np.zeros(len(centroids))
    for start, end, label in found.exclusive:
        cluster_seconds[label] += end - start
    return Speakers(centroids, cluster_seconds, pieces, [Turn(a, b, label) for a, b, label in found.turns])


def chunk_turns(
    chunk: ChunkVoices, pieces: dict[tuple[int, int], list[Piece]], centroids: np.ndarray
) -> list[Turn]:
    """Who talks when in one chunk (recording seconds): with segmentation-3.0, its speakers tied to the
    voices, overlap included; without it, the runs of the words' speakers."""
    word_runs = [
        (piece.start - chunk.start, piece.end - chunk.start, piece.label)
        for n in range(len(chunk.voices))
        for piece in pieces[(chunk.idx, n)]
    ]
    if chunk.local is None:
        local_turns = [Turn(a, b, label) for a, b, label in word_runs]
    else:
        local = chunk.local
        windows = {
            span: vector
            for sv in chunk.voices
            for span, vector in zip(sv.window_spans, sv.window_vectors, strict=True)
        }
        spans = np.array(list(windows)).reshape(-1, 2) - chunk.start
        vectors = np.stack(list(windows.values())) if windows else np.zeros((0, centroids.shape[1]))

        def guess(window: int, speaker: int, taken: set[int]) -> int | None:
            """The voice of a local speaker no words tie down (a backchannel under someone's sentence):
            the chunk's voice windows over the time it talks, against the voices not already talking in
            that window. No new embedding is computed."""
            free = [label for label in range(len(centroids)) if label not in taken]
            if not free or not len(vectors):
                return None
            times = local.frame_times(window)[local.activity[window, :, speaker] > 0]
            first, last = times.min(), times.max() + local.frame_step
            inside = np.minimum(spans[:, 1], last) - np.maximum(spans[:, 0], first)
            if (inside > 0).any():
                vector = (vectors * np.maximum(inside, 0)[:, None]).sum(axis=0)
            else:
                vector = vectors[int(np.argmin(np.abs(spans.mean(axis=1) - (first + last) / 2)))]
            return free[int(np.argmax(centroids[free] @ vector))]

        local_turns = speaker_turns(local, chunk.end - chunk.start, word_runs, len(centroids), guess)
    return [Turn(t.start + chunk.start, t.end + chunk.start, t.label) for t in local_turns]


def rewritten_rows(chunk: ChunkVoices, speakers: Speakers, voice_ids: list[str]) -> list[dict]:
    """A chunk's rows once its speakers are known: each segment split into its speakers' pieces, each
    piece under its voice. A user's correction stands: a row whose speaker was set by hand keeps it, an
    edited row keeps its words and takes its nearest voice, and neither is split."""
    rows = []
    for n, (row, sv) in enumerate(zip(chunk.rows, chunk.voices, strict=True)):
        if row["speaker_locked"] or row["text_edited"]:
            voice = (
                row["voice_id"]
                if row["speaker_locked"]
                else voice_ids[int(nearest(sv.whole[None, :], speakers.centroids)[0])]
            )
            rows.append(_kept(row, voice))
            continue
        pieces = speakers.pieces[(chunk.idx, n)]
        for m, piece in enumerate(pieces):
            rows.append(
                {
                    "id": row["id"] if m == 0 else None,
                    "start": piece.start,
                    "end": piece.end,
                    "text": piece.text if len(pieces) > 1 else row["text"],
                    "words": piece.words,
                    "voice_id": voice_ids[piece.label],
                    "audio_quality": row["audio_quality"],
                }
            )
    return rows


def _kept(row: dict, voice_id: str | None) -> dict:
    return {
        "id": row["id"],
        "start": row["start_s"],
        "end": row["end_s"],
        "text": row["text"],
        "words": json.loads(row["words"]),
        "voice_id": voice_id,
    }
