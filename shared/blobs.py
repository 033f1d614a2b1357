"""Where the bytes of files live: a blob store addressed by each file's SHA-256.

Events say which file (its hash, name, type and size); the bytes stay out of the event
store, which they would swell and which Kafka carries. A blob is written before the event
that names it is recorded, so no event points at missing bytes; writing the same bytes twice
stores them once. The app never deletes a blob: what an event once named stays readable for
as long as the event does (retention is the operator's, on the folder or the bucket).

Embedded, the blobs are files under `<data_dir>/blobs`; with `CRM_BLOB_S3_ENDPOINT` set, objects
in an S3-compatible bucket (MinIO, Ceph, a cloud's S3), which every replica of a service shares.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import urllib3

from shared.settings import Settings

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobMissing(LookupError):
    """No blob has this hash (or what is stored under it no longer hashes to it)."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"no blob {sha256}")
        self.sha256 = sha256


class BlobStoreUnavailable(RuntimeError):
    """The store did not answer, or refused (credentials, a full disk): nothing was kept."""


class BlobStore(Protocol):
    def put(self, data: bytes, media_type: str) -> str:
        """Store `data` (once: the same bytes again are a no-op) and answer its SHA-256."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`, checked against it; BlobMissing if none."""
        ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checked(sha256: str, data: bytes) -> bytes:
    if digest(data) != sha256:  # a torn or tampered copy is no copy
        raise BlobMissing(sha256)
    return data


class FolderBlobs:
    """Files under `root`, fanned out by the hash's first two digits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise BlobMissing(sha256)
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, media_type: str) -> str:
        sha256 = digest(data)
        path = self._path(sha256)
        if path.exists():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a crash leaves a stray temporary file, never a torn blob.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            return _checked(sha256, self._path(sha256).read_bytes())
        except FileNotFoundError:
            raise BlobMissing(sha256) from None


class S3Blobs:
    """Objects `<prefix><hash>` in one bucket of an S3-compatible store (the bucket is made
    on the first write that finds it missing)."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str | None,
        secret_key: str | None,
        region: str | None = None,
        prefix: str = "",
    ) -> None:
        from minio import Minio

        url = urlsplit(endpoint)
        # Bounded waits and a few retries: an unreachable store fails the upload (nothing is
        # recorded) within seconds rather than holding the request for minio's default 5 minutes.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        self.client = Minio(
            url.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=url.scheme == "https",
            region=region,
            http_client=http,
        )
        self.bucket, self.prefix = bucket, prefix

    def _key(self, sha256: str) -> str:
        if not SHA256.match(sha256):
            raise BlobMissing(sha256)
        return f"{self.prefix}{sha256}"

    def put(self, data: bytes, media_type: str) -> str:
        from minio.error import S3Error

        sha256 = digest(data)
        key = self._key(sha256)
        try:
            try:
                self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=media_type)
            except S3Error as error:
                if error.code != "NoSuchBucket":
                    raise
                self.client.make_bucket(self.bucket)
                self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=media_type)
        except (S3Error, OSError, urllib3.exceptions.HTTPError) as error:
            raise BlobStoreUnavailable(f"the object store did not keep the file: {error}") from error
        return sha256

    def get(self, sha256: str) -> bytes:
        from minio.error import S3Error

        key = self._key(sha256)
        try:
            response = self.client.get_object(self.bucket, key)
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchBucket"):
                raise BlobMissing(sha256) from None
            raise BlobStoreUnavailable(f"the object store refused the read: {error}") from error
        except (OSError, urllib3.exceptions.HTTPError) as error:
            raise BlobStoreUnavailable(f"the object store did not answer: {error}") from error
        try:
            return _checked(sha256, response.read())
        finally:
            response.close()
            response.release_conn()


def open_blobs(settings: Settings) -> BlobStore:
    """S3 when an endpoint is configured, else the folder under the data directory."""
    if settings.blob_s3_endpoint:
        secret = settings.blob_s3_secret_key
        return S3Blobs(
            settings.blob_s3_endpoint,
            settings.blob_s3_bucket,
            settings.blob_s3_access_key,
            secret.get_secret_value() if secret else None,
            settings.blob_s3_region,
            settings.blob_s3_prefix,
        )
    return FolderBlobs(settings.data_dir / "blobs")
