"""The flow: wires the stages together for one mail or one dropped file.

intake → extract → validate → route → (advice mails) … advice → decide → render →
register

Each incoming item is handled in one database transaction: the case, its audit rows,
the filed documents and the mails it causes (queued in the outbox) are stored
together. Only after that commit is the mail moved out of the inbox, and only then are
queued mails sent; a crash in between repeats nothing that was stored.

This module takes items in (mail, dropped file) and makes new cases; a case's advice
workflow (steps, replies, decision, documents) is in workflow.py, scheduled work
(reminders, reports, retention) in planning.py — both mixins of `Pipeline`.
"""

from __future__ import annotations

import ctypes
import json
import logging
import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from pipeline import crashpoints, store
from pipeline.config import Settings
from pipeline.errors import (
    ConfigError,
    FolderUnavailable,
    HeldMailNotFound,
    NotReadAutomatically,
    UnreadableForm,
)
from pipeline.folders import QUARANTINE
from pipeline.mail import IncomingMail, Mailbox, MailComposer, MaildirPostOffice
from pipeline.models import Aanvraag, Attachment, Extraction, Melding, Submission
from pipeline.readers.record import CERTAIN
from pipeline.region.profile import Mappings, load_mappings
from pipeline.register.folder import Register, extension_for
from pipeline.register.index import contract_rows, write_index
from pipeline.stages import intake, render
from pipeline.stages import route as route_stage
from pipeline.stages.extract import extract_bytes
from pipeline.stages.validate import earlier_case_warnings, has_errors, validate
from pipeline.states import CONTRACT_STATES, CaseState
from pipeline.workdays import dutch_date
from pipeline.workflow import quarantine
from pipeline.workflow.planning import Planning
from pipeline.workflow.replies import Workflow, role_name

log = logging.getLogger("maatwerk")

PROCESSED_BECAUSE = {
    "zaak": "aanvraag ontvangen",
    "geweigerd": "aanvraag ontvangen en geweigerd",
    "antwoord": "antwoord in de zaak verwerkt",
    "dubbel": "hetzelfde formulier opnieuw ontvangen",
    "geen_formulier": "mail zonder formulier",
    "eigen_mail": "eigen mail van het product",
    "automatisch": "automatisch antwoord bij de zaak vastgelegd",
    "automatisch_onbekend": "automatisch antwoord zonder zaak",
}
HELD = ("geen_formulier", "automatisch_onbekend")  # outcomes kept in Quarantaine


RELEASE_EVERY = 50  # mails
# A mail whose handling began this many times `max_pogingen` without ending (the worker
# was killed while at it, every time) is set aside as well: it may be what kills it.
CRASHES_PER_TRY = 2


def release_memory() -> None:
    """Give freed memory back to the system. glibc keeps what a backlog's many large
    strings (mails, attachments, documents) freed: measured, RSS fell from 252 to 119 MB
    after 600 forms.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def open_mailbox(settings: Settings) -> Mailbox:
    """The configured mailbox backend behind the one interface."""
    mb = settings.mailbox
    if mb.backend == "imap":
        from pipeline.mail.imap import ImapMailbox

        return ImapMailbox(
            settings.imap, settings.smtp, mb.address, mb.processed_folder
        )
    if mb.backend == "graph":
        from pipeline.mail.graph import GraphMailbox

        return GraphMailbox(settings.graph, mb.address, mb.processed_folder)
    if mb.backend == "ews":
        from pipeline.mail.ews import EwsMailbox

        return EwsMailbox(settings.ews, mb.address, mb.processed_folder)
    return MaildirPostOffice(mb.maildir_root).mailbox(mb.address, mb.processed_folder)


def safe_error(exc: BaseException) -> str:
    """An exception for the log without its message (which may quote form contents)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (
        f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else ""
    )
    return f"{type(exc).__name__}{where}"


@dataclass
class FileOutcome:
    outcome: (
        str  # verwerkt | geweigerd | quarantaine: the drop-folder subfolder it goes to
    )
    case_id: str | None
    reasons: list[str]
    key: str = (
        ""  # the file's lease: released (`release`) once the watcher has moved the file
    )


@dataclass
class RunReport:
    mails: int = 0
    files: int = 0
    sent: int = 0
    cases: list[str] = field(default_factory=list)
    quarantined: int = 0


