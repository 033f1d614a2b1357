"""Leads end (converted or disqualified), and the conversion model learns from how they
ended: trained on a synthetic set where one field decides, refusing too small a sample,
versioned by what it learned from."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.registration.application import RegistrationApplication
from services.registration.domain.lead import Lead
from services.registration.domain.scoremodel import SCORE_MODEL_ID, ScoreModel
from services.registration.domain.scoring import INPUTS, Insufficient, Model, features, train
from services.registration.domain.terms import DealTerms
from services.registration.errors import LeadAlreadyConverted, LeadDisqualified
from services.registration.publishing import to_public
from services.registration.rules import LeadScoring, Rules
from shared.clock import FixedClock
from shared.eventstore.application import meta

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REP = meta("rep-1", "corr-1")
FREE = Rules().duplicates.free_email_domains
RULES = LeadScoring()


@pytest.fixture
def app() -> RegistrationApplication:
    return RegistrationApplication(clock=FixedClock(NOW), rules=Rules())


def capture(app: RegistrationApplication) -> Lead:
    lead_id = app.capture_lead(company="ACME", contact={"name": "Li"}, source="website", region="east", meta=REP)
    return app.get_lead(lead_id)


def public_types(app: RegistrationApplication) -> list[str]:
    return [p.type for n in app.read_notifications(0, 1000) if (p := to_public(app.to_domain_event(n)))]


class TestDisqualify:
    def test_a_disqualified_lead_ends_with_its_reason_and_a_public_event(self, app):
        lead = app.disqualify_lead(capture(app).id, "no budget this year", REP)
        assert (lead.status, lead.disqualified_reason) == ("disqualified", "no budget this year")
        assert public_types(app)[-1] == "crm.lead.disqualified.v1"

    def test_a_disqualified_lead_can_be_neither_converted_nor_disqualified_again(self, app):
        lead_id = capture(app).id
        app.disqualify_lead(lead_id, "duplicate", REP)
        terms = DealTerms(name="", amount=Decimal(1), currency="CNY", expected_close_date=NOW.date())
        with pytest.raises(LeadDisqualified):
            app.convert_lead(lead_id, terms, REP)
        with pytest.raises(LeadDisqualified):
            app.disqualify_lead(lead_id, "again", REP)

    def test_a_converted_lead_cannot_be_disqualified(self, app):
        lead_id = capture(app).id
        terms = DealTerms(name="", amount=Decimal(1), currency="CNY", expected_close_date=NOW.date())
        app.convert_lead(lead_id, terms, REP)
        with pytest.raises(LeadAlreadyConverted):
            app.disqualify_lead(lead_id, "too late", REP)


def synthetic(n: int, seed: int = 7) -> tuple[list[dict[str, object]], list[int]]:
    """Leads where the source decides conversion (referrals convert 90%, cold calls 10%),
    the other fields noise."""
    rng = random.Random(seed)
    rows, labels = [], []
    for i in range(n):
        source = ("referral", "cold_call")[i % 2]
        lead = {
            "source": source,
            "region": rng.choice(["east", "west", "north"]),
            "industry": rng.choice(["retail", "energy", None]),
            "budget_amount": rng.choice([None, Decimal(rng.randint(1, 900000))]),
            "phone": rng.choice([None, "13800000000"]),
            "email": rng.choice([None, "a@gmail.com", "li@acme.cn"]),
        }
        rows.append(features(lead, FREE))
        labels.append(int(rng.random() < (0.9 if source == "referral" else 0.1)))
    return rows, labels


class TestTheModel:
    def test_it_learns_a_field_that_predicts_conversion(self):
        rows, labels = synthetic(400)
        model = train(rows, labels, RULES)
        assert isinstance(model, Model)
        assert model.roc_auc > 0.8
        assert (model.n, model.held_out) == (400, 100)  # a quarter held out, stratified
        referral, cold = model.score([{**rows[0], "source": "referral"}, {**rows[0], "source": "cold_call"}])
        assert referral > 0.7 > 0.3 > cold

    def test_gradient_boosting_learns_it_too(self):
        rows, labels = synthetic(400)
        model = train(rows, labels, LeadScoring(algorithm="gradient_boosting"))
        assert isinstance(model, Model) and model.roc_auc > 0.8

    def test_the_same_leads_train_the_same_model_with_the_same_version(self):
        rows, labels = synthetic(200)
        first, second = train(rows, labels, RULES), train(list(reversed(rows)), list(reversed(labels)), RULES)
        assert isinstance(first, Model) and isinstance(second, Model)
        assert first.version == second.version
        assert first.roc_auc == second.roc_auc
        assert first.score(rows[:5]) == train(rows, labels, RULES).score(rows[:5])  # type: ignore[union-attr]

    def test_the_version_changes_when_the_data_changes(self):
        rows, labels = synthetic(200)
        changed = [1 - labels[0], *labels[1:]]
        first, second = train(rows, labels, RULES), train(rows, changed, RULES)
        assert isinstance(first, Model) and isinstance(second, Model)
        assert first.version != second.version

    def test_the_version_changes_when_the_parameters_change(self):
        rows, labels = synthetic(200)
        first = train(rows, labels, RULES)
        second = train(rows, labels, LeadScoring(held_out_fraction=0.3))
        assert isinstance(first, Model) and isinstance(second, Model)
        assert first.version != second.version

    def test_below_the_minimum_sample_it_refuses_with_the_counts(self):
        rows, labels = synthetic(29)
        refused = train(rows, labels, RULES)
        assert refused == Insufficient(
            converted=sum(labels), disqualified=29 - sum(labels), needed=30, needed_per_class=5
        )

    def test_with_only_one_kind_of_ending_it_refuses_however_many(self):
        rows, _ = synthetic(100)
        refused = train(rows, [1] * 98 + [0] * 2, RULES)
        assert refused == Insufficient(converted=98, disqualified=2, needed=30, needed_per_class=5)

    def test_the_inputs_are_the_lead_fields_listed(self):
        assert set(features({"source": "website"}, FREE)) == set(INPUTS)
        corporate = features({"email": "li@acme.cn", "phone": "1", "budget_amount": Decimal("999")}, FREE)
        assert (corporate["has_company_email"], corporate["has_phone"], corporate["budget_log10"]) == (1.0, 1.0, 3.0)
        assert features({"email": "li@gmail.com"}, FREE)["has_company_email"] == 0.0


class TestRecording:
    def test_a_model_is_recorded_once_per_version_with_a_sequence(self, app):
        rows, labels = synthetic(200)
        first, second = train(rows, labels, RULES), train(rows, [1 - labels[0], *labels[1:]], RULES)
        assert isinstance(first, Model) and isinstance(second, Model)
        for model in (first, first, second):
            app.change(ScoreModel, SCORE_MODEL_ID, lambda r, m=model: r.record(m, NOW, REP), new=ScoreModel)
        record = app.get(ScoreModel, SCORE_MODEL_ID)
        assert (record.latest["version"], record.latest["sequence"]) == (second.version, 2)
        assert public_types(app).count("crm.lead.score_model_trained.v1") == 2

    def test_a_lead_records_a_new_score_and_not_the_same_one_again(self, app):
        lead = capture(app)
        model = {"version": "v1", "sequence": 1}
        for score in (0.25, 0.25, 0.5):
            app.change(Lead, lead.id, lambda it, s=score: it.record_score(s, model["version"], 1, REP))
        assert public_types(app).count("crm.lead.scored.v1") == 2
        assert app.get_lead(lead.id).score == 0.5
