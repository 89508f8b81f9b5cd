"""The flow over real mail servers on loopback: Dovecot (IMAP, LMTP) and an SMTP server
that delivers through Dovecot's LMTP. Mails are sent and read as the staff's clients
would.
"""

from __future__ import annotations

import smtplib
import threading
import time

import pytest

from pipeline.config import Settings
from pipeline.workflow.pipeline import Pipeline
from tests import mailserver
from tests.conftest import (
    BACKOFFICE,
    ICM,
    INKOOP,
    THURSDAY,
    ZEIST_BA,
    attachment_names,
    parse,
    reply_to,
    sample,
    store_url,
)

REFERRER = "e.vandijk@zeist.nl"

pytestmark = pytest.mark.skipif(
    not mailserver.available(),
    reason="Dovecot not installed (scripts/setup-system --tests)",
)


def _settings(tmp_path, srv, **mailbox) -> Settings:
    return Settings.model_validate(
        {
            "store": {"url": store_url(tmp_path)},
            "mailbox": {"backend": "imap", **mailbox},
            "imap": {
                "host": "127.0.0.1",
                "port": srv.imap_port,
                "security": "none",
                "idle_renew_seconds": 20,
            },
            "smtp": {"host": "127.0.0.1", "port": srv.smtp_port, "security": "none"},
            "drop": {"path": str(tmp_path / "drop")},
            "register": {"path": str(tmp_path / "register")},
        }
    )


def _smtp_send(srv, raw: bytes, sender: str, to: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", srv.smtp_port) as smtp:
        smtp.sendmail(sender, to, raw)


def _inbox(srv, user, folder="INBOX"):
    return [parse(m) for m in srv.messages(user, folder)]


def test_whole_flow_over_imap_and_smtp(server, tmp_path):
    pipeline = Pipeline(_settings(tmp_path, server), clock=lambda: THURSDAY)
    try:
        _smtp_send(
            server, sample("mail-submission.eml").read_bytes(), REFERRER, [INKOOP]
        )
        pipeline.handle_inbox()
        [to_ba] = _inbox(server, ZEIST_BA)
        [to_icm] = _inbox(server, ICM)
        assert (
            "Adviesaanvraag maatwerkovereenkomst – Zeist – Begeleidingspraktijk Sterk"
            " Thuis" in str(to_ba["Subject"])
        )
        assert attachment_names(to_ba) == ["Aanvraagformulier MW-2026-0001.docx"]
        assert _inbox(server, INKOOP) == []  # moved out only after the case was stored
        assert len(_inbox(server, INKOOP, "Verwerkt")) == 1
        assert (
            len(_inbox(server, INKOOP, "Verzonden")) == 3
        )  # two advice requests and the receipt
        _smtp_send(
            server,
            reply_to(to_ba, ZEIST_BA, "Advies: positief\n\nAkkoord."),
            ZEIST_BA,
            [INKOOP],
        )
        _smtp_send(
            server,
            reply_to(to_icm, ICM, "Advies: positief\nProductcode: 45A53"),
            ICM,
            [INKOOP],
        )
        pipeline.handle_inbox()
        assert (
            _inbox(server, BACKOFFICE) == []
        )  # not before the provider data are complete
        [ask] = [
            m for m in _inbox(server, REFERRER) if "Nog nodig" in str(m["Subject"])
        ]
        _smtp_send(
            server,
            reply_to(
                ask,
                REFERRER,
                "Adres: Stationsweg 12, 3701 AB Zeist\n"
                "Tenaamstelling: Begeleidingspraktijk Sterk Thuis",
            ),
            REFERRER,
            [INKOOP],
        )
        pipeline.handle_inbox()
        [package] = _inbox(server, BACKOFFICE)
        assert "ter ondertekening" in str(package["Subject"])
        assert any(n.endswith(".pdf") for n in attachment_names(package))
    finally:
        pipeline.close()


def test_a_mail_read_twice_after_a_restart_makes_one_case(server, tmp_path):
    raw = sample("mail-submission.eml").read_bytes()
    _smtp_send(server, raw, REFERRER, [INKOOP])
    _smtp_send(
        server, raw, REFERRER, [INKOOP]
    )  # the same mail twice on the server (same Message-ID)
    for _ in range(2):  # two runs, as after a restart
        pipeline = Pipeline(_settings(tmp_path, server), clock=lambda: THURSDAY)
        pipeline.handle_inbox()
        pipeline.close()
    assert len(_inbox(server, ZEIST_BA)) == 1
    assert len(_inbox(server, INKOOP, "Verwerkt")) == 2 and _inbox(server, INKOOP) == []


def test_idle_push_delivers_the_advice_requests_without_waiting_for_a_poll(
    server, tmp_path
):
    from watchers.run import run_forever

    settings = _settings(
        tmp_path, server, poll_seconds=600
    )  # only push can be this quick
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(pipeline, stop), daemon=True)
    loop.start()
    try:
        time.sleep(1.5)  # the first poll has run; IDLE is listening
        _smtp_send(
            server, sample("mail-submission.eml").read_bytes(), REFERRER, [INKOOP]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            _inbox(server, ZEIST_BA) and _inbox(server, ICM)
        ):
            time.sleep(0.2)
        assert _inbox(server, ZEIST_BA) and _inbox(server, ICM)
    finally:
        stop.set()
        loop.join(timeout=30)
        pipeline.close()


