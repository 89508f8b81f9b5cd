"""The Microsoft Graph backend against a local HTTPS server that answers with Graph's
documented response shapes (tests/fake_graph.py): no Graph service or emulator can run
here, so this is what these tests are — recorded-shape responses, real HTTP and TLS,
real msal sign-in.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest

from pipeline.config import Settings
from pipeline.mail.graph import GraphMailbox
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
from tests.fake_graph import TENANT, FakeGraph
from tests.test_flow import PROVIDER_DATA


@pytest.fixture
def graph(monkeypatch):
    fake = FakeGraph().start()
    monkeypatch.setenv("MAATWERK_GRAPH_SECRET", "app-secret-from-keyvault")
    yield fake
    fake.stop()


def _settings(tmp_path, fake) -> Settings:
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "mailbox": {"backend": "graph"},
            "graph": {
                "tenant_id": TENANT,
                "client_id": "11111111-2222-3333-4444-555555555555",
                "authority": fake.base,
                "base_url": f"{fake.base}/v1.0",
                "ca_bundle": str(fake.cert),
            },
            "drop": {"path": str(tmp_path / "drop")},
            "register": {"path": str(tmp_path / "register")},
        }
    )


def _sent_to(fake, address):
    return [m for m in map(parse, fake.sent) if address in str(m["To"])]


def test_whole_flow_over_graph(graph, tmp_path):
    pipeline = Pipeline(_settings(tmp_path, graph), clock=lambda: THURSDAY)
    try:
        graph.deliver(sample("mail-submission.eml").read_bytes())
        pipeline.handle_inbox()
        [to_ba] = _sent_to(graph, ZEIST_BA)
        [to_icm] = _sent_to(graph, ICM)
        assert "Adviesaanvraag maatwerkovereenkomst" in str(to_ba["Subject"])
        assert to_ba["Message-ID"].startswith(
            "<mw-"
        )  # our own Message-ID went out (MIME send)
        assert graph.inbox == {} and len(graph.moved["Verwerkt"]) == 1
        pipeline.handle_inbox()  # the delta link: nothing new, nothing twice
        assert len(_sent_to(graph, ZEIST_BA)) == 1
        graph.deliver(reply_to(to_ba, ZEIST_BA, "Advies: positief"))
        graph.deliver(reply_to(to_icm, ICM, "Advies: positief"))
        graph.deliver(
            sample("mail-forwarded.eml").read_bytes()
        )  # three new: two pages of the delta
        pipeline.handle_inbox()
        [ask] = [
            m
            for m in _sent_to(graph, "e.vandijk@zeist.nl")
            if "Nog nodig" in str(m["Subject"])
        ]
        graph.deliver(
            reply_to(ask, "e.vandijk@zeist.nl", PROVIDER_DATA)
        )  # what the contract still needs
        pipeline.handle_inbox()
        assert _sent_to(graph, "backoffice@zorginzou.nl")
        assert _sent_to(
            graph, "beleid.jeugd@heuvelrug.nl"
        )  # the forwarded request's case
        assert graph.inbox == {} and len(graph.moved["Verwerkt"]) == 5
        auth = [
            h.get("Authorization")
            for m, p, h in graph.requests
            if p.startswith("/v1.0/")
        ]
        assert auth and all(a and a.startswith("Bearer ") for a in auth)
    finally:
        pipeline.close()


def test_graph_outage_leaves_the_mail_for_the_next_round(graph, tmp_path):
    pipeline = Pipeline(_settings(tmp_path, graph), clock=lambda: THURSDAY)
    try:
        graph.deliver(sample("mail-submission.eml").read_bytes())
        graph.fail_next = 1
        with pytest.raises(OSError):
            pipeline.handle_inbox()
        pipeline.handle_inbox()
        assert len(_sent_to(graph, ZEIST_BA)) == 1 and graph.inbox == {}
    finally:
        pipeline.close()


def test_attachments_over_3_mb_go_through_an_upload_session(graph, tmp_path):
    mailbox = GraphMailbox(
        _settings(tmp_path, graph).graph, "inkoop@zorginzou.nl", "Verwerkt"
    )
    big = bytes(range(256)) * (5 * 4096)  # 5 MiB
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = (
        "inkoop@zorginzou.nl",
        "backoffice@zorginzou.nl",
        "[MW-2027-0001] pakket",
    )
    msg["X-Maatwerk-Zaak"] = "MW-2027-0001"
    msg.set_content("Bijlagen.")
    msg.add_attachment(
        b"%PDF-1.4 klein",
        maintype="application",
        subtype="pdf",
        filename="contract.pdf",
    )
    msg.add_attachment(
        big, maintype="application", subtype="pdf", filename="scan groot.pdf"
    )
    mailbox.send(msg.as_bytes(), ["backoffice@zorginzou.nl"])
    [draft] = graph.drafts.values()
    assert draft["sent"] and draft["json"]["subject"] == "[MW-2027-0001] pakket"
    assert dict(draft["attachments"]) == {
        "contract.pdf": b"%PDF-1.4 klein",
        "scan groot.pdf": big,
    }
    puts = [h for m, p, h in graph.requests if m == "PUT"]
    assert len(puts) > 1 and not any("Authorization" in h for h in puts)
    mailbox.close()


def test_retention_removes_a_closed_cases_mails_from_the_exchange_mailbox(
    graph, tmp_path
):
    check_exchange_retention(
        _settings(tmp_path, graph),
        graph.deliver,
        lambda: {str(parse(m)["Subject"]) for m in graph.kept.values()},
    )
