"""FAISS replicas of the vectors in the store, one index per user, caught up incrementally.

The store holds the truth; a replica is a cache that any search worker (on any host) can rebuild from it.
Each user's vectors sit in their own index, so a search can only ever see its own user's memory. Every
user has an exact (flat) index, searched as one BLAS product over its memory; past `approximate_from`
vectors an IVF index is built beside it, trained on that user's vectors, and rebuilt when the memory has
doubled since. Filtered searches always run exactly over the allowed vectors: a restricted candidate set
is where an approximate index would lose results.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import faiss
import numpy as np

log = logging.getLogger(__name__)
LOAD_PAGE = 20_000


class VectorFeed(Protocol):
    """Where a replica reads the stored vectors, handed to it by the tasks (`app.store.memory.StoredVectors`
    reads the store). Vectors are numbered (vid) in commit order, and every addition or removal takes the
    next number of one change sequence, so a replica can follow the store by asking what changed since the
    number it has applied."""

    def current_sequence(self) -> int:
        """The highest change number committed."""
        ...

    def added_since(
        self, after: int, upto: int, user_ids: Sequence[str], limit: int
    ) -> tuple[np.ndarray, list[str], np.ndarray]:
        """A page (vid order) of the users' vectors added in (after, upto]: (vids, owners, vectors)."""
        ...

    def removed_since(self, after: int, upto: int, user_ids: Sequence[str]) -> list[tuple[int, str]]:
        """(vid, owner) of the users' vectors removed in (after, upto]."""
        ...

    def user_vectors(self, user_id: str, after: int, upto: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """A page (vid order) of one user's vectors with after < vid <= upto: (vids, vectors)."""
        ...


def approximate_index(vectors: np.ndarray, vids: np.ndarray) -> tuple[faiss.IndexIVFFlat, int]:
    """An IVF index over the vectors with about sqrt(n) lists, and how many lists a query probes: a fifth
    of them, because a question and the one moment that answers it are often far from every cluster of
    everyday talk, and probing fewer lists loses exactly those answers."""
    count, dim = vectors.shape
    lists = max(16, int(math.sqrt(count)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    sample = vectors
    if count > lists * 64:
        sample = vectors[np.random.default_rng(0).choice(count, lists * 64, replace=False)]
    index.train(np.ascontiguousarray(sample))
    index.add_with_ids(vectors, vids)
    return index, max(16, lists // 5)


@dataclass
class UserIndex:
    dim: int
    exact: faiss.IndexIDMap2 = field(init=False)
    approximate: faiss.IndexIVFFlat | None = None
    probes: int = 0
    built_at: int = 0
    _ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._flat = faiss.IndexFlatIP(self.dim)
        self.exact = faiss.IndexIDMap2(self._flat)

    @property
    def size(self) -> int:
        return int(self.exact.ntotal)

    def ids(self) -> np.ndarray:
        """The vid of each stored row, in storage order (cached until the next change)."""
        if self._ids is None:
            self._ids = faiss.vector_to_array(self.exact.id_map).astype(np.int64)
        return self._ids

    def matrix(self) -> np.ndarray:
        """The stored vectors, as a view of the flat index's own memory (no copy)."""
        count = self.size
        return faiss.rev_swig_ptr(self._flat.get_xb(), count * self.dim).reshape(count, self.dim)

    def add(self, vids: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = None
        if len(vids):
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            self.exact.add_with_ids(vectors, vids)
            if self.approximate is not None:
                self.approximate.add_with_ids(vectors, vids)

    def remove(self, vids: np.ndarray) -> None:
        self._ids = None
        if len(vids):
            selector = faiss.IDSelectorBatch(vids.astype(np.int64))
            self.exact.remove_ids(selector)
            if self.approximate is not None:
                self.approximate.remove_ids(selector)

    def refresh_approximate(self, approximate_from: int) -> None:
        """Build the IVF index once the memory is big enough, and again when it has doubled since."""
        if self.size < approximate_from:
            self.approximate = None
            return
        if self.approximate is not None and self.size < 2 * self.built_at:
            return
        self.approximate, self.probes = approximate_index(np.ascontiguousarray(self.matrix()), self.ids())
        self.built_at = self.size
        log.info("built an approximate index over %d vectors (%d probes)", self.size, self.probes)

    def rescore(self, query: np.ndarray, vids: list[int]) -> list[tuple[int, float]]:
        """Exact cosine of the given vids (those this replica holds) with the query."""
        scored = []
        for vid in vids:
            try:
                vector = self.exact.reconstruct(int(vid))
            except RuntimeError:  # not (or no longer) in this replica
                continue
            scored.append((int(vid), float(vector @ np.asarray(query, dtype=np.float32).reshape(-1))))
        return scored

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, approximate: bool
    ) -> list[tuple[int, float]]:
        """(vid, cosine) of the k nearest, restricted to `allowed` vids when given."""
        if self.size == 0 or k <= 0:
            return []
        if approximate and allowed is None and self.approximate is not None:
            query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
            params = faiss.SearchParametersIVF(nprobe=self.probes)
            scores, ids = self.approximate.search(query, k, params=params)
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        # Exact: one BLAS matrix-vector product over the flat index's memory, which on CPUs without a
        # matching FAISS build is about twice as fast as FAISS's own flat scan.
        scores = self.matrix() @ np.asarray(query, dtype=np.float32).reshape(-1)
        ids = self.ids()
        if allowed is not None:
            if len(allowed) == 0:
                return []
            keep = np.isin(ids, allowed)
            scores, ids = scores[keep], ids[keep]
        top = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(ids[i]), float(scores[i])) for i in top]


class Replica:
    """The per-user indexes of one search process, following the feed's change sequence."""

    def __init__(self, feed: VectorFeed, dim: int, approximate_from: int) -> None:
        self.feed = feed
        self.dim = dim
        self.approximate_from = approximate_from
        self.applied = 0
        self.users: dict[str, UserIndex] = {}
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        """Apply every change committed since the last call, a page at a time; returns the sequence now
        applied. Every number up to `upto` belongs to a committed transaction (see `VectorFeed`), so
        nothing below it can still appear later."""
        with self._lock:
            upto = self.feed.current_sequence()
            if upto <= self.applied:
                return self.applied
            users = list(self.users)
            touched: set[str] = set()
            after = self.applied
            while True:
                vids, owners, vectors = self.feed.added_since(after, upto, users, LOAD_PAGE)
                if not len(vids):
                    break
                owner_array = np.array(owners)
                for user_id in set(owners):
                    mask = owner_array == user_id
                    self.users[user_id].add(vids[mask], vectors[mask])
                    touched.add(user_id)
                after = int(vids[-1])
            removed = self.feed.removed_since(self.applied, upto, users)
            by_user: dict[str, list[int]] = {}
            for vid, user_id in removed:
                by_user.setdefault(user_id, []).append(vid)
            for user_id, gone in by_user.items():
                self.users[user_id].remove(np.array(gone, dtype=np.int64))
                touched.add(user_id)
            for user_id in touched:
                self.users[user_id].refresh_approximate(self.approximate_from)
            self.applied = upto
            return self.applied

    def user(self, user_id: str) -> UserIndex:
        """The user's index, loaded from the store on first use and caught up with every change."""
        self.catch_up()
        with self._lock:
            if user_id not in self.users:
                self.users[user_id] = self._load(user_id)
        return self.users[user_id]

    def _load(self, user_id: str) -> UserIndex:
        index = UserIndex(self.dim)
        after = 0
        while True:
            vids, vectors = self.feed.user_vectors(user_id, after, self.applied, LOAD_PAGE)
            if not len(vids):
                break
            index.add(vids, vectors)
            after = int(vids[-1])
        index.refresh_approximate(self.approximate_from)
        return index
