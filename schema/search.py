"""What a search adds to a post's edge: where its words were found (resolvers.search_text)."""

import strawberry

from resolvers.search_text import Highlighted


@strawberry.type(
    description="A range of a text: `start` and `length` in UTF-16 code units, as JavaScript "
    "strings, Swift's NSString and Kotlin index them."
)
class TextRange:
    start: int = strawberry.field(description="Where the range starts (0: the first unit).")
    length: int = strawberry.field(description="How long it is.")


@strawberry.type(
    description="Plain text (no markup) and the ranges where the search's words are in it, for "
    "the frontend to mark."
)
class HighlightedText:
    text: str = strawberry.field(description="The text, plain.")
    matches: list[TextRange] = strawberry.field(
        description="The ranges of the words the search found, in order."
    )

    @classmethod
    def of(cls, found: Highlighted) -> "HighlightedText":
        return cls(
            text=found.text, matches=[TextRange(start=s, length=n) for s, n in found.matches]
        )


@strawberry.type(description="Where a search's words are in a post.")
class PostHighlights:
    title: HighlightedText = strawberry.field(description="The title.")
    summary: HighlightedText | None = strawberry.field(
        description="The summary, or the excerpt when there is none; null when neither."
    )
    snippet: HighlightedText = strawberry.field(
        description="About 24 words of the body around its first match, with … where cut."
    )
