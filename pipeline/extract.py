"""Extract stage: a form file → `Extraction` (canonical record + what the reader noticed).

Layouts read here:
- the project's own template: Word content controls tagged with canonical field names;
- the legacy layout (Bijlage 1): question | answer tables (also split over several tables)
  and bold question paragraphs each followed by the answer — in Word, or saved as PDF;
- fillable PDFs (AcroForm): canonical field names, or another region's names (mappings).

Answers are data: they are parsed into typed values and never evaluated.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Optional

from docx import Document
from docx.oxml.ns import qn

from . import normalize as nz
from .errors import UnreadableForm
from .mappings import Mappings
from .models import Aanvraag, Extraction, Melding

MIN_FIELDS_FOR_A_FORM = 6
DEFAULT_OCR_LANGUAGES = "nld+tur"  # see pipeline/ocr.py and [ocr] in config.example.toml

# --- reading a docx -----------------------------------------------------------------

W_TAGS_TEXT = {qn("w:t"): None, qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n"}


def _flag(rpr, tag: str) -> bool:
    if rpr is None:
        return False
    el = rpr.find(qn(tag))
    if el is None:
        return False
    val = el.get(qn("w:val"))
    return val not in ("0", "false", "off")


def _paragraph_parts(p_el) -> list[tuple[str, bool, bool]]:
    """(text, italic, struck) per run of a paragraph, hyperlinks and content controls included."""
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
            parts.append(("".join(text), _flag(rpr, "w:i"), _flag(rpr, "w:strike") or _flag(rpr, "w:dstrike")))
    return parts


def _is_bold_paragraph(p_el) -> bool:
    runs = [r for r in p_el.iter(qn("w:r")) if "".join(t.text or "" for t in r.iter(qn("w:t"))).strip()]
    return bool(runs) and all(_flag(r.find(qn("w:rPr")), "w:b") for r in runs)


def _answer_text(plain: list[str], with_italic: list[str], mappings: Mappings) -> str:
    """The answer in a cell: without italic guidance, struck-through text and printed hints.

    `plain` are the cell's paragraphs without italic text, `with_italic` with it (used only
    when a writer typed the whole answer in italics)."""
    labels = mappings.labels

    def collect(paragraphs: list[str]) -> list[str]:
        out = []
        for text in paragraphs:
            text = text.strip()
            if not text or labels.is_hint(text):
                continue
            stripped = labels.strip_prefix(text)
            if stripped and (stripped == text or not labels.is_hint(stripped)):
                out.append(stripped)
        return out

    return "\n".join(collect(plain) or collect(with_italic))


def _docx_answer(paragraphs, mappings: Mappings) -> str:
    plain, with_italic = [], []
    for p_el in paragraphs:
        parts = _paragraph_parts(p_el)
        plain.append("".join(t for t, italic, struck in parts if not struck and not italic))
        with_italic.append("".join(t for t, _, struck in parts if not struck))
    return _answer_text(plain, with_italic, mappings)


def _qa_pairs(doc, mappings: Mappings) -> list[tuple[str, str]]:
    """(question, answer) pairs in document order, from tables and bold question paragraphs."""
    body = doc.element.body
    pairs: list[tuple[str, str]] = []
    pending_q: Optional[str] = None
    pending_a: list = []

    def flush():
        nonlocal pending_q, pending_a
        if pending_q is not None:
            pairs.append((pending_q, _docx_answer(pending_a, mappings)))
        pending_q, pending_a = None, []

    for child in body.iterchildren():
        if child.tag == qn("w:tbl"):
            flush()
            for tr in child.iter(qn("w:tr")):
                cells = [tc for tc in tr.iterchildren(qn("w:tc"))]
                if len(cells) < 2:
                    continue
                q = " ".join("".join(t for t, _, s in _paragraph_parts(p) if not s)
                             for p in cells[0].iter(qn("w:p"))).strip()
                ans_paras = [p for tc in cells[1:] for p in tc.iter(qn("w:p"))]
                pairs.append((q, _docx_answer(ans_paras, mappings)))
        elif child.tag == qn("w:p"):
            text = "".join(t for t, _, _ in _paragraph_parts(child)).strip()
            if not text:
                continue
            if _is_bold_paragraph(child):
                flush()
                pending_q = text
            elif pending_q is not None:
                pending_a.append(child)
    flush()
    return pairs


# --- row readers: one row kind → canonical fields ----------------------------------

Fields = dict[str, Any]


def _yes_no_with_rest(text: str) -> tuple[Optional[bool], str]:
    first, _, rest = text.partition("\n")
    value = nz.yes_no(first)
    if value is None:
        return None, text
    tail = nz.strip_yes_no(first)
    return value, "\n".join(x for x in (tail, rest) if x.strip())


def _type_and_code(text: str) -> tuple[Optional[str], Optional[str]]:
    code = nz.productcode(text)
    t = nz.PRODUCTCODE.sub("", text)
    t = t.replace("()", "")

    t = re.sub(r"\b(product\s*code|productcode|code)\b\s*:?", "", t, flags=re.I)
    t = re.sub(r"\s*[-–,:(]\s*$", "", t.strip())
    t = re.sub(r"\s+", " ", t).strip(" -–,.:()")
    return (t or None), code


def _read_hulp(text: str) -> Fields:
    yes, rest = _yes_no_with_rest(text)
    type_hulp, code = _type_and_code(rest) if rest.strip() else (None, None)
    return {"_yes": yes, "type_hulp": type_hulp, "productcode": code}


def _read_contact(text: str) -> Fields:

    mail = nz.email(text)
    tel = nz.phone(text)
    rest = nz.EMAIL.sub("", text)
    rest = re.sub(r"\(\s*\)", "", nz.remove_phone(rest))
    rest = re.sub(r"\b(naam|tel(efoon)?|telefoonnummer|e-?mail|mail|mob(iel)?)\b\s*[:.]?", "", rest, flags=re.I)
    parts = [p.strip(" ,;:-–") for p in re.split(r"[\n,;]", rest)]
    parts = [p for p in parts if p and any(c.isalpha() for c in p)]
    return {"contactpersoon.naam": parts[0] if parts else None, "contactpersoon.telefoon": tel,
            "contactpersoon.email": mail}


def _read_aanbieder(text: str) -> Fields:

    tel = nz.phone(text)
    rest = re.sub(r"\(\s*\)", "", nz.remove_phone(text))
    rest = re.sub(r"\b(tel(efoon)?(nummer)?|tel\.? ?nr)\b\.?\s*:?", "", rest, flags=re.I)
    pieces = re.split(r"\n|,|;|\bcontact\s*persoon\b(?:\s+is)?\s*:?|\bcontactpersoon\b(?:\s+is)?\s*:?", rest, flags=re.I)
    pieces = [p.strip(" ,;:-–") for p in pieces]
    pieces = [p for p in pieces if p and any(c.isalpha() for c in p)]
    naam = re.sub(r"^(aanbieder|naam)\s*:?\s+", "", pieces[0], flags=re.I) if pieces else None
    contact = pieces[1] if len(pieces) > 1 else None
    return {"aanbieder.naam": naam, "aanbieder.contactpersoon": contact, "aanbieder.telefoon": tel}


def _read_ids(text: str) -> Fields:
    return {"aanbieder.kvk": nz.kvk(text), "aanbieder.agb_code": nz.agb(text), "aanbieder.iban": nz.iban_text(text)}


def _read_periode(text: str) -> Fields:
    ds = nz.dates(text)
    out: Fields = {"startdatum": ds[0] if ds else None, "einddatum": ds[1] if len(ds) > 1 else None}
    out.update(_inzet_fields(text))
    return out


def _inzet_fields(text: str) -> Fields:
    found = nz.inzet(text)
    if not found:
        return {}
    n, eenheid, per = found
    return {"inzet.aantal": n, "inzet.eenheid": eenheid, "inzet.per": per}


def _read_tarief(text: str) -> Fields:

    lines = text.splitlines()
    # the tariff line is the one with a currency or the first one; inzet may follow
    tline = next((ln for ln in lines if re.search(r"€|\beur", ln, re.I)), lines[0] if lines else "")
    out: Fields = {"tarief.bedrag": nz.amount(tline), "tarief.eenheid": nz.unit(tline.split("(")[0])}
    out.update(_inzet_fields("\n".join(ln for ln in lines if ln is not tline) or ""))
    return out


def _one(field: str, parse: Callable[[str], Any]) -> Callable[[str], Fields]:
    return lambda text: {field: parse(text)}


def _kader(text: str) -> Optional[str]:
    t = text.lower()
    v, g = "vrijwillig" in t, "gedwongen" in t
    return "vrijwillig" if v and not g else "gedwongen" if g and not v else None


def _maatregel(text: str) -> Optional[str]:

    t = text.upper()
    jb, jr = bool(re.search(r"\bJB\b", t)), bool(re.search(r"\bJR\b", t))
    if jb != jr:
        return "JB" if jb else "JR"
    if re.search(r"jeugdreclassering", text, re.I):
        return "JR"
    if re.search(r"jeugdbescherming|ots|voogdij", text, re.I):
        return "JB"
    return None


def _pgb(text: str) -> Fields:
    yes, rest = _yes_no_with_rest(text)
    rest = rest if yes is not None else text
    rest = re.sub(r"^\W*(argumenten|argument|reden|toelichting)\s*:\s*", "", rest.strip(), flags=re.I)
    return {"pgb_verkend": yes, "pgb_argumenten": nz.text(rest)}


def _gemeente_text(text: str) -> Optional[str]:
    return nz.clean(text)


ROW_READERS: dict[str, Callable[[str], Fields]] = {
    "spoed": _one("spoed", nz.yes_no),
    "gemeente": _one("gemeente", _gemeente_text),
    "zorgned_nummer": _one("zorgned_nummer", nz.digits),
    "leeftijd": _one("leeftijd", nz.integer),
    "contactpersoon": _read_contact,
    "jeugdwet_gecheckt": _one("jeugdwet_gecheckt", nz.yes_no),
    "ambulant": _read_hulp,
    "verblijf": _read_hulp,
    "verblijfsvorm": _one("verblijfsvorm", nz.text),
    "kader": _one("kader", _kader),
    "pgb": _pgb,
    "maatregel": _one("maatregel", _maatregel),
    "reden_niet_gecontracteerd": _one("reden_niet_gecontracteerd", nz.clean),
    "aanbieder": _read_aanbieder,
    "aanbieder_ids": _read_ids,
    "aanbieder_kvk": _one("aanbieder.kvk", lambda t: nz.kvk(t) or nz.digits(t)),
    "aanbieder_agb": _one("aanbieder.agb_code", lambda t: nz.agb(t) or nz.digits(t)),
    "aanbieder_iban": _one("aanbieder.iban", nz.iban_text),
    "kwaliteit_onderbouwing": _one("kwaliteit_onderbouwing", nz.clean),
    "periode": _read_periode,
    "inzet": _inzet_fields,
    "tarief": _read_tarief,
}

# Content-control tags (the project's template) → parser of that one field.
FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "spoed": nz.yes_no,
    "gemeente": nz.clean,
    "zorgned_nummer": nz.digits,
    "leeftijd": nz.integer,
    "contactpersoon.naam": nz.clean,
    "contactpersoon.telefoon": nz.phone,
    "contactpersoon.email": nz.email,
    "jeugdwet_gecheckt": nz.yes_no,
    "hulpvorm": lambda t: {"ambulant": "ambulant", "verblijf": "verblijf"}.get(
        "ambulant" if "ambul" in t.lower() else "verblijf" if "verblijf" in t.lower() else ""),
    "type_hulp": nz.clean,
    "productcode": nz.productcode,
    "verblijfsvorm": nz.text,
    "kader": _kader,
    "pgb_verkend": nz.yes_no,
    "pgb_argumenten": nz.clean,
    "maatregel": _maatregel,
    "reden_niet_gecontracteerd": nz.clean,
    "aanbieder.naam": nz.clean,
    "aanbieder.contactpersoon": nz.clean,
    "aanbieder.telefoon": nz.phone,
    "aanbieder.kvk": nz.digits,
    "aanbieder.agb_code": nz.digits,
    "aanbieder.iban": nz.iban_text,
    "kwaliteit_onderbouwing": nz.clean,
    "startdatum": nz.one_date,
    "einddatum": nz.one_date,
    "inzet.aantal": lambda t: nz.amount(t) if t else None,
    "inzet.eenheid": nz.unit,
    "inzet.per": lambda t: next((p for p in ("week", "maand", "totaal") if p in t.lower()), None),
    "tarief.bedrag": nz.amount,
    "tarief.eenheid": nz.unit,
}

SCAN_NOTICE = ("Dit formulier is een scan en met tekstherkenning gelezen; controleer de overgenomen gegevens "
               "met het formulier in de bijlage.")
LABEL_MIN_SCORE = 72.0
LABEL_WARN_SCORE = 85.0


# --- the stage ----------------------------------------------------------------------

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
    kind = sniff(content)
    if kind == "pdf":
        try:
            return _from_pdf(content, mappings, ocr_languages)
        except UnreadableForm:
            raise
        except Exception:  # pdfminer/pypdfium2 on a damaged file (found by fuzzing): a broken PDF
            raise UnreadableForm("Het PDF-bestand is beschadigd en kan niet worden gelezen. "
                                 "Sla het formulier opnieuw op en stuur het nog eens.") from None
    if kind in ("ole", "odt", "rtf"):
        from .convert import to_docx

        content, kind = to_docx(content, kind), "zip"
    if kind != "zip":
        raise UnreadableForm("Het bestand is geen Word-document (.docx) en geen aanvraagformulier.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            _check_package(zf, infos)
        if "word/document.xml" not in names:
            raise UnreadableForm("Het bestand is geen Word-document (.docx).")
        doc = Document(io.BytesIO(content))
    except UnreadableForm:
        raise
    except Exception:  # zipfile.BadZipFile, KeyError, lxml errors: all mean a broken file
        raise UnreadableForm("Het Word-bestand is beschadigd of onvolledig en kan niet worden geopend. "
                             "Sla het formulier opnieuw op en stuur het nog eens.") from None
    tagged = _content_controls(doc)
    if sum(1 for k in tagged if k in FIELD_PARSERS) >= MIN_FIELDS_FOR_A_FORM:
        return _from_content_controls(tagged, mappings)
    return _from_legacy(_qa_pairs(doc, mappings), mappings, layout="legacy-docx")


MAX_UNPACKED = 50 * 1024 * 1024  # a form is well under 5 MB unpacked
MAX_RATIO = 200  # compression ratio of a zip bomb, not of a Word file (those stay under ~20)


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


def _content_controls(doc) -> dict[str, Optional[str]]:
    out: dict[str, Optional[str]] = {}
    for sdt in doc.element.body.iter(qn("w:sdt")):
        pr = sdt.find(qn("w:sdtPr"))
        if pr is None:
            continue
        tag = pr.find(qn("w:tag"))
        if tag is None or not tag.get(qn("w:val")):
            continue
        name = tag.get(qn("w:val")).strip()
        if pr.find(qn("w:showingPlcHdr")) is not None:
            out[name] = None
            continue
        date_el = pr.find(qn("w:date"))
        if date_el is not None and date_el.get(qn("w:fullDate")):
            out[name] = date_el.get(qn("w:fullDate"))[:10]
            continue
        content = sdt.find(qn("w:sdtContent"))
        paras = list(content.iter(qn("w:p"))) if content is not None else []
        if paras:
            text = "\n".join("".join(t for t, _, s in _paragraph_parts(p) if not s) for p in paras)
        elif content is not None:
            text = "".join(t for t, _, s in _paragraph_parts(content) if not s)
        else:
            text = ""
        out[name] = text
    return out


def _from_pdf(content: bytes, mappings: Mappings, ocr_languages: str) -> Extraction:
    """A fillable PDF (AcroForm): fields named canonically, or named by another region."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise UnreadableForm("Het PDF-bestand is beveiligd met een wachtwoord en kan niet worden gelezen. "
                                 "Stuur het formulier zonder wachtwoord.")
        pdf_fields = reader.get_fields() or {}
    except UnreadableForm:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise UnreadableForm("Het PDF-bestand is beschadigd en kan niet worden geopend. "
                             "Sla het formulier opnieuw op en stuur het nog eens.") from None
    values: dict[str, Optional[str]] = {}
    for name, f in pdf_fields.items():
        ftype, value = f.get("/FT"), f.get("/V")
        if ftype is None:
            continue  # a parent node of hierarchical names
        if ftype == "/Btn":
            values[name] = None if value is None else ("Nee" if str(value) == "/Off" else "Ja")
        else:
            values[name] = None if value is None or not str(value).strip() else str(value)
    if sum(1 for k in values if k in FIELD_PARSERS) >= MIN_FIELDS_FOR_A_FORM:
        return _from_content_controls(values, mappings, layout="acroform-canonical")
    tagged: dict[str, Optional[str]] = {}
    parsed: Fields = {}
    for name, value in values.items():
        target = mappings.labels.match_field(name)
        if target is None or value is None:
            continue
        if target.startswith("hulpvorm:"):
            if nz.yes_no(value):
                parsed["hulpvorm"] = target.partition(":")[2]
        elif target in ROW_READERS and target not in FIELD_PARSERS:
            parsed.update({k: v for k, v in ROW_READERS[target](value).items() if v is not None})
        else:
            tagged[target] = value
    if len(tagged) + len(parsed) >= MIN_FIELDS_FOR_A_FORM:
        return _from_content_controls(tagged, mappings, layout="acroform-other", parsed=parsed)
    if pdf_fields:  # fields named 'Tekst7': the question is printed beside each field
        pairs = _printed_questions(reader, content)
        if len(pairs) >= MIN_FIELDS_FOR_A_FORM:
            return _from_legacy(pairs, mappings, layout="acroform-printed")
    pairs, has_text = _pdf_qa_pairs(content, mappings)
    if has_text:  # a text layer is never OCRed again
        return _from_legacy(pairs, mappings, layout="legacy-pdf")
    return _from_scan(content, mappings, ocr_languages)


