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
    resident: list[str] = field(default_factory=list)


class ModelPool:
    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._models: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = PoolStats()

    def get(self, key: str, size_bytes: int, loader: Callable[[], Any]) -> Any:
        """The model under `key`, loading it (and evicting others, oldest use first) if absent."""
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key][0]
            while self._models and self._used() + size_bytes > self.budget_bytes:
                self._models.popitem(last=False)
                self.stats.evictions += 1
            started = time.perf_counter()
            model = loader()
            elapsed = time.perf_counter() - started
            self._models[key] = (model, size_bytes)
            self.stats.loads += 1
            self.stats.load_seconds += elapsed
            self.stats.last_load_seconds = elapsed
            self.stats.resident = list(self._models)
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
