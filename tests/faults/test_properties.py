"""Random sequences of commands across the three services (embedded, SQLite): whatever the
sequence, no command answers a server error, every projection rebuilt from its store
equals the live one, and the forecast equals a brute-force reading of the pipeline's
public events."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.app import create_app
from crm.replay import replay
from services.forecast.domain import parse_period
from shared.contracts import parse_event
from tests.support.embedded import embedded_settings, settle
from tests.support.history import History, brute_forecast, states_at
from tests.support.identities import ADMIN, MANAGER, as_user

pytestmark = pytest.mark.slow

REPS = ("rep-1", "rep-2", "rep-3")
STAGES = ("qualification", "needs_analysis", "proposal", "negotiation", "prospecting")
TODAY = date.today()
# The deals close 10 to 300 days ahead (then slip): the years, quarters and months that hold them.
AHEAD = [TODAY + timedelta(days=days) for days in (30, 120, 210)]
PERIODS = (
    str(TODAY.year),
    str(TODAY.year + 1),
    *(f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in AHEAD),
    f"{AHEAD[0]:%Y-%m}",
    f"{AHEAD[1]:%Y-%m}",
)

DEALS = 6
deal = st.integers(min_value=0, max_value=DEALS - 1)
registrations = st.lists(
    st.tuples(st.just("register"), deal, st.sampled_from(REPS), st.integers(1, 300), st.integers(10, 300)),
    min_size=2,
    max_size=DEALS,
    unique_by=lambda command: command[1],
)
commands = st.one_of(
    st.tuples(st.just("stage"), deal, st.sampled_from(STAGES)),
    st.tuples(st.just("value"), deal, st.integers(1, 500)),
    st.tuples(st.just("slip"), deal, st.integers(-20, 60)),
    st.tuples(st.just("probability"), deal, st.one_of(st.none(), st.integers(0, 100))),
    st.tuples(st.just("activity"), deal, st.sampled_from(("call", "meeting", "note"))),
    st.tuples(st.just("close"), deal, st.sampled_from(("won", "lost"))),
    st.tuples(st.just("reopen"), deal),
    st.tuples(st.just("assign"), deal, st.sampled_from(REPS)),
    st.tuples(st.just("recycle_and_claim"), deal, st.sampled_from(REPS)),
)


def run(http: TestClient, deals: dict[int, str], command: tuple) -> int:
    kind, n, *args = command
    deal_id = deals.get(n)
    if kind == "register":
        if deal_id is not None:
            return 0
        rep, thousands, days = args
        response = http.post(
            "/registration/deals",
            headers=as_user(rep),
            json={
                "name": f"deal {n}",
                "account": {"name": f"Property Customer {n}"},
                "value": {"amount": f"{thousands * 1000}.00", "currency": "CNY"},
                "expected_close_date": (TODAY + timedelta(days=days)).isoformat(),
            },
        )
        if response.status_code == 201:
            deals[n] = response.json()["deal_id"]
        return response.status_code
    if deal_id is None:
        return 0
    if kind == "stage":
        return http.post(f"/pipeline/deals/{deal_id}/stage", headers=ADMIN, json={"to_stage": args[0]}).status_code
    if kind == "value":
        body = {"value": {"amount": f"{args[0] * 1000}.00", "currency": "CNY"}}
        return http.patch(f"/pipeline/deals/{deal_id}", headers=ADMIN, json=body).status_code
    if kind == "slip":
        current = http.get(f"/pipeline/deals/{deal_id}", headers=ADMIN).json().get("expected_close_date")
        if current is None:
            return 0
        moved = date.fromisoformat(current) + timedelta(days=args[0])
        return http.patch(
            f"/pipeline/deals/{deal_id}", headers=ADMIN, json={"expected_close_date": moved.isoformat()}
        ).status_code
    if kind == "probability":
        return http.patch(f"/pipeline/deals/{deal_id}", headers=ADMIN, json={"probability": args[0]}).status_code
    if kind == "activity":
        body = {"kind": args[0], "subject": "spoke"}
        return http.post(f"/pipeline/deals/{deal_id}/activities", headers=ADMIN, json=body).status_code
    if kind == "close":
        body = {"outcome": args[0], "reason": None if args[0] == "won" else "price"}
        return http.post(f"/pipeline/deals/{deal_id}/close", headers=ADMIN, json=body).status_code
    if kind == "reopen":
        return http.post(f"/pipeline/deals/{deal_id}/reopen", headers=MANAGER, json={}).status_code
    if kind == "assign":
        return http.post(
            f"/registration/deals/{deal_id}/assign", headers=MANAGER, json={"owner_id": args[0]}
        ).status_code
    if kind == "recycle_and_claim":
        recycled = http.post(f"/registration/deals/{deal_id}/recycle", headers=MANAGER, json={"reason": "manual"})
        if recycled.status_code != 200:
            return recycled.status_code
        return http.post(f"/registration/deals/{deal_id}/claim", headers=as_user(args[0])).status_code
    raise AssertionError(kind)


def pipeline_history(pipeline) -> History:
    top = pipeline.app.recorder.max_notification_id() or 0
    history = History()
    for notification in pipeline.app.read_notifications(0, top + 1):
        published = pipeline.translate(pipeline.app.to_domain_event(notification))
        if published is not None:
            history.events.append(parse_event(published.to_bytes()))
    return history


def money(amounts) -> list[dict[str, str]]:
    return [{"amount": f"{v:.2f}", "currency": c} for c, v in sorted(amounts.items())]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registrations, st.lists(commands, min_size=5, max_size=40))
def test_any_command_sequence_leaves_rebuildable_projections_and_a_brute_force_forecast(registered, changes):
    sequence = [*registered, *changes]
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(embedded_settings(Path(folder)))
        with TestClient(app) as http:
            deals: dict[int, str] = {}
            for command in sequence:
                code = run(http, deals, command)
                assert code < 500, f"{command} answered {code}"
                if command[0] == "register":
                    settle(app)  # the later commands find the deal in the pipeline
            settle(app)
            assert len(deals) == len(registered)

            for service in app.state.services.values():
                for name, result in replay(service).items():
                    assert result["differences"] == [], f"{service.name} {name}: {result['differences']}"

            states = states_at(pipeline_history(app.state.services["pipeline"]))
            for period in PERIODS:
                parsed = parse_period(period)
                expected = brute_forecast(states, parsed.first, parsed.last, "owner")
                answer = http.get("/forecast/pipeline", headers=ADMIN, params={"period": period, "group_by": "owner"})
                assert answer.status_code == 200
                got = {g["key"]: (g["count"], g["total"], g["weighted"]) for g in answer.json()["groups"]}
                assert got == {k: (v["count"], money(v["total"]), money(v["weighted"])) for k, v in expected.items()}