def _from_scan(content: bytes, mappings: Mappings, ocr_languages: str) -> Extraction:
    from . import ocr

    rows = ocr.rows(ocr.ocr_pdf(content, ocr_languages), mappings)
    answer_lines = [line for row in rows for line in row.answer]
    if not rows or not answer_lines:
        raise UnreadableForm("De scan bevat geen leesbare tekst van een aanvraagformulier. Stuur het formulier "
                             "als Word-bestand of als betere scan.")
    right_edge = max(line.right for line in answer_lines)
    pairs, confidences = [], []
    for row in rows:
        paragraphs = ocr.answer_paragraphs(row.answer, right_edge)
        pairs.append((" ".join(row.question), _answer_text(paragraphs, paragraphs, mappings)))
        confidences.append(ocr.confidence(row.answer))
    extraction = _from_legacy(pairs, mappings, layout="scan-pdf", text_confidence=confidences)
    extraction.meldingen.insert(0, Melding(veld=None, ernst="waarschuwing", tekst=SCAN_NOTICE))
    return extraction


def _printed_questions(reader, content: bytes) -> list[tuple[str, str]]:
    """(printed question, field value) for every filled form field: the question is the text
    left of the field on its line, or else the text just above it."""
    import pdfplumber

    pairs: list[tuple[str, str]] = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page, plumber_page in zip(reader.pages, pdf.pages):
            words = plumber_page.extract_words(keep_blank_chars=False, use_text_flow=True)
            height = float(page.mediabox.height)
            for annot_ref in page.get("/Annots") or []:
                annot = annot_ref.get_object()
                if annot.get("/Subtype") != "/Widget":
                    continue
                parent = annot.get("/Parent")
                ftype = annot.get("/FT") or (parent.get_object().get("/FT") if parent else None)
                value = annot.get("/V", parent.get_object().get("/V") if parent else None)
                if value is None:
                    continue
                value = ("Nee" if str(value) == "/Off" else "Ja") if ftype == "/Btn" else str(value)
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                top, bottom = height - max(y0, y1), height - min(y0, y1)
                beside = [w for w in words if w["x1"] <= min(x0, x1) + 1
                          and top - 2 <= (w["top"] + w["bottom"]) / 2 <= bottom + 2]
                if not beside:  # the question printed above the field
                    beside = [w for w in words if top - 24 <= w["bottom"] <= top + 1
                              and w["x0"] < max(x0, x1) and w["x1"] > min(x0, x1) - 200]
                question = " ".join(w["text"] for w in sorted(beside, key=lambda w: (round(w["top"]), w["x0"])))
                if question:
                    pairs.append((question, value))
    return pairs


