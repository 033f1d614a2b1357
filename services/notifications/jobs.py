"""The mail outbox's sender: mails queued by the projection (projections.py) go to the
configured SMTP server; one that fails waits and is tried again, until it is sent.

A mail is sent at least once and, short of a crash between the server's acceptance and the
row's update, once: each replica claims a row (moving its next attempt past a lease) before
sending, so two never send the same mail together. After a failed attempt n (any SMTP
refusal, a connection refused or timed out) the next waits retry_first × 2^(n-1) seconds,
at most retry_max; nothing is ever dropped. Each mail's Message-ID is derived from its
message, so a receiving system can recognise the rare duplicate.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from prometheus_client import Counter
from sqlalchemy import Engine, select, update

from services.notifications.projections import notifications_mails
from services.notifications.rules import NotificationRules
from shared.clock import Clock, in_utc
from shared.settings import Settings

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0  # a claimed mail not sent or failed by then is claimed again
MAILS = Counter("crm_notification_mails_total", "Mail attempts of the notifications service", ["outcome"])


class Outgoing(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class Smtp:
    """The configured SMTP server (`CRM_SMTP_*`)."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> Smtp | None:
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
            if self.starttls:
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(message)


def backoff(attempts: int, rules: NotificationRules) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    return float(min(rules.retry_first_seconds * 2 ** max(attempts - 1, 0), rules.retry_max_seconds))


class Mailer:
    def __init__(self, engine: Engine, outgoing: Outgoing, sender: str, rules: NotificationRules, clock: Clock) -> None:
        self.engine = engine
        self.outgoing = outgoing
        self.sender = sender
        self.rules = rules
        self.clock = clock

    def send_due(self) -> int:
        """Send the mails whose time has come; answer how many were sent."""
        mails = notifications_mails.c
        now = self.clock.now()
        with self.engine.connect() as connection:
            due = connection.execute(
                select(notifications_mails)
                .where(mails.sent_at.is_(None), mails.next_attempt_at <= now)
                .order_by(mails.next_attempt_at)
                .limit(self.rules.mail_batch)
            ).all()
        sent = 0
        for row in due:
            if not self._claim(row.notification_id, row.next_attempt_at, now):
                continue  # another replica has it
            try:
                self.outgoing.send(self._message(row))
            except (smtplib.SMTPException, OSError) as error:
                self._failed(row.notification_id, row.attempts + 1, error)
            else:
                self._set(row.notification_id, attempts=row.attempts + 1, sent_at=self.clock.now())
                MAILS.labels("sent").inc()
                sent += 1
        return sent

    def _claim(self, key: str, expected: datetime, now: datetime) -> bool:
        mails = notifications_mails.c
        with self.engine.begin() as connection:
            claimed = connection.execute(
                update(notifications_mails)
                .where(mails.notification_id == key, mails.sent_at.is_(None), mails.next_attempt_at == expected)
                .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
            )
        return claimed.rowcount == 1

    def _failed(self, key: str, attempts: int, error: BaseException) -> None:
        wait = backoff(attempts, self.rules)
        log.warning("mail %s failed (attempt %d: %s); next try in %.1fs", key, attempts, error, wait)
        MAILS.labels("failed").inc()
        self._set(
            key,
            attempts=attempts,
            next_attempt_at=self.clock.now() + timedelta(seconds=wait),
            last_error=f"{type(error).__name__}: {error}"[:500],
        )

    def _set(self, key: str, **values: object) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(notifications_mails).where(notifications_mails.c.notification_id == key).values(**values)
            )

    def _message(self, row: object) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = row.address  # type: ignore[attr-defined]
        message["Subject"] = row.subject  # type: ignore[attr-defined]
        message["Date"] = formatdate(in_utc(row.queued_at).timestamp(), usegmt=True)  # type: ignore[attr-defined]
        message["Message-ID"] = f"<{row.notification_id}@crm.notifications>"  # type: ignore[attr-defined]
        message.set_content(row.body)  # type: ignore[attr-defined]
        return message
