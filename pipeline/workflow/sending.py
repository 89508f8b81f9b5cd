"""Sending the outbox. Each queued mail is claimed first (several workers never send the
same mail; a claim of a worker that died runs out), then sent, then marked sent: a crash
between sending and marking sends it again, with the same Message-ID."""

from __future__ import annotations

import logging
import smtplib
import threading
from typing import TYPE_CHECKING

from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from pipeline import crashpoints, store
from pipeline.errors import safe_error
from pipeline.workflow.services import Services

if TYPE_CHECKING:
    from pipeline.workflow.inbox import RunReport

log = logging.getLogger(f"maatwerk.{__name__}")


def send_outbox(svc: Services) -> int:
    """Send what is queued; returns how many were sent. `svc.send_failures` counts the
    mails the mail server did not take this time."""
    sent, failed = 0, set[int]()
    while True:
        with svc.store.session() as s:
            claimed = store.claim_outbox(
                s, svc.settings.store.lease_seconds, exclude=failed
            )
        if not claimed:
            svc.send_failures = len(failed)
            return sent
        for (
            mail_id
        ) in claimed:  # one message in memory at a time, however long the queue
            if send_one(svc, mail_id):
                sent += 1
            else:
                failed.add(mail_id)


def send_one(svc: Services, mail_id: int) -> bool:
    """One claimed mail sent (three tries) and marked sent; False: it stays queued."""
    with svc.store.session() as s:
        row = s.get(store.OutboxMail, mail_id)
        if (
            row is None
            or row.sent_at is not None
            or row.claimed_by != store.worker_id()
        ):
            return False
        raw, recipients = row.raw, row.recipients
    to = [r.strip() for r in recipients.split(",") if r.strip()]
    try:
        for attempt in Retrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.5, max=4),
            retry=retry_if_exception_type((OSError, smtplib.SMTPException)),
            reraise=True,
        ):
            with attempt:
                svc.mailbox.send(raw, to)
                crashpoints.reached("while_sending")  # sent, not yet marked sent
    except Exception as exc:  # the mail stays queued and is tried again next round
        # what went wrong as the library said it (a backend's outage wraps it)
        error = type(exc.__cause__ or exc).__name__
        with svc.store.session() as s:
            store.send_failed(s, mail_id, error)
        log.warning("sending queued mail %s failed (%s); will retry", mail_id, error)
        return False
    with svc.store.session() as s:
        store.mark_sent(s, mail_id, svc.clock())
    return True


def send_until(svc: Services, done: threading.Event, report: RunReport) -> None:
    """The sender thread of a round: sends while the round takes mails in."""
    while not done.is_set():
        try:
            sent = send_outbox(svc)
        except (
            Exception
        ) as exc:  # the store or mail server is away: the main flow notices too
            log.warning("outbox sender paused (%s)", safe_error(exc))
            sent = 0
        report.sent += sent
        if not sent:  # nothing to send, or the mail server refuses: wait longer then
            done.wait(2.0 if svc.send_failures else 0.05)
