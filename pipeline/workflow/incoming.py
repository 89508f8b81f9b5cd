"""What an incoming mail is, and where it goes: the product's own mail, an automatic
reply, a sender outside the allowlist, an answer on a case, a mail without a form, forms
received before, or new requests (each form its own case)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.models import Attachment, Submission
from pipeline.stages import intake
from pipeline.states import CaseState, Received
from pipeline.workflow import newcase, replies
from pipeline.workflow.mails import Kind, Mail
from pipeline.workflow.people import may_return_contract, role_of
from pipeline.workflow.services import Services

log = logging.getLogger(f"maatwerk.{__name__}")


@dataclass
class Outcome:
    """What became of an incoming item: `kind` is how the store records it (and why the
    access log says it was read); `case_ids` the cases it made or moved."""

    kind: Received
    case_ids: list[str] = field(default_factory=list)


# why the access log says a mail was read, by outcome
PROCESSED_BECAUSE: Final[dict[Received, str]] = {
    Received.zaak: "aanvraag ontvangen",
    Received.geweigerd: "aanvraag ontvangen en geweigerd",
    Received.antwoord: "antwoord in de zaak verwerkt",
    Received.dubbel: "hetzelfde formulier opnieuw ontvangen",
    Received.geen_formulier: "mail zonder formulier",
    Received.eigen_mail: "eigen mail van het product",
    Received.automatisch: "automatisch antwoord bij de zaak vastgelegd",
    Received.automatisch_onbekend: "automatisch antwoord zonder zaak",
}


def sort(svc: Services, s: Session, sub: Submission) -> Outcome:
    """One incoming mail, in the caller's transaction."""
    if is_own(svc, s, sub):
        log.info("the product's own mail in the inbox; not processed")
        return Outcome(Received.eigen_mail)
    if sub.automatic and not (sub.automatic == "automatisch" and sub.attachments):
        # (a system that mails forms by itself is still heard)
        return automatic(svc, s, sub)
    if not sender_allowed(svc, sub.sender):
        return not_allowed(svc, s, sub)
    case_id = store.case_for_message_ids(s, sub.in_reply_to) or intake.case_token(
        sub.subject
    )
    case = store.find_case(s, case_id) if case_id else None
    if case is not None:  # a reply: this worker alone changes the case until it commits
        case = store.lock_case(s, case.id)
    if case is not None and not is_new_request(svc, case, sub):
        replies.handle(svc, s, case, sub)
        return Outcome(Received.antwoord, [case.id])
    if not sub.attachments:
        return without_form(svc, s, sub)
    return forms(svc, s, sub)


def sender_allowed(svc: Services, sender: str | None) -> bool:
    allowed = [a.lower().lstrip("@") for a in svc.settings.intake.allowed_senders]
    if not allowed:
        return True
    address = (sender or "").lower()
    return address in allowed or address.rpartition("@")[2] in allowed


def is_own(svc: Services, s: Session, sub: Submission) -> bool:
    """A mail the product sent itself (its Message-ID or its From address): never input,
    whatever role addresses share the inbox."""
    mb = svc.settings.mailbox
    if sub.sender and sub.sender.lower() == mb.address.lower():
        return True
    mid = (sub.message_id or "").lower()
    return mid.endswith(f"@{mb.message_id_domain.lower()}>") or bool(
        sub.message_id and store.case_for_message_ids(s, [sub.message_id])
    )


def is_new_request(svc: Services, case: store.Case, sub: Submission) -> bool:
    """A form sent on an existing thread by someone who is no adviser (e.g. a corrected
    form in reply to a refusal) is a new request, not an answer on the old case."""
    if not sub.attachments or role_of(svc, case, sub.sender):
        return False
    if case.state == CaseState.positief.value and replies.waits_on(
        svc, case, sub.sender, None
    ):
        return False  # a corrected form with the provider data asked for
    return not (
        case.state == CaseState.contract_verstuurd.value
        and may_return_contract(svc, case, sub.sender)
    )


def automatic(svc: Services, s: Session, sub: Submission) -> Outcome:
    """An out-of-office reply, a delivery report or a read receipt: recorded on its
    case, ICM told once per case, sender and kind; nobody is answered."""
    assert sub.automatic is not None
    raw = sub.raw or b""
    ours = intake.message_ids_in(raw, svc.settings.mailbox.message_id_domain)
    case_id = (
        store.case_for_message_ids(s, sub.in_reply_to + ours)
        or intake.case_token(sub.subject)
        or intake.case_token(raw[:200_000].decode("utf-8", "replace"))
    )
    case = store.find_case(s, case_id) if case_id else None
    who = sub.automatic_for or sub.sender or "onbekend"
    what = {
        "afwezig": f"Automatisch antwoord (afwezig) van {who}",
        "niet bezorgd": f"Mail aan {who} niet bezorgd",
        "leesbevestiging": f"Leesbevestiging van {who}",
    }.get(sub.automatic, f"Automatische mail van {who}")
    told = {"wat": what, "soort": sub.automatic, "onderwerp": sub.subject[:120]}
    who_key = intake.sha256(who.encode())[:16]
    if case is None:
        if sub.automatic != "leesbevestiging" and store.claim_once(
            s, "automatisch", f"?:{sub.automatic}:{who_key}"
        ):
            svc.queue(
                s,
                Mail(Kind.automatisch, told | {"zaak": None}, to=svc.icm),
            )
        log.info("automatic mail without a case; kept in quarantine")
        return Outcome(Received.automatisch_onbekend)
    case = store.lock_case(s, case.id)
    folder = svc.case_folder(case)
    svc.register.file(
        folder, svc.local_date(sub.received_at), sub.automatic, case.id, ".eml", raw
    )
    store.note(
        s, case, source=sub.source_ref, what=f"{what} ontvangen; niet beantwoord"
    )
    if sub.automatic != "leesbevestiging" and store.claim_once(
        s, "automatisch", f"{case.id}:{sub.automatic[:6]}:{who_key}"
    ):
        svc.queue(
            s,
            Mail(
                Kind.automatisch,
                told | {"zaak": case.id},
                to=svc.icm,
                case_id=case.id,
                references=store.case_mail_ids(s, case.id),
            ),
        )
    return Outcome(Received.automatisch, [case.id])


