"""Who did what with personal data and held mails: the inzage log (who processed or
viewed a case's personal data, when and why) and the Quarantaine log (who took a held
mail back, released or deleted it). Both are append-only in the database."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.store.leases import worker_actor
from pipeline.store.schema import Inzage, QuarantineAction

log = logging.getLogger(f"maatwerk.{__name__}")


def log_access(
    s: Session,
    case_ids: str | Iterable[str],
    *,
    actie: str,
    reden: str,
    bron: str | None = None,
    wie: str | None = None,
) -> None:
    """Record that `wie` (default: this worker) processed or viewed these cases'
    personal data."""
    wie = wie or worker_actor()
    for case_id in dict.fromkeys([case_ids] if isinstance(case_ids, str) else case_ids):
        s.add(
            Inzage(
                case_id=case_id,
                wie=wie[:200],
                actie=actie,
                reden=reden,
                bron=(bron or "")[:500] or None,
            )
        )


def inzage(s: Session, case_id: str) -> list[Inzage]:
    return list(
        s.scalars(select(Inzage).where(Inzage.case_id == case_id).order_by(Inzage.id))
    )


def record_held_action(
    s: Session, dedupe_key: str, actie: str, wie: str, reden: str | None = None
) -> None:
    """Staff took the held mail `dedupe_key` back, released or deleted it (`actie`)."""
    s.add(
        QuarantineAction(
            dedupe_key=dedupe_key[:600],
            actie=actie,
            wie=wie[:200],
            reden=(reden or "").strip() or None,
        )
    )


def held_actions(s: Session) -> list[QuarantineAction]:
    """What staff did with held mails, oldest first."""
    return list(s.scalars(select(QuarantineAction).order_by(QuarantineAction.id)))
