"""What `crm` shows people: Rich tables and progress bars, money and dates written the way
the reader's locale writes them (Babel). JSON and CSV, which programs read, never come
through here: they stay exactly what the stores hold.

Imported only by the commands that draw something, so `crm --help` loads neither Rich nor
Babel.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from crm.replay import Progress as Watcher

# How wide a table is drawn for a file or a pipe (a terminal's own width otherwise).
PIPE_WIDTH = 240


def parse_locale(name: str) -> Locale:
    """`zh_CN`, `zh-CN`, `en`, …; ValueError naming the locale if Babel knows no such one."""
    try:
        return Locale.parse(name.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise ValueError(f"{name!r} is not a locale Babel knows (e.g. zh_CN, en_US, de)") from error


def moment(text: str, locale: Locale) -> str:
    """An ISO 8601 instant of the stores, in UTC (what the stores record and the column says)."""
    return format_datetime(datetime.fromisoformat(text).astimezone(UTC), "medium", tzinfo=UTC, locale=locale)


def day(text: str, locale: Locale) -> str:
    return format_date(date.fromisoformat(text), "medium", locale=locale)


def amount(value: str, currency: str | None, locale: Locale) -> str:
    """A decimal string of the stores as money; without a currency, as a plain number."""
    if currency is None:
        return format_decimal(Decimal(value), locale=locale)
    return format_currency(Decimal(value), currency, locale=locale)


def details(fields: dict[str, Any], locale: Locale) -> str:
    """An event's details on one line: its money and dates localised, the rest as stored."""
    rest = dict(fields)
    parts = []
    if "amount" in rest:
        parts.append(amount(rest.pop("amount"), rest.pop("currency", None), locale))
    if "expected_close_date" in rest:
        parts.append(f"expected_close_date: {day(rest.pop('expected_close_date'), locale)}")
    for name, value in rest.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{name}: {shown}")
    return "; ".join(parts)


def print_history(history: dict[str, Any], locale: Locale, console: Console | None = None) -> None:
    """A deal's history (`crm.audit.deal_history`) as three tables: its events, the spans of
    each stage, the spans of each owner."""
    console = console or _console()
    as_of = f" as of {moment(history['as_of'], locale)} (UTC)" if history["as_of"] else ""
    console.print(f"deal {history['deal_id']}{as_of}", soft_wrap=True)
    events = _table("time (UTC)", "service", "event", "actor", "reason", "details")
    for event in history["events"]:
        events.add_row(
            moment(event["time"], locale),
            event["service"],
            event["event"],
            event["actor"],
            event["reason"] or "",
            details(event["details"], locale),
        )
    console.print(events)
    for title, spans in (("stages", history["stage_spans"]), ("owners", history["owner_spans"])):
        console.print(f"{title}:")
        table = _table(title[:-1], "from (UTC)", "to (UTC)", "days")
        table.columns[-1].justify = "right"
        for span in spans:
            table.add_row(
                span["what"],
                moment(span["from"], locale),
                moment(span["to"], locale) if span["to"] else "now",
                format_decimal(span["days"], locale=locale),
            )
        console.print(table)


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # A file or a pipe has no width to fit: one line per event, as grep and less want it.
        console.width = PIPE_WIDTH
    return console


def _table(*headers: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in headers:
        # Names and times are read whole (and searched for); reasons and details may wrap.
        wraps = header in ("reason", "details")
        table.add_column(header, no_wrap=not wraps, overflow="fold")
    return table


@contextmanager
def rebuild_progress() -> Iterator[Watcher]:
    """A progress bar on stderr for each projection `crm.replay.replay` rebuilds."""
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.fields[position]}/{task.fields[target]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True, highlight=False)) as bars:
        tasks: dict[str, TaskID] = {}

        def tell(projection: str, position: int, target: int) -> None:
            if projection not in tasks:
                tasks[projection] = bars.add_task(projection, position=position, target=target)
            # An empty store is a rebuild already complete (and Rich cannot draw a total of 0).
            bars.update(
                tasks[projection],
                total=target or 1,
                completed=position if target else 1,
                position=position,
                target=target,
            )

        yield tell
