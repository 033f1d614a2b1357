"""Forecast's scheduled work. The snapshot job's step: this month's, quarter's and year's
forecast, by owner, recorded (and so published to `crm.forecast` by the outbox), at most once
per period and instant."""

from __future__ import annotations

from sqlalchemy import Engine

from services.forecast.application import ForecastApplication
from services.forecast.domain import parse_period
from services.forecast.queries.pipeline import forecast
from shared.eventstore.application import meta


def take_snapshots(app: ForecastApplication, engine: Engine) -> int:
    now = app.clock.now().replace(microsecond=0)
    names = (f"{now.year}-{now.month:02d}", f"{now.year}-Q{(now.month - 1) // 3 + 1}", str(now.year))
    system = meta("system", f"snapshot-{now.isoformat()}")
    with engine.connect() as connection:
        figures = {name: forecast(connection, parse_period(name), app.rules, group_by="owner") for name in names}
    for name, answer in figures.items():
        app.record_snapshot(name, now, answer, system)
    return len(names)
