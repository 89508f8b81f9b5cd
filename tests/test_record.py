"""The record layer (pipeline/readers/record.py): cells → the canonical record, a
confidence per field, and warnings that name every doubtful field by its question;
validate never refuses on a doubtful value."""

from datetime import date

from pipeline.config import Settings
from pipeline.readers.cells import Cell, Reading
from pipeline.readers.record import build, join_continued
from pipeline.region.profile import load_mappings
from pipeline.stages.validate import has_errors, validate

MAPPINGS = load_mappings(Settings().region.mappings_dir, "zou")
FORM = [
    ("Heeft deze aanvraag spoed?", "nee"),
    ("Uit welke gemeente komt dit verzoek?", "Zeist"),
    ("Met welk registratie nummer staat client in ZorgNed?", "644475"),
    ("Wat is de leeftijd van de client?", "9"),
    (
        "Wie moeten we bellen bij vragen over deze aanvraag?",
        "Esther van Dijk, 06-12345678",
    ),
    ("Heb je gecheckt of de hulp onder de jeugdwet valt?", "ja"),
    ("Gaat het om ambulante hulp? Welk type hulp is nodig?", "Ja, Begeleiding (45A53)"),
    ("Gaat het om jeugdhulp met verblijf? Welk type hulp is nodig?", "nee"),
    ("Gaat het om hulp in vrijwillig of gedwongen kader", "vrijwillig"),
    (
        (
            "Indien vrijwillig kader; is de mogelijkheid van het geven van een PGB ook"
            " verkend? Waarom is een PGB geen optie?"
        ),
        "Ja\nOuders willen geen werkgeverschap.",
    ),
    (
        "Wat zijn de redenen om niet te kiezen voor een gecontracteerde aanbieder?",
        "Geen gecontracteerde aanbieder biedt deze hulp in het Turks.",
    ),
    (
        "Welke aanbieder stel je voor? Wie is je contact persoon daar? (met tel nr.)",
        "Praktijk De Linde B.V. (contact: Jan de Vries, 030-1234567)",
    ),
    ("Voor welke periode is de hulp nodig?", "1-2-2027 t/m 31-7-2027"),
    ("Omvang van de inzet", "3 uur per week"),
    ("Welk tarief stel je voor?", "€ 84,00 per uur"),
]


def _read(rows, scanned=False):
    return build(
        Reading("legacy-docx", [Cell(q, a) for q, a in rows], scanned=scanned), MAPPINGS
    )


def _replace(question_start, answer):
    return [(q, answer if q.startswith(question_start) else a) for q, a in FORM]


def test_a_clean_form_reads_with_certainty_and_nothing_to_check():
    extraction = _read(FORM)
    r = extraction.record
    assert (r.aanbieder.naam, r.aanbieder.contactpersoon, r.aanbieder.telefoon) == (
        "Praktijk De Linde B.V.",
        "Jan de Vries",
        "0301234567",
    )
    assert (r.contactpersoon.naam, r.pgb_argumenten) == (
        "Esther van Dijk",
        "Ouders willen geen werkgeverschap.",
    )
    assert extraction.confidence == {} and not [
        m for m in extraction.meldingen if m.veld
    ]
    assert not has_errors(
        validate(r, MAPPINGS, date(2027, 1, 4), extraction.confidence)
    )


def test_an_answer_that_cannot_be_read_is_left_empty_and_named_by_its_question_never_refused():
    extraction = _read(_replace("Heb je gecheckt", "daar ga ik nog naar kijken"))
    assert extraction.record.jeugdwet_gecheckt is None
    [melding] = [m for m in extraction.meldingen if m.veld == "jeugdwet_gecheckt"]
    assert "Jeugdwet" in melding.tekst and "jeugdwet_gecheckt" not in melding.tekst
    findings = validate(
        extraction.record, MAPPINGS, date(2027, 1, 4), extraction.confidence
    )
    assert not has_errors(
        findings
    )  # a doubtful read is no refusal: the advisers check it
    assert any(
        m.veld == "jeugdwet_gecheckt" and m.ernst == "waarschuwing" for m in findings
    )


def test_a_certain_no_still_refuses():
    extraction = _read(_replace("Heb je gecheckt", "Nog niet gecheckt"))
    assert extraction.record.jeugdwet_gecheckt is False
    assert has_errors(
        validate(extraction.record, MAPPINGS, date(2027, 1, 4), extraction.confidence)
    )


def test_an_unrecognised_question_with_an_answer_makes_every_missing_field_doubtful():
    rows = [(q, a) for q, a in FORM if not q.startswith("Welk tarief")] + [
        ("Wat vraagt de aanbieder ervoor?", "84 euro per uur")
    ]
    extraction = _read(rows)
    assert any("Wat vraagt de aanbieder" in m.tekst for m in extraction.meldingen)
    assert not has_errors(
        validate(extraction.record, MAPPINGS, date(2027, 1, 4), extraction.confidence)
    )


def test_two_answers_to_one_question_the_best_matching_wins_and_the_difference_is_named():
    extraction = _read(FORM + [("Tarief", "€ 90,00 per uur")])
    assert str(extraction.record.tarief.bedrag) == "84.00"
    assert any(
        m.veld == "tarief.bedrag" and "twee antwoorden" in m.tekst
        for m in extraction.meldingen
    )


def test_a_row_cut_by_a_page_break_is_joined_again():
    cells = [
        Cell(
            "Wat zijn de redenen om voor de hier voor genoemde hulp, niet te kiezen"
            " voor",
            "Geen aanbieder",
        ),
        Cell("een gecontracteerde aanbieder?", "biedt dit aan."),
        Cell("", "En verder niets."),
    ]
    [joined] = join_continued(cells, MAPPINGS.labels)
    assert joined.answer == "Geen aanbieder biedt dit aan. En verder niets."


def test_names_from_a_scan_are_kept_with_a_warning_to_check_their_spelling():
    extraction = _read(FORM, scanned=True)
    assert extraction.record.aanbieder.contactpersoon == "Jan de Vries"
    assert any(
        m.veld == "aanbieder.contactpersoon" and "spelling" in m.tekst
        for m in extraction.meldingen
    )
