"""Notifications' read models, rebuilt from its own event store: each person's inbox and
preferences; and the mail outbox, which is NOT rebuilt with them.

The mails to send (`notifications_mails`) are queued in the same transaction that adds the
message to the inbox, so a message whose recipient wants mail has its mail waiting as soon
as it is in the inbox, whatever fails later. The outbox has its own tables, never dropped
when the projection is rebuilt: a rebuild replays every message, and must not mail anyone
again (a row per message id, inserted only when absent). The mailer (mailer.py) drains it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Boolean, Column, Connection, DateTime, Index, Integer, MetaData, String, Table, Text, select

from services.notifications.domain import Notification, Preferences, wants
from services.notifications.domain.texts import mail_body
from services.notifications.rules import NotificationRules

metadata = MetaData()

notifications_inbox = Table(
    "notifications_inbox",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("recipient", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("deal_id", String(36)),
    Column("params", Text, nullable=False),  # JSON
    Column("happened_at", DateTime(timezone=True), nullable=False),
    Column("shown", Boolean, nullable=False),  # false: the recipient turned this kind off in the app
    Column("read_at", DateTime(timezone=True)),
    Index("notifications_inbox_by_recipient", "recipient", "shown", "happened_at"),
)

notifications_preferences = Table(
    "notifications_preferences",
    metadata,
    Column("preferences_id", String(36), primary_key=True),
    Column("user_id", String(200), nullable=False, unique=True),
    Column("email", String(320)),
    Column("language", String(10), nullable=False),
    Column("kinds", Text, nullable=False),  # JSON: kind → {in_app, email}
)

mail_metadata = MetaData()  # created apart, never dropped by a rebuild

notifications_mails = Table(
    "notifications_mails",
    mail_metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("recipient", String(200), nullable=False),
    Column("address", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", Text),  # the last failure, kept once sent
    Index("notifications_mails_due", "sent_at", "next_attempt_at"),
)


class Inboxes:
    name = "notifications.inbox"
    metadata = metadata

    def __init__(self, rules: NotificationRules) -> None:
        self.rules = rules
        self._outboxes: set[int] = set()  # the engines whose mail outbox is known to exist

    def apply(self, connection: Connection, event: Any) -> None:
        if isinstance(event, Notification.Raised):
            self._raised(connection, event)
        elif isinstance(event, Notification.Read):
            connection.execute(
                notifications_inbox.update()
                .where(notifications_inbox.c.notification_id == str(event.originator_id))
                .values(read_at=event.at)
            )
        elif isinstance(event, Preferences.Chosen):
            connection.execute(
                notifications_preferences.insert().values(
                    preferences_id=str(event.originator_id), user_id=event.user_id, **_chosen(event)
                )
            )
        elif isinstance(event, Preferences.Changed):
            connection.execute(
                notifications_preferences.update()
                .where(notifications_preferences.c.preferences_id == str(event.originator_id))
                .values(**_chosen(event))
            )

    def _raised(self, connection: Connection, event: Any) -> None:
        preferences = connection.execute(
            select(notifications_preferences).where(notifications_preferences.c.user_id == event.recipient)
        ).first()
        kinds = json.loads(preferences.kinds) if preferences else {}
        key = str(event.originator_id)
        connection.execute(
            notifications_inbox.insert().values(
                notification_id=key,
                recipient=event.recipient,
                kind=event.kind,
                deal_id=event.deal_id,
                params=json.dumps(event.params, ensure_ascii=False),
                happened_at=event.happened_at,
                shown=wants(kinds, event.kind, "in_app"),
            )
        )
        if preferences is None or not preferences.email or not wants(kinds, event.kind, "email"):
            return
        self._outbox_in(connection)
        if connection.execute(
            select(notifications_mails.c.notification_id).where(notifications_mails.c.notification_id == key)
        ).first():
            return  # queued before a rebuild: never mailed twice
        link = f"{self.rules.console_url.rstrip('/')}/deals/{event.deal_id}" if event.deal_id else None
        subject, body = mail_body(event.kind, event.params, preferences.language, link)
        connection.execute(
            notifications_mails.insert().values(
                notification_id=key,
                recipient=event.recipient,
                address=preferences.email,
                subject=subject,
                body=body,
                queued_at=event.timestamp,
                attempts=0,
                next_attempt_at=event.timestamp,
            )
        )

    def _outbox_in(self, connection: Connection) -> None:
        """A rebuild beside the live read models (`crm replay`) writes to a shadow store: it
        gets an outbox of its own there, which nobody sends, so a replay mails no one."""
        if id(connection.engine) not in self._outboxes:
            mail_metadata.create_all(connection)
            self._outboxes.add(id(connection.engine))


def _chosen(event: Any) -> dict[str, Any]:
    return {"email": event.email, "language": event.language, "kinds": json.dumps(event.kinds)}
