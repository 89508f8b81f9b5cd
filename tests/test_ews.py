"""The Exchange (EWS) backend through exchangelib against a local HTTP server that answers with
EWS's documented SOAP responses (tests/fake_ews.py). No EWS server or emulator exists as a
package, so this is what these tests are: recorded-shape SOAP over real HTTP, real exchangelib
(no autodiscover, version given), Basic auth checked by the server."""
from __future__ import annotations

import pytest

from pipeline.config import Settings
from pipeline.flow import Pipeline
from tests.conftest import ICM, THURSDAY, ZEIST_BA, parse, reply_to, sample
from tests.fake_ews import FakeEws


@pytest.fixture
def ews(monkeypatch):
    fake = FakeEws().start()
    monkeypatch.setenv("MAATWERK_EWS_PASSWORD", fake.password)
    yield fake
    fake.stop()


def _settings(tmp_path, fake) -> Settings:
    return Settings.model_validate({
        "store": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
        "mailbox": {"backend": "ews"},
        "ews": {"endpoint": fake.endpoint, "username": fake.user, "auth_type": "basic", "server_build": "15.1"},
        "drop": {"path": str(tmp_path / "drop")}, "register": {"path": str(tmp_path / "register")},
    })


def _sent_to(fake, address):
    return [m for m in map(parse, fake.sent) if address in str(m["To"])]


def test_whole_flow_over_ews(ews, tmp_path):
    pipeline = Pipeline(_settings(tmp_path, ews), clock=lambda: THURSDAY)
    try:
        ews.deliver(sample("mail-submission.eml").read_bytes())
        pipeline.handle_inbox()
        [to_ba] = _sent_to(ews, ZEIST_BA)
        [to_icm] = _sent_to(ews, ICM)
        assert "Adviesaanvraag maatwerkovereenkomst – Zeist" in str(to_ba["Subject"])
        assert to_ba["Message-ID"].startswith("<mw-")  # sent as our MIME: threading headers kept
        assert ews.in_folder("Inbox") == [] and len(ews.in_folder("Verwerkt")) == 1
        finds = ews.operations.count("FindItem")
        pipeline.handle_inbox()  # the pull subscription reports nothing new: no full look
        assert ews.operations.count("FindItem") == finds and "GetEvents" in ews.operations
        ews.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
        ews.deliver(reply_to(to_icm, ICM, "Advies: positief"))
        pipeline.handle_inbox()
        [package] = _sent_to(ews, "backoffice@zorginzou.nl")
        assert "ter ondertekening" in str(package["Subject"])
        assert len(ews.in_folder("Verwerkt")) == 3
    finally:
        pipeline.close()


def test_a_wrong_password_loses_nothing(ews, tmp_path, monkeypatch):
    ews.deliver(sample("mail-submission.eml").read_bytes())
    monkeypatch.setenv("MAATWERK_EWS_PASSWORD", "verkeerd")
    pipeline = Pipeline(_settings(tmp_path, ews), clock=lambda: THURSDAY)
    from exchangelib.errors import UnauthorizedError

    with pytest.raises(UnauthorizedError):  # the service account's password is wrong
        pipeline.handle_inbox()
    pipeline.close()
    assert len(ews.in_folder("Inbox")) == 1 and ews.sent == []
    monkeypatch.setenv("MAATWERK_EWS_PASSWORD", ews.password)
    pipeline = Pipeline(_settings(tmp_path, ews), clock=lambda: THURSDAY)
    pipeline.handle_inbox()
    pipeline.close()
    assert ews.in_folder("Inbox") == [] and len(_sent_to(ews, ZEIST_BA)) == 1


def test_retention_removes_a_closed_cases_mails_from_the_exchange_mailbox(ews, tmp_path):
    from datetime import datetime, timezone

    from pipeline import store
    from tests.conftest import mail_with_form

    settings = _settings(tmp_path, ews)
    pipeline = Pipeline(settings, clock=lambda: THURSDAY)
    try:
        ews.deliver(mail_with_form("r.jansen@zeist.nl", "aanvraag", "kapot.docx", b"PK\x03\x04 kapot"))  # refused
        ews.deliver(sample("mail-submission.eml").read_bytes())  # stays open
        pipeline.handle_inbox()
        assert len(ews.in_folder("Verwerkt")) == 2 and len(ews.in_folder("Sent Items")) == 4
    finally:
        pipeline.close()
    later = Pipeline(settings, clock=lambda: datetime(2030, 10, 15, 9, 0, tzinfo=timezone.utc))
    try:
        result = later.opschonen()
        left = {str(parse(i["mime"])["Subject"]) for i in ews.items.values()}
        assert result.cases == ["MW-2027-0001"] and result.mails == 2  # the request and its refusal
        assert not any("kapot" in s or s == "aanvraag" or "MW-2027-0001" in s for s in left), left
        assert any("MW-2027-0002" in s for s in left)  # the open case's mails stay
        assert "DeleteItem" in ews.operations
        with later.store.session() as s:
            assert "bewaarbeleid van Exchange" not in store.get_case(s, "MW-2027-0001").events[-1].what
    finally:
        later.close()
