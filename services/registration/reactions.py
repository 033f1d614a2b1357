"""What registration does when the pipeline reports on a deal: the consumer's handle.

A stage change, a logged activity or an update counts as work on the deal (the stale
recycle waits again) and may move its expected close date; a close frees the deal's
customer keys and its owner's slot, and a win counts toward its account's tier (RFM, here
because registration keeps the accounts: the won deal's account is registration's own
aggregate, so counting the win and changing the tier is one atomic save). Every event arrives at least once: the deal keeps the
last sequence it applied from each source, so a redelivered event changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.tiers import rfm
from shared.contracts import ReceivedEvent
from shared.contracts import events as public
from shared.eventstore.application import meta_from

if TYPE_CHECKING:
    from services.registration.application import RegistrationApplication

WORK = (public.DealStageChanged, public.DealActivityLogged, public.DealUpdated)


def react(app: RegistrationApplication, received: ReceivedEvent) -> tuple[Aggregate, ...]:
    """The aggregates the event changed, for the caller to save (`handle`, or `handle_batch`
    for a whole poll); other event types change nothing."""
    data = received.data
    if not isinstance(data, (public.DealClosed, *WORK)):
        return ()
    upstream = (received.envelope.source, received.sequence)
    deal = app.unseen(data.deal_id, upstream)
    if deal is None:
        return ()
    who = meta_from(received.envelope)
    if isinstance(data, public.DealClosed):
        deal.close(data.outcome, upstream, who, data.value.amount, data.value.currency)
        closed_on = data.closed_on or received.envelope.time.date()
        won = count_win(app, deal, data.value.amount, data.value.currency, closed_on, who)
        return (deal, *app.let_go(deal, who, keys=True), *won)
    deal.note_activity(received.envelope.time, new_close_date(data), upstream, who)
    return (deal,)


def count_win(
    app: RegistrationApplication, deal: Deal, amount: Decimal, currency: str, closed_on: date, who: dict[str, str]
) -> tuple[Aggregate, ...]:
    """A won deal counts toward its account's RFM (once), which may change its tier (an
    event only when it does); the account, if the win was new to it."""
    account = app.find(Account, deal.account_id)
    if deal.outcome != "won" or account is None or not account.note_won(deal.id, amount, currency, closed_on, who):
        return ()
    today = app.clock.now().date()
    account.retier(rfm(account.wins, today, app.rules.tiers), today, who)
    return (account,)


def new_close_date(data: public.EventData) -> date | None:
    """The expected close date the event sets, if it sets one."""
    if isinstance(data, public.DealStageChanged):
        return data.expected_close_date
    if isinstance(data, public.DealUpdated) and "expected_close_date" in data.changes:
        return date.fromisoformat(str(data.changes["expected_close_date"]["after"]))
    return None
