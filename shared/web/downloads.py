"""Answering with a file: how the OpenAPI document declares it, and the Content-Disposition
header that names it (RFC 6266: an ASCII fallback for old clients, the UTF-8 name for the
rest, so that 样品照片.jpg downloads under its own name)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from shared.web.responses import ErrorBody


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
