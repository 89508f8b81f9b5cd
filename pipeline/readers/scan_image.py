"""A scanned page as an image: rendered at WORK_DPI, deskewed, binarised; its ruled
grid (the holes the rules enclose), its checkboxes, and the image tesseract reads with
the rules painted out. Pixel constants are at `WORK_DPI`."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pipeline.errors import DAMAGED_PDF, UnreadableForm

if TYPE_CHECKING:
    from pipeline.config import LimitSettings


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
BOX_SIDE = (30, 90)  # px: the side of a checkbox square
BOX_EDGE_INK = 0.75  # share of each checkbox side that is ink
TICK_INK = 0.06  # share of a checkbox's inside that is ink when it is ticked
BANDS = 2  # tesseracts per page, run in parallel (2 cores)
BLANK_RUN = 12  # px of blank rows where a page may be cut into bands
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


def render(content: bytes, limits: LimitSettings) -> list[np.ndarray]:
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


def page_of(gray: np.ndarray) -> Page:
    """A page deskewed, its grid and checkboxes found, and the image made for
    tesseract."""
    gray = _deskew(gray)
    ink = binarise(gray)
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


def bands(clean: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The page cut into BANDS strips (with their tops) at blank rows, for tesseracts in
    parallel."""
    blank = np.asarray(~(binarise(clean) > 0).any(axis=1))
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


def binarise(gray: np.ndarray) -> np.ndarray:
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
    ink = binarise(gray)
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
    rules: np.ndarray = horizontal | np.where(
        np.isin(labels, long), vertical, 0
    ).astype(np.uint8)
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


def stroke(ink: np.ndarray) -> float:
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
