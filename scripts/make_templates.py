"""Generate the docx templates in templates/ (run: python scripts/make_templates.py).

The generated files are committed so staff can open and adjust them in Word; this
script is the reviewable source. Placeholders are docxtpl/Jinja `{{ … }}` tags.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

OUT = Path(__file__).resolve().parent.parent / "templates"

KWALITEITSEISEN = [
    "maakt gebruik van de norm van verantwoorde werktoedeling, inclusief de verplichting om SKJ-geregistreerde "
    "professionals in te zetten; als SKJ van toepassing is, levert de aanbieder een bewijs van SKJ-registratie;",
    "werkt met een hulpverleningsplan of plan van aanpak;",
    "draagt zorg voor systematische kwaliteitsbewaking;",
    "maakt gebruik van methodieken die passen bij de te leveren hulp en ondersteuning;",
    "beschikt over een verklaring omtrent gedrag (VOG) voor alle medewerkers die de hulp verlenen;",
    "maakt gebruik van de verplichte meldcode huiselijk geweld en kindermishandeling;",
    "houdt zich aan de meldplicht calamiteiten en geweld;",
    "stelt een vertrouwenspersoon in de gelegenheid zijn taak uit te oefenen.",
]


def _doc() -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    return doc


def _table(doc: Document, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        run = cells[0].paragraphs[0].add_run(label)
        run.bold = True
        cells[1].paragraphs[0].add_run(value)
    doc.add_paragraph()


def contract() -> None:
    doc = _doc()
    doc.add_heading("Maatwerkovereenkomst jeugdhulp", level=1)
    doc.add_paragraph("Zaaknummer {{ zaak }} – {{ regio }}")
    doc.add_heading("Partijen", level=2)
    doc.add_paragraph("1. De gemeente {{ gemeente }}, hierna te noemen: de gemeente, in deze vertegenwoordigd door de "
                      "{{ ondertekenaar }} conform de mandaatregeling van de gemeente;")
    doc.add_paragraph("2. {{ aanbieder.naam }}, ingeschreven bij de Kamer van Koophandel onder nummer "
                      "{{ aanbieder.kvk }}, AGB-code {{ aanbieder.agb_code }}, hierna te noemen: de aanbieder.")
    doc.add_heading("Overwegende dat", level=2)
    doc.add_paragraph("de gemeente voor een jeugdige jeugdhulp nodig acht die niet door een door de regio "
                      "gecontracteerde aanbieder kan worden geboden, en dat het advies van de beleidsadviseur en van "
                      "ICM hierover is ingewonnen, komen partijen het volgende overeen.")
    doc.add_heading("Artikel 1 – De hulp", level=2)
    _table(doc, [
        ("Cliënt (ZorgNed-nummer)", "{{ zorgned_nummer }}"),
        ("Soort hulp", "{{ hulpvorm }}: {{ type_hulp }}"),
        ("Productcode maatwerk", "{{ productcode }} (regionale code {{ productcode_regionaal }})"),
        ("Tarief", "{{ tarief }} per {{ eenheid }}"),
        ("Omvang van de inzet", "{{ inzet }}"),
        ("Periode", "{{ startdatum }} tot en met {{ einddatum }}"),
        ("Maximale totale waarde", "{{ totaal }}"),
        ("Berekening", "{{ berekening }}"),
    ])
    doc.add_heading("Artikel 2 – Looptijd", level=2)
    doc.add_paragraph("Deze overeenkomst geldt van {{ startdatum }} tot en met {{ einddatum }} en eindigt op die datum "
                      "van rechtswege. De totale waarde van deze overeenkomst bedraagt ten hoogste {{ totaal }}.")
    doc.add_heading("Artikel 3 – Kwaliteitseisen", level=2)
    doc.add_paragraph("De aanbieder verklaart dat hij:")
    for eis in KWALITEITSEISEN:
        doc.add_paragraph(eis, style="List Bullet")
    doc.add_heading("Artikel 4 – Declaratie", level=2)
    doc.add_paragraph("Declaratie en facturatie verlopen via het berichtenverkeer (iJw) met de productcode maatwerk "
                      "{{ productcode }}. Alleen bij zeer hoge uitzondering wordt hiervan afgeweken, na schriftelijke "
                      "toestemming van de gemeente.")
    doc.add_heading("Artikel 5 – Verantwoordelijkheid", level=2)
    doc.add_paragraph("De gemeente blijft verantwoordelijk voor de kwaliteit van de zorg en voor acties bij klachten "
                      "en calamiteiten. De aanbieder meldt calamiteiten en geweld onverwijld aan de gemeente en aan de "
                      "Inspectie Gezondheidszorg en Jeugd.")
    doc.add_heading("Ondertekening", level=2)
    _table(doc, [
        ("Namens de gemeente {{ gemeente }}", "{{ ondertekenaar }}\n\nNaam:\n\nDatum:\n\nHandtekening:"),
        ("Namens {{ aanbieder.naam }}", "Naam:\n\nFunctie:\n\nDatum:\n\nHandtekening:"),
    ])
    doc.add_paragraph("Opgesteld op {{ datum }}. Na ondertekening in kopie (beveiligd) naar inkoop van de regio.")
    doc.save(OUT / "maatwerkovereenkomst.docx")


def leveranciersformulier() -> None:
    doc = _doc()
    doc.add_heading("Bijlage 2 – Leveranciersformulier maatwerkovereenkomst", level=1)
    doc.add_paragraph("Voor applicatiebeheer en backoffice van de gemeente {{ gemeente }}: voer de aanbieder op met "
                      "onderstaande productcode. Let op de AGB-code en het IBAN!")
    _table(doc, [
        ("Zaaknummer", "{{ zaak }}"),
        ("Aanbieder", "{{ aanbieder.naam }}"),
        ("Contactpersoon aanbieder", "{{ aanbieder.contactpersoon }} ({{ aanbieder.telefoon }})"),
        ("KvK-nummer", "{{ aanbieder.kvk }}"),
        ("AGB-code", "{{ aanbieder.agb_code }}"),
        ("IBAN", "{{ aanbieder.iban }}"),
        ("Ontbrekende gegevens", "{{ ontbrekend }}"),
        ("Productcode maatwerk", "{{ productcode }}"),
        ("Regionale productcode", "{{ productcode_regionaal }}"),
        ("Tarief en eenheid", "{{ tarief }} per {{ eenheid }}"),
        ("Omvang van de inzet", "{{ inzet }}"),
        ("Startdatum", "{{ startdatum }}"),
        ("Einddatum", "{{ einddatum }}"),
        ("Maximale totale waarde", "{{ totaal }}"),
    ])
    doc.add_paragraph("Declaratie via het berichtenverkeer (ZorgNed). Opgesteld op {{ datum }}.")
    doc.save(OUT / "leveranciersformulier.docx")


def afwijzingsbrief() -> None:
    doc = _doc()
    p = doc.add_paragraph("Gemeente {{ gemeente }}")
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("Datum: {{ datum }}\nZaaknummer: {{ zaak }}")
    doc.add_paragraph("Aan: {{ contactpersoon }}")
    doc.add_paragraph("Onderwerp: advies over uw aanvraag voor een maatwerkovereenkomst")
    doc.add_paragraph("Beste {{ contactpersoon }},")
    doc.add_paragraph("U vroeg om een maatwerkovereenkomst met {{ aanbieder }} voor {{ type_hulp }}. De beleidsadviseur "
                      "van de gemeente en ICM hebben uw aanvraag beoordeeld. Het advies is negatief: er wordt geen "
                      "maatwerkovereenkomst gesloten.")
    doc.add_paragraph("De onderbouwing van de beleidsadviseur:")
    doc.add_paragraph("{{ toelichting }}")
    doc.add_paragraph("Deze gecontracteerde aanbieders kunnen de noodzakelijke hulp mogelijk ook bieden:")
    doc.add_paragraph("{{ alternatieven }}")
    doc.add_paragraph("Heeft u vragen over dit advies, neem dan contact op met de beleidsadviseur van uw gemeente.")
    doc.add_paragraph("Met vriendelijke groet,\n\n{{ regio }}")
    doc.save(OUT / "afwijzingsbrief.docx")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    contract()
    leveranciersformulier()
    afwijzingsbrief()
    print(f"templates written to {OUT}")
