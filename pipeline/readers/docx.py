"""Opening a Word package safely, and the text of its runs (shared by the Word
readers)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING

from docx import Document
from docx.oxml.ns import qn

from pipeline.errors import DAMAGED_WORD, UnreadableForm

if TYPE_CHECKING:
    from pipeline.config import LimitSettings

# unpacked size over file size of a zip bomb, not of a Word file (those stay under ~20)
MAX_RATIO = 200
W_TAGS_TEXT = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}
LOCAL_HEADER = struct.Struct(
    "<4s5H3L2H"
)  # a zip member's local file header (APPNOTE 4.3.7)
IN_CHUNK, OUT_CHUNK = (
    64 * 1024,
    1024 * 1024,
)  # inflated a piece at a time: a bomb never is in memory
TOO_BIG = (
    "Het bestand wordt bij uitpakken verdacht groot en is daarom niet geopend. "
    "Stuur het aanvraagformulier als gewoon Word- of PDF-bestand."
)


def open_document(content: bytes, limits: LimitSettings):
    """A python-docx Document, after refusing zip bombs, macros and what is no Word
    file. Raises UnreadableForm."""
    check_unpacked(content, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            _check_macros(zf, names)
        if "word/document.xml" not in names:
            raise UnreadableForm("Het bestand is geen Word-document (.docx).")
        doc = Document(io.BytesIO(content))
        if doc.element.body is None:  # a document.xml without its body: nothing to read
            raise UnreadableForm(DAMAGED_WORD)
        return doc
    except UnreadableForm:
        raise
    except (
        Exception
    ):  # zipfile.BadZipFile, KeyError, lxml errors: all mean a broken file
        raise UnreadableForm(DAMAGED_WORD) from None


def check_unpacked(content: bytes, limits: LimitSettings) -> None:
    """Refuse a zip bomb (a Word or OpenDocument package) before anything parses it:
    every member is inflated and counted, a piece at a time and nothing kept; the sizes
    the zip directory states are not believed (a lying directory got 2.2 GB past a check
    that did). Raises UnreadableForm."""
    limit = limits.max_unpacked_mb * 1024 * 1024
    budget = min(limit, MAX_RATIO * len(content))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            infos = zf.infolist()
        unpacked = 0
        for info in infos:
            unpacked += _inflated(content, info, budget - unpacked)
    except (
        zipfile.BadZipFile,
        zlib.error,
        struct.error,
        ValueError,
        OSError,
        EOFError,
    ):
        raise UnreadableForm(DAMAGED_WORD) from None


def _inflated(content: bytes, info: zipfile.ZipInfo, budget: int) -> int:
    """A member's true unpacked size: its data inflated from its local header on until
    the stream ends. Raises UnreadableForm over `budget`, ValueError for what no Word
    package holds.
    """
    sig, _, flags, method, _, _, _, _, _, name_len, extra_len = (
        LOCAL_HEADER.unpack_from(content, info.header_offset)
    )
    if sig != b"PK\x03\x04" or flags & 0x1:  # no member there, or an encrypted one
        raise ValueError("not a member")
    start = info.header_offset + LOCAL_HEADER.size + name_len + extra_len
    data = memoryview(content)[start:]
    if method == zipfile.ZIP_STORED:
        size = min(info.compress_size, len(data))
        if size > budget:
            raise UnreadableForm(TOO_BIG)
        return size
    if (
        method != zipfile.ZIP_DEFLATED
    ):  # Word and LibreOffice write stored or deflated only
        raise ValueError("compression method")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size, pos = 0, IN_CHUNK
    piece: bytes | memoryview = data[:IN_CHUNK]
    while True:
        size += len(inflater.decompress(piece, OUT_CHUNK))
        if size > budget:
            raise UnreadableForm(TOO_BIG)
        if inflater.eof:
            return size
        piece = inflater.unconsumed_tail
        if not piece:
            if pos >= len(data):
                raise ValueError("truncated member")
            piece, pos = data[pos : pos + IN_CHUNK], pos + IN_CHUNK


def _check_macros(zf: zipfile.ZipFile, names: set[str]) -> None:
    """Refuse a macro-enabled document (.docm; macros are never opened here)."""
    types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if (
        any(n.lower().endswith("vbaproject.bin") for n in names)
        or b"macroEnabled" in types
    ):
        raise UnreadableForm(
            "Het Word-bestand bevat macro's (.docm) en wordt daarom niet geopend. Sla"
            " het formulier op als gewoon Word-document (.docx) en stuur het opnieuw."
        )


def flag(rpr, tag: str) -> bool:
    if rpr is None:
        return False
    el = rpr.find(qn(tag))
    if el is None:
        return False
    return el.get(qn("w:val")) not in ("0", "false", "off")


def run_parts(p_el) -> list[tuple[str, bool, bool, bool]]:
    """(text, italic, struck, bold) per run of a paragraph, hyperlinks and content
    controls included, deleted (tracked) text left out."""
    parts = []
    for r in p_el.iter(qn("w:r")):
        if any(a.tag == qn("w:del") for a in r.iterancestors()):
            continue
        rpr = r.find(qn("w:rPr"))
        text = []
        for child in r:
            if child.tag in W_TAGS_TEXT:
                mapped = W_TAGS_TEXT[child.tag]
                text.append(child.text or "" if mapped is None else mapped)
        if text:
            parts.append(
                (
                    "".join(text),
                    flag(rpr, "w:i"),
                    flag(rpr, "w:strike") or flag(rpr, "w:dstrike"),
                    flag(rpr, "w:b"),
                )
            )
    return parts


def plain_text(p_el) -> str:
    """A paragraph's text without struck-through runs."""
    return "".join(t for t, _, struck, _ in run_parts(p_el) if not struck)
