"""The words on a scanned page → question/answer cells: by the grid (table rows, field
boxes and the questions printed beside or above them, checkboxes), or on a page without
a grid by position (a bold line that matches a question starts a row)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

from rapidfuzz import fuzz

from pipeline.readers.cells import Cell
from pipeline.readers.questions import QUESTION_SURE_SCORE, Labels, answer_text, norm
from pipeline.readers.scan_image import Line, Page, Rect, Word, binarise, stroke

CELL_GAP = 30  # px: two holes this close side by side share a rule (one table row)
LINE_SLACK = (
    0.6  # words whose centres differ by less than this × their height share a line
)
SPACE = 20  # px: a space between words (11-pt text at 300 dpi ≈ 15–20 px)
CONTINUATION_GAP = 25  # px: a wrapped question line follows the line above this closely
ABOVE_GAP = (
    60  # px: a question printed just above its box ends at most this far above it
)
FOOTER = 0.93  # share of the page height below which a grid-less page has its footer
EMAIL_AT = re.compile(r"(?<=\w) ?@ ?(?=\w)")  # tesseract sets '@' apart: 'a.vos @ x.nl'
SENTENCE_MARKS = (".", "?", "!")
SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
GUIDANCE_SHARE = (
    0.5  # a guidance text with a sentence left out still has this share of its length
)
GUIDANCE_SCORE = 90.0  # each of its sentences is found in the guidance text this well
ANY_QUESTION_SCORE = (
    70.0  # bold text that matches no question this well is a title or heading
)
# bold strokes are this much thicker than the page's usual ones (≈ 7.5 against 4.5 px)
BOLD = 1.3


@dataclass
class Item:
    """One answer on a page: a field box or table answer cell (`lines`), or a checkbox
    (`ticked`), with the question lines found for it."""

    rect: Rect
    question: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    ticked: bool | None = None
    table_row: bool = False


def items_of(page: Page) -> tuple[list[Item] | None, list[Line]]:
    """A page's items in reading order (None without a grid) and its text lines outside
    them."""
    free: list[Word] = []
    for w in page.words:
        hole = next(
            (
                h
                for h in page.holes
                if h.left <= w.cx < h.right and h.top <= w.cy < h.bottom
            ),
            None,
        )
        (hole.words if hole else free).append(w)
    free_lines = lines_of(free)
    if not page.holes and not page.boxes:
        return None, free_lines
    items = _table_rows(page.holes) + [
        Item(rect=box, ticked=ticked) for box, ticked in page.boxes
    ]
    items.sort(key=lambda it: (it.rect.top, it.rect.left))
    _questions_beside(items, free_lines)
    return items, free_lines


def _table_rows(holes: list[Rect]) -> list[Item]:
    """Holes side by side are a table row (first one the question); a hole alone is a
    field box."""
    items = []
    for hole in holes:
        if any(_left_of(other, hole) for other in holes):
            continue  # an answer cell: its row starts with the hole left of it
        row = [hole]
        while nxt := next((h for h in holes if _left_of(row[-1], h)), None):
            row.append(nxt)
        if len(row) == 1:
            items.append(Item(rect=hole, lines=lines_of(hole.words)))
            continue
        answer = Rect(
            row[1].left,
            min(h.top for h in row[1:]),
            row[-1].right,
            max(h.bottom for h in row[1:]),
            words=[w for h in row[1:] for w in h.words],
        )
        items.append(
            Item(
                rect=answer,
                question=lines_of(hole.words),
                lines=lines_of(answer.words),
                table_row=True,
            )
        )
    return items


def _left_of(a: Rect, b: Rect) -> bool:
    """Is `a` the cell just left of `b` on the same table row?"""
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return 0 <= b.left - a.right <= CELL_GAP and overlap >= 0.5 * min(
        a.bottom - a.top, b.bottom - b.top
    )


def _questions_beside(items: list[Item], free: list[Line]) -> None:
    """A field box's or checkbox's question: the free text left of it, starting on its
    line and with the lines wrapped below; else the text printed just above it."""
    loose = [it for it in items if not it.table_row]
    taken: set[int] = set()
    for n, line in enumerate(free):
        beside = [
            it
            for it in loose
            if line.right <= it.rect.left and it.rect.top - SPACE <= line.top + 1
        ]
        if not beside:
            continue
        item = max(beside, key=lambda it: it.rect.top)
        below = item.question[-1].bottom if item.question else item.rect.top - SPACE
        if (line.top + line.bottom) / 2 <= item.rect.bottom or (
            item.question and line.top - below <= CONTINUATION_GAP
        ):
            item.question.append(line)
            taken.add(n)
    for item in loose:
        if item.question:
            continue
        above = [
            (n, line)
            for n, line in enumerate(free)
            if n not in taken
            and 0 <= item.rect.top - line.bottom <= ABOVE_GAP
            and line.left < item.rect.right
            and line.right > item.rect.left
        ]
        if above:
            n, line = max(above, key=lambda nl: nl[1].bottom)
            item.question.append(line)
            taken.add(n)


def cell_of(item: Item, labels: Labels) -> Cell:
    question = joined([line.text for line in item.question])
    if item.ticked is not None:
        return Cell(question=question, answer="Ja" if item.ticked else "Nee")
    paragraphs = [
        p
        for p in _paragraphs(item.lines, item.rect, labels)
        if not _guidance(p, labels)
    ]
    confs = [w.conf for line in item.lines for w in line.words if w.conf >= 0]
    return Cell(
        question=question,
        answer=answer_text(paragraphs, paragraphs, labels),
        confidence=sum(confs) / len(confs) / 100 if confs else 1.0,
    )


def _paragraphs(lines: list[Line], rect: Rect, labels: Labels) -> list[str]:
    """Answer lines → paragraphs: a line ends its paragraph when the next line's first
    word would still have fitted behind it (the writer pressed Enter), or when the
    paragraph is a whole printed guidance text; else the lines are wrapped."""
    if not lines:
        return []
    padding = max(
        0, min(line.left for line in lines) - rect.left
    )  # cells are padded alike left and right
    right_edge = rect.right - padding
    paragraphs = [[lines[0].text]]
    for prev, line in zip(lines, lines[1:]):
        first = line.words[0]
        so_far = joined(paragraphs[-1])
        if (
            prev.right + SPACE + (first.right - first.left) <= right_edge
            or so_far.endswith(SENTENCE_MARKS)
            and _guidance(so_far, labels)
        ):
            paragraphs.append([line.text])
        else:
            paragraphs[-1].append(line.text)
    return [joined(p) for p in paragraphs]


def _guidance(text: str, labels: Labels) -> bool:
    """Is this paragraph one of the form's printed guidance texts, read with OCR slips
    or with a sentence left out (a form's older wording)? `answer_text` knows only the
    whole texts.
    """
    sentences = [norm(s) for s in SENTENCE_END.split(text) if norm(s)]
    return bool(sentences) and any(
        len(norm(text)) >= GUIDANCE_SHARE * len(hint)
        and all(fuzz.partial_ratio(s, hint) >= GUIDANCE_SCORE for s in sentences)
        for hint in map(norm, labels.hint_texts)
    )


def joined(lines: list[str]) -> str:
    """Wrapped lines as one text; a word broken at a trailing hyphen is joined without a
    space."""
    text = ""
    for line in lines:
        text += line if not text or text.endswith("-") else " " + line
    return EMAIL_AT.sub("@", text)


def lines_of(words: list[Word]) -> list[Line]:
    """Words grouped into lines by their vertical centres, top to bottom, left to
    right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.cy):
        if lines and abs(w.cy - median(x.cy for x in lines[-1])) < LINE_SLACK * max(
            x.bottom - x.top for x in lines[-1] + [w]
        ):
            lines[-1].append(w)
        else:
            lines.append([w])
    return [Line(sorted(ws, key=lambda w: w.left)) for ws in lines]


