"""Throttling, against the local servers over real HTTP(S) and on the real clock: Graph's
429 or 503 with Retry-After and EWS's ErrorServerBusy with BackOffMilliseconds are asked
again after as long as the server says, never sooner; a server that stays busy beyond
the bounds is an outage with a Dutch message, and the mail waits for the next round.

The gaps are measured where the requests arrive (the fake servers note
time.monotonic() of each), so they are what Graph or Exchange would see.
"""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest

from pipeline.config import EwsSettings, GraphSettings, Settings
from pipeline.errors import MailServerUnavailable
from pipeline.mail.ews import EwsMailbox
from pipeline.mail.graph import GraphMailbox, retry_after
from pipeline.mail.server import ServerBusy, Throttling
from pipeline.workflow.pipeline import Pipeline
from tests.conftest import INKOOP, THURSDAY, ZEIST_BA, parse, sample
from tests.fake_ews import FakeEws
from tests.fake_graph import TENANT, FakeGraph

DELTA = "/mailFolders/inbox/messages/delta"
# a tight bound, so giving up takes seconds and not minutes
TIGHT = Throttling(
    attempts=3, max_wait=5.0, max_total=10.0, first_guess=1.0, max_guess=1.0
)


@pytest.fixture
def graph(monkeypatch):
    fake = FakeGraph().start()
    monkeypatch.setenv("MAATWERK_GRAPH_SECRET", "app-secret-from-keyvault")
    yield fake
    fake.stop()


@pytest.fixture
def ews(monkeypatch):
    fake = FakeEws().start()
    monkeypatch.setenv("MAATWERK_EWS_PASSWORD", fake.password)
    yield fake
    fake.stop()


def graph_settings(fake: FakeGraph) -> GraphSettings:
    return GraphSettings(
        tenant_id=TENANT,
        client_id="11111111-2222-3333-4444-555555555555",
        authority=fake.base,
        base_url=f"{fake.base}/v1.0",
        ca_bundle=str(fake.cert),
    )


def graph_box(fake: FakeGraph) -> GraphMailbox:
    return GraphMailbox(graph_settings(fake), INKOOP, "Verwerkt")


def ews_box(fake: FakeEws) -> EwsMailbox:
    cfg = EwsSettings(
        endpoint=fake.endpoint,
        username=fake.user,
        auth_type="basic",
        server_build="15.1",
        pull=False,
    )
    return EwsMailbox(cfg, INKOOP, "Verwerkt")


def arrivals(fake: FakeGraph, path_end: str, method: str = "GET") -> list[float]:
    return [t for t, m, p in fake.arrivals if m == method and p.endswith(path_end)]


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in zip(times, times[1:])]


def a_mail() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = INKOOP, ZEIST_BA, "Ontvangstbevestiging"
    msg["Message-ID"] = "<mw-throttle-1@zorginzou.nl>"
    msg.set_content("Uw aanvraag is ontvangen.")
    return msg.as_bytes()


# --- Microsoft Graph
# --------------------------------------------------------------------------


def test_graph_429_is_asked_again_no_sooner_than_retry_after(graph):
    graph.deliver(sample("mail-submission.eml").read_bytes())
    graph.throttle(2, 429, retry_after=1)
    box = graph_box(graph)
    try:
        start = time.monotonic()
        mails = list(box.receive())
        took = time.monotonic() - start
    finally:
        box.close()
    assert len(mails) == 1
    times = arrivals(graph, DELTA)
    assert len(times) == 3  # twice throttled, then answered
    assert all(gap >= 1.0 for gap in gaps(times)), gaps(times)
    assert took >= 2.0


def test_graph_503_with_retry_after_sends_once_after_the_wait(graph):
    graph.throttle(1, 503, retry_after=2)
    box = graph_box(graph)
    try:
        box.send(a_mail(), [ZEIST_BA])
    finally:
        box.close()
    [sent] = graph.sent  # asked again once: sent once
    assert parse(sent)["Message-ID"] == "<mw-throttle-1@zorginzou.nl>"
    [gap] = gaps(arrivals(graph, "/sendMail", "POST"))
    assert 2.0 <= gap < 5.0


def test_graph_without_retry_after_backs_off_exponentially_up_to_the_cap(graph):
    graph.throttle(3, 503)  # no Retry-After
    box = graph_box(graph)
    box.throttling = Throttling(
        attempts=4, max_wait=5.0, max_total=10.0, first_guess=0.5, max_guess=0.8
    )
    try:
        assert list(box.receive()) == []
    finally:
        box.close()
    waited = gaps(arrivals(graph, DELTA))
    assert len(waited) == 3
    assert [w >= told for w, told in zip(waited, (0.5, 0.8, 0.8))] == [True] * 3


