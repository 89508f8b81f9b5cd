"""Signed means signed: whether a contract that came back carries a signature.

A returned file counts as the signed contract only on evidence of a signature, each
checked against the rendition that was sent (the PDF filed as "<date> contract
MW-….pdf"):

1. a filled signature field (an AcroForm field /FT /Sig with a value);
2. an ink, stamp or free-text annotation the sent PDF did not have (signed in a PDF
   reader);
3. a scanned page (an image over most of the page) — the contract was printed and
   signed;
4. a picture or drawn lines added to a page (a signature image pasted in, ink
   flattened);
5. pages or text added to the contract as it was sent (a signature page, a typed name).

Not signed, so a person (ICM) is asked: a PDF that was only re-saved (the same text on
the same pages), a Word file, another document, and any file that cannot be read with
certainty (damaged, encrypted, too long). `is_signed` never raises: an unexpected fault
is "not certain".
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, Final

from pipeline.models import POSITIEF, Advies
from pipeline.stages import advice

if TYPE_CHECKING:  # imported where a file is read: they are slow to import
    import pdfplumber.page
    import pypdf

log = logging.getLogger(f"maatwerk.{__name__}")

MAX_PAGES: Final = 60  # a contract is a few pages; a longer file is read by a person
SCAN_COVER: Final = 0.5  # an image covering this share of a page makes the page a scan
MIN_ADDED_WORDS: Final = (
    2  # a typed name or a date; one word can be an extraction difference
)
MAX_MISSING: Final = 0.25  # more of the sent text missing than this: another document
MARKS: Final = frozenset({"/Ink", "/Stamp", "/FreeText"})
# ICM's answer: the signed-word on its first line, and whether that line negates it
_SIGNED_WORD: Final = re.compile(r"\b(on)?(ge|onder)tekende?\b", re.I)
_NEGATION: Final = re.compile(r"\b(niet|geen|nee|nog\s+niet|ongetekende?)\b", re.I)
MARK_NAMES: Final = {
    "/Ink": "handgeschreven aantekening",
    "/Stamp": "stempel",
    "/FreeText": "getypte aantekening",
}


@dataclass(frozen=True)
class Signed:
    """The verdict: `signed` only on evidence; `reason` says why, in Dutch, for the case
    history."""

    signed: bool
    reason: str


class _NotCertain(Exception):
    """Inside this module only: the file cannot be judged; the message is the Dutch
    reason."""


@dataclass
class _Page:
    words: list[str]
    images: int = 0
    scanned: bool = False
    curves: int = 0
    marks: Counter[str] = field(default_factory=Counter)


@dataclass
class _Pdf:
    pages: list[_Page]
    signature_field: bool = False


def is_signed(returned: bytes, sent_pdf: bytes | None) -> Signed:
    """Whether `returned` is the contract with a signature, judged against the sent PDF
    (None when only the .docx went out). Never raises."""
    try:
        return _judge(returned, sent_pdf)
    except _NotCertain as exc:
        return Signed(False, str(exc))
    except Exception as exc:  # a parser fault on odd bytes: a person looks at it
        log.warning("returned contract could not be judged (%s)", type(exc).__name__)
        return Signed(False, "het bestand kon niet betrouwbaar worden gelezen")


def _judge(returned: bytes, sent_pdf: bytes | None) -> Signed:
    if sent_pdf is not None and returned == sent_pdf:
        return Signed(
            False,
            "het is hetzelfde bestand als het verstuurde contract, zonder handtekening",
        )
    if not _is_pdf(returned):
        if returned[:2] == b"PK" and b"word/" in returned:
            raise _NotCertain(
                "het is een Word-bestand; een getekend contract komt als PDF of scan"
                " terug"
            )
        raise _NotCertain("het is geen PDF-bestand")
    back = _read(returned)
    if back.signature_field:
        return Signed(True, "het handtekeningveld is digitaal ondertekend")
    sent = _read_sent(sent_pdf)
    before = sent.pages if sent else []
    found = _added_marks(back.pages, before) or _added_scan(back.pages, before)
    if found:
        return Signed(True, found)
    if sent is None:
        raise _NotCertain(
            "er is geen verstuurde PDF om het mee te vergelijken en er is geen"
            " handtekening gevonden"
        )
    found = _added_drawing(back.pages, before) or _added_content(back.pages, before)
    if found:
        return Signed(True, found)
    return Signed(
        False,
        "de PDF is gelijk aan het verstuurde contract: dezelfde tekst, geen"
        " handtekening, aantekening of scan",
    )


def read_confirmation(body: str) -> bool | None:
    """ICM's answer to "is this the signed contract?": 'getekend' or 'akkoord' (True),
    'niet getekend' or 'niet akkoord' (False), None when it says neither clearly. The
    first line of ICM's own text decides (not the quoted mail below it)."""
    first = next((ln for ln in advice.own_text(body).splitlines() if ln.strip()), "")
    if _SIGNED_WORD.search(first):
        return not _NEGATION.search(first)
    answer = advice.parse_approval(body)
    if isinstance(answer, Advies):
        return answer.oordeel == POSITIEF
    return None


