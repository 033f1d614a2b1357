"""The pipeline's routes for files on activities (services/pipeline/attachments.py): upload,
list, download and an image's thumbnail, each under the deal's own reach."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, HTTPException, Path, UploadFile
from fastapi.responses import Response

from services.pipeline import attachments
from services.pipeline.application import PipelineApplication
from services.pipeline.domain.deal import Deal
from services.pipeline.responses import FILE, THUMBNAIL, UNSUPPORTED, Attachment, AttachmentList
from shared.blobs import BlobStoreUnavailable
from shared.errors import NotFound
from shared.web.access import Access
from shared.web.downloads import RETRY_AFTER, file_response
from shared.web.http import Caller, CallerDep
from shared.web.responses import NOT_FOUND

ActivityId = Annotated[str, Path(max_length=100)]
AttachmentRef = Annotated[str, Path(max_length=100, description="the attachment's id or the file's SHA-256")]


def files_routes(app: PipelineApplication, access: Access, files: attachments.Files) -> APIRouter:
    routes = APIRouter()

    @routes.post(
        "/deals/{deal_id}/activities/{activity_id}/attachments",
        status_code=201,
        response_model=Attachment,
        responses=NOT_FOUND | UNSUPPORTED,
    )
    def attach(
        deal_id: UUID,
        activity_id: ActivityId,
        who: CallerDep,
        file: UploadFile = File(description="a photo (JPEG, PNG, WebP, GIF), a PDF, an Office document or text"),
    ) -> dict[str, Any]:
        """The file's type is told from its content; 415 for a type not accepted, 413 over
        the size limit (CRM_ATTACHMENT_MAX_BYTES), 422 for its name."""
        access.require(who.identity, "attachment", "add")
        check = lambda deal: access.check(who.identity, "attachment", "add", deal.owner_id)  # noqa: E731
        data = file.file.read(files.limit + 1)
        try:
            return files.add(app, deal_id, activity_id, file.filename, data, who.meta, check)
        except attachments.TooLarge as error:
            raise HTTPException(413, detail=str(error)) from None
        except attachments.UnsupportedType as error:
            raise HTTPException(415, detail=str(error)) from None
        except BlobStoreUnavailable as error:  # nothing recorded: the same request may be sent again
            raise HTTPException(503, detail=str(error), headers={"Retry-After": RETRY_AFTER}) from None

    def readable(deal_id: UUID, who: Caller) -> Deal:
        """The deal, if the caller may read it: files have the deal's own reach."""
        access.require(who.identity, "attachment", "read")
        deal = app.get_deal(deal_id)
        access.check(who.identity, "attachment", "read", deal.owner_id)
        return deal

    @routes.get("/deals/{deal_id}/attachments", response_model=AttachmentList, responses=NOT_FOUND)
    def list_attachments(deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        return {"items": readable(deal_id, who).attachments()}

    @routes.get(
        "/deals/{deal_id}/activities/{activity_id}/attachments/{ref}",
        response_class=Response,
        responses=NOT_FOUND | FILE,
    )
    def download(deal_id: UUID, activity_id: ActivityId, ref: AttachmentRef, who: CallerDep) -> Response:
        """The file as uploaded, by its attachment id or its SHA-256, with its recorded type."""
        found = readable(deal_id, who).attachment(activity_id, ref)
        return file_response(files.blobs, found["sha256"], found["media_type"], found["name"], "attachment")

    @routes.get(
        "/deals/{deal_id}/activities/{activity_id}/attachments/{ref}/thumbnail",
        response_class=Response,
        responses=NOT_FOUND | THUMBNAIL,
    )
    def thumbnail(deal_id: UUID, activity_id: ActivityId, ref: AttachmentRef, who: CallerDep) -> Response:
        """An image's preview (JPEG, at most 256 pixels a side); 404 for other files."""
        found = readable(deal_id, who).attachment(activity_id, ref)
        if found["thumbnail_sha256"] is None:
            raise NotFound("thumbnail", ref)
        name = found["name"].rsplit(".", 1)[0] + ".thumbnail.jpg"
        return file_response(files.blobs, found["thumbnail_sha256"], "image/jpeg", name, "inline")

    return routes
