"""Legacy forms as people reshape them: questions as bold paragraphs with the answer
below, reworded and reordered, guidance text left in italics — all read into the same
record.
"""

from __future__ import annotations

import io
import json

from docx import Document

from pipeline.config import Settings
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from tests.conftest import sample
from tests.test_pdf_printed_questions import ROWS


def _paragraph_form(rows) -> bytes:
    doc = Document()
    doc.add_heading("Stappenformulier maatwerk", level=1)
    doc.add_paragraph(
        "Vul de vragen hieronder in en mail het formulier naar inkoop@zorginzou.nl."
    )
    for question, answer in rows:
        doc.add_paragraph().add_run(question).bold = True
        if question.startswith("Periode"):
            doc.add_paragraph().add_run(
                "Denk vooruit. Gaat de hulp langjarig nodig zijn?"
            ).italic = True
        for line in answer.replace(". Argumenten: ", ".\nArgumenten: ").split(
            "\n"
        ):  # two paragraphs
            doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_bold_question_paragraphs_reordered_and_reworded():
    rows = list(reversed(ROWS))  # order does not matter
    extraction = extract_bytes(
        _paragraph_form(rows), load_mappings(Settings().region.mappings_dir, "zou")
    )
    assert extraction.layout == "legacy-docx"
    assert extraction.record.model_dump(mode="json") == json.loads(
        sample("legacy-table.json").read_text()
    )
    assert not [m for m in extraction.meldingen if m.ernst == "fout"]
