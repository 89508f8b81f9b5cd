"""A case's workflow steps, as the region's profile describes them: start a step (ask
its roles at once, with the deadline), and decide it once its answers are in."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.models import POSITIEF, Aanvraag, Advies, Attachment, Tarief
from pipeline.region.profile import Step
from pipeline.stages import render
from pipeline.stages import route as route_stage
from pipeline.stages.decide import Decision, decide
from pipeline.states import CaseState
from pipeline.workdays import dutch_date
from pipeline.workflow import documents, events
from pipeline.workflow.context import CaseContext
from pipeline.workflow.mails import Kind, Mail
from pipeline.workflow.people import (
    greeting,
    referrer_addresses,
    role_name,
    role_phrase,
)
from pipeline.workflow.services import Services

DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES: Final = {
    ".docx": DOCX,
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".rtf": "application/rtf",
}


def steps_of(svc: Services, record: Aanvraag) -> list[Step]:
    """The profile's steps that apply to this request, in order."""
    facts = route_stage.facts_of(record, svc.region)
    switches = {"coordinator_akkoord": svc.settings.advice.coordinator_akkoord}
    return route_stage.steps_for(svc.region, facts, switches)


def current_step(svc: Services, case: store.Case) -> Step:
    record = case.record
    assert record is not None
    return steps_of(svc, record)[case.stap]


def start(
    svc: Services,
    s: Session,
    case: store.Case,
    when: datetime,
    *,
    source: str,
    named: dict[str, str] | None = None,
    antwoord: str | None = None,
) -> None:
    """Ask the roles of the case's current step; the deadline counts from `when`."""
    record = case.record
    assert record is not None
    step = steps_of(svc, record)[case.stap]
    facts = route_stage.facts_of(record, svc.region)
    advisers = route_stage.route(svc.region, step, facts, named)
    case.adviseurs_json = json.dumps(advisers)
    case.stap_sinds = when
    case.vraag_van = None
    case.deadline = due = advice_deadline(svc, when, case.spoed)
    context = _request_context(svc, s, case, record, step, advisers) | {
        "antwoord": antwoord,
        "deadline": dutch_date(due),
    }
    g = svc.region.gemeenten.get(record.gemeente or "")
    asked = {x for v in advisers.values() for x in v}
    cc = [a for a in (g.cc if g else ()) if a not in asked]
    thread = [case.source_ref] if case.source_ref.startswith("<") else []
    thread += store.case_mail_ids(s, case.id)
    form = original_form(case)
    for role, addresses in advisers.items():
        svc.queue(
            s,
            Mail(
                Kind(step.soort),
                context | {"rol": role_name(role), "icm": role == "icm"},
                to=addresses,
                about=role,
                cc=cc,
                case_id=case.id,
                attachments=[form] if form else [],
                references=thread,
            ),
        )
    asked_text = "; ".join(
        f"{role_name(r)} ({', '.join(a)})" for r, a in advisers.items()
    )
    store.note(
        s,
        case,
        source=source,
        what=f"Stap '{step.naam}': gevraagd aan {asked_text}; uiterlijk"
        f" {due.isoformat()}",
    )
    events.happened(s, case.id, events.Event.advies_gevraagd, step.naam)


def advice_deadline(svc: Services, when: datetime, spoed: bool) -> date:
    """The advisers' deadline: 2 working days (urgent) or 5, counted from `when`."""
    adv = svc.settings.advice
    return svc.due_after(when, adv.days_spoed if spoed else adv.days_normal)


def _request_context(
    svc: Services,
    s: Session,
    case: store.Case,
    record: Aanvraag,
    step: Step,
    advisers: dict[str, list[str]],
) -> dict:
    """What the advice request says about the case."""
    adv = svc.settings.advice
    earlier = [
        f"{role_name(r)}: {a.oordeel}"
        + (f" – {a.toelichting}" if a.toelichting else "")
        for r, a in latest_advices(s, case, stap=None).items()
    ]
    previous = store.find_case(s, case.vorige_zaak) if case.vorige_zaak else None
    tarief = record.tarief
    return {
        "zaak": case.id,
        "gemeente": record.gemeente,
        "aanbieder": record.aanbieder.naam,
        "type_hulp": record.type_hulp,
        "productcode": record.productcode,
        "spoed": "ja" if case.spoed else "nee",
        "tarief": (
            f"{render.euro(tarief.bedrag)} per"
            f" {tarief.eenheid or '(eenheid niet ingevuld)'}"
            if tarief.bedrag
            else None
        ),
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
        "eerdere_adviezen": earlier,
        "verlenging": (
            f"{previous.id} ({previous.state}, {previous.startdatum or '?'} t/m"
            f" {previous.einddatum or '?'})"
            if previous
            else None
        ),
    }


def original_form(case: store.Case) -> Attachment | None:
    """The request form as filed, to send along with the advice request."""
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