def _is_italic(fontname: str) -> bool:
    name = fontname.lower()
    return "italic" in name or "oblique" in name


def _pdf_cell_paragraphs(page, bbox, *, drop_italic: bool) -> list[str]:
    """A table cell's text as paragraphs: a line ends its paragraph when the next line's first
    word would still have fitted behind it (so the writer pressed Enter)."""
    x0, top, x1, bottom = bbox

    def inside(o) -> bool:  # by the glyph's middle: glyph boxes overlap the table rules
        if o.get("object_type") != "char":
            return False
        if drop_italic and _is_italic(o.get("fontname", "")):
            return False
        return x0 <= (o["x0"] + o["x1"]) / 2 <= x1 and top <= (o["top"] + o["bottom"]) / 2 <= bottom

    region = page.filter(inside)
    lines = region.extract_text_lines(return_chars=True)
    right = bbox[2] - 6.0
    paragraphs: list[str] = []
    prev = None
    for line in lines:
        text = line["text"].strip()
        if not text:
            continue
        if prev is not None:
            first_word = text.split(" ")[0]
            width = (line["x1"] - line["x0"]) / max(len(text), 1) * (len(first_word) + 1)
            if prev["x1"] + width < right:
                paragraphs.append(text)
            else:  # a wrapped line; a word broken at its hyphen is joined without a space
                paragraphs[-1] += ("" if paragraphs[-1].endswith("-") else " ") + text
        else:
            paragraphs.append(text)
        prev = line
    return paragraphs


