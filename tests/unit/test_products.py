"""The catalogue and line items, in memory: a deal's value is the sum of its lines, each
rounded half-up to the cent; a price in another currency and a retired product are refused."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.pipeline.application import PipelineApplication
from services.pipeline.domain.lineitems import line_net
from services.pipeline.domain.products import Product
from services.pipeline.errors import DealNotInPipeline, ProductExists
from services.pipeline.publishing import to_public
from shared.clock import FixedClock
from shared.contracts import events as public
from shared.contracts import parse_event
from shared.errors import Invalid
from tests.unit.test_pipeline import ADMIN, NOW, REP, registered


@pytest.fixture
def app() -> PipelineApplication:
    return PipelineApplication(clock=FixedClock(NOW))


def product(app, code: str, line: str = "erp", price: str = "100.00", currency: str = "CNY") -> Product:
    fields = {"code": code, "name_zh": f"产品{code}", "name_en": None, "product_line": line, "unit": "套"}
    return app.add_product({**fields, "list_price": {"amount": price, "currency": currency}}, ADMIN)


def deal(app, **kwargs) -> str:
    deal_id = str(uuid4())
    app.handle(registered(deal_id, **kwargs))
    return deal_id


def item(code: str, quantity: str = "1", price: str | None = None, discount: str = "0", currency: str = "CNY"):
    unit_price = None if price is None else {"amount": price, "currency": currency}
    return {
        "product_code": code,
        "quantity": Decimal(quantity),
        "unit_price": unit_price,
        "discount_percent": Decimal(discount),
    }


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "net"),
    [
        ("3", "100.00", "0", "300.00"),
        ("2", "50000.00", "10", "90000.00"),
        ("1", "0.05", "50", "0.03"),  # 0.025: half-up, not half-even
        ("1", "0.15", "50", "0.08"),  # 0.075
        ("3", "33.33", "33.33", "66.66"),  # 66.6633...
        ("1.5", "19.99", "0", "29.99"),  # 29.985
        ("7", "100.00", "100", "0.00"),
    ],
)
def test_a_lines_net_is_quantity_times_price_less_the_discount_rounded_half_up(quantity, price, discount, net):
    assert line_net(Decimal(quantity), Decimal(price), Decimal(discount)) == Decimal(net)


def test_a_deals_value_is_the_sum_of_its_lines(app):
    product(app, "ERP", price="0.05")
    product(app, "CRM", line="crm", price="19.99")
    deal_id = deal(app)
    changed = app.set_line_items(deal_id, [item("ERP", discount="50"), item("CRM", quantity="1.5")], REP)
    assert [line["net"] for line in changed.line_items] == ["0.03", "29.99"]
    assert (changed.amount, changed.currency) == (Decimal("30.02"), "CNY")


def test_an_edit_of_the_items_publishes_them_and_the_value_change_as_a_value_edit_does(app):
    product(app, "ERP", price="1000.00")
    product(app, "CRM", line="crm", price="10.00")
    deal_id = deal(app)
    app.set_line_items(deal_id, [item("ERP", quantity="2"), item("CRM", quantity="5", discount="10")], REP)
    recorded = app.events.get(UUID(deal_id))
    published = [parse_event(cloud.to_bytes()).data for e in recorded if (cloud := to_public(e)) is not None]
    changed = next(d for d in published if isinstance(d, public.DealLineItemsChanged))
    assert {line: value.amount for line, value in changed.product_lines.items()} == {
        "erp": Decimal("2000.00"),
        "crm": Decimal("45.00"),
    }
    assert changed.value is not None and changed.value.amount == Decimal("2045.00")
    updated = [d for d in published if isinstance(d, public.DealUpdated)]
    assert updated[-1].changes == {
        "value": {
            "before": {"amount": "200000.00", "currency": "CNY"},
            "after": {"amount": "2045.00", "currency": "CNY"},
        }
    }


def test_a_unit_price_in_another_currency_is_refused_naming_it(app):
    product(app, "ERP")
    deal_id = deal(app)
    with pytest.raises(Invalid) as refused:
        app.set_line_items(deal_id, [item("ERP", price="10.00", currency="USD")], REP)
    assert refused.value.field == "items.0.unit_price.currency"
    assert app.get_deal(deal_id).line_items == []


def test_a_list_price_in_another_currency_needs_a_unit_price_in_the_deals(app):
    product(app, "ERP", currency="USD")
    deal_id = deal(app)
    with pytest.raises(Invalid) as refused:
        app.set_line_items(deal_id, [item("ERP")], REP)
    assert refused.value.field == "items.0.unit_price"
    assert app.set_line_items(deal_id, [item("ERP", price="700.00")], REP).amount == Decimal("700.00")


def test_a_retired_product_is_refused_on_a_new_line_but_stays_where_it_is(app):
    product(app, "OLD")
    has_it, lacks_it = deal(app), deal(app)
    app.set_line_items(has_it, [item("OLD")], REP)
    app.retire_product("OLD", ADMIN)
    with pytest.raises(Invalid) as refused:
        app.set_line_items(lacks_it, [item("OLD")], REP)
    assert refused.value.field == "items.0.product_code"
    assert app.set_line_items(has_it, [item("OLD", quantity="4")], REP).amount == Decimal("400.00")


def test_a_product_code_is_added_once(app):
    product(app, "ERP")
    with pytest.raises(ProductExists):
        product(app, "ERP")


def test_a_deal_not_yet_in_a_pipeline_takes_no_items(app):
    product(app, "ERP")
    deal_id = deal(app, status="pending")
    with pytest.raises(DealNotInPipeline):
        app.set_line_items(deal_id, [item("ERP")], REP)


def test_a_product_edit_records_only_what_changes(app):
    product(app, "ERP")
    changed = app.change_product("ERP", {"unit": "套", "name_en": "ERP"}, ADMIN)
    assert changed.version == 2 and changed.name_en == "ERP"
    assert app.change_product("ERP", {"unit": "套"}, ADMIN).version == 2
