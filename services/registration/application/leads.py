"""Registration's lead commands: capture, convert (a registration like any other) and
disqualify. A part of `RegistrationApplication`, kept apart so each reads in one sitting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from services.registration.domain import normalise
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.domain.registration import Conversion
from services.registration.domain.terms import DealTerms
from services.registration.rules import Rules
from shared.errors import Invalid
from shared.eventstore.retries import retrying

A = TypeVar("A", bound=Aggregate)


class _Registrar(Protocol):
    """What the lead commands use of `RegistrationApplication`, which they are mixed into."""

    rules: Rules

    def save(self, *objs: Any, **kwargs: Any) -> Any: ...
    def get(self, aggregate_class: type[A], aggregate_id: UUID) -> A: ...
    def change(
        self, kind: type[A], aggregate_id: UUID, change: Callable[[A], object], new: type[A] | None = None
    ) -> A: ...
    def _register(
        self,
        terms: DealTerms,
        *,
        deal_id: UUID,
        account_name: str,
        contacts: list[dict[str, Any]],
        lead_id: UUID | None,
        meta: dict[str, str],
        owner_id: str | None = None,
        partner: str | None = None,
    ) -> tuple[Deal, list[Aggregate]]: ...


class LeadCommands:
    """Mixed into `RegistrationApplication`: `self` is one."""

    def capture_lead(
        self: _Registrar,
        *,
        company: str,
        contact: dict[str, Any],
        source: str | None,
        region: str | None,
        meta: dict[str, str],
        industry: str | None = None,
        budget: dict[str, str] | None = None,
        lead_id: UUID | None = None,
    ) -> UUID:
        if source is not None and source not in self.rules.lead_sources:
            raise Invalid("source", f"source must be one of {', '.join(self.rules.lead_sources)}")
        lead = Lead(
            id=lead_id or uuid4(),
            company=company,
            contact=normalise.contact(contact),
            source=source,
            region=region,
            industry=industry,
            budget=budget,
            meta=meta,
        )
        self.save(lead)
        return lead.id

    def convert_lead(self: _Registrar, lead_id: UUID, terms: DealTerms, meta: dict[str, str]) -> Conversion:
        def convert() -> Conversion:
            lead = self.get(Lead, lead_id)
            lead.check_convertible()  # before the duplicate check: its answer is the better one
            deal_terms = replace(terms, name=terms.name or lead.company, source=terms.source or lead.source)
            contact = {"id": str(uuid4()), **lead.contact}
            deal, touched = self._register(
                deal_terms,
                deal_id=uuid4(),
                account_name=lead.company,
                contacts=[contact],
                lead_id=lead.id,
                meta=meta,
                owner_id=lead.captured_by,  # the lead's owner's, whoever converts it
            )
            lead.convert(deal.id, deal.account_id, UUID(contact["id"]), meta)
            self.save(lead, *touched)
            return Conversion(
                deal.id, deal.registration_status, tuple(deal.review_reasons), deal.account_id, UUID(contact["id"])
            )

        return retrying(convert)

    def disqualify_lead(self: _Registrar, lead_id: UUID, reason: str, meta: dict[str, str]) -> Lead:
        return self.change(Lead, lead_id, lambda lead: lead.disqualify(reason, meta))
