"""The Quarantaine folder handled one mail at a time, as ICM does it: see what is held
and why, take one back after a fix, release one handled by hand, delete one — and nobody
gets the same answer twice. Through real Maildir mail, the CLI as a subprocess, and a
real Dovecot."""

from __future__ import annotations

import subprocess
import sys
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import text

from pipeline import store
from pipeline.errors import ConfigError, HeldMailNotFound
from pipeline.mail import MaildirPostOffice
from pipeline.workflow import quarantine
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    ICM,
    INKOOP,
    THURSDAY,
    Env,
    mail_with_form,
    make_settings,
    sample,
)

REFERRER = "e.vandijk@zeist.nl"
NO_FORM_SENDER = "r.jansen@zeist.nl"
STRANGER = "phisher@example.com"
NASTY = "Vraag [/b] over [link=https://evil.example]klik[/link] [bold red]nu[/]"


def _plain(sender: str, subject: str, body: str = "Hierbij mijn vraag.") -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, INKOOP, subject
    msg["Message-ID"] = make_msgid(domain="gemeente.test")
    msg.set_content(body)
    return msg.as_bytes()


def _answers(env: Env, address: str) -> list:
    return [
        m for m in env.inbox(address) if "Geen aanvraagformulier" in str(m["Subject"])
    ]


@pytest.fixture
def held(tmp_path, monkeypatch):
    """Three mails held for three reasons: no form (the sender answered), a sender
    outside the allowlist (ICM told), and a fault of ours while handling a form (nothing
    stored; set aside after `max_pogingen` rounds)."""
    settings = make_settings(tmp_path)
    settings.intake.allowed_senders = ["zeist.nl"]
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    env = Env(tmp_path, settings, MaildirPostOffice(tmp_path / "mail"), pipeline)
    env.deliver(_plain(NO_FORM_SENDER, NASTY), at=THURSDAY)
    env.deliver(
        mail_with_form(
            STRANGER, "aanvraag", "a.docx", sample("legacy-table.docx").read_bytes()
        ),
        at=THURSDAY.replace(minute=40),
    )
    env.run()

    def broken(att):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(pipeline.services, "extract", broken)
    env.deliver(
        mail_with_form(
            REFERRER,
            "aanvraag",
            "b.docx",
            sample("legacy-split-table.docx").read_bytes(),
        ),
        at=THURSDAY.replace(minute=45),
    )
    for _ in range(settings.intake.max_pogingen):  # tried each round, then set aside
        env.run()
    monkeypatch.undo()
    assert len(env.folder(INKOOP, "Quarantaine")) == 3 and env.inbox(INKOOP) == []
    yield env
    pipeline.close()


def test_the_list_says_what_is_held_and_why(held):
    mails = held.pipeline.held()
    assert [(m.nummer, m.sender) for m in mails] == [
        (1, NO_FORM_SENDER),
        (2, STRANGER),
        (3, REFERRER),
    ]
    assert mails[0].subject == NASTY
    assert "geen aanvraagformulier" in mails[0].reden and "geantwoord" in mails[0].reden
    assert "niet toegestaan" in mails[1].reden and "ICM" in mails[1].reden
    assert "fout bij het verwerken" in mails[2].reden


def test_taking_one_back_answers_nobody_twice(held):
    env = held
    assert len(_answers(env, NO_FORM_SENDER)) == 1
    report = env.pipeline.reprocess([1], wie="icm-medewerker")
    assert report.mails == 1 and report.quarantined == 1  # still no form: held again
    assert len(_answers(env, NO_FORM_SENDER)) == 1  # the same answer is not sent again
    assert (
        len(env.folder(INKOOP, "Quarantaine")) == 3
    )  # still no form: held again, the others untouched
    with env.pipeline.store.session() as s:
        assert len([m for m in store.unsent_mails(s)]) == 0
        [action] = quarantine.actions(s)
        assert (action.actie, action.wie) == ("opnieuw verwerkt", "icm-medewerker")


