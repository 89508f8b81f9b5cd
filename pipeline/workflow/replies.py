"""The advice workflow of one case, as the region's profile describes it: start a step
(ask its roles at once, with the deadline), read the replies (advice, a question for the
referrer, the answer to it, a returned form, the signed contract), decide the step, and
after approval fill and file the documents and send the package. A mixin of
`flow.Pipeline`: it uses the pipeline's settings, mappings, store session, register and
outbox (`_queue`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import date, datetime
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline import signed as signed_stage
from pipeline import store
from pipeline.convert import to_pdf
from pipeline.errors import ConversionFailed
from pipeline.mail import IncomingMail
from pipeline.models import Aanvraag, Advies, Attachment, Extraction, Submission, Tarief
from pipeline.readers.reply import provider_data
from pipeline.region.profile import Step
from pipeline.register.folder import extension_for
from pipeline.stages import advice as advice_stage
from pipeline.stages import intake, render
from pipeline.stages import route as route_stage
from pipeline.stages.decide import Decision, decide
from pipeline.states import CaseState
from pipeline.workdays import deadline, dutch_date
from pipeline.workflow import verify

log = logging.getLogger("maatwerk")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {
    ".docx": DOCX,
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".rtf": "application/rtf",
}
ROLE_NAMES = {
    "icm": "ICM",
    "coordinator": "coördinator",
    "rioz": "RIOZ",
    "poortwachter_verblijf": "poortwachter verblijf",
    "poortwachter_jeugd": "poortwachter jeugd",
    "contractbeheer": "contractbeheerder",
}


def role_name(role: str) -> str:
    """How a role is called in Dutch mails and the case history."""
    return ROLE_NAMES.get(role, role.replace("_", " "))


def role_phrase(role: str) -> str:
    """The role in a sentence: 'de poortwachter', 'ICM'."""
    name = role_name(role)
    return name if name.isupper() else f"de {name}"


class Workflow:
    # --- the workflow's steps
    # --------------------------------------------------------------

    def _switches(self) -> dict[str, bool]:
        return {"coordinator_akkoord": self.settings.advice.coordinator_akkoord}

    def _steps(self, record: Aanvraag) -> list[Step]:
        facts = route_stage.facts_of(record, self.mappings.region)
        return route_stage.steps_for(self.mappings.region, facts, self._switches())

    def _named_roles(self, sub: Submission) -> dict[str, str]:
        """Roles the referrer chose by addressing the mail (e.g. a poortwachter in Cc)."""
        out: dict[str, str] = {}
        roles = {
            r
            for step in self.mappings.region.stappen
            for r in step.rollen + tuple(x for e in step.extra for x in e.rollen)
        }
        for address in sub.recipients:
            for role in sorted(roles):
                if address.lower() in {
                    a.lower() for a in self.mappings.region.all_addresses(role)
                }:
                    out.setdefault(role, address)
        return out

    def _start_step(
        self,
        s: Session,
        case: store.Case,
        record: Aanvraag,
        when: datetime,
        *,
        source: str,
        named: dict[str, str] | None = None,
        antwoord: str | None = None,
    ) -> None:
        """Ask the roles of the case's current step, with the deadline counted from
        `when`."""
        step = self._steps(record)[case.stap]
        facts = route_stage.facts_of(record, self.mappings.region)
        advisers = route_stage.route(self.mappings.region, step, facts, named)
        case.adviseurs_json = json.dumps(advisers)
        case.stap_sinds = when
        case.vraag_van = None
        adv = self.settings.advice
        due = deadline(
            when,
            case.spoed,
            tz=adv.timezone,
            cutoff=adv.cutoff,
            days_spoed=adv.days_spoed,
            days_normal=adv.days_normal,
            extra_closed=self.extra_closed,
        )
        case.deadline = due
        form = self._original_form(case)
        earlier_answers = [
            f"{role_name(r)}: {a.oordeel}"
            + (f" – {a.toelichting}" if a.toelichting else "")
            for r, a in self._latest_advices(s, case, stap=None).items()
        ]
        previous = s.get(store.Case, case.vorige_zaak) if case.vorige_zaak else None
        context = {
            "zaak": case.id,
            "gemeente": record.gemeente,
            "aanbieder": record.aanbieder.naam,
            "type_hulp": record.type_hulp,
            "productcode": record.productcode,
            "spoed": "ja" if case.spoed else "nee",
            "tarief": (
                f"{render.euro(record.tarief.bedrag)} per"
                f" {record.tarief.eenheid or '(eenheid niet ingevuld)'}"
                if record.tarief.bedrag
                else None
            ),
            "deadline": dutch_date(due),
            "termijn": adv.days_spoed if case.spoed else adv.days_normal,
            "meldingen": [m.tekst for m in case.meldingen if m.ernst == "waarschuwing"],
            "stap": step.naam,
            "vragen": step.vragen,
            "crisis": case.crisis,
            "jr": record.maatregel == "JR",
            "uitleg": step.uitleg,
            "besluit": (
                role_name(step.besluit)
                if step.besluit != "allen" and len(advisers) > 1
                else None
            ),
            "eerdere_adviezen": earlier_answers,
            "antwoord": antwoord,
            "verlenging": (
                f"{previous.id} ({previous.state}, {previous.startdatum or '?'} t/m "
                f"{previous.einddatum or '?'})"
                if previous
                else None
            ),
        }
        template = "adviesaanvraag" if step.soort == "advies" else "akkoordverzoek"
        g = self.mappings.region.gemeenten.get(record.gemeente or "")
        cc = [
            a
            for a in (g.cc if g else ())
            if a not in {x for v in advisers.values() for x in v}
        ]
        thread = (
            [case.source_ref] if case.source_ref.startswith("<") else []
        ) + store.case_mail_ids(s, case.id)
        for role, addresses in advisers.items():
            self._queue(
                s,
                template,
                context | {"rol": role_name(role), "icm": role == "icm"},
                to=addresses,
                cc=cc,
                case_id=case.id,
                kind=f"{step.soort}-{role}",
                attachments=[form] if form else [],
                references=thread,
            )
        store.note(
            s,
            case,
            source=source,
            what=f"Stap '{step.naam}': gevraagd aan "
            + "; ".join(f"{role_name(r)} ({', '.join(a)})" for r, a in advisers.items())
            + f"; uiterlijk {due.isoformat()}",
        )

    def _original_form(self, case: store.Case) -> Attachment | None:
        if not case.register_dir:
            return None
        forms = sorted(Path(case.register_dir).glob(f"* aanvraagformulier {case.id}.*"))
        if not forms:
            return None
        ext = forms[0].suffix
        return Attachment(
            f"Aanvraagformulier {case.id}{ext}",
            forms[0].read_bytes(),
            CONTENT_TYPES.get(ext, "application/octet-stream"),
        )

    # --- replies
    # -------------------------------------------------------------------------

    def _role(self, case: store.Case, sender: str | None) -> str | None:
        """The role the sender holds on this case: asked in the current step, else by
        the profile."""
        if not sender:
            return None
        for role, addresses in case.adviseurs.items():
            if sender.lower() in (a.lower() for a in addresses):
                return role
        return self.mappings.region.role_of(sender, case.gemeente)

    def _handle_reply(
        self, s: Session, case: store.Case, sub: Submission, trusted: bool = False
    ) -> None:
        role = self._role(case, sub.sender)
        day = self._local_date(sub.received_at)
        folder = (
            Path(case.register_dir)
            if case.register_dir
            else self.register.case_dir(case.year, case.gemeente, case.id)
        )
        if self._confirms_held(s, case, sub, folder, day):
            return
        acts = (
            role is not None
            or self._is_referrer(case, sub.sender)
            or self._may_return_contract(case, sub.sender)
        )
        if acts and not trusted:
            sec = self.settings.security
            verdict = verify.check(
                s, sub, dmarc=sec.dmarc, trusted_servers=tuple(sec.vertrouwde_servers)
            )
            if not verdict.ok:
                self._hold_unverified(s, case, sub, verdict.reason, folder, day)
                return
        if case.state == CaseState.contract_verstuurd.value and self._contract_reply(
            s, case, sub, folder, day
        ):
            return
        if (
            case.state == CaseState.advies_gevraagd.value
            and case.vraag_van
            and role is None
            and self._is_referrer(case, sub.sender)
        ):
            self._answer_to_question(s, case, sub, folder, day)
            return
        if self._waits_on(case, sub.sender, role) and self._completion(
            s, case, sub, folder, day
        ):
            return
        if role is None:
            self.register.file(
                folder,
                day,
                "antwoord onbekende afzender",
                case.id,
                ".eml",
                sub.raw or b"",
            )
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"Antwoord van {sub.sender or 'onbekende afzender'} niet als advies"
                    " verwerkt: geen adviseur van deze zaak; ICM ingelicht"
                ),
            )
            self._queue(
                s,
                "antwoord_onbekende_afzender",
                {"zaak": case.id, "van": sub.sender or "onbekend"},
                to=list(self.mappings.region.icm),
                case_id=case.id,
                kind="onbekende-afzender",
            )
            return
        if case.state != CaseState.advies_gevraagd.value or role not in case.adviseurs:
            self.register.file(
                folder, day, f"mail {role}", case.id, ".eml", sub.raw or b""
            )
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"Bericht van {role_name(role)} ontvangen buiten de lopende stap"
                    f" ({case.state}); bewaard"
                ),
            )
            return
        record = case.record
        assert record is not None
        step = self._steps(record)[case.stap]
        from_form = self._advices_from_returned_form(case, sub)
        parsed = from_form.pop(role, None) or (
            advice_stage.parse_reply(sub.body, sub.subject)
            if step.soort == "advies"
            else advice_stage.parse_approval(sub.body, sub.subject)
        )
        if isinstance(parsed, advice_stage.Vraag) and step.vragen:
            self._ask_referrer(s, case, record, sub, role, parsed, folder, day)
            return
        kind = "advies" if step.soort == "advies" else "besluit"
        for (
            other,
            advies,
        ) in from_form.items():  # the other rows filled in the returned form
            self._record_advice(
                s,
                case,
                other,
                advies,
                sub,
                via=f"in het formulier teruggestuurd door {sub.sender}",
            )
        if isinstance(parsed, advice_stage.Voorwaarde):
            self.register.file(
                folder,
                day,
                f"{kind} met voorwaarde {role}",
                case.id,
                ".eml",
                sub.raw or b"",
            )
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"{kind.capitalize()} van {role_name(role)} ({sub.sender}) met"
                    " voorwaarde: geen besluit; ICM beoordeelt de voorwaarde"
                ),
            )
            self._queue(
                s,
                "advies_voorwaarde",
                {
                    "zaak": case.id,
                    "rol": role_name(role),
                    "van": sub.sender or "onbekend",
                    "oordeel": parsed.oordeel,
                    "voorwaarde": parsed.voorwaarde,
                    "toelichting": parsed.toelichting,
                    "gemeente": record.gemeente,
                    "akkoord": step.soort == "akkoord",
                    "aanbieder": record.aanbieder.naam,
                },
                to=list(self.mappings.region.icm),
                case_id=case.id,
                kind="advies-voorwaarde",
                references=store.case_mail_ids(s, case.id),
            )
        elif parsed is None or isinstance(parsed, advice_stage.Vraag):
            if (
                from_form
            ):  # the form carried the other advices; the sender's own row was empty
                self.register.file(
                    folder, day, f"formulier {role}", case.id, ".eml", sub.raw or b""
                )
            else:
                self.register.file(
                    folder,
                    day,
                    f"onduidelijk antwoord {role}",
                    case.id,
                    ".eml",
                    sub.raw or b"",
                )
                store.note(
                    s,
                    case,
                    source=sub.source_ref,
                    what=(
                        f"Antwoord van {role_name(role)} ({sub.sender}) niet eenduidig;"
                        " om verduidelijking gevraagd"
                    ),
                )
                self._queue(
                    s,
                    "advies_onduidelijk",
                    {"zaak": case.id, "akkoord": step.soort == "akkoord"},
                    to=[sub.sender],
                    case_id=case.id,
                    kind="advies-onduidelijk",
                    reply_to=sub,
                )
                return
        else:
            self._record_advice(
                s, case, role, parsed, sub, icode=advice_stage.parse_icode(sub.body)
            )
            self.register.file(
                folder, day, f"{kind} {role}", case.id, ".eml", sub.raw or b""
            )
        s.flush()
        self._decide(s, case, record, step, sub, folder, day)

    def _record_advice(
        self,
        s: Session,
        case: store.Case,
        role: str,
        advies: Advies,
        sub: Submission,
        *,
        icode: str | None = None,
        via: str = "",
    ) -> None:
        """One role's answer in the current step, and its line in the case history."""
        icode = advies.icode or icode
        tarief = advies.tarief if advies.tarief and advies.tarief.bedrag else None
        s.add(
            store.AdviceRow(
                case_id=case.id,
                rol=role,
                stap=case.stap,
                oordeel=advies.oordeel,
                toelichting=advies.toelichting,
                productcode=advies.productcode,
                icode=icode,
                tarief_bedrag=str(tarief.bedrag) if tarief else None,
                tarief_eenheid=tarief.eenheid if tarief else None,
                sender=sub.sender or "",
                message_id=sub.message_id,
                received_at=sub.received_at,
            )
        )
        step = self._steps(case.record)[case.stap]
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                f"{'Advies' if step.soort == 'advies' else 'Besluit'} {role_name(role)}"
                f" ({via or sub.sender}): {advies.oordeel}"
            )
            + (f"; productcode {advies.productcode}" if advies.productcode else "")
            + (
                f"; tarief {tarief.bedrag} per {tarief.eenheid or '?'}"
                if tarief
                else ""
            )
            + (f"; i-code {icode}" if icode else ""),
        )

    def _advices_from_returned_form(
        self, case: store.Case, sub: Submission
    ) -> dict[str, Advies]:
        """An adviser may send the form back with advice rows filled in (Word or PDF):
        every filled row of a role asked in this step counts, each as its own role's
        answer.
        """
        rows = {"beleidsadviseur": "advies_beleidsadviseur", "icm": "advies_icm"}
        out: dict[str, Advies] = {}
        for att in sub.attachments:
            read = self._read(att)
            if not isinstance(read, Extraction):
                continue
            for role, key in rows.items():
                advies = getattr(read.record, key)
                if advies is not None and role in case.adviseurs:
                    out.setdefault(role, advies)
        return out

    def _hold_unverified(
        self,
        s: Session,
        case: store.Case,
        sub: Submission,
        reason: str,
        folder: Path,
        day: date,
    ) -> None:
        """An answer that cannot be shown to come from whom it says moves nothing: it is
        kept on the case and ICM is told; ICM's 'akkoord' on that mail lets it count."""
        key = hashlib.sha256(sub.raw or sub.body.encode()).hexdigest()[:12]
        self.register.file(
            folder, day, f"niet geverifieerd {key}", case.id, ".eml", sub.raw or b""
        )
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                f"Mail van {sub.sender or 'onbekende afzender'} niet "
                f"geverifieerd ({reason}); niets besloten, ICM ingelicht"
            ),
        )
        self._queue(
            s,
            "niet_geverifieerd",
            {
                "zaak": case.id,
                "van": sub.sender or "onbekend",
                "reden": reason,
                "onderwerp": sub.subject[:120],
            },
            to=list(self.mappings.region.icm),
            case_id=case.id,
            kind=f"ongeverifieerd-{key}",
            references=store.case_mail_ids(s, case.id),
        )
        log.warning(
            "case %s: an answer that could not be verified was kept; ICM told", case.id
        )

    def _confirms_held(
        self, s: Session, case: store.Case, sub: Submission, folder: Path, day: date
    ) -> bool:
        """ICM's answer to 'niet geverifieerd': akkoord lets the kept mail count, as if
        it were verified; anything else leaves it kept."""
        if (
            not sub.in_reply_to
            or not sub.sender
            or sub.sender.lower() not in {a.lower() for a in self.mappings.region.icm}
        ):
            return False
        kinds = [
            k
            for k in s.scalars(
                select(store.OutboxMail.kind).where(
                    store.OutboxMail.message_id.in_(sub.in_reply_to),
                    store.OutboxMail.case_id == case.id,
                )
            )
            if k.startswith("ongeverifieerd-")
        ]
        if not kinds:
            return False
        sec = self.settings.security
        if not verify.check(
            s, sub, dmarc=sec.dmarc, trusted_servers=tuple(sec.vertrouwde_servers)
        ).ok:
            return False  # (kept as any other unverified answer)
        key = kinds[0].removeprefix("ongeverifieerd-")
        kept = sorted(folder.glob(f"* niet geverifieerd {key} {case.id}.eml"))
        answer = advice_stage.parse_approval(sub.body, sub.subject)
        self.register.file(
            folder, day, "bevestiging icm", case.id, ".eml", sub.raw or b""
        )
        if not kept or not isinstance(answer, Advies) or answer.oordeel != "positief":
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"ICM ({sub.sender}) liet de niet geverifieerde mail "
                    "niet toe; die blijft bewaard en telt niet"
                ),
            )
            return True
        held = intake.from_mail(IncomingMail("", kept[0].read_bytes(), sub.received_at))
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                f"ICM ({sub.sender}) bevestigde de niet geverifieerde mail "
                f"van {held.sender or 'onbekend'}; die wordt nu verwerkt"
            ),
        )
        self._handle_reply(s, case, held, trusted=True)
        return True

    def _waits_on(self, case: store.Case, sender: str | None, role: str | None) -> bool:
        """Whether this sender may complete the case's data now: the referrer the
        provider data (asked in the receipt, and again after approval), ICM the tariff
        it was asked for.
        """
        from_icm = bool(sender) and sender.lower() in {
            a.lower() for a in self.mappings.region.icm
        }
        if case.state == CaseState.positief.value and case.vraag_van == "icm":
            return from_icm
        if (
            case.state == CaseState.positief.value
            and case.vraag_van == "verwijzer"
            and from_icm
        ):
            # ICM was asked for the provider data when there was no referrer to ask
            return True
        waiting = (
            case.state == CaseState.positief.value and case.vraag_van == "verwijzer"
        ) or (case.state == CaseState.advies_gevraagd.value and not case.vraag_van)
        return (
            waiting
            and role is None
            and self._is_referrer(case, sender)
            and case.record is not None
            and bool(render.missing_provider_data(case.record))
        )

    def _is_referrer(self, case: store.Case, sender: str | None) -> bool:
        record = case.record
        known = {
            (case.sender or "").lower(),
            ((record.contactpersoon.email if record else None) or "").lower(),
        }
        return bool(sender) and sender.lower() in known - {""}

    def _ask_referrer(
        self,
        s: Session,
        case: store.Case,
        record: Aanvraag,
        sub: Submission,
        role: str,
        vraag: advice_stage.Vraag,
        folder: Path,
        day: date,
    ) -> None:
        case.vraag_van = role
        self.register.file(
            folder, day, f"vraag {role}", case.id, ".eml", sub.raw or b""
        )
        to, cc = self._referrer_addresses(case, record)
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                f"Vraag van {role_name(role)} aan de verwijzer; de "
                "beoordeling wacht op het antwoord"
            ),
        )
        self._queue(
            s,
            "vraag_aan_verwijzer",
            {
                "zaak": case.id,
                "rol": role_name(role),
                "vraag": vraag.tekst,
                "naam": self._greeting(case, record),
            },
            to=to,
            cc=cc,
            case_id=case.id,
            kind="vraag-verwijzer",
            references=store.case_mail_ids(s, case.id),
        )

    def _answer_to_question(
        self, s: Session, case: store.Case, sub: Submission, folder: Path, day: date
    ) -> None:
        """The referrer answered: the request re-enters review in the same step."""
        record = case.record
        assert record is not None
        self.register.file(
            folder, day, "antwoord verwijzer", case.id, ".eml", sub.raw or b""
        )
        s.execute(
            delete(store.AdviceRow).where(
                store.AdviceRow.case_id == case.id, store.AdviceRow.stap == case.stap
            )
        )
        store.note(
            s,
            case,
            source=sub.source_ref,
            what="Antwoord van de verwijzer ontvangen; opnieuw ter beoordeling",
        )
        self._start_step(
            s,
            case,
            record,
            sub.received_at,
            source=sub.source_ref,
            named={r: a[0] for r, a in case.adviseurs.items()},
            antwoord=advice_stage.own_text(sub.body),
        )

    def _latest_advices(
        self, s: Session, case: store.Case, stap: int | None
    ) -> dict[str, Advies]:
        """The latest answer per role, in step `stap` (None: all steps)."""
        s.refresh(case, ["advices"])
        out: dict[str, Advies] = {}
        for (
            row
        ) in case.advices:  # ordered by id: a later answer replaces an earlier one
            if stap is not None and row.stap != stap:
                continue
            tarief = (
                Tarief(bedrag=row.tarief_bedrag, eenheid=row.tarief_eenheid)
                if row.tarief_bedrag
                else None
            )
            out[row.rol] = Advies(
                oordeel=row.oordeel,
                toelichting=row.toelichting,
                productcode=row.productcode,
                tarief=tarief,
            )
        return out

    def _decide(
        self,
        s: Session,
        case: store.Case,
        record: Aanvraag,
        step: Step,
        sub: Submission,
        folder: Path,
        day: date,
    ) -> None:
        decision = decide(
            step, list(case.adviseurs), self._latest_advices(s, case, case.stap)
        )
        if decision is None:
            return
        why = f"stap '{step.naam}': " + (
            "eensluidend"
            if decision.eens
            else f"verschillend; {role_name(step.besluit)} beslist"
        )
        steps = self._steps(record)
        if decision.oordeel == "positief" and case.stap + 1 < len(steps):
            store.note(
                s, case, source=sub.source_ref, what=f"Positief ({why}); volgende stap"
            )
            case.stap += 1
            self._start_step(s, case, record, sub.received_at, source=sub.source_ref)
            return
        if decision.oordeel == "positief":
            store.transition(
                s,
                case,
                CaseState.positief,
                source=sub.source_ref,
                what=f"Besluit positief ({why})",
            )
            self._tell_advisers(s, case, record, decision)
            self._documents_when_complete(s, case, record, sub, folder, day)
            return
        store.transition(
            s,
            case,
            CaseState.negatief,
            source=sub.source_ref,
            what=f"Besluit negatief ({why})",
        )
        self._tell_advisers(s, case, record, decision)
        judged = list(dict.fromkeys(row.rol for row in case.advices))
        contact = role_phrase(
            step.besluit if step.besluit != "allen" else step.rollen[0]
        )
        ctx = render.refusal_context(
            case_id=case.id,
            record=record,
            decision=decision,
            mappings=self.mappings,
            today=day,
            region_name=self.mappings.region.naam,
            beoordelaars=[role_phrase(r) for r in judged],
            contact=contact,
        )
        files = self._file_documents(
            s,
            case,
            sub,
            folder,
            day,
            {"afwijzingsbrief": self.renderer.render("afwijzingsbrief", ctx)},
        )
        to, cc = self._referrer_addresses(case, record)
        self._queue(
            s,
            "afwijzing",
            {
                "zaak": case.id,
                "naam": self._greeting(case, record),
                "gemeente": record.gemeente,
                "aanbieder": record.aanbieder.naam,
                "toelichting": decision.toelichting,
                "beoordeeld": ctx["beoordeeld"],
                "contact": contact,
            },
            to=to,
            cc=cc,
            case_id=case.id,
            kind="afwijzing",
            references=store.case_mail_ids(s, case.id),
            attachments=files,
        )

    def _tell_advisers(
        self, s: Session, case: store.Case, record: Aanvraag, decision: Decision
    ) -> None:
        """Every adviser of the case hears the outcome, with their own answer beside it."""
        s.refresh(case, ["advices"])
        own: dict[str, tuple[str, set[str]]] = {}
        for row in case.advices:  # by id: the latest answer of a role counts
            addresses = own.get(row.rol, ("", set()))[1] | (
                {row.sender.lower()} if row.sender else set()
            )
            own[row.rol] = (row.oordeel, addresses)
        for role, addresses in case.adviseurs.items():
            own.setdefault(role, ("", set()))[1].update(a.lower() for a in addresses)
        for role, (oordeel, addresses) in own.items():
            if not addresses:
                continue
            self._queue(
                s,
                "uitkomst",
                {
                    "zaak": case.id,
                    "gemeente": record.gemeente,
                    "aanbieder": record.aanbieder.naam,
                    "besluit": decision.oordeel,
                    "eigen": oordeel or None,
                    "rol": role_name(role),
                    "toelichting": decision.toelichting,
                },
                to=sorted(addresses),
                case_id=case.id,
                kind=f"uitkomst-{role}",
                references=store.case_mail_ids(s, case.id),
            )

    def _decision(self, s: Session, case: store.Case, record: Aanvraag) -> Decision:
        """The case's final decision as its last step took it, with the latest proposal
        of product code and tariff of any step (ICM's, or its answer to the question for
        the tariff).
        """
        step = self._steps(record)[case.stap]
        decision = decide(
            step, list(case.adviseurs), self._latest_advices(s, case, case.stap)
        )  # refreshes advices
        assert decision is not None
        code = next(
            (r.productcode for r in reversed(case.advices) if r.productcode), None
        )
        row = next((r for r in reversed(case.advices) if r.tarief_bedrag), None)
        tarief = (
            Tarief(bedrag=row.tarief_bedrag, eenheid=row.tarief_eenheid)
            if row
            else None
        )
        return Decision(
            decision.oordeel, decision.toelichting, decision.eens, code, tarief
        )

    def _documents_when_complete(
        self,
        s: Session,
        case: store.Case,
        record: Aanvraag,
        sub: Submission,
        folder: Path,
        day: date,
    ) -> None:
        """No document before its data is complete: what the provider data lack is asked
        of the referrer, a value that cannot be computed of ICM; the documents follow
        the answers.
        """
        decision = self._decision(s, case, record)
        thread = store.case_mail_ids(s, case.id)
        missing = render.missing_provider_data(record)
        if missing:
            case.vraag_van = "verwijzer"
            to, cc = self._referrer_addresses(case, record)
            store.note(
                s,
                case,
                source=sub.source_ref,
                what="Voor de overeenkomst ontbreekt nog: "
                + ", ".join(missing)
                + (
                    f"; gevraagd aan {', '.join(to)}"
                    if to
                    else "; geen adres om het te vragen, ICM ingelicht"
                ),
            )
            self._queue(
                s,
                "gegevens_gevraagd",
                {
                    "zaak": case.id,
                    "naam": self._greeting(case, record),
                    "aanbieder": record.aanbieder.naam,
                    "ontbrekend": missing,
                    "aan_regioteam": not to,
                },
                to=to or list(self.mappings.region.icm),
                cc=cc,
                case_id=case.id,
                kind="gegevens-gevraagd",
                references=thread,
            )
            return
        value = render.contract_value(
            render.chosen_tariff(decision, record),
            record,
            self.mappings.region.omrekening,
        )
        if value.total is None:
            case.vraag_van = "icm"
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"Waarde niet te berekenen ({value.working}); ICM "
                    "gevraagd om tarief en eenheid"
                ),
            )
            self._queue(
                s,
                "waarde_gevraagd",
                {
                    "zaak": case.id,
                    "aanbieder": record.aanbieder.naam,
                    "gemeente": record.gemeente,
                    "reden": value.working,
                    "inzet": (
                        render.contract_context(
                            case_id=case.id,
                            record=record,
                            decision=decision,
                            mappings=self.mappings,
                            today=day,
                            region_name=self.mappings.region.naam,
                        )["inzet"]
                        or "niet ingevuld"
                    ),
                },
                to=list(self.mappings.region.icm),
                case_id=case.id,
                kind="waarde-gevraagd",
                references=thread,
            )
            return
        case.vraag_van = None
        self._after_approval(s, case, record, decision, sub, folder, day)

    def _completion(
        self, s: Session, case: store.Case, sub: Submission, folder: Path, day: date
    ) -> bool:
        """An answer that completes the case's data: the referrer's provider data (in
        the mail's own text or a corrected form), or ICM's tariff. False when a mail
        during the advice gives none of the data (it is then handled as any other mail).
        """
        record = case.record
        assert record is not None
        if case.vraag_van == "icm":
            code, tarief = advice_stage.proposal(sub.body)
            if tarief is None or tarief.eenheid is None:
                self._queue(
                    s,
                    "waarde_onduidelijk",
                    {"zaak": case.id},
                    to=[sub.sender],
                    case_id=case.id,
                    kind="waarde-onduidelijk",
                    reply_to=sub,
                )
                store.note(
                    s,
                    case,
                    source=sub.source_ref,
                    what=(
                        f"Antwoord van {sub.sender} geeft geen tarief met "
                        "eenheid; opnieuw gevraagd"
                    ),
                )
                return True
            self.register.file(
                folder, day, "tarief icm", case.id, ".eml", sub.raw or b""
            )
            self._record_advice(
                s,
                case,
                "icm",
                Advies(
                    oordeel="positief",
                    toelichting="Tarief voor de overeenkomst",
                    productcode=code,
                    tarief=tarief,
                ),
                sub,
            )
            s.flush()
            self._documents_when_complete(s, case, record, sub, folder, day)
            return True
        taken = provider_data(
            advice_stage.own_text(sub.body),
            [
                r.record
                for r in map(self._read, sub.attachments)
                if isinstance(r, Extraction)
            ],
        )
        filled = {k: v for k, v in taken.items() if not getattr(record.aanbieder, k)}
        if not filled and case.state != CaseState.positief.value:
            return False
        self.register.file(
            folder, day, "gegevens aanbieder", case.id, ".eml", sub.raw or b""
        )
        if filled:
            record = record.model_copy(
                update={"aanbieder": record.aanbieder.model_copy(update=filled)}
            )
            case.record_json = record.model_dump_json()
            names = [what for key, what in render.PROVIDER_DATA if key in filled]
            store.note(
                s,
                case,
                source=sub.source_ref,
                what="Aangevuld door de verwijzer: " + ", ".join(names),
            )
        else:
            store.note(
                s,
                case,
                source=sub.source_ref,
                what="Antwoord van de verwijzer bevat geen van de gevraagde gegevens",
            )
        s.flush()
        if case.state == CaseState.positief.value:
            self._documents_when_complete(s, case, record, sub, folder, day)
        return True

    def _after_approval(
        self,
        s: Session,
        case: store.Case,
        record: Aanvraag,
        decision: Decision,
        sub: Submission,
        folder: Path,
        day: date,
    ) -> None:
        """The region's contract package (ZOU, Rijk van Nijmegen) or opdrachtbevestiging
        (RIOZ)."""
        after = self.mappings.region.na_goedkeuring
        ctx = render.contract_context(
            case_id=case.id,
            record=record,
            decision=decision,
            mappings=self.mappings,
            today=day,
            region_name=self.mappings.region.naam,
        )
        documents = {
            after.document: self.renderer.render(after.document, ctx),
            "leveranciersformulier": self.renderer.render("leveranciersformulier", ctx),
        }
        files = self._file_documents(s, case, sub, folder, day, documents)
        case.productcode = ctx["productcode"]
        case.waarde = str(ctx["waarde"]) if ctx["waarde"] is not None else None
        case.ondertekenaar = ctx["ondertekenaar"]
        referrer, referrer_cc = self._referrer_addresses(case, record)
        to: list[str] = []
        for who in after.aan:
            if who == "verwijzer":
                to += referrer
            else:
                to += self.mappings.region.addresses(who, record.gemeente)
        facts = route_stage.facts_of(record, self.mappings.region)
        cc = (
            [a for a in referrer if a not in to]
            if after.cc_verwijzer_als is not None
            and facts.matches(after.cc_verwijzer_als)
            else []
        )
        if "verwijzer" in after.aan or cc:
            cc += [a for a in referrer_cc if a not in to + cc]
        self._queue(
            s,
            (
                "contractpakket"
                if after.document == "maatwerkovereenkomst"
                else "opdrachtbevestiging"
            ),
            {
                "zaak": case.id,
                "gemeente": record.gemeente,
                "aanbieder": record.aanbieder.naam,
                "eens": decision.eens,
                "ondertekenaar": ctx["ondertekenaar"],
                "totaal": ctx["totaal"],
                "productcode": ctx["productcode"],
                "toelichting": after.toelichting,
                "beslisser": (
                    role_name(self._steps(record)[case.stap].besluit)
                    if not decision.eens
                    else None
                ),
            },
            to=list(dict.fromkeys(to)),
            cc=cc,
            case_id=case.id,
            kind="contractpakket",
            references=store.case_mail_ids(s, case.id),
            attachments=files,
        )
        store.transition(
            s,
            case,
            CaseState.contract_verstuurd,
            source=sub.source_ref,
            what=(
                f"{after.document} en leveranciersformulier verstuurd aan"
                f" {', '.join(to + cc)}; totale waarde {ctx['totaal']}; ondertekenaar"
                f" {ctx['ondertekenaar']}"
            ),
        )

    def _file_documents(
        self,
        s: Session,
        case: store.Case,
        sub: Submission,
        folder: Path,
        day: date,
        documents: dict[str, bytes],
    ) -> list[Attachment]:
        """File generated documents as .docx and PDF/A; returns them as mail attachments
        (PDF first).

        When LibreOffice fails twice the case goes on with the .docx files and the audit
        says so.
        """
        try:
            pdfs = to_pdf(documents)
        except ConversionFailed as exc:
            pdfs = {}
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=f"PDF-versie niet gemaakt ({exc}); alleen .docx verstuurd",
            )
            log.warning("case %s: PDF rendition failed; docx only", case.id)
        attachments = []
        for name, content in documents.items():
            soort = "contract" if name == "maatwerkovereenkomst" else name
            for ext, data, ctype in (
                (".pdf", pdfs.get(name), "application/pdf"),
                (".docx", content, DOCX),
            ):
                if data is None:
                    continue
                self.register.file(folder, day, soort, case.id, ext, data)
                attachments.append(
                    Attachment(f"{day:%Y-%m-%d} {name} {case.id}{ext}", data, ctype)
                )
        return sorted(attachments, key=lambda a: not a.filename.endswith(".pdf"))

    # --- the contract back: signed means signed (issue 13 point 6)
    # -------------------------

    def _contract_reply(
        self, s: Session, case: store.Case, sub: Submission, folder: Path, day: date
    ) -> bool:
        """A mail while the contract is out: the contract back from someone who may
        return it, or ICM's answer to "is this the signed contract?". False when it is
        neither."""
        if sub.attachments and self._may_return_contract(case, sub.sender):
            self._contract_returned(s, case, sub, folder, day)
            return True
        check = self._contract_check_answered(s, case, sub)
        if check is None:
            return False
        self._contract_confirmation(s, case, sub, check, folder, day)
        return True

    def _contract_returned(
        self, s: Session, case: store.Case, sub: Submission, folder: Path, day: date
    ) -> None:
        """Getekend only when a returned file carries a signature (pipeline/signed.py);
        otherwise the file is kept for a check and ICM is asked to confirm."""
        sent = self._sent_contract(case)
        verdicts = [
            (att, signed_stage.is_signed(att.content, sent)) for att in sub.attachments
        ]
        signed = [att for att, v in verdicts if v.signed]
        if signed:
            self.register.file(
                folder, day, "mail getekend contract", case.id, ".eml", sub.raw or b""
            )
            for att, v in verdicts:
                if not v.signed:
                    self.register.file(
                        folder,
                        day,
                        "bijlage getekend contract",
                        case.id,
                        extension_for(att.content),
                        att.content,
                    )
            why = next(v.reason for _, v in verdicts if v.signed)
            self._contract_signed(
                s,
                case,
                sub,
                signed,
                folder,
                day,
                what=f"Getekende overeenkomst ontvangen van {sub.sender} ({why})",
            )
            return
        self.register.file(
            folder, day, "mail retour contract", case.id, ".eml", sub.raw or b""
        )
        files = []
        for att, _ in verdicts:
            ext = extension_for(att.content)
            self.register.file(
                folder, day, "retour contract (controle)", case.id, ext, att.content
            )
            files.append(
                Attachment(
                    f"retour contract {case.id}{ext}",
                    att.content,
                    CONTENT_TYPES.get(ext, "application/octet-stream"),
                )
            )
        reasons = "; ".join(dict.fromkeys(v.reason for _, v in verdicts))
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                f"Contract terug van {sub.sender}, maar niet zeker getekend"
                f" ({reasons}); ICM gevraagd het te controleren"
            ),
        )
        self._queue(
            s,
            "contract_controle",
            {
                "zaak": case.id,
                "gemeente": case.gemeente,
                "aanbieder": case.aanbieder,
                "van": sub.sender or "onbekend",
                "reden": reasons,
                "opnieuw": False,
            },
            to=list(self.mappings.region.icm),
            case_id=case.id,
            kind=signed_stage.CHECK_MAIL_KIND,
            attachments=files,
            references=store.case_mail_ids(s, case.id),
        )

    def _contract_check_answered(
        self, s: Session, case: store.Case, sub: Submission
    ) -> store.OutboxMail | None:
        """The check ICM answers with this mail: the one it replies to, else (a new mail
        with the case number) the latest, when the mail clearly says 'getekend' or 'niet
        getekend'.
        """
        if (
            sub.attachments
            or not sub.sender
            or sub.sender.lower() not in {a.lower() for a in self.mappings.region.icm}
        ):
            return None
        checks = list(
            s.scalars(
                select(store.OutboxMail)
                .where(
                    store.OutboxMail.case_id == case.id,
                    store.OutboxMail.kind == signed_stage.CHECK_MAIL_KIND,
                )
                .order_by(store.OutboxMail.id)
            )
        )
        replied = [c for c in checks if c.message_id in sub.in_reply_to[:1]] or [
            c for c in checks if c.message_id in sub.in_reply_to
        ]
        if replied:
            return replied[-1]
        if checks and signed_stage.read_confirmation(sub.body) is not None:
            return checks[-1]
        return None

    def _contract_confirmation(
        self,
        s: Session,
        case: store.Case,
        sub: Submission,
        check: store.OutboxMail,
        folder: Path,
        day: date,
    ) -> None:
        """ICM's answer: getekend (the checked file becomes the signed contract), niet
        getekend (the case waits on), or unclear (asked again)."""
        answer = signed_stage.read_confirmation(sub.body)
        self.register.file(
            folder, day, "controle contract icm", case.id, ".eml", sub.raw or b""
        )
        mail = message_from_bytes(check.raw, policy=policy.default)
        files = [
            Attachment(
                p.get_filename() or f"retour contract {case.id}",
                p.get_payload(decode=True),
                p.get_content_type(),
            )
            for p in mail.iter_attachments()
        ]  # type: ignore[attr-defined]
        if answer is True and files:
            returned = mail["Date"].datetime if mail["Date"] else sub.received_at
            self._contract_signed(
                s,
                case,
                sub,
                files,
                folder,
                self._local_date(returned),
                what=(
                    f"ICM ({sub.sender}) bevestigt dat het teruggestuurde contract"
                    " getekend is"
                ),
                confirmed=True,
            )
            return
        if answer is False:
            store.note(
                s,
                case,
                source=sub.source_ref,
                what=(
                    f"ICM ({sub.sender}): het teruggestuurde contract is niet getekend;"
                    " de zaak wacht op het getekende contract"
                ),
            )
            return
        store.note(
            s,
            case,
            source=sub.source_ref,
            what=(
                f"Antwoord van ICM ({sub.sender}) op de controle van het teruggestuurde"
                " contract niet eenduidig; opnieuw gevraagd"
            ),
        )
        self._queue(
            s,
            "contract_controle",
            {
                "zaak": case.id,
                "gemeente": case.gemeente,
                "aanbieder": case.aanbieder,
                "opnieuw": True,
            },
            to=[sub.sender] if sub.sender else list(self.mappings.region.icm),
            case_id=case.id,
            kind=signed_stage.CHECK_MAIL_KIND,
            attachments=files,
            reply_to=sub,
        )

    def _contract_signed(
        self,
        s: Session,
        case: store.Case,
        sub: Submission,
        files: list[Attachment],
        folder: Path,
        day: date,
        *,
        what: str,
        confirmed: bool = False,
    ) -> None:
        """File the signed contract (kept after the retention period), close the case as
        getekend and tell the backoffice where it is."""
        paths = [
            self.register.file(
                folder,
                day,
                "getekend contract",
                case.id,
                extension_for(f.content),
                f.content,
            )
            for f in files
        ]
        case.getekend_op = day
        einde = case.einddatum
        store.transition(
            s,
            case,
            CaseState.getekend,
            source=sub.source_ref,
            what=f"{what}; loopt tot {einde.isoformat() if einde else 'onbekend'}",
        )
        where = (
            paths[0].relative_to(self.register.root)
            if paths[0].is_relative_to(self.register.root)
            else paths[0]
        )
        self._queue(
            s,
            "contract_getekend",
            {
                "zaak": case.id,
                "gemeente": case.gemeente,
                "aanbieder": case.aanbieder,
                "bevestigd": confirmed,
                "einde": dutch_date(einde, weekday=False) if einde else "onbekend",
                "map": str(where),
            },
            to=list(self.mappings.region.addresses("backoffice", case.gemeente)),
            case_id=case.id,
            kind="contract-getekend",
            references=store.case_mail_ids(s, case.id),
        )

    def _sent_contract(self, case: store.Case) -> bytes | None:
        """The PDF rendition that went out in the package (None: only the .docx went, or
        no folder)."""
        if not case.register_dir:
            return None
        document = self.mappings.region.na_goedkeuring.document
        soort = "contract" if document == "maatwerkovereenkomst" else document
        sent = re.compile(
            rf"^\d{{4}}-\d{{2}}-\d{{2}} {re.escape(soort)} {re.escape(case.id)}\.pdf$"
        )
        files = sorted(
            p
            for p in Path(case.register_dir).glob(f"* {soort} {case.id}.pdf")
            if sent.match(p.name)
        )
        return files[-1].read_bytes() if files else None
