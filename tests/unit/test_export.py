"""Exports as files (`shared.web.export`): cells a spreadsheet would run are neutralised,
numbers stay numbers, and a report becomes rows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shared.web.export import export, field, neutralised, report_rows


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe_first(text):
    assert neutralised(text) == "'" + text


def test_numbers_stay_numbers_even_when_negative_and_other_text_is_untouched():
    assert neutralised(Decimal("-5.00")) == Decimal("-5.00")
    assert neutralised(-3) == -3
    assert neutralised("新城百货有限公司") == "新城百货有限公司"
    assert neutralised(None) == ""
    assert neutralised(["a", "b"]) == "a; b"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_holds_the_rows_with_chinese_intact_and_names_itself(fmt):
    rows = [{"name": "新城百货有限公司", "amount": Decimal("12.50")}, {"name": "=cmd|' /C calc'!A0", "amount": None}]
    answer = export(rows, [field("name"), field("amount")], fmt, "accounts")
    assert answer.headers["content-disposition"] == f'attachment; filename="accounts.{fmt}"'
    if fmt == "csv":
        assert answer.body.startswith("\ufeff".encode())
        read = list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))
        assert read == [["name", "amount"], ["新城百货有限公司", "12.50"], ["'=cmd|' /C calc'!A0", ""]]
    else:
        sheet = load_workbook(io.BytesIO(answer.body)).active
        read = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert read == [["name", "amount"], ["新城百货有限公司", 12.5], ["'=cmd|' /C calc'!A0", None]]
        assert sheet["A3"].data_type == "s"  # text, never a formula


def test_a_report_becomes_a_row_per_group_with_its_own_figures_repeated():
    report = {
        "period": "2026-Q4",
        "groups": [
            {
                "key": "rep-1",
                "count": 2,
                "total": [{"amount": "10.00", "currency": "CNY"}],
                "target": {"amount": "5.00", "currency": "CNY"},
            },
        ],
    }
    assert report_rows(report) == [
        {
            "period": "2026-Q4",
            "key": "rep-1",
            "count": 2,
            "total": "10.00 CNY",
            "target_amount": Decimal("5.00"),
            "target_currency": "CNY",
        }
    ]


def test_a_report_without_rows_gives_a_row_per_named_part():
    cycle = {"period": "2026", "unit": "days", "won": {"count": 1, "mean": 3.0}, "lost": {"count": 2, "mean": 5.0}}
    assert [row["part"] for row in report_rows(cycle)] == ["won", "lost"]
