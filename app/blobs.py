"""Audio at rest, encrypted with AES-256-GCM in 1 MiB frames.

Blobs live under BLOB_DIR, a directory every host that runs workers must mount (the instance directory on a
single machine; an NFS or CephFS share across several). Framing keeps memory bounded for multi-GB files, and
each frame's associated data binds it to its blob, its position and whether it is the last one, so frames can
be neither swapped, dropped nor truncated without decryption failing.
"""

from __future__ import annotations

import os
import struct
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"NEMOBLOB1"
FRAME = 1024 * 1024
_NONCE = 12
_TAG = 16


class BlobError(Exception):
    """The blob is missing, or was altered, or was written with another key."""


class BlobStore:
    def __init__(self, root: Path, key_hex: str) -> None:
        self.root = root
        self._aead = AESGCM(bytes.fromhex(key_hex))

    def _path(self, blob_id: str) -> Path:
        if not blob_id.isalnum():
            raise BlobError("bad blob id")
        return self.root / blob_id[:2] / blob_id

    @staticmethod
    def _aad(blob_id: str, index: int, last: bool) -> bytes:
        return blob_id.encode() + struct.pack(">Q?", index, last)

    def put_file(self, source: Path) -> str:
        """Encrypt a file into the store; the blob appears atomically, whole or not at all."""
        blob_id = uuid.uuid4().hex
        target = self._path(blob_id)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = target.with_suffix(".part")
        size = source.stat().st_size
        try:
            with source.open("rb") as src, partial.open("wb") as dst:
                dst.write(MAGIC)
                index, done = 0, 0
                while True:
                    plain = src.read(FRAME)
                    done += len(plain)
                    last = done >= size
                    nonce = os.urandom(_NONCE)
                    sealed = self._aead.encrypt(nonce, plain, self._aad(blob_id, index, last))
                    dst.write(struct.pack(">I", len(sealed)) + nonce + sealed)
                    index += 1
                    if last:
                        break
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return blob_id

    def read_to_file(self, blob_id: str, destination: Path) -> None:
        """Decrypt a blob into a (temporary) file, verifying every frame."""
        path = self._path(blob_id)
        if not path.exists():
            raise BlobError(f"blob {blob_id} is missing")
        with path.open("rb") as src, destination.open("wb") as dst:
            if src.read(len(MAGIC)) != MAGIC:
                raise BlobError("not a Nemo blob")
            index = 0
            while True:
                header = src.read(4)
                if len(header) < 4:
                    raise BlobError("blob is truncated")
                (length,) = struct.unpack(">I", header)
                nonce, sealed = src.read(_NONCE), src.read(length)
                if len(sealed) != length or length < _TAG:
                    raise BlobError("blob is truncated")
                last = not src.peek(1)
                try:
                    plain = self._aead.decrypt(nonce, sealed, self._aad(blob_id, index, last))
                except Exception as exc:  # InvalidTag: altered, reordered, or another key
                    raise BlobError("blob failed authentication") from exc
                dst.write(plain)
                index += 1
                if last:
                    return

    def read_range(self, blob_id: str, start: int, end: int) -> bytes:
        """Plaintext bytes [start, end) of a blob, decrypting only the frames that hold them.

        Every frame but the last holds exactly FRAME plaintext bytes, so a frame's place in the file follows
        from its index: a 30 s chunk of a 4-hour recording costs one or two frames, not the whole blob.
        """
        path = self._path(blob_id)
        if not path.exists():
            raise BlobError(f"blob {blob_id} is missing")
        if start < 0 or end < start:
            raise ValueError("bad range")
        sealed_frame = 4 + _NONCE + FRAME + _TAG
        size = path.stat().st_size
        out = bytearray()
        with path.open("rb") as src:
            if src.read(len(MAGIC)) != MAGIC:
                raise BlobError("not a Nemo blob")
            index = start // FRAME
            while index * FRAME < end:
                offset = len(MAGIC) + index * sealed_frame
                if offset >= size:
                    break
                src.seek(offset)
                header = src.read(4)
                if len(header) < 4:
                    raise BlobError("blob is truncated")
                (length,) = struct.unpack(">I", header)
                nonce, sealed = src.read(_NONCE), src.read(length)
                if len(sealed) != length:
                    raise BlobError("blob is truncated")
                last = src.tell() == size
                try:
                    plain = self._aead.decrypt(nonce, sealed, self._aad(blob_id, index, last))
                except Exception as exc:
                    raise BlobError("blob failed authentication") from exc
                base = index * FRAME
                out += plain[max(0, start - base) : max(0, end - base)]
                if last:
                    break
                index += 1
        return bytes(out)

    def plain_size(self, blob_id: str) -> int:
        """The blob's plaintext length, from its file's length: every frame but the last holds FRAME
        bytes, and each adds the same header, nonce and tag."""
        path = self._path(blob_id)
        if not path.exists():
            raise BlobError(f"blob {blob_id} is missing")
        sealed = path.stat().st_size - len(MAGIC)
        frames = -(-sealed // (4 + _NONCE + FRAME + _TAG))
        return sealed - frames * (4 + _NONCE + _TAG)

    def delete(self, blob_id: str) -> None:
        self._path(blob_id).unlink(missing_ok=True)

    def exists(self, blob_id: str) -> bool:
        return self._path(blob_id).exists()
