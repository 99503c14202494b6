"""torch's intra-op thread count, set for one block of work: the setting is per process, and each model of
a worker wants its own (a long audio window gains from two threads, a ten-word query loses)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """torch's intra-op threads capped at `count` inside the block (None: left as they are), then restored:
    the setting is per process, and the other models of a worker keep theirs."""
    import torch

    before = torch.get_num_threads()
    if count is not None and count < before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
