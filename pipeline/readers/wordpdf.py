"""Reader for forms saved as PDF from Word (a text layer): the ruled two-column table, a
cell per question and per answer, or bold question paragraphs each followed by the
answer. Italic guidance and struck-through text (a 'JB / JR' answered by striking one
through) are dropped, as in the Word reader."""

from __future__ import annotations

import io
import re

from pipeline.readers.cells import Cell, Reading
from pipeline.readers.questions import Labels, answer_text

STRIKE_BAND = (
    0.25,
    0.75,
)  # a strike line crosses a glyph between these fractions of its height
MAX_RULE_THICKNESS = 2.0  # pt
# pt: running headers and footers sit in the page margin (Word's default is 72)
MARGIN = 45.0


def _is_italic(fontname: str) -> bool:
    name = fontname.lower()
    return "italic" in name or "oblique" in name


def _is_bold(fontname: str) -> bool:
    name = fontname.lower()
    return "bold" in name or "black" in name or "heavy" in name


def _strike_lines(page) -> list[tuple[float, float, float]]:
    """(x0, x1, y) of every thin horizontal line or rectangle on the page."""
    out = []
    for o in list(page.lines) + list(page.rects):
        if abs(o["bottom"] - o["top"]) <= MAX_RULE_THICKNESS and o["x1"] - o["x0"] > 2:
            out.append((o["x0"], o["x1"], (o["top"] + o["bottom"]) / 2))
    return out


def _struck(char, lines) -> bool:
    mid = (char["x0"] + char["x1"]) / 2
    h = char["bottom"] - char["top"]
    lo, hi = char["top"] + h * STRIKE_BAND[0], char["top"] + h * STRIKE_BAND[1]
    return any(x0 <= mid <= x1 and lo <= y <= hi for x0, x1, y in lines)


def _paragraphs(page, chars, right: float) -> list[str]:
    """Chars → paragraphs: a line ends its paragraph when the next line's first word
    would still have fitted behind it (so the writer pressed Enter); widths are the
    glyphs' own."""
    region = page.filter(lambda o: o.get("object_type") == "char" and id(o) in chars)
    paragraphs: list[str] = []
    prev = None
    for line in region.extract_text_lines(return_chars=True):
        text = line["text"].strip()
        if not text:
            continue
        if prev is not None:
            glyphs = [c for c in line["chars"] if c["text"].strip()]
            first = glyphs[: len(text.split(" ")[0])]
            width = (first[-1]["x1"] - first[0]["x0"]) if first else 0.0
            space = (first[0]["x1"] - first[0]["x0"]) * 0.5 if first else 0.0
            wrapped = (
                not paragraphs[-1].rstrip().endswith((".", "!", "?", ":", ";"))
                and text[:1].islower()
            )
            if prev["x1"] + space + width < right and not wrapped:
                paragraphs.append(text)
            # a wrapped line; a word broken at its hyphen is joined without a space
            else:
                paragraphs[-1] += ("" if paragraphs[-1].endswith("-") else " ") + text
        else:
            paragraphs.append(text)
        prev = line
    return paragraphs


def _inside(
    c, bbox
) -> bool:  # by the glyph's middle: glyph boxes overlap the table rules
    x0, top, x1, bottom = bbox
    return (
        x0 <= (c["x0"] + c["x1"]) / 2 <= x1
        and top <= (c["top"] + c["bottom"]) / 2 <= bottom
    )


def read(content: bytes, labels: Labels) -> Reading | None:
    """The cells of a PDF's text layer; None when it has none (a scan)."""
    import pdfplumber

    cells: list[Cell] = []
    has_text = False
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        # paragraph layout: (page, chars of a question, answer chars) carried over pages
        pending: list = []
        for page in pdf.pages:
            has_text = has_text or any(c["text"].strip() for c in page.chars)
            strikes = _strike_lines(page)
            chars = [c for c in page.chars if not _struck(c, strikes)]
            tables = page.find_tables()
            in_tables: set[int] = set()
            for table in tables:
                cells.extend(_table_cells(page, table, chars, labels))
                in_tables.update(id(c) for c in chars if _inside(c, table.bbox))
            free = [
                c
                for c in chars
                if id(c) not in in_tables
                and MARGIN <= c["top"]
                and c["bottom"] <= page.height - MARGIN
            ]  # no header or footer
            cells.extend(_bold_paragraph_cells(page, free, labels, pending))
        cells.extend(_flush(pending, labels))
    return Reading(layout="legacy-pdf", cells=cells) if has_text else None


