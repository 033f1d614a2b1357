"""Pipeline's composition root: the production wiring; tests swap the clock and rules."""

from __future__ import annotations

from services.pipeline.access import RULES
from services.pipeline.agenda import DealsAndAgenda
from services.pipeline.api import router
from services.pipeline.application import PipelineApplication
from services.pipeline.attachments import Files
from services.pipeline.jobs import alert_open_deals
from services.pipeline.publishing import to_public
from services.pipeline.rules import PipelineRules, load_pipeline_rules
from shared.blobs import open_blobs
from shared.calendar import Calendar
from shared.clock import Clock
from shared.contracts import PIPELINE, REGISTRATION
from shared.eventstore.storage import open_storage
from shared.service import Job, Service, assemble
from shared.settings import Settings
from shared.web.access import Access
from shared.web.live import LiveFeed

NAME = "pipeline"


def bootstrap(settings: Settings, clock: Clock | None = None, rules: PipelineRules | None = None) -> Service:
    storage = open_storage(settings, NAME)
    rules = rules or load_pipeline_rules()
    live = LiveFeed(NAME, storage.engine, poll_seconds=settings.poll_interval)
    app = PipelineApplication(env=storage.eventstore_env, clock=clock, rules=rules)
    files = Files(open_blobs(settings), settings.attachment_max_bytes)
    return assemble(
        NAME,
        settings,
        storage,
        app,
        DealsAndAgenda(),
        router(app, storage.engine, Access(settings.teams, RULES), live, files, Calendar(settings.timezone)),
        publishes_to=PIPELINE,
        translate=to_public,
        subscribes_to=(REGISTRATION,),
        live=live,
        jobs=[Job("alerts", rules.alert_interval_seconds, lambda: alert_open_deals(app, storage.engine))],
    )
