"""The benchmark's own inputs: request forms of every layout and mails carrying them,
made here (no sample files needed). Each form has its own ZorgNed number, so no two are
the same form.
"""

from __future__ import annotations

import io
import random
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from docx import Document
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document"

# (question as on the legacy form, guidance printed in italics or None, answer)
ROWS = [
    ("Heeft deze aanvraag spoed?", None, "nee"),
    (
        (
            "Uit welke gemeente komt dit verzoek op het mogen sluiten van eenmalig"
            " lokaal contract?"
        ),
        None,
        "Zeist",
    ),
    ("Met welk registratie nummer staat client in ZorgNed?", None, "{zorgned}"),
    ("Wat is de leeftijd van de client?", None, "11 jaar"),
    (
        "Wie moeten we bellen bij vragen over deze aanvraag?",
        None,
        "Sanne de Vries, 030 - 123 45 67, s.devries@zeist.nl",
    ),
    (
        (
            "Heb je gecheckt of de door jouw noodzakelijk geachte hulp inderdaad onder"
            " de jeugdwet valt?"
        ),
        None,
        "Ja",
    ),
    (
        "Gaat het om ambulante hulp? Welk type hulp is nodig?",
        None,
        "Ja\nType hulp en product code: Gezinsbegeleiding (45A53)",
    ),
    ("Gaat het om jeugdhulp met verblijf? Welk type hulp is nodig?", None, "Nee"),
    (
        "Pleegzorg, gezinshuis, ouder en kind huis, instelling en type.",
        "N.B. Bij verblijf gelden andere afspraken.",
        "n.v.t.",
    ),
    ("Gaat het om hulp in vrijwillig of gedwongen kader", None, "Vrijwillig"),
    (
        (
            "Indien vrijwillig kader; is de mogelijkheid van het geven van een PGB ook"
            " verkend? Waarom is een PGB geen optie?"
        ),
        None,
        "Ja\nArgumenten: Ouders kunnen de administratie van een PGB niet aan.",
    ),
    (
        "Indien gedwongen kader; is er sprake van een JB of van een JR maatregel?",
        None,
        "niet van toepassing",
    ),
    (
        (
            "Wat zijn de redenen om voor de hier voor genoemde hulp, niet te kiezen"
            " voor een gecontracteerde aanbieder?"
        ),
        (
            "Onderliggende vraag: Welke specifieke combinatie van vereisten voor de"
            " hulp is nodig?"
        ),
        (
            "Wachttijd bij alle passende gecontracteerde aanbieders is langer dan"
            " twaalf weken."
        ),
    ),
    (
        "Welke aanbieder stel je voor? Wie is je contact persoon daar? (met tel nr.)",
        None,
        "Praktijk De Brug, contactpersoon Jan Smit, tel. 030 - 765 43 21",
    ),
    ("KvK-nummer aanbieder", None, "KvK 12345678"),
    ("AGB-code aanbieder", None, "98123456"),
    ("IBAN aanbieder", None, "NL91 ABNA 0417 1643 00"),
    (
        (
            "Welke informatie heb je al dat de beoogde aanbieder aan de professionele"
            " vereisten voor de beoogde hulp voldoet?"
        ),
        None,
        "SKJ-geregistreerd, VOG aanwezig, klachtenregeling.",
    ),
    ("Voor welke periode is de hulp nodig?", None, "1-2-2027 t/m 31-7-2027"),
    ("Omvang van de inzet", None, "2 uur per week"),
    ("Welk tarief stel je voor?", None, "€ 88,50 per uur"),
]


def legacy_docx(i: int) -> bytes:
    doc = Document()
    doc.add_heading("Bijlage 1", level=1)
    doc.add_paragraph(
        "We werken voor het geven van jeugdhulp met gecontracteerde aanbieders, tenzij…"
    )
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for question, hint, answer in ROWS:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(question).bold = True
        first = cells[1].paragraphs[0]
        if hint:
            first.add_run(hint).italic = True
            first = cells[1].add_paragraph()
        lines = answer.format(zorgned=7_000_000 + i).split("\n")
        first.add_run(lines[0])
        for line in lines[1:]:
            cells[1].add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


