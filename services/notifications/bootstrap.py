"""Notifications' composition root: the production wiring; tests swap the clock, the
rules and the outgoing mail server."""

from __future__ import annotations

from services.notifications.access import RULES
from services.notifications.api import router
from services.notifications.application import NotificationsApplication
from services.notifications.jobs import Mailer, Outgoing, Smtp
from services.notifications.projections import Inboxes, mail_metadata
from services.notifications.publishing import to_public
from services.notifications.rules import NotificationRules, load_notification_rules
from shared.clock import Clock, SystemClock
from shared.contracts import CHECKPOINTS, PIPELINE, REGISTRATION
from shared.eventstore.storage import open_storage
from shared.service import Job, Service, assemble
from shared.settings import Settings
from shared.web.access import Access
from shared.web.live import LiveFeed

NAME = "notifications"


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    rules: NotificationRules | None = None,
    outgoing: Outgoing | None = None,
) -> Service:
    storage = open_storage(settings, NAME)
    rules = rules or load_notification_rules()
    clock = clock or SystemClock()
    app = NotificationsApplication(env=storage.eventstore_env, clock=clock, rules=rules, teams=settings.teams)
    mail_metadata.create_all(storage.engine)  # the outbox: never dropped with the projection
    outgoing = outgoing or Smtp.of(settings)
    jobs = []
    if outgoing is not None:  # without a server, mail waits in the outbox until one is configured
        mailer = Mailer(storage.engine, outgoing, settings.smtp_from, rules, clock)
        jobs.append(Job("mail", rules.mail_interval_seconds, mailer.send_due))
    live = LiveFeed(NAME, storage.engine, poll_seconds=settings.poll_interval)
    return assemble(
        NAME,
        settings,
        storage,
        app,
        Inboxes(rules),
        router(app, storage.engine, Access(settings.teams, RULES), live, mail_configured=outgoing is not None),
        publishes_to=CHECKPOINTS,  # nothing else: see publishing.py
        translate=to_public,
        subscribes_to=(REGISTRATION, PIPELINE),
        jobs=jobs,
        live=live,
    )
