"""Taking items in: each mail (or dropped file) in one transaction, after its lease.

Several workers may see the same inbox: a worker first takes the mail's lease and counts
the attempt (its own short transaction); a mail another live worker holds is left to it.
An outage leaves the mail in the inbox, counts no attempt and ends the round, so the
loop backs off and tries again. Any other failure leaves the mail for the next round;
after `[intake] max_pogingen` failures it is set aside in Quarantaine, its sender and
ICM told. Only after the commit is the mail moved out of the inbox, and only then are
queued mails sent; a crash in between repeats nothing that was stored.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from pipeline import crashpoints, store
from pipeline.errors import Outage, StoreUnavailable, safe_error
from pipeline.folders import QUARANTINE, DropOutcome
from pipeline.mail import IncomingMail
from pipeline.models import Submission
from pipeline.stages import intake
from pipeline.states import CONTRACT_STATES, HELD, Received
from pipeline.workflow import incoming, newcase, sending
from pipeline.workflow.mails import Kind, Mail
from pipeline.workflow.services import Services

log = logging.getLogger(f"maatwerk.{__name__}")

RELEASE_EVERY = 50  # mails
BACKLOG = 10  # mails waiting at the start of a round: a progress bar
# A mail whose handling began this many times `max_pogingen` without ending (the worker
# was killed while at it, every time) is set aside as well: it may be what kills it.
CRASHES_PER_TRY = 2


def release_memory() -> None:
    """Give freed memory back to the system. glibc keeps what a backlog's many large
    strings (mails, attachments, documents) freed: measured, RSS fell from 252 to 119 MB
    after 600 forms."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


@dataclass
class FileOutcome:
    outcome: DropOutcome  # the drop-folder subfolder it goes to
    case_id: str | None
    reasons: list[str]
    key: str = ""  # the file's lease: released once the watcher has moved the file


@dataclass
class RunReport:
    mails: int = 0
    files: int = 0
    sent: int = 0
    cases: list[str] = field(default_factory=list)  # the new cases
    quarantined: int = 0
    # told (handled, waiting at the start) after each mail of a backlog
    progress: Callable[[int, int], None] | None = None


def handle_inbox(svc: Services, report: RunReport | None = None) -> RunReport:
    """Handle every mail waiting in the inbox now; what that queues is sent meanwhile by
    a sender thread (so a backlog does not wait on the mail server mail by mail), and
    the rest right after."""
    report = report or RunReport()
    done = threading.Event()
    sender = threading.Thread(
        target=sending.send_until, args=(svc, done, report), name="outbox", daemon=True
    )
    sender.start()
    waiting = svc.mailbox.waiting() if report.progress else 0
    try:
        for handled, mail in enumerate(svc.mailbox.receive(), start=1):
            report.mails += 1
            try:
                handle_mail(svc, mail, report)
            except Outage:
                raise  # an outage: the round ends, the loop backs off
            except Exception as exc:  # never one mail in the way of the next
                log.error(
                    "mail left in the inbox after an unexpected error (%s)",
                    safe_error(exc),
                )
            if report.mails % RELEASE_EVERY == 0:
                release_memory()
            if report.progress and waiting >= BACKLOG:
                report.progress(handled, max(waiting, handled))
    finally:
        done.set()
        sender.join()
    outage_over(svc)
    report.sent += sending.send_outbox(svc)
    release_memory()
    return report


