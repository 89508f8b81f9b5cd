"""After approval: no document before its data is complete (the provider data asked of
the referrer, a value that cannot be computed of ICM), then the region's package filled,
filed as .docx and PDF/A and sent."""

from __future__ import annotations

import logging

from pipeline.convert import to_pdf
from pipeline.errors import ConversionFailed
from pipeline.models import POSITIEF, Advies, Attachment
from pipeline.readers.reply import provider_data as provider_data_in
from pipeline.stages import advice as advice_stage
from pipeline.stages import provider_data, render
from pipeline.stages import route as route_stage
from pipeline.stages.decide import Decision
from pipeline.states import CaseState
from pipeline.workflow import steps
from pipeline.workflow.context import CaseContext
from pipeline.workflow.mails import Kind, Mail
from pipeline.workflow.people import greeting, referrer_addresses, role_name

log = logging.getLogger(f"maatwerk.{__name__}")


def when_complete(ctx: CaseContext) -> None:
    """The documents once their data are complete; else the missing data asked for."""
    svc, case, record = ctx.svc, ctx.case, ctx.record
    decision = steps.final_decision(svc, ctx.s, case)
    missing = provider_data.missing_provider_data(record)
    if missing:
        _ask_provider_data(ctx, missing)
        return
    value = render.contract_value(
        render.chosen_tariff(decision, record), record, svc.region.omrekening
    )
    if value.total is None:
        case.vraag_van = "icm"
        ctx.note(
            f"Waarde niet te berekenen ({value.working}); ICM gevraagd om tarief en"
            " eenheid"
        )
        inzet = _contract_context(ctx, decision)["inzet"]
        ctx.queue(
            Mail(
                Kind.waarde_gevraagd,
                {
                    "zaak": case.id,
                    "aanbieder": record.aanbieder.naam,
                    "gemeente": record.gemeente,
                    "reden": value.working,
                    "inzet": inzet or "niet ingevuld",
                },
                to=svc.icm,
                case_id=case.id,
                references=ctx.thread,
            )
        )
        return
    case.vraag_van = None
    after_approval(ctx, decision)


def _ask_provider_data(ctx: CaseContext, missing: list[str]) -> None:
    svc, case, record = ctx.svc, ctx.case, ctx.record
    case.vraag_van = "verwijzer"
    to, cc = referrer_addresses(svc, case, record)
    asked = (
        f"; gevraagd aan {', '.join(to)}"
        if to
        else "; geen adres om het te vragen, ICM ingelicht"
    )
    ctx.note("Voor de overeenkomst ontbreekt nog: " + ", ".join(missing) + asked)
    ctx.queue(
        Mail(
            Kind.gegevens_gevraagd,
            {
                "zaak": case.id,
                "naam": greeting(case, record),
                "aanbieder": record.aanbieder.naam,
                "ontbrekend": missing,
                "aan_regioteam": not to,
            },
            to=to or svc.icm,
            cc=cc,
            case_id=case.id,
            references=ctx.thread,
        )
    )


def completion(ctx: CaseContext) -> bool:
    """An answer that completes the case's data: the referrer's provider data (in the
    mail's own text or a corrected form), or ICM's tariff. False when a mail during the
    advice gives none of the data (it is then handled as any other mail)."""
    if ctx.case.vraag_van == "icm":
        _tariff_from_icm(ctx)
        return True
    case, record, sub = ctx.case, ctx.record, ctx.sub
    reads = [ctx.svc.read(att).extraction for att in sub.attachments]
    forms = [r.record for r in reads if r is not None]
    taken = provider_data_in(advice_stage.own_text(sub.body), forms)
    filled = {k: v for k, v in taken.items() if not getattr(record.aanbieder, k)}
    if not filled and case.state != CaseState.positief.value:
        return False
    ctx.file_mail("gegevens aanbieder")
    if filled:
        record = record.model_copy(
            update={"aanbieder": record.aanbieder.model_copy(update=filled)}
        )
        case.record_json = record.model_dump_json()
        names = provider_data.questions(filled)
        ctx.note("Aangevuld door de verwijzer: " + ", ".join(names))
    else:
        ctx.note("Antwoord van de verwijzer bevat geen van de gevraagde gegevens")
    ctx.s.flush()
    if case.state == CaseState.positief.value:
        when_complete(ctx)
    return True


