"""Every stored event is sealed into its stream's hash chain; a changed, removed or
reordered row is found and named — on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from services.registration.bootstrap import bootstrap
from services.registration.domain import DealTerms
from shared.chain import verify
from shared.eventstore import meta

TERMS = DealTerms(name="ERP", amount=Decimal("1000"), currency="CNY", expected_close_date=date(2027, 1, 1))


@pytest.fixture
def registration(settings):
    service = bootstrap(settings)
    yield service
    service.close()


def register_two(service):
    first = service.app.register_deal(TERMS, account_name="Seal One", contacts=[], meta=meta("rep-1", "c1"))
    second = service.app.register_deal(TERMS, account_name="Seal Two", contacts=[], meta=meta("rep-2", "c2"))
    service.app.recycle(first.deal_id, "manual", "test", meta("mgr", "c3"))
    return first.deal_id, second.deal_id


def execute(service, settings, sql: str, params: tuple = ()) -> list:
    """Straight at the stored rows, as a tamperer would, bypassing the application."""
    if settings.database_url:
        with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as connection:
            sql = sql.replace("stored_events", f'"{settings.schema_prefix}registration".registration_events').replace("?", "%s")
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(settings.data_dir / "registration" / "events.sqlite") as connection:
        return connection.execute(sql, params).fetchall()


def stream_key(deal_id, settings):
    """How each store keeps a stream's id: a uuid column, or hex text in SQLite."""
    return deal_id if settings.database_url else deal_id.hex


def problems(service) -> list:
    return list(verify(service.app.sealed_events()))


def test_an_untouched_store_verifies_clean(registration):
    register_two(registration)
    assert problems(registration) == []


def test_an_altered_event_is_named(registration, settings):
    deal_id, _ = register_two(registration)
    key = stream_key(deal_id, settings)
    ((state,),) = execute(
        registration, settings, "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 1", (key,)
    )
    document = json.loads(bytes(state))
    document["amount"] = {"_type_": "decimal_str", "_data_": "999999"}
    execute(registration, settings, "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 1",
            (json.dumps(document).encode(), key))
    found = problems(registration)
    assert [(p.stream, p.version, p.problem.split(":")[0]) for p in found] == [(str(deal_id), 1, "altered")]


def test_a_removed_event_is_named(registration, settings):
    deal_id, _ = register_two(registration)
    key = stream_key(deal_id, settings)
    execute(registration, settings, "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 1", (key,))
    found = problems(registration)
    assert (str(deal_id), 2) in {(p.stream, p.version) for p in found}
    assert any("removed or reordered" in p.problem for p in found)