def _pdf_qa_pairs(content: bytes, mappings: Mappings) -> tuple[list[tuple[str, str]], bool]:
    """(question, answer) pairs from the ruled two-column tables of a form saved as PDF, and
    whether the PDF has a text layer at all."""
    import pdfplumber

    pairs: list[tuple[str, str]] = []
    has_text = False
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            has_text = has_text or any(c["text"].strip() for c in page.chars)
            for table in page.find_tables():
                for row in table.rows:
                    cells = [c for c in row.cells if c is not None]
                    if len(cells) < 2:
                        continue
                    question = " ".join(_pdf_cell_paragraphs(page, cells[0], drop_italic=False))
                    plain = _pdf_cell_paragraphs(page, cells[-1], drop_italic=True)
                    with_italic = _pdf_cell_paragraphs(page, cells[-1], drop_italic=False)
                    pairs.append((question, _answer_text(plain, with_italic, mappings)))
    return pairs, has_text


def _from_content_controls(tagged: dict[str, Optional[str]], mappings: Mappings, layout: str = "template-docx",
                           parsed: Optional[Fields] = None) -> Extraction:
    fields: Fields = dict(parsed or {})
    meldingen: list[Melding] = []
    advies: dict[str, dict[str, Optional[str]]] = {}
    for name, raw in tagged.items():
        if name.startswith(("advies_beleidsadviseur.", "advies_icm.")):
            who, _, part = name.partition(".")
            advies.setdefault(who, {})[part] = nz.clean(raw)
            continue
        parser = FIELD_PARSERS.get(name)
        if parser is None:
            continue
        value = parser(raw) if raw and raw.strip() else None
        if value is None and nz.clean(raw):
            meldingen.append(_unreadable(name))
        fields[name] = value
    for who, parts in advies.items():
        fields[who] = _advice_from_parts(parts)
    return _mark_crisis(_finish(fields, meldingen, mappings, layout=layout), tagged.get("spoed"))


