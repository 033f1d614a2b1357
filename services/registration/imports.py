"""Import of leads and deals from CSV or XLSX ("import opportunities from CSV and XLS").

Each row is its own command: validated, duplicate-checked, and recorded or refused on its
own, so a bad row never costs the good ones. A row's id derives from its content, so the
same file imported twice finds its rows already there and creates nothing twice.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator

from services.registration.application import RegistrationApplication
from services.registration.application.assignment import Applied
from services.registration.domain.lead import Lead
from services.registration.errors import AlreadyRegistered
from services.registration.requests import DealTermsFields
from services.registration.responses import money
from shared.errors import Conflict, Invalid
from shared.web.inputs import Currency, check_text, text_problem

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000


# -- the line_items column ------------------------------------------------------------------
# One cell per deal, so a row stays one deal (and one command, its id from its content):
# several rows per deal would make a row's meaning depend on its neighbours.

LINE_ITEMS_FORMAT = (
    "CODE:quantity[:unit_price[:discount_percent]], items separated by ';' "
    "(e.g. ERP-STD:10;SVC-IMPL:1:50000:5); no unit price (or an empty one) means the product's list price, "
    "a given one is in the row's currency; ： and ； are read as : and ;"
)
MAX_LINE_ITEMS = 200  # as many as PUT /pipeline/deals/{id}/line-items takes
MAX_QUANTITY = Decimal(1_000_000)
MAX_PRICE = Decimal("9999999999999999.99")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")  # the catalogue's product code
_NUMBER = re.compile(r"^\d+(\.\d+)?$", re.ASCII)  # plain decimals: no sign, exponent, NaN or Infinity
_WIDE = str.maketrans({"：": ":", "；": ";"})


def parse_line_items(cell: str) -> list[dict[str, str]]:
    """The cell's items as registration carries them (decimal strings), or ValueError naming
    the item and what is wrong with it. Syntax only: the catalogue is the pipeline's."""
    items = []
    for number, text in enumerate((t.strip() for t in cell.translate(_WIDE).split(";")), start=1):
        if not text:
            continue  # a trailing ';' is harmless
        where = f"item {number} ({text!r})"
        parts = [part.strip() for part in text.split(":")]
        if not 2 <= len(parts) <= 4:
            raise ValueError(f"{where} is not CODE:quantity[:unit_price[:discount_percent]]")
        code, quantity, price, discount = (parts + ["", ""])[:4]
        code = code.upper()  # the catalogue's codes are upper case: erp-std can only mean ERP-STD
        if not _CODE.match(code):
            raise ValueError(f"{where}: the product code is letters, digits, '.', '_' or '-'")
        item = {"product_code": code, "quantity": _decimal(where, "quantity", quantity, 3, MAX_QUANTITY)}
        if Decimal(item["quantity"]) == 0:
            raise ValueError(f"{where}: the quantity is more than 0")
        if price:
            item["unit_price"] = _decimal(where, "unit price", price, 2, MAX_PRICE)
        item["discount_percent"] = _decimal(where, "discount", discount, 2, Decimal(100)) if discount else "0"
        items.append(item)
    if len(items) > MAX_LINE_ITEMS:
        raise ValueError(f"a deal takes at most {MAX_LINE_ITEMS} line items")
    return items


def _decimal(where: str, what: str, text: str, places: int, most: Decimal) -> str:
    if not _NUMBER.match(text):
        raise ValueError(f"{where}: the {what} {text!r} is not a plain number such as 12 or 12.5")
    value = Decimal(text)
    if -value.as_tuple().exponent > places:  # type: ignore[operator]  # a finite decimal's exponent is an int
        raise ValueError(f"{where}: the {what} has at most {places} decimal places")
    if value > most:
        raise ValueError(f"{where}: the {what} is at most {most}")
    return str(value)


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return check_text(value) if isinstance(value, str) else value


class LeadRow(Row):
    company: str = Field(min_length=1, max_length=300)
    contact_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: EmailStr | None = None
    source: str | None = None
    region: str | None = None
    industry: str | None = None
    budget_amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=2, ge=0)
    budget_currency: Currency = "CNY"


class DealColumns(Row):
    """A deal row's columns before its terms (a refused row names its errors in this order)."""

    name: str = Field(min_length=1, max_length=300)
    account_name: str = Field(min_length=1, max_length=300)
    contact_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: EmailStr | None = None
    amount: Decimal = Field(max_digits=18, decimal_places=2, ge=0)
    currency: Currency = "CNY"


class DealRow(DealTermsFields, DealColumns):
    # The API limits the length of these three, imports never have: kept as it was, though
    # the read model's customer_level column holds only 30 characters.
    source: str | None = None
    customer_level: str | None = None
    product_line: str | None = None
    line_items: list[dict[str, str]] = Field(default=[], description=LINE_ITEMS_FORMAT)

    @field_validator("line_items", mode="before")
    @classmethod
    def _parsed(cls, value: Any) -> Any:
        return parse_line_items(value) if isinstance(value, str) else value


# Gives a created lead or deal its owner by the assignment rules (an import with `assign=rules`).
AssignByRules = Callable[[Literal["lead", "deal"], UUID], Applied]


