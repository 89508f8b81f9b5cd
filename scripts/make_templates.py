"""Generate the templates in templates/ (run: python scripts/make_templates.py).

- the request form staff are handed: `aanvraagformulier.docx` (each answer a Word
  content control tagged with its canonical field name) and its fillable PDF twin
  `aanvraagformulier.pdf` (AcroForm fields with those names; needs reportlab);
- the documents the pipeline fills (docxtpl/Jinja `{{ … }}` placeholders).

The generated files are committed so staff can open and adjust them; this script is the
reviewable source.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from pipeline.fields import ADVICE_FIELDS, FIELDS, FormField

OUT = Path(__file__).resolve().parent.parent / "templates"

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


def _doc() -> Document:
    doc = Document()
    doc.core_properties.author = "Maatwerk"
    doc.core_properties.comments = "Gegenereerd door scripts/make_templates.py"
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
    doc.save(OUT / "maatwerkovereenkomst.docx")


def leveranciersformulier() -> None:
    doc = _doc()
    doc.add_heading("Bijlage 2 – Leveranciersformulier maatwerkovereenkomst", level=1)
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
    doc.save(OUT / "leveranciersformulier.docx")


def afwijzingsbrief() -> None:
    doc = _doc()
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
    doc.save(OUT / "afwijzingsbrief.docx")


def _el(tag: str, **attrs: str):
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(key), value)
    return el


def _content_control(cell, field: FormField, sdt_id: int) -> None:
    """An empty content control in `cell`, tagged with the canonical field name, showing
    Word's placeholder."""
    name, alias, kind, choices = field.name, field.question, field.kind, field.choices
    placeholder = (
        "Kies een item."
        if kind == "choice"
        else (
            "Kies een datum."
            if kind == "date"
            else "Klik of tik om tekst in te voeren."
        )
    )
    sdt = _el("w:sdt")
    pr = _el("w:sdtPr")
    pr.append(_el("w:alias", **{"w:val": alias[:60]}))
    pr.append(_el("w:tag", **{"w:val": name}))
    pr.append(_el("w:id", **{"w:val": str(sdt_id)}))
    pr.append(_el("w:showingPlcHdr"))
    if kind == "choice":
        lst = _el("w:dropDownList")
        for choice in choices:
            lst.append(
                _el("w:listItem", **{"w:displayText": choice, "w:value": choice})
            )
        pr.append(lst)
    elif kind == "date":
        date = _el("w:date")
        date.append(_el("w:dateFormat", **{"w:val": "d-M-yyyy"}))
        date.append(_el("w:lid", **{"w:val": "nl-NL"}))
        pr.append(date)
    else:
        pr.append(_el("w:text", **{"w:multiLine": "1"}))
    sdt.append(pr)
    content = _el("w:sdtContent")
    run = _el("w:r")
    rpr = _el("w:rPr")
    rpr.append(_el("w:color", **{"w:val": "808080"}))
    run.append(rpr)
    text = _el("w:t")
    text.text = placeholder
    run.append(text)
    content.append(run)
    sdt.append(content)
    cell.paragraphs[0]._p.append(sdt)


def _form_table(doc: Document, fields: tuple[FormField, ...], first_id: int) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for i, field in enumerate(fields):
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(field.question).bold = True
        _content_control(cells[1], field, first_id + i)


def aanvraagformulier_docx() -> None:
    doc = _doc()
    doc.add_heading("Aanvraag maatwerkovereenkomst Jeugd – regio ZOU", level=1)
    doc.add_paragraph(
        "We werken voor het geven van jeugdhulp met gecontracteerde aanbieders, tenzij…"
        " Het inzetten van een niet gecontracteerde aanbieder moet daarom met"
        " argumenten onderbouwd worden."
    )
    doc.add_paragraph(
        "Vul elk grijs veld in; laat velden die niet van toepassing zijn leeg. Spoed"
        " betekent dat binnen twee werkdagen helder moet zijn dat de zorg ingezet kan"
        " worden; anders duurt het vijf werkdagen. Mail het formulier naar"
        " inkoop@zorginzou.nl."
    )
    doc.add_heading("Aanvraag", level=2)
    _form_table(doc, FIELDS, 1000)
    doc.add_heading("Advies (in te vullen door de beleidsadviseur en ICM)", level=2)
    _form_table(doc, ADVICE_FIELDS, 2000)
    doc.save(OUT / "aanvraagformulier.docx")


def aanvraagformulier_pdf() -> None:
    """The fillable PDF twin: AcroForm fields named with the canonical names."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(OUT / "aanvraagformulier.pdf"), pagesize=A4)
    c.setTitle("Aanvraag maatwerkovereenkomst Jeugd – regio ZOU")
    width, height = A4
    form = c.acroForm

    def heading(text: str, y: float) -> float:
        c.setFont("Helvetica-Bold", 13)
        c.drawString(40, y, text)
        return y - 24

    y = heading("Aanvraag maatwerkovereenkomst Jeugd – regio ZOU", height - 50)
    c.setFont("Helvetica", 8.5)
    c.drawString(
        40,
        y,
        "Vul elk veld in; laat velden die niet van toepassing zijn leeg. Mail het"
        " formulier naar inkoop@zorginzou.nl.",
    )
    y -= 22
    for fields in (FIELDS, ADVICE_FIELDS):
        for field in fields:
            name, question, kind = field.name, field.question, field.kind
            tall = kind == "text" and field.long
            box = 40 if tall else 16
            if y - box < 50:
                c.showPage()
                y = height - 50
            c.setFont("Helvetica", 8)
            lines = _wrap(question, 52)
            for i, line in enumerate(lines):
                c.drawString(40, y - 10 - i * 9.5, line)
            common = dict(
                name=name,
                tooltip=question,
                x=300,
                y=y - box,
                width=255,
                height=box,
                fontSize=9,
                borderWidth=0.5,
                fillColor=None,
            )
            if kind == "choice":
                form.choice(
                    value=" ",
                    options=[" ", *field.choices],
                    fieldFlags="combo",
                    **common,
                )
            else:
                form.textfield(
                    value="", fieldFlags="multiline" if tall else "", maxlen=0, **common
                )
            y -= max(box, len(lines) * 9.5) + 8
        if fields is FIELDS:
            c.showPage()
            y = heading(
                "Advies (in te vullen door de beleidsadviseur en ICM)", height - 50
            )
    c.save()


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line] if line else lines


def opdrachtbevestiging() -> None:
    """RIOZ profile (seed 002): the financial agreement sent to the provider and the
    gemeente's backoffice."""
    doc = _doc()
    doc.add_heading("Opdrachtbevestiging maatwerk", level=1)
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
    doc.save(OUT / "opdrachtbevestiging.docx")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    aanvraagformulier_docx()
    aanvraagformulier_pdf()
    contract()
    leveranciersformulier()
    afwijzingsbrief()
    opdrachtbevestiging()
    print(f"templates written to {OUT}")
