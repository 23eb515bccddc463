"""The `quire` command line: serve, migrate, load demo content, export the schema."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app import migrations
from app.database import create_engine
from app.settings import get_settings

cli = typer.Typer(help="Quire, a headless GraphQL content API.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo content.", no_args_is_help=True)
schema_cli = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(schema_cli, name="schema")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [QUIRE_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [QUIRE_PORT].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [QUIRE_WORKERS].")] = None,
) -> None:
    """Serve the API with uvicorn; GraphiQL at /graphql."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Quire on http://{host}:{port}/graphql ({settings.database_url.split('://')[0]})")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        timeout_graceful_shutdown=10,
    )


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


@demo_cli.command("load")
def demo_load(
    posts: Annotated[int, typer.Option(min=1, help="English posts to generate.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same blog.")] = 1,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when content exists.")] = False,
    replace: Annotated[bool, typer.Option(help="Delete existing content first.")] = False,
) -> None:
    """Write a deterministic demo engineering blog into the database."""
    from app import demo

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
            summary = await demo.load_demo(engine, posts=posts, seed=seed)
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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