def not_allowed(svc: Services, s: Session, sub: Submission) -> Outcome:
    svc.queue(
        s,
        Mail(
            Kind.afzender_niet_toegestaan,
            {"van": sub.sender or "onbekend", "onderwerp": sub.subject[:120]},
            to=svc.icm,
        ),
    )
    log.info("mail from a sender outside the allowlist; kept in quarantine, ICM told")
    return Outcome(Received.geen_formulier)


def without_form(svc: Services, s: Session, sub: Submission) -> Outcome:
    skipped = sub.niet_geopend if isinstance(sub, intake.MailSubmission) else []
    svc.queue(
        s,
        Mail(
            Kind.geen_formulier,
            {"onderwerp": sub.subject[:120], "redenen": skipped},
            to=[sub.sender] if sub.sender else [],
            template="niet_geopend" if skipped else "geen_formulier",
            reply_to=sub,
        ),
    )
    log.info("mail without a request form; sender told, mail kept in quarantine")
    return Outcome(Received.geen_formulier)


def forms(svc: Services, s: Session, sub: Submission) -> Outcome:
    """The mail's files: a case per new form (supporting documents filed with the
    first), forms received before noted, files over `[intake] max_formulieren` not read.
    """
    # the same file twice in one mail (under two names) is one form; same-named files
    # are all kept
    unique = list(
        {intake.sha256(a.content): a for a in reversed(sub.attachments)}.items()
    )
    known = [(att, store.case_with_form(s, digest)) for digest, att in unique[::-1]]
    earlier = [c for _, c in known if c is not None]
    new = [att for att, c in known if c is None]
    if not new:  # every form was received before: no new case
        return received_before(svc, s, sub, earlier)
    limit = svc.settings.intake.max_formulieren
    new, over = (
        new[:limit],
        new[limit:],
    )  # reading is costly: the rest is not read at all
    reads = [svc.read(att) for att in new]
    forms = [r for r in reads if r.unreadable is None]
    others = [r.attachment for r in reads if r.unreadable is not None]
    if not forms:  # nothing readable: one refused case, every file kept with it
        results = [newcase.create(svc, s, sub, reads[0], extra=others[1:])]
    else:  # a form with supporting documents (a letter, a report): filed with the case
        results = [
            newcase.create(svc, s, sub, r, extra=others if i == 0 else [])
            for i, r in enumerate(forms)
        ]
    case_ids = [c for c, _ in results]
    if over:
        too_many(svc, s, sub, case_ids, len(new) + len(over), over)
    return Outcome(
        Received.geweigerd if all(r for _, r in results) else Received.zaak, case_ids
    )


def received_before(
    svc: Services, s: Session, sub: Submission, earlier: list[store.Case]
) -> Outcome:
    for case in earlier:
        store.note(
            s,
            case,
            source=sub.source_ref,
            what="Hetzelfde formulier opnieuw ontvangen van"
            f" {sub.sender or 'onbekend'}; geen nieuwe zaak",
        )
    svc.queue(
        s,
        Mail(
            Kind.al_ontvangen,
            {"zaken": sorted({c.id for c in earlier}), "onderwerp": sub.subject[:120]},
            to=[sub.sender] if sub.sender else [],
            case_id=earlier[0].id,
            reply_to=sub,
        ),
    )
    return Outcome(Received.dubbel, [earlier[0].id])


def too_many(
    svc: Services,
    s: Session,
    sub: Submission,
    case_ids: list[str],
    count: int,
    over: list[Attachment],
) -> None:
    """More files in one mail than `[intake] max_formulieren`: the rest refused with the
    reason (they stay in the mail, which is kept), noted on the first case."""
    limit = svc.settings.intake.max_formulieren
    store.note(
        s,
        store.get_case(s, case_ids[0]),
        source=sub.source_ref,
        what=f"De mail had {count} bijlagen; {len(over)} niet verwerkt (ten hoogste"
        f" {limit} per mail)",
    )
    svc.queue(
        s,
        Mail(
            Kind.te_veel_formulieren,
            {
                "zaken": case_ids,
                "onderwerp": sub.subject[:120],
                "aantal": count,
                "max": limit,
                "niet_verwerkt": [att.filename[:100] for att in over],
            },
            to=[sub.sender] if sub.sender else [],
            case_id=case_ids[0],
            reply_to=sub,
        ),
    )
    log.info("mail with %d files: %d not read (limit %d)", count, len(over), limit)
