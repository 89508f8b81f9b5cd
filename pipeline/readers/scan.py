"""Image-only scanned PDFs, read by the form's ruled grid.

Each page is rendered at the scan's own resolution and brought to `WORK_DPI`, deskewed
by the angle of its long horizontal rules and binarised. Long horizontal and vertical
strokes (morphological opening) are the rules; the holes they enclose are the cells:

* two holes side by side on one row are a table row (legacy Word table): question |
  answer;
* a hole on its own is a field box (a fillable PDF printed and scanned): its question is
  the text printed left of it on the same line (with its wrapped lines), or else just
  above it;
* a small drawn square is a checkbox: 'Ja' when ticked, 'Nee' when empty (like `/Btn`
  fields).

Tesseract reads each page once (TSV) with the rules painted white, and every word goes
to the cell holding its centre; text outside the cells (title, introduction, footer) is
dropped, except a field box's question. A page without a grid is read by word positions
instead: a bold line (told by its stroke width) that matches a known question starts a
row, the plain lines after it are its answer.

Pixel constants are at `WORK_DPI`. No form text is ever logged.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import median
from typing import TYPE_CHECKING

import cv2
import numpy as np
from rapidfuzz import fuzz

from pipeline.errors import DAMAGED_PDF, UnreadableForm
from pipeline.readers.cells import Cell, Reading
from pipeline.readers.questions import answer_text, norm


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    if shutil.which("tesseract") is None:
        return frozenset()
    try:
        out = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return frozenset()
    return frozenset(ln.strip() for ln in out.splitlines()[1:] if ln.strip())


def usable_languages(languages: str | None) -> str:
    """The configured languages (`[ocr] languages`; None: its default) that are
    installed. Raises UnreadableForm when Dutch is not installed."""
    from pipeline.config import OcrSettings

    if languages is None:
        languages = OcrSettings().languages
    have = installed_languages()
    if "nld" not in have:
        raise UnreadableForm(
            "Dit is een scan, maar tekstherkenning in het Nederlands (tesseract met"
            " 'nld') is op deze server niet geïnstalleerd. Stuur het formulier als"
            " Word-bestand."
        )
    return "+".join(lang for lang in languages.split("+") if lang in have) or "nld"


if TYPE_CHECKING:
    from pipeline.config import LimitSettings
    from pipeline.readers.questions import Labels

# every page is brought to this resolution: tesseract reads 10-pt text best here
WORK_DPI = 300
DPI_RANGE = (150, 600)  # a scan's stated resolution outside this is not believed
MAX_SKEW = 3.0  # degrees: a steeper 'rule' is no rule
MIN_SKEW = 0.05  # degrees: below this the page is left as it is
SKEW_KERNEL = (
    60  # px: short horizontal runs, so that a rule rotated 3° still shows as runs
)
SKEW_RULE = 600  # px (2 in): the rules that tell the skew are at least this long
INK_WINDOW = 31  # px: the surroundings a pixel is compared with
INK_CONTRAST = (
    25  # grey levels darker than its surroundings make a pixel ink (JPEG noise is ±10)
)
RULE_H = (
    120  # px: a horizontal rule is at least this long (longer than any stroke of text)
)
RULE_V = 36  # px: a vertical rule this long; shorter than a one-line field box is high
RULE_GROW = 2  # px: rules are widened by this to close JPEG gaps at their joints
SIDE_REACH = 10  # px: a field box's side lies this close outside its hole
MIN_CELL_W, MIN_CELL_H = 60, 24  # px: smaller holes are not cells
CELL_GAP = 30  # px: two holes this close side by side share a rule (one table row)
BOX_SIDE = (30, 90)  # px: the side of a checkbox square
BOX_EDGE_INK = 0.75  # share of each checkbox side that is ink
TICK_INK = 0.06  # share of a checkbox's inside that is ink when it is ticked
BANDS = 2  # tesseracts per page, run in parallel (2 cores)
BLANK_RUN = 12  # px of blank rows where a page may be cut into bands
# automatic page segmentation: columns and boxes are found by tesseract
TESSERACT_PSM = "3"
TESSERACT_TIMEOUT = 120  # s per page
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
# without bold text, a grid-less line is a question when it matches one this well
QUESTION_SCORE = 85.0
ANY_QUESTION_SCORE = (
    70.0  # bold text that matches no question this well is a title or heading
)
# bold strokes are this much thicker than the page's usual ones (≈ 7.5 against 4.5 px)
BOLD = 1.3
STROKE_PERCENTILE = (
    90  # a line's stroke width is that of its thicker strokes (not the serifs)
)
TOO_LARGE = (
    "Een pagina van het PDF-bestand is te groot om te lezen (meer dan {mp:g} megapixel;"
    " een A4-scan heeft er ongeveer 9). Scan of bewaar het formulier op A4 en stuur het"
    " opnieuw."
)
TOO_MANY_PAGES = (
    "Het bestand is te groot om te verwerken (meer dan {pages} pagina's). Stuur alleen"
    " het aanvraagformulier."
)
UNREADABLE = (
    "De scan kon niet worden gelezen (tekstherkenning mislukt). "
    "Stuur het formulier als Word-bestand of als betere scan."
)


@dataclass
class Word:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    conf: float

    @property
    def cx(self) -> float:
        return (self.left + self.right) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    words: list[Word]
    stroke: float = (
        0.0  # px: how thick its letters are (bold or not), on pages without a grid
    )

    @property
    def left(self) -> int:
        return self.words[0].left

    @property
    def right(self) -> int:
        return self.words[-1].right

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.bottom for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Rect:
    left: int
    top: int
    right: int
    bottom: int
    words: list[Word] = field(default_factory=list)


@dataclass
class Item:
    """One answer on a page: a field box or table answer cell (`lines`), or a checkbox
    (`ticked`), with the question lines found for it."""

    rect: Rect
    question: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    ticked: bool | None = None
    table_row: bool = False


def read(
    content: bytes,
    labels: Labels,
    languages: str | None = None,
    limits: LimitSettings | None = None,
) -> Reading:
    """The question/answer cells of a scanned form (an image-only PDF), read by OCR in
    `languages` (`[ocr] languages`; None: its default) within `limits` (None: the
    defaults). Raises UnreadableForm."""
    from pipeline.config import LimitSettings

    languages = usable_languages(languages)
    images = _render(content, limits or LimitSettings())
    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            pages = list(pool.map(_page, images))
            bands = [
                (page, top, band) for page in pages for top, band in _bands(page.clean)
            ]
            for (page, top, _), words in zip(
                bands, pool.map(lambda b: _tesseract(b[2], languages), bands)
            ):
                page.words += [
                    Word(w.text, w.left, w.top + top, w.right, w.bottom + top, w.conf)
                    for w in words
                ]
    except cv2.error:
        raise UnreadableForm(UNREADABLE) from None
    return Reading(layout="scan-pdf", cells=_cells(pages, labels), scanned=True)


def _cells(pages: list[Page], labels: Labels) -> list[Cell]:
    """The cells of all pages in order (a row cut by a page break is joined again by the
    record layer); grid-less pages are read together by position."""
    cells: list[Cell] = []
    grid_less: list[Line] = []  # the text lines of consecutive pages without a grid
    for page in pages:
        items, free = _items(page)
        if items is None:
            grid_less += _body_lines(page, free)
            continue
        cells += _cells_by_position(grid_less, labels)
        grid_less = []
        cells += [_cell(item, labels) for item in items]
    return cells + _cells_by_position(grid_less, labels)


def _render(content: bytes, limits: LimitSettings) -> list[np.ndarray]:
    """Each page as a grey image at WORK_DPI, rendered at the scan's own resolution; too
    many pages, or a page larger than the limit (a huge MediaBox: 3.6 GB from 443
    bytes), is refused before rendering."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError:
        raise UnreadableForm(DAMAGED_PDF) from None
    try:
        if len(pdf) > limits.max_pages:
            raise UnreadableForm(TOO_MANY_PAGES.format(pages=limits.max_pages))
        images = []
        for i in range(len(pdf)):
            page = pdf[i]
            dpi = _scan_dpi(page)
            width, height = page.get_size()  # pt
            if (
                width * height * (max(dpi, WORK_DPI) / 72) ** 2
                > limits.max_page_megapixels * 1e6
            ):
                raise UnreadableForm(TOO_LARGE.format(mp=limits.max_page_megapixels))
            image = np.asarray(
                page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            )
            if dpi != WORK_DPI:
                f = WORK_DPI / dpi
                image = cv2.resize(
                    image, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC
                )
            images.append(image)
        return images
    except pdfium.PdfiumError:
        raise UnreadableForm(UNREADABLE) from None
    finally:
        pdf.close()


