"""What the workflow works with, held in one object: settings, the region's profile, the
store, the register, the document renderer, the mail composer, the mailbox and the
clock, with the few things every part asks of them (the local date, queuing a mail)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pipeline import crashpoints, store
from pipeline.config import Settings
from pipeline.errors import NotReadAutomatically, UnreadableForm, safe_error
from pipeline.mail import Mailbox, MailComposer, open_mailbox
from pipeline.models import Attachment, Extraction
from pipeline.region.profile import Mappings, load_mappings
from pipeline.register.folder import Register
from pipeline.register.index import contract_rows, write_index
from pipeline.stages import intake
from pipeline.stages.extract import extract_bytes
from pipeline.stages.render import Renderer
from pipeline.workdays import deadline
from pipeline.workflow import quarantine
from pipeline.workflow.mails import Mail

log = logging.getLogger(f"maatwerk.{__name__}")


@dataclass(frozen=True)
class FormRead:
    """A file read as a request form: its extraction; or why it is no readable form
    (`unreadable`: the Dutch reason its sender gets); or `by_hand`: our reader failed
    on it (a fault of ours, not the file's), so ICM reads it."""

    attachment: Attachment
    extraction: Extraction | None = None
    unreadable: str | None = None
    by_hand: bool = False


class Services:
    """The pipeline's collaborators. `clock` gives the current moment (UTC)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        mailbox: Mailbox | None = None,
    ):
        self.settings = settings
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.mappings: Mappings = load_mappings(
            settings.region.mappings_dir, settings.region.profile
        )
        self.store = store.open_store(settings.store)
        self.mailbox: Mailbox = mailbox or open_mailbox(settings)
        mb = settings.mailbox
        self.composer = MailComposer(
            settings.region.templates_dir,
            mb.address,
            mb.display_name,
            mb.message_id_domain,
        )
        self.register = Register(settings.register_.path)
        self.register.ensure_root()
        if self.register.remove_partial_files():
            log.warning(
                "partial files from an interrupted run removed from the register"
            )
        self.renderer = Renderer(settings.region.templates_dir)
        self.extra_closed = frozenset(
            date.fromisoformat(d) for d in settings.advice.extra_closed_days
        )
        self.send_failures = 0  # mails the last send_outbox could not send
        # the mail being handled, filed once for all its cases
        self.mail_filed: dict[str, Path] = {}

    @property
    def region(self):
        return self.mappings.region

    @property
    def icm(self) -> list[str]:
        return list(self.mappings.region.icm)

    def case_folder(self, case: store.Case) -> Path:
        """The case's register folder (made when it is filed in)."""
        if case.register_dir:
            return Path(case.register_dir)
        return self.register.case_dir(case.year, case.gemeente, case.id)

    def rebuild_index(self) -> None:
        """register/register.xlsx and .csv from the store; a failure here never stops
        the flow."""
        try:
            with self.store.session() as s:
                store.lock_index(s)  # one worker at a time writes the files
                rows = contract_rows(s, self.local_date(self.clock()))
                write_index(self.register.root, rows)
        except Exception as exc:
            log.warning(
                "register index not rebuilt (%s); next change tries again",
                safe_error(exc),
            )

    def due_after(self, when: datetime, days: int) -> date:
        """`days` working days after `when` (the region's clock, cut-off and closed
        days)."""
        adv = self.settings.advice
        return deadline(
            when,
            False,
            tz=adv.timezone,
            cutoff=adv.cutoff,
            days_normal=days,
            extra_closed=self.extra_closed,
        )

    def local(self, moment: datetime | None = None) -> datetime:
        """A moment (default: now) on the region's wall clock."""
        return (moment or self.clock()).astimezone(
            ZoneInfo(self.settings.advice.timezone)
        )

    def local_date(self, moment: datetime) -> date:
        return self.local(moment).date()

    def read(self, att: Attachment) -> FormRead:
        """A form file read, and what came of it."""
        try:
            return FormRead(att, extraction=self.extract(att))
        except UnreadableForm as exc:
            return FormRead(att, unreadable=exc.melding)
        except NotReadAutomatically:
            return FormRead(att, by_hand=True)
        finally:
            crashpoints.reached("after_extract")

    def extract(self, att: Attachment) -> Extraction:
        """Raises UnreadableForm (with the Dutch reason) when the file is no readable
        form or too large, NotReadAutomatically when our reader failed on it."""
        limit = self.settings.intake.max_attachment_mb
        if len(att.content) > limit * 1024 * 1024:
            raise UnreadableForm(
                f"De bijlage is groter dan {f'{limit:g}'.replace('.', ',')} MB en wordt"
                " niet verwerkt. Stuur het aanvraagformulier als los Word- of"
                " PDF-bestand zonder grote bijlagen."
            )
        return extract_bytes(att.content, self.mappings, self.settings.reading)

    @property
    def regioteam(self) -> str:
        """How the mails call whoever `region.icm` is, as a team ('Beste …', '… naar
        …'): ICM in regio ZOU, Contractbeheer in Rijk van Nijmegen, RIOZ."""
        from pipeline.workflow.people import role_name

        region = self.mappings.region
        if region.rollen.get("icm") or not region.escalatie:
            return "ICM"
        name = role_name(
            region.escalatie[0]
        )  # a team's name, usable without an article
        if name.isupper():
            return name
        return region.escalatie[0].replace("_", " ").capitalize()

    def queue(self, s: Session, mail: Mail) -> None:
        """Compose a mail and put it in the outbox (sent after the commit). An answer to
        a mail that was answered before (a held mail taken back) is not queued again."""
        if not mail.to:
            return
        refs = list(mail.references)
        in_reply_to = None
        if mail.reply_to is not None and mail.reply_to.message_id:
            in_reply_to = mail.reply_to.message_id
            refs = mail.reply_to.in_reply_to + refs
        elif refs:
            in_reply_to = refs[0]
        case = store.find_case(s, mail.case_id) if mail.case_id else None
        crisis = bool(
            case is not None and case.crisis
        )  # marked in every mail of a crisis case
        composed = self.composer.compose(
            mail.template or "",
            {"crisis": crisis, "regioteam": self.regioteam}
            | mail.context
            | {"afzender": self.settings.mailbox.display_name},
            to=mail.to,
            cc=mail.cc,
            case_id=mail.case_id,
            kind=mail.stored_kind,
            attachments=mail.attachments,
            in_reply_to=in_reply_to,
            references=refs,
            now=self.clock(),
            crisis=crisis,
        )
        if mail.reply_to is not None and self._answered_before(
            s, mail, in_reply_to, composed.recipients
        ):
            log.info("mail answered before (%s); not answered again", mail.stored_kind)
            return
        store.queue_mail(
            s,
            message_id=composed.message_id,
            raw=composed.raw,
            kind=mail.stored_kind,
            recipients=composed.recipients,
            case_id=mail.case_id,
        )

    @staticmethod
    def _answered_before(
        s: Session, mail: Mail, in_reply_to: str | None, recipients: list[str]
    ) -> bool:
        sub = mail.reply_to
        assert sub is not None
        if in_reply_to and quarantine.answered_before(
            s, mail.stored_kind, in_reply_to, recipients, mail.case_id
        ):
            return True
        if sub.message_id:
            return False
        # no id to find the answer by: claimed
        digest = intake.sha256(sub.dedupe_key.encode())[:12]
        return not store.claim_once(
            s, "antwoord", f"{mail.stored_kind[:16]}:{mail.case_id or '-'}:{digest}"
        )

    def close(self) -> None:
        self.mailbox.close()
        self.store.close()
