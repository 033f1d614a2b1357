"""Answering with a file: how the OpenAPI document declares it, and the Content-Disposition
header that names it (RFC 6266: an ASCII fallback for old clients, the UTF-8 name for the
rest, so that 样品照片.jpg downloads under its own name)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import Response

from shared.blobs import BlobMissing, BlobStore, BlobStoreUnavailable
from shared.web.responses import ErrorBody

RETRY_AFTER = "5"  # seconds: a blob store that did not answer is asked again soon


def binary(media_types: Iterable[str], description: str) -> dict[int | str, dict[str, Any]]:
    """A route's 200: bytes of one of `media_types`."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types},
        }
    }


def unsupported(description: str) -> dict[int | str, dict[str, Any]]:
    return {415: {"model": ErrorBody, "description": description}}


def content_disposition(disposition: str, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in ascii_name).strip() or "file"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(blobs: BlobStore, sha256: str, media_type: str, name: str, disposition: str) -> Response:
    """The blob under `sha256` as a download (`attachment`) or for display (`inline`); 503
    when the store does not answer or no longer holds what an event says it was given."""
    try:
        data = blobs.get(sha256)
    except BlobMissing:  # an event names it, so it was written: the store lost it
        raise HTTPException(503, detail=f"the file's bytes ({sha256}) are not in the blob store") from None
    except BlobStoreUnavailable as error:
        raise HTTPException(503, detail=str(error), headers={"Retry-After": RETRY_AFTER}) from None
    headers = {
        "Content-Disposition": content_disposition(disposition, name),
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=86400",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=media_type, headers=headers)