FILLED = {
    "spoed": "Nee",
    "gemeente": "Houten",
    "leeftijd": "12",
    "contactpersoon.naam": "Kim Bakker",
    "contactpersoon.telefoon": "030-2345678",
    "contactpersoon.email": "k.bakker@houten.nl",
    "jeugdwet_gecheckt": "Ja",
    "hulpvorm": "ambulant",
    "type_hulp": "Ambulante begeleiding",
    "productcode": "45A52",
    "kader": "vrijwillig",
    "pgb_verkend": "Ja",
    "pgb_argumenten": "Budgethouderschap is voor dit gezin niet haalbaar.",
    "reden_niet_gecontracteerd": (
        "Specifieke combinatie van autisme en LVB; geen gecontracteerde aanbieder biedt"
        " dit."
    ),
    "aanbieder.naam": "Zorgpraktijk Het Anker",
    "aanbieder.contactpersoon": "Eva Jansen",
    "aanbieder.telefoon": "0301112233",
    "aanbieder.kvk": "87654321",
    "aanbieder.agb_code": "98765432",
    "aanbieder.iban": "NL02 ABNA 0123 4567 89",
    "kwaliteit_onderbouwing": "SKJ, HKZ-certificaat, VOG.",
    "startdatum": "1-3-2027",
    "einddatum": "31-8-2027",
    "inzet.aantal": "3",
    "inzet.eenheid": "uur",
    "inzet.per": "week",
    "tarief.bedrag": "92,40",
    "tarief.eenheid": "uur",
}


def filled_docx(form: Path, values: dict[str, str]) -> bytes:
    """The Word form `form` with these content controls filled; the rest left as Word's
    placeholder (→ null)."""
    from docx.oxml.ns import qn

    doc = Document(str(form))
    for sdt in doc.element.body.iter(qn("w:sdt")):
        pr = sdt.find(qn("w:sdtPr"))
        name = pr.find(qn("w:tag")).get(qn("w:val"))
        if name in values:
            pr.remove(pr.find(qn("w:showingPlcHdr")))
            sdt.find(qn("w:sdtContent")).find(".//" + qn("w:t")).text = values[name]
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def filled_pdf(form: Path, values: dict[str, str]) -> bytes:
    """The fillable PDF `form` with these fields filled."""
    writer = PdfWriter()
    writer.append(PdfReader(str(form)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def template_docx(i: int) -> bytes:
    return filled_docx(
        TEMPLATES / "aanvraagformulier.docx",
        FILLED | {"zorgned_nummer": str(8_000_000 + i)},
    )


def acroform_pdf(i: int) -> bytes:
    return filled_pdf(
        TEMPLATES / "aanvraagformulier.pdf",
        FILLED | {"zorgned_nummer": str(9_000_000 + i)},
    )


def word_as_pdf(docx: bytes) -> bytes:
    from pipeline.convert import convert

    return convert({"formulier.docx": docx}, "pdf")["formulier"]


def scan(pdf: bytes, seed: int = 1) -> bytes:
    """Print and scan: grey, 200 dpi, slightly rotated, speckled, JPEG-compressed, no
    text layer."""
    import pypdfium2
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    pages = []
    doc = pypdfium2.PdfDocument(pdf)
    for i in range(len(doc)):
        img = doc[i].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
        img = img.rotate(
            rng.uniform(-1.0, 1.0),
            resample=Image.Resampling.BICUBIC,
            fillcolor=255,
            expand=False,
        )
        px = img.load()
        for _ in range(img.width * img.height // 400):
            x, y = rng.randrange(img.width), rng.randrange(img.height)
            px[x, y] = rng.randrange(0, 256)
        img = img.filter(ImageFilter.GaussianBlur(0.4))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        pages.append(Image.open(io.BytesIO(buf.getvalue())))
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=200.0, save_all=True, append_images=pages[1:])
    return out.getvalue()


def mail(
    form: bytes,
    i: int,
    sender: str = "s.devries@zeist.nl",
    to: str = "inkoop@zorginzou.nl",
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, to, f"Aanvraag maatwerk {i}"
    msg["Message-ID"] = make_msgid(domain="bench.example")
    msg.set_content("Beste collega's, hierbij de aanvraag. Met vriendelijke groet.")
    msg.add_attachment(
        form, maintype="application", subtype=DOCX, filename=f"aanvraag {i}.docx"
    )
    return msg.as_bytes()
