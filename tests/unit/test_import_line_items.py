"""The deals import's `line_items` column: its syntax, checked per row before anything is
recorded (the catalogue is the pipeline's, so only the syntax is checked here)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.registration.imports import MAX_LINE_ITEMS, DealRow, parse_line_items


def test_a_cell_of_several_items_reads_as_codes_quantities_prices_and_discounts():
    assert parse_line_items("ERP-STD:10; SVC.IMPL:1.5:50000.00:12.5;") == [
        {"product_code": "ERP-STD", "quantity": "10", "discount_percent": "0"},
        {"product_code": "SVC.IMPL", "quantity": "1.5", "unit_price": "50000.00", "discount_percent": "12.5"},
    ]


def test_an_empty_price_means_the_list_price_and_full_width_separators_read_as_ascii():
    assert parse_line_items("erp-std：2::10；") == [
        {"product_code": "ERP-STD", "quantity": "2", "discount_percent": "10"}
    ]


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("ERP", "is not CODE:quantity"),
        ("ERP:1:2:3:4", "is not CODE:quantity"),
        ("ERP STD:1", "product code"),
        (":1", "product code"),
        ("ERP:abc", "not a plain number"),
        ("ERP:-1", "not a plain number"),
        ("ERP:NaN", "not a plain number"),
        ("ERP:Infinity", "not a plain number"),
        ("ERP:1e3", "not a plain number"),
        ("ERP:１", "not a plain number"),  # a full-width digit is not read as a number
        ("ERP:0", "more than 0"),
        ("ERP:1000001", "at most 1000000"),
        ("ERP:1.0001", "at most 3 decimal places"),
        ("ERP:1:12.345", "at most 2 decimal places"),
        ("ERP:1:99999999999999999", "at most"),
        ("ERP:1:10:100.5", "at most 100"),
        ("ERP:1:10:-5", "not a plain number"),
    ],
)
def test_a_malformed_item_is_refused_naming_the_item_and_what_is_wrong(cell, says):
    with pytest.raises(ValueError, match="item 1") as refused:
        parse_line_items(cell)
    assert says in str(refused.value)


def test_the_second_bad_item_is_named_by_its_place():
    with pytest.raises(ValueError, match=r"item 2 \('B:x'\)"):
        parse_line_items("A:1;B:x")


def test_more_items_than_a_deal_takes_are_refused():
    with pytest.raises(ValueError, match=f"at most {MAX_LINE_ITEMS}"):
        parse_line_items(";".join(f"P{n}:1" for n in range(MAX_LINE_ITEMS + 1)))


ROW = {"name": "Cloud", "account_name": "Alpha", "amount": "1000", "expected_close_date": "2030-01-01"}


def test_a_row_refuses_a_bad_cell_naming_the_line_items_column():
    with pytest.raises(ValidationError) as refused:
        DealRow.model_validate({**ROW, "line_items": "ERP:lots"})
    assert [error["loc"] for error in refused.value.errors()] == [("line_items",)]


def test_a_row_refuses_a_nul_in_the_line_items_cell_naming_the_column():
    with pytest.raises(ValidationError) as refused:
        DealRow.model_validate({**ROW, "line_items": "ERP:1\x00"})
    assert [error["loc"] for error in refused.value.errors()] == [("line_items",)]


def test_a_row_without_the_column_has_no_line_items():
    assert DealRow.model_validate(ROW).line_items == []
