"""Every row of every table, read with plain SQL, so a test can prove a mutation wrote nothing."""

from typing import Any

from sqlalchemy import text

from models import Base
from tests.conftest import Database

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(database: Database) -> Snapshot:
    """Each model table's rows, every column, in primary key order."""
    tables: Snapshot = {}
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            order = ", ".join(column.name for column in table.primary_key.columns)
            rows = await connection.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))
            tables[table.name] = [tuple(row) for row in rows]
    return tables
