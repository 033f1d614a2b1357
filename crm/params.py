"""The `crm` command's own parameter types: instants and locales, checked as the command
line is read (a usage error, exit 2, naming what is wrong)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from shared.clock import in_utc

if TYPE_CHECKING:
    from babel import Locale

# The company's auditors read amounts and dates the way their own documents write them
# (¥1,234.50, 2026年10月1日), whatever the language of the shell the command runs in; the
# words around them stay English, like every message of `crm`. CRM_LOCALE=en (or
# --locale) for readers elsewhere.
DEFAULT_LOCALE = "zh_CN"


class Instant(click.ParamType[datetime, Any]):
    """An ISO 8601 instant; UTC when it names no zone."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 instant (2026-10-01, 2026-10-01T09:30+08:00, …)", param, ctx)
        return in_utc(moment)


class BabelLocale(click.ParamType["Locale", "str | Locale"]):  # quoted: Babel loads lazily
    """A locale Babel knows (zh_CN, zh-CN, en, de_DE, …)."""

    name = "locale"

    def convert(self, value: str | Locale, param: click.Parameter | None, ctx: click.Context | None) -> Locale:
        if not isinstance(value, str):
            return value
        from crm.display import parse_locale

        try:
            return parse_locale(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)
