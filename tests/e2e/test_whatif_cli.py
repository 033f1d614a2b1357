"""`crm whatif` against the stores an embedded process wrote: the same replay as the API,
read straight from the stores, with a progress bar on stderr."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from crm.cli import main
from services.pipeline.domain.stages import DEFAULT
from shared.clock import FixedClock
from tests.support.flow import CLOSE_PERIOD
from tests.support.whatif import NOW, T0, record_history


@pytest.fixture
def stored(tmp_path, sqlite_settings, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    with TestClient(create_app(sqlite_settings, clock=FixedClock(T0))) as http:
        return record_history(http)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_whatif_recycling_names_the_deals_a_ten_day_rule_would_have_recycled(stored, capsys):
    won, open_ = stored
    days = ("--from", T0.date().isoformat(), "--to", NOW.date().isoformat())
    code, out, err = run(capsys, "whatif", "recycling", *days, "--stale-days", "10", "--format", "json")
    assert code == 0
    answer = json.loads(out)
    flagged = {d["deal_id"]: d["later_won"] for d in answer["alternative"]["deals"]}
    assert flagged == {won: True, open_: False}
    assert datetime.fromisoformat(answer["alternative"]["deals"][0]["at"]) == T0 + timedelta(days=10)
    assert "registration events" in err  # the progress bar

    code, table, _ = run(capsys, "whatif", "recycling", *days, "--stale-days", "10")
    assert code == 0
    assert "alternative (stale 10" in table and "2 recycled, 1 of them won later (100000.00 CNY)" in table
    assert "won later by rep-1" in table and "赢单科技有限公司" in table


def test_whatif_probabilities_shows_the_forecast_under_both_beside_what_was_won(stored, capsys):
    now = datetime.now(UTC).isoformat()
    argv = ("whatif", "probabilities", "--period", CLOSE_PERIOD, "-p", "prospecting=100", "--date", now)
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0
    (point,) = json.loads(out)["points"]
    shown, other = (Decimal(point[name]["forecast"][0]["amount"]) for name in ("in_force", "alternative"))
    prospecting = next(stage.probability for stage in DEFAULT.stages if stage.key == "prospecting")
    assert other - shown == Decimal("200000.00") * (100 - prospecting) / 100  # B, open in prospecting
    assert "weeks" in err
    code, table, _ = run(capsys, *argv)
    assert code == 0 and "mean absolute error" in table and "CNY" in table


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("whatif", "recycling", "--from", "2026-05-01", "--to", "2026-04-01"), "--to"),
        (("whatif", "probabilities", "--period", "2026", "-p", "proposal"), "--probability"),
        (("whatif", "probabilities", "--period", "2026-Q5", "-p", "proposal=5"), "--period"),
    ],
)
def test_bad_input_is_a_usage_error_naming_the_option(argv, named, capsys):
    assert main(list(argv)) == 2
    assert named in capsys.readouterr().err
