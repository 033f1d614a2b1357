"""Files on a deal's activities through the HTTP API, embedded (blobs in a folder under the
data directory): upload, list, download and thumbnail with the deal's reach, and each
refusal (403, 404, 413, 415, 422) recording nothing and storing no byte."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from crm.app import create_app
from tests.e2e.test_pipeline_api import deal_in_pipeline
from tests.support import files
from tests.support.embedded import embedded_settings
from tests.support.identities import AUDITOR, MANAGER, REP, REP2, WEST_MANAGER

LIMIT = 200_000


@pytest.fixture
def client(tmp_path) -> Any:
    settings = embedded_settings(tmp_path, attachment_max_bytes=LIMIT)
    with TestClient(create_app(settings)) as http:
        http.blobs = settings.data_dir / "blobs"  # where the embedded mode keeps them
        yield http


@pytest.fixture
def call(client) -> dict[str, str]:
    """A call logged on a deal of rep-1's: what the files go on."""
    deal_id = deal_in_pipeline(client)
    logged = client.post(f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "call", "subject": "样品"})
    assert logged.status_code == 201
    return {"deal_id": deal_id, "activity_id": logged.json()["activity_id"]}


def url(call: dict[str, str], tail: str = "") -> str:
    return f"/pipeline/deals/{call['deal_id']}/activities/{call['activity_id']}/attachments{tail}"


def blobs(client) -> list[Path]:
    folder = Path(client.blobs)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def recorded(client) -> int:
    return client.app.state.services["pipeline"].app.recorder.max_notification_id() or 0


def test_a_photo_is_kept_by_its_hash_listed_on_the_deal_and_downloaded_as_sent(client, call):
    photo = files.image("JPEG", size=(800, 600))
    added = client.post(url(call), headers=REP, files={"file": ("样品照片.jpg", photo, "application/octet-stream")})
    assert added.status_code == 201, added.text
    attachment = added.json()
    assert attachment["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (attachment["name"], attachment["media_type"], attachment["size"], attachment["by"]) == (
        "样品照片.jpg",
        "image/jpeg",  # from the content, not from what the client said
        len(photo),
        "rep-1",
    )
    assert attachment["thumbnail_sha256"] is not None

    deal = client.get(f"/pipeline/deals/{call['deal_id']}", headers=MANAGER).json()
    [activity] = [a for a in deal["activities"] if a["activity_id"] == call["activity_id"]]
    assert activity["attachments"] == [attachment]
    listed = client.get(f"/pipeline/deals/{call['deal_id']}/attachments", headers=AUDITOR)
    assert listed.json() == {"items": [attachment]}

    for ref in (attachment["attachment_id"], attachment["sha256"]):
        got = client.get(url(call, f"/{ref}"), headers=REP)
        assert got.status_code == 200
        assert got.content == photo
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E6%A0%B7%E5%93%81%E7%85%A7%E7%89%87.jpg" in got.headers["content-disposition"]

    small = client.get(url(call, f"/{attachment['attachment_id']}/thumbnail"), headers=REP)
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(small.content)) as shown:
        assert shown.size == (256, 192)
    assert {p.name for p in blobs(client)} == {attachment["sha256"], attachment["thumbnail_sha256"]}


def test_the_same_file_twice_is_two_attachments_and_one_blob(client, call):
    pdf = files.pdf()
    first = client.post(url(call), headers=REP, files={"file": ("a.pdf", pdf)}).json()
    second = client.post(url(call), headers=REP, files={"file": ("b.pdf", pdf)}).json()
    assert first["attachment_id"] != second["attachment_id"] and first["sha256"] == second["sha256"]
    assert first["thumbnail_sha256"] is None
    assert [p.name for p in blobs(client)] == [first["sha256"]]
    assert client.get(url(call, f"/{first['attachment_id']}/thumbnail"), headers=REP).status_code == 404


def test_a_chinese_csv_saved_by_excel_downloads_with_its_own_charset(client, call):
    gbk = "名称,数量\n样品,3\n".encode("gb18030")
    added = client.post(url(call), headers=REP, files={"file": ("清单.csv", gbk)}).json()
    assert added["media_type"] == "text/csv; charset=gb18030"
    got = client.get(url(call, f"/{added['attachment_id']}"), headers=REP)
    assert got.headers["content-type"] == "text/csv; charset=gb18030"
    assert got.content == gbk and got.text == "名称,数量\n样品,3\n"


