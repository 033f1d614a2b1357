"""Attachments as a cluster runs them: the three services as processes on PostgreSQL and the
broker, the pipeline's files in S3-compatible storage (the session's SeaweedFS). The bytes
land in the bucket, not on the process's disk, and the event stays off the public topic."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from tests.e2e.test_distributed import read_topic
from tests.support import files
from tests.support.flow import capture_and_convert, eventually, pipeline_stage
from tests.support.identities import REP, REP2
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bucket(s3) -> str:
    name = f"t-{uuid.uuid4().hex[:16]}"  # made by the pipeline on its first write
    return name


@pytest.fixture(scope="module")
def cluster(database_url, kafka, s3, bucket, tmp_path_factory):
    env = {
        "CRM_BLOB_S3_ENDPOINT": s3.endpoint,
        "CRM_BLOB_S3_BUCKET": bucket,
        "CRM_BLOB_S3_ACCESS_KEY": s3.access_key,
        "CRM_BLOB_S3_SECRET_KEY": s3.secret_key,
    }
    with running_cluster(database_url, kafka, tmp_path_factory.mktemp("attachments"), env) as running:
        yield running


def test_a_photo_goes_to_the_bucket_and_comes_back_through_the_pipeline_process(cluster, kafka, s3, bucket):
    http = cluster.http
    _, deal_id = capture_and_convert(http, company="Sample Photo Ltd")
    eventually(lambda: pipeline_stage(http, deal_id) == "prospecting")
    logged = http.post(
        f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "meeting", "subject": "样品"}
    )
    url = f"/pipeline/deals/{deal_id}/activities/{logged.json()['activity_id']}/attachments"
    photo = files.image("JPEG", size=(1200, 900))
    added = http.post(url, headers=REP, files={"file": ("样品照片.jpg", photo)})
    assert added.status_code == 201, added.text
    attachment = added.json()

    got = http.get(f"{url}/{attachment['attachment_id']}", headers=REP)
    assert got.status_code == 200 and got.content == photo
    assert http.get(f"{url}/{attachment['attachment_id']}", headers=REP2).status_code == 403
    assert http.get(f"{url}/{attachment['attachment_id']}/thumbnail", headers=REP).headers["content-type"] == (
        "image/jpeg"
    )

    from minio import Minio

    keys = {
        o.object_name
        for o in Minio(s3.endpoint.split("//")[1], s3.access_key, s3.secret_key, secure=False).list_objects(bucket)
    }
    assert keys == {attachment["sha256"], attachment["thumbnail_sha256"]}

    records = asyncio.run(read_topic(kafka, cluster.topic_prefix + "crm.pipeline", until=1000, timeout=5.0))
    types = {json.loads(r.value)["type"] for r in records if r.key.decode() == deal_id}
    assert types and not any("attachment" in t for t in types)  # internal: analytics see no file
