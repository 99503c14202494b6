"""Assemble default models from their packages into the local cache, verifying every file by sha256.

The cache (`models/cache/<name>/`, or NEMO_MODEL_CACHE) holds a verified copy; a `.verified` stamp records
the sizes and hashes so later loads re-check sizes cheaply, and `verify=True` re-hashes everything.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
from pathlib import Path

from models.manifest import MODELS, ModelFile, ModelSpec

CACHE_ROOT = Path(os.environ.get("NEMO_MODEL_CACHE") or Path(__file__).resolve().parent / "cache")


class ModelError(RuntimeError):
    """A model is missing, incomplete, or does not hash to what the manifest says."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {package!r} is not installed; run `make up` or `pip install -e .`")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _assemble_file(item: ModelFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        for package, relative in item.parts:
            source = _package_dir(package) / relative
            if not source.exists():
                raise ModelError(f"{source} is missing from package {package}")
            with source.open("rb") as src:
                shutil.copyfileobj(src, out, 4 * 1024 * 1024)
    actual = _sha256(partial)
    if actual != item.sha256:
        partial.unlink()
        raise ModelError(f"{item.name}: sha256 {actual} does not match the manifest's {item.sha256}")
    os.replace(partial, target)


def _assembled(directory: Path, spec: ModelSpec, expected: dict, verify: bool) -> bool:
    """The stamp matches the manifest and every file is there at its size (and hash, with `verify`)."""
    stamp = directory / ".verified"
    if not stamp.exists() or json.loads(stamp.read_text()) != expected:
        return False
    if not all(
        (directory / f.name).exists() and (directory / f.name).stat().st_size == f.size for f in spec.files
    ):
        return False
    return not verify or all(_sha256(directory / f.name) == f.sha256 for f in spec.files)


def ensure_model(name: str, verify: bool = False) -> Path:
    """The directory of a verified, assembled model; assembles it on first use.

    Every worker process calls this as it loads a model, so on a new machine several reach an unassembled
    model at once. One assembles it while the others wait on a lock in its directory, then find it done:
    two writers of one file would corrupt it, and a reader must never see a model half-written."""
    spec: ModelSpec | None = MODELS.get(name)
    if spec is None:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    directory = CACHE_ROOT / name
    expected = {f.name: {"sha256": f.sha256, "size": f.size} for f in spec.files}
    if _assembled(directory, spec, expected, verify):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _assembled(directory, spec, expected, verify):
            return directory
        stamp = directory / ".verified"
        stamp.unlink(missing_ok=True)
        for item in spec.files:
            _assemble_file(item, directory / item.name)
        stamp.write_text(json.dumps(expected, sort_keys=True))
    return directory


def main() -> None:
    """`python -m models.assemble [NAME...]`: assemble and verify (all models by default)."""
    import sys

    for name in sys.argv[1:] or sorted(MODELS):
        print(f"{name}: {ensure_model(name, verify=True)}")


if __name__ == "__main__":
    main()