def _scan_dpi(page) -> float:
    """The resolution the page was scanned at (its largest image)."""
    import pypdfium2.raw as pdfium_raw

    best = 0.0
    for obj in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]):
        best = max(best, obj.get_metadata().horizontal_dpi or 0.0)
    best = round(
        best
    )  # scanners write whole dpi; 225.00001 in the metadata is float noise
    return best if DPI_RANGE[0] <= best <= DPI_RANGE[1] else WORK_DPI


@dataclass
class Page:
    """A deskewed page: its cells, checkboxes, the image tesseract reads (rules painted
    out) and the words read."""

    clean: np.ndarray
    holes: list[Rect]
    boxes: list[tuple[Rect, bool]]
    words: list[Word] = field(default_factory=list)


def _page(gray: np.ndarray) -> Page:
    """A page deskewed, its grid and checkboxes found, and the image made for tesseract."""
    gray = _deskew(gray)
    ink = _binarise(gray)
    horizontal, vertical = _rules(ink)
    grow = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * RULE_GROW + 1,) * 2)
    holes = _holes(cv2.dilate(horizontal | vertical, grow))
    boxes = _checkboxes(ink, holes)
    clean = gray.copy()
    clean[_painted_out(horizontal, vertical, holes) > 0] = 255
    for box, _ in boxes:  # the square and its tick are no letters
        clean[
            max(0, box.top - RULE_GROW) : box.bottom + RULE_GROW,
            max(0, box.left - RULE_GROW) : box.right + RULE_GROW,
        ] = 255
    return Page(clean, holes, boxes)


