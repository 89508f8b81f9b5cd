"""The documents the pipeline fills (docxtpl/Jinja `{{ … }}` placeholders): the
contract, the supplier form, the refusal letter and the RIOZ order confirmation. Written
by scripts/make_templates.py."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

KWALITEITSEISEN = [
    (
        "maakt gebruik van de norm van verantwoorde werktoedeling, inclusief de"
        " verplichting om SKJ-geregistreerde professionals in te zetten; als SKJ van"
        " toepassing is, levert de aanbieder een bewijs van SKJ-registratie;"
    ),
    "werkt met een hulpverleningsplan of plan van aanpak;",
    "draagt zorg voor systematische kwaliteitsbewaking;",
    "maakt gebruik van methodieken die passen bij de te leveren hulp en ondersteuning;",
    (
        "beschikt over een verklaring omtrent gedrag (VOG) voor alle medewerkers die de"
        " hulp verlenen;"
    ),
    "maakt gebruik van de verplichte meldcode huiselijk geweld en kindermishandeling;",
    "houdt zich aan de meldplicht calamiteiten en geweld;",
    "stelt een vertrouwenspersoon in de gelegenheid zijn taak uit te oefenen.",
]


def new_document(title: str | None = None) -> DocxDocument:
    """A document in the templates' style, headed by `title` when given."""
    doc = Document()
    doc.core_properties.author = "Maatwerk"
    doc.core_properties.comments = "Gegenereerd door scripts/make_templates.py"
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    if title:
        doc.add_heading(title, level=1)
    return doc