def _read_sent(sent_pdf: bytes | None) -> _Pdf | None:
    """The sent rendition's facts; None when there is none (or, unexpectedly, it cannot
    be read)."""
    if sent_pdf is None or not _is_pdf(sent_pdf):
        return None
    try:
        return _read(sent_pdf)
    except _NotCertain:
        log.warning("the sent contract PDF could not be read for the comparison")
        return None


def _is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


# --- reading
# ---------------------------------------------------------------------------------


def _read(data: bytes) -> _Pdf:
    """The facts of each page. Raises _NotCertain for a damaged, encrypted or too long
    file."""
    import pdfplumber
    import pypdf

    damaged = _NotCertain("de PDF is beschadigd en kan niet worden geopend")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception:
        raise damaged from None
    if (
        encrypted
    ):  # an owner password only (printing or editing limited) opens with the empty one
        try:
            opened = bool(reader.decrypt(""))
        except Exception:  # e.g. an encryption the installed crypto library does not do
            opened = False
        if not opened:
            raise _NotCertain("de PDF is beveiligd met een wachtwoord")
    try:
        count = len(reader.pages)
    except Exception:
        raise damaged from None
    if count > MAX_PAGES:
        raise _NotCertain(
            f"de PDF heeft {count} pagina's; dat is geen contract van een paar pagina's"
        )
    pages = [_Page(words=[], marks=_marks(page)) for page in reader.pages]
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for page, facts in zip(pdf.pages, pages):
                facts.words = _words(page.extract_text() or "")
                facts.images = len(page.images)
                facts.scanned = _covered(page) >= SCAN_COVER
                facts.curves = len(page.curves)
    except Exception:
        raise _NotCertain("de tekst van de PDF kon niet worden gelezen") from None
    return _Pdf(pages=pages, signature_field=_has_filled_signature(reader))


