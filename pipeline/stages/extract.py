"""Extract stage: a form file → `Extraction` (canonical record, confidence, meldingen).

The layers live in `pipeline/readers/`: a reader per layout gives question/answer cells;
the layout is the one whose reader finds most questions of the form (`fit`);
`readers.record` turns the cells into the record. No exception escapes: a file that
cannot be read raises `UnreadableForm` with a true Dutch reason; a fault of our own
raises `NotReadAutomatically` (logged with its type and file:line, never with form
contents).

The file's bytes are parsed in a child process within `[limits]` (`sandbox.run`):
memory, CPU and clock time, and, before anything is rendered or unpacked, the number of
pages, the pixels of a page and the unpacked size of a package. Only the cells come
back; the record is built here.
"""

from __future__ import annotations

import io
import logging
import re
import traceback
from pathlib import Path

from pipeline import sandbox
from pipeline.config import ReadSettings
from pipeline.errors import (
    DAMAGED_PDF,
    DAMAGED_WORD,
    FileMissing,
    MaatwerkError,
    NotReadAutomatically,
    UnreadableForm,
    os_reason,
)
from pipeline.models import Extraction
from pipeline.readers import record
from pipeline.readers.cells import Reading
from pipeline.readers.questions import QUESTION_MIN_SCORE
from pipeline.region.profile import Mappings

log = logging.getLogger(f"maatwerk.{__name__}")
OURS = re.compile(r"[/\\](pipeline|watchers)[/\\]")
# where a parser of the file formats lives: an exception raised there is about the
# file's bytes
PARSERS = re.compile(
    r"(site-packages|dist-packages|python3\.\d+)[/\\](pdfminer|pypdf|pypdfium2|pdfplumber|docx|lxml|"
    r"zipfile|xml)([/\\]|\.py)"
)
NOT_READ = (
    "Het formulier kon niet automatisch worden gelezen. Het is wel ontvangen: ICM leest"
    " het formulier en neemt de aanvraag verder in behandeling."
)


def sniff(content: bytes) -> str:
    """The real type of a file, from its bytes (never from its name)."""
    if content[:5] == b"%PDF-":
        return "pdf"
    if content[:4] == b"PK\x03\x04":
        return (
            "odt"
            if b"application/vnd.oasis.opendocument.text" in content[:200]
            else "zip"
        )
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if content[:5] == b"{\\rtf":
        return "rtf"
    return "unknown"


def extract_file(
    path: Path, mappings: Mappings, how: ReadSettings = ReadSettings()
) -> Extraction:
    """`extract_bytes` of a file. Raises UnreadableForm or NotReadAutomatically."""
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        raise FileMissing(f"Het bestand {path} bestaat niet.") from None
    except OSError as exc:
        raise UnreadableForm(
            f"Het bestand {Path(path).name} kan niet worden geopend ({os_reason(exc)})."
        ) from None
    return extract_bytes(content, mappings, how)


def extract_bytes(
    content: bytes, mappings: Mappings, how: ReadSettings = ReadSettings()
) -> Extraction:
    """A form's record, its cells read in a child process within `how.limits`; a scan
    is read by OCR in `how.ocr.languages`.

    Raises UnreadableForm (the file's fault, or a limit hit: a Dutch reason) or
    NotReadAutomatically (a fault of ours: a person reads the form).
    """
    try:
        reading = sandbox.run(read_cells, (content, mappings, how), how.limits)
    except _ReaderFault as fault:
        log.error("reading a form failed: %s at %s:%s", *fault.args)
        raise NotReadAutomatically(NOT_READ) from None
    try:
        return record.build(reading, mappings)
    except Exception as exc:
        raise _classified(exc, content) from None


class _ReaderFault(Exception):
    """A fault of ours in a reader, told from the child: (exception type, file name,
    line)."""


