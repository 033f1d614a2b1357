"""The one way money is written on the wire by hand: the same document the Money contract makes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.contracts import Money, money


@pytest.mark.parametrize(
    "amount", [Decimal("12500"), Decimal("0.5"), Decimal("-3.10"), Decimal("99999999.99"), 7, 1.25]
)
def test_money_by_hand_is_the_document_the_contract_serialises_to(amount):
    assert money(amount, "USD") == Money(amount=amount, currency="USD").model_dump(mode="json")


def test_money_by_hand_has_two_places_and_a_string_amount():
    assert money(Decimal("100000"), "CNY") == {"amount": "100000.00", "currency": "CNY"}
    assert money(2.5, "EUR") == {"amount": "2.50", "currency": "EUR"}


def test_money_by_hand_rounds_as_the_call_sites_it_replaces_did():
    for amount in (Decimal("0.125"), Decimal("0.135"), 0.125, Decimal("1234.5678")):
        assert money(amount, "CNY")["amount"] == f"{amount:.2f}"
