"""Cache keys: what a read names, and headers kept short without missing a purge."""

from resolvers import cache_keys
from resolvers.cache_keys import ReadKeys, collapsed


def test_a_lookup_names_what_it_found_or_what_would_make_it_find_something() -> None:
    read = ReadKeys()
    read.looked_up("post", 7, by_id=7)
    read.looked_up("post", None, by_id=9)  # an id: only that post's writes can change it
    read.looked_up("tag", None)  # a slug: any new tag may take it
    read.objects("post", [10, 7])
    assert read.names() == ["tags", "post:7", "post:9", "post:10"]


def test_every_change_purges_its_list_and_tags_and_authors_purge_posts_too() -> None:
    assert cache_keys.of_change("post", 3) == ["post:3", "posts"]
    assert cache_keys.of_change("tag", 3) == ["tag:3", "tags", "posts"]
    assert cache_keys.of_change("author", 3) == ["author:3", "authors", "posts"]


def test_short_key_lists_are_kept_whole() -> None:
    assert collapsed(["posts", "post:2", "tag:1"], max_chars=100) == ["posts", "post:2", "tag:1"]


def test_a_long_list_gives_up_object_keys_of_the_commonest_kind_first() -> None:
    keys = [f"post:{n}" for n in range(100)] + ["tag:1", "author:2"]
    kept = collapsed(keys, max_chars=40)
    assert kept == ["author:2", "posts", "tag:1"]
    everything = collapsed(keys, max_chars=5)
    assert everything == ["authors", "posts", "tags"]  # as short as it can be


def test_a_collapsed_list_still_meets_every_change_of_what_it_dropped() -> None:
    keys = [f"{kind}:{n}" for kind in cache_keys.KINDS for n in range(50)]
    kept = set(collapsed(keys, max_chars=60))
    for key in keys:
        kind, _, object_id = key.partition(":")
        assert kept & set(cache_keys.of_change(kind, int(object_id))), key
