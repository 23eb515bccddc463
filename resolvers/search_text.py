"""Words for full-text search: how a post's text and a search box's query become index terms,
the same way for PostgreSQL and SQLite, and where a query's words are found in a text.

A term is a word (letters and digits) lowercased, stemmed in the post's language with the
Snowball stemmers PostgreSQL's own `english` and `spanish` configurations use ("running" and
"runs" become "run", "migraciones" and "migración" become "migracion"), then stripped of
accents ("migracion" finds "migración"). Other languages are not stemmed. Both databases index
these terms as they are (PostgreSQL a `tsvector` literal, SQLite FTS5 space-separated words) and
query them the same way, so they match the same posts. A query has no language: each of its
words matches its term in any stemming language.

Query syntax, as search boxes have it: every word must match; "quoted words" must match as a
phrase; -word excludes; the last word also matches as a prefix (search as you type) unless it
ends with a space or a quote.
"""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

import snowballstemmer  # type: ignore[import-untyped]  # ships no type information

from resolvers.errors import BadUserInput

WORD = re.compile(r"[^\W_]+")
STEMMED = {"en": "english", "es": "spanish"}
"""Languages (by primary subtag) whose words are stemmed; others are indexed as written."""
LANGUAGES = (*STEMMED, "other")
"""The stemming languages: a query word matches its term in any of them."""
MAX_QUERY_CHARACTERS = 200
MAX_QUERY_WORDS = 16
MIN_PREFIX = 2  # a last word shorter than this matches whole words only
MAX_POSITION = 16_383  # PostgreSQL keeps word positions up to this


def language_key(language: str) -> str:
    """The stemming language of a post's language tag ("en-GB" -> "en"; unknown -> "other")."""
    primary = language.split("-", 1)[0].lower()
    return primary if primary in STEMMED else "other"


