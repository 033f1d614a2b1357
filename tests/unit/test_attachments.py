"""A file attached to an activity: its type is told from its bytes, its name and size are
checked, images get thumbnails, and the folder blob store keeps bytes by their SHA-256."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from services.pipeline import attachments
from services.pipeline.attachments import DOC, DOCX, PPTX, XLS, XLSX, TooLarge, UnsupportedType, check_file, sniff
from shared.blobs import BlobMissing, FolderBlobs
from shared.errors import Invalid
from shared.web.downloads import content_disposition
from tests.support import files

LIMIT = 1_000_000


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (files.image("JPEG"), "样品照片.jpg", "image/jpeg"),
        (files.image("PNG"), "sample.png", "image/png"),
        (files.image("WEBP"), "sample.webp", "image/webp"),
        (files.image("GIF", mode="P"), "sample.gif", "image/gif"),
        (files.pdf(), "shipping.pdf", "application/pdf"),
        (files.ooxml("word/document.xml"), "contract.docx", DOCX),
        (files.ooxml("xl/workbook.xml"), "prices.xlsx", XLSX),
        (files.ooxml("ppt/presentation.xml"), "deck.pptx", PPTX),
        (files.ole2("WordDocument"), "old.doc", DOC),
        (files.ole2("Workbook"), "old.xls", XLS),
        ("报价 quote\n".encode(), "notes.txt", "text/plain; charset=utf-8"),
        ("名称,数量\n样品,3\n".encode("gb18030"), "items.csv", "text/csv; charset=gb18030"),
    ],
)
def test_each_accepted_kind_is_told_from_its_content(data, name, expected):
    assert sniff(data, name) == expected
    assert check_file(name, data, LIMIT).media_type == expected


def test_a_file_without_an_extension_is_typed_by_its_content():
    assert check_file("IMG_0001", files.image("JPEG"), LIMIT).media_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "application/x-msdownload"),
        (files.zip_archive(), "a ZIP archive"),
        (files.ole2("PowerPoint Document"), "Office 97"),
        (bytes(range(256)) * 4, "binary data"),
    ],
)
def test_content_of_another_kind_is_refused_whatever_its_name(data, what):
    with pytest.raises(UnsupportedType, match=what) as refused:
        check_file("harmless.pdf", data, LIMIT)
    assert str(refused.value).startswith("file:")


def test_a_name_that_claims_another_accepted_type_is_refused_naming_the_file():
    with pytest.raises(Invalid, match=r"the name says \.pdf, but the content is image/png") as refused:
        check_file("quote.pdf", files.image("PNG"), LIMIT)
    assert refused.value.field == "file"


def test_a_text_file_may_be_named_csv_or_txt():
    assert check_file("list.txt", b"a,b\n1,2\n", LIMIT).media_type == "text/plain; charset=utf-8"
    assert check_file("list.csv", b"a,b\n1,2\n", LIMIT).media_type == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        (None, "needs a name"),
        ("a\x00b.txt", r"control character U\+0000"),
        ("a\x1bb.txt", r"control character U\+001B"),
        ("a\ud800.txt", "lone UTF-16 surrogate"),
        ("../../etc/passwd", "may not hold a path"),
        ("C:\\Users\\x.txt", "may not hold a path"),
        ("x" * 252 + ".txt", "longer than 255"),
    ],
)
def test_names_meet_the_text_rules(name, why):
    with pytest.raises(Invalid, match=why) as refused:
        check_file(name, b"hello\n", LIMIT)
    assert refused.value.field == "file.filename"


def test_a_file_over_the_limit_is_refused_and_one_at_it_accepted():
    assert check_file("a.txt", b"x" * 100, 100).size == 100
    with pytest.raises(TooLarge, match="larger than 100 bytes"):
        check_file("a.txt", b"x" * 101, 100)


def test_an_empty_file_is_refused():
    with pytest.raises(Invalid, match="empty"):
        check_file("a.txt", b"", LIMIT)


def test_an_image_gets_a_jpeg_thumbnail_within_256_pixels_keeping_its_shape():
    small = attachments.thumbnail(files.image("PNG", size=(1024, 512)), "image/png")
    assert small is not None
    with Image.open(io.BytesIO(small)) as shown:
        assert (shown.format, shown.size) == ("JPEG", (256, 128))
        assert shown.getpixel((64 + 10, 32 + 10))[0] > 200  # the red square survived


def test_a_transparent_image_is_thumbnailed_on_white():
    small = attachments.thumbnail(files.image("PNG", size=(64, 64), mode="RGBA"), "image/png")
    assert small is not None and small.startswith(b"\xff\xd8")


def test_documents_get_no_thumbnail():
    assert attachments.thumbnail(files.pdf(), "application/pdf") is None


def test_an_image_too_large_to_decode_safely_is_refused_before_decoding():
    with pytest.raises(Invalid, match="pixels"):
        attachments.thumbnail(files.image("PNG", size=(10_000, 6_000), mode="1"), "image/png")


def test_a_truncated_image_is_refused_naming_the_file():
    broken = files.image("PNG")[:200]
    with pytest.raises(Invalid, match="cannot be read") as refused:
        attachments.thumbnail(broken, "image/png")
    assert refused.value.field == "file"


def test_the_folder_store_keeps_bytes_under_their_hash_once(tmp_path):
    blobs = FolderBlobs(tmp_path / "blobs")
    data = files.pdf()
    sha256 = blobs.put(data, "application/pdf")
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert blobs.put(data, "application/pdf") == sha256
    assert blobs.get(sha256) == data
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [sha256]


def test_the_folder_store_refuses_a_copy_that_no_longer_hashes_to_its_name(tmp_path):
    blobs = FolderBlobs(tmp_path)
    sha256 = blobs.put(b"original", "text/plain")
    (tmp_path / sha256[:2] / sha256).write_bytes(b"tampered")
    with pytest.raises(BlobMissing):
        blobs.get(sha256)


@pytest.mark.parametrize("ref", ["0" * 64, "../../secret", "ABC"])
def test_the_folder_store_finds_nothing_for_an_unknown_or_malformed_hash(tmp_path, ref):
    with pytest.raises(BlobMissing):
        FolderBlobs(tmp_path).get(ref)


def test_a_download_names_the_file_in_ascii_and_in_utf8():
    header = content_disposition("attachment", '样品 "照片".jpg')
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E6%A0%B7%E5%93%81%20%22%E7%85%A7%E7%89%87%22.jpg" in header
    assert header.encode("latin-1")  # a header value HTTP can carry
