"""Files on activities (pipeline only): what a file must be before its bytes are kept, its
thumbnail, and the command that keeps the bytes in the blob store before the deal records
the file (`domain/attachments.py` keeps only its description).

A file needs a name people can read, a size within the limit, and a type on the allow-list,
told from the content (magic bytes), never from the name, which anyone can change. A name
whose extension belongs to another accepted type than the content's (a PNG named
`quote.pdf`) is refused rather than stored: whoever downloads it would be told one thing
and handed another."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import filetype  # type: ignore[import-untyped]
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.blobs import BlobStore
from shared.errors import Invalid
from shared.web.inputs import text_problem

if TYPE_CHECKING:
    from services.pipeline.application import Check, PipelineApplication

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC, XLS = "application/msword", "application/vnd.ms-excel"

# media type → the extensions a name of that type may carry
ACCEPTED: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/gif": ("gif",),
    "application/pdf": ("pdf",),
    DOCX: ("docx",),
    XLSX: ("xlsx",),
    PPTX: ("pptx",),
    DOC: ("doc",),
    XLS: ("xls",),
    "text/plain": ("txt", "text", "log", "md"),
    "text/csv": ("csv",),
}
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_NAME = 255  # characters: what most file systems keep
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; beyond, decoding it could exhaust the memory
THUMBNAIL = 256  # pixels, the longer side
FIELD = "file"  # the multipart field the routes name in their errors

# Where the main part of an Office Open XML package lives, and what it makes the package.
_OOXML = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX, "ppt/presentation.xml": PPTX}
# OLE2 compound files (Office 97–2003) name their main stream in UTF-16 in the directory.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_STREAMS = {"WordDocument": DOC, "Workbook": XLS, "Book": XLS}


class UnsupportedType(Exception):
    """415: the content is not of an accepted type."""

    def __init__(self, found: str) -> None:
        accepted = ", ".join(sorted({ext for exts in ACCEPTED.values() for ext in exts[:1]}))
        super().__init__(f"{FIELD}: the content is {found}, which is not accepted; accepted: {accepted}")


@dataclass(frozen=True)
class Checked:
    name: str
    media_type: str
    size: int


def checked_name(raw: str | None) -> str:
    """The file's name as it will be shown and offered on download, or 422 naming it."""
    name = (raw or "").strip()
    where = f"{FIELD}.filename"
    if not name:
        raise Invalid(where, "the file needs a name")
    problem = text_problem(name)
    if problem is not None:
        raise Invalid(where, f"the name {problem}")
    if "/" in name or "\\" in name:
        raise Invalid(where, "the name may not hold a path (/ or \\)")
    if len(name) > MAX_NAME:
        raise Invalid(where, f"the name is longer than {MAX_NAME} characters")
    return name


def sniff(data: bytes, name: str) -> str:
    """The accepted media type the content is, or UnsupportedType saying what it is."""
    if data.startswith(b"PK\x03\x04"):
        return _ooxml(data)
    if data.startswith(_OLE2):
        return _ole2(data)
    kind = filetype.guess(data)
    if kind is not None:
        if kind.mime in ACCEPTED:
            return str(kind.mime)
        raise UnsupportedType(f"{kind.mime}")
    encoding = _text_encoding(data)
    if encoding is not None:  # text has no magic: the name says which kind; the charset is recorded
        return f"{'text/csv' if name.lower().endswith('.csv') else 'text/plain'}; charset={encoding}"
    raise UnsupportedType("binary data of no known type")