def read_cells(content: bytes, mappings: Mappings, how: ReadSettings) -> Reading:
    """The cells of the best-fitting layout (run in the child). Raises UnreadableForm,
    or _ReaderFault for a fault of ours (the child cannot log: the parent does)."""
    try:
        return _read(content, mappings, how)
    except MemoryError:
        raise UnreadableForm(
            sandbox.TOO_MUCH_MEMORY.format(mb=how.limits.memory_mb)
        ) from None
    except UnreadableForm:
        raise
    except Exception as exc:
        fault = _classified(exc, content, log_it=False)
        if isinstance(fault, UnreadableForm):
            raise fault from None
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        raise _ReaderFault(
            type(exc).__name__, Path(frame.filename).name, frame.lineno
        ) from None


def _classified(exc: Exception, content: bytes, log_it: bool = True) -> MaatwerkError:
    """An exception while reading as the form's fault (UnreadableForm) or ours
    (NotReadAutomatically)."""
    if isinstance(exc, MaatwerkError):
        return exc
    frames = traceback.extract_tb(exc.__traceback__)
    frame = frames[-1]
    # raised while a file-format parser was at work (in it, or below it): the file's
    # bytes broke it
    if any(PARSERS.search(f.filename) for f in frames) and not OURS.search(
        frame.filename
    ):
        return UnreadableForm(DAMAGED_PDF if sniff(content) == "pdf" else DAMAGED_WORD)
    # a fault of ours: the request is not lost, a person reads it
    if log_it:
        log.error(
            "reading a form failed: %s at %s:%s",
            type(exc).__name__,
            Path(frame.filename).name,
            frame.lineno,
        )
    return NotReadAutomatically(NOT_READ)


def fit(reading: Reading, mappings: Mappings) -> int:
    """How well a layout reader fits a file: the number of distinct questions of the
    form it found."""
    kinds = set()
    for cell in reading.cells:
        if cell.key:
            kinds.add(cell.key)
            continue
        kind, score = mappings.labels.match(cell.question)
        if kind and kind != "ignore" and score >= QUESTION_MIN_SCORE:
            kinds.add(kind)
    return len(kinds)


def _best(readings: list[Reading], mappings: Mappings) -> Reading:
    return max(readings, key=lambda r: fit(r, mappings))


def _read(content: bytes, mappings: Mappings, how: ReadSettings) -> Reading:
    from pipeline.readers import docx, template, word

    kind = sniff(content)
    if kind == "pdf":
        return _read_pdf(content, mappings, how)
    if kind in ("ole", "odt", "rtf"):
        from pipeline.convert import to_docx

        if kind == "odt":  # LibreOffice unpacks it: counted first, as a Word package is
            docx.check_unpacked(content, how.limits)
        content, kind = to_docx(content, kind), "zip"
    if kind != "zip":
        raise UnreadableForm(
            "Het bestand is geen Word-document (.docx) en geen aanvraagformulier."
        )
    doc = docx.open_document(content, how.limits)
    return _best([template.read(doc), word.read(doc, mappings.labels)], mappings)


def _read_pdf(content: bytes, mappings: Mappings, how: ReadSettings) -> Reading:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from pipeline.readers import acroform, scan, wordpdf
    from pipeline.readers.scan_image import TOO_MANY_PAGES

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise UnreadableForm(
                "Het PDF-bestand is beveiligd met een wachtwoord en kan niet worden"
                " gelezen. Stuur het formulier zonder wachtwoord."
            )
        pages = len(reader.pages)
        has_fields = pages <= how.limits.max_pages and bool(reader.get_fields())
    except UnreadableForm:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        OSError,
        AssertionError,
        RecursionError,
    ):
        raise UnreadableForm(DAMAGED_PDF) from None
    if pages > how.limits.max_pages:  # told before any page is read or rendered
        raise UnreadableForm(TOO_MANY_PAGES.format(pages=how.limits.max_pages))
    readings = [acroform.read(reader, content, mappings.labels)] if has_fields else []
    text_layer = wordpdf.read(content, mappings.labels)
    if text_layer is not None:  # a text layer is never OCRed again
        readings.append(text_layer)
    if not readings:
        return scan.read(content, mappings.labels, how)
    return _best(readings, mappings)
