"""Several workers at once: who a worker is, leases on mails and files being handled,
the claims that make something happen once, the count of attempts at a mail (a mail
that keeps failing is set aside: a poison mail) and the workers' heartbeats."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from pipeline import crashpoints
from pipeline.store.db import dialect_insert
from pipeline.store.schema import Lease, MailAttempt, ReportRun, Worker, aware, utcnow

log = logging.getLogger(f"maatwerk.{__name__}")

HOST = socket.gethostname()


def worker_actor() -> str:
    return f"maatwerk@{worker_id()}"


def worker_id() -> str:
    """This process as a lease holder: host and pid (a holder on this host whose pid is
    gone is known dead at once; one on another host only when its lease expires)."""
    return f"{HOST}:{os.getpid()}"


def holder_gone(holder: str | None) -> bool:
    host, _, pid = (holder or "").rpartition(":")
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def may_take(holder: str | None, until: datetime | None, now: datetime) -> bool:
    """May this worker take what `holder` holds until `until` (a lease, an outbox
    claim)?"""
    return (
        holder in (None, worker_id())
        or until is None
        or aware(until) <= now
        or holder_gone(holder)
    )


def take_lease(
    s: Session, key: str, seconds: float, now: datetime | None = None
) -> bool:
    """Take the lease on `key` for this worker; False when a live worker holds it."""
    now = now or utcnow()
    me, until = worker_id(), now + timedelta(seconds=seconds)
    inserted = s.execute(
        dialect_insert(s)(Lease)
        .values(key=key, holder=me, until=until)
        .on_conflict_do_nothing()
        .returning(Lease.key)
    ).scalar()
    if inserted is not None:
        return True
    current = s.scalar(select(Lease).where(Lease.key == key).with_for_update())
    if current is None:  # released meanwhile
        s.add(Lease(key=key, holder=me, until=until))
        s.flush()
        return True
    if not may_take(current.holder, current.until, now):
        return False
    current.holder, current.until = me, until
    return True


def release_lease(s: Session, key: str) -> None:
    s.execute(delete(Lease).where(Lease.key == key, Lease.holder == worker_id()))


def drop_leases(s: Session, keys: list[str]) -> None:
    """End the leases on these mails, whoever holds them (a mail taken back from
    Quarantaine must run again, not be left to the worker that held it)."""
    if keys:
        s.execute(delete(Lease).where(Lease.key.in_(keys)))


def drop_expired_leases(s: Session, now: datetime | None = None) -> int:
    """Remove the leases that ended before `now`; how many."""
    result = s.execute(delete(Lease).where(Lease.until < (now or utcnow())))
    return cast(CursorResult[Any], result).rowcount


def claim_once(s: Session, kind: str, key: str) -> bool:
    """Record that something is done once (a report for a week, a reminder for an
    adviser); False when it was done already — held by a unique constraint, not by
    query-then-insert. The claim is part of the caller's transaction: it commits with
    the work it guards, so a crash before that commit leaves it unclaimed and the next
    run does the work."""
    claimed = s.execute(
        dialect_insert(s)(ReportRun)
        .values(report=kind, period=key[:40], at=utcnow())
        .on_conflict_do_nothing()
        .returning(ReportRun.id)
    ).scalar()
    crashpoints.reached("after_claim")  # claimed, the work not yet committed
    return claimed is not None


# --- attempts: a mail that keeps failing is set aside (poison mail) -------------------


def mail_attempt(s: Session, key: str) -> MailAttempt | None:
    """The count of attempts at the mail `key`, if one began and did not end."""
    return s.get(MailAttempt, key)


def begin_attempt(s: Session, key: str) -> MailAttempt:
    """One more attempt at the mail `key`, counted in the transaction that takes its
    lease: an attempt that kills the worker counts too."""
    now = utcnow()
    row = s.get(MailAttempt, key, with_for_update=True)
    if row is None:
        row = MailAttempt(key=key, attempts=0, failures=0, first_at=now)
        s.add(row)
    row.attempts += 1
    row.last_at = now
    s.flush()
    return row


def attempt_failed(s: Session, key: str, error: str) -> MailAttempt:
    """The attempt ended in an error of ours (`error`: its type and place, never its
    message)."""
    row = s.get(MailAttempt, key, with_for_update=True) or begin_attempt(s, key)
    row.failures += 1
    row.last_error, row.waiting_on, row.last_at = error[:200], None, utcnow()
    return row


def attempt_undone(s: Session, key: str, waiting_on: str | None = None) -> None:
    """The attempt does not count: an outage (`waiting_on`: what the mail waits on, as
    `maatwerk status` shows it) or another worker's conflicting commit."""
    row = s.get(MailAttempt, key, with_for_update=True)
    if row is None:
        row = MailAttempt(key=key, attempts=1, failures=0)
        s.add(row)
    row.attempts = max(0, row.attempts - 1)
    row.waiting_on, row.last_at = waiting_on, utcnow()


def attempt_done(s: Session, key: str) -> None:
    """The mail's outcome is stored (call in that transaction): nothing left to
    count."""
    s.execute(delete(MailAttempt).where(MailAttempt.key == key))


def set_aside(s: Session, key: str) -> None:
    row = s.get(MailAttempt, key, with_for_update=True) or begin_attempt(s, key)
    row.set_aside_at = row.last_at = utcnow()
    row.waiting_on = None


def forget_attempts(s: Session, keys: list[str]) -> None:
    """Mails taken back, released or deleted from Quarantaine start counting afresh."""
    if keys:
        s.execute(delete(MailAttempt).where(MailAttempt.key.in_(keys)))


def outage_over(s: Session) -> None:
    """A round ran without an outage: no mail waits on one any more."""
    s.execute(
        update(MailAttempt)
        .where(MailAttempt.waiting_on.is_not(None))
        .values(waiting_on=None)
    )


def waiting_mails(s: Session) -> list[MailAttempt]:
    """Mails left in the inbox by an outage, oldest first."""
    waiting = select(MailAttempt).where(MailAttempt.waiting_on.is_not(None))
    return list(s.scalars(waiting.order_by(MailAttempt.last_at)))


def set_aside_mails(s: Session) -> list[MailAttempt]:
    """Mails set aside in Quarantaine after failing again and again (until staff take
    them on)."""
    set_aside = select(MailAttempt).where(MailAttempt.set_aside_at.is_not(None))
    return list(s.scalars(set_aside.order_by(MailAttempt.set_aside_at)))


# --- workers --------------------------------------------------------------------------


def heartbeat(s: Session, waiting_on: str | None = None) -> None:
    """This worker is alive; `waiting_on`: what an outage makes it wait for (None:
    working)."""
    now = utcnow()
    row = s.get(Worker, worker_id())
    if row is None:
        row = Worker(id=worker_id(), started_at=now)
        s.add(row)
    if waiting_on != row.waiting_on:
        row.waiting_since = now if waiting_on else None
    row.seen_at, row.waiting_on = now, waiting_on


def worker_stopped(s: Session) -> None:
    s.execute(delete(Worker).where(Worker.id == worker_id()))


def workers(s: Session) -> list[Worker]:
    return list(s.scalars(select(Worker).order_by(Worker.started_at)))
