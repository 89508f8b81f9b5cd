"""The Exchange (EWS) backend through exchangelib against a local HTTP server that
answers with EWS's documented SOAP responses (tests/fake_ews.py). No EWS server or
emulator exists as a package, so this is what these tests are: recorded-shape SOAP over
real HTTP, real exchangelib (no autodiscover, version given), Basic auth checked by the
server."""

from __future__ import annotations

import pytest

from pipeline.config import Settings
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import (
    ICM,
    THURSDAY,
    ZEIST_BA,
    check_exchange_retention,
    parse,
    reply_to,
    sample,
)
from tests.fake_ews import FakeEws
from tests.test_flow import PROVIDER_DATA


@pytest.fixture
def ews(monkeypatch):
    fake = FakeEws().start()
    monkeypatch.setenv("MAATWERK_EWS_PASSWORD", fake.password)
    yield fake
    fake.stop()


def _settings(tmp_path, fake) -> Settings:
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "mailbox": {"backend": "ews"},
            "ews": {
                "endpoint": fake.endpoint,
                "username": fake.user,
                "auth_type": "basic",
                "server_build": "15.1",
            },
            "drop": {"path": str(tmp_path / "drop")},
            "register": {"path": str(tmp_path / "register")},
        }
    )


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
        assert to_ba["Message-ID"].startswith(
            "<mw-"
        )  # sent as our MIME: threading headers kept
        assert ews.in_folder("Inbox") == [] and len(ews.in_folder("Verwerkt")) == 1
        finds = ews.operations.count("FindItem")
        # the pull subscription reports nothing new: no full look
        pipeline.handle_inbox()
        assert (
            ews.operations.count("FindItem") == finds and "GetEvents" in ews.operations
        )
        ews.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
        ews.deliver(reply_to(to_icm, ICM, "Advies: positief"))
        pipeline.handle_inbox()
        [ask] = [
            m
            for m in _sent_to(ews, "e.vandijk@zeist.nl")
            if "Nog nodig" in str(m["Subject"])
        ]
        ews.deliver(
            reply_to(ask, "e.vandijk@zeist.nl", PROVIDER_DATA)
        )  # what the contract still needs
        pipeline.handle_inbox()
        [package] = _sent_to(ews, "backoffice@zorginzou.nl")
        assert "ter ondertekening" in str(package["Subject"])
        assert len(ews.in_folder("Verwerkt")) == 4
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


def test_retention_removes_a_closed_cases_mails_from_the_exchange_mailbox(
    ews, tmp_path
):
    check_exchange_retention(
        _settings(tmp_path, ews),
        ews.deliver,
        lambda: {str(parse(i["mime"])["Subject"]) for i in ews.items.values()},
    )
    assert "DeleteItem" in ews.operations