def _tariff_from_icm(ctx: CaseContext) -> None:
    from pipeline.workflow.replies import record_advice

    sub = ctx.sub
    code, tarief = advice_stage.proposal(sub.body)
    if tarief is None or tarief.eenheid is None:
        ctx.queue(
            Mail(
                Kind.waarde_onduidelijk,
                {"zaak": ctx.case.id},
                to=[sub.sender] if sub.sender else [],
                case_id=ctx.case.id,
                reply_to=sub,
            )
        )
        ctx.note(
            f"Antwoord van {sub.sender} geeft geen tarief met eenheid; opnieuw gevraagd"
        )
        return
    ctx.file_mail("tarief icm")
    advies = Advies(
        oordeel=POSITIEF,
        toelichting="Tarief voor de overeenkomst",
        productcode=code,
        tarief=tarief,
    )
    record_advice(ctx, "icm", advies)
    ctx.s.flush()
    when_complete(ctx)


def _contract_context(ctx: CaseContext, decision: Decision) -> dict:
    return render.contract_context(
        case_id=ctx.case.id,
        record=ctx.record,
        decision=decision,
        mappings=ctx.svc.mappings,
        today=ctx.day,
        region_name=ctx.svc.region.naam,
    )


def after_approval(ctx: CaseContext, decision: Decision) -> None:
    """The region's contract package (ZOU, Rijk van Nijmegen) or opdrachtbevestiging
    (RIOZ), filed and sent; the case is then contract_verstuurd."""
    svc, case, record = ctx.svc, ctx.case, ctx.record
    after = svc.region.na_goedkeuring
    filled = _contract_context(ctx, decision)
    files = file_documents(
        ctx,
        {
            after.document: svc.renderer.render(after.document, filled),
            "leveranciersformulier": svc.renderer.render(
                "leveranciersformulier", filled
            ),
        },
    )
    case.productcode = filled["productcode"]
    case.waarde = str(filled["waarde"]) if filled["waarde"] is not None else None
    case.ondertekenaar = filled["ondertekenaar"]
    to, cc = _package_addresses(ctx)
    beslisser = steps.current_step(svc, case).besluit
    ctx.queue(
        Mail(
            Kind.contractpakket,
            {
                "zaak": case.id,
                "gemeente": record.gemeente,
                "aanbieder": record.aanbieder.naam,
                "eens": decision.eens,
                "ondertekenaar": filled["ondertekenaar"],
                "totaal": filled["totaal"],
                "productcode": filled["productcode"],
                "toelichting": after.toelichting,
                "beslisser": role_name(beslisser) if not decision.eens else None,
            },
            to=to,
            template="contractpakket"
            if after.document == "maatwerkovereenkomst"
            else "opdrachtbevestiging",
            cc=cc,
            case_id=case.id,
            references=ctx.thread,
            attachments=files,
        )
    )
    ctx.transition(
        CaseState.contract_verstuurd,
        f"{after.document} en leveranciersformulier verstuurd aan"
        f" {', '.join(to + cc)}; totale waarde {filled['totaal']}; ondertekenaar"
        f" {filled['ondertekenaar']}",
    )


def _package_addresses(ctx: CaseContext) -> tuple[list[str], list[str]]:
    """Whom the package goes to, as the profile says, and who gets a copy."""
    svc, record = ctx.svc, ctx.record
    after = svc.region.na_goedkeuring
    referrer, referrer_cc = referrer_addresses(svc, ctx.case, record)
    to: list[str] = []
    for who in after.aan:
        to += (
            referrer
            if who == "verwijzer"
            else svc.region.addresses(who, record.gemeente)
        )
    facts = route_stage.facts_of(record, svc.region)
    copy = after.cc_verwijzer_als is not None and facts.matches(after.cc_verwijzer_als)
    cc = [a for a in referrer if a not in to] if copy else []
    if "verwijzer" in after.aan or cc:
        cc += [a for a in referrer_cc if a not in to + cc]
    return list(dict.fromkeys(to)), cc


def file_documents(ctx: CaseContext, documents: dict[str, bytes]) -> list[Attachment]:
    """File generated documents as .docx and PDF/A; returns them as mail attachments
    (PDF first). When LibreOffice fails twice the case goes on with the .docx files and
    the history says so."""
    try:
        pdfs = to_pdf(documents)
    except ConversionFailed as exc:
        pdfs = {}
        ctx.note(f"PDF-versie niet gemaakt ({exc}); alleen .docx verstuurd")
        log.warning("case %s: PDF rendition failed; docx only", ctx.case.id)
    attachments = []
    for name, content in documents.items():
        soort = "contract" if name == "maatwerkovereenkomst" else name
        for ext, data, ctype in (
            (".pdf", pdfs.get(name), "application/pdf"),
            (".docx", content, steps.DOCX),
        ):
            if data is None:
                continue
            ctx.file(soort, ext, data)
            attachments.append(
                Attachment(f"{ctx.day:%Y-%m-%d} {name} {ctx.case.id}{ext}", data, ctype)
            )
    return sorted(attachments, key=lambda a: not a.filename.endswith(".pdf"))
