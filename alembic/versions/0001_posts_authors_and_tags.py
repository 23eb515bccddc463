"""posts, authors and tags

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.String(length=2000), nullable=True),
        sa.Column("website", sa.String(length=2000), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("slug", name=op.f("uq_authors_slug")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authors_name_id"), ["name", "id"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=300), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "scheduled", "published", name="post_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "level",
            sa.Enum(
                "beginner",
                "intermediate",
                "advanced",
                name="post_level",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("reading_time", sa.Integer(), nullable=False),
        sa.Column("includes_code", sa.Boolean(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("feature_image_url", sa.String(length=2000), nullable=True),
        sa.Column("feature_image_alt", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("translation_group", sa.String(length=36), nullable=True),
        sa.Column("canonical_url", sa.String(length=2000), nullable=True),
        sa.Column("meta_title", sa.String(length=300), nullable=True),
        sa.Column("meta_description", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("slug", name=op.f("uq_posts_slug")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_featured"), ["featured"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_includes_code"), ["includes_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_level"), ["level"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_posts_published_at_id"), ["published_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_posts_reading_time_id"), ["reading_time", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_posts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_title_id"), ["title", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_posts_translation_group"), ["translation_group"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_posts_updated_at_id"), ["updated_at", "id"], unique=False
        )

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum("public", "internal", name="tag_visibility", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("slug", name=op.f("uq_tags_slug")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_name_id"), ["name", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tags_visibility"), ["visibility"], unique=False)

    op.create_table(
        "post_authors",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_post_authors_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_authors_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "author_id", name=op.f("pk_post_authors")),
    )
    with op.batch_alter_table("post_authors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_authors_author_id_post_id"), ["author_id", "post_id"], unique=False
        )

    op.create_table(
        "post_tags",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_tags_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_post_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "tag_id", name=op.f("pk_post_tags")),
    )
    with op.batch_alter_table("post_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_tags_tag_id_post_id"), ["tag_id", "post_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("post_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_tags_tag_id_post_id"))

    op.drop_table("post_tags")
    with op.batch_alter_table("post_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_authors_author_id_post_id"))

    op.drop_table("post_authors")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_visibility"))
        batch_op.drop_index(batch_op.f("ix_tags_name_id"))

    op.drop_table("tags")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_updated_at_id"))
        batch_op.drop_index(batch_op.f("ix_posts_translation_group"))
        batch_op.drop_index(batch_op.f("ix_posts_title_id"))
        batch_op.drop_index(batch_op.f("ix_posts_status"))
        batch_op.drop_index(batch_op.f("ix_posts_reading_time_id"))
        batch_op.drop_index(batch_op.f("ix_posts_published_at_id"))
        batch_op.drop_index(batch_op.f("ix_posts_level"))
        batch_op.drop_index(batch_op.f("ix_posts_language"))
        batch_op.drop_index(batch_op.f("ix_posts_includes_code"))
        batch_op.drop_index(batch_op.f("ix_posts_featured"))

    op.drop_table("posts")
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authors_name_id"))

    op.drop_table("authors")