def body_lines(page: Page, lines: list[Line]) -> list[Line]:
    """A grid-less page's lines above its footer, with how thick their strokes are."""
    ink = binarise(page.clean)
    body = [line for line in lines if line.top < len(ink) * FOOTER]
    for line in body:
        line.stroke = stroke(ink[line.top : line.bottom, line.left : line.right])
    return body


def cells_by_position(lines: list[Line], labels: Labels) -> list[Cell]:
    """A form without a grid: a question is printed in bold (or, on a form without bold
    text, a line matching a known question), an answer is the plain lines after it up to
    the next one. Bold text that is no question of the form (the title) is left out with
    its lines."""
    if not lines:
        return []
    plain = median(line.stroke for line in lines)
    has_bold = any(line.stroke >= BOLD * plain for line in lines)
    rows: list[tuple[list[str], list[Line]]] = []
    for line in lines:
        if rows and labels.is_label_only(
            line.text
        ):  # a printed label under the question ('JB / JR')
            rows[-1][1].append(line)
        elif (
            line.stroke >= BOLD * plain
            if has_bold
            else labels.match(line.text)[1] >= QUESTION_SURE_SCORE
        ):
            if (
                rows
                and not rows[-1][1]
                and _better_together(rows[-1][0], line.text, labels)
            ):
                rows[-1][0].append(line.text)  # a question wrapped onto the next line
            else:
                rows.append(([line.text], []))
        elif rows:
            rows[-1][1].append(line)
    page = Rect(
        min(line.left for line in lines), 0, max(line.right for line in lines), 0
    )
    cells = []
    for question, answer in rows:
        cell = cell_of(Item(rect=page, question=[], lines=answer), labels)
        cell.question = joined(question)
        if labels.match(cell.question)[1] >= ANY_QUESTION_SCORE:
            cells.append(cell)
    return cells


def _better_together(question: list[str], text: str, labels: Labels) -> bool:
    """Does this bold line continue the question above (it matches better joined to
    it)?"""
    so_far = joined(question)
    return labels.match(joined(question + [text]))[1] > max(
        labels.match(so_far)[1], labels.match(text)[1]
    )
