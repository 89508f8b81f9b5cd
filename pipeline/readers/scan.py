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

import os
from concurrent.futures import ThreadPoolExecutor

import cv2

from pipeline.config import ReadSettings
from pipeline.errors import UnreadableForm
from pipeline.readers.cells import Cell, Reading
from pipeline.readers.questions import Labels
from pipeline.readers.scan_cells import (
    body_lines,
    cell_of,
    cells_by_position,
    items_of,
)
from pipeline.readers.scan_image import (
    UNREADABLE,
    Line,
    Page,
    Word,
    bands,
    page_of,
    render,
)
from pipeline.readers.tesseract import read_words, usable_languages


def read(content: bytes, labels: Labels, how: ReadSettings = ReadSettings()) -> Reading:
    """The question/answer cells of a scanned form (an image-only PDF), read by OCR in
    `how.ocr.languages` within `how.limits`. Raises UnreadableForm."""
    languages = usable_languages(how.ocr.languages)
    images = render(content, how.limits)
    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            pages = list(pool.map(page_of, images))
            strips = [
                (page, top, band) for page in pages for top, band in bands(page.clean)
            ]
            for (page, top, _), words in zip(
                strips, pool.map(lambda b: read_words(b[2], languages), strips)
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
        items, free = items_of(page)
        if items is None:
            grid_less += body_lines(page, free)
            continue
        cells += cells_by_position(grid_less, labels)
        grid_less = []
        cells += [cell_of(item, labels) for item in items]
    return cells + cells_by_position(grid_less, labels)
