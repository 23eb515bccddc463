"""Enums shared by several types."""

from enum import Enum

import strawberry

from models import DeliveryStatus as DeliveryStatusValue
from models import PostLevel as PostLevelValue
from models import PostStatus as PostStatusValue
from models import TagVisibility as TagVisibilityValue


@strawberry.enum(description="How much background a post expects from its reader.")
class PostLevel(Enum):
    BEGINNER = strawberry.enum_value(PostLevelValue.BEGINNER, description="No prior knowledge.")
    INTERMEDIATE = strawberry.enum_value(
        PostLevelValue.INTERMEDIATE, description="Familiar with the field."
    )
    ADVANCED = strawberry.enum_value(PostLevelValue.ADVANCED, description="For specialists.")


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest, earliest or A first.")
    DESC = strawberry.enum_value("desc", description="Largest, latest or Z first.")


@strawberry.enum(description="Where a post is in its life.")
class PostStatus(Enum):
    DRAFT = strawberry.enum_value(PostStatusValue.DRAFT, description="Only editors see it.")
    SCHEDULED = strawberry.enum_value(
        PostStatusValue.SCHEDULED, description="Goes live by itself at `publishedAt`."
    )
    PUBLISHED = strawberry.enum_value(PostStatusValue.PUBLISHED, description="Live.")


@strawberry.enum(description="Who sees a tag.")
class TagVisibility(Enum):
    PUBLIC = strawberry.enum_value(TagVisibilityValue.PUBLIC, description="Everyone.")
    INTERNAL = strawberry.enum_value(
        TagVisibilityValue.INTERNAL, description="Editors only; never shown to readers."
    )


@strawberry.enum(description="Where a delivery stands.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        DeliveryStatusValue.PENDING, description="Waiting for its next attempt."
    )
    SUCCEEDED = strawberry.enum_value(
        DeliveryStatusValue.SUCCEEDED, description="The endpoint answered 2xx."
    )
    FAILED = strawberry.enum_value(
        DeliveryStatusValue.FAILED,
        description="Given up: a 4xx answer retrying cannot fix, or every retry failed.",
    )


GRAPHQL_ENUMS: dict[type[Enum], type[Enum]] = {
    PostLevelValue: PostLevel,
    PostStatusValue: PostStatus,
    TagVisibilityValue: TagVisibility,
    DeliveryStatusValue: DeliveryStatus,
}
"""The GraphQL enum of each of the models' enums."""
