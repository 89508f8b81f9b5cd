"""Reader for the legacy Word form (Bijlage 1) and forms made like it: question | answer
tables (whole, split over several tables, with header rows, or one column with the
answer in the row under its question), bold question paragraphs each followed by the
answer, and a bold question with its answer behind it on the same line ("**Spoed:**
ja")."""

from __future__ import annotations

import re

from docx.oxml.ns import qn

from pipeline.readers.cells import Cell, Reading
from pipeline.readers.docx import run_parts
from pipeline.readers.questions import Labels, answer_text


def _answer(paragraphs, labels: Labels) -> str:
    plain, with_italic = [], []
    for p_el in paragraphs:
        parts = run_parts(p_el)
        plain.append(
            "".join(t for t, italic, struck, _ in parts if not struck and not italic)
        )
        with_italic.append("".join(t for t, _, struck, _ in parts if not struck))
    return answer_text(plain, with_italic, labels)


def _text(element) -> str:
    return " ".join(
        "".join(t for t, _, struck, _ in run_parts(p) if not struck)
        for p in element.iter(qn("w:p"))
    ).strip()


HEADING_STYLE = re.compile(r"heading|kop|title|titel|subtitle|ondertitel", re.I)


def _is_heading(p_el) -> bool:
    """A paragraph in a heading style ('Heading 2', 'Kop 2'): a section of the form,
    never an answer."""
    ppr = p_el.find(qn("w:pPr"))
    style = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return style is not None and bool(
        HEADING_STYLE.search(style.get(qn("w:val")) or "")
    )


def _bold_head(p_el) -> tuple[str | None, str]:
    """(the bold question, the rest of the line) when a paragraph starts with bold text;
    a paragraph all bold is (question, '')."""
    if _is_heading(p_el):
        return (
            "".join(t for t, _, struck, _ in run_parts(p_el) if not struck).strip(),
            "",
        )
    parts = [(t, b) for t, _, struck, b in run_parts(p_el) if not struck and t.strip()]
    if not parts or not parts[0][1]:
        return None, ""
    n = next((i for i, (_, b) in enumerate(parts) if not b), len(parts))
    return (
        "".join(t for t, _ in parts[:n]).strip(),
        "".join(t for t, _ in parts[n:]).strip(),
    )


def read(doc, labels: Labels) -> Reading:
    """(question, answer) cells in document order."""
    cells: list[Cell] = []
    pending_q: str | None = None
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
                # a printed label under the question ('JB / JR'), not a new question
                question = None
            if question:
                flush()
                pending_q, inline = (
                    question,
                    answer_text([rest], [rest], labels) if rest else "",
                )
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
    single = [tcs[0] for tcs in rows if _single(tcs)]
    cues = {id(tc): _question_cue(tc) for tc in single}
    formatted = any(cues.values()) and not all(
        cues.values()
    )  # question rows look different from answers
    pending: tuple[str, list] | None = (
        None  # one column: a question row and the answer rows under it
    )

    def flush():
        nonlocal pending
        if pending is not None:
            cells.append(Cell(pending[0], _answer(pending[1], labels)))
        pending = None

    for tcs in rows:
        if not _single(tcs):
            flush()
            if len(tcs) > 2 and re.fullmatch(
                r"\W*\d+\W*|\W*[a-z]\W*", _text(tcs[0]) or "x"
            ):
                tcs = tcs[1:]  # a number column: 'nr | vraag | antwoord'
            answer_paras = [p for tc in tcs[1:] for p in tc.iter(qn("w:p"))]
            cells.append(Cell(_text(tcs[0]), _answer(answer_paras, labels)))
            continue
        tc = tcs[0]
        text = _text(tc)
        is_question = (
            cues[id(tc)]
            if formatted
            else (labels.match(text)[1] >= 85 and (pending is None or pending[1]))
        )
        if is_question:
            flush()
            pending = (text, [])
        elif pending is not None:
            pending[1].extend(tc.iter(qn("w:p")))
        else:
            cells.append(Cell(text, ""))  # a heading row
    flush()
    return cells


def _single(tcs) -> bool:
    """A row with one cell (or whose other cells are empty)."""
    return len(tcs) == 1 or all(not _text(tc) for tc in tcs[1:])


def _question_cue(tc) -> bool:
    """Does a one-column row look like a question: all bold, or shaded?"""
    tcpr = tc.find(qn("w:tcPr"))
    shaded = (
        tcpr is not None
        and tcpr.find(qn("w:shd")) is not None
        and (tcpr.find(qn("w:shd")).get(qn("w:fill")) or "auto").lower()
        not in ("auto", "ffffff")
    )
    parts = [
        b
        for p in tc.iter(qn("w:p"))
        for t, _, struck, b in run_parts(p)
        if t.strip() and not struck
    ]
    return shaded or (bool(parts) and all(parts))
