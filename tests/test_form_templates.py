"""The request form staff are handed — templates/aanvraagformulier.docx and its fillable
PDF twin — is read back exactly once filled in, and an untouched field counts as empty.
"""

from __future__ import annotations

import json

from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from bench.inputs import filled_docx, filled_pdf
from pipeline import bundled
from pipeline.config import Settings
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from tests.conftest import sample

TEMPLATES = bundled.TEMPLATES
# what a referrer types or picks; the expected record is samples/template.json
FILLED = {
    "spoed": "Nee",
    "gemeente": "Utrechtse Heuvelrug",
    "zorgned_nummer": "7626701",
    "leeftijd": "13",
    "contactpersoon.naam": "Lotte El Amrani",
    "contactpersoon.telefoon": "0343-598634",
    "contactpersoon.email": "l.elamrani@heuvelrug.nl",
    "jeugdwet_gecheckt": "Ja",
    "hulpvorm": "ambulant",
    "type_hulp": "Behandeling ASS",
    "productcode": "45A24",
    "kader": "vrijwillig",
    "pgb_verkend": "Ja",
    "pgb_argumenten": (
        "Moeder heeft een licht verstandelijke beperking; budgethouderschap is niet"
        " verantwoord."
    ),
    "reden_niet_gecontracteerd": (
        "Jeugdige is al twee jaar bij deze aanbieder in zorg (verhuisd uit andere"
        " regio). Wisselen van hulpverlener is schadelijk volgens de"
        " gedragswetenschapper."
    ),
    "aanbieder.naam": "Stichting Het Vlonder",
    "aanbieder.contactpersoon": "Fleur Bos",
    "aanbieder.telefoon": "030-7407479",
    "aanbieder.kvk": "47249477",
    "aanbieder.agb_code": "98685071",
    "aanbieder.iban": "NL50 KNAB 3447 6612 75",
    "kwaliteit_onderbouwing": (
        "SKJ-geregistreerde orthopedagoog (GZ), HKZ-gecertificeerd, VOG aanwezig, "
        "klachtenregeling via Klachtenportaal Zorg."
    ),
    "startdatum": "1-2-2027",
    "einddatum": "31-7-2027",
    "inzet.aantal": "40",
    "inzet.eenheid": "uur",
    "inzet.per": "totaal",
    "tarief.bedrag": "117,00",
    "tarief.eenheid": "uur",
}


def _expected() -> dict:
    return json.loads(sample("template.json").read_text())


def _mappings():
    return load_mappings(Settings().region.mappings_dir, "zou")


def test_every_canonical_field_has_a_content_control_and_a_pdf_field():
    doc = Document(str(TEMPLATES / "aanvraagformulier.docx"))
    tags = {t.get(qn("w:val")) for t in doc.element.body.iter(qn("w:tag"))}
    pdf_fields = set(PdfReader(str(TEMPLATES / "aanvraagformulier.pdf")).get_fields())
    for name in FILLED:
        assert name in tags and name in pdf_fields, name
    assert {"verblijfsvorm", "maatregel", "advies_icm.tarief"} <= tags & pdf_fields


def _filled_docx(values: dict[str, str]) -> bytes:
    return filled_docx(TEMPLATES / "aanvraagformulier.docx", values)


def _filled_pdf(values: dict[str, str]) -> bytes:
    return filled_pdf(TEMPLATES / "aanvraagformulier.pdf", values)


def test_filled_word_template_reads_exactly():
    extraction = extract_bytes(_filled_docx(FILLED), _mappings())
    assert extraction.layout == "template-docx"
    assert extraction.record.model_dump(mode="json") == _expected()


def test_filled_pdf_twin_reads_exactly():
    extraction = extract_bytes(_filled_pdf(FILLED), _mappings())
    assert extraction.layout == "acroform-canonical"
    assert extraction.record.model_dump(mode="json") == _expected()


def test_the_projects_form_asks_the_providers_address_and_account_holder():
    """Bijlage 2 needs them (the IBAN name check): the Word form and its PDF twin ask
    them, and what is filled in reads into the record."""
    extra = {
        "aanbieder.adres": "Vlonderweg 3, 3511 AB Utrecht",
        "aanbieder.rekeninghouder": "Stichting Het Vlonder",
    }
    for content in (_filled_docx(extra), _filled_pdf(extra)):
        aanbieder = extract_bytes(content, _mappings()).record.aanbieder
        assert (aanbieder.adres, aanbieder.rekeninghouder) == tuple(extra.values())
