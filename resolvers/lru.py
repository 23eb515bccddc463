"""The one least-recently-used cache every bounded memo of Quire uses: a dictionary that forgets
its least recently used entries beyond `maxsize` (counted in entries, or in what `sizeof` says
of each value). Built on OrderedDict, whose reordering is done in C: a hit costs about a
dictionary lookup, which matters on paths that run several times per request. `on_evict` hears
of each value evicted for room (not of those replaced, popped or cleared)."""

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(
        self,
        maxsize: int,
        *,
        sizeof: Callable[[V], int] | None = None,
        on_evict: Callable[[K, V], None] | None = None,
    ) -> None:
        self.maxsize = maxsize
        self._sizeof = sizeof
        self._on_evict = on_evict
        self._size = 0
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value, now the most recently used; None when absent."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def put(self, key: K, value: V) -> None:
        """Keep `value` (one larger than the whole budget is not kept)."""
        size = 1 if self._sizeof is None else self._sizeof(value)
        if size > self.maxsize:
            return
        if key in self._data:
            self._size -= self._weigh(self._data.pop(key))
        self._data[key] = value
        self._size += size
        while self._size > self.maxsize:
            evicted, value = self._data.popitem(last=False)
            self._size -= self._weigh(value)
            if self._on_evict is not None:
                self._on_evict(evicted, value)

    def pop(self, key: K) -> V | None:
        """Forget `key`; its value, or None when absent."""
        value = self._data.pop(key, None)
        if value is not None:
            self._size -= self._weigh(value)
        return value

    def clear(self) -> None:
        self._data.clear()
        self._size = 0

    def _weigh(self, value: V) -> int:
        return 1 if self._sizeof is None else self._sizeof(value)
