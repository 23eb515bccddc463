"""The one LRU helper: bounded by entries or by size, least recently used forgotten first."""

from resolvers.lru import LRU


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_a_size_budget_counts_what_sizeof_says() -> None:
    cache: LRU[str, str] = LRU(10, sizeof=len)
    cache.put("a", "x" * 4)
    cache.put("b", "y" * 4)
    cache.put("a", "z" * 6)  # replacing counts the new size only
    assert "b" in cache and cache.get("a") == "z" * 6
    cache.put("c", "w" * 3)
    assert "b" not in cache and len(cache) == 2
    cache.put("huge", "h" * 11)  # larger than the whole budget: not kept, nothing evicted
    assert "huge" not in cache and len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_on_evict_hears_of_evictions_only_and_pop_frees_room() -> None:
    evicted: list[tuple[str, int]] = []
    cache: LRU[str, int] = LRU(2, on_evict=lambda key, value: evicted.append((key, value)))
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)  # replaced, not evicted
    assert cache.pop("b") == 2 and cache.pop("b") is None
    cache.put("c", 4)
    assert evicted == []
    cache.put("d", 5)
    assert evicted == [("a", 3)] and len(cache) == 2
