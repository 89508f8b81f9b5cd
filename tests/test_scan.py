"""Scanned forms read by their ruled grid: the right answers in the right cells.

Scans are made here from the digital corpus forms (rendered at 200–300 dpi, rotated,
saved as JPEG q50 and wrapped into an image-only PDF), so the expected answers are
known."""

from __future__ import annotations

import io
import shutil
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import UnreadableForm
from pipeline.readers import scan
from pipeline.readers.cells import Reading
from pipeline.region.profile import load_mappings
from tests.conftest import REPO, sample

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed"
)

JPEG_QUALITY = 50


@cache
def _labels():
    return load_mappings(REPO / "mappings", "zou").labels


def scan_of(pdf: Path, page: int, dpi: int, angle: float) -> bytes:
    """One page of a digital form as a scanner would send it: an image-only PDF."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    document.init_forms()  # fillable PDFs: print the field values too
    image = (
        document[page]
        .render(scale=dpi / 72, grayscale=True, may_draw_forms=True)
        .to_pil()
    )
    image = image.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=JPEG_QUALITY)
    out = io.BytesIO()
    Image.open(jpeg).save(out, "PDF", resolution=dpi)
    return out.getvalue()


@cache
def read_scan(name: str, page: int, dpi: int, angle: float) -> Reading:
    return scan.read(scan_of(sample(f"corpus/{name}"), page, dpi, angle), _labels())


def answer(reading: Reading, question: str) -> str:
    """The answer of the cell whose question starts so."""
    matches = [c.answer for c in reading.cells if c.question.startswith(question)]
    assert len(matches) == 1, f"{len(matches)} cells for {question!r}"
    return matches[0]


VARIANTS = [(200, -2.0), (250, 1.5), (300, -2.0), (300, 1.5)]


@pytest.mark.parametrize("dpi,angle", VARIANTS)
def test_table_scan_puts_provider_and_period_in_their_cells(dpi, angle):
    # c047 page 2: the legacy Word table (same form as c058)
    reading = read_scan("c047.pdf", 1, dpi, angle)
    assert reading.layout == "scan-pdf" and reading.scanned
    provider = answer(reading, "Welke aanbieder stel je voor?")
    assert (
        "Traumapraktijk Heuvelrug" in provider
        and "Lotte de Groot (06-20841729)" in provider
    )
    assert [c.question for c in reading.cells if "Traumapraktijk" in c.answer] == [
        next(
            c.question
            for c in reading.cells
            if c.question.startswith("Welke aanbieder")
        )
    ]
    assert (
        answer(reading, "Voor welke periode") == "1-2-2027 t/m 30-4-2027"
    )  # the guidance above it dropped
    assert answer(reading, "KvK-nummer aanbieder") == "24080246"
    assert answer(reading, "IBAN aanbieder") == "NL26ABNA7109043665"
    assert answer(reading, "Omvang van de inzet") == "12 uur per maand"
    assert answer(reading, "Advies ICM") == ""
    assert all(0 < c.confidence <= 1 for c in reading.cells)


@pytest.mark.parametrize("dpi,angle", [(200, 1.5), (300, -2.0)])
def test_field_boxes_and_checkboxes_of_a_printed_fillable_pdf(dpi, angle):
    # c042: a fillable PDF printed and scanned (same form as c064)
    reading = read_scan("c042.pdf", 0, dpi, angle)
    assert answer(reading, "Heeft deze aanvraag spoed?") == "Ja"  # ticked
    assert answer(reading, "Jeugdhulp met verblijf") == "Nee"  # empty checkbox
    assert answer(reading, "Naam zorgaanbieder") == "Stichting Het Vlonder"
    assert answer(reading, "Contactpersoon zorgaanbieder") == "Sanne Verhoef"
    assert answer(reading, "E-mailadres verwijzer") == "b.verhoef@gi-middenland.nl"
    assert answer(reading, "IBAN zorgaanbieder") == "NL25 RBRB 3314 0791 76"
    assert answer(reading, "Startdatum") == "1-3-2027"
    assert answer(reading, "Verblijfsvorm") == ""  # an empty box
    assert not any(
        "Aanvraagformulier" in c.question or "pagina" in c.answer for c in reading.cells
    )


def test_running_text_outside_the_grid_is_no_cell():
    reading = read_scan("c047.pdf", 0, 250, -2.0)
    assert answer(reading, "Heeft deze aanvraag spoed?") == "ja (spoed)"
    assert answer(reading, "Wat is de leeftijd van de client?") == "13 jaar"
    assert (
        answer(reading, "Wie moeten we bellen")
        == "Marieke Vos\n0031 6 42001549\nm.vos@bunnik.nl"
    )
    assert not any(
        "gecontracteerde aanbieders, tenzij" in c.question + c.answer
        for c in reading.cells
    )


def test_a_page_without_grid_is_read_by_bold_questions():
    # c052: bold question paragraphs, no table (same form as c063)
    reading = read_scan("c052.pdf", 0, 300, 1.5)
    assert answer(reading, "Heeft de aanvraag spoed?") == "Nee"
    assert answer(reading, "Gemeente van het verzoek") == "Gemeente Wijk bij Duurstede"
    assert answer(reading, "Met welk registratie nummer") == "ZN-5383345"
    assert not any(
        c.question.startswith("Aanvraag maatwerk") for c in reading.cells
    )  # the title


def test_a_table_row_split_by_the_page_break_is_joined():
    from pipeline.readers.cells import Reading
    from pipeline.readers.record import join_continued

    reading = scan.read(sample("corpus/c058.pdf").read_bytes(), _labels())
    joined = Reading(
        reading.layout, join_continued(reading.cells, _labels()), scanned=True
    )
    assert "plaatsvinden i.v.m. grootouders" in answer(joined, "Wat zijn de redenen")
    assert all(c.question for c in joined.cells)


def test_what_is_no_pdf_is_unreadable():
    with pytest.raises(UnreadableForm):
        scan.read(b"%PDF-1.4 not really", _labels())
