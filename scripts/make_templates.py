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

from document_templates import (
    afwijzingsbrief,
    contract,
    leveranciersformulier,
    new_document,
    opdrachtbevestiging,
)
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from pipeline.fields import ADVICE_FIELDS, FIELDS, FormField

OUT = Path(__file__).resolve().parent.parent / "templates"


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


def _form_table(
    doc: DocxDocument, fields: tuple[FormField, ...], first_id: int
) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for i, field in enumerate(fields):
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(field.question).bold = True
        _content_control(cells[1], field, first_id + i)


def aanvraagformulier_docx(out: Path) -> None:
    doc = new_document("Aanvraag maatwerkovereenkomst Jeugd – regio ZOU")
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
    doc.save(str(out / "aanvraagformulier.docx"))


def aanvraagformulier_pdf(out: Path) -> None:
    """The fillable PDF twin: AcroForm fields named with the canonical names."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(out / "aanvraagformulier.pdf"), pagesize=A4)
    c.setTitle("Aanvraag maatwerkovereenkomst Jeugd – regio ZOU")
    width, height = A4

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
            y = _pdf_field(c, field, y, height)
        if fields is FIELDS:
            c.showPage()
            y = heading(
                "Advies (in te vullen door de beleidsadviseur en ICM)", height - 50
            )
    c.save()


def _pdf_field(c, field: FormField, y: float, height: float) -> float:
    """One question and its AcroForm field at `y` (on a new page when it does not fit);
    returns the `y` below it."""
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
        c.acroForm.choice(
            value=" ",
            options=[" ", *field.choices],
            fieldFlags="combo",
            **common,
        )
    else:
        c.acroForm.textfield(
            value="", fieldFlags="multiline" if tall else "", maxlen=0, **common
        )
    y -= max(box, len(lines) * 9.5) + 8
    return y


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line] if line else lines


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    aanvraagformulier_docx(OUT)
    aanvraagformulier_pdf(OUT)
    contract(OUT)
    leveranciersformulier(OUT)
    afwijzingsbrief(OUT)
    opdrachtbevestiging(OUT)
    print(f"templates written to {OUT}")
