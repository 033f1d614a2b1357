"""The errors a command may end with, each meaning one HTTP answer (`shared/web/http.py`
maps them): no database driver in sight, so domain code can raise them."""

from __future__ import annotations

from uuid import UUID


class NotFound(Exception):
    def __init__(self, kind: str, id: UUID | str) -> None:
        super().__init__(f"{kind} {id} not found")
        self.kind = kind
        self.id = str(id)


class Forbidden(Exception):
    """The caller may not do this (HTTP 403): their role, or the subject is out of their reach."""


class Conflict(Exception):
    """A rule refuses the command (HTTP 409); `details` name what conflicts (ids, versions)."""

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.details = details


class Invalid(ValueError):
    """A value no rule can accept (HTTP 422); `field` names it, dotted (`contact.phone`)."""

    def __init__(self, field: str, message: str, where: str = "body") -> None:
        super().__init__(message)
        self.field = field
        self.where = where  # body, query, path or header


class ConcurrentUpdate(Exception):
    """Another command kept winning the race for the same aggregate version."""
