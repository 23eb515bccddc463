"""Where an imported object came from: its id in the system it was exported from."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ImportSource(Base):
    """An author, tag or post read from an export file, by its id there, so that importing the
    same file again updates the object instead of making a second one.

    `object_id` names a row of `authors`, `tags` or `posts` (by `kind`); no foreign key can, so a
    row deleted since is found missing on the next import, which makes it again."""

    __tablename__ = "import_sources"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)  # e.g. ghost, wordpress:URL
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # author, tag or post
    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer)
