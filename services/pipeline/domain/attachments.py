"""Files attached to a deal's activities (a sample's photo, shipping documents).

The event records which file, not its bytes: its SHA-256 (the blob store's address, written
before the event is recorded), its name, the type told from its content, its size, and the
thumbnail's hash for an image. A file is never removed from an activity, and the blob store
never deletes a blob, so a closed or deleted deal's files stay where its history says."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart
from shared.errors import NotFound

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal


class Attachments(DealPart):
    """Kept on each activity (`activities[id]["attachments"]`, oldest first)."""

    def add_attachment(
        self,
        activity_id: str,
        attachment_id: str,
        file: dict[str, Any],
        at: datetime,
        meta: dict[str, str],
    ) -> None:
        """`file`: sha256, name, media_type, size and thumbnail_sha256 (None but for images)."""
        self.attachment_target(activity_id)
        self.trigger_event(
            self.AttachmentAdded,
            activity_id=activity_id,
            attachment_id=attachment_id,
            sha256=file["sha256"],
            name=file["name"],
            media_type=file["media_type"],
            size=file["size"],
            thumbnail_sha256=file["thumbnail_sha256"],
            at=at,
            meta=meta,
        )

    def attachment_target(self, activity_id: str) -> None:
        """A file goes on one of the deal's activities: 404 for any other id."""
        if activity_id not in self.activities:
            raise NotFound("activity", activity_id)

    def attachments(self) -> list[dict[str, Any]]:
        """Every file of the deal, oldest first."""
        found = [a for activity in self.activities.values() for a in activity.get("attachments", [])]
        return sorted(found, key=lambda a: a["added_at"])

    def attachment(self, activity_id: str, ref: str) -> dict[str, Any]:
        """One of the activity's files, by its id or its SHA-256 (the first with it)."""
        activity = self.activities.get(activity_id)
        if activity is None:
            raise NotFound("activity", activity_id)
        for found in activity.get("attachments", []):
            if ref in (found["attachment_id"], found["sha256"]):
                return dict(found)
        raise NotFound("attachment", ref)

    class AttachmentAdded(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.AttachmentAdded"

        activity_id: str
        attachment_id: str
        sha256: str
        name: str
        media_type: str
        size: int
        thumbnail_sha256: str | None
        at: datetime
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            # `setdefault`: activities logged before files existed hold no list yet.
            deal.activities[self.activity_id].setdefault("attachments", []).append(
                {
                    "attachment_id": self.attachment_id,
                    "activity_id": self.activity_id,
                    "sha256": self.sha256,
                    "name": self.name,
                    "media_type": self.media_type,
                    "size": self.size,
                    "thumbnail_sha256": self.thumbnail_sha256,
                    "added_at": self.at,
                    "by": self.meta["actor"],
                }
            )
