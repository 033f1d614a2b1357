"""The auditors' command line against the stores an embedded process wrote."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime

import pytest
from babel.dates import format_datetime
from babel.numbers import format_currency
from fastapi.testclient import TestClient
from sqlalchemy import update

from crm.app import bootstrap_services, create_app
from crm.cli import main
from shared.eventstore.checkpoints import Checkpointer, checkpoint_stream, published_entries
from shared.eventstore.heads import fold
from shared.settings import Settings
from tests.support.embedded import embedded_settings
from tests.support.flow import capture_and_convert, eventually, pipeline_stage
from tests.support.identities import AUDITOR, MANAGER, REP, REP2


@pytest.fixture
def story(tmp_path, sqlite_settings, monkeypatch):
    """A deal registered, moved twice, recycled and claimed by another rep."""
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    with TestClient(create_app(sqlite_settings)) as client:
        _, deal_id = capture_and_convert(client, company="Audit Trail Ltd")
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        client.post(
            f"/pipeline/deals/{deal_id}/stage",
            headers=REP,
            json={"to_stage": "needs_analysis", "reason": "call went well"},
        )
        time.sleep(0.05)
        middle = datetime.now(UTC)
        time.sleep(0.05)
        client.post(
            f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal", "reason": "quote sent"}
        )
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
        ("rep-1", "registration"),
        ("(pool)", "recycled: manual"),
        ("rep-2", "claim"),
    ]


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


def test_the_table_writes_money_and_dates_the_way_the_readers_locale_does(story, capsys, monkeypatch):
    deal_id, middle = story
    monkeypatch.delenv("CRM_LOCALE", raising=False)
    _, text = run(capsys, "audit", "deal", deal_id, "--format", "json")
    registered = datetime.fromisoformat(json.loads(text)["events"][0]["time"])
    code, table = run(capsys, "audit", "deal", deal_id)  # zh_CN unless told otherwise
    assert code == 0 and "¥100,000.00" in table and "CN¥" not in table
    assert format_datetime(registered, "medium", tzinfo=UTC, locale="zh_CN") in table
    code, table = run(capsys, "audit", "deal", deal_id, "--locale", "en")
    assert code == 0 and "CN¥100,000.00" in table
    assert format_datetime(registered, "medium", tzinfo=UTC, locale="en") in table
    monkeypatch.setenv("CRM_LOCALE", "de-DE")
    code, table = run(capsys, "audit", "deal", deal_id)
    assert code == 0 and format_currency(100000, "CNY", locale="de_DE") in table and "100.000,00" in table
    lines = table.splitlines()
    assert lines[0] == f"deal {deal_id}" and "stages:" in lines and "owners:" in lines
    assert sum("Deal.StageChanged" in line for line in lines) == 3  # one line per event, however wide


def test_json_and_csv_are_the_same_whatever_the_locale(story, capsys, monkeypatch):
    deal_id, middle = story
    for fmt in ("json", "csv"):
        monkeypatch.delenv("CRM_LOCALE", raising=False)
        _, plain = run(capsys, "audit", "deal", deal_id, "--format", fmt, "--as-of", middle.isoformat())
        monkeypatch.setenv("CRM_LOCALE", "en_US")
        _, localised = run(
            capsys, "audit", "deal", deal_id, "--format", fmt, "--as-of", middle.isoformat(), "--locale", "de"
        )
        assert plain == localised and "100000.00" in plain


def test_the_help_teaches_the_commands(capsys):
    assert main(["--help"]) == 0
    assert "audit" in capsys.readouterr().out
    assert main(["replay", "--help"]) == 0
    assert "--as-of" in capsys.readouterr().out
    assert main(["audit", "deal", "-h"]) == 0
    assert "CRM_LOCALE" in capsys.readouterr().out


def test_verify_finds_the_stores_intact_then_names_a_tampered_event(story, capsys, tmp_path):
    import sqlite3

    code, out = run(capsys, "audit", "verify")
    assert code == 0 and out.count("intact") == 4  # every service's store
    deal_id, _ = story
    with sqlite3.connect(tmp_path / "data" / "pipeline" / "events.sqlite") as connection:
        version, state = next(
            (version, bytes(state))
            for version, state in connection.execute(
                "SELECT originator_version, state FROM stored_events WHERE originator_id = ?",
                (deal_id.replace("-", ""),),
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


def test_the_same_history_and_as_of_over_http_for_auditors_only(client):
    _, deal_id = capture_and_convert(client, company="Over HTTP Ltd")
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    time.sleep(0.05)
    before = datetime.now(UTC)
    time.sleep(0.05)
    client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal", "reason": "quote"})
    # histories have the deal's own reach
    assert client.get(f"/pipeline/deals/{deal_id}/history", headers=REP2).status_code == 403
    assert client.get(f"/pipeline/deals/{deal_id}/history", headers=REP).status_code == 200
    now = client.get(f"/pipeline/deals/{deal_id}/history", headers=AUDITOR).json()
    then = client.get(
        f"/pipeline/deals/{deal_id}/history", headers=AUDITOR, params={"as_of": before.isoformat()}
    ).json()
    owners = client.get(f"/registration/deals/{deal_id}/history", headers=AUDITOR).json()
    assert (
        client.get("/pipeline/deals/00000000-0000-0000-0000-000000000000/history", headers=AUDITOR).status_code == 404
    )
    assert [s["what"] for s in now["stage_spans"]] == ["prospecting", "proposal"]
    assert now["events"][-1]["reason"] == "quote" and now["events"][-1]["actor"] == "rep-1"
    assert [s["what"] for s in then["stage_spans"]] == ["prospecting"]
    assert [s["what"] for s in owners["owner_spans"]] == ["rep-1"]


# -- where each stream should end: the checkpoints --------------------------------------------------


def checkpointed(tmp_path, *names: str) -> None:
    """What each service's checkpoint job does on its schedule, once the story is over."""
    for name in names:
        (service,) = bootstrap_services(Settings(data_dir=tmp_path / "data"), [name])
        try:
            assert Checkpointer(service.app, name).run()
        finally:
            service.close()


