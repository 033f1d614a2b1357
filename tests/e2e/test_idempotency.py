"""Commands sent with an Idempotency-Key, embedded, on SQLite and PostgreSQL: a retry is
answered, not applied again."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse
from uuid import uuid4

import pytest
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import delete

from crm.app import create_app
from shared.eventstore.application import ServiceApplication
from shared.eventstore.chain import verify
from shared.eventstore.storage import open_storage
from shared.settings import Settings
from shared.web.idempotency import Idempotency, Keyed, Replies, replies
from shared.web.identity import HeaderIdentity
from tests.support.flow import CLOSE_DATE
from tests.support.identities import REP, REP2
from tests.support.proxy import CuttableProxy


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as http:
        yield http


def registration(account: str, amount: str = "100000.00") -> dict[str, object]:
    return {
        "name": f"{account} rollout",
        "account": {"name": account},
        "value": {"amount": amount, "currency": "CNY"},
        "expected_close_date": CLOSE_DATE.isoformat(),
    }


def register(client, body, key: str | None, headers=REP):
    keyed = {**headers, "Idempotency-Key": key} if key is not None else headers
    return client.post("/registration/deals", headers=keyed, json=body)


def answered(client, body, key: str):
    """As a client should: a 503 (the store away, perhaps mid-commit) sent again, same key."""
    for _ in range(5):
        answer = register(client, body, key)
        if answer.status_code != 503:
            return answer
        time.sleep(0.5)
    return answer


def registered(client) -> int:
    """Deals the registration store holds (its Deal.Registered events)."""
    app = client.app.state.services["registration"].app
    return sum(1 for n in app.read_notifications(0, 100_000) if n.topic.endswith("Deal.Registered"))


def test_a_retry_with_the_same_key_answers_the_first_outcome_and_records_once(client):
    key = str(uuid4())
    first = register(client, registration("Idem One Ltd"), key)
    again = register(client, registration("Idem One Ltd"), key)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert registered(client) == 1


def test_the_same_key_with_another_body_is_refused_naming_the_header_and_records_nothing(client):
    key = str(uuid4())
    register(client, registration("Idem Two Ltd"), key)

    other = register(client, registration("Idem Two Ltd", amount="99.00"), key)

    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert registered(client) == 1


def test_another_callers_same_key_is_a_command_of_its_own(client):
    key = str(uuid4())
    mine = register(client, registration("Idem Three Ltd"), key)
    theirs = register(client, registration("Idem Four Ltd"), key, headers=REP2)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["deal_id"] != theirs.json()["deal_id"]
    assert registered(client) == 2


def test_a_command_whose_answer_was_lost_after_its_commit_is_recognised_and_not_applied_again(client):
    key = str(uuid4())
    register(client, registration("Idem Five Ltd"), key)
    # The commit landed but its answer was never kept (the store cut before the reply was
    # written, or the process stopped): only the receipt, recorded with the events, is left.
    with client.app.state.services["registration"].storage.engine.begin() as connection:
        connection.execute(delete(replies))

    retry = register(client, registration("Idem Five Ltd"), key)

    assert retry.status_code == 409
    assert retry.json()["idempotency"] == "applied"
    assert registered(client) == 1


def test_duplicates_sent_together_are_recorded_once_and_each_answered_the_outcome_or_409(client):
    key = str(uuid4())
    body = registration("Idem Six Ltd")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: answered(client, body, key), range(6)))

    created = {a.json()["deal_id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    assert all(a.status_code in (201, 409) for a in answers), [(a.status_code, a.text) for a in answers]
    assert registered(client) == 1


def test_a_key_that_is_not_printable_ascii_or_too_long_is_refused_naming_the_header(client):
    for key in (b"", b"x" * 201, "clé".encode(), b"a\tb"):
        answer = client.post(
            "/registration/deals",
            headers={**REP, "Idempotency-Key": key},
            json=registration("Idem Seven Ltd"),
        )
        assert answer.status_code == 422, key
        assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert registered(client) == 0


def test_a_command_refused_before_it_records_anything_leaves_its_key_free(client):
    key = str(uuid4())
    refused = register(client, {**registration("Idem Eight Ltd"), "expected_close_date": "2001-01-01"}, key)
    accepted = register(client, registration("Idem Eight Ltd"), key)

    assert refused.status_code == 422
    assert accepted.status_code == 201
    assert registered(client) == 1


def test_receipts_are_sealed_like_every_event_so_the_audit_still_verifies(client):
    register(client, registration("Idem Nine Ltd"), str(uuid4()))
    app = client.app.state.services["registration"].app

    assert list(verify(app.sealed_events())) == []


def test_duplicates_racing_through_two_processes_are_recorded_once_the_loser_answered_409(postgres_settings):
    """Two replicas share the store but not their requests in flight: the receipt's version
    race alone decides, in the transaction of the command's events."""
    key, body = str(uuid4()), registration("Idem Ten Ltd")
    with TestClient(create_app(postgres_settings)) as one, TestClient(create_app(postgres_settings)) as two:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda n: answered((one, two)[n % 2], body, key), range(6)))
        assert registered(one) == 1

    created = {a.json()["deal_id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    assert all(a.status_code in (201, 409) for a in answers), [(a.status_code, a.text) for a in answers]


def test_a_keyed_command_whose_key_cannot_be_looked_up_answers_503_and_reaches_no_route(
    database_url, schema_prefix, tmp_path
):
    """The key is looked up outside the routes (and their error handlers): the store away
    then is a 503 like any command's, never a 500. No gate here, so the lookup meets the cut."""
    real = urlparse(database_url)
    proxy = CuttableProxy(real.hostname or "127.0.0.1", real.port or 5432)
    proxied = database_url.replace(real.netloc, f"{real.username or 'postgres'}@127.0.0.1:{proxy.port}", 1)
    storage = open_storage(Settings(database_url=proxied, schema_prefix=schema_prefix), "registration")
    reached = []

    async def route(scope, receive, send):
        reached.append(scope["path"])
        await JSONResponse({}, 201)(scope, receive, send)

    service = Keyed(ServiceApplication(env=storage.eventstore_env), Replies(storage.engine))
    keyed = Idempotency(route, {"registration": service}, HeaderIdentity())
    try:
        client = TestClient(keyed)  # not entered: no lifespan, only this request
        proxy.cut()
        time.sleep(0.3)  # the cut happens on the proxy's own loop
        away = register(client, registration("Idem Eleven Ltd"), str(uuid4()))
    finally:
        proxy.close()
        storage.engine.dispose()

    assert away.status_code == 503, away.text
    assert away.headers["Retry-After"].isdigit()
    assert reached == []
