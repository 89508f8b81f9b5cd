"""Hostile files, made here (tests/test_limits.py): each was once unbounded in memory or
time.

* `huge_page_pdf`: 443 bytes, one page of 200 × 200 inches, no text — rendered for OCR
  at 300 dpi it asked 3.6 GB;
* `deflate_bomb_pdf`: a 3 MB page content stream that inflates to 3 GB;
* `lying_zip`: a Word (or OpenDocument) package whose zip directory says its document is
  2 KB while its data inflate to 2.2 GB;
* `many_pages_pdf`: 500 image-only pages (each OCRed: 250 s);
* `deep_pdf`, `deep_docx`: structures nested 100,000 deep;
* `slow`, `hungry`, `sleepy`, `sleepy_program`: functions that run past a limit, for the
  sandbox.
"""

from __future__ import annotations

import struct
import subprocess
import time
import zlib

MB = 1024 * 1024


def pdf(objects: list[bytes]) -> bytes:
    """A PDF with these objects (1 is the catalog), its xref table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def huge_page_pdf() -> bytes:
    """One empty page with a 14400-pt square MediaBox (the most PDF allows): 60000² px
    at 300 dpi."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] >>",
        ]
    )


def deflated(size: int, byte: bytes = b" ", piece: int = MB) -> bytes:
    """`size` bytes of `byte` deflated (zlib), made in milliseconds: after a full flush
    the compressor starts afresh, so every further piece compresses to the same bytes.
    """
    comp = zlib.compressobj(9)
    first = comp.compress(byte * piece) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(byte * piece) + comp.flush(zlib.Z_FULL_FLUSH)
    return first + again * (size // piece - 1) + comp.flush()


def deflate_bomb_pdf(unpacked: int = 3 * 1024 * MB) -> bytes:
    """A page whose content stream (3 MB) inflates to `unpacked` bytes of spaces."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            stream(deflated(unpacked), b"/Filter /FlateDecode"),
        ]
    )


def many_pages_pdf(pages: int = 500) -> bytes:
    """`pages` pages, each showing one small grey image (a scan without text)."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        stream(
            bytes(range(64)),
            b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace "
            b"/DeviceGray /BitsPerComponent 8",
        ),
    ]
    content = 4 + pages
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject"
        b" << /Im 3 0 R >> >> /Contents %d 0 R >>" % content
        for _ in range(pages)
    ]
    objects.append(stream(b"q 595 0 0 842 0 0 cm /Im Do Q"))
    return pdf(objects)


def deep_pdf(depth: int = 100_000) -> bytes:
    """A page whose /Annots is an array nested `depth` deep."""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots "
            + b"[" * depth
            + b"]" * depth
            + b" >>",
        ]
    )


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types'
    b' xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
    b'PartName="/word/document.xml"'
    b' ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def zip_file(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip by hand: (name, stored data, method, crc, size the directory states) per
    member."""
    out, central = bytearray(), bytearray()
    for name, data, method, crc, stated in members:
        raw = name.encode()
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            stated,
            len(raw),
            0,
        )
        out += raw + data
        central += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                stated,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    end = struct.pack(
        "<4s4H2LH",
        b"PK\x05\x06",
        0,
        0,
        len(members),
        len(members),
        len(central),
        len(out),
        0,
    )
    return bytes(out + central + end)


def lying_zip(unpacked: int = 2200 * MB, odt: bool = False) -> bytes:
    """A .docx (or .odt) whose document member inflates to `unpacked` bytes; the zip
    directory (and the local header) say 2 KB."""
    bomb = deflated(unpacked)[
        2:
    ]  # raw deflate: without the zlib header (the checksum stays, unread)
    document = "content.xml" if odt else "word/document.xml"
    first = (
        ("mimetype", ODT_MIMETYPE, 0, zlib.crc32(ODT_MIMETYPE), len(ODT_MIMETYPE))
        if odt
        else (
            "[Content_Types].xml",
            CONTENT_TYPES,
            0,
            zlib.crc32(CONTENT_TYPES),
            len(CONTENT_TYPES),
        )
    )
    return zip_file([first, (document, bomb, 8, 0, 2048)])


def deep_docx(depth: int = 100_000) -> bytes:
    """A .docx whose document nests tables `depth` deep."""
    body = (
        b"<w:tbl><w:tr><w:tc>" * depth + b"<w:p/>" + b"</w:tc></w:tr></w:tbl>" * depth
    )
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document'
        b' xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>"
    )
    packed = zlib.compress(xml, 9)[2:-4]
    return zip_file(
        [
            (
                "[Content_Types].xml",
                CONTENT_TYPES,
                0,
                zlib.crc32(CONTENT_TYPES),
                len(CONTENT_TYPES),
            ),
            ("word/document.xml", packed, 8, zlib.crc32(xml), len(xml)),
        ]
    )


ATTACKS = {
    "huge_page_pdf": huge_page_pdf,
    "deflate_bomb_pdf": deflate_bomb_pdf,
    "lying_zip_docx": lying_zip,
    "lying_zip_odt": lambda: lying_zip(odt=True),
    "many_pages_pdf": many_pages_pdf,
    "deep_pdf": deep_pdf,
    "deep_docx": deep_docx,
}


# for the sandbox itself: each runs past one limit (importable by the child)
def slow() -> None:
    while True:
        pass


def hungry() -> None:
    chunks = []
    while True:
        chunks.append(bytearray(64 * MB))


def sleepy() -> None:
    time.sleep(600)


def sleepy_program(marker: str) -> None:
    """A program started by the reading that outlives it unless its group is killed."""
    subprocess.Popen(["sleep", "600", marker])
    time.sleep(600)