def _resolved(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _marks(page: pypdf.PageObject) -> Counter[str]:
    """The page's annotations that put a mark on it, by subtype."""
    out: Counter[str] = Counter()
    for annot in _resolved(page.get("/Annots")) or []:
        subtype = str(_resolved(annot).get("/Subtype", ""))
        if subtype in MARKS:
            out[subtype] += 1
    return out


def _has_filled_signature(reader: pypdf.PdfReader) -> bool:
    """A signature field with a value: in the AcroForm's field tree or as a page's
    widget."""
    root = _resolved(reader.trailer["/Root"])
    form = _resolved(root.get("/AcroForm")) or {}
    todo = list(_resolved(form.get("/Fields")) or [])
    for page in reader.pages:
        todo += [
            a
            for a in _resolved(page.get("/Annots")) or []
            if _resolved(a).get("/Subtype") == "/Widget"
        ]
    seen: set[int] = set()
    while todo:
        node = _resolved(todo.pop())
        if id(node) in seen or not hasattr(node, "get"):
            continue
        seen.add(id(node))
        parent = _resolved(node.get("/Parent")) or {}
        kind = node.get("/FT") or parent.get("/FT")
        value = _resolved(node.get("/V") if "/V" in node else parent.get("/V"))
        if kind == "/Sig" and hasattr(value, "get") and len(value) > 0:
            return True
        todo += list(_resolved(node.get("/Kids")) or [])
    return False


def _covered(page: pdfplumber.page.Page) -> float:
    """The share of the page that images cover (overlaps counted once per image; capped
    at 1)."""
    area = float(page.width * page.height) or 1.0
    covered = 0.0
    for im in page.images:
        w = max(
            0.0, min(float(im["x1"]), float(page.width)) - max(float(im["x0"]), 0.0)
        )
        h = max(
            0.0,
            min(float(im["bottom"]), float(page.height)) - max(float(im["top"]), 0.0),
        )
        covered += w * h
    return min(1.0, covered / area)


def _words(text: str) -> list[str]:
    """The words of a page, for comparing: case, accents' composition and spacing do not
    count."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).lower())


# --- the evidence
# ------------------------------------------------------------------------------


def _added_marks(pages: list[_Page], sent: list[_Page]) -> str | None:
    before: Counter[str] = sum((p.marks for p in sent), Counter())
    for n, page in enumerate(pages, start=1):
        for subtype, count in page.marks.items():
            if count > before.get(subtype, 0):
                return (
                    f"er staat een {MARK_NAMES[subtype]} op pagina {n} (ondertekend in"
                    " een PDF-lezer)"
                )
    return None


def _added_scan(pages: list[_Page], sent: list[_Page]) -> str | None:
    if sum(p.scanned for p in pages) <= sum(p.scanned for p in sent):
        return None
    scanned = [str(n) for n, p in enumerate(pages, start=1) if p.scanned]
    which = (
        "alle pagina's zijn"
        if len(scanned) == len(pages)
        else f"pagina {', '.join(scanned)} is"
    )
    return (
        f"het is een scan ({which} gescand): het contract is afgedrukt en op papier"
        " getekend"
    )


def _added_drawing(pages: list[_Page], sent: list[_Page]) -> str | None:
    """More pictures or drawn curves than the sent PDF had. Totals, not page by page: a
    contract exported again (other page breaks) moves them between pages."""
    for what, count in (
        ("een afbeelding toegevoegd (een ingevoegde handtekening)", lambda p: p.images),
        ("met de hand getekend (lijnen van een handtekening)", lambda p: p.curves),
    ):
        before, seen = sum(count(p) for p in sent), 0
        for n, page in enumerate(pages, start=1):
            seen += count(page)
            if seen > before:
                return f"op pagina {n} is {what}"
    return None


def _added_content(pages: list[_Page], sent: list[_Page]) -> str | None:
    """Text added to the sent contract (a signature page, a typed name and date); the
    page breaks do not count. Raises _NotCertain when it is not the same contract (much
    of the sent text missing): another document, or part of it."""
    old = [w for p in sent for w in p.words]
    new, page_of = [], []
    for n, page in enumerate(pages, start=1):
        new += page.words
        page_of += [n] * len(page.words)
    missing = added = 0
    first_added: int | None = None
    for tag, i1, i2, j1, j2 in SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag in ("delete", "replace"):
            missing += i2 - i1
        if tag in ("insert", "replace"):
            added += j2 - j1
            first_added = first_added or page_of[j1]
    if old and missing > MAX_MISSING * len(old):
        raise _NotCertain(
            "de tekst komt niet overeen met het verstuurde contract (een ander"
            " document, of een deel)"
        )
    if added < MIN_ADDED_WORDS or first_added is None:
        return None
    if first_added > len(sent):
        return (
            f"er is een pagina toegevoegd ({len(pages)} in plaats van {len(sent)}) met"
            " tekst die niet in het verstuurde contract stond, zoals een"
            " handtekeningpagina"
        )
    return (
        f"op pagina {first_added} is tekst toegevoegd aan het verstuurde contract"
        " (ingevulde ondertekening)"
    )
