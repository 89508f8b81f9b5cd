"""Reader for the project's own Word template: each answer in a content control whose
tag is the canonical field name (`templates/aanvraagformulier.docx`)."""

from __future__ import annotations

from docx.oxml.ns import qn

from pipeline.readers.cells import Cell, Reading
from pipeline.readers.docx import plain_text, run_parts


def read(doc) -> Reading:
    """Every tagged content control as a cell named by its tag; a control still showing
    Word's placeholder (`w:showingPlcHdr`) is an empty answer."""
    cells = []
    for tag, text in _content_controls(doc).items():
        cells.append(Cell(question=tag, answer=text or "", key=tag))
    return Reading(layout="template-docx", cells=cells)


def _content_controls(doc) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
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
            text = "\n".join(plain_text(p) for p in paras)
        elif content is not None:
            text = "".join(t for t, _, struck, _ in run_parts(content) if not struck)
        else:
            text = ""
        out[name] = text
    return out
