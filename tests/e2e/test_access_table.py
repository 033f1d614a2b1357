"""The access tests, generated from the one access table (`crm.access.TABLE`): for every
route × role × the caller's relation to the subject (its owner / the owner's team's manager
or colleague / another team / an id nobody knows) the status the table implies, lists and
figures holding exactly what is in reach, and for every refusal nothing recorded anywhere.
The README's role table is held to the rendering of the same table."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from crm.access import TABLE
from crm.app import create_app
from shared.web.access import Access, Rule, joined, render_markdown, rule_of
from shared.web.identity import ROLES, Identity
from tests.support import files
from tests.support.embedded import embedded_settings, settle
from tests.support.flow import eventually
from tests.support.identities import ADMIN, as_user
from tests.support.streams import Stream

TEAMS = {"east": ["rep-1", "rep-2"], "west": ["rep-west"]}
OWNER = "rep-1"  # of team east: the owner of every subject but the caller's own
# The channel partners: a partner caller acts for org-self; the subjects of its relations are
# its own, a colleague's (org-self too) and another organisation's.
ORGS = {"partner-self": "org-self", "partner-colleague": "org-self", "partner-other": "org-other"}
CHANNEL_MANAGERS = {"org-self": frozenset({"mgr-channel"}), "org-other": frozenset({"mgr-channel"})}


class Directory:
    """The partners the fixture registers, as the access rules see them."""

    def managers(self, organisation: str) -> frozenset[str]:
        return CHANNEL_MANAGERS.get(organisation, frozenset())

    def managed_by(self, user_id: str) -> frozenset[str]:
        return frozenset(org for org, managers in CHANNEL_MANAGERS.items() if user_id in managers)


def policy(rule: Rule) -> Access:
    """The policy of the one rule a route follows (the table may hold two rows of one
    resource and action, from services whose rules differ)."""
    return Access(TEAMS, (rule,), Directory())


CLOSE = date.today() + timedelta(days=60)
PERIOD = f"{CLOSE.year}-Q{(CLOSE.month - 1) // 3 + 1}"
RELATIONS = ("own", "same team", "other team", "unknown")


def caller(role: str, relation: str) -> Identity:
    if role == "partner":  # one partner, of org-self: the relation is the subject's
        return Identity("partner-self", "partner", (), ORGS["partner-self"])
    if relation == "own":
        return Identity(f"{role}-self", role, ("east",))  # type: ignore[arg-type]
    if relation == "other team":
        return Identity(f"{role}-west", role, ("west",))  # type: ignore[arg-type]
    return Identity(f"{role}-east", role, ("east",))  # type: ignore[arg-type]


def owner_of(role: str, relation: str) -> str:
    """The owner of the subject a caller of `role` meets in `relation`."""
    if relation == "own":
        return caller(role, relation).user_id
    if role == "partner":
        return "partner-colleague" if relation == "same team" else "partner-other"
    return OWNER


def headers(who: Identity) -> dict[str, str]:
    return as_user(who.user_id, who.role, who.teams, who.partner)


def as_owner(owner: str) -> dict[str, str]:
    """The headers a subject's owner registers it with: a partner's, for a partner."""
    return as_user(owner, "partner", partner=ORGS[owner]) if owner in ORGS else as_user(owner)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import os

    # The module runs for a minute or more: the timed jobs (sweeps, alerts, checkpoints) run at
    # start-up only, so that whatever a refused request is followed by was not recorded by them.
    rules = ("CRM_REGISTRATION_RULES", "CRM_PIPELINE_RULES", "CRM_FORECAST_RULES")
    saved = {name: os.environ.pop(name, None) for name in rules}
    os.environ["CRM_REGISTRATION_RULES"] = '{"holding_limit": 100000, "sweep_interval_seconds": 86400}'
    os.environ["CRM_PIPELINE_RULES"] = '{"alert_interval_seconds": 86400}'
    settings = embedded_settings(tmp_path_factory.mktemp("access"), teams=TEAMS, checkpoint_interval_seconds=86400)
    try:
        with TestClient(create_app(settings)) as http:
            for org, managers in CHANNEL_MANAGERS.items():
                body = {"partner_id": org, "name": org, "channel_managers": sorted(managers)}
                assert http.post("/registration/partners", headers=ADMIN, json=body).status_code == 201
            yield http
    finally:
        for name in rules:
            os.environ.pop(name, None)
        os.environ.update({name: value for name, value in saved.items() if value is not None})


def recorded(client) -> int:
    return sum((s.app.recorder.max_notification_id() or 0) for s in client.app.state.services.values())


def settled(client) -> int:
    """What all the stores hold once the reactions to the setup have run."""
    settle(client.app)
    return recorded(client)


# -- subjects ---------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:12]}"


def lead(client, owner: str) -> dict[str, Any]:
    made = client.post(
        "/registration/leads", headers=as_user(owner), json={"company": unique("Lead"), "contact": {"name": "Li"}}
    )
    assert made.status_code == 201, made.text
    return {"lead_id": made.json()["lead_id"], "owner": owner}


def terms(days: int = 60) -> dict[str, Any]:
    return {
        "value": {"amount": "1000.00", "currency": "CNY"},
        "expected_close_date": (date.today() + timedelta(days=days)).isoformat(),
    }


def deal(client, owner: str) -> dict[str, Any]:
    if owner in ORGS:  # a partner's: registered by it, approved by its channel manager
        return partner_deal(client, owner)
    captured = lead(client, owner)
    name = unique("Deal")
    made = client.post(
        f"/registration/leads/{captured['lead_id']}/convert", headers=as_user(owner), json={**terms(), "name": name}
    )
    assert made.status_code == 201, made.text
    deal_id = made.json()["deal_id"]
    services = client.app.state.services
    from services.forecast.domain import Deal as ForecastDeal

    eventually(lambda: services["registration"].app.get_deal(uuid.UUID(deal_id)).version == 2)
    eventually(lambda: services["forecast"].app.find(ForecastDeal, uuid.UUID(deal_id)))
    eventually(lambda: client.get("/pipeline/deals", headers=ADMIN, params={"q": name}).json()["items"])
    return {"deal_id": deal_id, "deal_name": name, "owner": owner, "owner_id": owner}


def partner_deal(client, owner: str) -> dict[str, Any]:
    name = unique("Partner deal")
    body = {**terms(), "name": name, "account": {"name": unique("Partner account")}}
    made = client.post("/registration/deals", headers=as_owner(owner), json=body)
    assert made.status_code == 201 and made.json()["registration_status"] == "pending", made.text
    deal_id = made.json()["deal_id"]
    channel = as_user("mgr-channel", "manager")
    assert client.post(f"/registration/deals/{deal_id}/approve", headers=channel).status_code == 200
    from services.forecast.domain import Deal as ForecastDeal

    eventually(lambda: client.app.state.services["forecast"].app.find(ForecastDeal, uuid.UUID(deal_id)))
    eventually(lambda: client.get("/pipeline/deals", headers=ADMIN, params={"q": name}).json()["items"])
    settled(client)
    return {"deal_id": deal_id, "deal_name": name, "owner": owner, "owner_id": owner}


def pending(client, owner: str) -> dict[str, Any]:
    body = {**terms(days=500), "name": unique("Pending"), "account": {"name": unique("Account")}}
    made = client.post("/registration/deals", headers=as_owner(owner), json=body)
    assert made.status_code == 201 and made.json()["registration_status"] == "pending", made.text
    deal_id = made.json()["deal_id"]
    from services.pipeline.domain.deal import Deal as PipelineDeal

    eventually(lambda: client.app.state.services["pipeline"].app.find(PipelineDeal, uuid.UUID(deal_id)))
    return {"deal_id": deal_id, "owner": owner}


def queued(client, owner: str) -> dict[str, Any]:
    """A pending registration the queue's read model already holds."""
    subject = pending(client, owner)

    def listed() -> bool:
        page = client.get("/registration/deals", headers=ADMIN, params={"status": "pending", "limit": 500})
        return subject["deal_id"] in [item["deal_id"] for item in page.json()["items"]]

    eventually(listed)
    return subject