def _table_cells(page, table, chars, labels: Labels) -> list[Cell]:
    """A ruled table's rows: question | answer (a leading number column dropped), or one
    column with a question row (in bold) and its answer in the rows under it."""
    cells: list[Cell] = []
    # one column: [question, plain paragraphs, paragraphs with italic]
    pending: list = []

    def texts(box, drop_italic=False):
        inside = {
            id(c)
            for c in chars
            if _inside(c, box) and not (drop_italic and _is_italic(c["fontname"]))
        }
        return _paragraphs(page, inside, box[2] - 6)

    def flush():
        if pending:
            cells.append(Cell(pending[0], answer_text(pending[1], pending[2], labels)))
            pending.clear()

    for row in table.rows:
        boxes = [b for b in row.cells if b is not None]
        filled = [b for b in boxes if texts(b)]
        if (
            len(boxes) >= 3
            and filled
            and filled[0] is boxes[0]
            and re.fullmatch(r"\W*\d+\W*", " ".join(texts(boxes[0])))
        ):
            boxes = boxes[1:]  # a number column: 'nr | vraag | antwoord'
        if (
            len(boxes) >= 2
            and any(texts(b) for b in boxes[1:])
            or len(boxes) >= 2
            and not pending
        ):
            flush()
            cells.append(
                Cell(
                    " ".join(texts(boxes[0])),
                    answer_text(
                        texts(boxes[-1], drop_italic=True), texts(boxes[-1]), labels
                    ),
                )
            )
            continue
        box = boxes[0] if boxes else None
        if box is None:
            continue
        visible = [c for c in chars if _inside(c, box) and c["text"].strip()]
        if visible and all(_is_bold(c["fontname"]) for c in visible):
            flush()
            pending[:] = [" ".join(texts(box)), [], []]
        elif pending:
            pending[1].extend(texts(box, drop_italic=True))
            pending[2].extend(texts(box))
        else:
            cells.append(Cell(" ".join(texts(box)), ""))  # a heading row
    flush()
    return cells


def _bold_paragraph_cells(page, chars, labels: Labels, pending: list) -> list[Cell]:
    """Outside tables: a line all in bold starts a question; the lines under it are its
    answer."""
    out: list[Cell] = []
    if not chars:
        return out
    right = max(c["x1"] for c in chars) + 1
    region = page.filter(
        lambda o: o.get("object_type") == "char" and id(o) in {id(c) for c in chars}
    )
    for line in region.extract_text_lines(return_chars=True):
        line_chars = line["chars"]
        visible = [c for c in line_chars if c["text"].strip()]
        if not visible:
            continue
        if all(_is_bold(c["fontname"]) for c in visible) and not (
            pending and labels.is_label_only(line["text"])
        ):
            if pending and not pending[-1][2]:  # a question over two lines
                pending[-1][1].append(line["text"].strip())
                continue
            out.extend(_flush(pending, labels))
            pending.append((page, [line["text"].strip()], [], right))
        elif (
            pending
        ):  # the line's own chars, spaces included (text lines leave those out)
            box = (line["x0"] - 0.5, line["top"], line["x1"] + 0.5, line["bottom"])
            pending[-1][2].append((page, [c for c in chars if _inside(c, box)]))
    return out


def _flush(pending: list, labels: Labels) -> list[Cell]:
    out = []
    for _page, question_lines, answer_lines, right in pending:
        question = " ".join(question_lines)
        plain, with_italic = [], []
        by_page: dict[int, tuple] = {}
        for p, line_chars in answer_lines:
            by_page.setdefault(id(p), (p, []))[1].extend(line_chars)
        for p, line_chars in by_page.values():
            plain += _paragraphs(
                p,
                {id(c) for c in line_chars if not _is_italic(c["fontname"])},
                right - 6,
            )
            with_italic += _paragraphs(p, {id(c) for c in line_chars}, right - 6)
        out.append(Cell(question, answer_text(plain, with_italic, labels)))
    pending.clear()
    return out
