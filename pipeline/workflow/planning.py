"""Scheduled work inside `maatwerk run`: reminders on the deadline's morning and
escalation after it, the contract reminder, the weekly expiry report, and daily upkeep
(expired leases, retention). Each is done once, whichever worker gets to it first
(`store.claim_once`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from pipeline import reports, store
from pipeline.workdays import DUTCH_DAYS, dutch_date, is_working_day
from pipeline.workflow import events, retention, sending, steps
from pipeline.workflow.mails import Kind, Mail, about
from pipeline.workflow.people import greeting, referrer, role_name
from pipeline.workflow.services import Services

log = logging.getLogger(f"maatwerk.{__name__}")


def send_expiry_reports(
    svc: Services,
    weeks: int | None = None,
    *,
    period: str | None = None,
    wie: str | None = None,
) -> int:
    """Mail each gemeente its contracts ending within `weeks`; with `period` only once
    for it."""
    weeks = weeks or svc.settings.reports.verlopend_weeks
    today = svc.local_date(svc.clock())
    sent = 0
    with svc.store.session() as s:
        if period is not None and not store.claim_once(s, "verlopend", period):
            return 0
        for gemeente, cases in reports.expiring(s, today, weeks).items():
            store.log_access(
                s,
                [c.id for c in cases],
                wie=wie,
                actie="rapport",
                reden=f"rapportage aflopende contracten aan gemeente {gemeente}",
            )
            g = svc.region.gemeenten.get(gemeente)
            svc.queue(
                s,
                Mail(
                    Kind.rapport_verlopend,
                    reports.expiring_mail_context(gemeente, cases, today, weeks),
                    to=list(g.report_to) if g else svc.icm,
                ),
            )
            sent += 1
    sending.send_outbox(svc)
    log.log(logging.INFO if sent else logging.DEBUG, "expiry report: %d mail(s)", sent)
    return sent


def scheduled_reports(svc: Services) -> int:
    """The weekly expiry report, once per ISO week from the configured day and time."""
    r = svc.settings.reports
    if not r.verlopend_enabled:
        return 0
    now = svc.local()
    day = DUTCH_DAYS.index(r.verlopend_weekday)
    if now.weekday() < day or (now.weekday() == day and now.time() < r.verlopend_time):
        return 0
    year, week, _ = now.isocalendar()
    return send_expiry_reports(svc, period=f"{year}-W{week:02d}")


def housekeeping(svc: Services) -> None:
    """Scheduled upkeep: leases that ran out are dropped; once a day (from the
    configured time) closed cases past their retention period are cleaned up."""
    with svc.store.session() as s:
        store.drop_expired_leases(s)
    r = svc.settings.retention
    now = svc.local()
    if r.enabled and now.time() >= r.run_at:
        with svc.store.session() as s:
            first = store.claim_once(s, "opschonen", now.date().isoformat())
        if first:
            opschonen(svc)


def opschonen(
    svc: Services, *, dry_run: bool = False, wie: str | None = None
) -> retention.Purged:
    """Remove the personal data of closed cases past the retention period
    (pipeline/workflow/retention.py)."""
    months = svc.settings.retention.months
    today = svc.local_date(svc.clock())
    reden = f"bewaartermijn {months} maanden verstreken"
    result = retention.Purged()
    with svc.store.session() as s:
        due = [c.id for c in retention.due(s, today, months, svc.local_date)]
    if dry_run:
        result.cases = due
        return result
    for case_id in due:
        with svc.store.session() as s:
            case = store.lock_case(s, case_id)
            if case.opgeschoond_op is not None:  # another worker was first
                continue
            result.files += retention.remove_files(case, svc.settings.drop.path)
            result.mails += svc.mailbox.purge(retention.message_ids(s, case))
            retention.erase(s, case, today, wie=wie, reden=reden, mails_removed=True)
        result.cases.append(case_id)
    with svc.store.session() as s:
        before = retention.months_before(today, months)
        retention.erase_old_mail(
            s, datetime.combine(before, datetime.min.time(), tzinfo=UTC)
        )
    if result.cases:
        svc.store.checkpoint()
        svc.rebuild_index()
    log.log(
        logging.INFO if result.cases else logging.DEBUG,
        "opschonen: %d case(s), %d file(s), %d mail(s) removed",
        len(result.cases),
        result.files,
        result.mails,
    )
    return result


def send_reminders(svc: Services) -> int:
    """On the deadline's morning a reminder to each adviser who has not answered; past
    the deadline one escalation mail to the profile's `escalatie` roles and the
    teamleider. Each is sent once (claim_once) and written to the case history."""
    now = svc.local()
    sent = 0
    with svc.store.session() as s:
        # only cases at or past their deadline: not every open case every minute
        for case in store.advice_due(s, now.date()):
            late = store.owing(s, case)
            if not late or case.vraag_van or case.record is None:
                continue
            sent += _remind(svc, s, case, late, now)
    if sent:
        sending.send_outbox(svc)
    return sent


def _remind(
    svc: Services,
    s: Session,
    case: store.Case,
    late: dict[str, list[str]],
    now: datetime,
) -> int:
    """The reminders or the escalation one case is due; how many mails."""
    adv, today, due = svc.settings.advice, now.date(), case.deadline
    assert due is not None  # (advice_due selects on it)
    step = steps.current_step(svc, case)
    base = about(case) | {
        "wat": "advies" if step.soort == "advies" else "besluit",
        "deadline": dutch_date(due),
        "stap": step.naam,
    }
    if today == due and now.time() >= adv.reminder_time:
        return sum(
            _reminder(svc, s, case, role, addresses, base)
            for role, addresses in late.items()
        )
    if (
        today > due
        and is_working_day(today, svc.extra_closed)
        and now.time() >= adv.escalation_time
        and store.claim_once(s, "escalatie", f"{case.id}:{case.stap}:{due}")
    ):
        _escalate(svc, s, case, late, base)
        return 1
    return 0


def _reminder(
    svc: Services,
    s: Session,
    case: store.Case,
    role: str,
    addresses: list[str],
    base: dict,
) -> bool:
    """One adviser reminded on the deadline's morning, once."""
    if not store.claim_once(
        s, "herinnering", f"{case.id}:{case.stap}:{role}:{case.deadline}"
    ):
        return False
    mail = Mail(
        Kind.herinnering, base | {"rol": role_name(role)}, to=addresses, about=role
    )
    what = f"Herinnering verstuurd aan {role_name(role)} ({', '.join(addresses)})"
    _send_for(svc, s, case, mail, "herinnering aan adviseur", what)
    events.happened(s, case.id, events.Event.herinnering, role_name(role))
    return True


