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
from typing import Any

from pipeline.config import Settings
from pipeline.folders import QUARANTINE
from pipeline.mail import IncomingMail, Mailbox
from pipeline.region.profile import Mappings
from pipeline.register.folder import Register
from pipeline.store import Store
from pipeline.workflow import held, inbox, planning, quarantine, retention, sending
from pipeline.workflow.inbox import FileOutcome, RunReport
from pipeline.workflow.services import Services

__all__ = ["FileOutcome", "Pipeline", "RunReport"]


class Pipeline:
    """`Pipeline(settings, clock=…, mailbox=…)`: the options are those of `Services`."""

    # the services the run loop, the command line and the tests read off the pipeline,
    # typed here and read from `Services` by __getattr__
    settings: Settings
    store: Store
    mailbox: Mailbox
    register: Register
    mappings: Mappings
    send_failures: int

    def __init__(self, settings: Settings, **options: Any):
        self.services = Services(settings, **options)

    def __getattr__(self, name: str) -> Any:
        if name in Pipeline.__annotations__:
            return getattr(self.services, name)
        raise AttributeError(name)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.services.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.services.clock = clock

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
        action = quarantine.HeldAction.vrijgegeven
        return held.settle(self.services, nummer, action, **how)

    def delete_held(self, nummer: int, **how) -> quarantine.HeldMail:
        action = quarantine.HeldAction.verwijderd
        return held.settle(self.services, nummer, action, **how)

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
