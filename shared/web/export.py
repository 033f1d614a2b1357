"""Lists and reports as files: `?format=csv` or `?format=xlsx` on a list or report route
answers the same rows (the same filters, the same reach) as a download instead of JSON.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text as Chinese. A text cell that
a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage return)
is written with a leading apostrophe: an export never runs what a customer's name holds.
An export holds every matching row up to `EXPORT_CAP`; when there were more, the answer
says so in `X-Export-Truncated`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fastapi import Query
from fastapi.responses import Response
from openpyxl import Workbook

Format = Literal["json", "csv", "xlsx"]
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_CAP = 20_000

FORMAT = Query(
    default="json",
    description="json (a page), or csv / xlsx: every matching row in reach as a file (up to 20,000)",
)

# What an export route declares besides its JSON answer: the two file types.
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON, or with `format` csv / xlsx the rows as a file (Content-Disposition names it)",
    }
}

Column = tuple[str, Callable[[dict[str, Any]], Any]]  # (header, the cell of a row)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A cell as written: numbers stay numbers, text a spreadsheet would run gets a `'` first."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def table(rows: Iterable[dict[str, Any]], columns: Sequence[Column]) -> list[list[Any]]:
    return [[neutralised(cell(row)) for _, cell in columns] for row in rows]


def export(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], fmt: Format, name: str, truncated: bool = False
) -> Response:
    """`rows` as a CSV or XLSX download named `<name>.<fmt>`."""
    headers = [header for header, _ in columns]
    body = table(rows, columns)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(body)
        content, media = ("\ufeff" + out.getvalue()).encode("utf-8"), CSV
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=name[:31])
        sheet.append(headers)
        for line in body:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in line])
        buffer = io.BytesIO()
        book.save(buffer)
        content, media = buffer.getvalue(), XLSX
    answer = Response(content=content, media_type=media)
    answer.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    if truncated:
        answer.headers["X-Export-Truncated"] = "true"
    return answer


def field(key: str) -> Column:
    """A column holding one field of the rows, named after it."""

    def cell(row: dict[str, Any]) -> Any:
        return row.get(key)

    return key, cell


def money_columns(prefix: str, key: str) -> list[Column]:
    """An amount of money as two columns: the amount (a number) and its currency."""
    return [
        (f"{prefix}_amount", lambda row: Decimal(row[key]["amount"]) if row.get(key) else None),
        (f"{prefix}_currency", lambda row: row[key]["currency"] if row.get(key) else None),
    ]


def _is_money(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"amount", "currency"}


def flattened(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A report's row as one line of cells: money as amount and currency, lists of money
    (one per currency) as `12500.00 CNY; 80.00 USD`, nested figures as `group.key`."""
    cells: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if _is_money(value):
            cells[f"{name}_amount"], cells[f"{name}_currency"] = Decimal(value["amount"]), value["currency"]
        elif isinstance(value, dict):
            cells |= flattened(value, f"{name}.")
        elif isinstance(value, list) and all(_is_money(v) for v in value):
            cells[name] = "; ".join(f"{v['amount']} {v['currency']}" for v in value)
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            continue  # a nested table: a report's own rows are exported, not a row's sub-rows
        else:
            cells[name] = value
    return cells


def report_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a report: its first list of rows (groups, stages, sources, points), the
    report's own scalars (its period, its grouping) repeated on each; or, when it has none,
    its named parts (a sales cycle's all / won / lost) a row each, or itself as one row."""
    scalars = {k: v for k, v in answer.items() if not isinstance(v, (list, dict))}
    for value in answer.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) and not _is_money(v) for v in value):
            return [scalars | flattened(v) for v in value]
    parts = {k: v for k, v in answer.items() if isinstance(v, dict) and not _is_money(v)}
    if parts:
        return [scalars | {"part": k} | flattened(v) for k, v in parts.items()]
    return [flattened(answer)]


def report_export(answer: dict[str, Any], fmt: Format, name: str) -> Response:
    """A report (figures, not a list) as a file: one column per cell any of its rows has."""
    rows = report_rows(answer)
    keys = list(dict.fromkeys(key for row in rows for key in row))
    return export(rows, [field(key) for key in keys], fmt, name)