def won(client, owner: str) -> dict[str, Any]:
    subject = deal(client, owner)
    assert (
        client.post(f"/pipeline/deals/{subject['deal_id']}/close", headers=ADMIN, json={"outcome": "won"}).status_code
        == 200
    )

    def in_the_report() -> bool:
        report = client.get(
            "/forecast/reports/win-rate", headers=ADMIN, params={"period": str(date.today().year)}
        ).json()
        return any(group["key"] == owner and group["won"] for group in report["groups"])

    eventually(in_the_report)
    return subject


def task(client, owner: str) -> dict[str, Any]:
    subject = deal(client, owner)
    due = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    logged = client.post(
        f"/pipeline/deals/{subject['deal_id']}/activities",
        headers=ADMIN,
        json={"kind": "task", "subject": "call back", "due_at": due},
    )
    assert logged.status_code == 201, logged.text
    return {**subject, "activity_id": logged.json()["activity_id"]}


def attached(client, owner: str) -> dict[str, Any]:
    """A task of the owner's deal with a photo on it (an image: it has a thumbnail too)."""
    subject = task(client, owner)
    url = f"/pipeline/deals/{subject['deal_id']}/activities/{subject['activity_id']}/attachments"
    added = client.post(url, headers=ADMIN, files={"file": ("sample.png", files.image(size=(32, 32)))})
    assert added.status_code == 201, added.text
    return {**subject, "ref": added.json()["attachment_id"]}


