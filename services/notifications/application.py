"""Notifications' service layer: what it raises from upstream events (reactions.py),
marking messages read, and each person's preferences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

from services.notifications.domain import Deal, Notification, Preferences, default_kinds, preferences_id
from services.notifications.reactions import react
from services.notifications.rules import NotificationRules
from shared.clock import Clock, SystemClock
from shared.contracts import ReceivedEvent
from shared.eventstore.application import ServiceApplication
from shared.eventstore.retries import retrying


class NotificationsApplication(ServiceApplication):
    name = "notifications"  # names its tables: notifications_events

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Clock | None = None,
        rules: NotificationRules | None = None,
        teams: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(env)
        self.clock = clock or SystemClock()
        self.rules = rules or NotificationRules()
        self.teams = {team: frozenset(members) for team, members in (teams or {}).items()}

    def react(self, received: ReceivedEvent) -> list[Deal | Notification]:
        return react(self, received)

    def managers_reaching(self, owner_id: str) -> tuple[str, ...]:
        return self.rules.managers_reaching(owner_id, self.teams)

    # -- the inbox ----------------------------------------------------------------------------

    def mark_read(self, notification_ids: Iterable[UUID]) -> int:
        """Mark these messages read (the caller has checked they are the reader's); answer
        how many were unread."""

        def mark() -> int:
            now = self.clock.now()
            changed = []
            for key in notification_ids:
                notification = self.find(Notification, key)
                if notification is not None and notification.read_at is None:
                    notification.read(now)
                    changed.append(notification)
            if changed:
                self.save(*changed)
            return len(changed)

        return retrying(mark)

    # -- preferences --------------------------------------------------------------------------

    def preferences(self, user_id: str) -> Preferences | None:
        return self.find(Preferences, preferences_id(user_id))

    def set_preferences(
        self, user_id: str, email: str | None, language: str, kinds: dict[str, dict[str, bool]]
    ) -> Preferences:
        def set_() -> Preferences:
            chosen = {**default_kinds(), **kinds}
            preferences = self.preferences(user_id)
            if preferences is None:
                preferences = Preferences(
                    id=preferences_id(user_id), user_id=user_id, email=email, language=language, kinds=chosen
                )
            elif (preferences.email, preferences.language, preferences.kinds) != (email, language, chosen):
                preferences.change(email=email, language=language, kinds=chosen)
            self.save(preferences)
            return preferences

        return retrying(set_)
