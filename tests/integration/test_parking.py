"""An event a projection cannot apply is parked with its error after its retries, and the
projection carries on: later events are applied, operators see it, and it can be retried."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Column, Connection, MetaData, String, Table

from crm.app import create_app
from crm.cli import main as crm
from services.registration.domain.terms import DealTerms
from shared.eventstore.application import meta
from shared.eventstore.storage import open_storage
from shared.readmodels.parking import parked
from shared.readmodels.projection import Projector
from tests.support.flow import eventually
from tests.support.identities import AUDITOR, REP

NEXT_MONTH = date.today() + timedelta(days=30)


def register(client: TestClient, name: str) -> Any:
    return client.post(
        "/registration/deals",
        headers=REP,
        json={
            "name": name,
            "account": {"name": name},
            "value": {"amount": "10.00", "currency": "CNY"},
            "expected_close_date": NEXT_MONTH.isoformat(),
        },
    )


def test_a_deal_whose_name_holds_nul_never_stops_the_read_models_on_postgresql(postgres_settings, monkeypatch, capsys):
    with TestClient(create_app(postgres_settings)) as client:
        before = register(client, "Before Ltd")
        refused = register(client, "Bad\u0000Ltd")
        assert refused.status_code == 422  # the edge refuses it...
        assert refused.json()["detail"][0]["loc"] == ["body", "name"]
        # ...and one that reached the store anyway (recorded before the edge checked, or by
        # another writer) is parked by every projection it cannot enter.
        services = client.app.state.services
        services["registration"].app.register_deal(
            DealTerms(name="Bad\u0000Ltd", amount=Decimal("10"), currency="CNY", expected_close_date=NEXT_MONTH),
            account_name="Bad Account",
            contacts=[],
            meta=meta("rep-1", str(uuid4())),
        )
        after = register(client, "After Ltd")
        good = {before.json()["deal_id"], after.json()["deal_id"]}

        def listed() -> set[str]:
            return {item["deal_id"] for item in client.get("/pipeline/deals", headers=AUDITOR).json()["items"]}

        eventually(lambda: good <= listed(), timeout=30)
        for name in ("registration", "pipeline"):
            with services[name].storage.engine.connect() as connection:
                rows = eventually(lambda c=connection: parked(c), timeout=30)
            assert len(rows) == 1
            assert "NUL" in rows[0]["error"]
        assert (
            REGISTRY.get_sample_value(
                "crm_projection_parked_total",
                {"service": "pipeline", "projection": services["pipeline"].projectors[0].projection.name},
            )
            >= 1
        )

    monkeypatch.setenv("CRM_DATABASE_URL", postgres_settings.database_url.get_secret_value())
    monkeypatch.setenv("CRM_SCHEMA_PREFIX", postgres_settings.schema_prefix)
    monkeypatch.setenv("CRM_DATA_DIR", str(postgres_settings.data_dir))
    assert crm(["parked", "list"]) == 0
    listing = capsys.readouterr().out
    assert "registration: 1 parked" in listing and "pipeline: 1 parked" in listing and "NUL" in listing
    assert crm(["parked", "retry", "pipeline"]) == 1  # still cannot be stored: it stays parked
    assert "0 applied, 1 still parked" in capsys.readouterr().out


class Names:
    """A projection that refuses names it was told to refuse, until it is told otherwise."""

    name = "names"

    def __init__(self) -> None:
        self.metadata = MetaData()
        self.table = Table(
            "names", self.metadata, Column("id", String(64), primary_key=True), Column("name", String(300))
        )
        self.refused: set[str] = set()

    def apply(self, connection: Connection, event: Any) -> None:
        if type(event).__qualname__ != "Deal.Registered":
            return
        name = event.name
        if name in self.refused:
            raise ValueError(f"cannot hold {name!r}")
        connection.execute(self.table.insert().values(id=str(event.originator_id), name=name))


@pytest.fixture
def projected(sqlite_settings):
    from services.registration.application import RegistrationApplication

    storage = open_storage(sqlite_settings, "registration")
    app = RegistrationApplication(env=storage.eventstore_env)
    projection = Names()
    projector = Projector(app, storage.engine, projection, batch_size=50, attempts=3)
    projector.create_tables()
    yield app, projection, projector
    app.close()
    storage.engine.dispose()


def _register(app: Any, name: str) -> None:
    app.register_deal(
        DealTerms(name=name, amount=Decimal("1"), currency="CNY", expected_close_date=NEXT_MONTH),
        account_name=name,
        contacts=[],
        meta=meta("rep-1", str(uuid4())),
    )


def _names(projector: Projector, projection: Names) -> set[str]:
    with projector.engine.connect() as connection:
        return {row.name for row in connection.execute(projection.table.select())}


def test_an_event_that_fails_is_retried_then_parked_and_the_events_after_it_are_applied(projected):
    app, projection, projector = projected
    projection.refused = {"Poison"}
    for name in ("One", "Poison", "Two"):
        _register(app, name)
    for _ in range(2):  # the first attempts fail: the worker would retry after a pause
        with pytest.raises(ValueError, match="Poison"):
            projector.run_once()
        assert _names(projector, projection) == {"One"}  # what came before is applied meanwhile
    projector.run_once()
    assert _names(projector, projection) == {"One", "Two"}
    with projector.engine.connect() as connection:
        (row,) = parked(connection)
    assert row["attempts"] == 3 and "cannot hold 'Poison'" in row["error"]


def test_a_parked_event_is_applied_once_retried_after_the_fix(projected):
    app, projection, projector = projected
    projection.refused = {"Poison"}
    _register(app, "Poison")
    projector.catch_up()
    (row,) = parked_rows(projector)
    assert projector.retry_parked() == ([], [row["notification_id"]])  # not fixed yet: stays parked
    projection.refused = set()
    applied, failing = projector.retry_parked()
    assert failing == [] and len(applied) == 1
    assert "Poison" in _names(projector, projection)
    assert parked_rows(projector) == []


def parked_rows(projector: Projector) -> list[dict[str, Any]]:
    with projector.engine.connect() as connection:
        return parked(connection)
