"""The `quire` command line: serve, migrate, load demo content, import Ghost and WordPress
exports, export the schema, list persisted queries, manage webhooks, purge the shared response
cache."""

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from signal import SIGINT, SIGTERM
from typing import IO, Annotated, Any, TypeVar

import orjson
import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import migrations
from app.database import create_engine, create_session_factory
from app.main import background_jobs
from app.observability import MULTIPROCESS_DIR
from app.response_cache import create_response_cache
from app.settings import get_settings
from models import Author, Editor, EditorRole, TokenKind, WebhookEndpoint
from resolvers import accounts, post_counts, search, webhooks
from resolvers.accounts import Viewer
from resolvers.errors import BadUserInput, Rejected
from resolvers.imports import ImportReport, Note

T = TypeVar("T")

cli = typer.Typer(help="Quire, a headless GraphQL content API.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo content.", no_args_is_help=True)
schema_cli = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
users_cli = typer.Typer(help="Editor accounts.", no_args_is_help=True)
tokens_cli = typer.Typer(help="Integration tokens.", no_args_is_help=True)
persisted_cli = typer.Typer(help="Persisted queries (the allowlist).", no_args_is_help=True)
webhooks_cli = typer.Typer(help="Webhook endpoints.", no_args_is_help=True)
cache_cli = typer.Typer(help="The shared response cache (in Redis).", no_args_is_help=True)
search_cli = typer.Typer(help="The full-text search index.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(schema_cli, name="schema")
cli.add_typer(persisted_cli, name="persisted-queries")
cli.add_typer(webhooks_cli, name="webhooks")
cli.add_typer(cache_cli, name="cache")
cli.add_typer(search_cli, name="search")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [QUIRE_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [QUIRE_PORT].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [QUIRE_WORKERS].")] = None,
) -> None:
    """Serve the API with uvicorn; GraphiQL at /graphql."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.workers
    # Each worker builds its app from the environment; it must know it is not alone (an
    # in-process response cache is unsafe then, see app.response_cache).
    os.environ["QUIRE_WORKERS"] = str(workers)
    metrics_dir = _multiprocess_metrics(workers)
    typer.echo(f"Quire on http://{host}:{port}/graphql ({settings.database_url.split('://')[0]})")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,  # Quire writes one line per request itself (app.observability)
        timeout_graceful_shutdown=10,
        # A worker answers the supervisor's health check once it has imported the app (a spawned
        # worker imports `quire`'s own modules first): seconds on a busy host, where uvicorn's
        # 5 s default killed and restarted a worker that was only starting.
        timeout_worker_healthcheck=30,
        ws="websockets-sansio",  # websockets' own protocol code (its legacy one is deprecated)
        ws_max_size=settings.max_body_bytes,  # a subscription's messages, as request bodies
        # Client addresses come from the connection, or QUIRE_TRUSTED_PROXY_HEADER: never from
        # an X-Forwarded-For that uvicorn would otherwise trust on loopback connections.
        proxy_headers=False,
    )
    if metrics_dir is not None:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _multiprocess_metrics(workers: int) -> str | None:
    """With several workers, a folder of their own for Prometheus' multiprocess mode (so any
    worker's /metrics sums every worker's numbers), unless one is set already; None otherwise.
    Workers are new interpreters that read the setting when they start."""
    if workers <= 1 or os.environ.get(MULTIPROCESS_DIR):
        return None
    folder = tempfile.mkdtemp(prefix="quire-metrics-")
    os.environ[MULTIPROCESS_DIR] = folder
    return folder


@db_cli.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(get_settings().database_url, revision)


@db_cli.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")]) -> None:
    """Revert migrations down to REVISION."""
    migrations.downgrade(get_settings().database_url, revision)


@db_cli.command()
def current() -> None:
    """Print the database's revision and the code's head revision."""

    async def read() -> str | None:
        engine = create_engine(get_settings().database_url)
        try:
            async with engine.connect() as connection:
                return await migrations.current_revision(connection)
        finally:
            await engine.dispose()

    typer.echo(
        f"database: {asyncio.run(read()) or 'empty'}\nhead:     {migrations.head_revision()}"
    )


@db_cli.command()
def rebuild() -> None:
    """Write everything Quire derives from the posts again: the search index and the counts
    of posts per tag, author, level, language and publication. For writes made outside the
    API (SQL by hand, a restore); every write through the API keeps them up to date itself."""

    async def work(session: AsyncSession) -> str:
        indexed = await search.rebuild(session)
        counted, rescheduled = await post_counts.rebuild(session, datetime.now(UTC))
        lines = [f"Indexed {indexed} posts for search; counted {counted} live posts."]
        if rescheduled:
            lines.append(
                f"{rescheduled} published posts dated in the future are now scheduled:"
                " they go live at their date."
            )
        return "\n".join(lines)

    typer.echo(_in_session(work))


@search_cli.command("rebuild")
def search_rebuild() -> None:
    """Write the search index again from the posts, after writes made outside the API (SQL by
    hand, a restore); every write through the API keeps it up to date by itself."""
    indexed = _in_session(search.rebuild)
    typer.echo(f"Indexed {indexed} posts.")


@demo_cli.command("load")
def demo_load(
    posts: Annotated[int, typer.Option(min=1, help="English posts to generate.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same blog.")] = 1,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when content exists.")] = False,
    replace: Annotated[bool, typer.Option(help="Delete existing content first.")] = False,
    taxonomy: Annotated[
        str,
        typer.Option(
            help="blog: 30 authors and 15 tags; large: 300 authors and 500 tags with a long tail."
        ),
    ] = "blog",
) -> None:
    """Write a deterministic demo engineering blog into the database."""
    from app import demo

    if taxonomy not in demo.TAXONOMIES:
        raise typer.BadParameter(
            f"choose one of {', '.join(demo.TAXONOMIES)}", param_hint="--taxonomy"
        )

    async def load() -> str:
        engine = create_engine(get_settings().database_url)
        try:
            if await demo.has_content(engine):
                if if_empty:
                    return "Content exists; demo not loaded."
                if not replace:
                    raise typer.BadParameter(
                        "the database has content; pass --replace or --if-empty"
                    )
                await demo.clear_content(engine)
            summary = await demo.load_demo(
                engine, posts=posts, seed=seed, taxonomy=demo.TAXONOMIES[taxonomy]
            )
            return f"Loaded {summary.posts} posts, {summary.authors} authors, {summary.tags} tags."
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(load()))


@schema_cli.command("export")
def schema_export(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the schema as SDL (the committed schema.graphql)."""
    from schema import export_sdl

    output.write_text(export_sdl())
    typer.echo(f"Wrote {output}")


