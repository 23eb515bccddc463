"""The app's idea of now, moved by the test (`create_app(clock=...)`)."""

from datetime import UTC, datetime


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now
