"""Expected errors: one hierarchy, each carrying a machine-readable code a client can branch on
and a message that is safe to show. Unexpected errors are anything else (masked and logged)."""


class QuireError(Exception):
    """An error that is the client's to fix; its message is safe to show."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class BadUserInput(QuireError):
    code = "BAD_USER_INPUT"


class NotFound(QuireError):
    code = "NOT_FOUND"


class Forbidden(QuireError):
    """The viewer's role may not read this field (for mutations, see `Rejected`)."""

    code = "FORBIDDEN"


class Rejected(QuireError):
    """A write refused for reasons the editor can act on; nothing was written.

    Mutations turn it into `errors: [{field, code, message}]` in their payload."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        current_version: int | None = None,
        changed_fields: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, field=field, code=code.upper())
        self.errors = [(field, code, message)]
        self.current_version = current_version
        self.changed_fields = changed_fields

    @classmethod
    def invalid(cls, problems: list[tuple[str, str]]) -> "Rejected":
        """Every (field, message) validation failure at once, so a form can mark them all."""
        rejected = cls("invalid", problems[0][1], field=problems[0][0])
        rejected.errors = [(field, "invalid", message) for field, message in problems]
        return rejected


# SQLSTATE classes of a database that cannot answer now, whatever the driver's exception class:
# connection exception (08), insufficient resources (53: too many connections), operator
# intervention (57: shutting down or starting up, 57P03 "cannot connect now", a restart, the
# statement timeout).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


def unavailable_sqlstate(error: BaseException | None) -> bool:
    """Whether a driver's error (asyncpg's own, or as SQLAlchemy adapts it) says the database
    cannot answer now."""
    state = getattr(error, "sqlstate", None)
    return isinstance(state, str) and state[:2] in UNAVAILABLE_SQLSTATE_CLASSES
