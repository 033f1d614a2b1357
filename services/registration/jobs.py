"""Registration's scheduled work, run on every replica: the recycling sweep (自动回收), the
conversion model's training and the scoring of the open leads (智能评分), and re-tiering
the accounts as their wins age (客户分级)."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from services.registration.application import RegistrationApplication
from services.registration.domain.account import Account
from services.registration.domain.lead import Lead
from services.registration.domain.recycling import horizon
from services.registration.domain.scoremodel import SCORE_MODEL_ID, ScoreModel
from services.registration.domain.scoring import INPUTS, Insufficient, features, train
from services.registration.domain.tiers import rfm
from services.registration.queries import owned_open_deal_ids
from services.registration.queries.leads import ended_leads, open_leads, tiered_account_ids
from shared.eventstore.application import meta


def sweep_owned_deals(app: RegistrationApplication, engine: Engine) -> dict[str, int]:
    """One pass over the approved, open, owned deals the read model proposes as due or
    nearly (`recycling.horizon`). Each decision is taken on the aggregate, so a stale row
    cannot mislead it; a row a moment behind its deal (a close date just moved earlier) is
    proposed by the next pass."""
    return sweep(app, owned_open_deal_ids(engine, horizon(app.rules.recycling, app.clock.now())))


def sweep(app: RegistrationApplication, deal_ids: list[UUID]) -> dict[str, int]:
    """Warn or recycle whatever the recycling policies say is due now.

    Idempotent, and safe on several replicas at once: each decision is taken on the
    aggregate at its current version; a replica that loses the race reloads and finds
    the work done.
    """
    now = app.clock.now()
    system = meta("system", f"sweep-{now.isoformat()}")
    counts = {"warned": 0, "recycled": 0}
    for deal_id in deal_ids:
        outcome = app.sweep_deal(deal_id, now, system)
        if outcome:
            counts[outcome] += 1
    return counts


class LeadScorer:
    """Trains the conversion model on the ended leads and scores every open lead with it: on
    a schedule and on demand (`POST /registration/lead-scores/train`).

    Synchronous, on the caller's thread, one run at a time per process: the training set is
    capped (`lead_scoring.max_training_rows`, the most recent ended leads), which keeps a
    run to seconds. Safe on several replicas: the same leads train the same version, which
    the model record keeps once, and a lead's score is recorded only when it changes.
    """

    def __init__(self, app: RegistrationApplication, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self._one_at_a_time = threading.Lock()

    def run(self, who: dict[str, str] | None = None) -> dict[str, Any]:
        """Train, record a new version if it is one, score the open leads; `who` asked for it
        (default: the schedule). What came of it, as `GET /registration/lead-scores/model` says."""
        with self._one_at_a_time:
            return self._run(who or meta("system", f"lead-scores-{self.app.clock.now().isoformat()}"))

    def _run(self, who: dict[str, str]) -> dict[str, Any]:
        rules, free = self.app.rules.lead_scoring, self.app.rules.duplicates.free_email_domains
        ended = ended_leads(self.engine, rules.max_training_rows)
        labels = [1 if lead["status"] == "converted" else 0 for lead in ended]
        trained = train([features(lead, free) for lead in ended], labels, rules)
        if isinstance(trained, Insufficient):
            return {"status": "insufficient data", **vars(trained), "inputs": list(INPUTS), "model": None}
        now = self.app.clock.now()
        record = self.app.change(ScoreModel, SCORE_MODEL_ID, lambda r: r.record(trained, now, who), new=ScoreModel)
        latest = record.latest or {}
        scored: dict[str, bool] = {}  # by lead: a retried change counts once
        candidates = open_leads(self.engine)
        for lead, score in zip(candidates, trained.score([features(c, free) for c in candidates]), strict=True):

            def record_score(it: Lead, score: float = score) -> None:
                scored[str(it.id)] = it.record_score(score, latest["version"], latest["sequence"], who)

            self.app.change(Lead, UUID(lead["lead_id"]), record_score)
        return {
            "status": "trained",
            "converted": trained.converted,
            "disqualified": trained.disqualified,
            "needed": rules.min_sample,
            "needed_per_class": rules.min_per_class,
            "inputs": list(INPUTS),
            "model": latest,
            "open_leads": len(candidates),
            "scored": sum(scored.values()),
        }


def retier_accounts(app: RegistrationApplication, engine: Engine) -> dict[str, int]:
    """Re-tier every account that has won a deal, as of today: recency ages without events,
    so a tier may fall (or, with new thresholds, rise) though nothing new was won."""
    today = app.clock.now().date()
    who = meta("system", f"retier-{today.isoformat()}")
    changed: dict[UUID, bool] = {}  # by account: a retried change counts once

    def retier(account: Account) -> None:
        changed[account.id] = account.retier(rfm(account.wins, today, app.rules.tiers), today, who)

    for account_id in tiered_account_ids(engine):
        app.change(Account, account_id, retier)
    return {"accounts": len(changed), "changed": sum(changed.values())}
