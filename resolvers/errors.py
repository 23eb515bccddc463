"""The domain's expected errors. Each carries a machine-readable code a client can branch on."""


class QuireError(Exception):
    """An error that is the client's to fix; its message is safe to show."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadUserInput(QuireError):
    code = "BAD_USER_INPUT"


class NotFound(QuireError):
    code = "NOT_FOUND"
