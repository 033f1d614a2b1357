"""Registration's service layer: one method per command, each saving once, atomically.

A command loads what it needs, lets the aggregates decide, and saves the deal together
with the customer keys and holdings it touched: either all of it is recorded or none.
A lost race (another command saved the same version first) is retried from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from services.registration.application.assignment import AssignmentCommands
from services.registration.application.leads import LeadCommands
from services.registration.domain import normalise
from services.registration.domain.account import Account
from services.registration.domain.deal import Deal, Upstream
from services.registration.domain.duplicates import check_duplicates
from services.registration.domain.indexes import CustomerKey, Holdings, holdings_id
from services.registration.domain.lead import Lead
from services.registration.domain.partner import Partner, partner_aggregate_id
from services.registration.domain.recycling import Recycle, sweep_decision
from services.registration.domain.registration import (
    Conversion as Conversion,  # what convert_lead answers, where the callers have found it
)
from services.registration.domain.registration import (
    Registration,
    check_close_date,
    register_new_deal,
)
from services.registration.domain.terms import DealTerms
from services.registration.errors import (
    AlreadyRegistered,
    DuplicateRegistration,
    PartnerAlreadyRegistered,
    PartnerConflict,
    UnknownDeal,
)
from services.registration.reactions import react
from services.registration.rules import Rules
from shared.clock import Clock, SystemClock
from shared.contracts import ReceivedEvent
from shared.errors import Forbidden
from shared.eventstore.application import ServiceApplication
from shared.eventstore.retries import retrying

Swept = Literal["recycled", "warned"] | None
A = TypeVar("A", bound=Aggregate)


class RegistrationApplication(LeadCommands, AssignmentCommands, ServiceApplication):
    name = "registration"  # names its tables: registration_events

    def __init__(
        self, env: dict[str, str] | None = None, clock: Clock | None = None, rules: Rules | None = None
    ) -> None:
        super().__init__(env)
        self.clock = clock or SystemClock()
        self.rules = rules or Rules()

    def change(self, kind: type[A], aggregate_id: UUID, change: Callable[[A], object], new: type[A] | None = None) -> A:
        """One aggregate's command (a lead's score, a model's record, an account's tier): load
        it (or make a `new` one), let `change` decide, save what it recorded, if anything."""

        def run() -> A:
            found = self.find(kind, aggregate_id) or (new() if new is not None else self.get(kind, aggregate_id))
            change(found)
            self.save(found)
            return found

        return retrying(run)

    # -- registration (报备) -----------------------------------------------------------------

    def register_deal(
        self,
        terms: DealTerms,
        *,
        account_name: str,
        contacts: list[dict[str, Any]],
        meta: dict[str, str],
        deal_id: UUID | None = None,
        partner: str | None = None,
    ) -> Registration:
        """`partner`: the channel partner organisation registering it (its user is the owner)."""
        deal_id = deal_id or uuid4()

        def register() -> Registration:
            organisation = self.partner(partner) if partner is not None else None
            with_ids = [{"id": str(uuid4()), **normalise.contact(c)} for c in contacts]
            try:
                deal, touched = self._register(
                    terms,
                    deal_id=deal_id,
                    account_name=account_name,
                    contacts=with_ids,
                    lead_id=None,
                    meta=meta,
                    partner=partner,
                )
            except DuplicateRegistration as taken:
                if organisation is None:
                    raise
                organisation.note_conflict(taken.matched_on, self.clock.now(), meta)  # for the partner report
                self.save(organisation)
                raise PartnerConflict(account_name, taken.matched_on) from None
            self.save(*touched)
            return Registration(deal.id, deal.registration_status, tuple(deal.review_reasons))

        return retrying(register)

    # -- channel partners (渠道伙伴) ------------------------------------------------------------

    def register_partner(self, partner_id: str, name: str, channel_managers: list[str], meta: dict[str, str]) -> None:
        if self.find(Partner, partner_aggregate_id(partner_id)) is not None:
            raise PartnerAlreadyRegistered(partner_id)
        self.save(Partner(partner_id=partner_id, name=name, channel_managers=channel_managers, meta=meta))

    def partner(self, partner_id: str) -> Partner:
        """The registered partner organisation; a caller acting for any other is refused."""
        organisation = self.find(Partner, partner_aggregate_id(partner_id))
        if organisation is None:
            raise Forbidden(f"partner organisation {partner_id} is not registered")
        return organisation

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
            self.save(deal, *self.let_go(deal, meta, keys=True))
            return deal

        return retrying(reject)

    # -- ownership --------------------------------------------------------------------------

    def assign(self, deal_id: UUID, owner_id: str, meta: dict[str, str]) -> Deal:
        def assign() -> Deal:
            deal = self.get(Deal, deal_id)
            touched = self.let_go(deal, meta, keys=False)
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
            touched = self.let_go(deal, meta, keys=False)
            deal.recycle(reason, note, self.clock.now(), meta)
            self.save(deal, *touched)
            return deal

        return retrying(recycle)

    def sweep_deal(self, deal_id: UUID, now: datetime, meta: dict[str, str]) -> Swept:
        """Recycle the deal, or warn its owner, if its recycling policy says so at `now`:
        what the recycling sweep (`jobs.sweep`) asks of each deal it finds."""

        def sweep() -> Swept:
            deal = self.find(Deal, deal_id)
            if deal is None:
                return None
            account = self.find(Account, deal.account_id)
            decision = sweep_decision(self.rules.recycling, deal, now, account.tier if account else None)
            if isinstance(decision, Recycle):
                touched = self.let_go(deal, meta, keys=False)
                deal.recycle(decision.reason, None, now, meta)
                self.save(deal, *touched)
                return "recycled"
            if decision is not None and deal.warn(decision.reason, decision.recycle_at, meta):
                self.save(deal)
                return "warned"
            return None

        return retrying(sweep)

    # -- what the pipeline reports (effectively once: `reactions` translates its events) -------

    def react(self, received: ReceivedEvent) -> tuple[Aggregate, ...]:
        """What the pipeline's event changes (services/registration/reactions.py); the base
        class's `handle` / `handle_batch` save it, retrying a lost race."""
        return react(self, received)

    def unseen(self, deal_id: str, upstream: Upstream) -> Deal | None:
        """The deal an upstream event names, or None when it has applied that event already."""
        deal = self.find(Deal, deal_id)
        if deal is None:
            raise UnknownDeal(f"no deal {deal_id} was registered here")
        return None if upstream is not None and deal.has_seen(*upstream) else deal

    # -- queries ----------------------------------------------------------------------------

    def get_deal(self, deal_id: UUID) -> Deal:
        return self.get(Deal, deal_id)

    def get_lead(self, lead_id: UUID) -> Lead:
        return self.get(Lead, lead_id)

    # -- what the commands share ------------------------------------------------------------

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
    ) -> tuple[Deal, list[Aggregate]]:
        now = self.clock.now()
        check_close_date(terms, now.date())
        if self.find(Deal, deal_id) is not None:
            raise AlreadyRegistered(deal_id)
        owner_id = owner_id or meta["actor"]
        check = check_duplicates(self.find, self.rules.duplicates, terms, account_name, contacts)
        return register_new_deal(
            terms,
            deal_id=deal_id,
            account_name=account_name,
            contacts=contacts,
            lead_id=lead_id,
            owner_id=owner_id,
            check=check,
            holdings=self._holdings(owner_id),
            rules=self.rules,
            now=now,
            meta=meta,
            partner=partner,
        )

    def _holdings(self, owner_id: str) -> Holdings:
        return self.find(Holdings, holdings_id(owner_id)) or Holdings(owner_id=owner_id)

    def let_go(self, deal: Deal, meta: dict[str, str], *, keys: bool) -> list[Aggregate]:
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

    def _protection_from_now(self) -> datetime:
        return self.clock.now() + timedelta(days=self.rules.protection_days)
