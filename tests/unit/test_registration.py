"""Registration's rules, in memory: each rule a behaviour, with a clock the tests move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.registration.application import RegistrationApplication
from services.registration.domain import normalise
from services.registration.domain.lead import Lead
from services.registration.domain.terms import DealTerms
from services.registration.errors import (
    AlreadyOwner,
    DuplicateRegistration,
    HoldingLimitReached,
    LeadAlreadyConverted,
    NotInPool,
    ReclaimCooldown,
    RegistrationNotPending,
)
from services.registration.jobs import sweep
from services.registration.publishing import to_public
from services.registration.rules import AutoApproval, DuplicateRules, PolicyOverride, Recycling, Rules
from shared.clock import FixedClock
from shared.errors import Invalid, NotFound
from shared.eventstore.application import meta

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REP = meta("rep-1", "corr-1")
REP2 = meta("rep-2", "corr-2")
MANAGER = meta("mgr-1", "corr-m")
TERMS = DealTerms(name="ERP", amount=Decimal("100000"), currency="CNY", expected_close_date=date(2026, 12, 15))


def make_app(**rules) -> RegistrationApplication:
    return RegistrationApplication(clock=FixedClock(NOW), rules=Rules(**rules))


@pytest.fixture
def app() -> RegistrationApplication:
    return make_app()


def capture(app, company="华为技术有限公司", phone="138 0000 0000", email="zhang@huawei.com", source="trade_fair"):
    return app.capture_lead(
        company=company,
        contact={"name": "张三", "phone": phone, "email": email},
        source=source,
        region="east",
        meta=REP,
    )


def register(app, account="ACME Co., Ltd.", who=REP, terms=TERMS, contacts=()):
    return app.register_deal(terms, account_name=account, contacts=list(contacts), meta=who)


def public_types(app) -> list[str]:
    return [p.type for n in app.read_notifications(0, 1000) if (p := to_public(app.to_domain_event(n)))]


class TestCaptureLead:
    def test_a_lead_keeps_its_phone_and_email_normalised(self, app):
        lead = app.get(Lead, capture(app, phone="+86 138-0000-0000", email=" Zhang@Huawei.COM "))
        assert lead.contact["phone"] == "13800000000"
        assert lead.contact["email"] == "zhang@huawei.com"

    def test_a_source_outside_the_configured_list_is_refused_naming_source(self, app):
        with pytest.raises(Invalid) as refused:
            capture(app, source="carrier_pigeon")
        assert refused.value.field == "source"

    def test_the_lead_sources_are_configurable(self):
        app = make_app(lead_sources=("carrier_pigeon",))
        assert capture(app, source="carrier_pigeon")

    def test_a_phone_number_without_enough_digits_is_refused_naming_the_field(self, app):
        with pytest.raises(Invalid) as refused:
            capture(app, phone="12-3")
        assert refused.value.field == "contact.phone"


class TestConvertLead:
    def test_converting_creates_account_contact_and_an_approved_deal_in_one_command(self, app):
        conversion = app.convert_lead(capture(app), DealTerms(**{**TERMS.__dict__, "name": ""}), REP)
        deal = app.get_deal(conversion.deal_id)
        assert conversion.registration_status == "approved"
        assert (deal.owner_id, deal.name, deal.source) == ("rep-1", "华为技术有限公司", "trade_fair")
        assert deal.protected_until == NOW + timedelta(days=90)
        assert deal.contacts[0]["id"] == str(conversion.contact_id)
        assert public_types(app) == ["crm.lead.captured.v1", "crm.lead.converted.v1", "crm.deal.registered.v1"]

    def test_a_lead_converts_only_once(self, app):
        lead_id = capture(app)
        first = app.convert_lead(lead_id, TERMS, REP)
        with pytest.raises(LeadAlreadyConverted) as refused:
            app.convert_lead(lead_id, TERMS, REP)
        assert refused.value.details["deal_id"] == str(first.deal_id)

    def test_converting_an_unknown_lead_is_not_found(self, app):
        with pytest.raises(NotFound):
            app.convert_lead(uuid4(), TERMS, REP)

    def test_a_close_date_already_passed_is_refused_naming_the_field(self, app):
        with pytest.raises(Invalid) as refused:
            register(app, terms=DealTerms(**{**TERMS.__dict__, "expected_close_date": date(2026, 1, 1)}))
        assert refused.value.field == "expected_close_date"


class TestDuplicateCheck:
    def test_the_same_customer_written_differently_is_refused_naming_the_deal(self, app):
        first = app.convert_lead(capture(app), TERMS, REP)
        with pytest.raises(DuplicateRegistration) as refused:
            register(app, account="华为技术 有限公司", who=REP2)
        assert refused.value.details == {"conflicting_deal_id": str(first.deal_id), "matched_on": "account_name"}

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("ACME Co., Ltd.", "acme"),
            ("ＡＣＭＥ　Inc.", "Acme"),
            ("北京字节跳动科技有限公司", "北京字节跳动科技"),
            ("Foo-Bar GmbH", "foo bar"),
        ],
    )
    def test_case_width_punctuation_and_suffixes_do_not_make_a_new_customer(self, one, other):
        assert normalise.customer_name(one) == normalise.customer_name(other)

    def test_a_shared_contact_phone_sends_the_registration_to_review_naming_the_deal(self, app):
        first = register(app, account="ACME", contacts=[{"name": "Li", "phone": "13800000000"}])
        second = register(
            app, account="ACME Trading", who=REP2, contacts=[{"name": "Li", "phone": "+86 138 0000 0000"}]
        )
        assert second.registration_status == "pending"
        assert app.get_deal(second.deal_id).conflicts == [{"deal_id": str(first.deal_id), "matched_on": "phone"}]

    def test_a_rule_set_to_refuse_refuses_on_the_email(self):
        app = make_app(duplicates=DuplicateRules(email="refuse"))
        first = register(app, account="ACME", contacts=[{"name": "Li", "email": "li@acme.com"}])
        with pytest.raises(DuplicateRegistration) as refused:
            register(app, account="Other", who=REP2, contacts=[{"name": "Li", "email": "LI@acme.com"}])
        assert refused.value.conflicting_deal_id == first.deal_id

    def test_the_email_domain_rule_ignores_free_mail_providers(self):
        app = make_app(duplicates=DuplicateRules(email_domain="refuse"))
        register(app, account="ACME", contacts=[{"name": "Li", "email": "li@qq.com"}])
        assert register(app, account="Other", who=REP2, contacts=[{"name": "Wu", "email": "wu@qq.com"}])
        register(app, account="Corp A", contacts=[{"name": "Li", "email": "li@corp-a.com"}])
        with pytest.raises(DuplicateRegistration):
            register(app, account="Corp A Trading", who=REP2, contacts=[{"name": "Wu", "email": "wu@corp-a.com"}])

    def test_per_product_line_the_same_customer_may_be_registered_once_per_line(self):
        app = make_app(duplicates=DuplicateRules(per_product_line=True))
        register(app, terms=DealTerms(**{**TERMS.__dict__, "product_line": "cloud"}))
        assert register(app, who=REP2, terms=DealTerms(**{**TERMS.__dict__, "product_line": "erp"}))
        with pytest.raises(DuplicateRegistration):
            register(app, who=REP2, terms=DealTerms(**{**TERMS.__dict__, "product_line": "Cloud"}))

    def test_a_rejected_registration_frees_the_customer(self):
        app = make_app(auto_approval=AutoApproval(min_value=Decimal("1000000")))
        first = register(app)
        app.reject(first.deal_id, "below_threshold", None, None, MANAGER)
        assert register(app, who=REP2).registration_status == "pending"  # not refused as a duplicate

    def test_a_new_deal_for_a_known_customer_is_existing_business_on_the_same_account(self, app):
        first = register(app)
        app.handle(closed_event(first.deal_id, "won"))
        second = register(app, who=REP2)
        assert app.get_deal(second.deal_id).deal_type == "existing_business"
        assert app.get_deal(second.deal_id).account_id == app.get_deal(first.deal_id).account_id


class TestThresholdsAndReview:
    def test_a_value_below_the_minimum_waits_for_review(self):
        app = make_app(auto_approval=AutoApproval(min_value=Decimal("200000")))
        done = register(app)
        assert done.registration_status == "pending"
        assert "below the auto-approval minimum" in done.review_reasons[0]

    def test_a_close_date_too_far_away_waits_for_review(self):
        app = make_app(auto_approval=AutoApproval(max_months_to_close=1))
        done = register(app, terms=DealTerms(**{**TERMS.__dict__, "expected_close_date": date(2027, 6, 1)}))
        assert done.registration_status == "pending"

    def test_a_manager_approval_starts_the_protection_period(self):
        app = make_app(auto_approval=AutoApproval(min_value=Decimal("200000")), protection_days=30)
        done = register(app)
        deal = app.approve(done.deal_id, MANAGER)
        assert (deal.registration_status, deal.protected_until) == ("approved", NOW + timedelta(days=30))
        assert public_types(app)[-1] == "crm.deal.registration_approved.v1"

    def test_only_a_pending_registration_is_approved_or_rejected(self, app):
        done = register(app)
        with pytest.raises(RegistrationNotPending):
            app.approve(done.deal_id, MANAGER)
        with pytest.raises(RegistrationNotPending):
            app.reject(done.deal_id, "other", None, None, MANAGER)

    def test_a_rejection_names_its_reason_and_the_conflicting_deal(self):
        app = make_app(auto_approval=AutoApproval(min_value=Decimal("200000")))
        first, second = register(app), register(app, account="Other")
        app.reject(second.deal_id, "conflict", first.deal_id, "same project", MANAGER)
        rejected = [
            p
            for n in app.read_notifications(0, 100)
            if (p := to_public(app.to_domain_event(n))) and "rejected" in p.type
        ]
        assert rejected[0].data["reason"] == "conflict"
        assert rejected[0].data["conflicting_deal_id"] == str(first.deal_id)


class TestOwnership:
    def test_a_manager_reassigns_and_the_history_says_who_when_why(self, app):
        done = register(app)
        deal = app.assign(done.deal_id, "rep-2", MANAGER)
        assert deal.owner_id == "rep-2"
        assert [(h["owner_id"], h["reason"], h["by"]) for h in deal.ownership] == [
            ("rep-1", "registration", "rep-1"),
            ("rep-2", "reassignment", "mgr-1"),
        ]
        assert public_types(app)[-1] == "crm.deal.assigned.v1"

    def test_assigning_to_the_current_owner_is_refused(self, app):
        with pytest.raises(AlreadyOwner):
            app.assign(register(app).deal_id, "rep-1", MANAGER)

    def test_a_recycled_deal_waits_in_the_pool_and_another_rep_claims_it(self, app):
        done = register(app)
        app.recycle(done.deal_id, "manual", "left the company", MANAGER)
        assert app.get_deal(done.deal_id).in_pool
        deal = app.claim(done.deal_id, REP2)
        assert (deal.owner_id, deal.in_pool, deal.ownership[-1]["reason"]) == ("rep-2", False, "claim")

    def test_only_a_deal_in_the_pool_can_be_claimed(self, app):
        with pytest.raises(NotInPool):
            app.claim(register(app).deal_id, REP2)

    def test_the_previous_owner_reclaims_only_after_the_cooldown(self):
        clock = FixedClock(NOW)
        app = RegistrationApplication(clock=clock, rules=Rules(reclaim_cooldown_days=7))
        done = register(app)
        app.recycle(done.deal_id, "manual", None, MANAGER)
        with pytest.raises(ReclaimCooldown):
            app.claim(done.deal_id, REP)
        clock.advance(days=7)
        assert app.claim(done.deal_id, REP).owner_id == "rep-1"

    def test_a_rep_at_the_holding_limit_can_neither_register_claim_nor_be_assigned_more(self):
        app = make_app(holding_limit=2)
        register(app, account="A")
        register(app, account="B")
        with pytest.raises(HoldingLimitReached):
            register(app, account="C")
        other = register(app, account="D", who=REP2)
        with pytest.raises(HoldingLimitReached):
            app.assign(other.deal_id, "rep-1", MANAGER)
        app.recycle(other.deal_id, "manual", None, MANAGER)
        with pytest.raises(HoldingLimitReached):
            app.claim(other.deal_id, REP)

    def test_recycling_and_closing_free_a_slot_in_the_holdings(self):
        app = make_app(holding_limit=1)
        first = register(app, account="A")
        app.recycle(first.deal_id, "manual", None, MANAGER)
        second = register(app, account="B")
        app.handle(closed_event(second.deal_id, "lost"))
        assert register(app, account="C")

    def test_per_rep_limits_override_the_default(self):
        app = make_app(holding_limit=1, holding_limits={"rep-1": 2})
        register(app, account="A")
        assert register(app, account="B")


class TestRecycling:
    def make(self, **recycling) -> tuple[RegistrationApplication, FixedClock]:
        clock = FixedClock(NOW)
        return RegistrationApplication(clock=clock, rules=Rules(recycling=Recycling(**recycling))), clock

    def test_a_deal_nobody_works_is_warned_then_recycled_to_the_pool(self):
        app, clock = self.make()
        done = register(app, terms=DealTerms(**{**TERMS.__dict__, "expected_close_date": date(2027, 6, 1)}))
        clock.advance(days=27)
        assert sweep(app, [done.deal_id]) == {"warned": 1, "recycled": 0}
        assert sweep(app, [done.deal_id]) == {"warned": 0, "recycled": 0}  # once per due date
        clock.advance(days=3)
        assert sweep(app, [done.deal_id]) == {"warned": 0, "recycled": 1}
        deal = app.get_deal(done.deal_id)
        assert deal.in_pool and deal.previous_owner_id == "rep-1"
        assert public_types(app)[-2:] == ["crm.deal.recycle_warned.v1", "crm.deal.recycled.v1"]
        assert sweep(app, [done.deal_id]) == {"warned": 0, "recycled": 0}  # idempotent

    def test_pipeline_activity_postpones_the_stale_recycle(self):
        app, clock = self.make()
        done = register(app, terms=DealTerms(**{**TERMS.__dict__, "expected_close_date": date(2027, 6, 1)}))
        clock.advance(days=20)
        app.handle(activity_event(done.deal_id, at=clock.now()))
        clock.advance(days=15)
        assert sweep(app, [done.deal_id]) == {"warned": 0, "recycled": 0}

    def test_a_close_date_passed_by_the_grace_period_recycles(self):
        app, clock = self.make(
            default={"stale_days": None, "close_date_grace_days": 10, "recycle_when_protection_expires": False}
        )
        done = register(app)  # closes 2026-12-15
        clock.advance(days=23 + 10 + 1)
        assert sweep(app, [done.deal_id])["recycled"] == 1
        assert app.get_deal(done.deal_id).ownership[-1]["reason"] == "recycled: close_date_passed"

    def test_protection_expiry_recycles_when_the_policy_says_so(self):
        app, clock = self.make(default={"stale_days": None, "close_date_grace_days": None})
        done = register(app, terms=DealTerms(**{**TERMS.__dict__, "expected_close_date": date(2027, 6, 1)}))
        clock.advance(days=90)
        assert sweep(app, [done.deal_id])["recycled"] == 1
        assert app.get_deal(done.deal_id).ownership[-1]["reason"] == "recycled: protection_expired"

    def test_a_customer_level_policy_overrides_the_deal_type_policy_and_the_default(self):
        recycling = Recycling(
            by_deal_type={"new_business": PolicyOverride(stale_days=10)},
            by_customer_level={"A": PolicyOverride(stale_days=60)},
        )
        assert recycling.policy_for("new_business", None).stale_days == 10
        assert recycling.policy_for("new_business", "A").stale_days == 60
        assert recycling.policy_for("existing_business", "B").stale_days == 30

    def test_a_closed_deal_is_never_recycled(self):
        app, clock = self.make()
        done = register(app)
        app.handle(closed_event(done.deal_id, "won"))
        clock.advance(days=400)
        assert sweep(app, [done.deal_id]) == {"warned": 0, "recycled": 0}


def closed_event(deal_id, outcome: str, sequence: int = 5):
    from shared.contracts import CloudEvent, Money, parse_event
    from shared.contracts import events as public

    data = public.DealClosed(deal_id=str(deal_id), outcome=outcome, value=Money(amount=Decimal("1")))
    return parse_event(
        CloudEvent.of(
            data,
            source="crm/pipeline",
            subject=str(deal_id),
            sequence=sequence,
            time=NOW,
            actor="rep-1",
            correlation_id="c",
        ).to_bytes()
    )


def activity_event(deal_id, at: datetime, sequence: int = 3):
    from shared.contracts import CloudEvent, parse_event
    from shared.contracts import events as public

    data = public.DealActivityLogged(
        deal_id=str(deal_id), activity_id="a1", kind="call", subject="called", occurred_at=at
    )
    return parse_event(
        CloudEvent.of(
            data,
            source="crm/pipeline",
            subject=str(deal_id),
            sequence=sequence,
            time=at,
            actor="rep-1",
            correlation_id="c",
        ).to_bytes()
    )


@pytest.mark.parametrize(("one", "other"), [("Tesco", "TES"), ("Zinc", "Z Inc"), ("Unlimited", "UN")])
def test_a_suffix_counts_only_as_a_whole_word(one, other):
    assert normalise.customer_name(one) != normalise.customer_name(other)
