"""Signed means signed (issue 13 point 6): which returned files count as the signed contract.

Every PDF here is made from the contract the flow sends (LibreOffice's PDF/A of the filled
template): re-saved, signed in a field, inked in a reader, printed and scanned, with a signature
page or a pasted signature — and the cases a person must look at (Word, damaged, encrypted,
another document)."""
from __future__ import annotations

import io
from datetime import datetime

import pytest

from pipeline.flow import Pipeline
from pipeline.mail import MaildirPostOffice
from pipeline.signed import is_signed, read_confirmation
from tests.conftest import THURSDAY, Env, make_settings
from tests.signing import (
    encrypted, resaved, scanned, with_drawn_signature, with_empty_signature_field, with_ink, with_pasted_signature,
    with_signature_field, with_signature_page,
)
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


@pytest.mark.parametrize("answer, meaning", [
    ("getekend", True), ("Getekend, klopt.\n\nGroet, ICM", True), ("Akkoord", True),
    ("Ja, dit is het getekende contract.", True),
    ("niet getekend", False), ("Nee, niet getekend: de handtekening van de aanbieder ontbreekt.", False),
    ("Dit is niet het getekende contract", False), ("ongetekend", False), ("niet akkoord", False),
    ("Ik kijk er morgen naar.", None), ("", None),
    ("Getekend\n\nVan: inkoop@zorginzou.nl\n> antwoord met niet getekend", True),  # the quoted mail does not count
])
def test_icms_answer_to_the_check(answer, meaning):
    assert read_confirmation(answer) is meaning