def _table(doc: DocxDocument, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        run = cells[0].paragraphs[0].add_run(label)
        run.bold = True
        cells[1].paragraphs[0].add_run(value)
    doc.add_paragraph()


def contract(out: Path) -> None:
    doc = new_document("Maatwerkovereenkomst jeugdhulp")
    doc.add_paragraph("Zaaknummer {{ zaak }} – {{ regio }}")
    doc.add_heading("Partijen", level=2)
    doc.add_paragraph(
        "1. De gemeente {{ gemeente }}, hierna te noemen: de gemeente, in deze"
        " vertegenwoordigd door de {{ ondertekenaar }} conform de mandaatregeling van"
        " de gemeente;"
    )
    doc.add_paragraph(
        "2. {{ aanbieder.naam }}, gevestigd te {{ aanbieder.adres }}, ingeschreven bij"
        " de Kamer van Koophandel onder nummer {{ aanbieder.kvk }}, AGB-code {{"
        " aanbieder.agb_code }}, hierna te noemen: de aanbieder, met als contactpersoon"
        " {{ aanbieder.contactpersoon }}."
    )
    doc.add_heading("Overwegende dat", level=2)
    doc.add_paragraph(
        "de gemeente voor een jeugdige jeugdhulp nodig acht die niet door een door de"
        " regio gecontracteerde aanbieder kan worden geboden, en dat de aanvraag"
        " hiervoor volgens de werkafspraken van de {{ regio }} is beoordeeld, komen"
        " partijen het volgende overeen."
    )
    doc.add_heading("Artikel 1 – De hulp", level=2)
    _table(
        doc,
        [
            ("Cliënt (ZorgNed-nummer)", "{{ zorgned_nummer }}"),
            ("Soort hulp", "{{ hulpvorm }}: {{ type_hulp }}"),
            ("Productcode maatwerk", "{{ productcode_tekst }}"),
            ("Tarief", "{{ tarief }} per {{ eenheid }}"),
            ("Omvang van de inzet", "{{ inzet }}"),
            ("Periode", "{{ startdatum }} tot en met {{ einddatum }}"),
            ("Maximale totale waarde", "{{ totaal }}"),
            ("Berekening", "{{ berekening }}"),
        ],
    )
    doc.add_heading("Artikel 2 – Looptijd", level=2)
    doc.add_paragraph(
        "Deze overeenkomst geldt van {{ startdatum }} tot en met {{ einddatum }} en"
        " eindigt op die datum van rechtswege. De totale waarde van deze overeenkomst"
        " bedraagt ten hoogste {{ totaal }}."
    )
    _contract_terms(doc)
    doc.save(str(out / "maatwerkovereenkomst.docx"))


def _contract_terms(doc: DocxDocument) -> None:
    """Articles 3 to 5 and the signatures."""
    doc.add_heading("Artikel 3 – Kwaliteitseisen", level=2)
    doc.add_paragraph("De aanbieder verklaart dat hij:")
    for eis in KWALITEITSEISEN:
        doc.add_paragraph(eis, style="List Bullet")
    doc.add_heading("Artikel 4 – Declaratie", level=2)
    doc.add_paragraph(
        "Declaratie en facturatie verlopen via het berichtenverkeer (iJw) met de"
        " productcode maatwerk {{ productcode }}. Alleen bij zeer hoge uitzondering"
        " wordt hiervan afgeweken, na schriftelijke toestemming van de gemeente."
    )
    doc.add_heading("Artikel 5 – Verantwoordelijkheid", level=2)
    doc.add_paragraph(
        "De gemeente blijft verantwoordelijk voor de kwaliteit van de zorg en voor"
        " acties bij klachten en calamiteiten. De aanbieder meldt calamiteiten en"
        " geweld onverwijld aan de gemeente en aan de Inspectie Gezondheidszorg en"
        " Jeugd."
    )
    doc.add_heading("Ondertekening", level=2)
    _table(
        doc,
        [
            (
                "Namens de gemeente {{ gemeente }}",
                "{{ ondertekenaar }}\n\nNaam:\n\nDatum:\n\nHandtekening:",
            ),
            (
                "Namens {{ aanbieder.naam }}",
                "Naam:\n\nFunctie:\n\nDatum:\n\nHandtekening:",
            ),
        ],
    )
    doc.add_paragraph(
        "Opgesteld op {{ datum }}. Na ondertekening in kopie (beveiligd) naar inkoop"
        " van de regio."
    )


def leveranciersformulier(out: Path) -> None:
    doc = new_document("Bijlage 2 – Leveranciersformulier maatwerkovereenkomst")
    doc.add_paragraph(
        "Voor applicatiebeheer en backoffice van de gemeente {{ gemeente }}: voer de"
        " aanbieder op met onderstaande productcode. Let op de AGB-code en het IBAN!"
    )
    _table(
        doc,
        [
            ("Zaaknummer", "{{ zaak }}"),
            ("Aanbieder", "{{ aanbieder.naam }}"),
            ("Adres", "{{ aanbieder.adres }}"),
            (
                "Contactpersoon aanbieder",
                "{{ aanbieder.contactpersoon }} ({{ aanbieder.telefoon }})",
            ),
            ("KvK-nummer", "{{ aanbieder.kvk }}"),
            ("AGB-code", "{{ aanbieder.agb_code }}"),
            ("IBAN", "{{ aanbieder.iban }}"),
            ("Tenaamstelling IBAN", "{{ aanbieder.rekeninghouder }}"),
            ("Productcode maatwerk", "{{ productcode }}"),
            ("Regionale productcode", "{{ productcode_regionaal }}"),
            ("Tarief en eenheid", "{{ tarief }} per {{ eenheid }}"),
            ("Omvang van de inzet", "{{ inzet }}"),
            ("Startdatum", "{{ startdatum }}"),
            ("Einddatum", "{{ einddatum }}"),
            ("Maximale totale waarde", "{{ totaal }}"),
        ],
    )
    doc.add_paragraph(
        "Declaratie via het berichtenverkeer (ZorgNed). Opgesteld op {{ datum }}."
    )
    doc.save(str(out / "leveranciersformulier.docx"))


def afwijzingsbrief(out: Path) -> None:
    doc = new_document()
    p = doc.add_paragraph("Gemeente {{ gemeente }}")
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("Datum: {{ datum }}\nZaaknummer: {{ zaak }}")
    doc.add_paragraph("Aan: {{ contactpersoon }}")
    doc.add_paragraph(
        "Onderwerp: advies over uw aanvraag voor een maatwerkovereenkomst"
    )
    doc.add_paragraph("Beste {{ contactpersoon }},")
    doc.add_paragraph(
        "U vroeg om een maatwerkovereenkomst met {{ aanbieder }} voor {{ type_hulp }}."
        " {{ beoordeeld }} Het besluit is negatief: er wordt geen maatwerkovereenkomst"
        " gesloten."
    )
    doc.add_paragraph("De onderbouwing:")
    doc.add_paragraph("{{ toelichting }}")
    doc.add_paragraph(
        "Deze gecontracteerde aanbieders kunnen de noodzakelijke hulp mogelijk ook"
        " bieden:"
    )
    doc.add_paragraph("{{ alternatieven }}")
    doc.add_paragraph(
        "Heeft u vragen over dit besluit, neem dan contact op met {{ contact }}."
    )
    doc.add_paragraph("Met vriendelijke groet,\n\n{{ regio }}")
    doc.save(str(out / "afwijzingsbrief.docx"))


def opdrachtbevestiging(out: Path) -> None:
    """RIOZ profile (seed 002): the financial agreement sent to the provider and the
    gemeente's backoffice."""
    doc = new_document("Opdrachtbevestiging maatwerk")
    doc.add_paragraph("Zaaknummer {{ zaak }} – {{ regio }}")
    doc.add_paragraph(
        "Aan: {{ aanbieder.naam }}, t.a.v. {{ aanbieder.contactpersoon }}\n"
        "In kopie: backoffice van de gemeente {{ gemeente }}"
    )
    doc.add_paragraph(
        "Namens de gemeente {{ gemeente }} verstrekken wij u de opdracht voor de"
        " hieronder beschreven hulp, tegen de volgende financiële afspraken."
    )
    _table(
        doc,
        [
            ("Cliënt (ZorgNed-nummer)", "{{ zorgned_nummer }}"),
            ("Soort hulp", "{{ hulpvorm }}: {{ type_hulp }}"),
            ("Productcode", "{{ productcode }}"),
            ("Tarief", "{{ tarief }} per {{ eenheid }}"),
            ("Omvang van de inzet", "{{ inzet }}"),
            ("Periode", "{{ startdatum }} tot en met {{ einddatum }}"),
            ("Maximale totale waarde", "{{ totaal }}"),
            ("Berekening", "{{ berekening }}"),
        ],
    )
    doc.add_paragraph(
        "De opdracht eindigt op {{ einddatum }}. Is daarna vervolg nodig, dan begint"
        " het proces opnieuw met een nieuwe aanvraag. De backoffice registreert de"
        " toewijzing in het berichtenverkeer (GGk); daarna kunt u declareren."
    )
    doc.add_paragraph("Met vriendelijke groet,\n\n{{ regio }}\nDatum: {{ datum }}")
    doc.save(str(out / "opdrachtbevestiging.docx"))
