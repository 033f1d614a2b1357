"""The duplicate / conflict check (查重) and the auto-approval thresholds.

A registration names its customer by keys: the normalised account name (optionally per
product line), each contact's phone and e-mail, and the e-mail's company domain. A key
held by an active deal is a match; the rule for that kind of key says whether the match
refuses the registration (409), sends it to a manager's review, or does nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services.registration.domain import normalise
from services.registration.domain.deal import Deal
from services.registration.domain.indexes import CustomerKey
from services.registration.domain.terms import DealTerms
from services.registration.errors import DuplicateRegistration
from services.registration.rules import AutoApproval, DuplicateRules

Find = Callable[[type, Any], Any]


@dataclass(frozen=True)
class DuplicateCheck:
    free_keys: list[tuple[str, CustomerKey | None]]  # to claim for the new deal
    conflicts: list[dict[str, str]]  # matches that send it to review
    account_id: UUID | None  # the customer's existing account, if any


def check_duplicates(
    find: Find, rules: DuplicateRules, terms: DealTerms, account_name: str, contacts: list[dict[str, Any]]
) -> DuplicateCheck:
    """Raises DuplicateRegistration, naming the deal, for a match whose rule is `refuse`."""
    free: list[tuple[str, CustomerKey | None]] = []
    conflicts: list[dict[str, str]] = []
    account_id: UUID | None = None
    for kind, key in customer_keys(rules, terms, account_name, contacts):
        action = getattr(rules, kind)
        if action == "off":
            continue
        entry = find(CustomerKey, normalise.key_id(key))
        holder = find(Deal, entry.deal_id) if entry is not None and entry.deal_id else None
        if kind == "account_name" and entry is not None:
            account_id = entry.account_id
        if holder is None or not holder.is_active:
            free.append((key, entry))
        elif action == "refuse":
            raise DuplicateRegistration(account_name, holder.id, kind)
        elif not any(c["deal_id"] == str(holder.id) for c in conflicts):
            conflicts.append({"deal_id": str(holder.id), "matched_on": kind})
    return DuplicateCheck(free, conflicts, account_id)


def customer_keys(
    rules: DuplicateRules, terms: DealTerms, account_name: str, contacts: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    name_key = f"name:{normalise.customer_name(account_name)}"
    if rules.per_product_line and terms.product_line:
        name_key += f"|product:{normalise.customer_name(terms.product_line)}"
    keys = [("account_name", name_key)]
    for contact in contacts:
        if contact.get("phone"):
            keys.append(("phone", f"phone:{contact['phone']}"))
        if contact.get("email"):
            keys.append(("email", f"email:{contact['email']}"))
            domain = normalise.email_domain(contact["email"])
            if domain not in rules.free_email_domains:
                keys.append(("email_domain", f"domain:{domain}"))
    return list(dict.fromkeys(keys))


def threshold_reasons(rules: AutoApproval, terms: DealTerms, today: date) -> list[str]:
    """Why a registration that matches nothing still needs a manager (empty: approve now)."""
    reasons = []
    if terms.amount < rules.min_value:
        reasons.append(f"value below the auto-approval minimum of {rules.min_value}")
    latest = add_months(today, rules.max_months_to_close)
    if terms.expected_close_date > latest:
        reasons.append(f"expected to close after {latest.isoformat()}, beyond {rules.max_months_to_close} months")
    return reasons


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