def _mark_crisis(extraction: Extraction, spoed_answer: Optional[str]) -> Extraction:
    """Rijk van Nijmegen (seed 000): in a crisis care starts at once and the request follows."""
    if spoed_answer and re.search(r"\bcrisis", spoed_answer, re.I):
        extraction.kenmerken.append("crisis")
    return extraction


def _advice_from_parts(parts: dict[str, Optional[str]]):
    oordeel = (parts.get("oordeel") or "").lower()
    if oordeel not in ("positief", "negatief"):
        return None
    out: dict[str, Any] = {"oordeel": oordeel, "toelichting": parts.get("toelichting")}
    if parts.get("productcode"):
        out["productcode"] = nz.productcode(parts["productcode"])
    if parts.get("tarief"):
        out["tarief"] = {"bedrag": nz.amount(parts["tarief"]), "eenheid": nz.unit(parts["tarief"])}
    return out


def _unreadable(field: str) -> Melding:
    return Melding(veld=field, ernst="waarschuwing",
                   tekst=f"Het antwoord bij '{field}' kon niet eenduidig worden gelezen; controleer dit veld.")


def _from_legacy(pairs: list[tuple[str, str]], mappings: Mappings, layout: str,
                 text_confidence: Optional[list[float]] = None) -> Extraction:
    """Question/answer pairs → record. `text_confidence` per pair (OCR); digital text is certain."""
    fields: Fields = {}
    confidence: dict[str, float] = {}
    meldingen: list[Melding] = []
    raw_by_kind: dict[str, str] = {}
    hulp: dict[str, Fields] = {}
    hulp_conf: dict[str, float] = {}
    kind_conf: dict[str, float] = {}
    for i, (question, answer) in enumerate(pairs):
        kind, score = mappings.labels.match(question)
        row_conf = (1.0 if score >= LABEL_WARN_SCORE else score / 100) * (
            text_confidence[i] if text_confidence else 1.0)
        if kind is None or score < LABEL_MIN_SCORE or kind == "ignore":
            continue
        if kind in ("advies_beleidsadviseur", "advies_icm"):
            fields[kind] = _advice_from_text(answer)
            continue
        if kind in raw_by_kind:  # the same question twice: keep the first, tell a person
            meldingen.append(Melding(veld=None, ernst="waarschuwing",
                                     tekst=f"Een vraag staat twee keer in het formulier ({question[:60]}); "
                                           "het eerste antwoord is gebruikt."))
            continue
        raw_by_kind[kind], kind_conf[kind] = answer, row_conf
        if not nz.clean(answer):
            continue
        read = ROW_READERS[kind](answer)
        if kind in ("ambulant", "verblijf"):
            hulp[kind], hulp_conf[kind] = read, row_conf
            continue
        for name, value in read.items():
            if value is not None or name not in fields:
                fields[name] = value
                confidence[name] = row_conf
        if all(v is None for v in read.values()) and nz.text(answer) is not None:
            meldingen.append(_unreadable(next(iter(read))))
    if len(raw_by_kind) < MIN_FIELDS_FOR_A_FORM:
        raise UnreadableForm("Het document is geen aanvraagformulier maatwerkovereenkomst: de vragen van het "
                             "formulier zijn niet gevonden. Gebruik het aanvraagformulier (Bijlage 1).")
    # hulpvorm: exactly one of the two rows says yes
    yes = [k for k, r in hulp.items() if r.get("_yes")]
    if len(yes) == 1:
        chosen = hulp[yes[0]]
        fields["hulpvorm"] = "ambulant" if yes[0] == "ambulant" else "verblijf"
        fields["type_hulp"] = chosen.get("type_hulp")
        fields["productcode"] = chosen.get("productcode")
        for name in ("hulpvorm", "type_hulp", "productcode"):
            confidence[name] = hulp_conf[yes[0]]
    elif len(yes) > 1:
        meldingen.append(Melding(veld="hulpvorm", ernst="waarschuwing",
                                 tekst="Zowel ambulante hulp als verblijf is met 'ja' beantwoord."))
    # the inzet is often written in the tarief or periode answer
    if fields.get("inzet.aantal") is None:
        for kind in ("tarief", "periode"):
            extra = _inzet_fields(raw_by_kind.get(kind) or "")
            if extra:
                fields.update(extra)
                confidence.update({name: kind_conf[kind] for name in extra})
                break
    extraction = _finish(fields, meldingen, mappings, layout=layout, confidence=confidence)
    return _mark_crisis(extraction, raw_by_kind.get("spoed"))


