"""The pipeline: one object over the workflow for whoever drives it (the run loop, the
command line, the tests). It holds the services (`Services`) and passes them to the
modules that do the work:

    inbox      take a mail or dropped file in, in one transaction
    incoming   what the mail is: own, automatic, a reply, no form, forms
    newcase    a new case from one form, step by step
    replies    a mail on a case, one function per outcome
    steps      the workflow steps of the region's profile, decided
    documents  after approval: the data complete, the package sent
    contract   the contract back, signed means signed
    sending    the outbox
    planning   reminders, reports, upkeep
    held       what staff do with the mails in Quarantaine
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.folders import QUARANTINE
from pipeline.mail import IncomingMail, Mailbox
from pipeline.workflow import held, inbox, planning, quarantine, retention, sending
from pipeline.workflow.inbox import FileOutcome, RunReport
from pipeline.workflow.services import Services

__all__ = ["FileOutcome", "Pipeline", "RunReport"]


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        mailbox: Mailbox | None = None,
    ):
        self.services = Services(settings, clock=clock, mailbox=mailbox)

    # the services, as the run loop, the command line and the tests use them
    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self):
        return self.services.store

    @property
    def mailbox(self) -> Mailbox:
        return self.services.mailbox

    @property
    def register(self):
        return self.services.register

    @property
    def mappings(self):
        return self.services.mappings

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.services.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.services.clock = clock

    @property
    def send_failures(self) -> int:
        return self.services.send_failures

    # taking work in
    def handle_inbox(self, report: RunReport | None = None) -> RunReport:
        return inbox.handle_inbox(self.services, report)

    def handle_mail(self, mail: IncomingMail, report: RunReport | None = None) -> None:
        inbox.handle_mail(self.services, mail, report)

    def handle_file(
        self, path: Path, report: RunReport | None = None
    ) -> FileOutcome | None:
        return inbox.handle_file(self.services, path, report)

    def release(self, key: str) -> None:
        inbox.release(self.services, key)

    def send_outbox(self) -> int:
        return sending.send_outbox(self.services)

    def rebuild_index(self) -> None:
        self.services.rebuild_index()

    # Quarantaine
    def held(self, folder: str = QUARANTINE) -> list[quarantine.HeldMail]:
        return held.held(self.services, folder)

    def reprocess(self, nummers: list[int] | None = None, **how) -> RunReport:
        return held.reprocess(self.services, nummers, **how)

    def release_held(self, nummer: int, **how) -> quarantine.HeldMail:
        return held.release(self.services, nummer, **how)

    def delete_held(self, nummer: int, **how) -> quarantine.HeldMail:
        return held.delete(self.services, nummer, **how)

    # scheduled work
    def send_reminders(self) -> int:
        return planning.send_reminders(self.services)

    def send_contract_reminders(self) -> int:
        return planning.send_contract_reminders(self.services)

    def send_expiry_reports(self, weeks: int | None = None, **how) -> int:
        return planning.send_expiry_reports(self.services, weeks, **how)

    def scheduled_reports(self) -> int:
        return planning.scheduled_reports(self.services)

    def housekeeping(self) -> None:
        planning.housekeeping(self.services)

    def opschonen(self, **how) -> retention.Purged:
        return planning.opschonen(self.services, **how)

    def close(self) -> None:
        self.services.close()
