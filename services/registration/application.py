"""Registration's service layer: one method per command, each saving once, atomically.

A command loads what it needs, lets the aggregates decide, and saves the deal together
with the customer keys and holdings it touched: either all of it is recorded or none.
A lost race (another command saved the same version first) is retried from the start.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from services.registration.domain import normalise
from services.registration.domain.deal import Account, Deal, DealTerms, Lead
from services.registration.domain.duplicates import check_duplicates, threshold_reasons
from services.registration.domain.indexes import CustomerKey, Holdings, holdings_id
from services.registration.domain.recycling import due_recycle
from services.registration.errors import AlreadyRegistered
from services.registration.rules import Rules
from shared.clock import Clock, SystemClock
from shared.contracts import ReceivedEvent
from shared.contracts import events as public
from shared.errors import Invalid
from shared.eventstore.application import ServiceApplication, meta, meta_from
from shared.eventstore.retries import retrying


@dataclass(frozen=True)
class Registration:
    deal_id: UUID
    registration_status: str
    review_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversion(Registration):
    account_id: UUID | None = None
    contact_id: UUID | None = None


class UnknownDeal(LookupError):
    """An upstream event names a deal this service never registered (a poison message)."""


class RegistrationApplication(ServiceApplication):
    name = "registration"  # names its tables: registration_events

    def __init__(self, env: dict[str, str] | None = None, clock: Clock | None = None, rules: Rules | None = None) -> None:
        super().__init__(env)
        self.clock = clock or SystemClock()
        self.rules = rules or Rules()

    # -- leads ------------------------------------------------------------------------------

    def capture_lead(
        self,
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
            contact=_normalised_contact(contact),
            source=source,
            region=region,
            industry=industry,
            budget=budget,
            meta=meta,
        )
        self.save(lead)
        return lead.id

    def convert_lead(self, lead_id: UUID, terms: DealTerms, meta: dict[str, str]) -> Conversion:
        def convert() -> Conversion:
            lead = self.get(Lead, lead_id)
            lead.check_convertible()  # before the duplicate check: its answer is the better one
            deal_terms = terms if terms.name else replace(terms, name=lead.company)
            contact = {"id": str(uuid4()), **lead.contact}
            deal, touched = self._register(
                deal_terms,
                deal_id=uuid4(),
                account_name=lead.company,
                contacts=[contact],
                source=deal_terms.source or lead.source,
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

    # -- registration (报备) -----------------------------------------------------------------

    def register_deal(
        self,
        terms: DealTerms,
        *,
        account_name: str,
        contacts: list[dict[str, Any]],
        meta: dict[str, str],
        deal_id: UUID | None = None,
    ) -> Registration:
        deal_id = deal_id or uuid4()

        def register() -> Registration:
            with_ids = [{"id": str(uuid4()), **_normalised_contact(c)} for c in contacts]
            deal, touched = self._register(
                terms,
                deal_id=deal_id,
                account_name=account_name,
                contacts=with_ids,
                source=terms.source,
                lead_id=None,
                meta=meta,
            )
            self.save(*touched)
            return Registration(deal.id, deal.registration_status, tuple(deal.review_reasons))

        return retrying(register)

    def approve(self, deal_id: UUID, meta: dict[str, str]) -> Deal:
        def approve() -> Deal:
            deal = self.get(Deal, deal_id)
            deal.approve(self._protection_from_now(), meta)
            self.save(deal)
            return deal

        return retrying(approve)

    def reject(
        self, deal_id: UUID, reason: str, conflicting_deal_id: UUID | None, note: str | None, meta: dict[str, str]
    ) -> Deal:
        def reject() -> Deal:
            deal = self.get(Deal, deal_id)
            deal.reject(reason, conflicting_deal_id, note, meta)
            self.save(deal, *self._let_go(deal, meta, keys=True))
            return deal

        return retrying(reject)

    # -- ownership --------------------------------------------------------------------------

    def assign(self, deal_id: UUID, owner_id: str, meta: dict[str, str]) -> Deal:
        def assign() -> Deal:
            deal = self.get(Deal, deal_id)
            touched = self._let_go(deal, meta, keys=False)
            taker = self._holdings(owner_id)
            taker.take(deal.id, self.rules.limit_for(owner_id))
            deal.assign(owner_id, self._protection_from_now(), self.clock.now(), meta)
            self.save(deal, taker, *touched)
            return deal

        return retrying(assign)

    def claim(self, deal_id: UUID, meta: dict[str, str]) -> Deal:
        claimant = meta["actor"]

        def claim() -> Deal:
            deal = self.get(Deal, deal_id)
            holdings = self._holdings(claimant)
            cooldown = timedelta(days=self.rules.reclaim_cooldown_days)
            deal.claim(claimant, self._protection_from_now(), cooldown, self.clock.now(), meta)
            holdings.take(deal.id, self.rules.limit_for(claimant))
            self.save(deal, holdings)
            return deal

        return retrying(claim)

    def recycle(self, deal_id: UUID, reason: str, note: str | None, meta: dict[str, str]) -> Deal:
        def recycle() -> Deal:
            deal = self.get(Deal, deal_id)
            touched = self._let_go(deal, meta, keys=False)
            deal.recycle(reason, note, self.clock.now(), meta)
            self.save(deal, *touched)
            return deal

        return retrying(recycle)

    def sweep(self, deal_ids: list[UUID]) -> dict[str, int]:
        """Warn or recycle whatever the recycling policies say is due now.

        Idempotent, and safe on several replicas at once: each decision is taken on the
        aggregate at its current version; a replica that loses the race reloads and finds
        the work done.
        """
        now = self.clock.now()
        system = meta("system", f"sweep-{now.isoformat()}")
        counts = {"warned": 0, "recycled": 0}
        for deal_id in deal_ids:
            outcome = retrying(partial(self._sweep_one, deal_id, now, system))
            if outcome:
                counts[outcome] += 1
        return counts

    def _sweep_one(self, deal_id: UUID, now: Any, system: dict[str, str]) -> str | None:
        deal = self.find(Deal, deal_id)
        if deal is None or deal.owner_id is None or deal.registration_status != "approved" or deal.outcome:
            return None
        policy = self.rules.recycling.policy_for(deal.deal_type, deal.customer_level)
        due = due_recycle(
            policy,
            last_activity_at=deal.last_activity_at,
            protected_until=deal.protected_until,
            expected_close_date=deal.expected_close_date,
        )
        if due is None:
            return None
        reason, recycle_at = due
        if now >= recycle_at:
            touched = self._let_go(deal, system, keys=False)
            deal.recycle(reason, None, now, system)
            self.save(deal, *touched)
            return "recycled"
        if now >= recycle_at - timedelta(days=policy.warning_days) and deal.warn(reason, recycle_at, system):
            self.save(deal)
            return "warned"
        return None

    # -- reactions to the pipeline (effectively once) -----------------------------------------

    def handle(self, received: ReceivedEvent) -> None:
        retrying(lambda: self._react(received))

    def _react(self, received: ReceivedEvent) -> None:
        data = received.data
        deal_id = getattr(data, "deal_id", None)
        if not isinstance(
            data, (public.DealStageChanged, public.DealActivityLogged, public.DealUpdated, public.DealClosed)
        ):
            return
        deal = self.find(Deal, deal_id)
        if deal is None:
            raise UnknownDeal(f"no deal {deal_id} was registered here")
        upstream = (received.envelope.source, received.sequence)
        if deal.has_seen(*upstream):
            return
        who = meta_from(received.envelope)
        if isinstance(data, public.DealClosed):
            deal.close(data.outcome, upstream, who)
            self.save(deal, *self._let_go(deal, who, keys=True))
            return
        close_date = None
        if isinstance(data, public.DealStageChanged):
            close_date = data.expected_close_date
        elif isinstance(data, public.DealUpdated) and "expected_close_date" in data.changes:
            close_date = date.fromisoformat(str(data.changes["expected_close_date"]["after"]))
        deal.note_activity(received.envelope.time, close_date, upstream, who)
        self.save(deal)

    # -- queries ----------------------------------------------------------------------------

    def get_deal(self, deal_id: UUID) -> Deal:
        return self.get(Deal, deal_id)

    def get_lead(self, lead_id: UUID) -> Lead:
        return self.get(Lead, lead_id)

    # -- the rules ----------------------------------------------------------------------------

    def _register(
        self,
        terms: DealTerms,
        *,
        deal_id: UUID,
        account_name: str,
        contacts: list[dict[str, Any]],
        source: str | None,
        lead_id: UUID | None,
        meta: dict[str, str],
        owner_id: str | None = None,
    ) -> tuple[Deal, list[Aggregate]]:
        today = self.clock.now().date()
        if terms.expected_close_date < today:
            raise Invalid("expected_close_date", "the expected close date has already passed")
        if self.find(Deal, deal_id) is not None:
            raise AlreadyRegistered(deal_id)
        owner_id = owner_id or meta["actor"]
        check = check_duplicates(self.find, self.rules.duplicates, terms, account_name, contacts)
        free_keys, conflicts, account_id = check.free_keys, check.conflicts, check.account_id
        touched: list[Aggregate] = []
        if account_id is None:
            account = Account(name=account_name, contacts=contacts, meta=meta)
            account_id = account.id
            touched.append(account)
        review = [f"matches deal {c['deal_id']} on {c['matched_on']}" for c in conflicts]
        review += threshold_reasons(self.rules.auto_approval, terms, today)
        holdings = self._holdings(owner_id)
        holdings.take(deal_id, self.rules.limit_for(owner_id))
        approved = not review
        deal = Deal(
            id=deal_id,
            name=terms.name,
            account_id=account_id,
            account_name=account_name,
            contacts=[{k: c[k] for k in ("id", "name", "phone", "email") if c.get(k)} for c in contacts],
            deal_type=terms.deal_type or ("existing_business" if not touched else "new_business"),
            customer_level=terms.customer_level,
            product_line=terms.product_line,
            amount=terms.amount,
            currency=terms.currency,
            expected_close_date=terms.expected_close_date,
            source=source,
            owner_id=owner_id,
            lead_id=lead_id,
            keys=[key for key, _ in free_keys],
            conflicts=conflicts,
            review_reasons=review,
            registration_status="approved" if approved else "pending",
            protected_until=self._protection_from_now() if approved else None,
            at=self.clock.now(),
            meta=meta,
        )
        for key, existing in free_keys:
            if existing is None:
                touched.append(CustomerKey(id=normalise.key_id(key), key=key, deal_id=deal_id, account_id=account_id, meta=meta))
            else:
                existing.claim(deal_id, account_id, meta)
                touched.append(existing)
        return deal, [deal, holdings, *touched]

    def _holdings(self, owner_id: str) -> Holdings:
        return self.find(Holdings, holdings_id(owner_id)) or Holdings(owner_id=owner_id)

    def _let_go(self, deal: Deal, meta: dict[str, str], *, keys: bool) -> list[Aggregate]:
        """The owner's holdings give the deal up; with `keys`, its customer keys are freed."""
        touched: list[Aggregate] = []
        if deal.owner_id is not None:
            holdings = self._holdings(deal.owner_id)
            holdings.give_up(deal.id)
            touched.append(holdings)
        if keys:
            for key in deal.keys:
                entry = self.find(CustomerKey, normalise.key_id(key))
                if entry is not None:
                    entry.release(deal.id, meta)
                    touched.append(entry)
        return touched

    def _protection_from_now(self) -> Any:
        return self.clock.now() + timedelta(days=self.rules.protection_days)


def _normalised_contact(contact: dict[str, Any]) -> dict[str, Any]:
    normalised = dict(contact)
    if contact.get("phone"):
        try:
            normalised["phone"] = normalise.phone(contact["phone"])
        except ValueError as error:
            raise Invalid("contact.phone", str(error)) from None
    if contact.get("email"):
        normalised["email"] = normalise.email(contact["email"])
    return normalised
