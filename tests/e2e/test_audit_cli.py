"""The auditors' command line against the stores an embedded process wrote."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from crm.app import create_app
from crm.cli import main
from shared.settings import Settings
from tests.support.flow import REP, capture_and_convert, eventually, pipeline_stage

MANAGER = {"X-User-Id": "mgr-1", "X-User-Role": "manager", "X-User-Teams": "east"}
REP2 = {"X-User-Id": "rep-2", "X-User-Role": "rep"}


@pytest.fixture
def story(tmp_path, monkeypatch):
    """A deal registered, moved twice, recycled and claimed by another rep."""
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", poll_interval=0.05))) as client:
        _, deal_id = capture_and_convert(client, company="Audit Trail Ltd")
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "needs_analysis", "reason": "call went well"})
        time.sleep(0.05)
        middle = datetime.now(UTC)
        time.sleep(0.05)
        client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal", "reason": "quote sent"})
        client.post(f"/registration/deals/{deal_id}/recycle", headers=MANAGER, json={"reason": "rep moved team"})
        client.post(f"/registration/deals/{deal_id}/claim", headers=REP2)
        eventually(lambda: client.get(f"/pipeline/deals/{deal_id}", headers=REP2).json().get("owner_id") == "rep-2")
    return deal_id, middle


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_a_deals_history_names_every_event_its_actor_and_reason_in_time_order(story, capsys):
    deal_id, _ = story
    code, out = run(capsys, "audit", "deal", deal_id, "--format", "json")
    history = json.loads(out)
    assert code == 0
    events = [(e["service"], e["event"], e["actor"], e["reason"]) for e in history["events"]]
    assert events[0] == ("registration", "Deal.Registered", "rep-1", None)
    assert ("pipeline", "Deal.StageChanged", "rep-1", "quote sent") in events
    assert ("registration", "Deal.Recycled", "mgr-1", "manual") in events
    assert ("registration", "Deal.Assigned", "rep-2", "claim") in events
    assert [e["time"] for e in history["events"]] == sorted(e["time"] for e in history["events"])
    assert [s["what"] for s in history["stage_spans"]] == ["prospecting", "needs_analysis", "proposal"]
    assert [(s["what"], s["why"]) for s in history["owner_spans"]] == [
        ("rep-1", "registration"), ("(pool)", "recycled: manual"), ("rep-2", "claim")]


def test_as_of_shows_the_deal_as_it_stood(story, capsys):
    deal_id, middle = story
    code, out = run(capsys, "audit", "deal", deal_id, "--format", "json", "--as-of", middle.isoformat())
    history = json.loads(out)
    assert [s["what"] for s in history["stage_spans"]] == ["prospecting", "needs_analysis"]
    assert history["stage_spans"][-1]["to"] is None
    assert [s["what"] for s in history["owner_spans"]] == ["rep-1"]


def test_table_and_csv_are_there_for_people_and_spreadsheets(story, capsys):
    deal_id, _ = story
    code, table = run(capsys, "audit", "deal", deal_id)
    assert code == 0 and "Deal.Recycled" in table and "stages:" in table
    code, text = run(capsys, "audit", "deal", deal_id, "--format", "csv")
    assert text.splitlines()[0] == "time,service,event,version,actor,reason,details"


def test_an_unknown_deal_says_so(story, capsys):
    assert main(["audit", "deal", "00000000-0000-0000-0000-000000000000"]) == 1


def test_replay_rebuilds_each_projection_and_finds_it_equal_then_finds_a_tampered_one(story, capsys, tmp_path):
    code, out = run(capsys, "replay", "pipeline")
    assert code == 0 and "equal to the live projection" in out
    from services.pipeline.bootstrap import bootstrap
    from services.pipeline.projections import deals

    service = bootstrap(Settings(data_dir=tmp_path / "data"))
    with service.storage.engine.begin() as connection:
        connection.execute(update(deals).values(probability=99))
    service.close()
    code, out = run(capsys, "replay", "registration")
    assert code == 0
    code, out = run(capsys, "replay", "pipeline")
    assert code == 1 and "pipeline_deals" in out
    code, out = run(capsys, "replay", "pipeline", "--replace")
    assert code == 0 and "replaced the live projection" in out
    code, out = run(capsys, "replay", "pipeline")
    assert code == 0 and "equal to the live projection" in out


def test_replay_as_of_rebuilds_the_world_as_it_was(story, capsys):
    _, middle = story
    code, out = run(capsys, "replay", "pipeline", "--as-of", middle.isoformat())
    assert code == 0 and "as of" in out and "'asof'" in out


def test_the_help_teaches_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "audit" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["replay", "--help"])
    assert "--as-of" in capsys.readouterr().out


def test_verify_finds_the_stores_intact_then_names_a_tampered_event(story, capsys, tmp_path):
    import sqlite3

    code, out = run(capsys, "audit", "verify")
    assert code == 0 and out.count("intact") == 3
    deal_id, _ = story
    with sqlite3.connect(tmp_path / "data" / "pipeline" / "events.sqlite") as connection:
        version, state = next(
            (version, bytes(state))
            for version, state in connection.execute(
                "SELECT originator_version, state FROM stored_events WHERE originator_id = ?", (deal_id.replace("-", ""),)
            )
            if b"quote sent" in bytes(state)
        )
        connection.execute(  # somebody rewrites why the deal moved
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state.replace(b"quote sent", b"no quote"), deal_id.replace("-", ""), version),
        )
    code, out = run(capsys, "audit", "verify", "pipeline")
    assert code == 1
    assert f"stream {deal_id} version {version}" in out and "altered" in out
    assert out.count("version") == 1  # only that event: the next ones still chain to its seal


def test_the_same_history_and_as_of_over_http_for_auditors_only(tmp_path):
    auditor = {"X-User-Id": "aud-1", "X-User-Role": "auditor"}
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", poll_interval=0.05))) as client:
        _, deal_id = capture_and_convert(client, company="Over HTTP Ltd")
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        time.sleep(0.05)
        before = datetime.now(UTC)
        time.sleep(0.05)
        client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal", "reason": "quote"})
        assert client.get(f"/pipeline/deals/{deal_id}/history", headers=REP).status_code == 403
        now = client.get(f"/pipeline/deals/{deal_id}/history", headers=auditor).json()
        then = client.get(f"/pipeline/deals/{deal_id}/history", headers=auditor, params={"as_of": before.isoformat()}).json()
        owners = client.get(f"/registration/deals/{deal_id}/history", headers=auditor).json()
        assert client.get("/pipeline/deals/00000000-0000-0000-0000-000000000000/history", headers=auditor).status_code == 404
    assert [s["what"] for s in now["stage_spans"]] == ["prospecting", "proposal"]
    assert now["events"][-1]["reason"] == "quote" and now["events"][-1]["actor"] == "rep-1"
    assert [s["what"] for s in then["stage_spans"]] == ["prospecting"]
    assert [s["what"] for s in owners["owner_spans"]] == ["rep-1"]
