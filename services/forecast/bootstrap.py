"""Forecast's composition root: the production wiring; tests swap the clock and rules."""

from __future__ import annotations

from services.forecast.access import RULES
from services.forecast.activity import HistoryAndActivity
from services.forecast.api import router
from services.forecast.application import ForecastApplication
from services.forecast.jobs import take_snapshots
from services.forecast.publishing import to_public
from services.forecast.rules import ForecastRules, load_forecast_rules
from shared.calendar import Calendar
from shared.clock import Clock
from shared.contracts import FORECAST, PIPELINE
from shared.eventstore.storage import open_storage
from shared.service import Job, Service, assemble
from shared.settings import Settings
from shared.web.access import Access

NAME = "forecast"


def bootstrap(settings: Settings, clock: Clock | None = None, rules: ForecastRules | None = None) -> Service:
    storage = open_storage(settings, NAME)
    rules = rules or load_forecast_rules()
    if settings.teams and not rules.teams:  # one list of teams serves access and the forecast
        rules = rules.model_copy(update={"teams": {team: tuple(members) for team, members in settings.teams.items()}})
    app = ForecastApplication(env=storage.eventstore_env, clock=clock, rules=rules)
    return assemble(
        NAME,
        settings,
        storage,
        app,
        HistoryAndActivity(),
        router(app, storage.engine, Access(settings.teams, RULES), Calendar(settings.timezone)),
        publishes_to=FORECAST,
        translate=to_public,
        subscribes_to=(PIPELINE,),
        jobs=[Job("snapshots", rules.snapshot_interval_seconds, lambda: take_snapshots(app, storage.engine))],
    )