def _ooxml(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise UnsupportedType("a damaged ZIP archive") from None
    for part, media_type in _OOXML.items():
        if part in names:
            return media_type
    raise UnsupportedType("a ZIP archive")


def _ole2(data: bytes) -> str:
    for stream, media_type in _OLE2_STREAMS.items():
        if stream.encode("utf-16-le") + b"\x00\x00" in data:
            return media_type
    raise UnsupportedType("an Office 97–2003 file other than a Word or Excel one")


def _text_encoding(data: bytes) -> str | None:
    """utf-8 (with or without a byte-order mark) or gb18030 (what Excel in China saves CSV
    as) for text holding no control character but tab, newline, carriage return and form
    feed; None for anything else."""
    for codec, charset in (("utf-8-sig", "utf-8"), ("gb18030", "gb18030")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        clean = not any(ord(c) < 32 and c not in "\t\n\r\f" or c == "\x7f" for c in text)
        return charset if clean else None
    return None


def check_file(raw_name: str | None, data: bytes, limit: int) -> Checked:
    """The name, the type sniffed from the content, the size; 413/415/422 naming the field."""
    name = checked_name(raw_name)
    if len(data) > limit:
        raise TooLarge(limit)
    if not data:
        raise Invalid(FIELD, "the file is empty")
    media_type = sniff(data, name)
    base = media_type.split(";")[0]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = next((t for t, exts in ACCEPTED.items() if extension in exts), None)
    if claimed is not None and claimed != base and {claimed, base} != {"text/plain", "text/csv"}:
        raise Invalid(FIELD, f"the name says .{extension}, but the content is {media_type}")
    return Checked(name, media_type, len(data))


class TooLarge(Exception):
    """413: the file is larger than the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{FIELD}: the file is larger than {limit} bytes")


def thumbnail(data: bytes, media_type: str) -> bytes | None:
    """A JPEG at most THUMBNAIL pixels on its longer side, for an image; None otherwise.
    An image that cannot be decoded is refused (422): it would not show anywhere either."""
    if media_type not in IMAGES:  # text types carry a charset: never an image
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise Invalid(FIELD, f"the image has {width}×{height} pixels; at most {MAX_PIXELS} are accepted")
            opened.draft("RGB", (THUMBNAIL, THUMBNAIL))  # JPEG: decoded at a fraction of its size
            image = ImageOps.exif_transpose(opened)  # as the camera held it
            image.thumbnail((THUMBNAIL, THUMBNAIL))
            if image.mode in ("RGBA", "LA", "P"):  # transparency onto white: JPEG has none
                image = image.convert("RGBA")
                flat = Image.new("RGB", image.size, "white")
                flat.paste(image, mask=image.getchannel("A"))
                image = flat
            elif image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise Invalid(FIELD, f"the image cannot be read: {error}") from None


class Files:
    """Where attached files' bytes go (`shared/blobs.py`) and how large one may be: the
    bootstrap builds it from the settings and hands it to the routes."""

    def __init__(self, blobs: BlobStore, limit: int) -> None:
        self.blobs, self.limit = blobs, limit

    def add(
        self,
        app: PipelineApplication,
        deal_id: UUID | str,
        activity_id: str,
        name: str | None,
        data: bytes,
        meta: dict[str, str],
        check: Check,
    ) -> dict[str, Any]:
        """Check the file (`check_file`), keep its bytes and an image's thumbnail in the blob
        store, then record it on the activity. The blobs go first: a failed write records
        nothing; a failed record leaves a blob no event names, which costs space, never a file."""
        deal = app.get_deal(deal_id)
        if check is not None:  # 403 before a byte is stored
            check(deal)
        deal.attachment_target(activity_id)  # 404 before a byte is stored
        file = check_file(name, data, self.limit)
        small = thumbnail(data, file.media_type)
        document = {
            "sha256": self.blobs.put(data, file.media_type),
            "name": file.name,
            "media_type": file.media_type,
            "size": file.size,
            "thumbnail_sha256": self.blobs.put(small, "image/jpeg") if small is not None else None,
        }
        attachment_id = str(uuid4())
        deal = app._on_deal(  # one read, the check, the event, retried whole on a lost race
            deal_id,
            lambda deal: deal.add_attachment(activity_id, attachment_id, document, app.clock.now(), meta),
            check,
        )
        return deal.attachment(activity_id, attachment_id)