def _bands(clean: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The page cut into BANDS strips (with their tops) at blank rows, for tesseracts in
    parallel."""
    blank = ~(_binarise(clean) > 0).any(axis=1)
    height = len(blank)
    cuts = [0]
    for k in range(1, BANDS):
        target = height * k // BANDS
        rows = [
            y
            for y in range(cuts[-1] + BLANK_RUN, height - BLANK_RUN)
            if blank[y - BLANK_RUN // 2 : y + BLANK_RUN // 2].all()
        ]
        if rows:
            cuts.append(min(rows, key=lambda y: abs(y - target)))
    cuts.append(height)
    return [(top, clean[top:bottom]) for top, bottom in zip(cuts, cuts[1:])]


def _items(page: Page) -> tuple[list[Item] | None, list[Line]]:
    """A page's items in reading order (None without a grid) and its text lines outside
    them."""
    free = []
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
    free_lines = _lines(free)
    if not page.holes and not page.boxes:
        return None, free_lines
    items = _table_rows(page.holes) + [
        Item(rect=box, ticked=ticked) for box, ticked in page.boxes
    ]
    items.sort(key=lambda it: (it.rect.top, it.rect.left))
    _questions_beside(items, free_lines)
    return items, free_lines


def _binarise(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0: darker than its surroundings by INK_CONTRAST (a field box's thin
    grey border on its grey fill, as well as black text on white)."""
    return cv2.adaptiveThreshold(
        gray,
        255,
        cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY_INV,
        INK_WINDOW,
        INK_CONTRAST,
    )


def _deskew(gray: np.ndarray) -> np.ndarray:
    """The page turned straight, by the median angle of its long horizontal rules."""
    ink = _binarise(gray)
    runs = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (SKEW_KERNEL, 1))
    )
    angles = []
    for contour in cv2.findContours(runs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]:
        if (
            cv2.boundingRect(contour)[2] >= SKEW_RULE
        ):  # a rule: its outline runs along it
            vx, vy = cv2.fitLine(contour, cv2.DIST_L2, 0, 0.01, 0.01).ravel()[:2]
            angles.append(float(np.degrees(np.arctan(vy / vx))))
    angles = [a for a in angles if abs(a) <= MAX_SKEW]
    if not angles or abs(angle := float(median(angles))) < MIN_SKEW:
        return gray
    h, w = gray.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _rules(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The horizontal and the vertical ruled lines: long strokes (with the stems of some
    letters)."""
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (RULE_H, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, RULE_V))
    )
    return horizontal, vertical


def _painted_out(
    horizontal: np.ndarray, vertical: np.ndarray, holes: list[Rect]
) -> np.ndarray:
    """What tesseract must not see: the horizontal rules, long vertical ones and the
    short sides of field boxes, but not the stem of an 'l' or the descender of a 'p'
    touching a rule.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(vertical)
    long = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= RULE_H]
    rules = horizontal | np.where(np.isin(labels, long), vertical, 0).astype(np.uint8)
    for hole in holes:
        for x0, x1 in (
            (hole.left - SIDE_REACH, hole.left),
            (hole.right, hole.right + SIDE_REACH),
        ):
            rules[hole.top : hole.bottom, max(0, x0) : x1] |= vertical[
                hole.top : hole.bottom, max(0, x0) : x1
            ]
    return cv2.dilate(rules, np.ones((3, 3), np.uint8))