def pooled(client, owner: str) -> dict[str, Any]:
    subject = deal(client, owner)
    assert (
        client.post(
            f"/registration/deals/{subject['deal_id']}/recycle", headers=ADMIN, json={"reason": "x"}
        ).status_code
        == 200
    )
    return subject


def window(client, owner: str) -> dict[str, Any]:
    """A deal created between `from` and `to`: /forecast/changes counts it as new."""
    start = datetime.now(UTC)
    subject = deal(client, owner)
    settled(client)
    return {**subject, "from": start.isoformat(), "to": datetime.now(UTC).isoformat()}


def catalogued(client, owner: str) -> dict[str, Any]:
    """A product in the catalogue (an admin's: nobody owns a product, every reader reaches it)."""
    code = f"P-{uuid.uuid4().hex[:10].upper()}"
    body = {"code": code, "name_zh": "探针", "product_line": "probe", "unit": "套", "list_price": {"amount": "1.00"}}
    assert client.post("/pipeline/products", headers=ADMIN, json=body).status_code == 201
    return {"code": code}


def deal_and_product(client, owner: str) -> dict[str, Any]:
    return deal(client, owner) | catalogued(client, owner)


def team(client, owner: str) -> dict[str, Any]:
    return {"team": "east"}


def listed_lead(client, owner: str) -> dict[str, Any]:
    """A lead the lead list's read model already holds."""
    subject = lead(client, owner)
    eventually(
        lambda: subject["lead_id"]
        in [
            i["lead_id"]
            for i in client.get("/registration/leads", headers=ADMIN, params={"owner": owner}).json()["items"]
        ]
    )
    return subject


def notice(client, owner: str) -> dict[str, Any]:
    """A message in `owner`'s inbox: the notifications service told of a deal assigned to
    them (an upstream event handed to it as its consumer would)."""
    from services.notifications import queries
    from services.notifications.domain import notification_id
    from shared.contracts import CloudEvent, ReceivedEvent
    from shared.contracts.events import DealAssigned

    data = DealAssigned(deal_id=str(uuid.uuid4()), owner_id=owner, reason="assignment")
    envelope = CloudEvent.of(
        data,
        source="crm/registration",
        subject=data.deal_id,
        sequence=1,
        time=datetime.now(UTC),
        actor="admin-1",
        correlation_id=unique("c"),
    )
    service = client.app.state.services["notifications"]
    service.app.handle(ReceivedEvent(envelope, data))
    key = str(notification_id(envelope.id, owner, "assigned"))
    with_engine = service.storage.engine

    def listed() -> bool:
        with with_engine.connect() as connection:
            return queries.recipient_of(connection, key) == owner

    eventually(listed)
    return {"notification_id": key, "owner": owner}


def account(client, owner: str) -> dict[str, Any]:
    subject = deal(client, owner)
    found = client.get(f"/registration/deals/{subject['deal_id']}", headers=ADMIN).json()
    return {**subject, "account_id": found["account"]["id"]}


UNKNOWN = {
    "account_id": "00000000-0000-0000-0000-00000000acc0",
    "deal_id": "00000000-0000-0000-0000-00000000dead",
    "lead_id": "00000000-0000-0000-0000-00000000beef",
    "owner_id": "nobody-known",
    "team": "atlantis",
    "activity_id": "a1",
    "ref": "no-such-file",
    "code": "NO-SUCH-PRODUCT",
    "notification_id": "00000000-0000-0000-0000-0000000000b0",
}
ANY = ("same team", "unknown")  # a product has no owner: one known, one not