def test_taking_back_the_mail_that_failed_makes_its_case(held):
    env = held
    report = env.pipeline.reprocess([3], wie="icm-medewerker", reden="lezer hersteld")
    assert len(report.cases) == 1
    assert [m.sender for m in env.pipeline.held()] == [NO_FORM_SENDER, STRANGER]
    assert any(
        "Adviesaanvraag" in str(m["Subject"])
        for m in env.inbox("f.elamrani@houten.nl") + env.inbox(ICM)
    )


def test_a_sender_added_to_the_allowlist_is_taken_back_alone(held):
    env = held
    env.pipeline.settings.intake.allowed_senders.append("example.com")
    assert "staat nu op de lijst" in env.pipeline.held()[1].reden
    told = len(env.inbox(ICM))
    report = env.pipeline.reprocess([2])
    assert len(report.cases) == 1 and len(env.folder(INKOOP, "Quarantaine")) == 2
    assert (
        len(
            [
                m
                for m in env.inbox(ICM)
                if "buiten de toegestane lijst" in str(m["Subject"])
            ]
        )
        == 1
    )
    assert len(env.inbox(ICM)) > told  # the advice request of the new case


def test_release_files_it_as_handled_and_it_is_never_taken_again(held):
    env = held
    mail = env.pipeline.release_held(
        3, wie="icm-medewerker", reden="met de hand ingevoerd"
    )
    assert mail.sender == REFERRER
    assert (
        len(env.folder(INKOOP, "Quarantaine")) == 2
        and len(env.folder(INKOOP, "Verwerkt")) == 1
    )
    # put back in the inbox by someone: recognised as handled, not made into a case
    box = env.office.maildir(INKOOP)
    processed = box.get_folder("Verwerkt")
    [key] = list(processed.iterkeys())
    box.add(processed.get_message(key))
    processed.discard(key)
    report = env.run()
    assert report.cases == [] and len(env.folder(INKOOP, "Verwerkt")) == 1
    with env.pipeline.store.session() as s:
        assert [(a.actie, a.reden) for a in quarantine.actions(s)] == [
            ("vrijgegeven", "met de hand ingevoerd")
        ]


def test_delete_removes_it_and_the_store_keeps_who_and_why(held):
    env = held
    env.pipeline.delete_held(2, wie="icm-medewerker", reden="phishing")
    assert [m.sender for m in env.pipeline.held()] == [NO_FORM_SENDER, REFERRER]
    with env.pipeline.store.session() as s:
        [action] = quarantine.actions(s)
        assert (action.actie, action.wie, action.reden) == (
            "verwijderd",
            "icm-medewerker",
            "phishing",
        )
        with pytest.raises(Exception):  # noqa: B017 (the log is append-only)
            s.execute(text("DELETE FROM quarantaine"))
    with pytest.raises(HeldMailNotFound, match="Geen mail met nummer 7"):
        env.pipeline.delete_held(7, wie="icm-medewerker")


def _cli(env: Env, *args: str) -> subprocess.CompletedProcess:
    config = env.root / "maatwerk.toml"
    config.write_text(
        f'[store]\nurl = "{env.settings.store.url}"\n[mailbox]\nmaildir_root ='
        f' "{env.root / "mail"}"\n[register]\npath ='
        f' "{env.root / "register"}"\n[drop]\npath ='
        f' "{env.root / "drop"}"\n[intake]\nallowed_senders = ["zeist.nl"]\n'
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "maatwerk",
            "quarantaine",
            *args,
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"},
    )