def handle_mail(
    svc: Services, mail: IncomingMail, report: RunReport | None = None
) -> None:
    """One mail, in one transaction (see the module's text)."""
    report = report or RunReport()
    svc.mail_filed = {}
    sub: Submission | None
    try:
        sub = intake.from_mail(mail)
        key = sub.dedupe_key
    except Exception as exc:  # from_mail reads any mail: this is a bug of ours
        sub, key, unreadable = None, f"mail-sha256:{intake.sha256(mail.raw)}", exc
    attempt = take_mail(svc, key)
    if attempt is None:
        log.debug("mail is being handled by another worker")
        return
    if attempt.set_aside_at is not None:  # set aside before, the move did not happen
        move(svc, mail.key, QUARANTINE)
        return
    if (
        attempt.attempts - attempt.failures
        > CRASHES_PER_TRY * svc.settings.intake.max_pogingen
    ):
        why = "afgebroken (de verwerking stopte telkens halverwege)"
        failed(svc, mail, sub, key, why, report, set_aside=True)
        return
    if sub is None:
        failed(svc, mail, None, key, safe_error(unreadable), report)
        return
    try:
        folder = _handle(svc, sub, key, report)
    except Outage as exc:  # an outage: the mail waits
        waits(svc, key, exc)
        raise
    except IntegrityError as exc:
        # another worker stored this mail (or the same form) at the same moment: the
        # next round finds it stored; a conflict of our own making counts as a failure
        log.warning(
            "mail conflicted with another store change; left in the inbox for the next"
            " round"
        )
        failed(svc, mail, sub, key, safe_error(exc), report)
        return
    except Exception as exc:
        log.error("mail could not be handled (%s)", safe_error(exc))
        failed(svc, mail, sub, key, safe_error(exc), report)
        return
    # The lease is kept until it runs out: a worker that fetched the same mail before it
    # was moved must not move it again (an IMAP session can still copy a mail another
    # moved).
    move(svc, mail.key, folder)


def _handle(svc: Services, sub: Submission, key: str, report: RunReport) -> str | None:
    """The mail's outcome stored; returns the folder it goes to (None: processed)."""
    folder = None
    contract_changed = False
    crashpoints.reached("after_fetch")
    with svc.register.attempt(), svc.store.session() as s:
        if store.already_received(s, key):
            log.info("mail already handled earlier; moved out of the inbox")
        else:
            outcome = incoming.sort(svc, s, sub)
            ids = outcome.case_ids
            store.record_received(
                s,
                key=key,
                source="mail",
                source_ref=sub.source_ref,
                case_id=ids[0] if ids else None,
                outcome=outcome.kind,
            )
            store.log_access(
                s,
                ids,
                actie="verwerkt",
                reden=incoming.PROCESSED_BECAUSE[outcome.kind],
                bron=sub.source_ref,
            )
            if outcome.kind in (Received.zaak, Received.geweigerd):
                report.cases.extend(ids)  # new cases only, not the ones answered
            folder = QUARANTINE if outcome.kind in HELD else None
            # the index lists contracts: rebuild it only when one of them changed
            contract_changed = any(
                store.get_case(s, c).state in CONTRACT_STATES for c in ids
            )
        store.attempt_done(s, key)  # the count goes with the outcome it counted towards
    crashpoints.reached("after_commit")
    if contract_changed:
        svc.rebuild_index()
    return folder


def failed(
    svc: Services,
    mail: IncomingMail,
    sub: Submission | None,
    key: str,
    error: str,
    report: RunReport,
    *,
    set_aside: bool = False,
) -> None:
    """A failed attempt at a mail: counted; below `max_pogingen` the mail stays in the
    inbox for the next round, at it the mail is set aside. Raises StoreUnavailable when
    the store is away."""
    with svc.store.session() as s:
        failures = store.attempt_failed(s, key, error).failures
    limit = svc.settings.intake.max_pogingen
    if not set_aside and failures < limit:
        log.warning("mail left in the inbox; attempt %d of %d", failures, limit)
        release(svc, key)
        return
    set_aside_mail(svc, sub, key, failures, error)
    report.quarantined += 1
    move(svc, mail.key, QUARANTINE)


def set_aside_mail(
    svc: Services, sub: Submission | None, key: str, failures: int, error: str
) -> None:
    """A poison mail to Quarantaine: the sender told ICM looks at it, ICM told (once per
    time it is set aside; a sender answered before is not answered again), in the
    transaction that marks it set aside. When even the answers fail, it is set aside
    unanswered."""
    try:
        with svc.store.session() as s:
            store.set_aside(s, key)
            subject = (sub.subject if sub else "")[:120]
            answered = bool(sub and sub.sender)
            if sub is not None and sub.sender:
                svc.queue(
                    s,
                    Mail(
                        Kind.niet_verwerkt,
                        {"onderwerp": subject},
                        to=[sub.sender],
                        reply_to=sub,
                    ),
                )
            svc.queue(
                s,
                Mail(
                    Kind.niet_verwerkt_icm,
                    {
                        "van": (sub.sender if sub else None) or "onbekend",
                        "onderwerp": subject,
                        "pogingen": failures,
                        "fout": error,
                        "beantwoord": answered,
                    },
                    to=svc.icm,
                ),
            )
    except StoreUnavailable:
        raise
    except Exception as exc:
        log.error(
            "answers about a mail set aside could not be queued (%s)", safe_error(exc)
        )
        with svc.store.session() as s:
            store.set_aside(s, key)
    log.error(
        "mail set aside in quarantine after %d failed attempts; sender and ICM told",
        failures,
    )