# -- the routes -------------------------------------------------------------------------------


@dataclass
class Spec:
    ok: int = 200
    subject: Callable[[Any, str], dict[str, Any]] | None = None
    body: Callable[[dict[str, Any]], Any] | None = None
    params: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda values: {})
    unknown: int = 404
    relations: tuple[str, ...] = RELATIONS
    cached: bool = False  # a read: one subject per owner serves every caller
    visible: Callable[[Any, dict[str, Any]], bool] | None = None  # is the subject in the answer?
    upload: bool = False
    stream: bool = False  # a live stream: its status, then the client goes away


STAGES = {
    "stages": [
        {"key": "a", "labels": {"en": "A"}, "probability": 5, "forecast_category": "pipeline"},
        {"key": "w", "labels": {"en": "W"}, "probability": 100, "forecast_category": "closed", "state": "won"},
        {"key": "l", "labels": {"en": "L"}, "probability": 0, "forecast_category": "omitted", "state": "lost"},
    ]
}
NONE = ("none",)  # no subject: the caller's relation to it does not arise

SPECS: dict[str, Spec] = {
    "GET /registration/rules": Spec(relations=NONE),
    "GET /pipeline/rules": Spec(relations=NONE),
    "GET /pipeline/stages": Spec(relations=NONE),
    "GET /registration/live": Spec(relations=NONE, stream=True),
    "GET /pipeline/live": Spec(relations=NONE, stream=True),
    "GET /forecast/rules": Spec(relations=NONE),
    "PUT /pipeline/pipelines/{pipeline_id}": Spec(relations=NONE, body=lambda v: STAGES),
    "POST /registration/leads": Spec(
        201, relations=NONE, body=lambda v: {"company": unique("Own"), "contact": {"name": "Li"}}
    ),
    "POST /registration/leads/{lead_id}/convert": Spec(201, lead, body=lambda v: terms()),
    "POST /registration/leads/{lead_id}/disqualify": Spec(subject=lead, body=lambda v: {"reason": "probe"}),
    "GET /registration/leads/{lead_id}": Spec(subject=lead, cached=True),
    "GET /registration/leads/{lead_id}/history": Spec(subject=lead, cached=True),
    "GET /registration/leads": Spec(
        subject=listed_lead,
        cached=True,
        relations=RELATIONS[:3],
        params=lambda v: {"owner": v["owner"]},
        visible=lambda answer, v: v["lead_id"] in [i["lead_id"] for i in answer["items"]],
    ),
    "GET /registration/lead-scores/model": Spec(relations=NONE),
    "POST /registration/lead-scores/train": Spec(relations=NONE),
    "GET /registration/accounts/{account_id}": Spec(subject=account, cached=True, relations=ANY),
    "GET /registration/accounts": Spec(relations=NONE),
    "GET /registration/contacts": Spec(
        subject=deal,
        cached=True,
        relations=RELATIONS[:3],
        params=lambda v: {"owner": v["owner"], "limit": 500},
        visible=lambda answer, v: v["deal_id"] in [i["deal_id"] for i in answer["items"]],
    ),
    "GET /registration/search": Spec(relations=NONE, params=lambda v: {"q": "Deal"}),
    "POST /registration/deals": Spec(
        201, relations=NONE, body=lambda v: {**terms(), "name": unique("New"), "account": {"name": unique("Acc")}}
    ),
    "POST /registration/imports/{kind}": Spec(relations=NONE, upload=True),
    "POST /pipeline/products": Spec(
        201,
        relations=NONE,
        body=lambda v: {
            "code": f"N-{uuid.uuid4().hex[:10].upper()}",
            "name_zh": "新品",
            "product_line": "probe",
            "unit": "套",
            "list_price": {"amount": "2.00"},
        },
    ),
    "GET /pipeline/products": Spec(relations=NONE),
    "GET /pipeline/products/{code}": Spec(subject=catalogued, cached=True, relations=ANY),
    "PATCH /pipeline/products/{code}": Spec(subject=catalogued, relations=ANY, body=lambda v: {"unit": "件"}),
    "POST /pipeline/products/{code}/retire": Spec(subject=catalogued, relations=ANY),
    "PUT /pipeline/deals/{deal_id}/line-items": Spec(
        subject=deal_and_product, body=lambda v: {"items": [{"product_code": v["code"], "quantity": 1}]}
    ),
    "GET /registration/deals/{deal_id}": Spec(subject=deal, cached=True),
    "GET /pipeline/deals/{deal_id}": Spec(subject=deal, cached=True),
    "GET /registration/deals/{deal_id}/history": Spec(subject=deal, cached=True),
    "GET /pipeline/deals/{deal_id}/history": Spec(subject=deal, cached=True),
    "GET /pipeline/deals": Spec(
        subject=deal,
        cached=True,
        relations=RELATIONS[:3],
        params=lambda v: {"q": v["deal_name"]},
        visible=lambda answer, v: [i["deal_id"] for i in answer["items"]] == [v["deal_id"]],
    ),
    "GET /pipeline/board": Spec(subject=deal, cached=True, relations=RELATIONS[:3]),
    "GET /pipeline/my-day": Spec(
        subject=deal, cached=True, relations=RELATIONS[:3], params=lambda v: {"owner": v["owner"]}
    ),
    "POST /pipeline/deals/{deal_id}/stage": Spec(subject=deal, body=lambda v: {"to_stage": "proposal"}),
    "PATCH /pipeline/deals/{deal_id}": Spec(subject=deal, body=lambda v: {"priority": "high"}),
    "POST /pipeline/deals/{deal_id}/activities": Spec(201, deal, body=lambda v: {"kind": "call", "subject": "probe"}),
    "POST /pipeline/deals/{deal_id}/activities/{activity_id}/done": Spec(subject=task),
    "POST /pipeline/deals/{deal_id}/activities/{activity_id}/attachments": Spec(201, task, upload=True),
    "GET /pipeline/deals/{deal_id}/attachments": Spec(subject=attached, cached=True),
    "GET /pipeline/deals/{deal_id}/activities/{activity_id}/attachments/{ref}": Spec(subject=attached, cached=True),
    "GET /pipeline/deals/{deal_id}/activities/{activity_id}/attachments/{ref}/thumbnail": Spec(
        subject=attached, cached=True
    ),
    "POST /pipeline/deals/{deal_id}/close": Spec(subject=deal, body=lambda v: {"outcome": "won"}),
    "GET /registration/deals": Spec(
        subject=queued,
        cached=True,
        relations=RELATIONS[:3],
        params=lambda v: {"status": "pending", "limit": 500},
        visible=lambda answer, v: v["deal_id"] in [i["deal_id"] for i in answer["items"]],
    ),
    "POST /registration/deals/{deal_id}/approve": Spec(subject=pending),
    "POST /registration/deals/{deal_id}/reject": Spec(subject=pending, body=lambda v: {"reason": "other"}),
    "POST /registration/deals/{deal_id}/recycle": Spec(subject=deal, body=lambda v: {"reason": "probe"}),
    "POST /pipeline/deals/{deal_id}/reopen": Spec(subject=won, body=lambda v: {}),
    "POST /registration/deals/{deal_id}/assign": Spec(subject=deal, body=lambda v: {"owner_id": "rep-2"}),
    "GET /registration/pool": Spec(relations=NONE),
    "GET /registration/assignment-rules": Spec(relations=NONE),
    "GET /registration/assignment-rules/history": Spec(relations=NONE),
    "PUT /registration/assignment-rules": Spec(relations=NONE, body=lambda v: {"rules": []}),
    "POST /registration/assignment-rules/dry-run": Spec(
        relations=NONE, body=lambda v: {"candidates": [{"region": "east"}]}
    ),
    "POST /registration/assignment-rules/apply": Spec(subject=lead, body=lambda v: {"lead_ids": [v["lead_id"]]}),
    "POST /registration/deals/{deal_id}/claim": Spec(subject=pooled, relations=("other team", "unknown")),
    "GET /forecast/pipeline": Spec(
        subject=deal,
        cached=True,
        relations=RELATIONS[:3],
        params=lambda v: {"period": PERIOD, "group_by": "owner"},
        visible=lambda answer, v: v["owner"] in [g["key"] for g in answer["groups"]],
    ),
    "GET /forecast/reports/{name}": Spec(
        subject=won,
        cached=True,
        relations=RELATIONS[:3],
        params=lambda v: {"period": str(date.today().year), "group_by": "owner"},
        visible=lambda answer, v: v["owner"] in [g["key"] for g in answer["groups"]],
    ),
    "GET /forecast/changes": Spec(
        subject=window,
        relations=RELATIONS[:3],
        params=lambda v: {"period": PERIOD, "from": v["from"], "to": v["to"]},
        visible=lambda answer, v: bool(answer["pieces"]["new"]),
    ),
    "PUT /forecast/targets/{owner_id}/{period}": Spec(
        subject=deal, body=lambda v: {"amount": {"amount": "5.00"}}, unknown=422
    ),
    "PUT /forecast/visit-plans/{owner_id}/{period}": Spec(
        subject=deal, body=lambda v: {"visits_per_day": 2}, unknown=422
    ),
    "GET /forecast/activity": Spec(
        subject=deal, cached=True, relations=RELATIONS[:3], params=lambda v: {"owner": v["owner"]}
    ),
    "PUT /forecast/team-targets/{team}/{period}": Spec(
        subject=team,
        body=lambda v: {"amount": {"amount": "5.00"}},
        unknown=422,
        relations=("same team", "other team", "unknown"),
    ),
    "POST /registration/partners": Spec(
        201,
        relations=NONE,
        body=lambda v: {"partner_id": unique("p").replace(" ", "-"), "name": "P", "channel_managers": ["mgr-channel"]},
    ),
    "GET /registration/partners": Spec(relations=NONE),
    "GET /registration/partners/report": Spec(relations=NONE),
    "GET /notifications/live": Spec(relations=NONE, stream=True),
    "GET /notifications/inbox": Spec(relations=NONE),
    "POST /notifications/inbox/{notification_id}/read": Spec(subject=notice),
    "POST /notifications/inbox/read-all": Spec(relations=NONE),
    "GET /notifications/preferences": Spec(relations=NONE),
    "PUT /notifications/preferences": Spec(relations=NONE, body=lambda v: {"language": "en"}),
    "POST /registration/what-if/recycling": Spec(
        relations=NONE, body=lambda v: {"from": str(date.today().replace(day=1)), "to": str(date.today())}
    ),
    "POST /forecast/what-if/probabilities": Spec(
        relations=NONE, body=lambda v: {"period": v["period"], "probabilities": {"proposal": 90}}
    ),
}
FIXED = {
    "pipeline_id": lambda: f"p{uuid.uuid4().hex[:10]}",
    "kind": lambda: "leads",
    "name": lambda: "win-rate",
    "period": lambda: PERIOD,
}


