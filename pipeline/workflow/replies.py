"""A mail on an existing case, one small function per outcome: an advice, an advice with
a condition, an unclear answer, a question for the referrer and its answer, data that
complete the case, the contract back, a mail from someone who is no adviser."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.mail import IncomingMail
from pipeline.models import POSITIEF, Advies, Submission
from pipeline.region.profile import Step
from pipeline.stages import advice as advice_stage
from pipeline.stages import intake, provider_data
from pipeline.states import CaseState
from pipeline.workflow import contract, documents, events, steps, verify
from pipeline.workflow.context import CaseContext
from pipeline.workflow.mails import Kind, Mail
from pipeline.workflow.people import (
    greeting,
    is_icm,
    is_referrer,
    may_return_contract,
    referrer_addresses,
    role_name,
    role_of,
)
from pipeline.workflow.services import Services

log = logging.getLogger(f"maatwerk.{__name__}")

ADVICE_ROWS = {"beleidsadviseur": "advies_beleidsadviseur", "icm": "advies_icm"}


def handle(
    svc: Services, s: Session, case: store.Case, sub: Submission, trusted: bool = False
) -> None:
    """A mail on this case (locked by the caller), in the caller's transaction."""
    ctx = CaseContext.of(svc, s, case, sub)
    if confirms_held(ctx):
        return
    role = role_of(svc, case, sub.sender)
    acts = (
        role is not None
        or is_referrer(case, sub.sender)
        or may_return_contract(svc, case, sub.sender)
    )
    if acts and not trusted:
        sec = svc.settings.security
        verdict = verify.check(
            s, sub, dmarc=sec.dmarc, trusted_servers=tuple(sec.vertrouwde_servers)
        )
        if not verdict.ok:
            hold_unverified(ctx, verdict.reason)
            return
    if case.state == CaseState.contract_verstuurd.value and contract.reply(ctx):
        return
    if (
        case.state == CaseState.advies_gevraagd.value
        and case.vraag_van
        and role is None
        and is_referrer(case, sub.sender)
    ):
        answer_to_question(ctx)
        return
    if waits_on(svc, case, sub.sender, role) and documents.completion(ctx):
        return
    if role is None:
        from_stranger(ctx)
    elif case.state != CaseState.advies_gevraagd.value or role not in case.adviseurs:
        outside_step(ctx, role)
    else:
        advice(ctx, role)


def from_stranger(ctx: CaseContext) -> None:
    """Someone who is no adviser of this case: kept, nothing decided, ICM told."""
    case, sub = ctx.case, ctx.sub
    ctx.file_mail("antwoord onbekende afzender")
    ctx.note(
        f"Antwoord van {sub.sender or 'onbekende afzender'} niet als advies verwerkt:"
        " geen adviseur van deze zaak; ICM ingelicht"
    )
    ctx.queue(
        Mail(
            Kind.onbekende_afzender,
            {"zaak": case.id, "van": sub.sender or "onbekend"},
            to=ctx.svc.icm,
            case_id=case.id,
        )
    )


def outside_step(ctx: CaseContext, role: str) -> None:
    ctx.file_mail(f"mail {role}")
    ctx.note(
        f"Bericht van {role_name(role)} ontvangen buiten de lopende stap"
        f" ({ctx.case.state}); bewaard"
    )


def advice(ctx: CaseContext, role: str) -> None:
    """An adviser's answer in the current step: recorded when it says one thing, else
    asked again; a question for the referrer goes to them; then the step is decided."""
    sub, step = ctx.sub, steps.current_step(ctx.svc, ctx.case)
    from_form = advices_from_returned_form(ctx)
    parsed = from_form.pop(role, None) or (
        advice_stage.parse_reply(sub.body, sub.subject)
        if step.soort == "advies"
        else advice_stage.parse_approval(sub.body, sub.subject)
    )
    if isinstance(parsed, advice_stage.Vraag) and step.vragen:
        ask_referrer(ctx, role, parsed)
        return
    for (
        other,
        advies,
    ) in from_form.items():  # the other rows filled in the returned form
        record_advice(
            ctx, other, advies, via=f"in het formulier teruggestuurd door {sub.sender}"
        )
    kind = "advies" if step.soort == "advies" else "besluit"
    if isinstance(parsed, advice_stage.Voorwaarde):
        with_condition(ctx, role, parsed, step)
    elif parsed is None or isinstance(parsed, advice_stage.Vraag):
        if not from_form:
            unclear(ctx, role, step)
            return
        # the form carried the other advices; the sender's own row was empty
        ctx.file_mail(f"formulier {role}")
    else:
        record_advice(ctx, role, parsed, icode=advice_stage.parse_icode(sub.body))
        ctx.file_mail(f"{kind} {role}")
    ctx.s.flush()
    steps.decide_step(ctx, step)