def waits(svc: Services, key: str, outage: Outage) -> None:
    """An outage met while handling a mail: the attempt does not count, `maatwerk
    status` shows what the mail waits on, and another worker may take it."""
    try:
        with svc.store.session() as s:
            store.attempt_undone(s, key, outage.wat)
    except StoreUnavailable:  # the store is what is away: the worker's status says so
        pass
    release(svc, key)


def outage_over(svc: Services) -> None:
    try:
        with svc.store.session() as s:
            if store.waiting_mails(s):
                store.outage_over(s)
    except StoreUnavailable:
        pass


def move(svc: Services, key: str, folder: str | None) -> None:
    try:
        svc.mailbox.mark_processed(key, folder)
    except (
        Exception
    ) as exc:  # stored already (or moved by another worker): a later round
        log.warning(
            "mail could not be moved out of the inbox yet (%s)", safe_error(exc)
        )


def take_mail(svc: Services, key: str) -> store.MailAttempt | None:
    """The lease on a mail with this attempt counted, in one commit; None: another
    worker has it."""
    with svc.store.session() as s:
        if not store.take_lease(s, key, svc.settings.store.lease_seconds):
            return None
        return store.begin_attempt(s, key)


def release(svc: Services, key: str) -> None:
    """Let go of the lease on a mail or file (after it was moved away)."""
    try:
        with svc.store.session() as s:
            store.release_lease(s, key)
    except StoreUnavailable:  # it expires by itself
        pass


def handle_file(
    svc: Services, path: Path, report: RunReport | None = None
) -> FileOutcome | None:
    """A file from the drop folder; None when it cannot be read yet, or another worker
    has it (left in place)."""
    report = report or RunReport()
    try:
        sub = intake.from_file(path, svc.clock())
    except OSError:
        log.warning("dropped file could not be read yet; left in place")
        return None
    key = sub.dedupe_key
    with svc.store.session() as s:
        if not store.take_lease(s, key, svc.settings.store.lease_seconds):
            return None
    try:
        result, new = _handle_file(svc, sub, key)
    except Outage:
        log.warning("store or register not reachable; dropped file left in place")
        release(svc, key)
        return None
    except Exception as exc:
        log.error(
            "dropped file could not be handled (%s); kept in quarantine",
            safe_error(exc),
        )
        report.quarantined += 1
        why = (
            "Het bestand kon niet worden verwerkt; het is bewaard en wordt door beheer"
            " bekeken."
        )
        return FileOutcome(DropOutcome.quarantaine, None, [why], key)
    if new:
        report.cases.append(result.case_id or "")
    return result


def _handle_file(svc: Services, sub: Submission, key: str) -> tuple[FileOutcome, bool]:
    """The dropped file's case stored; (its outcome, whether a new case was made)."""
    with svc.register.attempt(), svc.store.session() as s:
        earlier = store.already_received(s, key)
        if earlier:
            why = f"Dit bestand is al eerder ontvangen (zaak {earlier.case_id})."
            return FileOutcome(DropOutcome.verwerkt, earlier.case_id, [why], key), False
        att = sub.attachments[0]
        case_id, refused = newcase.create(svc, s, sub, svc.read(att))
        outcome = Received.geweigerd if refused else Received.zaak
        store.record_received(
            s,
            key=key,
            source="drop",
            source_ref=sub.source_ref,
            case_id=case_id,
            outcome=outcome,
        )
        store.log_access(
            s,
            case_id,
            actie="verwerkt",
            reden=incoming.PROCESSED_BECAUSE[outcome],
            bron=sub.source_ref,
        )
        case = store.get_case(s, case_id)
        reasons = [m.tekst for m in case.meldingen if m.ernst == "fout"]
    drop = DropOutcome.geweigerd if refused else DropOutcome.verwerkt
    return FileOutcome(drop, case_id, reasons, key), True
