"""Who is who on a case: the roles' Dutch names, the referrer (one rule), the adviser a
sender is, and who may send the contract back."""

from __future__ import annotations

from typing import Final

from pipeline import store
from pipeline.models import Aanvraag, Submission
from pipeline.workflow.services import Services

ROLE_NAMES: Final = {
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


def referrer_known(case: store.Case, record: Aanvraag | None) -> set[str]:
    """The referrer's addresses, lower case: whoever sent the request (its From) and the
    form's contact person. The one rule of who the referrer is."""
    contact = record.contactpersoon.email if record else None
    return {a.lower() for a in (case.sender, contact) if a}


def is_referrer(case: store.Case, sender: str | None) -> bool:
    if not sender:
        return False
    return sender.lower() in referrer_known(case, case.record)


def referrer_addresses(
    svc: Services, case: store.Case, record: Aanvraag | None
) -> tuple[list[str], list[str]]:
    """(to, cc) for the referrer's mails: whoever sent the request; the form's contact
    in copy only when the address is of one of the region's own organisations (an
    address typed in a form that nobody checked gets no client data). A dropped file has
    no sender: then the contact alone, on the same condition."""
    contact = (
        record.contactpersoon.email if record and record.contactpersoon.email else None
    )
    trusted = svc.region.domains | {
        a.lower().lstrip("@").rpartition("@")[2]
        for a in svc.settings.intake.allowed_senders
    }
    ours = contact is not None and contact.lower().rpartition("@")[2] in trusted
    if case.sender:
        copy = ours and contact is not None and contact.lower() != case.sender.lower()
        return [case.sender], [contact] if copy and contact else []
    return ([contact] if ours and contact else []), []


def referrer(svc: Services, case: store.Case, record: Aanvraag | None) -> str | None:
    """The one address the referrer's mails go to (see `referrer_addresses`)."""
    return next(iter(referrer_addresses(svc, case, record)[0]), None)


def greeting(
    case: store.Case, record: Aanvraag | None, sender_name: str | None = None
) -> str:
    """Whom 'Beste …,' names: the form's contact when the mail goes to them, else the
    sender's own name from the From header, else no name."""
    contact = record.contactpersoon if record else None
    if (
        contact
        and contact.naam
        and (not case.sender or (contact.email or "").lower() == case.sender.lower())
    ):
        return contact.naam
    return sender_name or "aanvrager"


def is_icm(svc: Services, sender: str | None) -> bool:
    if not sender:
        return False
    return sender.lower() in {a.lower() for a in svc.region.icm}


def role_of(svc: Services, case: store.Case, sender: str | None) -> str | None:
    """The role the sender holds on this case: asked in the current step, else by the
    profile."""
    if not sender:
        return None
    for role, addresses in case.adviseurs.items():
        if sender.lower() in (a.lower() for a in addresses):
            return role
    return svc.region.role_of(sender, case.gemeente)


def named_roles(svc: Services, sub: Submission) -> dict[str, str]:
    """Roles the referrer chose by addressing the mail (e.g. a poortwachter in Cc)."""
    region = svc.region
    roles = {
        r
        for step in region.stappen
        for r in step.rollen + tuple(x for e in step.extra for x in e.rollen)
    }
    out: dict[str, str] = {}
    for address in sub.recipients:
        for role in sorted(roles):
            if address.lower() in {a.lower() for a in region.all_addresses(role)}:
                out.setdefault(role, address)
    return out


def may_return_contract(svc: Services, case: store.Case, sender: str | None) -> bool:
    """The beleidsadviseur or ICM (forwarding it), the backoffice, or the referrer."""
    if not sender:
        return False
    if svc.region.role_of(sender, case.gemeente):
        return True
    allowed = {a.lower() for a in svc.region.addresses("backoffice", case.gemeente)}
    return sender.lower() in allowed | referrer_known(case, case.record)