def with_condition(
    ctx: CaseContext, role: str, parsed: advice_stage.Voorwaarde, step: Step
) -> None:
    """'Akkoord, mits …': no decision; ICM judges the condition."""
    case, sub, record = ctx.case, ctx.sub, ctx.record
    kind = "advies" if step.soort == "advies" else "besluit"
    ctx.file_mail(f"{kind} met voorwaarde {role}")
    ctx.note(
        f"{kind.capitalize()} van {role_name(role)} ({sub.sender}) met voorwaarde: geen"
        " besluit; ICM beoordeelt de voorwaarde"
    )
    ctx.queue(
        Mail(
            Kind.advies_voorwaarde,
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
            to=ctx.svc.icm,
            case_id=case.id,
            references=ctx.thread,
        )
    )


def unclear(ctx: CaseContext, role: str, step: Step) -> None:
    """An answer that does not say one thing: kept, and the adviser asked to say it."""
    sub = ctx.sub
    ctx.file_mail(f"onduidelijk antwoord {role}")
    ctx.note(
        f"Antwoord van {role_name(role)} ({sub.sender}) niet eenduidig; om"
        " verduidelijking gevraagd"
    )
    ctx.queue(
        Mail(
            Kind.advies_onduidelijk,
            {"zaak": ctx.case.id, "akkoord": step.soort == "akkoord"},
            to=[sub.sender] if sub.sender else [],
            case_id=ctx.case.id,
            reply_to=sub,
        )
    )


