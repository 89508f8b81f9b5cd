"""Reports as the gemeenten and ICM get them: expiring contracts by mail (once a week), and the
yearly monitoring workbook with its figures and charts."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from openpyxl import load_workbook

from pipeline import store

from tests.conftest import ZEIST_BA, mail_with_form, sample
from tests.test_flow import REFERRER, _approve


def _expiry_mails(env):
    return [m for m in env.inbox(ZEIST_BA) if "binnenkort aflopen" in str(m["Subject"])]


def test_weekly_expiry_report_mails_the_gemeente_once_a_week(env):
    _approve(env)  # contract 1 April – 30 September 2027
    env.pipeline.clock = lambda: datetime(2027, 8, 9, 5, 0, tzinfo=timezone.utc)  # Monday 07:00 Amsterdam
    assert env.pipeline.scheduled_reports() == 0  # before 08:00
    assert _expiry_mails(env) == []
    env.pipeline.clock = lambda: datetime(2027, 8, 9, 7, 30, tzinfo=timezone.utc)  # Monday 09:30
    assert env.pipeline.scheduled_reports() == 1
    [mail] = _expiry_mails(env)
    body = mail.get_body(("plain",)).get_content()
    assert "MW-2027-0001" in body and "loopt tot 30-09-2027 (nog 52 dagen)" in body
    assert "nog niet getekend retour" in body
    with env.pipeline.store.session() as s:  # the report names the case: in its inzage log
        report = store.inzage(s, "MW-2027-0001")[-1]
        assert (report.actie, report.reden) == ("rapport", "rapportage aflopende contracten aan gemeente Zeist")
    env.pipeline.clock = lambda: datetime(2027, 8, 11, 12, 0, tzinfo=timezone.utc)  # later that week
    assert env.pipeline.scheduled_reports() == 0
    assert len(_expiry_mails(env)) == 1
    env.pipeline.clock = lambda: datetime(2027, 10, 4, 7, 30, tzinfo=timezone.utc)  # ended: nothing to report
    assert env.pipeline.scheduled_reports() == 0


def test_monitoring_workbook_per_gemeente_with_reasons_and_charts(env):
    _approve(env)  # Zeist: positive, € 6.587,28
    env.deliver(mail_with_form("t.elamrani@zeist.nl", "aanvraag", "a.docx",
                               sample("legacy-invalid-jeugdwet.docx").read_bytes()))  # refused
    env.deliver(mail_with_form("f.elamrani@houten.nl", "aanvraag", "b.docx",
                               sample("legacy-split-table.docx").read_bytes()))  # Houten, waiting
    env.run()
    config = env.root / "maatwerk.toml"
    config.write_text(f'[store]\nurl = "{env.settings.store.url}"\n[register]\npath = "{env.root / "register"}"\n')
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "report", "monitoring", "--year", "2027",
                             "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    wb = load_workbook(env.root / "register" / "rapportages" / "monitoring 2027.xlsx")
    rows = {r[0]: r for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert rows["Zeist"][1:5] == (2, 1, 0, 1) and float(rows["Zeist"][5]) == 6587.28
    assert rows["Houten"][1:5] == (1, 0, 0, 0)
    assert rows["totaal"][1] == 3
    reasons = {r[0]: r[1] for r in wb["Redenen"].iter_rows(min_row=2, values_only=True)}
    assert reasons["taal of cultuur"] == 1  # "in het Turks" (Zeist)
    assert reasons["wachttijd bij gecontracteerde aanbieders"] == 1  # Houten
    assert len(wb.worksheets[0]._images) == 1 and len(wb["Redenen"]._images) == 1
    assert "Zeist" in result.stdout and "6.587,28" in result.stdout


def test_expiry_report_command(env, tmp_path):
    _approve(env)
    env.pipeline.clock = lambda: datetime(2027, 9, 1, 9, 0, tzinfo=timezone.utc)
    assert env.pipeline.send_expiry_reports(weeks=8) == 1
    assert env.pipeline.send_expiry_reports(weeks=2) == 0  # 29 days left: not within two weeks
    assert REFERRER not in [a for m in _expiry_mails(env) for a in str(m["To"]).split(",")]
