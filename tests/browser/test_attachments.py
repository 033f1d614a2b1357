"""Files on the deal page's activities in a real Chromium against the real embedded server:
a rep attaches a photo to a call, sees its thumbnail, downloads it as sent; a file of a
refused type is named in an alert and attaches nothing."""

from __future__ import annotations

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what is missing
    expect = None

from tests.browser.board_page import deal_by_name, identity, keep, register_by_api
from tests.support import files


def test_a_rep_attaches_a_photo_to_a_call_sees_its_thumbnail_and_downloads_it(new_page, api, server, tmp_path):
    register_by_api(api, "rep-1", "样品 ERP", "样品百货")
    deal_id = deal_by_name(api, "rep-1", "样品 ERP")["deal_id"]
    logged = api.post(
        f"/pipeline/deals/{deal_id}/activities", headers=identity("rep-1"), json={"kind": "call", "subject": "样品照片"}
    )
    activity_id = logged.json()["activity_id"]
    photo = tmp_path / "sample.png"
    photo.write_bytes(files.image("PNG", size=(800, 600)))

    page = new_page("rep-1", locale="en-US")
    page.goto(f"{server.url}/deals/{deal_id}")
    box = page.get_by_test_id(f"files-{activity_id}")
    expect(box.get_by_role("button", name="Attach a file")).to_be_visible()
    box.locator("input[type=file]").set_input_files(str(photo))

    expect(box.get_by_role("img", name="sample.png")).to_be_visible()  # the thumbnail, fetched with the identity
    link = box.get_by_text("sample.png", exact=True)
    expect(link).to_be_visible()
    box.scroll_into_view_if_needed()
    keep(page, "attachments-en.png")
    with page.expect_download() as started:
        link.click()
    saved = tmp_path / "downloaded"
    started.value.save_as(saved)
    assert started.value.suggested_filename == "sample.png"
    assert saved.read_bytes() == photo.read_bytes()

    refused = tmp_path / "tool.pdf"
    refused.write_bytes(b"MZ\x90\x00" + b"\x00" * 300)
    box.locator("input[type=file]").set_input_files(str(refused))
    expect(box.get_by_role("alert")).to_contain_text("tool.pdf was not attached")
    listed = api.get(f"/pipeline/deals/{deal_id}/attachments", headers=identity("rep-1")).json()["items"]
    assert [a["name"] for a in listed] == ["sample.png"]


def test_an_auditor_sees_the_files_and_no_upload_in_chinese(new_page, api, server):
    register_by_api(api, "rep-1", "附件 ERP", "附件百货")
    deal_id = deal_by_name(api, "rep-1", "附件 ERP")["deal_id"]
    rep = identity("rep-1")
    activity_id = api.post(
        f"/pipeline/deals/{deal_id}/activities", headers=rep, json={"kind": "meeting", "subject": "合同"}
    ).json()["activity_id"]
    url = f"/pipeline/deals/{deal_id}/activities/{activity_id}/attachments"
    assert api.post(url, headers=rep, files={"file": ("合同.pdf", files.pdf())}).status_code == 201

    page = new_page("aud-1", role="auditor", teams="", locale="zh-CN")
    page.goto(f"{server.url}/deals/{deal_id}")
    box = page.get_by_test_id(f"files-{activity_id}")
    expect(box.get_by_text("合同.pdf", exact=True)).to_be_visible()
    expect(box.get_by_role("button", name="上传附件")).to_have_count(0)