def record_advice(
    ctx: CaseContext,
    role: str,
    advies: Advies,
    *,
    icode: str | None = None,
    via: str = "",
) -> None:
    """One role's answer in the current step, and its line in the case history."""
    case, sub = ctx.case, ctx.sub
    icode = advies.icode or icode
    tarief = advies.tarief if advies.tarief and advies.tarief.bedrag else None
    store.add_advice(
        ctx.s,
        case,
        rol=role,
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
    soort = steps.current_step(ctx.svc, case).soort
    events.happened(ctx.s, case.id, events.Event.advies_ontvangen, role_name(role))
    ctx.note(
        f"{'Advies' if soort == 'advies' else 'Besluit'} {role_name(role)}"
        f" ({via or sub.sender}): {advies.oordeel}"
        + (f"; productcode {advies.productcode}" if advies.productcode else "")
        + (f"; tarief {tarief.bedrag} per {tarief.eenheid or '?'}" if tarief else "")
        + (f"; i-code {icode}" if icode else "")
    )


def advices_from_returned_form(ctx: CaseContext) -> dict[str, Advies]:
    """An adviser may send the form back with advice rows filled in (Word or PDF): every
    filled row of a role asked in this step counts, each as its own role's answer."""
    out: dict[str, Advies] = {}
    for att in ctx.sub.attachments:
        read = ctx.svc.read(att).extraction
        if read is None:
            continue
        for role, key in ADVICE_ROWS.items():
            advies = getattr(read.record, key)
            if advies is not None and role in ctx.case.adviseurs:
                out.setdefault(role, advies)
    return out


def hold_unverified(ctx: CaseContext, reason: str) -> None:
    """An answer that cannot be shown to come from whom it says moves nothing: it is
    kept on the case and ICM is told; ICM's 'akkoord' on that mail lets it count."""
    case, sub = ctx.case, ctx.sub
    key = hashlib.sha256(sub.raw or sub.body.encode()).hexdigest()[:12]
    ctx.file_mail(f"niet geverifieerd {key}")
    ctx.note(
        f"Mail van {sub.sender or 'onbekende afzender'} niet geverifieerd ({reason});"
        " niets besloten, ICM ingelicht"
    )
    ctx.queue(
        Mail(
            Kind.ongeverifieerd,
            {
                "zaak": case.id,
                "van": sub.sender or "onbekend",
                "reden": reason,
                "onderwerp": sub.subject[:120],
            },
            to=ctx.svc.icm,
            about=key,
            case_id=case.id,
            references=ctx.thread,
        )
    )
    log.warning(
        "case %s: an answer that could not be verified was kept; ICM told", case.id
    )


def confirms_held(ctx: CaseContext) -> bool:
    """ICM's answer to 'niet geverifieerd': akkoord lets the kept mail count, as if it
    were verified; anything else leaves it kept."""
    svc, case, sub = ctx.svc, ctx.case, ctx.sub
    if not sub.in_reply_to or not is_icm(svc, sub.sender):
        return False
    kinds = [
        k
        for k in store.kinds_replied_to(ctx.s, case.id, sub.in_reply_to)
        if k.startswith("ongeverifieerd-")
    ]
    if not kinds:
        return False
    sec = svc.settings.security
    if not verify.check(
        ctx.s, sub, dmarc=sec.dmarc, trusted_servers=tuple(sec.vertrouwde_servers)
    ).ok:
        return False  # (kept as any other unverified answer)
    key = kinds[0].removeprefix("ongeverifieerd-")
    kept = sorted(ctx.folder.glob(f"* niet geverifieerd {key} {case.id}.eml"))
    answer = advice_stage.parse_approval(sub.body, sub.subject)
    ctx.file_mail("bevestiging icm")
    if not kept or not isinstance(answer, Advies) or answer.oordeel != POSITIEF:
        ctx.note(
            f"ICM ({sub.sender}) liet de niet geverifieerde mail niet toe; die blijft"
            " bewaard en telt niet"
        )
        return True
    held = intake.from_mail(IncomingMail("", kept[0].read_bytes(), sub.received_at))
    ctx.note(
        f"ICM ({sub.sender}) bevestigde de niet geverifieerde mail van"
        f" {held.sender or 'onbekend'}; die wordt nu verwerkt"
    )
    handle(svc, ctx.s, case, held, trusted=True)
    return True


def waits_on(
    svc: Services, case: store.Case, sender: str | None, role: str | None
) -> bool:
    """Whether this sender may complete the case's data now: the referrer the provider
    data (asked in the receipt, and again after approval), ICM the tariff it was asked
    for."""
    from_icm = is_icm(svc, sender)
    positief = case.state == CaseState.positief.value
    if positief and case.vraag_van == "icm":
        return from_icm
    if positief and case.vraag_van == "verwijzer" and from_icm:
        # ICM was asked for the provider data when there was no referrer to ask
        return True
    waiting = (positief and case.vraag_van == "verwijzer") or (
        case.state == CaseState.advies_gevraagd.value and not case.vraag_van
    )
    return (
        waiting
        and role is None
        and is_referrer(case, sender)
        and case.record is not None
        and bool(provider_data.missing_provider_data(case.record))
    )


def ask_referrer(ctx: CaseContext, role: str, vraag: advice_stage.Vraag) -> None:
    """A reviewer's question: to the referrer; the step waits on the answer."""
    case, record = ctx.case, ctx.record
    case.vraag_van = role
    ctx.file_mail(f"vraag {role}")
    to, cc = referrer_addresses(ctx.svc, case, record)
    ctx.note(
        f"Vraag van {role_name(role)} aan de verwijzer; de beoordeling wacht op het"
        " antwoord"
    )
    ctx.queue(
        Mail(
            Kind.vraag_verwijzer,
            {
                "zaak": case.id,
                "rol": role_name(role),
                "vraag": vraag.tekst,
                "naam": greeting(case, record),
            },
            to=to,
            cc=cc,
            case_id=case.id,
            references=ctx.thread,
        )
    )


def answer_to_question(ctx: CaseContext) -> None:
    """The referrer answered: the request re-enters review in the same step."""
    case, sub = ctx.case, ctx.sub
    ctx.file_mail("antwoord verwijzer")
    store.forget_advices(ctx.s, case.id, case.stap)
    ctx.note("Antwoord van de verwijzer ontvangen; opnieuw ter beoordeling")
    steps.start(
        ctx.svc,
        ctx.s,
        case,
        sub.received_at,
        source=sub.source_ref,
        named={r: a[0] for r, a in case.adviseurs.items()},
        antwoord=advice_stage.own_text(sub.body),
    )
