"""Errors the actions raise for the callers (views, API, commands) to show to a person."""


class ActionError(Exception):
    """A request we refuse, with a message fit to show. `status` is the HTTP status to use."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
