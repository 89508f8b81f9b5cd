"""The advice workflow over time: reminders on the deadline's morning, escalation after
it, status that shows who still owes an answer, the coordinator's approval step, crisis,
a verlenging linked to its earlier case, and advice given in the returned form."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime

from docx import Document

from pipeline.errors import ExitCode
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    BACKOFFICE,
    ICM,
    THURSDAY,
    ZEIST_BA,
    Env,
    attachment,
    mail_with_form,
    make_settings,
    reply_to,
    sample,
)
from tests.test_flow import REFERRER, _approve, _case, _crisis_form, _submit_sample

TEAMLEIDER = "teamleider.icm@zorginzou.nl"


def _subjects(env, address):
    return [str(m["Subject"]) for m in env.inbox(address)]


def test_reminder_on_the_deadline_morning_and_escalation_after_it_each_once(
    env, caplog
):
    caplog.set_level("INFO", logger="maatwerk.gebeurtenis")
    _submit_sample(env)  # Thursday 11 March 2027; due Thursday 18 March
    [to_icm] = env.inbox(ICM)
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    env.pipeline.clock = lambda: datetime(
        2027, 3, 18, 7, 0, tzinfo=UTC
    )  # 08:00: too early
    assert env.pipeline.send_reminders() == 0
    env.pipeline.clock = lambda: datetime(2027, 3, 18, 8, 30, tzinfo=UTC)  # 09:30
    assert env.pipeline.send_reminders() == 1
    assert env.pipeline.send_reminders() == 0  # once
    reminders = [m for m in env.inbox(ZEIST_BA) if "Herinnering" in str(m["Subject"])]
    assert (
        len(reminders) == 1
        and "donderdag 18 maart 2027" in reminders[0].get_body(("plain",)).get_content()
    )
    assert not [
        s for s in _subjects(env, ICM) if "Herinnering" in s
    ]  # ICM answered already
    env.pipeline.clock = lambda: datetime(
        2027, 3, 19, 8, 30, tzinfo=UTC
    )  # Friday 09:30: overdue
    assert env.pipeline.send_reminders() == 1
    assert env.pipeline.send_reminders() == 0
    told = [r.getMessage() for r in caplog.records if r.name == "maatwerk.gebeurtenis"]
    assert told[-2:] == [
        "MW-2027-0001 herinnering (beleidsadviseur)",
        "MW-2027-0001 escalatie",
    ]
    [escalation] = [
        m for m in env.inbox(ICM) if "Termijn verstreken" in str(m["Subject"])
    ]
    assert TEAMLEIDER in str(escalation["To"])
    assert (
        "beleidsadviseur (p.smit@zeist.nl)"
        in escalation.get_body(("plain",)).get_content()
    )
    _, events = _case(env)
    assert any("Herinnering verstuurd aan beleidsadviseur" in e[3] for e in events)
    assert any("escalatie aan" in e[3] for e in events)


def test_status_shows_who_owes_advice_and_overdue_cases(tmp_path):
    settings = make_settings(tmp_path)
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    from pipeline.mail import MaildirPostOffice

    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    env.deliver(
        sample("mail-submission.eml").read_bytes(),
        at=datetime(2026, 1, 8, 10, 0, tzinfo=UTC),
    )
    # received Thursday 8 January 2026: due Thursday 15 January 2026, long past
    env.run()
    pipeline.close()
    config = tmp_path / "m.toml"
    config.write_text(f'[store]\nurl = "{settings.store.url}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "maatwerk", "status", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == ExitCode.down, result.stderr  # no worker runs
    assert "beleidsadviseur (p.smit@zeist.nl); icm (icm@zorginzou.nl)" in result.stdout
    assert "2026-01-15 TE LAAT" in result.stdout
    assert "over de termijn" in result.stdout


def test_coordinator_approval_step_when_switched_on(tmp_path):
    settings = make_settings(tmp_path)
    settings.advice.coordinator_akkoord = True
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    from pipeline.mail import MaildirPostOffice

    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    try:
        _approve(env)
        assert env.inbox(BACKOFFICE) == []  # not before the coordinator's akkoord
        [ask] = env.inbox("coordinator.toegang@zorginzou.nl")
        body = ask.get_body(("plain",)).get_content()
        assert (
            "beleidsadviseur: positief" in body
            and '"akkoord" of "niet akkoord"' in body
        )
        env.deliver(
            reply_to(
                ask, "coordinator.toegang@zorginzou.nl", "Akkoord.\n\nGroet, Mirjam"
            )
        )
        env.run()
        [package] = env.inbox(BACKOFFICE)
        assert "ter ondertekening" in str(package["Subject"])
        case, _ = _case(env)
        assert case.state == "contract_verstuurd"
    finally:
        pipeline.close()


def test_crisis_request_is_marked_and_may_start_at_once(env):
    env.deliver(mail_with_form(REFERRER, "crisis", "aanvraag.docx", _crisis_form()))
    env.run()
    [to_ba] = env.inbox(ZEIST_BA)
    assert str(to_ba["Subject"]).endswith("(crisis)")
    assert "de zorg mag direct starten" in to_ba.get_body(("plain",)).get_content()
    case, events = _case(env)
    assert case.crisis and case.spoed and any(e[3].startswith("Crisis") for e in events)


def test_a_verlenging_is_linked_and_the_advisers_see_the_earlier_case(env):
    _approve(env)
    form = Document(str(sample("legacy-table.docx")))
    row = next(
        r
        for r in form.tables[0].rows
        if r.cells[0].text.startswith("Voor welke periode")
    )
    row.cells[1].paragraphs[-1].runs[0].text = "1/10/2027 - 31/3/2028"
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(
        mail_with_form(REFERRER, "verlenging", "verlenging.docx", buf.getvalue())
    )
    env.run()
    [second] = [m for m in env.inbox(ZEIST_BA) if "MW-2027-0002" in str(m["Subject"])]
    assert (
        "Eerdere zaak voor deze cliënt bij deze aanbieder: MW-2027-0001"
        " (contract_verstuurd, 2027-04-01 t/m 2027-09-30)"
        in second.get_body(("plain",)).get_content()
    )
    case, _ = _case(env, "MW-2027-0002")
    assert case.vorige_zaak == "MW-2027-0001"


def test_advice_given_in_the_returned_form(env):
    _submit_sample(env)
    [to_ba] = env.inbox(ZEIST_BA)
    [to_icm] = env.inbox(ICM)
    form = Document(io.BytesIO(attachment(to_ba, ".docx")))
    advice_table = form.tables[1]
    for row in advice_table.rows:
        if row.cells[0].text.startswith("Advies lokale beleidsadviseur"):
            row.cells[1].paragraphs[0].text = ""
            row.cells[1].add_paragraph(
                "Negatief: Stichting Kwadraat Jeugdhulp kan dit bieden."
            )
    buf = io.BytesIO()
    form.save(buf)
    env.deliver(
        reply_to(
            to_ba,
            ZEIST_BA,
            "Zie het formulier in de bijlage.",
            attachments=[("advies.docx", buf.getvalue())],
        )
    )
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    case, _ = _case(env)
    assert case.state == "negatief"
    letter = [m for m in env.inbox(REFERRER) if "Negatief advies" in str(m["Subject"])]
    assert (
        "Stichting Kwadraat Jeugdhulp kan dit bieden."
        in letter[0].get_body(("plain",)).get_content()
    )


def test_a_gemeente_cc_rule_copies_its_requests(env):
    env.deliver(
        mail_with_form(
            "f.elamrani@houten.nl",
            "aanvraag",
            "a.docx",
            sample("legacy-split-table.docx").read_bytes(),
        )
    )
    env.run()
    [to_ba] = env.inbox("beleidsadviseur.jeugd@houten.nl")
    assert "teamleider.lokaalteam@houten.nl" in str(to_ba["Cc"])
    assert (
        len(env.inbox("teamleider.lokaalteam@houten.nl")) == 2
    )  # the beleidsadviseur's and ICM's request
