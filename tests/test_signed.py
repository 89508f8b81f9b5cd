"""Signed means signed (issue 13 point 6): which returned files count as the signed contract.

Every PDF here is made from the contract the flow sends (LibreOffice's PDF/A of the filled
template): re-saved, signed in a field, inked in a reader, printed and scanned, with a signature
page or a pasted signature — and the cases a person must look at (Word, damaged, encrypted,
another document)."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject, ByteStringObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject,
)

from pipeline.flow import Pipeline
from pipeline.mail import MaildirPostOffice
from pipeline.signed import is_signed
from tests.conftest import THURSDAY, Env, make_settings
from tests.test_flow import _approve


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict[str, bytes]:
    """The contract package as the flow files it: {'pdf': …, 'docx': …, 'leveranciersformulier': …}."""
    root = tmp_path_factory.mktemp("sent")
    settings = make_settings(root)
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    try:
        env = Env(root, settings, MaildirPostOffice(root / "mail"), pipeline)
        _approve(env)
        folder = root / "register" / "2027" / "Zeist" / "MW-2027-0001"
        return {"pdf": (folder / "2027-03-11 contract MW-2027-0001.pdf").read_bytes(),
                "docx": (folder / "2027-03-11 contract MW-2027-0001.docx").read_bytes(),
                "leveranciersformulier": (folder / "2027-03-11 leveranciersformulier MW-2027-0001.pdf").read_bytes()}
    finally:
        pipeline.close()


def _save(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def resaved(pdf: bytes) -> bytes:
    """Opened and saved again (as a PDF reader does on 'Opslaan'): other bytes, same contract."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Producer": "Adobe Acrobat Pro 2024", "/ModDate": "D:20270315093000+01'00'"})
    writer.compress_identical_objects()
    return _save(writer)


def with_signature_field(pdf: bytes) -> bytes:
    """A digital signature as Acrobat or pyHanko leave it: a /Sig field whose /V is the signature
    dictionary (the PKCS#7 bytes themselves are not checked; a placeholder is enough)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[-1]
    sig = DictionaryObject({
        NameObject("/Type"): NameObject("/Sig"), NameObject("/Filter"): NameObject("/Adobe.PPKLite"),
        NameObject("/SubFilter"): NameObject("/adbe.pkcs7.detached"),
        NameObject("/Contents"): ByteStringObject(b"\x30\x82" + bytes(64)),
        NameObject("/ByteRange"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0), NumberObject(0)]),
        NameObject("/M"): TextStringObject("D:20270315100000+01'00'"), NameObject("/Name"): TextStringObject("G. de Wit"),
    })
    widget = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Sig"), NameObject("/T"): TextStringObject("Handtekening aanbieder"),
        NameObject("/V"): writer._add_object(sig), NameObject("/F"): NumberObject(132),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (300, 120, 500, 160)]),
        NameObject("/P"): page.indirect_reference,
    })
    ref = writer._add_object(widget)
    page[NameObject("/Annots")] = ArrayObject([ref])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject([ref]), NameObject("/SigFlags"): NumberObject(3)})
    return _save(writer)


def with_empty_signature_field(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(with_signature_field(pdf))))
    for annot in writer.pages[-1]["/Annots"]:
        del annot.get_object()["/V"]
    return _save(writer)


def with_ink(pdf: bytes) -> bytes:
    """Signed with the pen of a PDF reader: an /Ink annotation on the last page."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    points = [FloatObject(v) for xy in ((320, 140), (340, 160), (360, 130), (390, 155), (420, 135)) for v in xy]
    ink = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Ink"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (310, 120, 430, 170)]),
        NameObject("/InkList"): ArrayObject([ArrayObject(points)]),
        NameObject("/C"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(0.6)]),
    })
    writer.add_annotation(len(writer.pages) - 1, ink)
    return _save(writer)


def scanned(pdf: bytes, dpi: int = 100) -> bytes:
    """Printed, signed with a pen and scanned: every page an image, no text layer."""
    import pypdfium2
    from PIL import ImageDraw

    doc = pypdfium2.PdfDocument(pdf)
    images = [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(doc))]
    ImageDraw.Draw(images[-1]).line([(450, 900), (480, 870), (510, 905), (560, 860)], fill=0, width=3)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def _overlay(pdf: bytes, draw) -> bytes:
    """`draw(canvas)` on a copy of the last page (reportlab), merged as a PDF editor would."""
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
    return _overlay(pdf, lambda c: c.drawImage(ImageReader(im), 320, 120, width=120, height=36))