def test_the_quarantaine_command_in_dutch_printing_mail_text_literally(held):
    env = held
    listing = _cli(env)
    assert listing.returncode == 0, listing.stderr
    assert NASTY in listing.stdout  # markup in a subject prints as typed
    assert NO_FORM_SENDER in listing.stdout and STRANGER in listing.stdout
    assert "geantwoord" in listing.stdout and "niet toegestaan" in listing.stdout
    assert "2027-03-11 11:36" in listing.stdout  # received, on the region's clock
    neither = _cli(env, "opnieuw")
    assert neither.returncode == 2 and "--alle" in neither.stderr
    again = _cli(env, "opnieuw", "1")
    assert again.returncode == 0, again.stderr
    assert (
        "1 mail(s) opnieuw verwerkt" in again.stdout
        and "1 opnieuw in quarantaine" in again.stdout
    )
    assert len(_answers(env, NO_FORM_SENDER)) == 1
    released = _cli(env, "vrijgeven", "3", "--reden", "met de hand")
    assert released.returncode == 0 and "Vrijgegeven naar Verwerkt" in released.stdout
    deleted = _cli(env, "verwijderen", "1")
    assert (
        deleted.returncode == 0
        and f"Verwijderd: mail 1 van {NO_FORM_SENDER}" in deleted.stdout
    )
    assert NASTY in deleted.stdout
    unknown = _cli(env, "verwijderen", "5")
    assert (
        unknown.returncode == 4
        and "Geen mail met nummer 5" in unknown.stderr
        and "Traceback" not in unknown.stderr
    )
    assert [m.sender for m in env.pipeline.held()] == [STRANGER]


def test_a_backend_that_cannot_says_so_in_dutch(tmp_path):
    from pipeline.mail.graph import GraphMailbox

    settings = make_settings(tmp_path)
    box = GraphMailbox(settings.graph, INKOOP, "Verwerkt")
    pipeline = Pipeline(settings, clock=lambda: THURSDAY, mailbox=box)
    try:
        with pytest.raises(
            ConfigError,
            match=(
                "Quarantaine per mail beheren kan \\(nog\\) niet met de mailbox 'graph'"
            ),
        ):
            pipeline.held()
        with pytest.raises(ConfigError):
            pipeline.reprocess()
    finally:
        pipeline.close()


# --- over IMAP, with a real Dovecot
# ------------------------------------------------------


def test_quarantine_one_by_one_over_imap(server, tmp_path):
    from tests import mailserver
    from tests.test_imap import _inbox, _settings, _smtp_send

    if not mailserver.available():
        pytest.skip("Dovecot not installed (scripts/setup-system)")
    settings = _settings(tmp_path, server)
    settings.intake.allowed_senders = ["zeist.nl"]
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    try:
        _smtp_send(server, _plain(REFERRER, NASTY), REFERRER, [INKOOP])
        _smtp_send(server, _plain(STRANGER, "factuur"), STRANGER, [INKOOP])
        _smtp_send(
            server, sample("mail-submission.eml").read_bytes(), REFERRER, [INKOOP]
        )
        pipeline.handle_inbox()
        mails = pipeline.held()
        assert [m.sender for m in mails] == [REFERRER, STRANGER]
        assert (
            mails[0].subject == NASTY
            and "geantwoord" in mails[0].reden
            and "niet toegestaan" in mails[1].reden
        )
        answered = [
            m
            for m in _inbox(server, REFERRER)
            if "Geen aanvraagformulier" in str(m["Subject"])
        ]
        assert len(answered) == 1
        report = pipeline.reprocess([1])
        assert report.mails == 1
        assert (
            len(
                [
                    m
                    for m in _inbox(server, REFERRER)
                    if "Geen aanvraagformulier" in str(m["Subject"])
                ]
            )
            == 1
        )
        assert [m.sender for m in pipeline.held()] == [
            REFERRER,
            STRANGER,
        ]  # held again, numbered the same
        pipeline.delete_held(2, wie="icm-medewerker", reden="phishing")
        assert [m.sender for m in pipeline.held()] == [REFERRER]
        pipeline.release_held(1, wie="icm-medewerker")
        assert pipeline.held() == [] and _inbox(server, INKOOP, "Quarantaine") == []
        assert (
            len(_inbox(server, INKOOP, "Verwerkt")) == 2
        )  # the request and the released mail
        assert _inbox(server, INKOOP) == []
    finally:
        pipeline.close()
