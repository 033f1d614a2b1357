"""Registration's routes for finding things: the account list, the contact list and the
search box. Lists answer `?format=csv|xlsx` as files (`shared.web.export`)."""

from __future__ import annotations

from typing import Any

from fastapi import Query
from fastapi.responses import Response

from services.registration.api.declare import RouteSet, route
from services.registration.queries import finding
from services.registration.queries.finding import Reach
from services.registration.responses.finding import AccountPage, ContactPage, SearchResults
from shared.web.export import EXPORT_CAP, FILES, FORMAT, Column, Format, export, field
from shared.web.http import Caller, CallerDep
from shared.web.identity import Identity

ACCOUNT_COLUMNS: list[Column] = [
    ("account_id", lambda r: r["account_id"]),
    ("name", lambda r: r["name"]),
    ("tier", lambda r: r["tier"]),
    ("opened_at", lambda r: r["opened_at"]),
    ("deals", lambda r: [d["name"] for d in r["deals"]]),
    ("contacts", lambda r: [c["name"] or c["email"] or c["phone"] for c in r["contacts"]]),
]
CONTACT_COLUMNS: list[Column] = [
    field(key) for key in ("contact_id", "name", "phone", "email", "account_name", "deal_name", "owner_id", "added_at")
]


class FindingRoutes(RouteSet):
    def reach(self, who: Identity, resource: str, action: str) -> Reach | None:
        """What a kind's list holds for this caller (None: the role may not see that kind)."""
        if not self.access.rules[(resource, action)].scope(who.role):
            return None
        return Reach(
            self.access.owners(who, resource, action),
            self.access.allows(who, resource, action, None),
            self.access.organisations_in_reach(who, resource, action),
        )

    def deal_reach(self, who: Caller) -> Reach:
        reach = self.reach(who.identity, "deal", "read")
        return reach if reach is not None else Reach(frozenset())

    @route.get("/accounts", response_model=AccountPage, responses=FILES)
    def list_accounts(
        self,
        who: CallerDep,
        q: str | None = Query(default=None, max_length=100, description="any part of the name"),
        tier: str | None = Query(default=None, pattern="^[ABC]$"),
        sort: str = Query(default="name", max_length=40, description="name or opened_at, `-` first: descending"),
        limit: int = Query(default=50, ge=1, le=500),
        cursor: str | None = Query(default=None, max_length=1000),
        format: Format = FORMAT,  # noqa: A002 - the query parameter's name
    ) -> Any:
        """Every account (customers are nobody's own), each with the deals in the caller's
        reach and those deals' contacts."""
        self.access.require(who.identity, "account", "list")
        if format != "json":
            found = finding.accounts(self.engine, q, tier, self.deal_reach(who), sort, EXPORT_CAP + 1, None)
            return _file(found["items"], ACCOUNT_COLUMNS, format, "accounts")
        return finding.accounts(self.engine, q, tier, self.deal_reach(who), sort, limit, cursor)

    @route.get("/contacts", response_model=ContactPage, responses=FILES)
    def list_contacts(
        self,
        who: CallerDep,
        q: str | None = Query(default=None, max_length=100, description="any part of the name, phone or e-mail"),
        account_id: str | None = Query(default=None, max_length=36),
        owner: str | None = Query(default=None, max_length=200, description="the owner of the contact's deal"),
        sort: str = Query(default="name", max_length=40, description="name or added_at, `-` first: descending"),
        limit: int = Query(default=50, ge=1, le=500),
        cursor: str | None = Query(default=None, max_length=1000),
        format: Format = FORMAT,  # noqa: A002 - the query parameter's name
    ) -> Any:
        """The contacts in reach: a contact is in reach when the deal it came with is."""
        self.access.require(who.identity, "contact", "list")
        reach = self.reach(who.identity, "contact", "list") or Reach(frozenset())
        if format != "json":
            found = finding.contacts(self.engine, q, account_id, owner, reach, sort, EXPORT_CAP + 1, None)
            return _file(found["items"], CONTACT_COLUMNS, format, "contacts")
        return finding.contacts(self.engine, q, account_id, owner, reach, sort, limit, cursor)

    @route.get("/search", response_model=SearchResults)
    def search(
        self,
        who: CallerDep,
        q: str = Query(min_length=1, max_length=100, description="any part of a name, phone or e-mail"),
        limit: int = Query(default=10, ge=1, le=50, description="hits per kind"),
    ) -> dict[str, Any]:
        """Deals, leads, accounts and contacts whose names hold `q` (新城 finds 新城百货有限公司),
        grouped by kind, each kind holding only what the caller may open."""
        self.access.require(who.identity, "search", "read")
        reaches = {
            "deal": self.reach(who.identity, "deal", "read"),
            "lead": self.reach(who.identity, "lead", "read"),
            "account": self.reach(who.identity, "account", "list"),
            "contact": self.reach(who.identity, "contact", "list"),
        }
        return finding.search(self.engine, q, reaches, limit)


def _file(items: list[dict[str, Any]], columns: list[Column], fmt: Format, name: str) -> Response:
    return export(items[:EXPORT_CAP], columns, fmt, name, truncated=len(items) > EXPORT_CAP)