@lru_cache(maxsize=8)
def _stemmer(language: str) -> "snowballstemmer.Stemmer | None":
    name = STEMMED.get(language)
    return snowballstemmer.stemmer(name) if name else None


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lowercased, without accents (the characters' combining marks)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def term(word: str, language: str) -> str:
    """The index term of one word in a stemming language (`language_key`)."""
    lowered = word.lower()
    stemmer = _stemmer(language)
    return fold(stemmer.stemWord(lowered) if stemmer is not None else lowered)


def words(text: str) -> list[str]:
    return WORD.findall(text)


MAX_WORD = 64  # characters; longer "words" (hashes, encoded data) are not indexed


def terms(text: str, language: str) -> list[str]:
    return [term(word, language) for word in WORD.findall(text) if len(word) <= MAX_WORD]


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: words that must all match, phrases, excluded words, and whether the
    last word also matches as a prefix."""

    text: str
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    """Words and phrases (one word or more each) that no match has."""
    prefix: str | None = None  # the last word as typed (folded), when it may be a prefix

    def all_words(self) -> tuple[str, ...]:
        return (*self.words, *(w for phrase in self.phrases for w in phrase))


def parse(text: str) -> SearchQuery:
    """A search box's text as a query; a clear error when it has nothing to find."""
    if len(text) > MAX_QUERY_CHARACTERS:
        raise BadUserInput(
            f"`search` is limited to {MAX_QUERY_CHARACTERS} characters.", field="search"
        )
    found_words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    last_kind: str | None = None
    for match in re.finditer(r'(-?)"([^"]*)"?|(-?)(\S+)', text):
        if match.group(2) is not None:
            quoted = tuple(words(match.group(2)))
            if not quoted:
                continue
            if match.group(1):
                excluded.append(quoted)
            elif len(quoted) == 1:
                found_words.append(quoted[0])
            else:
                phrases.append(quoted)
            last_kind = "quoted"
            continue
        plain = words(match.group(4))
        if match.group(3) and plain:
            excluded.append(tuple(plain))  # -kafka-streams: that phrase
            plain = []
            last_kind = "excluded"
        if plain:
            if len(plain) > 1:  # "kafka-streams": a phrase, as it was written
                phrases.append(tuple(plain))
                last_kind = "phrase"
            else:
                found_words.append(plain[0])
                last_kind = "word"
    counted = len(found_words) + sum(len(p) for p in (*phrases, *excluded))
    if counted > MAX_QUERY_WORDS:
        raise BadUserInput(f"`search` is limited to {MAX_QUERY_WORDS} words.", field="search")
    if not found_words and not phrases:
        raise BadUserInput(
            "`search` needs at least one word to find (excluding words alone finds nothing).",
            field="search",
        )
    typing = last_kind == "word" and not text.endswith((" ", '"'))
    last = found_words[-1] if typing else None
    prefix = fold(last) if last is not None and len(last) >= MIN_PREFIX else None
    return SearchQuery(
        text=text,
        words=tuple(found_words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        prefix=prefix,
    )


# The index's documents: fields and their weights, PostgreSQL's A-D (title above summary above
# tags and authors above body). SQLite's FTS5 table has a column per field.
TITLE, SUMMARY, META, BODY = "A", "B", "C", "D"


@dataclass
class IndexDocument:
    """One post's terms per field, with word positions across the whole document."""

    fields: dict[str, list[str]] = field(default_factory=dict)

    def tsvector(self, *weights: str) -> str:
        """A PostgreSQL `tsvector` literal of these fields."""
        positions: dict[str, list[str]] = {}
        position = 0
        for weight in weights:
            for found in self.fields.get(weight, ()):
                position = min(position + 1, MAX_POSITION)
                positions.setdefault(found, []).append(f"{position}{weight}")
            position = min(position + 1, MAX_POSITION)  # phrases never span two fields
        return " ".join(f"{_quoted(t)}:{','.join(p[:256])}" for t, p in positions.items())

    def text(self, weight: str) -> str:
        """SQLite: one field's terms, space-separated."""
        return " ".join(self.fields.get(weight, ()))


def index_document(
    *, language: str, title: str, summary: str, body: str, names: Sequence[str] = ()
) -> IndexDocument:
    """The terms of a post: `summary` its summary or excerpt, `body` its plain text, `names`
    its public tags' and its authors' names."""
    key = language_key(language)
    return IndexDocument(
        {
            TITLE: terms(title, key),
            SUMMARY: terms(summary, key),
            META: meta_terms(names, key),
            BODY: terms(body, key),
        },
    )


def meta_terms(names: Sequence[str], language: str) -> list[str]:
    """Tags' and authors' names, as words of the post's language (`language_key`)."""
    return [found for name in names for found in terms(name, language)]


def variants(word: str) -> list[str]:
    """The terms a query word matches: its term in each stemming language (a post's words are
    stemmed in the post's language, and a query has none)."""
    return list(dict.fromkeys(term(word, language) for language in LANGUAGES))


def tsquery(query: SearchQuery) -> str:
    """A PostgreSQL `tsquery` literal of the query: each word as any of its `variants` (the
    last one also as a prefix of them and of the word as typed), phrases in each language, and
    no excluded word in any."""
    parts = []
    for index, word in enumerate(query.words):
        if query.prefix is not None and index == len(query.words) - 1:
            found = [f"{_quoted(p)}:*" for p in dict.fromkeys((*variants(word), query.prefix))]
        else:
            found = [_quoted(v) for v in variants(word)]
        parts.append(_any(found, " | "))
    parts.extend(_ts_phrase(phrase) for phrase in query.phrases)
    parts.extend("!" + _ts_phrase(phrase) for phrase in query.excluded)
    return " & ".join(parts)


def _ts_phrase(phrase: Sequence[str]) -> str:
    """A word or phrase in any stemming language."""
    if len(phrase) == 1:
        return _any([_quoted(v) for v in variants(phrase[0])], " | ")
    spelled = dict.fromkeys(
        " <-> ".join(_quoted(term(w, language)) for w in phrase) for language in LANGUAGES
    )
    return _any([f"( {p} )" for p in spelled], " | ")


def _any(alternatives: Sequence[str], operator: str) -> str:
    return alternatives[0] if len(alternatives) == 1 else f"( {operator.join(alternatives)} )"


def fts5_query(query: SearchQuery) -> str:
    """An SQLite FTS5 query: the same as `tsquery`, in FTS5's syntax."""
    parts = []
    for index, word in enumerate(query.words):
        if query.prefix is not None and index == len(query.words) - 1:
            found = [f'"{p}"*' for p in dict.fromkeys((*variants(word), query.prefix))]
        else:
            found = [f'"{v}"' for v in variants(word)]
        parts.append(_any(found, " OR "))
    parts.extend(_fts5_phrase(phrase) for phrase in query.phrases)
    found_all = " AND ".join(parts)
    if query.excluded:
        excluded = " OR ".join(_fts5_phrase(phrase) for phrase in query.excluded)
        return f"({found_all}) NOT ({excluded})"
    return found_all


def _fts5_phrase(phrase: Sequence[str]) -> str:
    spelled = dict.fromkeys(" ".join(term(w, language) for w in phrase) for language in LANGUAGES)
    return _any([f'"{p}"' for p in spelled], " OR ")


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class Highlighted:
    """A text and where the query's words are in it: (start, length) in UTF-16 code units, as
    JavaScript, Swift's NSString and Kotlin index strings."""

    text: str
    matches: tuple[tuple[int, int], ...]


def highlight(text: str, query: SearchQuery, language: str) -> Highlighted:
    key = language_key(language)
    return Highlighted(text, tuple(_utf16(text, span) for span in _spans(text, query, key)))


def snippet(text: str, query: SearchQuery, language: str, *, words_around: int = 12) -> Highlighted:
    """About `2 * words_around` words of `text` around its first match (its start when none),
    with "…" where it was cut."""
    key = language_key(language)
    first = _first_match(text, query, key)
    if first is None:
        window = list(islice(WORD.finditer(text), 2 * words_around))
    else:
        earlier = list(
            WORD.finditer(text, max(0, first.start() - 50 * words_around), first.start())
        )
        window = [*earlier[-(words_around // 2) :], first]
        window += islice(WORD.finditer(text, first.end()), 2 * words_around - len(window))
    if not window:
        return Highlighted("", ())
    opening = WORD.search(text)
    cut_before = opening is not None and window[0].start() > opening.start()
    cut_after = WORD.search(text, window[-1].end()) is not None
    start = window[0].start() if cut_before else 0
    end = window[-1].end() if cut_after else len(text)
    shown = f"{'…' if cut_before else ''}{' '.join(text[start:end].split())}"
    return highlight(shown + ("…" if cut_after else ""), query, language)


def _first_match(text: str, query: SearchQuery, language: str) -> re.Match[str] | None:
    """The first word of `text` the query finds. Candidates are found by the regular expression
    of the terms' first letters (C speed through a long body), then checked one by one."""
    matcher = _matcher(query, language)
    for candidate in matcher.candidates.finditer(text):
        if matcher.matches(candidate.group()):
            return candidate
    return None


@dataclass
class _Matcher:
    """Which words a query finds in one stemming language, remembered word by word: a body
    repeats its words, and each is stemmed once."""

    wanted: frozenset[str]
    prefix: str | None
    language: str
    candidates: re.Pattern[str]
    """Whole words beginning with the first letters of a term or of the prefix."""
    known: dict[str, bool] = field(default_factory=dict)

    def matches(self, word: str) -> bool:
        found = self.known.get(word)
        if found is None:
            if len(self.known) >= MAX_KNOWN_WORDS:
                self.known.clear()
            found = term(word, self.language) in self.wanted or (
                self.prefix is not None and fold(word).startswith(self.prefix)
            )
            if len(word) <= MAX_WORD:
                self.known[word] = found
        return found


MAX_MATCHERS = 64
MAX_KNOWN_WORDS = 4_000
"""Bounds of what matchers remember: 64 searches of 4,000 words, whatever readers search."""


def _matcher(query: SearchQuery, language: str) -> _Matcher:
    words = tuple(sorted({word.lower() for word in query.all_words()}))  # as `term` reads them
    return _matcher_of(words, query.prefix, language)


@lru_cache(maxsize=MAX_MATCHERS)
def _matcher_of(words: tuple[str, ...], prefix: str | None, language: str) -> _Matcher:
    """By the words alone: "Kafka Streams" and "streams kafka" share one."""
    wanted = frozenset(term(word, language) for word in words)
    starts = sorted({w[:3] for w in wanted} | ({prefix[:3]} if prefix else set()))
    return _Matcher(wanted, prefix, language, _candidates(starts))


_ACCENTED = {
    "a": "aáàâäãå",
    "e": "eéèêë",
    "i": "iíìîï",
    "o": "oóòôöõø",
    "u": "uúùûü",
    "n": "nñ",
    "c": "cç",
    "y": "yýÿ",
}


def _candidates(starts: list[str]) -> re.Pattern[str]:
    """Whole words beginning with one of `starts` (folded letters), whatever their case and
    accents."""

    def letters(start: str) -> str:
        return "".join(f"[{_ACCENTED[c]}]" if c in _ACCENTED else re.escape(c) for c in start)

    starting = "|".join(letters(s) for s in starts)
    return re.compile(rf"\b(?:{starting})[^\W_]*", re.IGNORECASE)


def _spans(text: str, query: SearchQuery, language: str) -> Iterator[tuple[int, int]]:
    matcher = _matcher(query, language)
    for found in WORD.finditer(text):
        if matcher.matches(found.group()):
            yield found.start(), found.end()


def _utf16(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    offset = len(text[:start].encode("utf-16-le")) // 2
    length = len(text[start:end].encode("utf-16-le")) // 2
    return offset, length


SUGGEST_FROM = 5
"""Letters a word needs for a "did you mean" (shorter ones have too many neighbours)."""
SUGGEST_UP_TO = 20
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit_away(word: str) -> list[str]:
    """The words one edit from `word` (folded): swapped neighbours first (the commonest typo),
    then a letter dropped, one replaced, one added; in a stable order."""
    folded = fold(word)
    splits = [(folded[:i], folded[i:]) for i in range(len(folded) + 1)]
    swapped = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaced = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    dropped = [a + b[1:] for a, b in splits if b]
    added = [a + c + b for a, b in splits for c in _LETTERS]
    found = dict.fromkeys(w for w in (*swapped, *dropped, *replaced, *added) if w and w != folded)
    return list(found)


def suggest_for(query: SearchQuery) -> list[str]:
    """The words of a query a suggestion may replace."""
    return [w for w in query.words if SUGGEST_FROM <= len(w) <= SUGGEST_UP_TO]


def with_replaced(text: str, replacements: dict[str, str]) -> str:
    """`text` with whole words replaced (compared folded), the rest as it was."""

    folded = {fold(word): replacement for word, replacement in replacements.items()}
    return WORD.sub(lambda found: folded.get(fold(found.group()), found.group()), text)