@persisted_cli.command("manifest")
def persisted_manifest(
    files: Annotated[
        list[Path], typer.Argument(help="GraphQL documents, one named operation in each.")
    ],
) -> None:
    """Print an Apollo persisted query manifest of FILES, for QUIRE_PERSISTED_QUERIES_FILE."""
    from app.persisted_queries import build_manifest

    try:
        manifest = build_manifest((str(path), path.read_text()) for path in files)
    except (OSError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode())


Role = Annotated[EditorRole, typer.Option(case_sensitive=False, help="What the account may do.")]
AuthorSlug = Annotated[
    str | None, typer.Option(help="The slug of the author profile it writes as (its byline).")
]


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction against the configured database."""

    async def run() -> T:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except Rejected as error:
        raise typer.BadParameter("; ".join(message for _, _, message in error.errors)) from None
    except BadUserInput as error:
        raise typer.BadParameter(error.message) from None


def _read_password() -> str:
    """From a hidden prompt on a terminal, else the first line of stdin: never an argument,
    where it would land in the shell history and the process list."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\n")


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email, unique.")],
    role: Role,
    name: Annotated[str, typer.Option(help="Display name (defaults to the email).")] = "",
    author: AuthorSlug = None,
) -> None:
    """Create an editor account; the password is read from a prompt or stdin."""
    password = _read_password()

    async def create(session: AsyncSession) -> str:
        author_id = await _author_id(session, author)
        editor = await accounts.create_editor(
            session,
            email=email,
            display_name=name,
            password=password,
            role=role,
            author_id=author_id,
        )
        byline = f", writing as {author}" if author else ""
        return f"Created {editor.email} ({editor.role.value}{byline})."

    typer.echo(_in_session(create))


@users_cli.command("list")
def users_list() -> None:
    """List editor accounts."""

    async def rows(session: AsyncSession) -> list[str]:
        editors = await session.scalars(select(Editor).order_by(Editor.email))
        return [
            "\t".join((e.email, e.role.value, "active" if e.active else "off", e.display_name))
            for e in editors
        ]

    typer.echo("\n".join(_in_session(rows)) or "No accounts yet.")


@users_cli.command("set-role")
def users_set_role(
    email: Annotated[str, typer.Argument(help="The account's email.")], role: Role
) -> None:
    """Change an account's role."""

    async def change(session: AsyncSession) -> str:
        editor = await accounts.find_editor(session, email)
        editor.role = role
        editor.version += 1
        return f"{editor.email} is now {role.value}."

    typer.echo(_in_session(change))


