"""Reader for fillable PDFs (AcroForm): fields named canonically (`aanbieder.naam`),
named by another region ('Naam zorgaanbieder', mapped in `[fields]` of
mappings/labels.toml), or named `Tekst7` with the question printed beside or above the
field."""

from __future__ import annotations

import io
import re

from pipeline.fields import CANONICAL
from pipeline.readers.cells import Cell, Reading
from pipeline.readers.questions import Labels


def _value(ftype, value) -> str | None:
    if ftype == "/Btn":
        return None if value is None else ("Nee" if str(value) == "/Off" else "Ja")
    return None if value is None or not str(value).strip() else str(value)


def read(reader, content: bytes, labels: Labels) -> Reading:
    """`reader` is an open pypdf PdfReader of `content`."""
    cells: list[Cell] = []
    unnamed = False
    kinds = {"canonical": 0, "named": 0, "printed": 0}
    for name, f in (reader.get_fields() or {}).items():
        name = str(
            name
        )  # a damaged file can name a field with something else than text
        ftype = f.get("/FT")
        if ftype is None:
            continue  # a parent node of hierarchical names
        value = _value(ftype, f.get("/V"))
        if name in CANONICAL:
            cells.append(Cell(name, value or "", key=name))
            kinds["canonical"] += 1
            continue
        target = labels.match_field(name)
        if target is not None:
            cells.append(Cell(name, value or "", key=target))
            kinds["named"] += 1
        else:
            unnamed = True
    if unnamed:
        printed = _printed_questions(reader, content)
        cells.extend(printed)
        kinds["printed"] += len(printed)
    layout = {
        "canonical": "acroform-canonical",
        "named": "acroform-other",
        "printed": "acroform-printed",
    }[max(kinds, key=lambda k: kinds[k])]
    return Reading(layout=layout, cells=cells)


def _printed_questions(reader, content: bytes) -> list[Cell]:
    """(printed question, field value) for every form field whose name says nothing: the
    question is the text left of the field on its line, or else the text just above it.
    """
    import pdfplumber

    cells: list[Cell] = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page, plumber_page in zip(reader.pages, pdf.pages):
            words = plumber_page.extract_words(
                keep_blank_chars=False, use_text_flow=True
            )
            height = float(page.mediabox.height)
            for annot_ref in page.get("/Annots") or []:
                annot = annot_ref.get_object()
                if not isinstance(annot, dict) or annot.get("/Subtype") != "/Widget":
                    continue  # a damaged file can list other things as annotations
                parent = annot.get("/Parent")
                parent = parent.get_object() if parent is not None else {}
                parent = parent if isinstance(parent, dict) else {}
                ftype = annot.get("/FT") or parent.get("/FT")
                value = _value(ftype, annot.get("/V", parent.get("/V")))
                if value is None:  # an empty field; a checkbox never set is not ticked
                    value = "Nee" if ftype == "/Btn" else ""
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                top, bottom = height - max(y0, y1), height - min(y0, y1)
                beside = [
                    w
                    for w in words
                    if w["x1"] <= min(x0, x1) + 1
                    and top - 2 <= (w["top"] + w["bottom"]) / 2 <= bottom + 2
                ]
                if not beside:  # the question printed above the field
                    beside = [
                        w
                        for w in words
                        if top - 24 <= w["bottom"] <= top + 1
                        and w["x0"] < max(x0, x1)
                        and w["x1"] > min(x0, x1) - 200
                    ]
                question = " ".join(
                    w["text"]
                    for w in sorted(beside, key=lambda w: (round(w["top"]), w["x0"]))
                )
                if question:
                    cells.append(
                        Cell(
                            question, value, key="checkbox" if ftype == "/Btn" else None
                        )
                    )
    return _yes_no_pairs(cells)


_CHOICE = re.compile(r"^(.*?)[\s:;,-]*\b(ja|nee)\s*[.:]?$", re.I)


def _yes_no_pairs(cells: list[Cell]) -> list[Cell]:
    """Checkbox pairs 'Spoed: ja' ☒ / 'Spoed: nee' ☐ → one answer 'ja' to 'Spoed' (none
    ticked: no answer; both ticked: both words, which the record layer reads as
    unclear)."""
    groups: dict[str, list[tuple[str, bool]]] = {}
    out: list[Cell] = []
    for cell in cells:
        m = _CHOICE.match(cell.question) if cell.key == "checkbox" else None
        if not m:
            out.append(Cell(cell.question, cell.answer))
            continue
        stem = m.group(1).strip()
        if stem not in groups:
            groups[stem] = []
            out.append(Cell(stem, ""))
        groups[stem].append((m.group(2).lower(), cell.answer == "Ja"))
    for cell in out:
        if cell.question in groups:
            ticked = [choice for choice, on in groups[cell.question] if on]
            cell.answer = (
                ticked[0] if len(ticked) == 1 else "beide aangekruist" if ticked else ""
            )
    return out
