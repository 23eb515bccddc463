"""The Starlette application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.database import create_engine, create_session_factory
from app.graphiql import GraphiQLInFront, graphiql_assets
from app.graphql import GraphQLView
from app.settings import Settings, get_settings
from schema import build_schema


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.db_pool_size, echo=settings.db_echo
        )
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        app.state.settings = settings
        try:
            yield
        finally:
            await engine.dispose()

    # Strawberry's own IDE page loads its assets from a CDN; ours serves them from the app.
    graphql = GraphQLView(build_schema(), graphql_ide=None)
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    routes: list[BaseRoute] = [
        Route(
            "/graphql",
            GraphiQLInFront(graphql) if settings.graphiql else graphql,
            methods=["GET", "POST"],
        ),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if settings.graphiql:
        routes.append(graphiql_assets())
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