@users_cli.command("set-author")
def users_set_author(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    author: AuthorSlug = None,
) -> None:
    """Link an account to the author profile it writes as (its posts' byline); without
    --author, unlink it."""

    async def change(session: AsyncSession) -> str:
        editor = await accounts.find_editor(session, email)
        await accounts.set_editor_author(
            session,
            editor_id=editor.id,
            author_id=await _author_id(session, author),
            version=editor.version,
        )
        return f"{editor.email} writes as {author}." if author else f"{editor.email} is unlinked."

    typer.echo(_in_session(change))


async def _author_id(session: AsyncSession, slug: str | None) -> int | None:
    if slug is None:
        return None
    author_id = await session.scalar(select(Author.id).where(Author.slug == slug))
    if author_id is None:
        raise BadUserInput(f"No author with slug {slug!r}.", field="author")
    return int(author_id)


@users_cli.command("deactivate")
def users_deactivate(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Deactivate an account and revoke all its tokens."""

    async def deactivate(session: AsyncSession) -> str:
        editor = await accounts.find_editor(session, email)
        await accounts.deactivate(session, editor=editor, now=datetime.now(UTC))
        return f"{editor.email} is deactivated; its tokens are revoked."

    typer.echo(_in_session(deactivate))


@tokens_cli.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="What the token is for, e.g. build-bot.")],
    role: Role,
) -> None:
    """Create a long-lived integration token; it is printed once and never again."""

    async def create(session: AsyncSession) -> str:
        issued = await accounts.create_integration_token(session, name=name, role=role)
        return issued.secret

    secret = _in_session(create)
    typer.echo(secret)
    typer.echo("Store it now: Quire keeps only its hash.", err=True)


@tokens_cli.command("list")
def tokens_list() -> None:
    """List integration tokens (never their secrets)."""

    async def rows(session: AsyncSession) -> list[str]:
        tokens = await accounts.list_integration_tokens(session)
        return [
            f"{t.id}\t{t.name}\t{t.role.value if t.role else '-'}\t"
            f"{'revoked' if t.revoked_at else 'active'}\t{t.created_at:%Y-%m-%d}"
            for t in tokens
        ]

    typer.echo("\n".join(_in_session(rows)) or "No integration tokens yet.")


@tokens_cli.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The id from `tokens list`.")],
) -> None:
    """Revoke an integration token."""

    async def revoke(session: AsyncSession) -> bool:
        return await accounts.revoke(session, token_id=token_id, now=datetime.now(UTC))

    if not _in_session(revoke):
        raise typer.BadParameter(f"no active token with id {token_id}")
    typer.echo(f"Token {token_id} is revoked.")


@cli.command()
def worker() -> None:
    """Run the background jobs (scheduled posts' events, webhook deliveries) in this process,
    until interrupted; with QUIRE_BACKGROUND_JOBS=false, `serve` leaves them to it."""
    settings = get_settings()

    async def run() -> None:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        # The shared cache, to purge what scheduled posts change (an in-process one is the
        # serving process's own: it hears of the events through the log).
        cache = create_response_cache(settings) if settings.redis_url else None
        jobs = background_jobs(
            settings,
            create_session_factory(engine),
            lambda: datetime.now(UTC),
            cache=cache,
            force=True,
        )
        assert jobs is not None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal in (SIGINT, SIGTERM):
            loop.add_signal_handler(signal, stop.set)
        jobs.start()
        typer.echo("Quire worker: scheduled posts and webhook deliveries. Ctrl-C stops it.")
        try:
            await stop.wait()
        finally:
            await jobs.stop()
            if cache is not None:
                await cache.close()
            await engine.dispose()

    asyncio.run(run())


# The command line acts as an admin: whoever can run it can reach the database anyway.
OPERATOR = Viewer(token_id=0, kind=TokenKind.INTEGRATION, role=EditorRole.ADMIN, name="cli")


@webhooks_cli.command("create")
def webhooks_create(
    url: Annotated[str, typer.Option(help="Where to POST events (http or https).")],
    events: Annotated[
        list[str], typer.Option("--event", help='An event type, "post.*" or "*"; repeatable.')
    ],
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
) -> None:
    """Add a webhook endpoint; its signing secret is printed once."""

    async def create(session: AsyncSession) -> tuple[int, str]:
        endpoint, secret = await webhooks.create_endpoint(
            session,
            viewer=OPERATOR,
            url=url,
            event_types=events,
            description=description,
            active=True,
            include_unpublished=False,
            now=datetime.now(UTC),
        )
        return endpoint.id, secret

    endpoint_id, secret = _in_session(create)
    typer.echo(f"Endpoint {endpoint_id}: {url}")
    typer.echo(secret)
    typer.echo("Store the secret now (receivers verify signatures with it).", err=True)


@webhooks_cli.command("list")
def webhooks_list() -> None:
    """List webhook endpoints with their state and pending deliveries."""

    async def rows(session: AsyncSession) -> list[str]:
        found = await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
        return [
            f"{e.id}\t{e.url}\t{','.join(e.event_types)}\t"
            f"{'active' if e.active else 'off: ' + (e.disabled_reason or 'switched off')}"
            for e in found
        ]

    typer.echo("\n".join(_in_session(rows)) or "No webhook endpoints yet.")


@webhooks_cli.command("delete")
def webhooks_delete(
    endpoint_id: Annotated[int, typer.Argument(help="The id from `webhooks list`.")],
) -> None:
    """Delete a webhook endpoint and its delivery log."""

    async def delete(session: AsyncSession) -> None:
        endpoint = await webhooks.load_endpoint(session, endpoint_id)
        await webhooks.delete_endpoint(
            session, viewer=OPERATOR, endpoint_id=endpoint_id, version=endpoint.version
        )

    _in_session(delete)
    typer.echo(f"Endpoint {endpoint_id} is deleted.")


@webhooks_cli.command("ping")
def webhooks_ping(
    endpoint_id: Annotated[int, typer.Argument(help="The id from `webhooks list`.")],
) -> None:
    """Queue a `webhook.ping` to the endpoint (sent by `serve` or `worker`)."""

    async def ping(session: AsyncSession) -> str:
        delivery = await webhooks.ping(
            session, viewer=OPERATOR, endpoint_id=endpoint_id, now=datetime.now(UTC)
        )
        return delivery.message_id

    typer.echo(f"Queued {_in_session(ping)}.")


@cache_cli.command("purge")
def cache_purge(
    keys: Annotated[
        list[str] | None,
        typer.Argument(
            help="Cache keys (post:12, posts, ...); none: every entry.", show_default=False
        ),
    ] = None,
) -> None:
    """Purge entries of the shared response cache, after writes made outside the API."""
    settings = get_settings()
    if settings.redis_url is None:
        typer.echo(
            "The response cache lives in each `quire serve` process (QUIRE_REDIS_URL is not "
            "set): restart it to empty it.",
            err=True,
        )
        raise typer.Exit(1)
    cache = create_response_cache(settings)
    if cache is None:
        typer.echo("The response cache is off (QUIRE_RESPONSE_CACHE=false): nothing to purge.")
        return

    async def purge() -> bool:
        try:
            return await (cache.purge(keys) if keys else cache.purge_all())
        finally:
            await cache.close()

    if not asyncio.run(purge()):
        typer.echo("Redis (QUIRE_REDIS_URL) is unreachable; nothing was purged.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Purged {' '.join(keys)}." if keys else "Purged every entry.")


import_cli = typer.Typer(help="Bring content in from Ghost or WordPress.", no_args_is_help=True)
cli.add_typer(import_cli, name="import")

ImportFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The export file.")
]
SiteUrl = Annotated[
    str | None,
    typer.Option(
        help="The old site's address, e.g. https://blog.example.com: relative image and link "
        "URLs are resolved against it (left out without it)."
    ),
]
DryRun = Annotated[bool, typer.Option(help="Report what would change; write nothing.")]
PublicationSlug = Annotated[
    str | None,
    typer.Option(
        "--publication",
        help="For a site that gathers several blogs: the slug of the publication its posts "
        "belong to (made from the file's site title and address if there is none).",
    ),
]
SkipInvalid = Annotated[
    bool, typer.Option(help="Load the valid items when some are invalid (default: nothing).")
]


@import_cli.command("ghost")
def import_ghost(
    file: ImportFile,
    site_url: SiteUrl = None,
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    publication: PublicationSlug = None,
) -> None:
    """Import a Ghost JSON export (Ghost 1 to 5; Settings > Labs > Export content)."""
    _import(
        "ghost",
        file,
        site_url=site_url,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        publication=publication,
    )


@import_cli.command("wordpress")
def import_wordpress(
    file: ImportFile,
    site_url: SiteUrl = None,
    dry_run: DryRun = False,
    skip_invalid: SkipInvalid = False,
    publication: PublicationSlug = None,
) -> None:
    """Import a WordPress export (WXR; Tools > Export > All content)."""
    _import(
        "wordpress",
        file,
        site_url=site_url,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        publication=publication,
    )


def _import(
    source: str,
    file: Path,
    *,
    site_url: str | None,
    dry_run: bool,
    skip_invalid: bool,
    publication: str | None,
) -> None:
    from app.imports import UnreadableExport
    from app.imports.runner import import_into

    async def run(progress: Callable[[int], Any] | None) -> ImportReport:
        engine = create_engine(get_settings().database_url)
        try:
            return await import_into(
                engine,
                source,
                file,
                site_url=site_url,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                publication=publication,
                progress=progress,
            )
        finally:
            await engine.dispose()

    try:
        if sys.stderr.isatty():  # a progress bar on a terminal; quiet in CI and in logs
            size = file.stat().st_size
            with typer.progressbar(length=size, label="Reading", file=sys.stderr) as bar:
                report = asyncio.run(run(lambda done: bar.update(done - bar.pos)))
        else:
            report = asyncio.run(run(None))
    except UnreadableExport as error:
        typer.echo(f"Refused: {error}. Nothing was imported.", err=True)
        raise typer.Exit(2) from None
    typer.echo(report.summary())
    for title, notes in (("Skipped", report.skipped), ("Adjusted", report.adjusted)):
        for line in _grouped(notes):
            typer.echo(f"{title}: {line}")
    for note in report.problems:
        typer.echo(f"Invalid: {note}", err=True)
    if report.more_problems:
        typer.echo(f"Invalid: {report.more_problems} more", err=True)
    if dry_run:
        typer.echo("Dry run: nothing was written.")
    elif report.failed and not skip_invalid:
        typer.echo(
            "Nothing was imported: fix the items above, or pass --skip-invalid to load the rest.",
            err=True,
        )
        raise typer.Exit(1)


@import_cli.command("quire")
def import_quire(file: ImportFile) -> None:
    """Restore a `quire export` file into an empty database (ids, versions and dates kept)."""
    from app.imports import UnreadableExport
    from app.imports.quire import restore

    async def run() -> ImportReport:
        engine = create_engine(get_settings().database_url)
        try:
            return await restore(engine, file)
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(run())
    except UnreadableExport as error:
        typer.echo(f"Refused: {error}. Nothing was imported.", err=True)
        raise typer.Exit(2) from None
    for note in report.problems:
        typer.echo(f"Invalid: {note}", err=True)
    if report.failed:
        typer.echo("Nothing was restored: the items above are invalid.", err=True)
        raise typer.Exit(1)
    counts = {kind: sum(outcomes.values()) for kind, outcomes in report.counts.items()}
    typer.echo(
        f"Restored {counts.get('post', 0)} posts, {counts.get('author', 0)} authors, "
        f"{counts.get('tag', 0)} tags."
    )


class ExportFormat(StrEnum):
    QUIRE = "quire"
    GHOST = "ghost"


@cli.command("export")
def export(
    output: Annotated[Path, typer.Option(help="Where to write it; - for standard output.")] = Path(
        "-"
    ),
    format: Annotated[
        ExportFormat, typer.Option(help="quire (to restore here) or ghost (to import there).")
    ] = ExportFormat.QUIRE,
    revisions: Annotated[bool, typer.Option(help="Include every post's revisions.")] = False,
) -> None:
    """Write every post, author and tag, with translations, old slugs and the site's settings,
    as one JSON document (streamed)."""
    from app import export as exporting

    async def run(out: IO[bytes]) -> int:
        engine = create_engine(get_settings().database_url)
        try:
            if format is ExportFormat.GHOST:
                return await exporting.write_ghost(engine, out)
            return await exporting.write_quire(engine, out, revisions=revisions)
        finally:
            await engine.dispose()

    if str(output) == "-":
        count = asyncio.run(run(sys.stdout.buffer))
        sys.stdout.buffer.flush()
    else:
        partial = output.with_name(output.name + ".partial")
        with partial.open("wb") as out:
            count = asyncio.run(run(out))
        partial.replace(output)  # a file that is there is complete
    typer.echo(f"Exported {count} posts.", err=True)


def _grouped(notes: list[Note]) -> list[str]:
    """One line per note, or one per reason when many share it."""
    by_reason: dict[tuple[str, str], list[Note]] = {}
    for note in notes:
        by_reason.setdefault((note.kind, note.message), []).append(note)
    lines = []
    for (kind, message), group in by_reason.items():
        if len(group) > 3:
            lines.append(f"{len(group)} {kind}s: {message}")
        else:
            lines.extend(str(note) for note in group)
    return lines


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