def _escalate(
    svc: Services, s: Session, case: store.Case, late: dict[str, list[str]], base: dict
) -> None:
    """Past the deadline: the profile's escalation roles and the teamleider told."""
    region = svc.region
    to = [a for role in region.escalatie for a in region.addresses(role, case.gemeente)]
    to = list(dict.fromkeys(to + list(svc.settings.advice.teamleider)))
    laat = [f"{role_name(r)} ({', '.join(a)})" for r, a in late.items()]
    what = (
        f"Termijn verstreken; escalatie aan {', '.join(to)} (nog geen antwoord van"
        f" {'; '.join(laat)})"
    )
    mail = Mail(Kind.escalatie, base | {"laat": laat}, to=to)
    _send_for(svc, s, case, mail, "escalatie", what)
    events.happened(s, case.id, events.Event.escalatie)


def _send_for(
    svc: Services, s: Session, case: store.Case, mail: Mail, reden: str, what: str
) -> None:
    """A scheduled mail about a case: on its thread, in its access log and history."""
    mail.case_id = case.id
    mail.references = store.case_mail_ids(s, case.id)
    svc.queue(s, mail)
    store.log_access(s, case.id, actie="verwerkt", reden=reden)
    store.note(s, case, source="planning", what=what)


def send_contract_reminders(svc: Services) -> int:
    """A contract not back signed `contract_retour_werkdagen` working days after the
    package went out: one reminder to the referrer (or, when the package did not go to
    them, to whoever got it), ICM in cc. On working days from the reminder time; once
    per case (claim_once); written to the case history. Only where the package asks for
    a signature (a maatwerkovereenkomst, not an opdrachtbevestiging)."""
    adv = svc.settings.advice
    now = svc.local()
    today, sent = now.date(), 0
    if (
        svc.region.na_goedkeuring.document != "maatwerkovereenkomst"
        or not is_working_day(today, svc.extra_closed)
        or now.time() < adv.reminder_time
    ):
        return 0
    with svc.store.session() as s:
        for case, package, sent_at in store.contracts_out(s, Kind.contractpakket):
            due = svc.due_after(sent_at, adv.contract_retour_werkdagen)
            if today <= due or not store.claim_once(s, "contract-herinnering", case.id):
                continue
            _remind_contract(svc, s, case, package, sent_at)
            sent += 1
    if sent:
        sending.send_outbox(svc)
    return sent


def _remind_contract(
    svc: Services,
    s: Session,
    case: store.Case,
    package: store.OutboxMail,
    sent_at: datetime,
) -> None:
    """The reminder to whoever got the package: the referrer by name, or colleagues."""
    adv = svc.settings.advice
    got = [a.strip() for a in package.recipients.split(",") if a.strip()]
    to_referrer = referrer(svc, case, case.record)
    if to_referrer and to_referrer.lower() in {a.lower() for a in got}:
        to, naam = [to_referrer], greeting(case, case.record)
    else:
        to, naam = got, "collega's"
    cc = [a for a in svc.region.icm if a.lower() not in {t.lower() for t in to}]
    context = about(case) | {
        "naam": naam,
        "verstuurd": dutch_date(svc.local_date(sent_at)),
        "werkdagen": adv.contract_retour_werkdagen,
    }
    what = (
        f"Getekend contract na {adv.contract_retour_werkdagen} werkdagen nog niet"
        f" terug; herinnering verstuurd aan {', '.join(to)} (ICM in kopie)"
    )
    mail = Mail(Kind.herinnering_contract, context, to=to, cc=cc)
    _send_for(svc, s, case, mail, "herinnering getekend contract", what)
    events.happened(s, case.id, events.Event.herinnering, "getekend contract")
