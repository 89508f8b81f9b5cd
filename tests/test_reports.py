"""Reports as the gemeenten and ICM get them: expiring contracts by mail (once a week),
and the yearly monitoring workbook with its figures and charts."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pipeline import store
from pipeline.convert import convert, soffice
from pipeline.errors import ConversionFailed
from pipeline.region.profile import load_mappings
from pipeline.reports.monitoring import monitoring, reason_groups_of
from pipeline.reports.monitoring import share_in_year as _share_in_year
from pipeline.reports.workbook import write_monitoring
from pipeline.stages.render import euro
from pipeline.states import CaseState
from tests.conftest import REPO, ZEIST_BA, mail_with_form, sample
from tests.test_flow import REFERRER, _approve


def _expiry_mails(env):
    return [m for m in env.inbox(ZEIST_BA) if "binnenkort aflopen" in str(m["Subject"])]


def test_weekly_expiry_report_mails_the_gemeente_once_a_week(env):
    _approve(env)  # contract 1 April – 30 September 2027
    env.pipeline.clock = lambda: datetime(
        2027, 8, 9, 5, 0, tzinfo=UTC
    )  # Monday 07:00 Amsterdam
    assert env.pipeline.scheduled_reports() == 0  # before 08:00
    assert _expiry_mails(env) == []
    env.pipeline.clock = lambda: datetime(2027, 8, 9, 7, 30, tzinfo=UTC)  # Monday 09:30
    assert env.pipeline.scheduled_reports() == 1
    [mail] = _expiry_mails(env)
    body = mail.get_body(("plain",)).get_content()
    assert (
        "MW-2027-0001" in body and "loopt tot en met 30-09-2027 (nog 52 dagen)" in body
    )
    assert (
        "Verstuurd, nog niet getekend (de getekende overeenkomst is nog niet terug"
        in body
    )  # sent, not signed
    assert "Getekend:" not in body
    with (
        env.pipeline.store.session() as s
    ):  # the report names the case: in its inzage log
        report = store.inzage(s, "MW-2027-0001")[-1]
        assert (report.actie, report.reden) == (
            "rapport",
            "rapportage aflopende contracten aan gemeente Zeist",
        )
    env.pipeline.clock = lambda: datetime(
        2027, 8, 11, 12, 0, tzinfo=UTC
    )  # later that week
    assert env.pipeline.scheduled_reports() == 0
    assert len(_expiry_mails(env)) == 1
    env.pipeline.clock = lambda: datetime(
        2027, 10, 4, 7, 30, tzinfo=UTC
    )  # ended: nothing to report
    assert env.pipeline.scheduled_reports() == 0


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _monitoring_cli(env, year: int = 2027) -> subprocess.CompletedProcess:
    config = env.root / "maatwerk.toml"
    config.write_text(
        f'[store]\nurl = "{env.settings.store.url}"\n[register]\npath ='
        f' "{env.root / "register"}"\n'
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "maatwerk",
            "report",
            "monitoring",
            "--year",
            str(year),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_monitoring_workbook_per_gemeente_with_reasons_and_native_charts(env):
    _approve(env)  # Zeist: positive, a contract 1 April – 30 September 2027
    env.deliver(
        mail_with_form(
            "t.elamrani@zeist.nl",
            "aanvraag",
            "a.docx",
            sample("legacy-invalid-jeugdwet.docx").read_bytes(),
        )
    )  # refused, its reason counts
    env.deliver(
        mail_with_form(
            "f.elamrani@houten.nl",
            "aanvraag",
            "b.docx",
            sample("legacy-split-table.docx").read_bytes(),
        )
    )  # Houten, waiting
    # three attachments that are no form at all: refused, but no requests of a gemeente
    # "onbekend"
    env.deliver(
        mail_with_form("r.jansen@zeist.nl", "aanvraag", "leeg.pdf", _blank_pdf())
    )
    env.deliver(
        mail_with_form(
            "r.jansen@zeist.nl",
            "aanvraag",
            "slot.pdf",
            sample("bad-encrypted.pdf").read_bytes(),
        )
    )
    env.deliver(
        mail_with_form(
            "r.jansen@zeist.nl",
            "aanvraag",
            "brief.docx",
            sample("bad-letter-not-a-form.docx").read_bytes(),
        )
    )
    env.run()
    with env.pipeline.store.session() as s:
        refused = s.scalars(
            store.select(store.Case).where(store.Case.state == "geweigerd")
        ).all()
        assert len(refused) == 4  # the invalid form and the three non-forms
        value = Decimal(store.get_case(s, "MW-2027-0001").waarde)  # wholly in 2027
    result = _monitoring_cli(env)
    assert result.returncode == 0, result.stderr
    wb = load_workbook(env.root / "register" / "rapportages" / "monitoring 2027.xlsx")
    ws = wb.worksheets[0]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert (
        rows["Zeist"][1:7] == (2, 1, 0, 1, 0, 1)
        and Decimal(str(rows["Zeist"][7])) == value
    )
    assert rows["Houten"][1:7] == (1, 0, 0, 0, 1, 0)
    assert rows["totaal"][1] == 3 and "onbekend" not in rows
    assert (
        rows["geen formulier"][1] == 3 and "niet meegeteld" in rows["geen formulier"][2]
    )
    assert any("naar rato" in str(r[0]) for r in rows.values())
    reasons = {r[0]: r[1] for r in wb["Redenen"].iter_rows(min_row=2, values_only=True)}
    assert reasons["taal of cultuur"] == 1  # "in het Turks" (Zeist, approved)
    assert (
        reasons["wachttijd bij gecontracteerde aanbieders"] == 2
    )  # Houten and the refused Zeist form
    assert (
        "Geen formulier" in result.stdout
        and "Zeist" in result.stdout
        and euro(value) in result.stdout
    )

    # native Excel charts, read from the cells, whole-number count axes; no pictures
    for sheet in (ws, wb["Redenen"]):
        assert sheet._images == []
    [chart] = ws._charts
    assert (
        chart.tagname == "barChart" and chart.type == "col" and len(chart.series) == 2
    )
    assert (
        chart.series[0].val.numRef.f == "'Per gemeente 2027'!$B$2:$B$6"
    )  # aanvragen of the 5 gemeenten
    assert (
        chart.series[0].tx.strRef.f == "'Per gemeente 2027'!B1"
    )  # named by its header cell
    assert chart.series[0].cat.numRef.f == "'Per gemeente 2027'!$A$2:$A$6"
    assert (
        chart.y_axis.majorUnit == 1
        and chart.y_axis.number_format.formatCode == "0"
        and chart.y_axis.scaling.min == 0
    )
    assert chart.y_axis.delete is False and chart.x_axis.delete is False
    [reasons_chart] = wb["Redenen"]._charts
    assert reasons_chart.type == "bar" and reasons_chart.y_axis.majorUnit == 1
    # print set-up: landscape, one page wide, the header row on every page
    for sheet in (ws, wb["Redenen"]):
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.print_title_rows == "$1:$1"


def test_monitoring_workbook_prints_landscape_one_page_wide(env, tmp_path):
    """LibreOffice prints the workbook as Excel would: every page landscape, the table
    and its chart on the first page, each sheet one page wide."""
    import pdfplumber

    if soffice() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    _approve(env)
    env.deliver(
        mail_with_form(
            "f.elamrani@houten.nl",
            "aanvraag",
            "b.docx",
            sample("legacy-split-table.docx").read_bytes(),
        )
    )
    env.run()
    with env.pipeline.store.session() as s:
        path = write_monitoring(monitoring(s, 2027, env.pipeline.mappings), tmp_path)
    try:
        pdf = convert({"monitoring.xlsx": path.read_bytes()}, "pdf")["monitoring"]
    except ConversionFailed:
        pytest.skip("LibreOffice made no PDF here")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 2  # one page per sheet: table and chart fit on it
        for page in doc.pages:
            assert page.width > page.height  # landscape
        first = doc.pages[0].extract_text()
        assert (
            "gemeente" in first and "Zeist" in first and "Wijk bij Duurstede" in first
        )
        assert "naar rato" in first
        assert (
            doc.pages[0].curves or doc.pages[0].rects
        )  # the chart is drawn (bars), not a picture
        assert not doc.pages[0].images
        assert "wachttijd bij gecontracteerde aanbieders" in doc.pages[1].extract_text()


@pytest.fixture(scope="module")
def mappings():
    return load_mappings(REPO / "mappings", "zou")


WAIT = "wachttijd bij gecontracteerde aanbieders"


@pytest.mark.parametrize(
    "reason, groups",
    [
        ("De gecontracteerde aanbieders zitten vol.", [WAIT]),
        ("Vol.", [WAIT]),
        ("Bij de gecontracteerde aanbieders is een wachtlijst van 20 weken.", [WAIT]),
        ("Alle wachtlijsten zijn lang", [WAIT]),
        ("Wachttijden van een half jaar", [WAIT]),
        (
            "Wisselen is schadelijk volgens de gedragswetenschapper.",
            ["continuïteit van lopende zorg"],
        ),
        ("Het formulier is volledig ingevuld volgens de regels", ["overig"]),
        ("Zorgvolume en volwassenenzorg", ["overig"]),  # 'vol' inside other words
        ("Behandeling in het Turks", ["taal of cultuur"]),
        ("De moeder spreekt alleen haar moedertaal", ["taal of cultuur"]),
        ("Een specifieke aanpak", ["specifieke expertise of combinatie"]),
        ("Jongere weigert andere hulp", ["jeugdige of ouders weigeren andere hulp"]),
        (
            "Er is    geen\nplek bij de gecontracteerden",
            [WAIT],
        ),  # a phrase across white space
        ("", ["geen reden opgegeven"]),
        (None, ["geen reden opgegeven"]),
    ],
)
def test_reasons_match_whole_words_or_a_stem_marked_with_a_star(
    mappings, reason, groups
):
    assert reason_groups_of(reason, mappings) == groups


def test_a_star_inside_a_keyword_is_a_dutch_config_error(tmp_path, mappings):
    from dataclasses import replace

    from pipeline.errors import ConfigError

    root = tmp_path / "m"
    root.mkdir()
    (root / "redenen.toml").write_text('[groepen]\n"x" = ["wacht*lijst"]\n')
    with pytest.raises(ConfigError, match="alleen aan het eind"):
        reason_groups_of("wachtlijst", replace(mappings, root=root))


def _contract(
    s,
    case_id: str,
    year: int,
    start: date,
    end: date,
    waarde: str,
    gemeente: str = "Zeist",
    state: str = CaseState.getekend.value,
) -> None:
    s.add(
        store.Case(
            id=case_id,
            year=year,
            seq=int(case_id[-4:]),
            state=state,
            gemeente=gemeente,
            received_at=datetime(year, 9, 1, tzinfo=UTC),
            source="mail",
            source_ref=case_id,
            startdatum=start,
            einddatum=end,
            waarde=waarde,
        )
    )


def test_a_contract_counts_in_each_year_it_runs_its_value_pro_rata(env):
    with env.pipeline.store.session() as s:
        _contract(
            s, "MW-2027-0001", 2027, date(2027, 10, 1), date(2028, 3, 31), "1000.00"
        )  # 92 + 91 days
        _contract(
            s,
            "MW-2026-0001",
            2026,
            date(2026, 6, 1),
            date(2027, 5, 31),
            "3650.00",
            gemeente="Bunnik",
        )
        _contract(
            s,
            "MW-2027-0002",
            2027,
            date(2027, 1, 1),
            date(2027, 12, 31),
            "500.00",
            state=CaseState.contract_verstuurd.value,
        )
        _contract(
            s,
            "MW-2027-0003",
            2027,
            date(2027, 2, 1),
            date(2027, 3, 1),
            "99.00",
            state=CaseState.negatief.value,
        )  # no contract
    with env.pipeline.store.session() as s:
        by_year = {
            y: {
                f.gemeente: f for f in monitoring(s, y, env.pipeline.mappings).gemeenten
            }
            for y in (2026, 2027, 2028, 2029)
        }
    assert by_year[2027]["Zeist"].contracten == 2
    assert by_year[2027]["Zeist"].waarde == Decimal("502.73") + Decimal("500.00")
    assert by_year[2028]["Zeist"].contracten == 1 and by_year[2028][
        "Zeist"
    ].waarde == Decimal("497.27")
    assert (
        by_year[2028]["Zeist"].aanvragen == 0
    )  # requested in 2027: counted as a request there only
    assert (
        by_year[2027]["Zeist"].aanvragen == 3 and by_year[2027]["Zeist"].negatief == 1
    )
    bunnik = Decimal("3650.00")
    assert by_year[2026]["Bunnik"].waarde + by_year[2027]["Bunnik"].waarde == bunnik
    assert by_year[2026]["Bunnik"].waarde == Decimal("2140.00")  # 214 of 365 days
    assert by_year[2029]["Zeist"].contracten == 0


def test_pro_rata_parts_add_up_to_the_value_exactly():
    start, end, value = date(2027, 3, 17), date(2030, 2, 2), Decimal("12345.67")
    parts = [_share_in_year(value, start, end, y) for y in range(2026, 2032)]
    assert parts[0] == parts[-1] == 0 and sum(parts) == value
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)


def test_expiry_report_command(env, tmp_path):
    _approve(env)
    env.pipeline.clock = lambda: datetime(2027, 9, 1, 9, 0, tzinfo=UTC)
    assert env.pipeline.send_expiry_reports(weeks=8) == 1
    assert (
        env.pipeline.send_expiry_reports(weeks=2) == 0
    )  # 29 days left: not within two weeks
    assert REFERRER not in [
        a for m in _expiry_mails(env) for a in str(m["To"]).split(",")
    ]
