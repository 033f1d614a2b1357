"""Attaching a file to an activity: the service layer's part between the HTTP edge and the
deal (`domain/attachments.py`), which keeps only the file's description."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from services.pipeline import uploads

if TYPE_CHECKING:
    from services.pipeline.application import Check, PipelineApplication


def add(
    app: PipelineApplication,
    deal_id: UUID | str,
    activity_id: str,
    name: str | None,
    data: bytes,
    meta: dict[str, str],
    check: Check,
) -> dict[str, Any]:
    """Check the file (uploads.py), keep its bytes and an image's thumbnail in the blob
    store, then record it on the activity. The blobs go first: a failed write records
    nothing; a failed record leaves a blob no event names, which costs space, never a file."""
    if app.blobs is None:
        raise RuntimeError("this pipeline was built without a blob store")
    deal = app.get_deal(deal_id)
    if check is not None:  # 403 before a byte is stored
        check(deal)
    deal.attachment_target(activity_id)  # 404 before a byte is stored
    file = uploads.check_file(name, data, app.attachment_limit)
    small = uploads.thumbnail(data, file.media_type)
    document = {
        "sha256": app.blobs.put(data, file.media_type),
        "name": file.name,
        "media_type": file.media_type,
        "size": file.size,
        "thumbnail_sha256": app.blobs.put(small, "image/jpeg") if small is not None else None,
    }
    attachment_id = str(uuid4())
    deal = app._on_deal(  # one read, the check, the event, retried whole on a lost race
        deal_id,
        lambda deal: deal.add_attachment(activity_id, attachment_id, document, app.clock.now(), meta),
        check,
    )
    return deal.attachment(activity_id, attachment_id)