def test_a_closed_deals_files_stay_readable(client, call):
    added = client.post(url(call), headers=REP, files={"file": ("notes.txt", "报价\n".encode())}).json()
    closed = client.post(f"/pipeline/deals/{call['deal_id']}/close", headers=REP, json={"outcome": "won"})
    assert closed.status_code == 200
    got = client.get(url(call, f"/{added['attachment_id']}"), headers=REP)
    assert got.status_code == 200 and got.content == "报价\n".encode()
    assert got.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("who", "name", "data", "status", "says"),
    [
        (REP2, "a.pdf", files.pdf(), 403, None),  # a colleague's deal
        (WEST_MANAGER, "a.pdf", files.pdf(), 403, None),  # another team's
        (AUDITOR, "a.pdf", files.pdf(), 403, None),  # reads, never adds
        (REP, "setup.exe", b"MZ\x90\x00" + b"\x00" * 300, 415, "file: the content is"),
        (REP, "a.zip", files.zip_archive(), 415, "a ZIP archive"),
        (REP, "big.txt", b"x" * (LIMIT + 1), 413, f"larger than {LIMIT} bytes"),
        (REP, "quote.pdf", files.image("PNG"), 422, "the name says .pdf"),
        (REP, "empty.txt", b"", 422, "empty"),
        (REP, "broken.png", files.image("PNG")[:100], 422, "cannot be read"),
    ],
)
def test_a_refused_upload_records_nothing_and_stores_no_byte(client, call, who, name, data, status, says):
    before = recorded(client)
    refused = client.post(url(call), headers=who, files={"file": (name, data)})
    assert refused.status_code == status, refused.text
    if says is not None:
        assert says in str(refused.json()["detail"])
    if status == 422:
        assert refused.json()["detail"][0]["loc"][:2] == ["body", "file"]
    assert recorded(client) == before
    assert blobs(client) == []


@pytest.mark.parametrize(
    ("name", "why"), [(b"a\x01.pdf", "control character U+0001"), (b"../x.pdf", "may not hold a path")]
)
def test_a_name_the_text_rules_refuse_is_422_naming_the_filename(client, call, name, why):
    """Sent as raw bytes: httpx would escape the name before the server saw it."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + name + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + files.pdf() + b"\r\n--b--\r\n"
    )
    headers = REP | {"Content-Type": "multipart/form-data; boundary=b"}
    refused = client.post(url(call), headers=headers, content=body)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "file", "filename"] and why in problem["msg"]
    assert blobs(client) == []


def test_the_whole_body_over_every_limit_is_413_before_the_route_reads_it(client, call):
    refused = client.post(url(call), headers=REP, files={"file": ("huge.txt", b"x" * 7_000_000)})
    assert refused.status_code == 413
    assert blobs(client) == []


def test_files_have_the_deals_reach(client, call):
    added = client.post(url(call), headers=REP, files={"file": ("a.pdf", files.pdf())}).json()
    ref = f"/{added['attachment_id']}"
    assert client.get(url(call, ref), headers=REP2).status_code == 403
    assert client.get(url(call, ref), headers=WEST_MANAGER).status_code == 403
    assert client.get(url(call, ref + "/thumbnail"), headers=REP2).status_code == 403
    assert client.get(f"/pipeline/deals/{call['deal_id']}/attachments", headers=REP2).status_code == 403
    assert client.get(url(call, ref), headers=MANAGER).status_code == 200


def test_unknown_activities_and_files_are_404(client, call):
    unknown = dict(call, activity_id="no-such-activity")
    assert client.post(url(unknown), headers=REP, files={"file": ("a.pdf", files.pdf())}).status_code == 404
    assert blobs(client) == []
    assert client.get(url(call, "/" + "0" * 64), headers=REP).status_code == 404
    assert client.get(url(unknown, "/x"), headers=REP).status_code == 404


def test_a_file_is_found_only_through_the_deal_it_was_attached_to(client, call):
    """A hash is no key: knowing it reaches no file through another deal."""
    added = client.post(url(call), headers=REP, files={"file": ("a.pdf", files.pdf())}).json()
    other = deal_in_pipeline(client, company="Other 有限公司")
    logged = client.post(f"/pipeline/deals/{other}/activities", headers=REP, json={"kind": "note", "subject": "x"})
    elsewhere = {"deal_id": other, "activity_id": logged.json()["activity_id"]}
    assert client.get(url(elsewhere, f"/{added['sha256']}"), headers=REP).status_code == 404


def test_an_attachment_is_an_event_of_the_deals_history_on_each_store(settings, tmp_path):
    """The same upload on SQLite and on PostgreSQL: the event is stored, read back and shown."""
    with TestClient(create_app(settings)) as client:
        deal_id = deal_in_pipeline(client)
        logged = client.post(
            f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "note", "subject": "x"}
        )
        activity = {"deal_id": deal_id, "activity_id": logged.json()["activity_id"]}
        added = client.post(url(activity), headers=REP, files={"file": ("清单.csv", "名称,数量\n样品,3\n".encode())})
        assert added.status_code == 201 and added.json()["media_type"] == "text/csv; charset=utf-8"
        history = client.get(f"/pipeline/deals/{deal_id}/history", headers=AUDITOR).json()
        [event] = [e for e in history["events"] if e["event"] == "Deal.AttachmentAdded"]
        assert event["actor"] == "rep-1"
        assert event["details"] == {
            "attachment_id": added.json()["attachment_id"],
            "sha256": added.json()["sha256"],
            "media_type": "text/csv; charset=utf-8",
            "size": added.json()["size"],
        }
        got = client.get(url(activity, f"/{added.json()['sha256']}"), headers=REP)
        assert got.content.decode() == "名称,数量\n样品,3\n"
