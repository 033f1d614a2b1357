"""Notifications' HTTP routes: the caller's inbox (paged, unread count, mark read), their
preferences, and the live stream that says when the inbox may have changed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy import Engine

from services.notifications import queries
from services.notifications.application import NotificationsApplication
from services.notifications.domain import default_kinds
from services.notifications.errors import NotificationNotFound
from services.notifications.requests import SetPreferences
from services.notifications.responses import Inbox, Marked, PreferencesOut
from shared.web.access import Access
from shared.web.http import CallerDep
from shared.web.live import RESPONSES as STREAM
from shared.web.live import EventStream, LastEventId, LiveFeed
from shared.web.responses import NOT_FOUND


def router(
    app: NotificationsApplication, engine: Engine, access: Access, live: LiveFeed, mail_configured: bool
) -> APIRouter:
    routes = APIRouter(prefix="/notifications", tags=["notifications"])

    def language_of(user_id: str) -> str:
        preferences = app.preferences(user_id)
        return preferences.language if preferences is not None else app.rules.language

    @routes.get("/inbox", response_model=Inbox)
    def inbox(
        who: CallerDep,
        offset: int = Query(default=0, ge=0, le=1_000_000),
        limit: int = Query(default=20, ge=1, le=100),
        unread_only: bool = Query(default=False, description="only the messages not yet read"),
    ) -> dict[str, Any]:
        """The caller's messages, newest first, with their unread count."""
        access.require(who.identity, "notification", "read")
        user_id = who.identity.user_id
        with engine.connect() as connection:
            return queries.page(
                connection, user_id, language_of(user_id), offset=offset, limit=limit, unread_only=unread_only
            )

    @routes.post("/inbox/{notification_id}/read", response_model=Marked, responses=NOT_FOUND)
    def mark_read(notification_id: UUID, who: CallerDep) -> dict[str, Any]:
        """Mark one of the caller's messages read (again: no change)."""
        access.require(who.identity, "notification", "mark read")
        with engine.connect() as connection:
            recipient = queries.recipient_of(connection, str(notification_id))
        if recipient is None:
            raise NotificationNotFound(str(notification_id))
        access.check(who.identity, "notification", "mark read", recipient)
        marked = app.mark_read([notification_id])
        return _marked(marked, who.identity.user_id, {str(notification_id)})

    @routes.post("/inbox/read-all", response_model=Marked)
    def mark_all_read(who: CallerDep) -> dict[str, Any]:
        """Mark every unread message of the caller's read."""
        access.require(who.identity, "notification", "mark read")
        with engine.connect() as connection:
            unread = queries.unread_ids(connection, who.identity.user_id)
        marked = app.mark_read(UUID(key) for key in unread)
        return _marked(marked, who.identity.user_id, set(unread))

    def _marked(marked: int, user_id: str, done: set[str]) -> dict[str, Any]:
        # The read model catches up a moment later: what is still unread but for these.
        with engine.connect() as connection:
            still = [key for key in queries.unread_ids(connection, user_id) if key not in done]
        return {"marked": marked, "unread": len(still)}

    @routes.get("/preferences", response_model=PreferencesOut)
    def get_preferences(who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "notification preferences", "manage")
        user_id = who.identity.user_id
        preferences = app.preferences(user_id)
        if preferences is None:
            return _preferences(user_id, None, app.rules.language, default_kinds())
        return _preferences(user_id, preferences.email, preferences.language, preferences.kinds)

    @routes.put("/preferences", response_model=PreferencesOut)
    def set_preferences(body: SetPreferences, who: CallerDep) -> dict[str, Any]:
        """Replace the caller's preferences; they apply to messages raised from now on."""
        access.require(who.identity, "notification preferences", "manage")
        kinds: dict[str, dict[str, bool]] = {kind: channels.model_dump() for kind, channels in body.kinds.items()}
        chosen = app.set_preferences(who.identity.user_id, body.email, body.language, kinds)
        return _preferences(chosen.user_id, chosen.email, chosen.language, chosen.kinds)

    def _preferences(user_id: str, email: str | None, language: str, kinds: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "email": email,
            "language": language,
            "kinds": kinds,
            "mail_configured": mail_configured,
        }

    @routes.get("/live", status_code=200, response_class=EventStream, responses=STREAM)
    async def changes(who: CallerDep, last_event_id: LastEventId = None) -> EventStream:
        """`changed` each time the inboxes move on: the cue to fetch the unread count again."""
        access.require(who.identity, "changes", "subscribe")
        return EventStream(live.events(last_event_id))

    return routes