def _advice_from_text(text: str):

    if not nz.clean(text):
        return None
    m = re.search(r"\b(positief|negatief)\b", text, re.I)
    if not m or re.search(r"positief\s*/\s*negatief", text, re.I):
        return None
    rest = nz.clean(text[m.end():].lstrip(" .,:;-–"))
    return {"oordeel": m.group(1).lower(), "toelichting": rest}


LOW_CONFIDENCE = 0.85


def _finish(fields: Fields, meldingen: list[Melding], mappings: Mappings, layout: str,
            confidence: Optional[dict[str, float]] = None) -> Extraction:
    fields = {k: v for k, v in fields.items() if not k.startswith("_")}
    confidence = {k: v for k, v in (confidence or {}).items() if fields.get(k) is not None}
    for name, conf in sorted(confidence.items()):
        if conf < LOW_CONFIDENCE:
            meldingen.append(Melding(veld=name, ernst="waarschuwing",
                                     tekst=f"Het veld '{name}' is met lage zekerheid gelezen ({conf:.0%}); "
                                           "controleer het in het formulier."))
    # gemeente: canonical name, typo-tolerant
    if fields.get("gemeente"):
        naam, score = mappings.region.match_gemeente(fields["gemeente"])
        if naam and score >= 80:
            if score < 95:
                meldingen.append(Melding(veld="gemeente", ernst="waarschuwing",
                                         tekst=f"Gemeente gelezen als {naam}; controleer dit."))
                confidence["gemeente"] = min(confidence.get("gemeente", 1.0), score / 100)
            fields["gemeente"] = naam
        else:
            meldingen.append(Melding(veld="gemeente", ernst="fout",
                                     tekst="De gemeente hoort niet bij de regio "
                                           f"{mappings.region.naam} of is niet te herkennen."))
            fields["gemeente"] = None
    # in gedwongen kader no PGB; in vrijwillig kader no maatregel
    if fields.get("kader") == "gedwongen":
        fields["pgb_verkend"] = None
        fields["pgb_argumenten"] = None
    elif fields.get("kader") == "vrijwillig":
        fields["maatregel"] = None
    nested: dict[str, Any] = {}
    for name, value in fields.items():
        head, dot, tail = name.partition(".")
        if dot:
            nested.setdefault(head, {})[tail] = value
        else:
            nested[name] = value
    record = Aanvraag.model_validate(nested)
    return Extraction(record=record, meldingen=meldingen, layout=layout, confidence=confidence)
