"""A least-recently-used map bounded by entry count and/or total bytes, with pinning.

Serving keeps the adapters of many repositories in memory; what bounds it is memory (bytes) as much as count,
and an adapter that a batch in flight uses must not be evicted under it (it is pinned until the batch ends).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

from customizer.errors import ServingSettingsError

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """Entries evicted least-recently-used first once more than ``max_entries`` or ``max_bytes`` are held.

    ``on_evict(key, value)`` runs for every evicted or replaced entry (to free what the value holds elsewhere,
    e.g. a LoRA adapter injected in a model). Pinned keys and the entry just inserted are never evicted; while
    they alone exceed a limit, the limit is exceeded rather than evicting an entry in use.
    """

    def __init__(self, max_entries: int | None = None, max_bytes: int | None = None,
                 on_evict: Callable[[K, V], None] | None = None) -> None:
        if max_entries is not None and (isinstance(max_entries, bool) or max_entries < 1):
            raise ServingSettingsError(f"the adapter cache must hold at least 1 adapter, not {max_entries!r}; "
                                       "set a count >= 1 or leave it unset")
        if max_bytes is not None and (isinstance(max_bytes, bool) or max_bytes < 1):
            raise ServingSettingsError(f"the adapter cache byte limit must be positive, not {max_bytes!r}")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._on_evict = on_evict
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._pins: dict[K, int] = {}
        self.evictions = 0

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        """Keys from least to most recently used."""
        return iter(list(self._entries))

    @property
    def nbytes(self) -> int:
        return sum(size for _, size in self._entries.values())

    def get(self, key: K) -> V | None:
        """The value (marking it most recently used), or None."""
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, nbytes: int) -> None:
        """Insert or replace ``key`` as the most recently used entry, then evict down to the limits."""
        old = self._entries.pop(key, None)
        if old is not None and old[0] is not value and self._on_evict is not None:
            self._on_evict(key, old[0])
        self._entries[key] = (value, nbytes)
        self._shrink(keep=key)

    def pin(self, key: K) -> None:
        self._pins[key] = self._pins.get(key, 0) + 1

    def unpin(self, key: K) -> None:
        count = self._pins.get(key, 0) - 1
        if count > 0:
            self._pins[key] = count
        else:
            self._pins.pop(key, None)
        self._shrink()

    def pop(self, key: K) -> V | None:
        """Remove ``key`` (running ``on_evict``); returns its value or None."""
        found = self._entries.pop(key, None)
        if found is None:
            return None
        if self._on_evict is not None:
            self._on_evict(key, found[0])
        return found[0]

    def _over(self) -> bool:
        return ((self.max_entries is not None and len(self._entries) > self.max_entries)
                or (self.max_bytes is not None and self.nbytes > self.max_bytes))

    def _shrink(self, keep: K | None = None) -> None:
        """Evict unpinned entries, oldest first, until within the limits; ``keep`` (just inserted) stays."""
        while self._over():
            victim = next((key for key in self._entries if key not in self._pins and key != keep), None)
            if victim is None:
                return
            self.pop(victim)
            self.evictions += 1
