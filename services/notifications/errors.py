"""Notifications' errors (see shared/errors.py for what each base answers)."""

from __future__ import annotations

from shared.errors import NotFound


class NotificationNotFound(NotFound):
    def __init__(self, notification_id: str) -> None:
        super().__init__("notification", notification_id)