def _holes(rules: np.ndarray) -> list[Rect]:
    """The cells: rectangular holes enclosed by the rules."""
    contours, hierarchy = cv2.findContours(
        rules, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    holes = []
    for contour, (_, _, _, parent) in zip(
        contours, hierarchy[0] if hierarchy is not None else []
    ):
        x, y, w, h = cv2.boundingRect(contour)
        if (
            parent < 0
            or w < MIN_CELL_W
            or h < MIN_CELL_H
            or cv2.contourArea(contour) < 0.8 * w * h
        ):
            continue
        holes.append(Rect(x, y, x + w, y + h))
    return holes


def _checkboxes(ink: np.ndarray, holes: list[Rect]) -> list[tuple[Rect, bool]]:
    """Small drawn squares outside the cells, with whether each is ticked."""
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (
            BOX_SIDE[0] <= w <= BOX_SIDE[1]
            and BOX_SIDE[0] <= h <= BOX_SIDE[1]
            and 0.8 <= w / h <= 1.25
        ):
            continue
        square = ink[y : y + h, x : x + w] > 0
        edge = max(2, min(w, h) // 12)
        sides = [
            square[:edge].any(axis=0),
            square[-edge:].any(axis=0),
            square[:, :edge].any(axis=1),
            square[:, -edge:].any(axis=1),
        ]
        if min(side.mean() for side in sides) < BOX_EDGE_INK:
            continue
        if any(
            h_.left <= x + w / 2 < h_.right and h_.top <= y + h / 2 < h_.bottom
            for h_ in holes
        ):
            continue  # a letter 'O' or '□' typed in a cell
        inside = square[h // 4 : h - h // 4, w // 4 : w - w // 4]
        boxes.append((Rect(x, y, x + w, y + h), bool(inside.mean() >= TICK_INK)))
    return boxes


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
            items.append(Item(rect=hole, lines=_lines(hole.words)))
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
                question=_lines(hole.words),
                lines=_lines(answer.words),
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


def _cell(item: Item, labels: Labels) -> Cell:
    question = _join([line.text for line in item.question])
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
        so_far = _join(paragraphs[-1])
        if (
            prev.right + SPACE + (first.right - first.left) <= right_edge
            or so_far.endswith(SENTENCE_MARKS)
            and _guidance(so_far, labels)
        ):
            paragraphs.append([line.text])
        else:
            paragraphs[-1].append(line.text)
    return [_join(p) for p in paragraphs]


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


def _join(lines: list[str]) -> str:
    """Wrapped lines as one text; a word broken at a trailing hyphen is joined without a
    space."""
    text = ""
    for line in lines:
        text += line if not text or text.endswith("-") else " " + line
    return EMAIL_AT.sub("@", text)


def _lines(words: list[Word]) -> list[Line]:
    """Words grouped into lines by their vertical centres, top to bottom, left to right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.cy):
        if lines and abs(w.cy - median(x.cy for x in lines[-1])) < LINE_SLACK * max(
            x.bottom - x.top for x in lines[-1] + [w]
        ):
            lines[-1].append(w)
        else:
            lines.append([w])
    return [Line(sorted(ws, key=lambda w: w.left)) for ws in lines]


def _tesseract(gray: np.ndarray, languages: str) -> list[Word]:
    """Tesseract's words on the page (one process per page, TSV)."""
    ok, image = cv2.imencode(".png", gray)
    env = {
        **os.environ,
        "OMP_THREAD_LIMIT": "1",
    }  # tesseract's own threads made it slower here
    try:
        out = subprocess.run(
            [
                "tesseract",
                "stdin",
                "stdout",
                "-l",
                languages,
                "--dpi",
                str(WORK_DPI),
                "--psm",
                TESSERACT_PSM,
                "tsv",
            ],
            input=image.tobytes(),
            capture_output=True,
            env=env,
            timeout=TESSERACT_TIMEOUT,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        raise UnreadableForm(UNREADABLE) from None
    words = []
    rows = csv.DictReader(
        io.StringIO(out.stdout.decode("utf-8", "replace")),
        delimiter="\t",
        quoting=csv.QUOTE_NONE,
    )
    for r in rows:
        text = (r.get("text") or "").strip()
        if r.get("level") != "5" or not text:
            continue
        left, top, width, height = (
            int(r[k]) for k in ("left", "top", "width", "height")
        )
        words.append(
            Word(text, left, top, left + width, top + height, float(r["conf"]))
        )
    return words


def _body_lines(page: Page, lines: list[Line]) -> list[Line]:
    """A grid-less page's lines above its footer, with how thick their strokes are."""
    ink = _binarise(page.clean)
    body = [line for line in lines if line.top < len(ink) * FOOTER]
    for line in body:
        line.stroke = _stroke(ink[line.top : line.bottom, line.left : line.right])
    return body


def _stroke(ink: np.ndarray) -> float:
    """The thickness of the strokes in an inked region: twice the distance from the
    middle of its thicker strokes to the paper."""
    inside = cv2.distanceTransform(
        cv2.copyMakeBorder(ink, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0),
        cv2.DIST_L2,
        3,
    )
    return (
        2 * float(np.percentile(inside[inside > 0], STROKE_PERCENTILE))
        if inside.any()
        else 0.0
    )


def _cells_by_position(lines: list[Line], labels: Labels) -> list[Cell]:
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
            else labels.match(line.text)[1] >= QUESTION_SCORE
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
        cell = _cell(Item(rect=page, question=[], lines=answer), labels)
        cell.question = _join(question)
        if labels.match(cell.question)[1] >= ANY_QUESTION_SCORE:
            cells.append(cell)
    return cells


def _better_together(question: list[str], text: str, labels: Labels) -> bool:
    """Does this bold line continue the question above (it matches better joined to it)?"""
    so_far = _join(question)
    return labels.match(_join(question + [text]))[1] > max(
        labels.match(so_far)[1], labels.match(text)[1]
    )
