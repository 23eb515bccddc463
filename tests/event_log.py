"""The event log as a response store follows it (app.response_cache.EventLog): its position
and the cache keys of the events it still remembers."""


class Log:
    def __init__(self, last_id: int, events: dict[int, set[str]]) -> None:
        self.last_id = self.known_id = last_id
        self.events = events

    def keys_between(self, after: int, through: int) -> set[str] | None:
        if any(event_id not in self.events for event_id in range(after + 1, through + 1)):
            return None
        return set().union(*(self.events[n] for n in range(after + 1, through + 1)))
