"""The diarization stage's steps (run by `tasks.transcription.diarize_recording` on the GPU worker):
voice vectors and segmentation-3.0's local speakers chunk by chunk, clustering, matching to known voices,
segments split at speaker turns, and the recording's speaker turns (overlap included)."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.store import chunks, recordings, voices
from tasks.jobctx import JobContext
from workers import naming
from workers.audio import decode_to_pcm16, read_pcm16
from workers.channels import word_channel
from workers.diarize import Piece, SegmentVoice, cluster_voices, nearest, split_at_labels, split_by_speaker
from workers.pool import model_pool
from workers.pyannote_pipeline import PyannoteDiarizer, PyannoteSpeakers, load_pyannote
from workers.segmentation import LocalActivity, SpeakerSegmentation, load_segmentation
from workers.speakers import SpeakerEmbedder, load_embedder
from workers.turns import Turn, speaker_turns

# Segments shorter than this carry too little voice to cluster on; they are labelled, not clustered.
MIN_CLUSTER_SECONDS = 1.0
EMBEDDER_BYTES = 20 * 1024 * 1024
SEGMENTATION_BYTES = 8 * 1024 * 1024
PROGRESS_START, PROGRESS_END = 0.90, 0.93
log = logging.getLogger(__name__)


def speaker_segmentation(ctx: JobContext) -> SpeakerSegmentation | None:
    """segmentation-3.0, or None where `NEMO_SEGMENTATION_MODEL=none` (turns then follow the words)."""
    name = ctx.config.SEGMENTATION_MODEL
    if name == "none":
        return None
    step = ctx.config.SEGMENTATION_STEP
    return model_pool(ctx.config.MODEL_BUDGET_BYTES).get(
        f"segmentation:{name}:{step}",
        SEGMENTATION_BYTES,
        lambda: load_segmentation(name, ctx.config.ASR_DEVICE, step),
    )


def speaker_embedder(ctx: JobContext) -> SpeakerEmbedder:
    name = ctx.config.SPEAKER_MODEL
    return model_pool(ctx.config.MODEL_BUDGET_BYTES).get(
        f"speakers:{name}", EMBEDDER_BYTES, lambda: load_embedder(name, ctx.config.ASR_DEVICE)
    )


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


def speakers_by_voice_windows(
    ctx: JobContext,
    recording: dict,
    planned: list[dict],
    options: dict,
    embedder: SpeakerEmbedder,
    by_call: bool,
) -> tuple[list[ChunkVoices], Speakers]:
    """The `nemo` engine: CAM++ (or the configured model's) voice windows and segmentation-3.0 chunk by
    chunk, then `tell_apart`; a call split by channel takes its channels' turns instead."""
    # A call's channels already say who talks when: no segmentation for it.
    segmenter = None if by_call else speaker_segmentation(ctx)
    per_chunk: list[ChunkVoices] = []
    for n, chunk in enumerate(planned):
        ctx.checkpoint()
        with ctx.store.tx() as tx:
            rows = recordings.chunk_segments(tx, recording["id"], chunk["idx"])
        if rows:
            audio = ctx.read_audio(recording["pcm_blob_id"], chunk["start_s"], chunk["end_s"])
            per_chunk.append(
                ChunkVoices(
                    chunk["idx"],
                    chunk["start_s"],
                    chunk["end_s"],
                    rows,
                    embed_chunk(embedder, audio, chunk["start_s"], rows),
                    segmenter.local_activity(audio) if segmenter else None,
                )
            )
        progress = PROGRESS_START + (PROGRESS_END - PROGRESS_START) * (n + 1) / len(planned)
        ctx.progress("diarization", progress, f"voices of chunk {n + 1}/{len(planned)}")
    channel_turns = json.loads(recording["channel_turns"] or "[]") if by_call else []
    return per_chunk, tell_apart(per_chunk, options, embedder.name, ctx.config.CLUSTERING, channel_turns)


def pyannote_diarizer(ctx: JobContext) -> PyannoteDiarizer:
    """The pipeline around the pooled CAM++ embedder (NEMO_SPEAKER_MODEL=campplus is checked by the config):
    one copy of the network serves both engines and enrollment. It is counted here too: the pipeline keeps
    it loaded if the pool lets the embedder go."""
    step = ctx.config.SEGMENTATION_STEP
    embedder = speaker_embedder(ctx)  # taken before: the pool loads one model at a time
    return model_pool(ctx.config.MODEL_BUDGET_BYTES).get(
        f"pyannote:{step}",
        EMBEDDER_BYTES + SEGMENTATION_BYTES,
        lambda: load_pyannote(embedder, ctx.config.ASR_DEVICE, step),
    )


def speakers_by_pyannote(
    ctx: JobContext, recording: dict, planned: list[dict], options: dict
) -> tuple[list[ChunkVoices], Speakers] | None:
    """The `pyannote` engine: pyannote.audio's SpeakerDiarization over the whole recording, its turns
    labelling the words. None when it hears nobody in a recording with words (the voice-window engine then
    answers instead, so no transcript is left without speakers)."""
    diarizer = pyannote_diarizer(ctx)
    ctx.checkpoint()
    ctx.progress("diarization", PROGRESS_START, "pyannote.audio: segmentation and voices")
    audio = ctx.read_audio(recording["pcm_blob_id"], 0.0, float(recording["duration_seconds"] or 0.0))
    found = diarizer(
        audio, options.get("speakers"), options.get("max_speakers"), lambda _step: ctx.checkpoint()
    )
    if not found.turns:
        log.warning("pyannote.audio found no speaker in %s; voice windows decide instead", recording["id"])
        return None
    per_chunk = []
    for chunk in planned:
        with ctx.store.tx() as tx:
            rows = recordings.chunk_segments(tx, recording["id"], chunk["idx"])
        if rows:
            per_chunk.append(ChunkVoices(chunk["idx"], chunk["start_s"], chunk["end_s"], rows, [], None))
    return per_chunk, tell_apart_by_turns(per_chunk, found)


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


def diarize(ctx: JobContext, recording: dict) -> None:
    embedder = speaker_embedder(ctx)
    options = json.loads(recording["options"] or "{}")
    by_call = options.get("channels") == "speakers"
    with ctx.store.tx() as tx:
        planned = chunks.list_chunks(tx, recording["id"])
    found = None
    if ctx.config.DIARIZATION_ENGINE == "pyannote" and not by_call:
        found = speakers_by_pyannote(ctx, recording, planned, options)
    if found is None:
        found = speakers_by_voice_windows(ctx, recording, planned, options, embedder, by_call)
    per_chunk, speakers = found
    centroids = speakers.centroids

    ctx.checkpoint()
    with ctx.store.tx() as tx:
        tx.lock("recordings", recording["id"])
        voices.forget_recording(tx, recording["id"])
        known = voices.profiles(tx, recording["user_id"], embedder.name)
        matched = naming.assign(
            centroids,
            np.stack([vector for _voice, vector in known]) if known else np.zeros((0, centroids.shape[1])),
            [voice["name"] is not None for voice, _vector in known],
            naming.calibration_for(embedder.name),
        )
        voice_ids = []
        for centroid, seconds, match in zip(centroids, speakers.cluster_seconds, matched, strict=True):
            if match is not None:
                voice = known[match][0]
            else:
                voice = voices.create_voice(tx, recording["user_id"], None)
            # Kept for every voice: unnamed identities learn from it, and a user who names this speaker
            # can confirm it into a profile. Named profiles match only on samples and confirmations.
            voices.add_embedding(
                tx, voice["id"], "recording", centroid, embedder.name, float(seconds), recording["id"]
            )
            voice_ids.append(voice["id"])
        for chunk in per_chunk:
            new_rows = []
            for n, (row, sv) in enumerate(zip(chunk.rows, chunk.voices, strict=True)):
                if row["speaker_locked"] or row["text_edited"]:
                    # A user's correction stands: neither split nor relabelled.
                    new_rows.append(
                        _kept(
                            row,
                            row["voice_id"]
                            if row["speaker_locked"]
                            else voice_ids[int(nearest(sv.whole[None, :], centroids)[0])],
                        )
                    )
                    continue
                row_pieces = speakers.pieces[(chunk.idx, n)]
                for m, piece in enumerate(row_pieces):
                    new_rows.append(
                        {
                            "id": row["id"] if m == 0 else None,
                            "start": piece.start,
                            "end": piece.end,
                            "text": piece.text if len(row_pieces) > 1 else row["text"],
                            "words": piece.words,
                            "voice_id": voice_ids[piece.label],
                            "audio_quality": row["audio_quality"],
                        }
                    )
            recordings.rewrite_chunk(tx, recording["id"], chunk.idx, new_rows)
        voices.drop_orphans(tx)
        recordings.update_recording(
            tx,
            recording["id"],
            diarized=1,
            status="diarized",
            speaker_turns=json.dumps([[t.start, t.end, voice_ids[t.label]] for t in speakers.turns]),
        )


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


def enroll(ctx: JobContext, voice_id: str) -> None:
    """Embed each sample of an enrolled voice; the profile's vector is their mean."""
    embedder = speaker_embedder(ctx)
    with ctx.store.tx() as tx:
        samples = voices.samples(tx, voice_id)
    vectors = []
    with tempfile.TemporaryDirectory(dir=ctx.spool_dir()) as tmp:
        for sample in samples:
            ctx.checkpoint()
            original, pcm = Path(tmp) / "original", Path(tmp) / "pcm"
            ctx.blobs.read_to_file(sample["blob_id"], original)
            decode_to_pcm16(original, pcm)
            vectors.append((embedder.embed_windows(read_pcm16(pcm)).whole, sample["seconds"]))
    with ctx.store.tx() as tx:
        voices.replace_enrollment(tx, voice_id, vectors, embedder.name)


def _kept(row: dict, voice_id: str | None) -> dict:
    return {
        "id": row["id"],
        "start": row["start_s"],
        "end": row["end_s"],
        "text": row["text"],
        "words": json.loads(row["words"]),
        "voice_id": voice_id,
    }