def test_mail_server_down_then_back_loses_nothing(server, tmp_path):
    pipeline = Pipeline(_settings(tmp_path, server), clock=lambda: THURSDAY)
    try:
        _smtp_send(
            server, sample("mail-submission.eml").read_bytes(), REFERRER, [INKOOP]
        )
        server.stop()  # Dovecot and SMTP gone
        with pytest.raises(OSError):
            pipeline.handle_inbox()
        server.start()  # back, same mail store and ports
        pipeline.handle_inbox()
        assert len(_inbox(server, ZEIST_BA)) == 1 and _inbox(server, INKOOP) == []
    finally:
        pipeline.close()


def test_mails_queued_while_smtp_is_down_are_sent_once_it_is_back(server, tmp_path):
    pipeline = Pipeline(_settings(tmp_path, server), clock=lambda: THURSDAY)
    try:
        _smtp_send(
            server, sample("mail-submission.eml").read_bytes(), REFERRER, [INKOOP]
        )
        # only SMTP down: the mail is read and the case stored, sending waits
        server.stop_smtp()
        pipeline.handle_inbox()
        assert _inbox(server, ZEIST_BA) == [] and _inbox(server, INKOOP) == []
        from pipeline import store

        with pipeline.store.session() as s:
            assert len(store.unsent_mails(s)) == 3
        server.start_smtp()
        assert pipeline.send_outbox() == 3
        assert pipeline.send_outbox() == 0  # nothing sent twice
        assert len(_inbox(server, ZEIST_BA)) == 1 and len(_inbox(server, ICM)) == 1
    finally:
        pipeline.close()


def test_reprocess_over_imap_brings_quarantined_mail_back(server, tmp_path):
    settings = _settings(tmp_path, server)
    settings.intake.allowed_senders = ["bunnik.nl"]
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    _smtp_send(server, sample("mail-submission.eml").read_bytes(), REFERRER, [INKOOP])
    pipeline.handle_inbox()
    pipeline.close()
    assert (
        len(_inbox(server, INKOOP, "Quarantaine")) == 1
        and _inbox(server, ZEIST_BA) == []
    )
    settings.intake.allowed_senders = ["zeist.nl"]
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    try:
        report = pipeline.reprocess()
        assert report.mails == 1 and len(report.cases) == 1
        assert (
            _inbox(server, INKOOP, "Quarantaine") == []
            and len(_inbox(server, ZEIST_BA)) == 1
        )
    finally:
        pipeline.close()
