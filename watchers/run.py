"""The main loop behind `maatwerk run`: mailbox and drop folder until stopped."""

from __future__ import annotations

import logging
import threading
import time

from pipeline import store
from pipeline.errors import FolderUnavailable
from pipeline.errors import safe_error
from pipeline.workflow.pipeline import Pipeline, RunReport
from watchers.folder import DropFolder
from watchers.mailbox import MailboxWatcher

log = logging.getLogger("maatwerk")
SCHEDULE_SECONDS = 60.0
HEARTBEAT_SECONDS = 10.0
MAIL_MODULES = (
    "imapclient",
    "imaplib",
    "smtplib",
    "exchangelib",
    "msal",
    "requests",
    "urllib3",
    "ssl",
    "socket",
)


def waiting_on(exc: BaseException) -> str:
    """What a failed round waits for, in the words `maatwerk status` shows."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return "de database"
    if isinstance(exc, FolderUnavailable):
        return exc.wat
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in MAIL_MODULES:
        return "de mailserver"
    return "een onverwachte fout (zie het log)"


class Health:
    """This worker's line in `maatwerk status`: written when its state changes, else
    every HEARTBEAT_SECONDS; never stops the loop (the database may be what is away)."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline, self.state, self.last = pipeline, "", 0.0

    def report(self, waiting: str | None) -> None:
        if waiting == self.state and time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        try:
            with self.pipeline.store.session() as s:
                store.heartbeat(s, waiting)
            self.state, self.last = waiting, time.monotonic()
        except Exception:
            pass

    def stopped(self) -> None:
        try:
            with self.pipeline.store.session() as s:
                store.worker_stopped(s)
        except Exception:
            pass


def _handle_files(
    pipeline: Pipeline, drop: DropFolder, files, report: RunReport
) -> None:
    for path in files:
        report.files += 1
        result = pipeline.handle_file(path, report)
        if result is not None:
            drop.file_away(path, result.outcome, result.case_id, result.reasons)
            pipeline.release(result.key)
    if files:
        report.sent += pipeline.send_outbox()


def run_once(pipeline: Pipeline) -> RunReport:
    """Handle what is waiting now (mail, stable files in the drop folder) and return."""
    s = pipeline.settings
    report = RunReport()
    MailboxWatcher(pipeline, s.mailbox.poll_seconds).poll(report)
    pipeline.send_reminders()
    pipeline.send_contract_reminders()
    pipeline.scheduled_reports()
    pipeline.housekeeping()
    drop = DropFolder(
        s.drop.path,
        polling=s.drop.polling,
        stable_seconds=s.drop.stable_seconds,
        max_mb=s.intake.max_attachment_mb,
    )
    _handle_files(pipeline, drop, drop.wait_until_stable(), report)
    return report


def run_forever(pipeline: Pipeline, stop: threading.Event) -> RunReport:
    s = pipeline.settings
    report = RunReport()
    mail = MailboxWatcher(pipeline, s.mailbox.poll_seconds)
    drop = DropFolder(
        s.drop.path,
        polling=s.drop.polling,
        poll_seconds=s.drop.poll_seconds,
        stable_seconds=s.drop.stable_seconds,
        max_mb=s.intake.max_attachment_mb,
    )
    drop.start()
    pushed = threading.Event()  # set by IMAP IDLE when mail arrives
    if s.mailbox.backend == "imap" and s.imap.idle:
        from pipeline.mail.imap import ImapIdle

        ImapIdle(
            s.imap, s.mailbox.address, (pushed, drop.changed), stop
        ).start()  # also wakes the wait below
    next_mail = next_schedule = 0.0
    health = Health(pipeline)
    try:
        failures = 0
        while not stop.is_set():
            now = time.monotonic()
            try:
                if now >= next_mail or pushed.is_set():
                    pushed.clear()
                    mail.poll(report)
                    next_mail = now + mail.poll_seconds
                _handle_files(pipeline, drop, drop.ready(), report)
                if (
                    time.monotonic() >= next_schedule
                ):  # reminders, escalations, weekly report
                    pipeline.send_reminders()
                    pipeline.send_contract_reminders()
                    pipeline.scheduled_reports()
                    pipeline.housekeeping()
                    next_schedule = time.monotonic() + SCHEDULE_SECONDS
                failures = 0
                health.report(None)
            except (
                Exception
            ) as exc:  # an outage (database, mail, share): wait, then try again
                failures += 1
                backoff = min(300.0, 2.0**failures)
                health.report(waiting_on(exc))
                log.error(
                    "round failed (%s, waiting on %s); retrying in %.0f s",
                    safe_error(exc),
                    waiting_on(exc),
                    backoff,
                )
                next_mail = time.monotonic() + backoff
                stop.wait(backoff)
                continue
            # wake on a folder event or pushed mail, to re-check settling files, or for
            # the next poll
            try:
                pending = bool(drop.candidates())
            except FolderUnavailable:
                pending = False
            timeout = min(
                next_mail - time.monotonic(),
                s.drop.stable_seconds / 2 if pending else 3600,
            )
            drop.changed.wait(max(0.02, min(timeout, 0.5)))
            drop.changed.clear()
    finally:
        drop.stop()
        health.stopped()
    return report
