"""Reader for the legacy Word form (Bijlage 1) and forms made like it: question | answer tables
(whole, split over several tables, with header rows, or one column with the answer in the row
under its question), bold question paragraphs each followed by the answer, and a bold question
with its answer behind it on the same line ("**Spoed:** ja")."""
from __future__ import annotations

from typing import Optional

from docx.oxml.ns import qn

from .cells import Cell, Reading
from .docx import run_parts
from .questions import Labels, answer_text


def _answer(paragraphs, labels: Labels) -> str:
    plain, with_italic = [], []
    for p_el in paragraphs:
        parts = run_parts(p_el)
        plain.append("".join(t for t, italic, struck, _ in parts if not struck and not italic))
        with_italic.append("".join(t for t, _, struck, _ in parts if not struck))
    return answer_text(plain, with_italic, labels)


def _text(element) -> str:
    return " ".join("".join(t for t, _, struck, _ in run_parts(p) if not struck)
                    for p in element.iter(qn("w:p"))).strip()


def _bold_head(p_el) -> tuple[Optional[str], str]:
    """(the bold question, the rest of the line) when a paragraph starts with bold text; a
    paragraph all bold is (question, '')."""
    parts = [(t, b) for t, _, struck, b in run_parts(p_el) if not struck and t.strip()]
    if not parts or not parts[0][1]:
        return None, ""
    n = next((i for i, (_, b) in enumerate(parts) if not b), len(parts))
    return "".join(t for t, _ in parts[:n]).strip(), "".join(t for t, _ in parts[n:]).strip()


def read(doc, labels: Labels) -> Reading:
    """(question, answer) cells in document order."""
    cells: list[Cell] = []
    pending_q: Optional[str] = None
    pending_a: list = []
    inline: str = ""

    def flush():
        nonlocal pending_q, pending_a, inline
        if pending_q is not None:
            answer = _answer(pending_a, labels)
            cells.append(Cell(pending_q, "\n".join(x for x in (inline, answer) if x)))
        pending_q, pending_a, inline = None, [], ""

    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            flush()
            cells.extend(_table_cells(child, labels))
        elif child.tag == qn("w:p"):
            if not "".join(t for t, *_ in run_parts(child)).strip():
                continue
            question, rest = _bold_head(child)
            if question and labels.is_label_only(question) and pending_q is not None:
                question = None  # a printed label under the question ('JB / JR'), not a new question
            if question:
                flush()
                pending_q, inline = question, answer_text([rest], [rest], labels) if rest else ""
            elif pending_q is not None:
                pending_a.append(child)
    flush()
    return Reading(layout="legacy-docx", cells=cells)


def _table_cells(tbl, labels: Labels) -> list[Cell]:
    rows = []
    for tr in tbl.iter(qn("w:tr")):
        tcs = list(tr.iterchildren(qn("w:tc")))
        if tcs:
            rows.append(tcs)
    cells: list[Cell] = []
    i = 0
    while i < len(rows):
        tcs = rows[i]
        if len(tcs) >= 2:
            answer_paras = [p for tc in tcs[1:] for p in tc.iter(qn("w:p"))]
            cells.append(Cell(_text(tcs[0]), _answer(answer_paras, labels)))
        else:  # one column: a header, or a question with its answer in the row below
            question = _text(tcs[0])
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            if nxt is not None and len(nxt) == 1 and labels.match(question)[1] >= 85 \
                    and labels.match(_text(nxt[0]))[1] < 85:
                cells.append(Cell(question, _answer(list(nxt[0].iter(qn("w:p"))), labels)))
                i += 1
            else:
                cells.append(Cell(question, ""))
        i += 1
    return cells
