"""torchaudio 2.11.0 without its native libraries: a wheel pyannote.audio 4 imports beside the CPU torch.

pyannote.audio imports torchaudio for two pure-torch functions (`compliance.kaldi.fbank`,
`functional.resample`). PyPI's torchaudio wheels carry native libraries built against CUDA torch: beside this
project's CPU torch 2.13.0 they fail to load, and with them the import. torchaudio itself supports running
without them (`torchaudio._extension._load_lib` returns False when no library file is there, the case of
a pex deployment): this script takes the published wheel (sha256 checked), leaves out `torchaudio/lib/*.so`
and their RECORD lines, and writes the rest, byte for byte, as a wheel of the same name into the given
folder. Nothing of torchaudio's Python code is changed; what needs the native part (its CTC decoders,
forced alignment) raises a clear error if anything calls it, and nothing in this project does.

    python deploy/torchaudio_python_only.py ~/.cache/nemo-wheels/torchaudio-python-only
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "2.11.0"
# The published wheels this has been checked on, by file name.
PUBLISHED_SHA256 = {
    "torchaudio-2.11.0-cp311-cp311-manylinux_2_28_x86_64.whl": (
        "1a07ec72fd6f26a588c39b5f029e0130d16bb40bc4221635580bf8fb18fcbc80"
    ),
}
NATIVE_PREFIX = "torchaudio/lib/"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_native(name: str) -> bool:
    return name.startswith(NATIVE_PREFIX) and name.endswith(".so")


def strip_native(published: Path, out_dir: Path) -> Path:
    """The wheel at `published` without its native libraries, written to `out_dir` under the same name."""
    target = out_dir / published.name
    with zipfile.ZipFile(published) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for info in source.infolist():
            if _is_native(info.filename):
                continue
            data = source.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                kept = [
                    line
                    for line in data.decode().splitlines()
                    if line and not _is_native(line.split(",", 1)[0])
                ]
                data = ("\n".join(kept) + "\n").encode()
            wheel.writestr(info, data)
    return target


def record_is_true(wheel_path: Path) -> bool:
    """Every file the wheel's RECORD lists is in it with that hash (what pip checks on install)."""
    with zipfile.ZipFile(wheel_path) as wheel:
        record_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/RECORD"))
        for line in wheel.read(record_name).decode().splitlines():
            name, digest, _size = line.rsplit(",", 2)
            if not digest:
                continue
            algorithm, expected = digest.split("=", 1)
            actual = base64.urlsafe_b64encode(hashlib.new(algorithm, wheel.read(name)).digest()).rstrip(b"=")
            if actual.decode() != expected:
                return False
    return True


def main() -> None:
    out_dir = Path(sys.argv[1]).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    done = [out_dir / name for name in PUBLISHED_SHA256 if (out_dir / name).exists()]
    if done:
        print(done[0])
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "-d",
                tmp,
                f"torchaudio=={VERSION}",
            ],
            check=True,
        )
        published = next(Path(tmp).glob("torchaudio-*.whl"))
        expected = PUBLISHED_SHA256.get(published.name)
        if expected is None:
            sys.exit(
                f"{published.name}: not a wheel this script was checked on ({', '.join(PUBLISHED_SHA256)})"
            )
        if _sha256(published) != expected:
            sys.exit(f"{published.name}: sha256 {_sha256(published)} is not the published {expected}")
        target = strip_native(published, out_dir)
    if not record_is_true(target):
        target.unlink()
        sys.exit(f"{target.name}: its RECORD does not match its files")
    print(target)


if __name__ == "__main__":
    main()
