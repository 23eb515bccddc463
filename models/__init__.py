"""SQLAlchemy 2 typed models. Imports nothing from the rest of the project."""

from models.author import Author
from models.base import Base
from models.editor import ApiToken, Editor, EditorRole, TokenKind
from models.event import ContentEvent, EventCursor
from models.import_source import ImportSource
from models.post import Post, PostAuthor, PostLevel, PostStatus, PostTag
from models.post_count import CountedPost, PostCount, PostCountCell
from models.publication import PostPublication, Publication
from models.revision import IdempotencyKey, PostRevision, PostSlug
from models.site import SITE_ID, Site
from models.tag import Tag, TagVisibility
from models.webhook import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "SITE_ID",
    "ApiToken",
    "Author",
    "Base",
    "ContentEvent",
    "CountedPost",
    "DeliveryStatus",
    "Editor",
    "EditorRole",
    "EventCursor",
    "IdempotencyKey",
    "ImportSource",
    "Post",
    "PostAuthor",
    "PostCount",
    "PostCountCell",
    "PostLevel",
    "PostPublication",
    "PostRevision",
    "PostSlug",
    "PostStatus",
    "PostTag",
    "Publication",
    "Site",
    "Tag",
    "TagVisibility",
    "TokenKind",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
