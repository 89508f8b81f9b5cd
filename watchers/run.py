"""The main loop behind `maatwerk run`: mailbox and drop folder until stopped."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from pipeline import store
from pipeline.errors import FolderUnavailable, Outage, safe_error
from pipeline.mail.server import is_mail_server_error
from pipeline.workflow.pipeline import Pipeline, RunReport
from watchers.folder import DropFolder
from watchers.mailbox import MailboxWatcher

log = logging.getLogger(f"maatwerk.{__name__}")
SCHEDULE_SECONDS = 60.0
HEARTBEAT_SECONDS = 10.0


def waiting_on(exc: BaseException) -> str:
    """What a failed round waits for, in the words `maatwerk status` shows."""
    if isinstance(exc, Outage):
        return exc.wat
    if isinstance(exc, OperationalError):  # still raised by the store itself
        return "de database"
    if is_mail_server_error(exc):  # a mail library's error past a backend
        return "de mailserver"
    return "een onverwachte fout (zie het log)"


def back_off(failures: int, exc: BaseException) -> float:
    """How long a failed round waits: 2 s doubling up to 5 minutes, and never less
    than a server said (Retry-After, BackOffMilliseconds)."""
    wait = min(300.0, 2.0**failures)
    if isinstance(exc, Outage) and exc.retry_after:
        wait = max(wait, exc.retry_after)
    return wait


class Health:
    """This worker's line in `maatwerk status`: written when its state changes, else
    every HEARTBEAT_SECONDS; never stops the loop (the database may be what is away)."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.state: str | None = ""
        self.last = 0.0

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
    pipeline: Pipeline, drop: DropFolder, files: list[Path], report: RunReport
) -> None:
    for path in files:
        report.files += 1
        result = pipeline.handle_file(path, report)
        if result is not None:
            drop.file_away(path, result.outcome, result.case_id, result.reasons)
            pipeline.release(result.key)
    if files:
        report.sent += pipeline.send_outbox()


def run_once(pipeline: Pipeline, report: RunReport | None = None) -> RunReport:
    """Handle what is waiting now (mail, stable files in the drop folder) and return."""
    s = pipeline.settings
    report = report or RunReport()
    MailboxWatcher(pipeline, s.mailbox.poll_seconds).poll(report)
    _scheduled(pipeline)
    drop = DropFolder(
        s.drop.path,
        polling=s.drop.polling,
        stable_seconds=s.drop.stable_seconds,
        max_mb=s.intake.max_attachment_mb,
    )
    _handle_files(pipeline, drop, drop.wait_until_stable(), report)
    return report


def _scheduled(pipeline: Pipeline) -> None:
    """Reminders, escalations, the weekly report, upkeep."""
    pipeline.send_reminders()
    pipeline.send_contract_reminders()
    pipeline.scheduled_reports()
    pipeline.housekeeping()


def _wait(drop: DropFolder, stable_seconds: float) -> None:
    """Until a folder event or pushed mail (the mailbox watcher sets `drop.changed`
    too), or to re-check settling files; at most half a second."""
    try:
        pending = bool(drop.candidates())
    except FolderUnavailable:
        pending = False
    timeout = stable_seconds / 2 if pending else 0.5
    drop.changed.wait(max(0.02, min(timeout, 0.5)))
    drop.changed.clear()


def run_forever(
    pipeline: Pipeline, stop: threading.Event, report: RunReport | None = None
) -> RunReport:
    """Mailbox and drop folder until `stop` is set; a failed round (an outage of the
    database, the mail server, a share) backs off and tries again."""
    s = pipeline.settings
    report = report or RunReport()
    drop = DropFolder(
        s.drop.path,
        polling=s.drop.polling,
        poll_seconds=s.drop.poll_seconds,
        stable_seconds=s.drop.stable_seconds,
        max_mb=s.intake.max_attachment_mb,
    )
    drop.start()
    mail = MailboxWatcher(pipeline, s.mailbox.poll_seconds, wake=(drop.changed,))
    mail.start()
    next_schedule = 0.0
    health = Health(pipeline)
    try:
        failures = 0
        while not stop.is_set():
            try:
                if mail.due.is_set():
                    mail.poll(report)
                _handle_files(pipeline, drop, drop.ready(), report)
                if time.monotonic() >= next_schedule:
                    _scheduled(pipeline)
                    next_schedule = time.monotonic() + SCHEDULE_SECONDS
                failures = 0
                health.report(None)
            except Exception as exc:  # an outage: wait, then try again
                failures += 1
                backoff = back_off(failures, exc)
                health.report(waiting_on(exc))
                log.error(
                    "round failed (%s, waiting on %s); retrying in %.0f s",
                    safe_error(exc),
                    waiting_on(exc),
                    backoff,
                )
                mail.due.set()  # the inbox is read again after the back-off
                stop.wait(backoff)
                continue
            _wait(drop, s.drop.stable_seconds)
    finally:
        mail.stop()
        drop.stop()
        health.stopped()
    return report
