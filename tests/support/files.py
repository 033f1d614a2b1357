"""Small files of each kind the attachment tests send, made here rather than checked in:
real images (Pillow), an Office Open XML package, an Office 97 one, a PDF, text."""

from __future__ import annotations

import io
import zipfile

from PIL import Image


def image(kind: str = "PNG", size: tuple[int, int] = (640, 480), mode: str = "RGB") -> bytes:
    """A picture of `size` pixels: a red square on blue, so that a thumbnail has something to keep."""
    if mode == "1":  # one bit a pixel: how a test makes a huge image in little memory
        picture = Image.new(mode, size, 1)
    else:
        picture = Image.new("RGBA" if mode == "RGBA" else "RGB", size, "blue")
        picture.paste("red", (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
        picture = picture.convert(mode)
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def ooxml(main_part: str) -> bytes:
    """A package whose main part is `main_part` (word/document.xml: a .docx; xl/workbook.xml: .xlsx)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("_rels/.rels", "<Relationships/>")
        package.writestr(main_part, "<document/>")
    return out.getvalue()


def ole2(stream: str) -> bytes:
    """The start of an Office 97–2003 compound file whose directory names `stream`."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return header + (stream.encode("utf-16-le") + b"\x00\x00").ljust(128, b"\x00") + b"\x00" * 384


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()
