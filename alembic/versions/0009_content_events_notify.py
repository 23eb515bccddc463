"""content events notify: a NOTIFY at commit wakes every process's live subscriptions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

PostgreSQL only: each statement that inserts content events sends one notification on the
`quire_content_events` channel, delivered when (and only if) its transaction commits, in
commit order. The notification carries nothing: a listener reads the new events by id (see
app.event_listener). SQLite serves one host, where the listener polls the log instead.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION quire_notify_content_events() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('quire_content_events', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER content_events_notify
        AFTER INSERT ON content_events
        FOR EACH STATEMENT EXECUTE FUNCTION quire_notify_content_events()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER content_events_notify ON content_events")
    op.execute("DROP FUNCTION quire_notify_content_events()")
