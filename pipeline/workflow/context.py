"""One case being handled: the transaction, the case, the mail or file that moves it,
and the case's register folder and day — what every step of a case works on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.models import Aanvraag, Submission
from pipeline.states import CaseState
from pipeline.workflow import events
from pipeline.workflow.services import Mail, Services


@dataclass
class CaseContext:
    svc: Services
    s: Session
    case: store.Case
    sub: Submission
    folder: Path
    day: date

    @classmethod
    def of(cls, svc: Services, s: Session, case: store.Case, sub: Submission):
        """The context of the case an incoming item is about."""
        return cls(
            svc, s, case, sub, svc.case_folder(case), svc.local_date(sub.received_at)
        )

    @property
    def record(self) -> Aanvraag:
        record = self.case.record
        assert record is not None, "a case past intake has its record"
        return record

    @property
    def thread(self) -> list[str]:
        """The Message-IDs of the case's mails, for References."""
        return store.case_mail_ids(self.s, self.case.id)

    def file(self, soort: str, ext: str, data: bytes) -> Path:
        """A file in the case's register folder, named by day, kind and case."""
        return self.svc.register.file(
            self.folder, self.day, soort, self.case.id, ext, data
        )

    def file_mail(self, soort: str) -> Path:
        """The incoming mail itself, as an .eml in the register."""
        return self.file(soort, ".eml", self.sub.raw or b"")

    def note(self, what: str) -> None:
        """A line in the case history, sourced to the incoming item."""
        store.note(self.s, self.case, source=self.sub.source_ref, what=what)

    def transition(self, state: CaseState, what: str) -> None:
        """The case to `state`, with its line in the history."""
        store.transition(
            self.s, self.case, state, source=self.sub.source_ref, what=what
        )
        events.moved(self.s, self.case.id, state)

    def queue(self, mail: Mail) -> None:
        self.svc.queue(self.s, mail)