def test_verify_names_a_stream_cut_short_as_truncated_and_one_deleted_whole_as_missing(story, capsys, tmp_path):
    deal_id, _ = story
    key = deal_id.replace("-", "")
    checkpointed(tmp_path, "pipeline", "registration")
    code, out = run(capsys, "audit", "verify")
    assert code == 0 and out.count("intact") == 4 and out.count("held to the checkpoint") == 2
    ((last,),) = rows(
        tmp_path, "pipeline", "SELECT max(originator_version) FROM stored_events WHERE originator_id = ?", (key,)
    )
    rows(
        tmp_path,
        "pipeline",
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        (key, last),
    )
    rows(tmp_path, "registration", "DELETE FROM stored_events WHERE originator_id = ?", (key,))  # the whole deal
    code, out = run(capsys, "audit", "verify", "pipeline")
    assert code == 1
    assert f"stream {deal_id} version {last - 1}: truncated: it ends at version {last - 1}" in out
    assert "altered" not in out and "removed" not in out
    code, out = run(capsys, "audit", "verify", "registration")
    assert code == 1 and f"stream {deal_id} version" in out and ": missing: the whole stream is gone" in out


def test_verify_names_two_swapped_events_reordered_not_altered(story, capsys, tmp_path):
    deal_id, _ = story
    key = deal_id.replace("-", "")
    states = dict(
        rows(
            tmp_path, "pipeline", "SELECT originator_version, state FROM stored_events WHERE originator_id = ?", (key,)
        )
    )
    for version, other in ((2, 3), (3, 2)):  # the two stage changes trade places
        rows(
            tmp_path,
            "pipeline",
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (states[other], key, version),
        )
    code, out = run(capsys, "audit", "verify", "pipeline")
    assert code == 1
    assert f"stream {deal_id} version 2 (notification" in out and f"stream {deal_id} version 3 (notification" in out
    assert out.count("reordered: sealed as version") == 2 and "altered" not in out


def test_replay_resumed_after_the_store_was_cut_does_not_say_equal(story, capsys, tmp_path):
    deal_id, _ = story
    code, out = run(capsys, "replay", "pipeline")
    assert code == 0 and "equal to the live projection" in out
    key = deal_id.replace("-", "")
    ((last,),) = rows(
        tmp_path, "pipeline", "SELECT max(originator_version) FROM stored_events WHERE originator_id = ?", (key,)
    )
    rows(
        tmp_path,
        "pipeline",
        "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
        (key, last),
    )
    code, out = run(capsys, "replay", "pipeline")  # resuming: what it rebuilt came from an event now gone
    assert code == 1 and "equal" not in out
    assert "no longer holds the events the earlier rebuild applied" in out and "pipeline_deals" in out
    code, out = run(capsys, "replay", "pipeline")  # rebuilt from the store as it is: it resumes again
    assert code == 1 and "no longer holds" not in out and "pipeline_deals" in out


def test_the_embedded_process_keeps_the_published_checkpoints_and_verify_holds_the_store_to_them(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    copy = tmp_path / "data" / "checkpoints.jsonl"
    settings = embedded_settings(tmp_path, checkpoint_interval_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        _, deal_id = capture_and_convert(client, company="Anchored Ltd")
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        pipeline = client.app.state.services["pipeline"].app

        def published() -> bool:
            """The copy has a checkpoint after which the pipeline store holds only checkpoints."""
            lines = copy.read_bytes().splitlines() if copy.exists() else []
            anchor = fold(published_entries(lines, "pipeline"), "copy", str(checkpoint_stream("pipeline")))
            return anchor is not None and all(
                n.originator_id == checkpoint_stream("pipeline")
                for n in pipeline.read_notifications(anchor.position, 50)
            )

        eventually(published)
    key = deal_id.replace("-", "")
    rows(
        tmp_path,
        "pipeline",
        "DELETE FROM stored_events WHERE originator_id IN (?, ?)",
        (key, checkpoint_stream("pipeline").hex),
    )  # the deal and the store's own checkpoints
    code, out = run(capsys, "audit", "verify", "pipeline")
    assert code == 0 and "no checkpoint yet" in out  # the store alone cannot tell
    code, out = run(capsys, "audit", "verify", "pipeline", "--checkpoints", str(copy))
    assert code == 1 and f"stream {deal_id} version" in out and ": missing: the whole stream is gone" in out
    assert "the published checkpoints" in out


def rows(tmp_path, service: str, sql: str, params: tuple = ()) -> list:
    """Straight at a service's stored rows, as a tamperer would."""
    with sqlite3.connect(tmp_path / "data" / service / "events.sqlite") as connection:
        return connection.execute(sql, params).fetchall()
