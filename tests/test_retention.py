"""Audit and retention: who processed or viewed a case is logged (append-only, the
database refuses changes), and after the retention period a closed case's personal data
are gone from the store, the mailbox folders and the register — except the signed
contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from pipeline import store
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    BACKOFFICE,
    ICM,
    INKOOP,
    ZEIST_BA,
    docx_text,
    mail_with_form,
    reply_to,
    sample,
)
from tests.signing import scanned, sent_contract
from tests.test_flow import _give_provider_data

REFERRER = "e.vandijk@zeist.nl"
# personal data in mail-submission.eml's form: ZorgNed number, the client's language,
# the referrer
PERSONAL = ("644475", "Turks", "Esther")
THREE_YEARS_LATER = datetime(
    2030, 10, 15, 9, 0, tzinfo=UTC
)  # contract ran until 30-9-2027


def _signed_and_refused(env):
    env.deliver(sample("mail-submission.eml").read_bytes())
    env.run()
    [to_ba], [to_icm] = env.inbox(ZEIST_BA), env.inbox(ICM)
    env.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
    env.deliver(reply_to(to_icm, ICM, "Advies: positief"))
    env.run()
    _give_provider_data(env)
    [package] = [
        m for m in env.inbox(BACKOFFICE) if "ter ondertekening" in str(m["Subject"])
    ]
    env.deliver(
        reply_to(
            package,
            BACKOFFICE,
            "De getekende overeenkomst.",
            attachments=[("scan.pdf", scanned(sent_contract(env.root / "register")))],
        )
    )
    env.deliver(
        mail_with_form(
            "r.jansen@zeist.nl", "aanvraag", "kapot.docx", b"PK\x03\x04 kapot"
        )
    )
    env.run()
    with env.pipeline.store.session() as s:
        assert [
            (c.id, c.state)
            for c in s.scalars(select(store.Case).order_by(store.Case.id))
        ] == [("MW-2027-0001", "getekend"), ("MW-2027-0002", "geweigerd")]


def _later(env, moment=THREE_YEARS_LATER) -> Pipeline:
    return Pipeline(env.settings, clock=lambda: moment, mailbox=env.pipeline.mailbox)


def _all_stored_text(pipeline: Pipeline) -> str:
    """Every value in every table, blobs decoded: what a database dump would show."""
    parts = []
    with pipeline.store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for v in row:
                    parts.append(
                        bytes(v).decode("utf-8", "replace")
                        if isinstance(v, (bytes, memoryview))
                        else str(v)
                    )
    return "\n".join(parts)


def _kept_mails(env) -> str:
    """The text of every kept mail: bodies and Word attachments, decoded."""
    parts = []
    for folder in ("Verwerkt", "Quarantaine", "Verzonden"):
        for msg in env.folder(INKOOP, folder):
            for part in msg.walk():
                if part.get_content_type().startswith("text/"):
                    parts.append(part.get_content())
                elif (part.get_filename() or "").endswith(".docx"):
                    try:
                        parts.append(docx_text(part.get_payload(decode=True)))
                    except Exception:  # the broken form of the refused request
                        continue
    return "\n".join(parts)


def test_after_the_retention_period_personal_data_are_gone_but_the_signed_contract_stays(
    env,
):
    _signed_and_refused(env)
    stored, kept = _all_stored_text(env.pipeline), _kept_mails(env)
    for (
        value
    ) in PERSONAL:  # the test would not prove anything if they were not there before
        assert value in stored and value in kept, value

    # not yet: a month before the period ends nothing is due
    early = _later(env, datetime(2030, 8, 1, 9, 0, tzinfo=UTC))
    assert early.opschonen(dry_run=True).cases == [
        "MW-2027-0002"
    ]  # refused in March 2027: due already
    early.close()

    later = _later(env)
    assert later.opschonen(dry_run=True).cases == ["MW-2027-0001", "MW-2027-0002"]
    result = later.opschonen()
    assert (
        result.cases == ["MW-2027-0001", "MW-2027-0002"]
        and result.files > 0
        and result.mails > 0
    )

    stored, kept = _all_stored_text(later), _kept_mails(env)
    for value in PERSONAL:
        assert value not in stored, value
        assert value not in kept, value
    url = env.settings.store.url
    if url.startswith(
        "sqlite:///"
    ):  # nor in the database file's free pages or its write-ahead log
        db = url.removeprefix("sqlite:///")
        raw = b"".join(
            open(p, "rb").read()
            for p in (db, db + "-wal")
            if __import__("os").path.exists(p)
        )
        assert b"644475" not in raw and b"Esther" not in raw
    register = [
        p.name for p in env.register_files() if not p.name.startswith("register.")
    ]
    assert register == ["2027-03-11 getekend contract MW-2027-0001.pdf"]
    with later.store.session() as s:
        signed = store.get_case(s, "MW-2027-0001")
        assert (
            signed.gemeente,
            signed.aanbieder,
            signed.einddatum.isoformat(),
            signed.state,
        ) == (
            "Zeist",
            "Begeleidingspraktijk Sterk Thuis",
            "2027-09-30",
            "getekend",
        )  # the figures stay
        assert (
            signed.record is None and signed.opgeschoond_op.isoformat() == "2030-10-15"
        )
        assert "Persoonsgegevens verwijderd" in signed.events[-1].what
        assert [r.actie for r in store.inzage(s, "MW-2027-0001")][-1] == "opgeschoond"
    assert later.opschonen().cases == []  # done once
    later.close()


def test_open_and_recently_closed_cases_are_left_alone(env):
    env.deliver(sample("mail-submission.eml").read_bytes())
    env.run()
    later = _later(env)
    assert later.opschonen().cases == []
    with later.store.session() as s:
        assert store.get_case(s, "MW-2027-0001").record is not None
    later.close()


def test_the_daily_run_cleans_up_once_from_the_configured_time(env):
    _signed_and_refused(env)
    before = _later(
        env, datetime(2030, 10, 14, 23, 30, tzinfo=UTC)
    )  # 01:30 in Amsterdam
    before.housekeeping()
    with before.store.session() as s:
        assert store.get_case(s, "MW-2027-0002").opgeschoond_op is None
    before.close()
    after = _later(env)  # 11:00 in Amsterdam
    after.housekeeping()
    with after.store.session() as s:
        assert store.get_case(s, "MW-2027-0002").opgeschoond_op is not None
        assert store.inzage(s, "MW-2027-0002")[-1].wie.startswith("maatwerk@")
    after.close()


def test_processing_is_logged_and_the_logs_cannot_be_changed(env):
    env.deliver(sample("mail-submission.eml").read_bytes())
    env.run()
    with env.pipeline.store.session() as s:
        [entry] = store.inzage(s, "MW-2027-0001")
        assert (entry.actie, entry.reden) == ("verwerkt", "aanvraag ontvangen")
        assert entry.wie == store.worker_actor() and entry.bron.startswith("<")
    for table, column in (
        (store.Inzage, store.Inzage.reden),
        (store.AuditEvent, store.AuditEvent.what),
    ):
        with pytest.raises(DBAPIError, match="alleen worden aangevuld"):
            with env.pipeline.store.session() as s:
                s.execute(update(table).values({column: "weggepoetst"}))
        with pytest.raises(DBAPIError, match="alleen worden aangevuld"):
            with env.pipeline.store.session() as s:
                s.execute(table.__table__.delete())
