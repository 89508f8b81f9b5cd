"""The contract back: signed means signed. A returned file counts as the signed contract
only on evidence of a signature (pipeline/signed.py); otherwise ICM is asked to check
it, and its answer decides."""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import cast

from pipeline import signed, store
from pipeline.models import Attachment
from pipeline.register.folder import extension_for
from pipeline.states import CaseState
from pipeline.workdays import dutch_date
from pipeline.workflow.context import CaseContext
from pipeline.workflow.mails import Kind, Mail, about
from pipeline.workflow.people import is_icm, may_return_contract
from pipeline.workflow.steps import CONTENT_TYPES


def reply(ctx: CaseContext) -> bool:
    """A mail while the contract is out: the contract back from someone who may return
    it, or ICM's answer to "is this the signed contract?". False when it is neither."""
    if ctx.sub.attachments and may_return_contract(ctx.svc, ctx.case, ctx.sub.sender):
        returned(ctx)
        return True
    check = check_answered(ctx)
    if check is None:
        return False
    confirmation(ctx, check)
    return True


def returned(ctx: CaseContext) -> None:
    """Getekend only when a returned file carries a signature; otherwise the file is
    kept for a check and ICM is asked to confirm."""
    case, sub = ctx.case, ctx.sub
    sent = sent_contract(ctx)
    verdicts = [(att, signed.is_signed(att.content, sent)) for att in sub.attachments]
    if any(v.signed for _, v in verdicts):
        ctx.file_mail("mail getekend contract")
        for att, v in verdicts:
            if not v.signed:
                ctx.file(
                    "bijlage getekend contract", extension_for(att.content), att.content
                )
        why = next(v.reason for _, v in verdicts if v.signed)
        files = [att for att, v in verdicts if v.signed]
        is_signed(
            ctx,
            files,
            what=f"Getekende overeenkomst ontvangen van {sub.sender} ({why})",
        )
        return
    ctx.file_mail("mail retour contract")
    files = []
    for att, _ in verdicts:
        ext = extension_for(att.content)
        ctx.file("retour contract (controle)", ext, att.content)
        files.append(
            Attachment(
                f"retour contract {case.id}{ext}",
                att.content,
                CONTENT_TYPES.get(ext, "application/octet-stream"),
            )
        )
    reasons = "; ".join(dict.fromkeys(v.reason for _, v in verdicts))
    ctx.note(
        f"Contract terug van {sub.sender}, maar niet zeker getekend ({reasons}); ICM"
        " gevraagd het te controleren"
    )
    ctx.queue(
        Mail(
            Kind.contract_controle,
            about(case)
            | {"van": sub.sender or "onbekend", "reden": reasons, "opnieuw": False},
            to=ctx.svc.icm,
            case_id=case.id,
            attachments=files,
            references=ctx.thread,
        )
    )


def check_answered(ctx: CaseContext) -> store.OutboxMail | None:
    """The check ICM answers with this mail: the one it replies to, else (a new mail
    with the case number) the latest, when the mail clearly says 'getekend' or 'niet
    getekend'."""
    sub = ctx.sub
    if sub.attachments or not is_icm(ctx.svc, sub.sender):
        return None
    checks = store.case_mails_of_kind(ctx.s, ctx.case.id, Kind.contract_controle)
    replied = [c for c in checks if c.message_id in sub.in_reply_to[:1]] or [
        c for c in checks if c.message_id in sub.in_reply_to
    ]
    if replied:
        return replied[-1]
    if checks and signed.read_confirmation(sub.body) is not None:
        return checks[-1]
    return None


def confirmation(ctx: CaseContext, check: store.OutboxMail) -> None:
    """ICM's answer: getekend (the checked file becomes the signed contract), niet
    getekend (the case waits on), or unclear (asked again)."""
    case, sub = ctx.case, ctx.sub
    answer = signed.read_confirmation(sub.body)
    ctx.file_mail("controle contract icm")
    mail = message_from_bytes(check.raw, policy=policy.default)
    files = [
        Attachment(
            p.get_filename() or f"retour contract {case.id}",
            cast(bytes, p.get_payload(decode=True)),
            p.get_content_type(),
        )
        for p in mail.iter_attachments()
    ]
    if answer is True and files:
        returned_at = mail["Date"].datetime if mail["Date"] else sub.received_at
        is_signed(
            replace(ctx, day=ctx.svc.local_date(returned_at)),
            files,
            what=f"ICM ({sub.sender}) bevestigt dat het teruggestuurde contract"
            " getekend is",
            confirmed=True,
        )
        return
    if answer is False:
        ctx.note(
            f"ICM ({sub.sender}): het teruggestuurde contract is niet getekend; de zaak"
            " wacht op het getekende contract"
        )
        return
    ctx.note(
        f"Antwoord van ICM ({sub.sender}) op de controle van het teruggestuurde"
        " contract niet eenduidig; opnieuw gevraagd"
    )
    ctx.queue(
        Mail(
            Kind.contract_controle,
            about(case) | {"opnieuw": True},
            to=[sub.sender] if sub.sender else ctx.svc.icm,
            case_id=case.id,
            attachments=files,
            reply_to=sub,
        )
    )


def is_signed(
    ctx: CaseContext, files: list[Attachment], *, what: str, confirmed: bool = False
) -> None:
    """File the signed contract (kept after the retention period), close the case as
    getekend and tell the backoffice where it is."""
    svc, case = ctx.svc, ctx.case
    paths = [
        ctx.file("getekend contract", extension_for(f.content), f.content)
        for f in files
    ]
    case.getekend_op = ctx.day
    einde = case.einddatum
    ctx.transition(
        CaseState.getekend,
        f"{what}; loopt tot {einde.isoformat() if einde else 'onbekend'}",
    )
    root = svc.register.root
    where = paths[0].relative_to(root) if paths[0].is_relative_to(root) else paths[0]
    ctx.queue(
        Mail(
            Kind.contract_getekend,
            about(case)
            | {
                "bevestigd": confirmed,
                "einde": dutch_date(einde, weekday=False) if einde else "onbekend",
                "map": str(where),
            },
            to=list(svc.region.addresses("backoffice", case.gemeente)),
            case_id=case.id,
            references=ctx.thread,
        )
    )


def sent_contract(ctx: CaseContext) -> bytes | None:
    """The PDF rendition that went out in the package (None: only the .docx went, or no
    folder)."""
    case = ctx.case
    if not case.register_dir:
        return None
    document = ctx.svc.region.na_goedkeuring.document
    soort = "contract" if document == "maatwerkovereenkomst" else document
    name = re.compile(
        rf"^\d{{4}}-\d{{2}}-\d{{2}} {re.escape(soort)} {re.escape(case.id)}\.pdf$"
    )
    files = sorted(
        p
        for p in Path(case.register_dir).glob(f"* {soort} {case.id}.pdf")
        if name.match(p.name)
    )
    return files[-1].read_bytes() if files else None
