"""Every document template renders with hostile values as literal text, nothing left
unfilled."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from pipeline.config import Settings
from pipeline.models import Aanvraag, Inzet, Tarief
from pipeline.region.profile import load_mappings
from pipeline.stages.decide import Decision
from pipeline.stages.render import (
    Renderer,
    contract_context,
    contract_value,
    refusal_context,
)
from tests.conftest import docx_text

HOSTILE = (
    'R&D <b>x</b> {{ 7*7 }} {% if 1 %}ja{% endif %} =HYPERLINK("http://x") ]]> \n'
    " tweede regel"
)


def _record() -> Aanvraag:
    return Aanvraag.model_validate(
        {
            "gemeente": "Zeist",
            "zorgned_nummer": "123456",
            "type_hulp": HOSTILE,
            "productcode": "45A53",
            "hulpvorm": "ambulant",
            "kader": "vrijwillig",
            "contactpersoon": {"naam": HOSTILE, "email": "a@b.nl"},
            "aanbieder": {
                "naam": HOSTILE,
                "contactpersoon": HOSTILE,
                "kvk": "12345678",
            },
            "startdatum": "2027-01-01",
            "einddatum": "2027-12-31",
            "inzet": {"aantal": 2, "eenheid": "uur", "per": "week"},
            "tarief": {"bedrag": "100.00", "eenheid": "uur"},
        }
    )


@pytest.mark.parametrize(
    "template",
    [
        "maatwerkovereenkomst",
        "leveranciersformulier",
        "afwijzingsbrief",
        "opdrachtbevestiging",
    ],
)
def test_templates_render_hostile_values_literally(template):
    settings = Settings()
    mappings = load_mappings(settings.region.mappings_dir, "zou")
    renderer = Renderer(settings.region.templates_dir)
    decision = Decision(
        oordeel="positief",
        toelichting=HOSTILE,
        eens=True,
        productcode=None,
        tarief=None,
    )
    common = dict(
        case_id="MW-2027-0001",
        record=_record(),
        decision=decision,
        mappings=mappings,
        today=date(2027, 1, 4),
        region_name="regio ZOU",
    )
    ctx = (
        refusal_context(
            **common, beoordelaars=["de poortwachter"], contact="de poortwachter"
        )
        if (template == "afwijzingsbrief")
        else contract_context(**common)
    )
    assert renderer.undeclared(template) <= set(ctx)  # every placeholder has a value
    content = renderer.render(template, ctx)
    text = docx_text(content)
    assert (
        'R&D <b>x</b> {{ 7*7 }} {% if 1 %}ja{% endif %} =HYPERLINK("http://x") ]]>'
        in text
    )
    assert "tweede regel" in text
    assert "{{" not in text.replace("{{ 7*7 }}", "")  # no placeholder left
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert zf.testzip() is None


def test_contract_value_is_tariff_times_volume_times_period_rounded_once():
    value = contract_value(_record().tarief, _record())
    # € 100,00 × 2 uur × 365 / 7 weeks = € 10.428,571… → € 10.428,57 (not 52,14 weeks
    # first: € 10.428,00)
    assert value.total == Decimal("10428.57")
    assert (
        value.working
        == "€ 100,00 per uur × 2 uur per week × 365 dagen / 7 = € 10.428,57"
    )


def _inzet(aantal, eenheid, per="week", start="2027-04-01", end="2027-09-30"):
    return _record().model_copy(
        update={
            "inzet": Inzet(aantal=Decimal(aantal), eenheid=eenheid, per=per),
            "startdatum": date.fromisoformat(start),
            "einddatum": date.fromisoformat(end),
        }
    )


def test_units_must_agree_or_be_converted_by_the_regions_rule():
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    rule = mappings.region.omrekening  # seed 003: a dagdeel is 4 uur
    per_uur = Tarief(bedrag=Decimal("85.00"), eenheid="uur")
    # € 85,00 per uur × 3 dagdelen = 12 uur per week × 183 / 7 weeks
    value = contract_value(per_uur, _inzet(3, "dagdeel"), rule)
    assert (
        value.total
        == (Decimal("85.00") * 12 * 183 / 7).quantize(Decimal("0.01"))
        == Decimal("26665.71")
    )
    assert "3 dagdelen (= 12 uur) per week" in value.working
    per_dagdeel = Tarief(bedrag=Decimal("300.00"), eenheid="dagdeel")
    assert contract_value(per_dagdeel, _inzet(8, "uur"), rule).total == (
        Decimal(600) * 183 / 7
    ).quantize(Decimal("0.01"))
    # no rule between etmaal and uur: no value, and the working says why
    none = contract_value(
        Tarief(bedrag=Decimal("250.00"), eenheid="etmaal"), _inzet(3, "uur"), rule
    )
    assert (
        none.total is None and "per etmaal" in none.working and "uren" in none.working
    )
    # without the region's rule, dagdeel and uur do not mix either (the blind product
    # was € 13.295,70)
    assert contract_value(per_uur, _inzet(3, "dagdeel"), {}).total is None
    # a tariff without a unit is not completed from the inzet
    assert (
        contract_value(Tarief(bedrag=Decimal("85.00")), _inzet(3, "uur"), rule).total
        is None
    )


def test_months_are_exact_and_totals_in_cents():
    value = contract_value(
        Tarief(bedrag=Decimal("1234.56"), eenheid="uur"),
        _inzet(1, "uur", per="maand", start="2027-01-01", end="2027-03-31"),
    )
    assert value.total == (Decimal("1234.56") * 90 * 12 / Decimal("365.25")).quantize(
        Decimal("0.01")
    )


def test_contract_codes_come_from_one_source():
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    assert mappings.product_codes(None, "45A52") == (
        "45A52",
        "45M52",
    )  # the form's code
    assert mappings.product_codes("45A53", "45A52") == (
        "45A53",
        "45M53",
    )  # ICM's code wins, both from it
    assert mappings.product_codes("45M53", "45A52") == (
        None,
        "45M53",
    )  # an M code of another code: no regional
    assert mappings.product_codes("45M52", "45A52") == ("45A52", "45M52")
    ctx = contract_context(
        case_id="MW-2027-0001",
        record=_record(),
        mappings=mappings,
        today=date(2027, 1, 4),
        region_name="regio ZOU",
        decision=Decision(
            oordeel="positief",
            toelichting=None,
            eens=True,
            productcode="45M54",
            tarief=None,
        ),
    )
    assert ctx["productcode_tekst"] == "45M54"  # never '45M54 (regionale code 45A53)'
    rioz = load_mappings(Settings().region.mappings_dir, "rioz")
    assert (
        rioz.maatwerk_productcode("45A53") == "45A53"
    )  # the M-rule is ZOU's profile setting


def test_signatory_follows_the_mandate():
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    assert (
        mappings.region.signatory("Zeist", Decimal("49999.99"))
        == "coördinator/teammanager toegang"
    )
    assert mappings.region.signatory("Zeist", Decimal("50000.00")) == "afdelingsmanager"
    assert mappings.maatwerk_productcode("45A53") == "45M53"
    assert mappings.maatwerk_productcode("45A99") == "45M98"  # the exception table wins


def _legacy_form(rows: dict[str, str]) -> bytes:
    """A legacy question | answer form with the sample's answers, some rows written
    otherwise."""
    from docx import Document

    from tests.conftest import sample

    form = Document(str(sample("legacy-table.docx")))
    for row in form.tables[0].rows:
        for question, answer in rows.items():
            if row.cells[0].text.startswith(question):
                cell = row.cells[1]
                for p in cell.paragraphs[1:]:
                    p._element.getparent().remove(p._element)
                cell.paragraphs[0].text = answer
    buf = io.BytesIO()
    form.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "provider_row",
    [
        "Zorgpraktijk De Linde B.V. Contact: Jan de Vries, 06-12345678",
        (
            "Zorgpraktijk De Linde B.V. - Jan de Vries (gedragswetenschapper,"
            " bereikbaar ma-wo) 06-12345678"
        ),
        "Zorgpraktijk De Linde B.V.: Jan de Vries / 06 1234 5678",
        (
            "Aanbieder: Zorgpraktijk De Linde B.V., contactpersoon is Jan de Vries"
            " (06-12345678)"
        ),
    ],
)
def test_documents_name_the_party_and_greet_the_person_without_labels_or_glued_contacts(
    provider_row,
):
    from pipeline.stages.extract import extract_bytes

    settings = Settings()
    mappings = load_mappings(settings.region.mappings_dir, "zou")
    content = _legacy_form(
        {
            "Welke aanbieder": provider_row,
            "Wie moeten we bellen": (
                "Mij: Els Bakker (jeugdconsulent) / 06-87654321 / e.bakker@zeist.nl"
            ),
        }
    )
    record = extract_bytes(content, mappings).record
    renderer = Renderer(settings.region.templates_dir)
    decision = Decision(
        oordeel="positief",
        toelichting="Akkoord.",
        eens=True,
        productcode=None,
        tarief=None,
    )
    ctx = contract_context(
        case_id="MW-2027-0001",
        record=record,
        decision=decision,
        mappings=mappings,
        today=date(2027, 1, 4),
        region_name="regio ZOU",
    )
    contract = docx_text(renderer.render("maatwerkovereenkomst", ctx))
    assert "2. Zorgpraktijk De Linde B.V., gevestigd te" in contract
    assert "Namens Zorgpraktijk De Linde B.V.\n" in contract + "\n"
    assert (
        "Contact"
        not in contract.split("2. Zorgpraktijk De Linde B.V.")[1].split("\n")[0]
    )
    sheet = docx_text(renderer.render("leveranciersformulier", ctx))
    assert (
        "\nJan de Vries (0612345678)\n" in sheet
        and "Zorgpraktijk De Linde B.V.\n" in sheet
    )
    refusal = refusal_context(
        case_id="MW-2027-0001",
        record=record,
        decision=Decision(
            oordeel="negatief",
            toelichting="Nee.",
            eens=True,
            productcode=None,
            tarief=None,
        ),
        mappings=mappings,
        today=date(2027, 1, 4),
        region_name="regio ZOU",
        beoordelaars=["de beleidsadviseur", "ICM"],
        contact="de beleidsadviseur",
    )
    letter = docx_text(renderer.render("afwijzingsbrief", refusal))
    assert "Beste Els Bakker," in letter and "Aan: Els Bakker\n" in letter + "\n"
    assert "met Zorgpraktijk De Linde B.V. voor" in letter
