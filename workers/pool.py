"""The model pool: models stay resident while they fit the memory budget; the least recently used one
is evicted when the next one needs room. Swaps are counted and timed, so the cost of sharing one worker
between engines is visible."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PoolStats:
    loads: int = 0
    evictions: int = 0
    load_seconds: float = 0.0
    last_load_seconds: float = 0.0
    # A swap is a load that had to evict first: the price of sharing one worker between models. Its time
    # covers freeing the old models and loading the new one.
    swaps: int = 0
    swap_seconds: float = 0.0
    last_swap_seconds: float = 0.0
    resident: list[str] = field(default_factory=list)
    resident_bytes: int = 0

    def as_dict(self) -> dict:
        return {
            "loads": self.loads,
            "evictions": self.evictions,
            "load_seconds": round(self.load_seconds, 3),
            "last_load_seconds": round(self.last_load_seconds, 3),
            "swaps": self.swaps,
            "swap_seconds": round(self.swap_seconds, 3),
            "last_swap_seconds": round(self.last_swap_seconds, 3),
            "resident": list(self.resident),
            "resident_bytes": self.resident_bytes,
        }


class ModelPool:
    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._models: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        # Re-entrant: a loader may take from the pool what its model is built on (the pyannote
        # pipeline wraps the pooled CAM++ embedder); with a plain lock that was a silent deadlock.
        self._lock = threading.RLock()
        self.stats = PoolStats()

    def get(self, key: str, size_bytes: int, loader: Callable[[], Any]) -> Any:
        """The model under `key`, loading it (and evicting others, oldest use first) if absent."""
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key][0]
            started = time.perf_counter()
            evicted = 0
            while self._models and self._used() + size_bytes > self.budget_bytes:
                _key, (old, _size) = self._models.popitem(last=False)
                close = getattr(old, "close", None)
                if callable(close):
                    close()
                del old
                evicted += 1
            loading = time.perf_counter()
            model = loader()
            finished = time.perf_counter()
            self._models[key] = (model, size_bytes)
            self.stats.loads += 1
            self.stats.load_seconds += finished - loading
            self.stats.last_load_seconds = finished - loading
            if evicted:
                self.stats.evictions += evicted
                self.stats.swaps += 1
                self.stats.swap_seconds += finished - started
                self.stats.last_swap_seconds = finished - started
            self.stats.resident = list(self._models)
            self.stats.resident_bytes = self._used()
            return model

    def _used(self) -> int:
        return sum(size for _model, size in self._models.values())


def model_size_bytes(model_dir: Path) -> int:
    """Bytes of a model directory's files (subfolders included): what the pool budgets it at, give or take
    the runtime's own overhead."""
    return sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())


_pool: ModelPool | None = None


def model_pool(budget_bytes: int) -> ModelPool:
    """The process-wide pool (one per worker process)."""
    global _pool
    if _pool is None:
        _pool = ModelPool(budget_bytes)
    return _pool


def current_pool() -> ModelPool | None:
    """The process's pool if a task has made one (for reporting; never creates it)."""
    return _pool
