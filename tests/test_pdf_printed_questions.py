"""Another region's fillable PDF whose fields are called 'Tekst1', 'Tekst2', …: the
question printed beside each field tells what it holds."""

from __future__ import annotations

import io
import json

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pipeline.config import Settings
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from tests.conftest import sample

# (question as another region prints it, what the referrer typed) — expected:
# samples/legacy-table.json
ROWS = [
    ("Spoed?", "nee"),
    ("Gemeente", "Zeist"),
    ("ZorgNed nummer", "644475"),
    ("Leeftijd client", "9 jaar"),
    ("Contactpersoon voor vragen", "Esther van Dijk, 030 4539139, e.vandijk@zeist.nl"),
    ("Gecheckt of hulp onder de jeugdwet valt?", "Ja"),
    ("Ambulante hulp? Type hulp en productcode", "Ja, Individuele begeleiding (45A52)"),
    ("Jeugdhulp met verblijf? Type hulp en productcode", "nee"),
    ("Verblijfsvorm", "n.v.t."),
    ("Vrijwillig of gedwongen kader?", "Vrijwillig"),
    (
        "PGB verkend? Waarom geen PGB?",
        (
            "Ja. Argumenten: Moeder heeft een licht verstandelijke beperking;"
            " budgethouderschap is niet verantwoord."
        ),
    ),
    ("Maatregel (JB/JR)", "n.v.t."),
    (
        "Waarom geen gecontracteerde aanbieder?",
        (
            "Behandeling moet in het Turks kunnen plaatsvinden i.v.m. grootouders die"
            " verzorgen; geen gecontracteerde aanbieder kan dit."
        ),
    ),
    (
        "Voorgestelde aanbieder en contactpersoon",
        (
            "Begeleidingspraktijk Sterk Thuis, contactpersoon Ruud Yılmaz, "
            "tel. 0343 266910"
        ),
    ),
    ("KvK nummer", "61968440"),
    ("AGB code", "98049028"),
    ("IBAN aanbieder", "NL51 SNSB 4236 6348 72"),
    (
        "Voldoet de aanbieder aan de kwaliteitseisen?",
        (
            "SKJ-geregistreerde orthopedagoog (GZ), HKZ-gecertificeerd, "
            "VOG aanwezig, klachtenregeling via Klachtenportaal Zorg."
        ),
    ),
    ("Periode", "1 april 2027 t/m 30 september 2027"),
    ("Omvang inzet", "3 uur per week"),
    ("Voorgesteld tarief", "€ 84,00 per uur"),
]


def _form() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = A4[1] - 60
    for i, (question, _) in enumerate(ROWS, start=1):
        c.setFont("Helvetica", 9)
        c.drawString(40, y + 4, question)
        c.acroForm.textfield(
            name=f"Tekst{i}",
            x=260,
            y=y,
            width=300,
            height=16,
            value="",
            borderWidth=0.5,
        )
        y -= 30
    c.save()
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(buf.getvalue())))
    writer.update_page_form_field_values(
        writer.pages[0],
        {f"Tekst{i}": v for i, (_, v) in enumerate(ROWS, 1)},
        auto_regenerate=False,
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_fields_named_tekst_n_are_read_by_the_printed_question():
    extraction = extract_bytes(
        _form(), load_mappings(Settings().region.mappings_dir, "zou")
    )
    assert extraction.layout == "acroform-printed"
    assert extraction.record.model_dump(mode="json") == json.loads(
        sample("legacy-table.json").read_text()
    )
