"""The `crm` command line itself: what it refuses before touching a store, how it writes
money and dates for people, and how little it loads to answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import SERVICES, main
from crm.display import amount, day, moment, parse_locale, rebuild_progress

DEAL = "5a2f0000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit", "deal", "not-a-uuid"], "'not-a-uuid' is not a valid UUID"),
        (["audit", "deal", DEAL, "--format", "xml"], "'xml' is not one of 'table', 'json', 'csv'"),
        (["audit", "deal", DEAL, "--as-of", "yesterday"], "'yesterday' is not an ISO 8601 instant"),
        (["audit", "deal", DEAL, "--locale", "xx_YY"], "'xx_YY' is not a locale Babel knows"),
        (["audit", "verify", "--checkpoints-from-kafka", "--checkpoints", __file__], "name two copies: give one"),
        (["audit", "verify", "--checkpoints", "/nonexistent/checkpoints.jsonl"], "No such file or directory"),
        (["audit", "verify", "sales"], "'sales' is not one of 'registration', 'pipeline', 'forecast'"),
        (["replay"], "Missing argument 'SERVICE'"),
        (["replay", "pipeline", "--as-of", "2026-13-45"], "is not an ISO 8601 instant"),
        (["parked", "retry", "pipeline", "x"], "'x' is not a valid integer"),
        (["serve", "sales"], "'sales' is not one of 'all', 'registration', 'pipeline', 'forecast'"),
        (["serve", "--port", "80"], "No such option '--port'"),
        (["audits"], "No such command 'audits'. Did you mean 'audit'?"),
    ],
)
def test_a_usage_error_exits_2_naming_the_problem_under_the_usage(argv, message, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Usage: crm ") and "\nError: " in err and message in err


def test_a_locale_from_the_environment_is_checked_like_the_option(capsys, monkeypatch):
    monkeypatch.setenv("CRM_LOCALE", "klingon")
    assert main(["audit", "deal", DEAL]) == 2
    assert "'klingon' is not a locale Babel knows" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["audit"], ["parked"]])
def test_a_command_group_alone_shows_its_commands_and_exits_2(argv, capsys):
    assert main(argv) == 2
    assert "Commands:" in capsys.readouterr().err


def test_the_services_named_are_those_the_application_serves():
    from crm.app import SERVICES as served

    assert SERVICES == served


def test_the_command_line_is_read_without_loading_the_services_or_the_drawing(tmp_path):
    probe = (
        "import sys\n"
        "from crm.cli import main\n"
        "codes = [main(['--help']), main(['replay', '--help']), main(['replay', 'sales'])]\n"
        "heavy = ('crm.app', 'crm.audit', 'crm.replay', 'crm.display', 'fastapi', 'sqlalchemy', 'pydantic',\n"
        "         'rich', 'babel', 'services')\n"
        "print(codes, sorted(name for name in sys.modules if name.split('.')[0] in heavy or name in heavy))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines()[-1] == "[0, 0, 2] []", done.stdout + done.stderr


@pytest.mark.parametrize(
    ("locale", "money", "when", "on"),
    [
        ("zh_CN", "¥100,000.00", "2026年10月1日 01:30:00", "2026年12月28日"),
        ("zh-CN", "¥100,000.00", "2026年10月1日 01:30:00", "2026年12月28日"),
        ("en", "CN¥100,000.00", "Oct 1, 2026, 1:30:00 AM", "Dec 28, 2026"),
        ("de_DE", "100.000,00 CN¥", "01.10.2026, 01:30:00", "28.12.2026"),
    ],
)
def test_money_and_instants_are_written_as_the_locale_writes_them_instants_in_utc(locale, money, when, on):
    reader = parse_locale(locale)
    assert _spaced(amount("100000.00", "CNY", reader)) == money
    assert _spaced(moment("2026-10-01T09:30:00+08:00", reader)) == when
    assert day("2026-12-28", reader) == on


def test_an_amount_without_a_currency_is_a_plain_number():
    assert amount("1234.5", None, parse_locale("en")) == "1,234.5"


def test_the_progress_of_an_empty_stores_rebuild_is_complete(capsys):
    with rebuild_progress() as tell:
        tell("pipeline.deals", 0, 0)
        tell("registration.deals", 4, 9)
    err = capsys.readouterr().err
    assert "pipeline.deals" in err and "0/0" in err and "4/9" in err


def _spaced(text: str) -> str:
    """CLDR puts no-break spaces where people type spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")