def cases() -> list[Any]:
    found = []
    for rule in TABLE:
        for route in rule.routes:
            for role in ROLES:
                for relation in SPECS[route].relations:
                    found.append(pytest.param(route, role, relation, id=f"{route} | {role} | {relation}"))
    return found


def expected(route: str, role: str, relation: str) -> tuple[int, bool]:
    """(status, whether the subject is in the answer) as the table has it."""
    rule, spec = rule_of(TABLE, route), SPECS[route]
    if rule.scope(role) is None:  # type: ignore[arg-type]
        return 403, False
    if relation == "unknown":
        return spec.unknown, False
    if relation == "none":
        return spec.ok, True
    who = caller(role, relation)
    owner = owner_of(role, relation)
    access = policy(rule)
    if spec.subject is team:
        allowed = access.allows(who, rule.resource, rule.action, team="east")
    elif spec.subject is pooled:
        allowed = access.allows(who, rule.resource, rule.action, None, organisation=ORGS.get(owner))
    else:
        allowed = access.allows(who, rule.resource, rule.action, owner, organisation=ORGS.get(owner))
    if spec.visible is not None or spec.subject is not None and route.startswith("GET /pipeline/board"):
        return spec.ok, allowed  # a list or figures: 200, holding only what is in reach
    return (spec.ok if allowed else 403), allowed