def latest_advices(s: Session, case: store.Case, stap: int | None) -> dict[str, Advies]:
    """The latest answer per role, in step `stap` (None: all steps)."""
    store.reload_advices(s, case)
    out: dict[str, Advies] = {}
    for row in case.advices:  # ordered by id: a later answer replaces an earlier one
        if stap is not None and row.stap != stap:
            continue
        out[row.rol] = Advies.model_validate(
            {
                "oordeel": row.oordeel,
                "toelichting": row.toelichting,
                "productcode": row.productcode,
                "tarief": tariff_of(row),
            }
        )
    return out


def tariff_of(row: store.AdviceRow) -> Tarief | None:
    """The tariff an answer proposed, as stored."""
    if not row.tarief_bedrag:
        return None
    return Tarief.model_validate(
        {"bedrag": row.tarief_bedrag, "eenheid": row.tarief_eenheid}
    )


def decide_step(ctx: CaseContext, step: Step) -> None:
    """The step's decision once its answers allow one: the next step, or the outcome."""
    case, record = ctx.case, ctx.record
    decision = decide(
        step, list(case.adviseurs), latest_advices(ctx.s, case, case.stap)
    )
    if decision is None:
        return
    why = f"stap '{step.naam}': " + (
        "eensluidend"
        if decision.eens
        else f"verschillend; {role_name(step.besluit)} beslist"
    )
    if decision.oordeel == POSITIEF and case.stap + 1 < len(steps_of(ctx.svc, record)):
        ctx.note(f"Positief ({why}); volgende stap")
        case.stap += 1
        start(ctx.svc, ctx.s, case, ctx.sub.received_at, source=ctx.sub.source_ref)
        return
    if decision.oordeel == POSITIEF:
        ctx.transition(
            CaseState.positief,
            f"Besluit positief ({why})",
        )
        tell_advisers(ctx.svc, ctx.s, case, record, decision)
        documents.when_complete(ctx)
        return
    ctx.transition(
        CaseState.negatief,
        f"Besluit negatief ({why})",
    )
    tell_advisers(ctx.svc, ctx.s, case, record, decision)
    refuse(ctx, step, decision)


def refuse(ctx: CaseContext, step: Step, decision: Decision) -> None:
    """The refusal letter to the referrer, filed, with who judged and whom to ask."""
    svc, case, record = ctx.svc, ctx.case, ctx.record
    judged = list(dict.fromkeys(row.rol for row in case.advices))
    contact = role_phrase(step.besluit if step.besluit != "allen" else step.rollen[0])
    letter = render.refusal_context(
        case_id=case.id,
        record=record,
        decision=decision,
        mappings=svc.mappings,
        today=ctx.day,
        region_name=svc.region.naam,
        beoordelaars=[role_phrase(r) for r in judged],
        contact=contact,
    )
    files = documents.file_documents(
        ctx, {"afwijzingsbrief": svc.renderer.render("afwijzingsbrief", letter)}
    )
    to, cc = referrer_addresses(svc, case, record)
    ctx.queue(
        Mail(
            Kind.afwijzing,
            {
                "zaak": case.id,
                "naam": greeting(case, record),
                "gemeente": record.gemeente,
                "aanbieder": record.aanbieder.naam,
                "toelichting": decision.toelichting,
                "beoordeeld": letter["beoordeeld"],
                "contact": contact,
            },
            to=to,
            cc=cc,
            case_id=case.id,
            references=ctx.thread,
            attachments=files,
        )
    )


def tell_advisers(
    svc: Services, s: Session, case: store.Case, record: Aanvraag, decision: Decision
) -> None:
    """Every adviser of the case hears the outcome, with their own answer beside it."""
    store.reload_advices(s, case)
    own: dict[str, tuple[str, set[str]]] = {}
    for row in case.advices:  # by id: the latest answer of a role counts
        addresses = own.get(row.rol, ("", set()))[1]
        own[row.rol] = (
            row.oordeel,
            addresses | ({row.sender.lower()} if row.sender else set()),
        )
    for role, asked in case.adviseurs.items():
        own.setdefault(role, ("", set()))[1].update(a.lower() for a in asked)
    for role, (oordeel, addresses) in own.items():
        if not addresses:
            continue
        svc.queue(
            s,
            Mail(
                Kind.uitkomst,
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
                about=role,
                case_id=case.id,
                references=store.case_mail_ids(s, case.id),
            ),
        )


def final_decision(svc: Services, s: Session, case: store.Case) -> Decision:
    """The case's decision as its last step took it, with the latest proposal of product
    code and tariff of any step (ICM's, or its answer to the question for the tariff).
    """
    step = current_step(svc, case)
    # (latest_advices refreshes case.advices)
    decision = decide(step, list(case.adviseurs), latest_advices(s, case, case.stap))
    assert decision is not None
    code = next((r.productcode for r in reversed(case.advices) if r.productcode), None)
    row = next((r for r in reversed(case.advices) if r.tarief_bedrag), None)
    tarief = tariff_of(row) if row else None
    return Decision(decision.oordeel, decision.toelichting, decision.eens, code, tarief)