async def import_file(
    app: RegistrationApplication,
    kind: str,
    filename: str,
    content: bytes,
    meta: dict[str, str],
    assign: AssignByRules | None = None,
) -> dict[str, Any]:
    """`assign`: the rules give each created row its owner; without it the importer owns them."""
    if len(content) > MAX_IMPORT_BYTES:
        raise HTTPException(413, detail=f"an import file holds at most {MAX_IMPORT_BYTES} bytes")
    rows = read_rows(filename, content)
    report = await asyncio.to_thread(_import_rows, app, kind, rows, meta, assign)
    summary = {
        status: sum(1 for r in report if r["status"] == status) for status in ("created", "already_imported", "refused")
    }
    return {"kind": kind, "rows": len(report), **summary, "report": report}


def read_rows(filename: str, content: bytes) -> list[dict[str, Any]]:
    if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        rows = _xlsx_rows(content)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("file", "a CSV file must be UTF-8") from None
        try:
            rows = [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]
        except csv.Error as error:  # a malformed file is the caller's to fix: 422, not 500
            raise Invalid("file", f"not a readable CSV file: {error}") from None
    if len(rows) > MAX_ROWS:
        raise Invalid("file", f"an import holds at most {MAX_ROWS} rows")
    if not rows:
        raise Invalid("file", "the file holds no rows: the first row names the columns, each further row is one record")
    for name in rows[0]:
        problem = text_problem(name or "")
        if problem:
            raise Invalid("file", f"a column name {problem}")
    return [{k.strip(): _cell(v) for k, v in row.items() if k and _cell(v) is not None} for row in rows]


def _xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # openpyxl raises many kinds for a file that is no workbook
        raise Invalid("file", f"not a readable XLSX workbook: {error}") from None
    values = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(values, ())]
    return [dict(zip(header, row, strict=False)) for row in values if any(cell is not None for cell in row)]


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(str(value)))
    text = str(value).strip()
    return text or None


def _import_rows(
    app: RegistrationApplication,
    kind: str,
    rows: list[dict[str, Any]],
    meta: dict[str, str],
    assign: AssignByRules | None,
) -> list[dict[str, Any]]:
    model = LeadRow if kind == "leads" else DealRow
    report = []
    for number, raw in enumerate(rows, start=2):  # row 1 holds the column names
        entry: dict[str, Any] = {"row": number}
        try:
            row = model.model_validate(raw)
        except ValidationError as error:
            entry |= {"status": "refused", "errors": [_error(e) for e in error.errors()]}
            report.append(entry)
            continue
        row_id = uuid5(NAMESPACE_URL, f"crm:import:{kind}:{json.dumps(_content(row), sort_keys=True)}")
        try:
            created = (
                _create_lead(app, row, row_id, meta)
                if isinstance(row, LeadRow)
                else _create_deal(app, row, row_id, meta)
            )
            entry |= created
            if assign is not None:
                # A row already imported keeps the owner it was given then: only new ones are assigned.
                done = assign("lead" if isinstance(row, LeadRow) else "deal", row_id)
                entry["assignment"] = {
                    "outcome": done.outcome,
                    "owner_id": done.owner_id,
                    "rule": done.rule,
                    "reasons": done.reasons,
                }
        except (AlreadyRegistered, AlreadyImported):
            entry |= {"status": "already_imported", "id": str(row_id)}
        except Invalid as error:
            entry |= {"status": "refused", "errors": [{"field": error.field, "msg": str(error)}]}
        except Conflict as error:
            entry |= {"status": "refused", "errors": [{"field": None, "msg": str(error)}], "conflict": error.details}
        report.append(entry)
    return report


class AlreadyImported(Exception):
    pass


def _create_lead(app: RegistrationApplication, row: LeadRow, lead_id: Any, meta: dict[str, str]) -> dict[str, Any]:
    if app.find(Lead, lead_id) is not None:
        raise AlreadyImported
    app.capture_lead(
        company=row.company,
        contact={"name": row.contact_name, "phone": row.phone, "email": row.email},
        source=row.source,
        region=row.region,
        industry=row.industry,
        budget=money(row.budget_amount, row.budget_currency) if row.budget_amount else None,
        meta=meta,
        lead_id=lead_id,
    )
    return {"status": "created", "id": str(lead_id)}


def _create_deal(app: RegistrationApplication, row: DealRow, deal_id: Any, meta: dict[str, str]) -> dict[str, Any]:
    contacts = [{"name": row.contact_name, "phone": row.phone, "email": row.email}] if row.contact_name else []
    terms = replace(row.terms(row.name, row.amount, row.currency), line_items=tuple(row.line_items))
    done = app.register_deal(
        terms,
        account_name=row.account_name,
        contacts=contacts,
        meta=meta,
        deal_id=deal_id,
    )
    created = {"status": "created", "id": str(done.deal_id), "registration_status": done.registration_status}
    # Registration knows no catalogue: whether each product exists, is still sold and is
    # priced in the deal's currency is the pipeline's to say when it starts tracking the deal.
    return created | ({"line_items": "accepted for pricing"} if row.line_items else {})


def _content(row: Row) -> dict[str, Any]:
    """What the row's id derives from; a row without line items leaves the column out, so
    its id is the one it had before the column existed and a file imported again matches."""
    content = row.model_dump(mode="json")
    if not content.get("line_items", True):
        del content["line_items"]
    return content


def _error(error: Any) -> dict[str, str]:
    return {"field": ".".join(str(part) for part in error["loc"]), "msg": error["msg"]}