def with_signature_page(pdf: bytes) -> bytes:
    """A page of signatures added behind the contract."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 700, "Ondertekening maatwerkovereenkomst MW-2027-0001")
    c.drawString(72, 670, "Namens Begeleidingspraktijk Sterk Thuis: G. de Wit, directeur, 15-03-2027")
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.append(PdfReader(io.BytesIO(buf.getvalue())))
    return _save(writer)


def encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="geheim", owner_password="eigenaar", algorithm="AES-128")
    return _save(writer)


# --- signed ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, why", [
    (with_signature_field, "handtekeningveld is digitaal ondertekend"),
    (with_ink, "handgeschreven aantekening op pagina 2"),
    (scanned, "het is een scan (alle pagina's zijn gescand)"),
    (with_drawn_signature, "op pagina 2 is met de hand getekend"),
    (with_pasted_signature, "op pagina 2 is een afbeelding toegevoegd"),
    (with_signature_page, "er is een pagina toegevoegd (3 in plaats van 2)"),
])
def test_a_contract_with_a_signature_counts_as_signed(sent, make, why):
    verdict = is_signed(make(sent["pdf"]), sent["pdf"])
    assert verdict.signed, verdict.reason
    assert why in verdict.reason


def test_a_signed_return_is_recognised_without_the_sent_pdf_too(sent):
    """Only the .docx went out (LibreOffice failed): the signature itself still shows."""
    for make in (with_signature_field, with_ink, scanned):
        assert is_signed(make(sent["pdf"]), None).signed


def test_a_scan_of_the_signed_contract_at_a_scanners_usual_resolution(sent):
    verdict = is_signed(scanned(sent["pdf"], dpi=200), sent["pdf"])
    assert verdict.signed and "gescand" in verdict.reason


# --- not signed: ICM is asked ---------------------------------------------------------------

@pytest.mark.parametrize("make, why", [
    (lambda pdf: pdf, "hetzelfde bestand als het verstuurde contract"),
    (resaved, "gelijk aan het verstuurde contract"),
    (with_empty_signature_field, "gelijk aan het verstuurde contract"),
])
def test_the_unsigned_contract_sent_back_is_not_signed(sent, make, why):
    returned = make(sent["pdf"])
    verdict = is_signed(returned, sent["pdf"])
    assert not verdict.signed and why in verdict.reason
    if make is resaved:
        assert returned != sent["pdf"]  # other bytes, same contract


def test_a_word_file_back_is_not_signed(sent):
    verdict = is_signed(sent["docx"], sent["pdf"])
    assert not verdict.signed and "Word-bestand" in verdict.reason


def test_another_document_is_not_taken_for_the_signed_contract(sent):
    verdict = is_signed(sent["leveranciersformulier"], sent["pdf"])
    assert not verdict.signed and "komt niet overeen met het verstuurde contract" in verdict.reason


@pytest.mark.parametrize("returned, why", [
    (b"%PDF-1.4 getekend", "beschadigd"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 40, "beschadigd"),
    (b"\xff\xd8\xff\xe0 JFIF foto", "geen PDF-bestand"),
    (b"", "geen PDF-bestand"),
])
def test_a_damaged_or_other_file_is_not_certain_and_never_raises(sent, returned, why):
    verdict = is_signed(returned, sent["pdf"])
    assert not verdict.signed and why in verdict.reason


def test_an_encrypted_pdf_is_not_certain(sent):
    verdict = is_signed(encrypted(sent["pdf"]), sent["pdf"])
    assert not verdict.signed and "wachtwoord" in verdict.reason


def test_the_unsigned_contract_is_not_signed_without_a_sent_pdf_to_compare(sent):
    verdict = is_signed(resaved(sent["pdf"]), None)
    assert not verdict.signed and "geen verstuurde PDF" in verdict.reason


def test_a_truncated_or_garbled_pdf_gives_a_verdict_quickly(sent):
    data = with_ink(sent["pdf"])
    start = datetime.now()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 200):
        assert isinstance(is_signed(data[:cut], sent["pdf"]).reason, str)
    garbled = bytearray(data)
    garbled[len(data) // 2: len(data) // 2 + 400] = bytes(400)
    assert isinstance(is_signed(bytes(garbled), sent["pdf"]).reason, str)
    assert (datetime.now() - start).total_seconds() < 10


def _text_pdf(lines: list[str], per_page: int, size: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i, line in enumerate(lines):
        if i and i % per_page == 0:
            c.showPage()
        c.setFont("Helvetica", size)
        c.drawString(72, 760 - (i % per_page) * (size + 6), line)
    c.save()
    return buf.getvalue()


def test_the_same_contract_exported_again_with_other_page_breaks_is_not_signed():
    """Opened in Word and saved as PDF again: the same words over three pages instead of two."""
    lines = [f"Artikel {n} – de aanbieder levert de zorg zoals in de aanvraag beschreven, regel {n}."
             for n in range(1, 61)]
    sent_pdf, again = _text_pdf(lines, per_page=30, size=10), _text_pdf(lines, per_page=20, size=12)
    verdict = is_signed(again, sent_pdf)
    assert not verdict.signed and "gelijk aan het verstuurde contract" in verdict.reason
    typed = _text_pdf(lines + ["Getekend: G. de Wit, 15-03-2027"], per_page=30, size=10)
    verdict = is_signed(typed, sent_pdf)
    assert verdict.signed and "er is een pagina toegevoegd (3 in plaats van 2)" in verdict.reason
