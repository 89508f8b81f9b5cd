"""Scheduled work inside `maatwerk run`: reminders on the deadline's morning and
escalation after it, the weekly expiry report, and daily upkeep (expired leases,
retention). Each is done once, whichever worker gets to it first (`store.claim_once`). A
mixin of `flow.Pipeline`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from pipeline import reports, store
from pipeline.states import CaseState
from pipeline.workdays import deadline, dutch_date, is_working_day
from pipeline.workflow import retention
from pipeline.workflow.replies import role_name

log = logging.getLogger("maatwerk")

WEEKDAYS = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
]


class Planning:
    def send_expiry_reports(
        self,
        weeks: int | None = None,
        *,
        period: str | None = None,
        wie: str | None = None,
    ) -> int:
        """Mail each gemeente its contracts ending within `weeks`; with `period` only
        once for it."""
        weeks = weeks or self.settings.reports.verlopend_weeks
        today = self._local_date(self.clock())
        sent = 0
        with self.store.session() as s:
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
                g = self.mappings.region.gemeenten.get(gemeente)
                to = list(g.report_to) if g else list(self.mappings.region.icm)
                self._queue(
                    s,
                    "verlopend",
                    reports.expiring_mail_context(gemeente, cases, today, weeks),
                    to=to,
                    case_id=None,
                    kind="rapport-verlopend",
                )
                sent += 1
        self.send_outbox()
        log.info("expiry report: %d gemeente mail(s)", sent)
        return sent

    def scheduled_reports(self) -> int:
        """The weekly expiry report, once per ISO week from the configured day and time
        on."""
        r = self.settings.reports
        if not r.verlopend_enabled:
            return 0
        now = self._local()
        day = WEEKDAYS.index(r.verlopend_weekday)
        if now.weekday() < day or (
            now.weekday() == day and now.time() < r.verlopend_time
        ):
            return 0
        year, week, _ = now.isocalendar()
        return self.send_expiry_reports(period=f"{year}-W{week:02d}")

    def housekeeping(self) -> None:
        """Scheduled upkeep: leases that ran out are dropped; once a day (from the
        configured time) closed cases past their retention period are cleaned up."""
        with self.store.session() as s:
            store.drop_expired_leases(s)
        r = self.settings.retention
        now = self._local()
        if r.enabled and now.time() >= r.run_at:
            with self.store.session() as s:
                first = store.claim_once(s, "opschonen", now.date().isoformat())
            if first:
                self.opschonen()

    def opschonen(
        self, *, dry_run: bool = False, wie: str | None = None
    ) -> retention.Purged:
        """Remove the personal data of closed cases past the retention period
        (pipeline/retention.py)."""
        months = self.settings.retention.months
        today = self._local_date(self.clock())
        reden = f"bewaartermijn {months} maanden verstreken"
        purge = getattr(self.mailbox, "purge", None)
        result = retention.Purged()
        with self.store.session() as s:
            due = [c.id for c in retention.due(s, today, months, self._local_date)]
        if dry_run:
            result.cases = due
            return result
        for case_id in due:
            with self.store.session() as s:
                case = store.lock_case(s, case_id)
                if case.opgeschoond_op is not None:  # another worker was first
                    continue
                result.files += retention.remove_files(case, self.settings.drop.path)
                if purge is not None:
                    result.mails += purge(retention.message_ids(s, case))
                retention.erase(
                    s,
                    case,
                    today,
                    wie=wie,
                    reden=reden,
                    mails_removed=purge is not None,
                )
            result.cases.append(case_id)
        with self.store.session() as s:
            retention.erase_old_mail(
                s,
                datetime.combine(
                    retention.months_before(today, months),
                    datetime.min.time(),
                    tzinfo=UTC,
                ),
            )
        if result.cases:
            self.store.checkpoint()
            self.rebuild_index()
        log.info(
            "opschonen: %d case(s), %d file(s), %d mail(s) removed",
            len(result.cases),
            result.files,
            result.mails,
        )
        return result

    def send_reminders(self) -> int:
        """On the deadline's morning a reminder to each adviser who has not answered;
        past the deadline one escalation mail to the profile's `escalatie` roles and the
        teamleider. Each is sent once (claim_once) and written to the case history."""
        adv = self.settings.advice
        now = self._local()
        today, sent = now.date(), 0
        with self.store.session() as s:
            # only cases at or past their deadline: not every open case every minute
            for case in s.scalars(
                select(store.Case).where(
                    store.Case.state == CaseState.advies_gevraagd.value,
                    store.Case.deadline <= today,
                )
            ):
                late = store.owing(s, case)
                if not late or case.vraag_van or case.record is None:
                    continue
                step = self._steps(case.record)[case.stap]
                wat = "advies" if step.soort == "advies" else "besluit"
                base = {
                    "zaak": case.id,
                    "gemeente": case.gemeente,
                    "aanbieder": case.aanbieder,
                    "wat": wat,
                    "deadline": dutch_date(case.deadline),
                    "stap": step.naam,
                }
                thread = store.case_mail_ids(s, case.id)
                if today == case.deadline and now.time() >= adv.reminder_time:
                    for role, addresses in late.items():
                        if store.claim_once(
                            s,
                            "herinnering",
                            f"{case.id}:{case.stap}:{role}:{case.deadline}",
                        ):
                            self._queue(
                                s,
                                "herinnering",
                                base | {"rol": role_name(role)},
                                to=addresses,
                                case_id=case.id,
                                kind=f"herinnering-{role}",
                                references=thread,
                            )
                            store.log_access(
                                s,
                                case.id,
                                actie="verwerkt",
                                reden="herinnering aan adviseur",
                            )
                            store.note(
                                s,
                                case,
                                source="planning",
                                what=(
                                    "Herinnering verstuurd aan "
                                    f"{role_name(role)} ({', '.join(addresses)})"
                                ),
                            )
                            sent += 1
                elif (
                    today > case.deadline
                    and is_working_day(today, self.extra_closed)
                    and (now.time() >= adv.escalation_time)
                    and store.claim_once(
                        s, "escalatie", f"{case.id}:{case.stap}:{case.deadline}"
                    )
                ):
                    to = [
                        a
                        for role in self.mappings.region.escalatie
                        for a in self.mappings.region.addresses(role, case.gemeente)
                    ] + list(adv.teamleider)
                    laat = [f"{role_name(r)} ({', '.join(a)})" for r, a in late.items()]
                    self._queue(
                        s,
                        "escalatie",
                        base | {"laat": laat},
                        to=list(dict.fromkeys(to)),
                        case_id=case.id,
                        kind="escalatie",
                        references=thread,
                    )
                    store.log_access(s, case.id, actie="verwerkt", reden="escalatie")
                    store.note(
                        s,
                        case,
                        source="planning",
                        what=(
                            f"Termijn verstreken; escalatie aan {', '.join(to)} "
                            f"(nog geen antwoord van {'; '.join(laat)})"
                        ),
                    )
                    sent += 1
        if sent:
            self.send_outbox()
        return sent

    def send_contract_reminders(self) -> int:
        """A contract not back signed `contract_retour_werkdagen` working days after the
        package went out: one reminder to the referrer (or, when the package did not go
        to them, to whoever got it), ICM in cc. On working days from the reminder time;
        once per case (claim_once); written to the case history. Only where the package
        asks for a signature (a maatwerkovereenkomst, not an opdrachtbevestiging)."""
        adv = self.settings.advice
        now = self._local()
        today, sent = now.date(), 0
        if (
            self.mappings.region.na_goedkeuring.document != "maatwerkovereenkomst"
            or not is_working_day(today, self.extra_closed)
            or now.time() < adv.reminder_time
        ):
            return 0
        with self.store.session() as s:
            for case in s.scalars(
                select(store.Case).where(
                    store.Case.state == CaseState.contract_verstuurd.value
                )
            ):
                package = s.scalar(
                    select(store.OutboxMail)
                    .where(
                        store.OutboxMail.case_id == case.id,
                        store.OutboxMail.kind == "contractpakket",
                        store.OutboxMail.sent_at.is_not(None),
                    )
                    .order_by(store.OutboxMail.id.desc())
                    .limit(1)
                )
                if package is None or package.sent_at is None:
                    continue
                due = deadline(
                    store.aware(package.sent_at),
                    False,
                    tz=adv.timezone,
                    cutoff=adv.cutoff,
                    days_normal=adv.contract_retour_werkdagen,
                    extra_closed=self.extra_closed,
                )
                if today <= due or not store.claim_once(
                    s, "contract-herinnering", case.id
                ):
                    continue
                got = [a.strip() for a in package.recipients.split(",") if a.strip()]
                referrer = self._referrer(case, case.record)
                to = (
                    [referrer]
                    if referrer and referrer.lower() in {a.lower() for a in got}
                    else got
                )
                cc = [
                    a
                    for a in self.mappings.region.icm
                    if a.lower() not in {t.lower() for t in to}
                ]
                self._queue(
                    s,
                    "herinnering_contract",
                    {
                        "zaak": case.id,
                        "gemeente": case.gemeente,
                        "aanbieder": case.aanbieder,
                        "naam": (
                            self._greeting(case, case.record)
                            if to == [referrer]
                            else "collega's"
                        ),
                        "verstuurd": dutch_date(
                            self._local_date(store.aware(package.sent_at))
                        ),
                        "werkdagen": adv.contract_retour_werkdagen,
                    },
                    to=to,
                    cc=cc,
                    case_id=case.id,
                    kind="herinnering-contract",
                    references=store.case_mail_ids(s, case.id),
                )
                store.log_access(
                    s, case.id, actie="verwerkt", reden="herinnering getekend contract"
                )
                store.note(
                    s,
                    case,
                    source="planning",
                    what=(
                        f"Getekend contract na {adv.contract_retour_werkdagen}"
                        " werkdagen nog niet terug; herinnering verstuurd aan"
                        f" {', '.join(to)} (ICM in kopie)"
                    ),
                )
                sent += 1
        if sent:
            self.send_outbox()
        return sent
