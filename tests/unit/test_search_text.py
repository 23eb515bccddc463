"""Where a search's words are in a text: the ranges a frontend marks, and the body's snippet."""

from resolvers.search_text import (
    MAX_KNOWN_WORDS,
    MAX_MATCHERS,
    Highlighted,
    _matcher_of,
    highlight,
    parse,
    snippet,
)


def _marked(found: Highlighted) -> list[str]:
    """The marked words, for texts whose UTF-16 ranges equal their code point ranges."""
    return [found.text[start : start + length] for start, length in found.matches]


def test_stems_cases_and_accents_are_found_in_the_post_language() -> None:
    found = highlight("Running KAFKA: migraciones y Migración", parse("run kafka migracion "), "es")
    assert _marked(found) == ["KAFKA", "migraciones", "Migración"]
    english = highlight("Running runs the runner", parse("run "), "en")
    assert _marked(english) == ["Running", "runs"]


def test_the_last_word_matches_as_a_prefix_while_typing() -> None:
    typing = highlight("Streams and streaming", parse("stre"), "en")
    assert _marked(typing) == ["Streams", "streaming"]
    done = highlight("Streams and streaming", parse("stre "), "en")
    assert done.matches == ()


def test_ranges_count_utf16_code_units() -> None:
    found = highlight("🚀 Kafka at scale", parse("kafka "), "en")
    assert found.matches == ((3, 5),)  # the rocket is two UTF-16 units and a space


def test_a_snippet_shows_the_words_around_the_first_match() -> None:
    words = [f"filler{n}" for n in range(100)]
    words[60] = "Kafka"
    found = snippet(" ".join(words), parse("kafka "), "en", words_around=4)
    assert found.text == "…filler58 filler59 Kafka filler61 filler62 filler63 filler64 filler65…"
    assert _marked(found) == ["Kafka"]


def test_a_snippet_without_a_match_is_the_beginning() -> None:
    found = snippet("one two three four five six", parse("kafka "), "en", words_around=2)
    assert (found.text, found.matches) == ("one two three four…", ())
    whole = snippet("one two", parse("kafka "), "en", words_around=2)
    assert (whole.text, whole.matches) == ("one two", ())


def test_a_snippet_finds_accented_and_capitalised_forms() -> None:
    body = "Intro words here. " * 30 + "La MIGRACIÓN terminó."
    found = snippet(body, parse("migracion "), "es", words_around=2)
    assert _marked(found) == ["MIGRACIÓN"]


def test_what_one_language_found_does_not_leak_into_another() -> None:
    query = parse("runs ")
    # "running" stems to "run" in English only; as an unstemmed language it stays "running".
    assert _marked(highlight("running runs", query, "en")) == ["running", "runs"]
    assert _marked(highlight("running runs", query, "fr")) == ["runs"]
    assert _marked(highlight("running runs", query, "en")) == ["running", "runs"]


def test_what_matchers_remember_is_bounded_whatever_readers_search() -> None:
    body = " ".join(f"word{n}" for n in range(MAX_KNOWN_WORDS * 2))
    for n in range(MAX_MATCHERS * 2):
        snippet(body, parse(f"wordy{n} wordz"), "en")  # no match: every word is checked
    assert _matcher_of.cache_info().currsize <= MAX_MATCHERS
    matcher = _matcher_of((f"wordy{MAX_MATCHERS * 2 - 1}", "wordz"), "wordz", "en")
    assert 0 < len(matcher.known) <= MAX_KNOWN_WORDS