_cache: dict[tuple[str, str], dict[str, Any]] = {}


@pytest.mark.parametrize(("route", "role", "relation"), cases())
def test_every_route_answers_every_role_as_the_table_says(client, route, role, relation):
    spec, who = SPECS[route], caller(role, relation)
    status, visible = expected(route, role, relation)
    owner = owner_of(role, relation)
    values: dict[str, Any] = {name: make() for name, make in FIXED.items()}
    if relation == "unknown":
        values |= UNKNOWN
    elif spec.subject is not None:
        key = (spec.subject.__name__, owner)
        subject = _cache.get(key) if spec.cached else None
        if subject is None:
            subject = spec.subject(client, owner)
            if spec.cached:
                _cache[key] = subject
        values |= subject
    method, path = route.split(" ", 1)
    url = path.format(**values)
    before = settled(client) if not 200 <= status < 300 else None
    if spec.stream:
        opened = Stream(client, url, headers(who))
        response = httpx.Response(opened.status, content=opened.next_block().encode())
        opened.close()
    elif spec.upload:
        content = f"company,contact_name\n{unique('Imported')},Li\n".encode()
        response = client.post(url, headers=headers(who), files={"file": ("leads.csv", content)})
    else:
        body = spec.body(values) if spec.body else None
        response = client.request(method, url, headers=headers(who), params=spec.params(values), json=body)
    assert response.status_code == status, (route, role, relation, response.text)
    if before is not None:
        assert recorded(client) == before, "a refused request recorded something"
    if spec.visible is not None and 200 <= status < 300:
        assert spec.visible(response.json(), values) == visible, response.json()
    if route.endswith("/convert") and status == 201:  # the deal is the lead's owner's, whoever converted it
        deal_id = response.json()["deal_id"]
        assert client.get(f"/registration/deals/{deal_id}", headers=ADMIN).json()["owner_id"] == owner


