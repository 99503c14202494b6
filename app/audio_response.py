"""Audio from the encrypted blob store as a browser's player wants it: byte ranges (seeking without
downloading the whole file) and a content type it can play."""

from __future__ import annotations

from flask import Response, request

from app import extensions as ext
from app.errors import ApiError

# What the audio routes may answer with (the OpenAPI document lists them).
AUDIO_TYPES = (
    "audio/wav",
    "audio/mpeg",
    "audio/ogg",
    "audio/flac",
    "audio/webm",
    "audio/mp4",
    "application/octet-stream",
)
# The first bytes of each container a player takes, and its content type.
SIGNATURES = (
    (0, b"RIFF", "audio/wav"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"\x1a\x45\xdf\xa3", "audio/webm"),
    (4, b"ftyp", "audio/mp4"),
)
CONTAINERS = (
    ("wav", "audio/wav"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("flac", "audio/flac"),
    ("webm", "audio/webm"),
    ("mp4", "audio/mp4"),
    ("m4a", "audio/mp4"),
)


def mimetype_of_format(audio_format: str | None) -> str:
    """The content type for ffprobe's container name ("wav", "mov,mp4,m4a,..."), as stored at upload."""
    container = (audio_format or "").split("/")[0]
    for key, mime in CONTAINERS:
        if key in container:
            return mime
    return "application/octet-stream"


def sniffed_mimetype(head: bytes) -> str:
    """The content type read from a file's first bytes (a voice sample's format is not stored)."""
    for offset, magic, mime in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime
    return "application/octet-stream"


def blob_audio(blob_id: str, size: int, mimetype: str) -> Response:
    """The blob's bytes, decrypted on the fly; a Range header gets a 206 with only those bytes."""
    start, end, status = 0, size, 200
    wanted = request.range
    if wanted is not None:
        bounds = wanted.range_for_length(size)
        if bounds is None:
            raise ApiError(416, "bad_range", "the requested range is outside the audio")
        (start, end), status = bounds, 206
    data = ext.blobs().read_range(blob_id, start, end)
    response = Response(data, status=status, mimetype=mimetype)
    response.headers["Accept-Ranges"] = "bytes"
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return response
