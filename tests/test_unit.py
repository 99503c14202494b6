"""Pure logic: config parsing, secrets, WER helper, blob encryption, upload option validation."""

from __future__ import annotations

import os
import stat

import pytest

from app.blobs import BlobError, BlobStore
from app.config import parse_rate, parse_size
from app.secrets import get_secret
from tests.helpers import word_error_rate


def test_parse_rate_and_size():
    assert parse_rate("120/minute") == (120, 60)
    assert parse_rate("20/m") == (20, 60)
    assert parse_rate("5/second") == (5, 1)
    with pytest.raises(ValueError):
        parse_rate("lots/minute")
    with pytest.raises(ValueError):
        parse_rate("0/minute")
    assert parse_size("500MB") == 500_000_000
    assert parse_size("1MiB") == 1024 * 1024
    assert parse_size("2048") == 2048


def test_secrets_are_generated_once_with_mode_0600(tmp_path):
    first = get_secret(tmp_path, "session_key")
    assert len(first) == 64 and first != get_secret(tmp_path, "blob_key")
    assert get_secret(tmp_path, "session_key") == first
    path = tmp_path / "secrets" / "session_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    with pytest.raises(KeyError):
        get_secret(tmp_path, "admin_password")


def test_word_error_rate():
    assert word_error_rate("the cat sat", "the cat sat") == 0
    assert word_error_rate("the cat sat", "the hat sat") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat", "") == 1


def test_blobs_round_trip_encrypted_and_tamper_evident(tmp_path):
    key = os.urandom(32).hex()
    store = BlobStore(tmp_path / "blobs", key)
    source = tmp_path / "plain.bin"
    payload = b"the secret meeting audio " * 100_000  # several frames
    source.write_bytes(payload)
    blob_id = store.put_file(source)
    stored = store._path(blob_id).read_bytes()
    assert b"secret meeting" not in stored
    out = tmp_path / "out.bin"
    store.read_to_file(blob_id, out)
    assert out.read_bytes() == payload

    with pytest.raises(BlobError):
        BlobStore(tmp_path / "blobs", os.urandom(32).hex()).read_to_file(blob_id, out)
    tampered = bytearray(stored)
    tampered[len(tampered) // 2] ^= 1
    store._path(blob_id).write_bytes(bytes(tampered))
    with pytest.raises(BlobError):
        store.read_to_file(blob_id, out)
    # Dropping the last frame must not pass for a shorter, valid blob.
    first_frame_end = len(b"NEMOBLOB1") + 4 + 12 + 1024 * 1024 + 16
    store._path(blob_id).write_bytes(stored[:first_frame_end])
    with pytest.raises(BlobError):
        store.read_to_file(blob_id, out)


def test_empty_blob_round_trips(tmp_path):
    store = BlobStore(tmp_path / "blobs", os.urandom(32).hex())
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    blob_id = store.put_file(empty)
    store.read_to_file(blob_id, tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == b""


def test_blob_range_reads_match_the_plaintext(tmp_path):
    store = BlobStore(tmp_path / "blobs", os.urandom(32).hex())
    payload = os.urandom(3 * 1024 * 1024 + 12345)
    source = tmp_path / "plain.bin"
    source.write_bytes(payload)
    blob_id = store.put_file(source)
    frame = 1024 * 1024
    for start, end in [
        (0, 10),
        (frame - 5, frame + 5),
        (2 * frame, 3 * frame),
        (len(payload) - 7, len(payload) + 99),
        (500, 500),
        (0, len(payload)),
    ]:
        assert store.read_range(blob_id, start, end) == payload[start:end]
    # The plaintext length follows from the file's (what a voice sample's byte ranges are served from).
    for length in (0, 1, 1024 * 1024, 1024 * 1024 + 1, len(payload)):
        source.write_bytes(payload[:length])
        assert store.plain_size(store.put_file(source)) == length


def test_audio_content_types_from_first_bytes():
    from app.audio_response import sniffed_mimetype

    assert sniffed_mimetype(b"RIFF\x24\x00\x00\x00WAVEfmt ") == "audio/wav"
    assert sniffed_mimetype(b"\x00\x00\x00\x20ftypM4A ") == "audio/mp4"
    assert sniffed_mimetype(b"OggS\x00\x02") == "audio/ogg"
    assert sniffed_mimetype(b"ID3\x04") == "audio/mpeg"
    assert sniffed_mimetype(b"\x1a\x45\xdf\xa3\x01") == "audio/webm"
    assert sniffed_mimetype(b"not audio at all") == "application/octet-stream"