# -- the table itself -------------------------------------------------------------------------


def test_every_route_of_the_api_is_in_the_table_exactly_once(client):
    served = {f"{method.upper()} {path}" for path, ops in client.app.openapi()["paths"].items() for method in ops}
    listed = [route for rule in TABLE for route in rule.routes]
    assert sorted(listed) == sorted(set(listed)), "a route is in two rules"
    assert set(listed) == served
    assert set(SPECS) == served


def test_rules_alike_but_for_their_routes_are_one_row_and_a_rule_without_a_place_is_refused():
    first = (Rule("deal", "read", ("GET /a/deals",), rep="own"), Rule("deal", "list", ("GET /a/list",), rep="own"))
    second = (Rule("deal", "read", ("GET /b/deals",), rep="own"), Rule("deal", "list", ("GET /b/list",), rep="all"))
    table = joined((first, second), order=[("deal", "list"), ("deal", "read")])
    assert [(rule.action, rule.routes) for rule in table] == [
        ("list", ("GET /a/list",)),
        ("list", ("GET /b/list",)),
        ("read", ("GET /a/deals", "GET /b/deals")),
    ]
    with pytest.raises(ValueError, match="without a place"):
        joined((first,), order=[("deal", "read")])


def test_the_readme_shows_exactly_the_table():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- access-table -->\n(.*?)<!-- /access-table -->", readme, re.S)
    assert shown is not None, "the README lacks the access table's markers"
    assert shown.group(1) == render_markdown(TABLE)


# -- beyond status codes ----------------------------------------------------------------------


def test_an_unknown_owner_or_team_of_a_target_is_422_naming_it_and_nothing_is_recorded(client):
    before = settled(client)
    manager = headers(caller("manager", "same team"))
    owner = client.put(f"/forecast/targets/nobody-known/{PERIOD}", headers=manager, json={"amount": {"amount": "1.00"}})
    assert owner.status_code == 422 and owner.json()["detail"][0]["loc"] == ["path", "owner_id"]
    team_ = client.put(f"/forecast/team-targets/atlantis/{PERIOD}", headers=ADMIN, json={"amount": {"amount": "1.00"}})
    assert team_.status_code == 422 and team_.json()["detail"][0]["loc"] == ["path", "team"]
    assert recorded(client) == before


def test_a_teams_target_shows_only_to_who_reaches_the_whole_team(client):
    period = str(CLOSE.year + 2)  # a period of its own: the generated cases set targets in PERIOD
    assert (
        client.put(
            f"/forecast/team-targets/east/{period}", headers=ADMIN, json={"amount": {"amount": "7.00"}}
        ).status_code
        == 200
    )

    def targets(who: Identity) -> dict[str, Any]:
        answer = client.get("/forecast/pipeline", headers=headers(who), params={"period": period, "group_by": "team"})
        return {group["key"]: group["target"]["amount"] for group in answer.json()["groups"] if "target" in group}

    assert eventually(lambda: targets(caller("manager", "same team"))) == {"east": "7.00"}
    assert targets(caller("manager", "other team")) == {}  # another team's manager
    assert targets(Identity(OWNER, "rep")) == {}  # a rep: their own figures, not the team's target
