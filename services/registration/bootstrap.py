"""Registration's composition root: the production wiring; tests swap the clock and rules."""

from __future__ import annotations

from services.registration.access import RULES
from services.registration.api import router
from services.registration.application import RegistrationApplication
from services.registration.jobs import LeadScorer, retier_accounts, sweep_owned_deals
from services.registration.projections.lookup import RegistrationView
from services.registration.publishing import to_public
from services.registration.queries.partners import PartnerDirectory
from services.registration.rules import Rules, load_registration_rules
from shared.clock import Clock
from shared.contracts import PIPELINE, REGISTRATION
from shared.eventstore.storage import open_storage
from shared.service import Job, Service, assemble
from shared.settings import Settings
from shared.web.access import Access
from shared.web.live import LiveFeed

NAME = "registration"


def bootstrap(settings: Settings, clock: Clock | None = None, rules: Rules | None = None) -> Service:
    storage = open_storage(settings, NAME)
    rules = rules or load_registration_rules()
    live = LiveFeed(NAME, storage.engine, poll_seconds=settings.poll_interval)
    app = RegistrationApplication(env=storage.eventstore_env, clock=clock, rules=rules)
    scorer = LeadScorer(app, storage.engine)
    return assemble(
        NAME,
        settings,
        storage,
        app,
        RegistrationView(),
        router(
            app, storage.engine, Access(settings.teams, RULES, PartnerDirectory(app.find, storage.engine)), live, scorer
        ),
        publishes_to=REGISTRATION,
        translate=to_public,
        subscribes_to=(PIPELINE,),
        live=live,
        jobs=[
            Job("recycling sweeper", rules.sweep_interval_seconds, lambda: sweep_owned_deals(app, storage.engine)),
            Job("lead scorer", rules.lead_scoring.interval_seconds, scorer.run),
            Job("account tiers", rules.tiers.interval_seconds, lambda: retier_accounts(app, storage.engine)),
        ],
    )
