"""Question matching (pipeline/readers/questions.py): a printed question → what it asks,
whatever its numbering, wording, asides or conditions; titles and notes ask nothing."""

import pytest

from pipeline.config import Settings
from pipeline.readers.questions import QUESTION_MIN_SCORE, QUESTION_SURE_SCORE
from pipeline.region.profile import load_mappings

LABELS = load_mappings(Settings().region.mappings_dir, "zou").labels


@pytest.mark.parametrize(
    "question,kind",
    [
        # the form's own wording, renumbered or with an aside
        ("3. Heeft deze aanvraag spoed?", "spoed"),
        ("Vraag 4: Wat is de leeftijd van de client?", "leeftijd"),
        ("Omvang inzet (aantal uur/dagdelen/etmalen)", "inzet"),
        # wordings written down nowhere: recognised by their words
        ("Is er haast bij deze aanvraag?", "spoed"),
        ("Namens welke gemeente dient u dit verzoek in?", "gemeente"),
        ("Onder welk nummer is de jeugdige bekend in ZorgNed?", "zorgned_nummer"),
        ("Bij wie kunnen we terecht met vragen?", "contactpersoon"),
        ("Hulpvorm", "hulpvorm"),
        (
            (
                "Motiveer waarom niet gekozen wordt voor een aanbieder waarmee de regio"
                " een contract heeft"
            ),
            "reden_niet_gecontracteerd",
        ),
        ("Wat weet je over de kwaliteit van de aanbieder?", "kwaliteit_onderbouwing"),
        ("Looptijd (van – tot)", "periode"),
        ("Van wanneer tot wanneer?", "periode"),
        ("Prijs", "tarief"),
        ("Frequentie / omvang", "inzet"),
        ("IBAN waarop gefactureerd wordt", "aanbieder_iban"),
        ("Registratie aanbieder (KvK, AGB, IBAN)", "aanbieder_ids"),
        # a condition in front names other questions' words
        (
            "Alleen bij vrijwillig kader: is PGB besproken? Waarom is dat geen optie?",
            "pgb",
        ),
        ("Vrijwillig: argumenten waarom PGB niet passend is", "pgb_argumenten"),
        # one part of a person's details, or all of them
        ("Naam aanvrager", "contactpersoon.naam"),
        ("Telefoonnummer aanvrager", "contactpersoon.telefoon"),
        ("Naam zorgaanbieder", "aanbieder.naam"),
        (
            "Contactpersoon bij de aanbieder en zijn/haar telefoonnummer",
            "aanbieder.contactpersoon",
        ),
        (
            (
                "Welke aanbieder stel je voor? Wie is je contact persoon daar? (met tel"
                " nr.)"
            ),
            "aanbieder",
        ),
        (
            (
                "Welke aanbieder stelt u voor? Vermeld contactpersoon, telefoonnummer,"
                " KvK, AGB en IBAN"
            ),
            "aanbieder",
        ),
    ],
)
def test_a_question_is_recognised_by_what_it_asks(question, kind):
    found, score = LABELS.match(question)
    assert (found, score >= QUESTION_SURE_SCORE) == (kind, True), (found, score)


@pytest.mark.parametrize(
    "text",
    [
        (
            "Vul alle vragen in. Onvolledige aanvragen worden teruggestuurd naar de"
            " gemeente."
        ),
        "Formulier niet-gecontracteerde jeugdhulp (maatwerk)",
        "In te vullen door de gemeente",
        "Datum aanvraag",
    ],
)
def test_titles_notes_and_other_rows_ask_no_question_of_the_form(text):
    assert LABELS.match(text)[1] < QUESTION_MIN_SCORE


def test_checkbox_answers_are_never_taken_for_printed_labels():
    assert LABELS.is_label_only("Ja / Nee") and not LABELS.is_label_only("☒ Ja ☐ Nee")
    assert not LABELS.is_hint(
        "Jeugdhulp met verblijf"
    )  # short answer that shares words with a hint
