"""Returned contracts as people make them, from the contract the flow sent: re-saved,
signed in a signature field, inked in a PDF reader, printed and scanned, with a drawn or
pasted signature or an added signature page, encrypted (tests/test_signed.py; flow tests
mail them back)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)


def sent_contract(register: Path, case_id: str = "MW-2027-0001") -> bytes:
    """The contract's PDF as the flow filed and sent it."""
    [pdf] = [
        p
        for p in register.rglob(f"* contract {case_id}.pdf")
        if p.name.split(" ", 1)[1].startswith("contract")
    ]
    return pdf.read_bytes()


def _save(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def resaved(pdf: bytes) -> bytes:
    """Opened and saved again (as a PDF reader does on 'Opslaan'): other bytes, same
    contract."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata(
        {"/Producer": "Adobe Acrobat Pro 2024", "/ModDate": "D:20270315093000+01'00'"}
    )
    writer.compress_identical_objects()
    return _save(writer)


def with_signature_field(pdf: bytes) -> bytes:
    """A digital signature as Acrobat or pyHanko leave it: a /Sig field whose /V is the
    signature dictionary (the PKCS#7 bytes themselves are not checked; a placeholder is
    enough).
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[-1]
    sig = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Sig"),
            NameObject("/Filter"): NameObject("/Adobe.PPKLite"),
            NameObject("/SubFilter"): NameObject("/adbe.pkcs7.detached"),
            NameObject("/Contents"): ByteStringObject(b"\x30\x82" + bytes(64)),
            NameObject("/ByteRange"): ArrayObject(
                [NumberObject(0), NumberObject(0), NumberObject(0), NumberObject(0)]
            ),
            NameObject("/M"): TextStringObject("D:20270315100000+01'00'"),
            NameObject("/Name"): TextStringObject("G. de Wit"),
        }
    )
    widget = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Sig"),
            NameObject("/T"): TextStringObject("Handtekening aanbieder"),
            NameObject("/V"): writer._add_object(sig),
            NameObject("/F"): NumberObject(132),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(v) for v in (300, 120, 500, 160)]
            ),
            NameObject("/P"): page.indirect_reference,
        }
    )
    ref = writer._add_object(widget)
    page[NameObject("/Annots")] = ArrayObject([ref])
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject([ref]),
            NameObject("/SigFlags"): NumberObject(3),
        }
    )
    return _save(writer)


def with_empty_signature_field(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(with_signature_field(pdf))))
    annots = writer.pages[-1]["/Annots"].get_object()
    assert isinstance(annots, ArrayObject)
    for annot in annots:
        del annot.get_object()["/V"]
    return _save(writer)


def with_ink(pdf: bytes) -> bytes:
    """Signed with the pen of a PDF reader: an /Ink annotation on the last page."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    points = [
        FloatObject(v)
        for xy in ((320, 140), (340, 160), (360, 130), (390, 155), (420, 135))
        for v in xy
    ]
    ink = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Ink"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(v) for v in (310, 120, 430, 170)]
            ),
            NameObject("/InkList"): ArrayObject([ArrayObject(points)]),
            NameObject("/C"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(0.6)]
            ),
        }
    )
    writer.add_annotation(len(writer.pages) - 1, ink)
    return _save(writer)


def scanned(pdf: bytes, dpi: int = 100) -> bytes:
    """Printed, signed with a pen and scanned: every page an image, no text layer."""
    import pypdfium2
    from PIL import ImageDraw

    doc = pypdfium2.PdfDocument(pdf)
    images = [
        doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(doc))
    ]
    ImageDraw.Draw(images[-1]).line(
        [(450, 900), (480, 870), (510, 905), (560, 860)], fill=0, width=3
    )
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def _overlay(pdf: bytes, draw) -> bytes:
    """`draw(canvas)` on a copy of the last page (reportlab), merged as a PDF editor
    would."""
    from reportlab.pdfgen import canvas

    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[-1].mediabox
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(float(box.width), float(box.height)))
    draw(c)
    c.save()
    writer = PdfWriter(clone_from=reader)
    writer.pages[-1].merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
    return _save(writer)


def with_drawn_signature(pdf: bytes) -> bytes:
    """Ink flattened into the page (macOS Preview, a tablet app): curves in the content."""

    def draw(c):
        p = c.beginPath()
        p.moveTo(320, 140)
        p.curveTo(340, 180, 360, 100, 380, 150)
        p.curveTo(400, 190, 420, 110, 440, 145)
        c.drawPath(p, stroke=1, fill=0)

    return _overlay(pdf, draw)


def with_pasted_signature(pdf: bytes) -> bytes:
    """A picture of a signature pasted on the signature line."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    im = Image.new("L", (200, 60), 255)
    ImageDraw.Draw(im).line([(10, 40), (60, 10), (110, 45), (190, 15)], fill=0, width=3)
    return _overlay(
        pdf, lambda c: c.drawImage(ImageReader(im), 320, 120, width=120, height=36)
    )


def with_signature_page(pdf: bytes) -> bytes:
    """A page of signatures added behind the contract."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 700, "Ondertekening maatwerkovereenkomst MW-2027-0001")
    c.drawString(
        72,
        670,
        "Namens Begeleidingspraktijk Sterk Thuis: G. de Wit, directeur, 15-03-2027",
    )
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.append(PdfReader(io.BytesIO(buf.getvalue())))
    return _save(writer)


def encrypted(pdf: bytes, user_password: str = "geheim") -> bytes:
    """Encrypted; with an empty user password it opens for everyone (only editing is
    limited)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(
        user_password=user_password, owner_password="eigenaar", algorithm="AES-128"
    )
    return _save(writer)