def test_graph_throttled_beyond_the_bound_is_an_outage_in_dutch(graph):
    graph.deliver(sample("mail-submission.eml").read_bytes())
    graph.throttle(10, 429, retry_after=1)
    box = graph_box(graph)
    box.throttling = TIGHT
    try:
        start = time.monotonic()
        with pytest.raises(ServerBusy) as raised:
            list(box.receive())
        took = time.monotonic() - start
        times = arrivals(graph, DELTA)
        assert len(times) == TIGHT.attempts and all(g >= 1.0 for g in gaps(times))
        assert 2.0 <= took < 5.0
        assert isinstance(raised.value, MailServerUnavailable)
        assert "is bezet en blijft maatwerk afremmen" in raised.value.melding
        assert "na 3 pogingen en 2 s wachten" in raised.value.melding
        graph.throttled.clear()  # the server is itself again: the mail still waits
        assert len(list(box.receive())) == 1
    finally:
        box.close()


def test_graph_asking_longer_than_one_wait_may_take_is_not_asked_again(graph):
    graph.throttle(1, 429, retry_after=3600)
    box = graph_box(graph)
    try:
        start = time.monotonic()
        with pytest.raises(ServerBusy) as raised:
            list(box.receive())
        assert time.monotonic() - start < 1.0
    finally:
        box.close()
    assert len(arrivals(graph, DELTA)) == 1 and raised.value.retry_after == 3600.0


def test_a_throttled_round_ends_as_an_outage_and_the_next_round_handles_the_mail(
    graph, tmp_path
):
    settings = Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "mailbox": {"backend": "graph"},
            "graph": graph_settings(graph).model_dump(),
            "drop": {"path": str(tmp_path / "drop")},
            "register": {"path": str(tmp_path / "register")},
        }
    )
    box = graph_box(graph)
    box.throttling = TIGHT
    pipeline = Pipeline(settings, clock=lambda: THURSDAY, mailbox=box)
    try:
        graph.deliver(sample("mail-submission.eml").read_bytes())
        graph.throttle(10, 429, retry_after=1)
        with pytest.raises(MailServerUnavailable, match="is bezet"):
            pipeline.handle_inbox()
        assert len(graph.inbox) == 1 and graph.sent == []
        graph.throttled.clear()
        pipeline.handle_inbox()
        assert graph.inbox == {}
        assert [m for m in map(parse, graph.sent) if ZEIST_BA in str(m["To"])]
    finally:
        pipeline.close()


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after("2") == 2.0 and retry_after("1.5") == 1.5
    assert retry_after(None) is None and retry_after("soon") is None
    assert retry_after("²") is None
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 28.0 <= (retry_after(later) or 0.0) <= 30.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


# --- Exchange (EWS)
# ---------------------------------------------------------------------------


def test_ews_server_busy_is_asked_again_no_sooner_than_its_back_off(ews):
    ews.deliver(sample("mail-submission.eml").read_bytes())
    ews.busy(1, back_off_ms=1500)
    box = ews_box(ews)
    try:
        mails = list(box.receive())
    finally:
        box.close()
    assert len(mails) == 1
    (t0, busy_op), (t1, again) = ews.arrivals[:2]
    assert busy_op == again  # the same operation again (GetFolder of the inbox)
    # as told, and not exchangelib's own wait on top (it keeps failing fast)
    assert 1.5 <= t1 - t0 < 4.0


def test_ews_busy_beyond_the_bound_is_an_outage_in_dutch_and_nothing_is_lost(ews):
    ews.busy(5, back_off_ms=1000)
    box = ews_box(ews)
    box.throttling = Throttling(
        attempts=2, max_wait=5.0, max_total=10.0, first_guess=1.0, max_guess=1.0
    )
    try:
        with pytest.raises(ServerBusy, match="is bezet en blijft maatwerk afremmen"):
            box.send(a_mail(), [ZEIST_BA])
        times = [t for t, op in ews.arrivals]
        assert len(times) == 2 and gaps(times)[0] >= 1.0 and ews.sent == []
        ews.busy_next.clear()
        box.send(a_mail(), [ZEIST_BA])
        assert len(ews.sent) == 1
    finally:
        box.close()


def test_the_run_loop_waits_at_least_as_long_as_the_server_said():
    from pipeline.mail.server import ServerBusy
    from watchers.run import back_off

    assert back_off(1, ServerBusy("Microsoft Graph", 3600.0)) == 3600.0
    assert back_off(1, ServerBusy("Microsoft Graph", None)) == 2.0
    assert back_off(9, ServerBusy("Exchange", 1.5)) == 300.0
    assert back_off(3, OSError()) == 8.0
