"""The resolver `info` type, typed with Quire's per-request context."""

from typing import TypeAlias

from strawberry.types import Info as StrawberryInfo

from resolvers.context import Context

Info: TypeAlias = StrawberryInfo[Context, None]