class Pipeline(Workflow, Planning):
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        mailbox: Mailbox | None = None,
    ):
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.mappings: Mappings = load_mappings(
            settings.region.mappings_dir, settings.region.profile
        )
        self.store = store.open_store(settings.store)
        mb = settings.mailbox
        self.mailbox: Mailbox = mailbox or open_mailbox(settings)
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
        self.renderer = render.Renderer(settings.region.templates_dir)
        self.send_failures = 0  # mails the last send_outbox could not send
        self._mail_filed: dict[
            str, Path
        ] = {}  # the mail being handled, filed once for all its cases
        self.extra_closed = frozenset(
            date.fromisoformat(d) for d in settings.advice.extra_closed_days
        )

    # --- the loop's steps
    # ----------------------------------------------------------------

    def handle_inbox(self, report: RunReport | None = None) -> RunReport:
        """Handle every mail waiting in the inbox now; what that queues is sent
        meanwhile by a sender thread (so a backlog does not wait on the mail server mail
        by mail), and the rest right after."""
        report = report or RunReport()
        done = threading.Event()
        sender = threading.Thread(
            target=self._send_until, args=(done, report), name="outbox", daemon=True
        )
        sender.start()
        try:
            for incoming in self.mailbox.receive():
                report.mails += 1
                try:
                    self.handle_mail(incoming, report)
                except (
                    OperationalError,
                    FolderUnavailable,
                ):  # an outage: the round ends, the loop backs off
                    raise
                except Exception as exc:  # never one mail in the way of the next
                    log.error(
                        "mail left in the inbox after an unexpected error (%s)",
                        safe_error(exc),
                    )
                if report.mails % RELEASE_EVERY == 0:
                    release_memory()
        finally:
            done.set()
            sender.join()
        self._outage_over()
        report.sent += self.send_outbox()
        release_memory()
        return report

    def _send_until(self, done: threading.Event, report: RunReport) -> None:
        while not done.is_set():
            try:
                sent = self.send_outbox()
            except (
                Exception
            ) as exc:  # the store or mail server is away: the main flow notices too
                log.warning("outbox sender paused (%s)", safe_error(exc))
                sent = 0
            report.sent += sent
            if (
                not sent
            ):  # nothing to send, or the mail server refuses: wait longer then
                done.wait(2.0 if self.send_failures else 0.05)

    def handle_mail(
        self, incoming: IncomingMail, report: RunReport | None = None
    ) -> None:
        """One mail, in one transaction. Several workers may see the same inbox: a
        worker first takes the mail's lease and counts the attempt (its own short
        transaction); a mail another live worker holds is left to it. An outage (the
        store away: OperationalError; the register away or full: FolderUnavailable)
        leaves the mail in the inbox, counts no attempt and ends the round, so the loop
        backs off and tries again. Any other failure leaves the mail for the next round;
        after `[intake] max_pogingen` failures it is set aside (`_set_aside`).
        """
        report = report or RunReport()
        self._mail_filed = {}
        try:
            sub: Submission | None = intake.from_mail(incoming)
            key = sub.dedupe_key
        except Exception as exc:  # from_mail reads any mail: this is a bug of ours
            sub, key, unreadable = (
                None,
                f"mail-sha256:{intake.sha256(incoming.raw)}",
                exc,
            )
        attempt = self._take_mail(key)
        if attempt is None:
            log.debug("mail is being handled by another worker")
            return
        if (
            attempt.set_aside_at is not None
        ):  # set aside before, the move did not happen (a crash)
            self._move(incoming.key, QUARANTINE)
            return
        if (
            attempt.attempts - attempt.failures
            > CRASHES_PER_TRY * self.settings.intake.max_pogingen
        ):
            self._failed(
                incoming,
                sub,
                key,
                "afgebroken (de verwerking stopte telkens halverwege)",
                report,
                set_aside=True,
            )
            return
        if sub is None:
            self._failed(incoming, None, key, safe_error(unreadable), report)
            return
        folder = None
        contract_changed = False
        try:
            crashpoints.reached("after_fetch")
            with self.register.attempt(), self.store.session() as s:
                if store.already_received(s, key):
                    log.info("mail already handled earlier; moved out of the inbox")
                else:
                    outcome, case_ids = self._handle_submission_or_reply(s, sub)
                    store.record_received(
                        s,
                        key=key,
                        source="mail",
                        source_ref=sub.source_ref,
                        case_id=case_ids[0] if case_ids else None,
                        outcome=outcome,
                    )
                    store.log_access(
                        s,
                        case_ids,
                        actie="verwerkt",
                        reden=PROCESSED_BECAUSE[outcome],
                        bron=sub.source_ref,
                    )
                    report.cases.extend(case_ids)
                    folder = QUARANTINE if outcome in HELD else None
                    # the index lists contracts: rebuild it only when one of them
                    # changed
                    contract_changed = any(
                        s.get(store.Case, c).state in CONTRACT_STATES for c in case_ids
                    )
                store.attempt_done(
                    s, key
                )  # the count goes with the outcome it counted towards
            crashpoints.reached("after_commit")
            if contract_changed:
                self.rebuild_index()
        except (
            OperationalError,
            FolderUnavailable,
        ) as exc:  # an outage: the mail waits in the inbox
            self._waits(key, exc)
            raise
        # another worker stored this mail (or the same form) at the same moment:
        except IntegrityError as exc:
            # the next round finds it stored; a conflict of our own making counts as a
            # failure
            log.warning(
                "mail conflicted with another store change; left in the inbox for the"
                " next round"
            )
            self._failed(incoming, sub, key, safe_error(exc), report)
            return
        except Exception as exc:
            log.error("mail could not be handled (%s)", safe_error(exc))
            self._failed(incoming, sub, key, safe_error(exc), report)
            return
        # The lease is kept until it runs out: a worker that fetched the same mail
        # before it was moved must not move it again (an IMAP session can still copy a
        # mail another moved).
        self._move(incoming.key, folder)

    def _failed(
        self,
        incoming: IncomingMail,
        sub: Submission | None,
        key: str,
        error: str,
        report: RunReport,
        *,
        set_aside: bool = False,
    ) -> None:
        """A failed attempt at a mail: counted; below `max_pogingen` the mail stays in
        the inbox for the next round, at it the mail is set aside. Raises
        OperationalError when the store is away.
        """
        with self.store.session() as s:
            row = store.attempt_failed(s, key, error)
            failures = row.failures
        limit = self.settings.intake.max_pogingen
        if not set_aside and failures < limit:
            log.warning("mail left in the inbox; attempt %d of %d", failures, limit)
            self.release(key)
            return
        self._set_aside(sub, key, failures, error)
        report.quarantined += 1
        self._move(incoming.key, QUARANTINE)

    def _set_aside(
        self, sub: Submission | None, key: str, failures: int, error: str
    ) -> None:
        """A poison mail to Quarantaine: the sender told ICM looks at it, ICM told (once
        per time it is set aside; a sender answered before is not answered again), in
        the transaction that marks it set aside. When even the answers fail, it is set
        aside unanswered."""
        try:
            with self.store.session() as s:
                store.set_aside(s, key)
                answered = bool(sub and sub.sender)
                if sub is not None and sub.sender:
                    self._queue(
                        s,
                        "niet_verwerkt",
                        {"onderwerp": sub.subject[:120]},
                        to=[sub.sender],
                        case_id=None,
                        kind="niet-verwerkt",
                        reply_to=sub,
                    )
                self._queue(
                    s,
                    "niet_verwerkt_icm",
                    {
                        "van": (sub.sender if sub else None) or "onbekend",
                        "onderwerp": (sub.subject if sub else "")[:120],
                        "pogingen": failures,
                        "fout": error,
                        "beantwoord": answered,
                    },
                    to=list(self.mappings.region.icm),
                    case_id=None,
                    kind="niet-verwerkt-icm",
                )
        except OperationalError:
            raise
        except Exception as exc:
            log.error(
                "answers about a mail set aside could not be queued (%s)",
                safe_error(exc),
            )
            with self.store.session() as s:
                store.set_aside(s, key)
        log.error(
            "mail set aside in quarantine after %d failed attempts; sender and ICM"
            " told",
            failures,
        )

    def _waits(self, key: str, exc: Exception) -> None:
        """An outage met while handling a mail: the attempt does not count, `maatwerk
        status` shows what the mail waits on, and another worker may take it."""
        wat = exc.wat if isinstance(exc, FolderUnavailable) else "de database"
        try:
            with self.store.session() as s:
                store.attempt_undone(s, key, wat)
        except (
            OperationalError
        ):  # the store is what is away: the worker's own status line says so
            pass
        self.release(key)

    def _outage_over(self) -> None:
        try:
            with self.store.session() as s:
                if store.waiting_mails(s):
                    store.outage_over(s)
        except OperationalError:
            pass

    def _move(self, key: str, folder: str | None) -> None:
        try:
            self.mailbox.mark_processed(key, folder)
        # stored already (or moved by another worker): a later round sees to it
        except Exception as exc:
            log.warning(
                "mail could not be moved out of the inbox yet (%s)", safe_error(exc)
            )

    def _take(self, key: str) -> bool:
        with self.store.session() as s:
            return store.take_lease(s, key, self.settings.store.lease_seconds)

    def _take_mail(self, key: str) -> store.MailAttempt | None:
        """The lease on a mail with this attempt counted, in one commit; None: another
        worker has it."""
        with self.store.session() as s:
            if not store.take_lease(s, key, self.settings.store.lease_seconds):
                return None
            return store.begin_attempt(s, key)

    def release(self, key: str) -> None:
        """Let go of the lease on a mail or file (after it was moved away)."""
        try:
            with self.store.session() as s:
                store.release_lease(s, key)
        except OperationalError:  # it expires by itself
            pass

    def handle_file(
        self, path: Path, report: RunReport | None = None
    ) -> FileOutcome | None:
        """A file from the drop folder; None when it cannot be read yet, or another
        worker has it (left in place)."""
        report = report or RunReport()
        try:
            sub = intake.from_file(path, self.clock())
        except OSError:
            log.warning("dropped file could not be read yet; left in place")
            return None
        if not self._take(sub.dedupe_key):
            return None
        key = sub.dedupe_key
        try:
            with self.register.attempt(), self.store.session() as s:
                earlier = store.already_received(s, key)
                if earlier:
                    return FileOutcome(
                        "verwerkt",
                        earlier.case_id,
                        [
                            "Dit bestand is al eerder ontvangen (zaak"
                            f" {earlier.case_id})."
                        ],
                        key,
                    )
                att = sub.attachments[0]
                case_id, refused = self._new_case(s, sub, att, self._read(att))
                store.record_received(
                    s,
                    key=key,
                    source="drop",
                    source_ref=sub.source_ref,
                    case_id=case_id,
                    outcome="geweigerd" if refused else "zaak",
                )
                store.log_access(
                    s,
                    case_id,
                    actie="verwerkt",
                    reden=PROCESSED_BECAUSE["geweigerd" if refused else "zaak"],
                    bron=sub.source_ref,
                )
                reasons = [
                    m.tekst
                    for m in store.get_case(s, case_id).meldingen
                    if m.ernst == "fout"
                ]
        except (OperationalError, FolderUnavailable):
            log.warning("store or register not reachable; dropped file left in place")
            self.release(key)
            return None
        except Exception as exc:
            log.error(
                "dropped file could not be handled (%s); kept in quarantine",
                safe_error(exc),
            )
            report.quarantined += 1
            return FileOutcome(
                "quarantaine",
                None,
                [
                    "Het bestand kon niet worden verwerkt; het is bewaard "
                    "en wordt door beheer bekeken."
                ],
                key,
            )
        report.cases.append(case_id)
        return FileOutcome(
            "geweigerd" if refused else "verwerkt", case_id, reasons, key
        )

    def reprocess(
        self,
        nummers: list[int] | None = None,
        *,
        wie: str | None = None,
        reden: str | None = None,
        folder: str = QUARANTINE,
    ) -> RunReport:
        """After a fix (a sender added to the allowlist, a form template repaired, an
        outage over): the held mails with these numbers (as `held` lists them; None:
        all) are forgotten as 'handled', go back to the inbox and run again. A mail
        answered before is not answered the same way again (`_answered_before`). Raises
        ConfigError when the mailbox backend cannot, HeldMailNotFound for a number not
        held."""
        chosen = quarantine.chosen(self.held(folder), nummers)
        keys = [m.dedupe_key for m in chosen]
        with (
            self.store.session() as s
        ):  # forgotten first: back in the inbox it must run again
            if keys:
                s.execute(
                    delete(store.Received).where(
                        store.Received.dedupe_key.in_(keys),
                        store.Received.case_id.is_(None),
                    )
                )
                # the lease the handling worker keeps (it may still run) would leave the
                # mail to it
                s.execute(delete(store.Lease).where(store.Lease.key.in_(keys)))
            for mail in chosen:
                quarantine.record(
                    s,
                    mail,
                    quarantine.HeldAction.opnieuw,
                    wie or store.worker_actor(),
                    reden,
                )
                # one more try: a mail that fails again after the fix is set aside again
                # at once
                store.attempt_failed(
                    s, mail.dedupe_key, "opnieuw verwerkt"
                ).failures = self.settings.intake.max_pogingen - 1
        for mail in chosen:
            self.mailbox.move_from(folder, mail.key)
        log.info("%d quarantined mail(s) back in the inbox", len(chosen))
        report = self.handle_inbox()
        # held again (still no form, sender still not allowed) or failed again: what the
        # user asks
        taken = {m.dedupe_key for m in chosen}
        report.quarantined = (
            sum(m.dedupe_key in taken for m in self.held(folder)) if taken else 0
        )
        return report

    def held(self, folder: str = QUARANTINE) -> list[quarantine.HeldMail]:
        """The mails held in Quarantaine, oldest first, numbered, each with why it is
        held. Raises ConfigError when the mailbox backend cannot list the folder."""
        mails = self.mailbox.list_folder(folder)
        with self.store.session() as s:
            return quarantine.describe(s, mails, self._sender_allowed)

    def release_held(
        self,
        nummer: int,
        *,
        wie: str,
        reden: str | None = None,
        folder: str = QUARANTINE,
    ) -> quarantine.HeldMail:
        """A held mail handled by hand: to the processed folder unprocessed, and never
        taken in later (also when it is put back in the inbox). Raises HeldMailNotFound,
        ConfigError.
        """
        [mail] = quarantine.chosen(self.held(folder), [nummer])
        with self.store.session() as s:
            quarantine.record(s, mail, quarantine.HeldAction.vrijgegeven, wie, reden)
            if store.already_received(s, mail.dedupe_key) is None:
                store.record_received(
                    s,
                    key=mail.dedupe_key,
                    source="mail",
                    source_ref=mail.message_id or mail.key,
                    case_id=None,
                    outcome=quarantine.HeldAction.vrijgegeven.value,
                )
            s.flush()
            self._held_change(
                lambda: self.mailbox.move_from(
                    folder, mail.key, self.settings.mailbox.processed_folder
                ),
                nummer,
            )
        return mail

    def delete_held(
        self,
        nummer: int,
        *,
        wie: str,
        reden: str | None = None,
        folder: str = QUARANTINE,
    ) -> quarantine.HeldMail:
        """Delete a held mail from the mailbox; who did it and why stays in the store
        (recorded in the same transaction: no deletion without its record). Raises
        HeldMailNotFound, ConfigError.
        """
        [mail] = quarantine.chosen(self.held(folder), [nummer])
        with self.store.session() as s:
            quarantine.record(s, mail, quarantine.HeldAction.verwijderd, wie, reden)
            s.flush()
            self._held_change(
                lambda: self.mailbox.delete_from(folder, mail.key), nummer
            )
        return mail

    @staticmethod
    def _held_change(change: Callable[[], None], nummer: int) -> None:
        try:
            change()
        except KeyError:  # taken away meanwhile (by another person, or a mail client)
            raise HeldMailNotFound(
                f"Mail {nummer} staat niet meer in Quarantaine; 'maatwerk quarantaine' "
                "toont de lijst zoals die nu is."
            ) from None

    def _answered_before(
        self,
        s: Session,
        kind: str,
        in_reply_to: str | None,
        recipients: list[str],
        case_id: str | None,
    ) -> bool:
        """An answer of this kind to this incoming mail was queued before (a held mail
        taken back)."""
        return bool(in_reply_to) and quarantine.answered_before(
            s, kind, in_reply_to or "", recipients, case_id
        )

    def rebuild_index(self) -> None:
        """register/register.xlsx and .csv from the store; a failure here never stops
        the flow."""
        try:
            with self.store.session() as s:
                if (
                    s.get_bind().dialect.name == "postgresql"
                ):  # one worker at a time writes the files
                    s.execute(text("SELECT pg_advisory_xact_lock(7012)"))
                rows = contract_rows(s, self._local_date(self.clock()))
                write_index(self.register.root, rows)
        except Exception as exc:
            log.warning(
                "register index not rebuilt (%s); next change tries again",
                safe_error(exc),
            )

    def send_outbox(self) -> int:
        """Send queued mails. Each is claimed first (several workers never send the same
        mail; a claim of a worker that died runs out), then sent, then marked sent: a
        crash between sending and marking sends it again, with the same Message-ID."""
        sent, failed = 0, set()
        while True:
            with self.store.session() as s:
                claimed = store.claim_outbox(
                    s, self.settings.store.lease_seconds, exclude=failed
                )
            if not claimed:
                self.send_failures = len(failed)
                return sent
            for (
                mail_id
            ) in claimed:  # one message in memory at a time, however long the queue
                if self._send_one(mail_id):
                    sent += 1
                else:
                    failed.add(mail_id)

    def _send_one(self, mail_id: int) -> bool:
        with self.store.session() as s:
            row = s.get(store.OutboxMail, mail_id)
            if (
                row is None
                or row.sent_at is not None
                or row.claimed_by != store.worker_id()
            ):
                return False
            raw, recipients = row.raw, row.recipients
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.5, max=4),
                retry=retry_if_exception_type((OSError, smtplib.SMTPException)),
                reraise=True,
            ):
                with attempt:
                    self.mailbox.send(
                        raw, [r.strip() for r in recipients.split(",") if r.strip()]
                    )
                    crashpoints.reached("while_sending")  # sent, not yet marked sent
        except Exception as exc:  # the mail stays queued and is tried again next round
            with self.store.session() as s:
                row = s.get(store.OutboxMail, mail_id)
                row.attempts += 1
                row.last_error = type(exc).__name__
                row.claimed_by = row.claimed_until = None
            log.warning(
                "sending queued mail %s failed (%s); will retry",
                mail_id,
                type(exc).__name__,
            )
            return False
        with self.store.session() as s:
            row = s.get(store.OutboxMail, mail_id)
            row.sent_at = self.clock()
            row.attempts += 1
            row.claimed_by = row.claimed_until = None
        return True

    # --- submissions
    # ---------------------------------------------------------------------

    def _sender_allowed(self, sender: str | None) -> bool:
        allowed = [a.lower().lstrip("@") for a in self.settings.intake.allowed_senders]
        if not allowed:
            return True
        address = (sender or "").lower()
        return address in allowed or address.rpartition("@")[2] in allowed

    def _is_own(self, s: Session, sub: Submission) -> bool:
        """A mail the product sent itself (its Message-ID or its From address): never
        input, whatever role addresses share the inbox."""
        mb = self.settings.mailbox
        if sub.sender and sub.sender.lower() == mb.address.lower():
            return True
        mid = (sub.message_id or "").lower()
        return mid.endswith(f"@{mb.message_id_domain.lower()}>") or bool(
            sub.message_id and store.case_for_message_ids(s, [sub.message_id])
        )

    def _automatic(self, s: Session, sub: Submission) -> tuple[str, list[str]]:
        """An out-of-office reply, a delivery report or a read receipt: recorded on its
        case, ICM told once per case, sender and kind; nobody is answered."""
        assert sub.automatic is not None
        ours = intake.message_ids_in(
            sub.raw or b"", self.settings.mailbox.message_id_domain
        )
        case_id = (
            store.case_for_message_ids(s, sub.in_reply_to + ours)
            or intake.case_token(sub.subject)
            or intake.case_token((sub.raw or b"")[:200_000].decode("utf-8", "replace"))
        )
        case = s.get(store.Case, case_id) if case_id else None
        who = sub.automatic_for or sub.sender or "onbekend"
        what = {
            "afwezig": f"Automatisch antwoord (afwezig) van {who}",
            "niet bezorgd": f"Mail aan {who} niet bezorgd",
            "leesbevestiging": f"Leesbevestiging van {who}",
        }.get(sub.automatic, f"Automatische mail van {who}")
        if case is None:
            if sub.automatic != "leesbevestiging" and store.claim_once(
                s,
                "automatisch",
                f"?:{sub.automatic}:{intake.sha256(who.encode())[:16]}",
            ):
                self._queue(
                    s,
                    "automatisch_antwoord",
                    {
                        "zaak": None,
                        "wat": what,
                        "soort": sub.automatic,
                        "onderwerp": sub.subject[:120],
                    },
                    to=list(self.mappings.region.icm),
                    case_id=None,
                    kind="automatisch",
                )
            log.info("automatic mail without a case; kept in quarantine")
            return "automatisch_onbekend", []
        case = store.lock_case(s, case.id)
        folder = (
            Path(case.register_dir)
            if case.register_dir
            else self.register.case_dir(case.year, case.gemeente, case.id)
        )
        self.register.file(
            folder,
            self._local_date(sub.received_at),
            sub.automatic,
            case.id,
            ".eml",
            sub.raw or b"",
        )
        store.note(
            s, case, source=sub.source_ref, what=f"{what} ontvangen; niet beantwoord"
        )
        if sub.automatic != "leesbevestiging" and store.claim_once(
            s,
            "automatisch",
            f"{case.id}:{sub.automatic[:6]}:{intake.sha256(who.encode())[:16]}",
        ):
            self._queue(
                s,
                "automatisch_antwoord",
                {
                    "zaak": case.id,
                    "wat": what,
                    "soort": sub.automatic,
                    "onderwerp": sub.subject[:120],
                },
                to=list(self.mappings.region.icm),
                case_id=case.id,
                kind="automatisch",
                references=store.case_mail_ids(s, case.id),
            )
        return "automatisch", [case.id]

    def _handle_submission_or_reply(
        self, s: Session, sub: Submission
    ) -> tuple[str, list[str]]:
        if self._is_own(s, sub):
            log.info("the product's own mail in the inbox; not processed")
            return "eigen_mail", []
        if sub.automatic and not (sub.automatic == "automatisch" and sub.attachments):
            return self._automatic(
                s, sub
            )  # (a system that mails forms by itself is still heard)
        if not self._sender_allowed(sub.sender):
            self._queue(
                s,
                "afzender_niet_toegestaan",
                {"van": sub.sender or "onbekend", "onderwerp": sub.subject[:120]},
                to=list(self.mappings.region.icm),
                case_id=None,
                kind="afzender-niet-toegestaan",
            )
            log.info(
                "mail from a sender outside the allowlist; kept in quarantine, ICM told"
            )
            return "geen_formulier", []
        case_id = store.case_for_message_ids(s, sub.in_reply_to) or intake.case_token(
            sub.subject
        )
        case = s.get(store.Case, case_id) if case_id else None
        if (
            case is not None
        ):  # a reply: this worker alone changes the case until it commits
            case = store.lock_case(s, case.id)
        if case is not None and not self._is_new_request(case, sub):
            self._handle_reply(s, case, sub)
            return "antwoord", [case.id]
        if not sub.attachments:
            skipped = sub.niet_geopend if isinstance(sub, intake.MailSubmission) else []
            self._queue(
                s,
                "niet_geopend" if skipped else "geen_formulier",
                {"onderwerp": sub.subject[:120], "redenen": skipped},
                to=[sub.sender] if sub.sender else [],
                case_id=None,
                kind="geen-formulier",
                reply_to=sub,
            )
            log.info(
                "mail without a request form; sender told, mail kept in quarantine"
            )
            return "geen_formulier", []
        # the same file twice in one mail (under two names) is one form; same-named
        # files are all kept
        unique = list(
            {
                intake.sha256(att.content): att for att in reversed(sub.attachments)
            }.items()
        )[::-1]
        known = [(att, store.case_with_form(s, digest)) for digest, att in unique]
        earlier = [c for _, c in known if c is not None]
        new = [att for att, c in known if c is None]
        if not new:  # every form was received before: no new case
            for case in earlier:
                store.note(
                    s,
                    case,
                    source=sub.source_ref,
                    what=(
                        "Hetzelfde formulier opnieuw ontvangen van "
                        f"{sub.sender or 'onbekend'}; geen nieuwe zaak"
                    ),
                )
            self._queue(
                s,
                "al_ontvangen",
                {
                    "zaken": sorted({c.id for c in earlier}),
                    "onderwerp": sub.subject[:120],
                },
                to=[sub.sender] if sub.sender else [],
                case_id=earlier[0].id,
                kind="al-ontvangen",
                reply_to=sub,
            )
            return "dubbel", [earlier[0].id]
        limit = self.settings.intake.max_formulieren
        new, over = (
            new[:limit],
            new[limit:],
        )  # reading is the costly part: the rest is not read at all
        read = [(att, self._read(att)) for att in new]
        forms = [
            (att, r)
            for att, r in read
            if isinstance(r, (Extraction, NotReadAutomatically))
        ]
        others = [att for att, r in read if isinstance(r, UnreadableForm)]
        if not forms:  # nothing readable: one refused case, every file kept with it
            att, result = read[0]
            case_id, _ = self._new_case(s, sub, att, result, extra=others[1:])
            results = [(case_id, True)]
        # a form with supporting documents (a letter, a report): those are filed with
        # the case
        else:
            results = [
                self._new_case(s, sub, att, r, extra=others if i == 0 else [])
                for i, (att, r) in enumerate(forms)
            ]
        case_ids = [c for c, _ in results]
        if over:
            self._too_many(s, sub, case_ids, len(new) + len(over), over)
        return ("geweigerd" if all(r for _, r in results) else "zaak"), case_ids

    def _too_many(
        self,
        s: Session,
        sub: Submission,
        case_ids: list[str],
        count: int,
        over: list[Attachment],
    ) -> None:
        """More files in one mail than `[intake] max_formulieren`: the rest refused with
        the reason (they stay in the mail, which is kept), noted on the first case."""
        limit = self.settings.intake.max_formulieren
        store.note(
            s,
            s.get(store.Case, case_ids[0]),
            source=sub.source_ref,
            what=(
                f"De mail had {count} bijlagen; {len(over)} niet verwerkt (ten hoogste"
                f" {limit} per mail)"
            ),
        )
        self._queue(
            s,
            "te_veel_formulieren",
            {
                "zaken": case_ids,
                "onderwerp": sub.subject[:120],
                "aantal": count,
                "max": limit,
                "niet_verwerkt": [att.filename[:100] for att in over],
            },
            to=[sub.sender] if sub.sender else [],
            case_id=case_ids[0],
            kind="te-veel-formulieren",
            reply_to=sub,
        )
        log.info("mail with %d files: %d not read (limit %d)", count, len(over), limit)

    def _read(
        self, att: Attachment
    ) -> Extraction | UnreadableForm | NotReadAutomatically:
        try:
            return self._extract(att)
        finally:
            crashpoints.reached("after_extract")

    def _extract(
        self, att: Attachment
    ) -> Extraction | UnreadableForm | NotReadAutomatically:
        limit = self.settings.intake.max_attachment_mb
        if len(att.content) > limit * 1024 * 1024:
            return UnreadableForm(
                f"De bijlage is groter dan {f'{limit:g}'.replace('.', ',')} MB en wordt"
                " niet verwerkt. Stuur het aanvraagformulier als los Word- of"
                " PDF-bestand zonder grote bijlagen."
            )
        try:
            return extract_bytes(
                att.content,
                self.mappings,
                self.settings.ocr.languages,
                self.settings.limits,
            )
        except (
            UnreadableForm,
            NotReadAutomatically,
        ) as exc:  # a fault of ours is not the form's: a person reads it
            return exc

    def _new_case(
        self,
        s: Session,
        sub: Submission,
        att: Attachment,
        read: Extraction | UnreadableForm | NotReadAutomatically,
        extra: list[Attachment] | None = None,
    ) -> tuple[str, bool]:
        """Create a case for one form; returns (case id, refused)."""
        now = sub.received_at
        case = store.create_case(
            s,
            received_at=now,
            year=self._local_date(now).year,
            source=sub.source,
            source_ref=sub.source_ref,
            sender=sub.sender,
            form_filename=att.filename,
            form_sha256=intake.sha256(att.content),
            what=(
                "Aanvraag ontvangen via"
                f" {'mail' if sub.source == 'mail' else 'dropmap'}"
            ),
        )
        if isinstance(read, NotReadAutomatically):
            return self._by_hand(s, sub, att, case, extra), False
        if isinstance(read, Extraction):
            extraction: Extraction | None = read
            meldingen = read.meldingen + validate(
                read.record, self.mappings, self._local_date(now), read.confidence
            )
            if read.record.zorgned_nummer:
                earlier = [
                    (c.id, c.aanbieder, c.startdatum, c.einddatum)
                    for c in store.cases_of_client(
                        s, read.record.zorgned_nummer, exclude=case.id
                    )
                ]
                meldingen += earlier_case_warnings(read.record, earlier)
        else:
            extraction, meldingen = (
                None,
                [Melding(veld=None, ernst="fout", tekst=read.melding)],
            )
        record = extraction.record if extraction else None
        if record:
            case.gemeente = record.gemeente
            case.aanbieder = record.aanbieder.naam
            case.spoed = bool(record.spoed)
            case.zorgned_nummer = record.zorgned_nummer
            case.startdatum, case.einddatum = record.startdatum, record.einddatum
            case.record_json = record.model_dump_json()
        case.meldingen_json = json.dumps(
            [m.model_dump() for m in meldingen], ensure_ascii=False
        )
        folder, day = self._file_originals(sub, att, case, extra)
        if extraction:
            data = json.dumps(
                extraction.as_json_dict()
                | {"meldingen": [m.model_dump() for m in meldingen]},
                ensure_ascii=False,
                indent=2,
            ).encode()
            self.register.file(folder, day, "gegevens", case.id, ".json", data)
        log.info(
            "case %s created from %s (layout %s)",
            case.id,
            sub.source,
            extraction.layout if extraction else "-",
        )
        # the salutation greets the person addressed, by a name read with certainty
        sure_name = (
            extraction is not None
            and extraction.confidence.get("contactpersoon.naam", 1.0) >= CERTAIN
        )
        naam = self._greeting(case, record if sure_name else None, sub.sender_name)
        to, cc = self._referrer_addresses(case, record)
        if has_errors(meldingen):
            store.transition(
                s,
                case,
                CaseState.geweigerd,
                source=sub.source_ref,
                what="Geweigerd: "
                + "; ".join(m.tekst for m in meldingen if m.ernst == "fout"),
            )
            if sub.sender:  # the refusal goes back to whoever sent it
                self._queue(
                    s,
                    "geweigerd",
                    {
                        "zaak": case.id,
                        "naam": naam,
                        "fouten": [m.tekst for m in meldingen if m.ernst == "fout"],
                        "waarschuwingen": [
                            m.tekst for m in meldingen if m.ernst == "waarschuwing"
                        ],
                    },
                    to=[sub.sender],
                    case_id=case.id,
                    kind="geweigerd",
                    reply_to=sub,
                )
            log.info(
                "case %s refused (%d problems)",
                case.id,
                sum(m.ernst == "fout" for m in meldingen),
            )
            return case.id, True
        assert record is not None
        facts = route_stage.facts_of(record, self.mappings.region)
        case.crisis = "crisis" in extraction.kenmerken
        if case.crisis:
            case.spoed = True
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    "Crisis: de zorg mag direct starten; de aanvraag wordt achteraf"
                    " verwerkt"
                ),
            )
        if record.maatregel == "JR":
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    "JR-maatregel: de GI mag zelf de aanbieder kiezen, ook een"
                    " niet-gecontracteerde"
                ),
            )
        earlier = store.earlier_case(
            s, record.zorgned_nummer, record.aanbieder.naam, exclude=case.id
        )
        if earlier is not None:
            case.vorige_zaak = earlier.id
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"Gekoppeld aan eerdere zaak {earlier.id} "
                    "(zelfde cliënt en aanbieder; mogelijk verlenging)"
                ),
            )
        if not route_stage.steps_for(self.mappings.region, facts, self._switches()):
            raise ConfigError(
                f"Regioprofiel {self.mappings.region.naam}: geen stap voor deze"
                " aanvraag."
            )
        named = self._named_roles(sub)
        store.transition(
            s,
            case,
            CaseState.advies_gevraagd,
            source=sub.source_ref,
            what="Aanvraag compleet; de eerste stap begint",
        )
        self._start_step(
            s, case, record, sub.received_at, source=sub.source_ref, named=named
        )
        self._queue(
            s,
            "ontvangstbevestiging",
            {
                "zaak": case.id,
                "naam": naam,
                "gemeente": record.gemeente,
                "aanbieder": record.aanbieder.naam,
                "deadline": dutch_date(case.deadline),
                "meldingen": [m.tekst for m in meldingen if m.ernst == "waarschuwing"],
                "adviseurs": ", ".join(role_name(r) for r in case.adviseurs),
                "ontbrekend": render.missing_provider_data(record),
            },
            to=to,
            cc=cc,
            case_id=case.id,
            kind="ontvangen",
            reply_to=sub,
        )
        return case.id, False

    def _file_originals(
        self,
        sub: Submission,
        att: Attachment,
        case: store.Case,
        extra: list[Attachment] | None,
    ) -> tuple[Path, date]:
        """The form, the mail it came in and the files beside it, in the case's register
        folder."""
        folder = self.register.new_case_dir(case.year, case.gemeente, case.id)
        case.register_dir = str(folder)
        day = self._local_date(sub.received_at)
        self.register.file(
            folder,
            day,
            "aanvraagformulier",
            case.id,
            extension_for(att.content),
            att.content,
        )
        # stored once, however many cases the mail made: the others' folders link to it
        if sub.raw:
            filed = self._mail_filed.get(sub.dedupe_key)
            if filed is not None and filed.exists():
                self.register.refer(filed, folder, day, "aanvraagmail", case.id, ".eml")
            else:
                self._mail_filed = {
                    sub.dedupe_key: self.register.file(
                        folder, day, "aanvraagmail", case.id, ".eml", sub.raw
                    )
                }
        for n, other in enumerate(extra or [], start=1):
            self.register.file(
                folder,
                day,
                f"bijlage {n}",
                case.id,
                extension_for(other.content),
                other.content,
            )
        return folder, day

    def _by_hand(
        self,
        s: Session,
        sub: Submission,
        att: Attachment,
        case: store.Case,
        extra: list[Attachment] | None,
    ) -> str:
        """A form the readers failed on (a fault of ours): the case waits in
        `ontvangen`, ICM gets the form to read by hand, the sender a receipt that says
        so. Nothing is refused.
        """
        self._file_originals(sub, att, case, extra)
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                "Formulier kon niet automatisch worden gelezen; ICM leest het handmatig"
            ),
        )
        self._queue(
            s,
            "handmatig_lezen",
            {"zaak": case.id, "van": sub.sender or "de dropmap"},
            to=list(self.mappings.region.icm),
            case_id=case.id,
            kind="handmatig-lezen",
            attachments=[att],
        )
        if sub.sender:
            self._queue(
                s,
                "ontvangen_handmatig",
                {"zaak": case.id, "naam": "aanvrager"},
                to=[sub.sender],
                case_id=case.id,
                kind="ontvangen",
                reply_to=sub,
            )
        log.warning(
            "case %s: form not read automatically; ICM reads it by hand", case.id
        )
        return case.id

    # --- helpers
    # -------------------------------------------------------------------------

    def _queue(
        self,
        s: Session,
        template: str,
        context: dict,
        *,
        to: list[str],
        case_id: str | None,
        kind: str,
        attachments: list[Attachment] | None = None,
        reply_to: Submission | None = None,
        references: list[str] | None = None,
        cc: list[str] | None = None,
    ) -> None:
        if not to:
            return
        refs = list(references or [])
        in_reply_to = None
        if reply_to is not None and reply_to.message_id:
            in_reply_to = reply_to.message_id
            refs = reply_to.in_reply_to + refs
        elif refs:
            in_reply_to = refs[0]
        case = s.get(store.Case, case_id) if case_id else None
        crisis = bool(
            case is not None and case.crisis
        )  # marked in every mail of a crisis case
        mail = self.composer.compose(
            template,
            {"crisis": crisis, "regioteam": self.regioteam}
            | context
            | {"afzender": self.settings.mailbox.display_name},
            to=to,
            cc=cc,
            case_id=case_id,
            kind=kind,
            attachments=attachments,
            in_reply_to=in_reply_to,
            references=refs,
            now=self.clock(),
            crisis=crisis,
        )
        if (
            reply_to is not None
            and (
                self._answered_before(s, kind, in_reply_to, mail.recipients, case_id)
                or (
                    not reply_to.message_id
                    and not store.claim_once(  # no id to find the answer by: claimed
                        s,
                        "antwoord",
                        f"{kind[:16]}:{case_id or '-'}:{intake.sha256(reply_to.dedupe_key.encode())[:12]}",
                    )
                )
            )
        ):
            log.info(
                "mail answered before (%s); not answered again", kind
            )  # a held mail taken back
            return
        store.queue_mail(
            s,
            message_id=mail.message_id,
            raw=mail.raw,
            kind=kind,
            recipients=mail.recipients,
            case_id=case_id,
        )

    def _is_new_request(self, case: store.Case, sub: Submission) -> bool:
        """A form sent on an existing thread by someone who is no adviser (e.g. a
        corrected form in reply to a refusal) is a new request, not an answer on the old
        case."""
        if not sub.attachments or self._role(case, sub.sender):
            return False
        if case.state == CaseState.positief.value and self._waits_on(
            case, sub.sender, None
        ):
            return False  # a corrected form with the provider data asked for
        return not (
            case.state == CaseState.contract_verstuurd.value
            and self._may_return_contract(case, sub.sender)
        )

    @property
    def regioteam(self) -> str:
        """How the mails call whoever `region.icm` is, as a team ('Beste …', '… naar
        …'): ICM in regio ZOU, Contractbeheer in Rijk van Nijmegen, RIOZ."""
        region = self.mappings.region
        if region.rollen.get("icm") or not region.escalatie:
            return "ICM"
        name = role_name(
            region.escalatie[0]
        )  # a team's name, usable without an article
        return (
            name
            if name.isupper()
            else region.escalatie[0].replace("_", " ").capitalize()
        )

    def _referrer_addresses(
        self, case: store.Case, record: Aanvraag | None
    ) -> tuple[list[str], list[str]]:
        """(to, cc) for the referrer's mails: whoever sent the request (its From); the
        form's contact in copy only when the address is of one of the region's own
        organisations (an address typed in a form that nobody checked gets no client
        data). A dropped file has no sender: then the contact alone, on the same
        condition."""
        contact = (
            record.contactpersoon.email
            if record and record.contactpersoon.email
            else None
        )
        trusted = self.mappings.region.domains | {
            a.lower().lstrip("@").rpartition("@")[2]
            for a in self.settings.intake.allowed_senders
        }
        ours = contact is not None and contact.lower().rpartition("@")[2] in trusted
        if case.sender:
            return [case.sender], (
                [contact] if ours and contact.lower() != case.sender.lower() else []
            )
        return ([contact] if ours else []), []

    def _referrer(self, case: store.Case, record: Aanvraag | None) -> str | None:
        """The one address the referrer's mails go to (see `_referrer_addresses`)."""
        return next(iter(self._referrer_addresses(case, record)[0]), None)

    def _greeting(
        self, case: store.Case, record: Aanvraag | None, sender_name: str | None = None
    ) -> str:
        """Whom 'Beste …,' names: the form's contact when the mail goes to them, else
        the sender's own name from the From header, else no name."""
        contact = record.contactpersoon if record else None
        if (
            contact
            and contact.naam
            and (
                not case.sender or (contact.email or "").lower() == case.sender.lower()
            )
        ):
            return contact.naam
        return sender_name or "aanvrager"

    def _may_return_contract(self, case: store.Case, sender: str | None) -> bool:
        if not sender:
            return False
        if self.mappings.region.role_of(
            sender, case.gemeente
        ):  # the beleidsadviseur or ICM forwards it
            return True
        allowed = {
            a.lower()
            for a in self.mappings.region.addresses("backoffice", case.gemeente)
        } | {(case.sender or "").lower()}
        record = case.record
        if record and record.contactpersoon.email:
            allowed.add(record.contactpersoon.email.lower())
        return sender.lower() in allowed

    def _local(self, moment: datetime | None = None) -> datetime:
        """A moment (default: now) on the region's wall clock."""
        return (moment or self.clock()).astimezone(
            ZoneInfo(self.settings.advice.timezone)
        )

    def _local_date(self, moment: datetime) -> date:
        return self._local(moment).date()

    def close(self) -> None:
        close = getattr(self.mailbox, "close", None)
        if close is not None:
            close()
        self.store.close()
