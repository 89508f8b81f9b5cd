"""Opening a Word package safely, and the text of its runs (shared by the Word readers)."""
from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn

from ..errors import DAMAGED_WORD, UnreadableForm

MAX_UNPACKED = 50 * 1024 * 1024  # a form is well under 5 MB unpacked
MAX_RATIO = 200  # compression ratio of a zip bomb, not of a Word file (those stay under ~20)
W_TAGS_TEXT = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}


def open_document(content: bytes):
    """A python-docx Document, after refusing zip bombs, macros and what is no Word file."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            _check_package(zf, infos)
        if "word/document.xml" not in names:
            raise UnreadableForm("Het bestand is geen Word-document (.docx).")
        return Document(io.BytesIO(content))
    except UnreadableForm:
        raise
    except Exception:  # zipfile.BadZipFile, KeyError, lxml errors: all mean a broken file
        raise UnreadableForm(DAMAGED_WORD) from None


def _check_package(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse before parsing: a zip bomb (sizes from the zip directory, nothing unpacked) and
    a macro-enabled document (.docm; macros are never opened here)."""
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise UnreadableForm("Het bestand wordt bij uitpakken verdacht groot en is daarom niet geopend. "
                             "Stuur het aanvraagformulier als gewoon Word- of PDF-bestand.")
    names = {i.filename for i in infos}
    types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        raise UnreadableForm("Het Word-bestand bevat macro's (.docm) en wordt daarom niet geopend. "
                             "Sla het formulier op als gewoon Word-document (.docx) en stuur het opnieuw.")


def flag(rpr, tag: str) -> bool:
    if rpr is None:
        return False
    el = rpr.find(qn(tag))
    if el is None:
        return False
    return el.get(qn("w:val")) not in ("0", "false", "off")


def run_parts(p_el) -> list[tuple[str, bool, bool, bool]]:
    """(text, italic, struck, bold) per run of a paragraph, hyperlinks and content controls
    included, deleted (tracked) text left out."""
    parts = []
    for r in p_el.iter(qn("w:r")):
        if any(a.tag == qn("w:del") for a in r.iterancestors()):
            continue
        rpr = r.find(qn("w:rPr"))
        text = []
        for child in r:
            if child.tag in W_TAGS_TEXT:
                text.append(child.text or "" if W_TAGS_TEXT[child.tag] is None else W_TAGS_TEXT[child.tag])
        if text:
            parts.append(("".join(text), flag(rpr, "w:i"), flag(rpr, "w:strike") or flag(rpr, "w:dstrike"),
                          flag(rpr, "w:b")))
    return parts


def plain_text(p_el) -> str:
    """A paragraph's text without struck-through runs."""
    return "".join(t for t, _, struck, _ in run_parts(p_el) if not struck)
