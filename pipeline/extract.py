"""Extract stage: a form file → `Extraction` (canonical record, confidence, meldingen).

The layers live in `pipeline/readers/`: a reader per layout gives question/answer cells; the
layout is the one whose reader finds most questions of the form (`fit`); `readers.record`
turns the cells into the record. No exception escapes: a file that cannot be read raises
`UnreadableForm` with a true Dutch reason; a fault of our own raises `NotReadAutomatically`
(logged with its type and file:line, never with form contents).
"""
from __future__ import annotations

import io
import logging
import re
import traceback
from pathlib import Path

from .errors import DAMAGED_PDF, DAMAGED_WORD, NotReadAutomatically, UnreadableForm
from .mappings import Mappings
from .models import Extraction
from .readers import record
from .readers.cells import Reading

log = logging.getLogger("maatwerk")
DEFAULT_OCR_LANGUAGES = "nld+tur"  # see pipeline/readers/scan.py and [ocr] in config.example.toml
OURS = re.compile(r"[/\\](pipeline|watchers)[/\\]")
# where a parser of the file formats lives: an exception raised there is about the file's bytes
PARSERS = re.compile(r"(site-packages|dist-packages|python3\.\d+)[/\\](pdfminer|pypdf|pypdfium2|pdfplumber|docx|lxml|"
                     r"zipfile|xml)([/\\]|\.py)")
NOT_READ = ("Het formulier kon niet automatisch worden gelezen. Het is wel ontvangen: ICM leest het formulier "
            "en neemt de aanvraag verder in behandeling.")


def sniff(content: bytes) -> str:
    """The real type of a file, from its bytes (never from its name)."""
    if content[:5] == b"%PDF-":
        return "pdf"
    if content[:4] == b"PK\x03\x04":
        return "odt" if b"application/vnd.oasis.opendocument.text" in content[:200] else "zip"
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if content[:5] == b"{\\rtf":
        return "rtf"
    return "unknown"


def extract_file(path: Path, mappings: Mappings, ocr_languages: str = DEFAULT_OCR_LANGUAGES) -> Extraction:
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableForm(f"Het bestand {Path(path).name} kan niet worden geopend ({exc.strerror}).") from None
    return extract_bytes(content, mappings, ocr_languages)


def extract_bytes(content: bytes, mappings: Mappings, ocr_languages: str = DEFAULT_OCR_LANGUAGES) -> Extraction:
    try:
        return record.build(_read(content, mappings, ocr_languages), mappings)
    except UnreadableForm:
        raise
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        frame = frames[-1]
        # raised while a file-format parser was at work (in it, or below it): the file's bytes broke it
        if any(PARSERS.search(f.filename) for f in frames) and not OURS.search(frame.filename):
            raise UnreadableForm(DAMAGED_PDF if sniff(content) == "pdf" else DAMAGED_WORD) from None
        # a fault of ours: the request is not lost, a person reads it
        log.error("reading a form failed: %s at %s:%s", type(exc).__name__, Path(frame.filename).name, frame.lineno)
        raise NotReadAutomatically(NOT_READ) from None


def fit(reading: Reading, mappings: Mappings) -> int:
    """How well a layout reader fits a file: the number of distinct questions of the form it found."""
    kinds = set()
    for cell in reading.cells:
        if cell.key:
            kinds.add(cell.key)
            continue
        kind, score = mappings.labels.match(cell.question)
        if kind and kind != "ignore" and score >= record.QUESTION_MIN_SCORE:
            kinds.add(kind)
    return len(kinds)


def _best(readings: list[Reading], mappings: Mappings) -> Reading:
    return max(readings, key=lambda r: fit(r, mappings))


def _read(content: bytes, mappings: Mappings, ocr_languages: str) -> Reading:
    kind = sniff(content)
    if kind == "pdf":
        return _read_pdf(content, mappings, ocr_languages)
    if kind in ("ole", "odt", "rtf"):
        from .convert import to_docx

        content, kind = to_docx(content, kind), "zip"
    if kind != "zip":
        raise UnreadableForm("Het bestand is geen Word-document (.docx) en geen aanvraagformulier.")
    from .readers import docx, template, word

    doc = docx.open_document(content)
    return _best([template.read(doc), word.read(doc, mappings.labels)], mappings)


def _read_pdf(content: bytes, mappings: Mappings, ocr_languages: str) -> Reading:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from .readers import acroform, scan, wordpdf

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise UnreadableForm("Het PDF-bestand is beveiligd met een wachtwoord en kan niet worden gelezen. "
                                 "Stuur het formulier zonder wachtwoord.")
        has_fields = bool(reader.get_fields())
    except UnreadableForm:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError, RecursionError):
        raise UnreadableForm(DAMAGED_PDF) from None
    readings = [acroform.read(reader, content, mappings.labels)] if has_fields else []
    text_layer = wordpdf.read(content, mappings.labels)
    if text_layer is not None:  # a text layer is never OCRed again
        readings.append(text_layer)
    if not readings:
        return scan.read(content, mappings.labels, ocr_languages)
    return _best(readings, mappings)
