"""A new case from one form, as an ordered list of named steps:

    read form → validate → file originals → (refused: the sender told) →
    note crisis / JR / an earlier case → route → start the first step → receipt

A form our readers failed on (a fault of ours) is taken in all the same: ICM reads it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.errors import ConfigError
from pipeline.models import Aanvraag, Attachment, Extraction, Melding, Submission
from pipeline.readers.value import CERTAIN
from pipeline.register.folder import extension_for
from pipeline.stages import intake, provider_data
from pipeline.stages.validate import earlier_case_warnings, has_errors, validate
from pipeline.states import CaseState
from pipeline.workdays import dutch_date
from pipeline.workflow import events, steps
from pipeline.workflow.mails import Kind, Mail
from pipeline.workflow.people import (
    greeting,
    named_roles,
    referrer_addresses,
    role_name,
)
from pipeline.workflow.services import FormRead, Services

log = logging.getLogger(f"maatwerk.{__name__}")


@dataclass
class NewCase:
    svc: Services
    s: Session
    sub: Submission
    read: FormRead
    case: store.Case
    extra: list[Attachment]
    meldingen: list[Melding] = field(default_factory=list)
    folder: Path = Path()
    day: date = date.min

    @property
    def extraction(self) -> Extraction | None:
        return self.read.extraction

    @property
    def att(self) -> Attachment:
        return self.read.attachment

    @property
    def record(self) -> Aanvraag:
        assert self.extraction is not None
        return self.extraction.record

    def note(self, what: str) -> None:
        store.note(self.s, self.case, source=self.sub.source_ref, what=what)


def create(
    svc: Services,
    s: Session,
    sub: Submission,
    read: FormRead,
    extra: list[Attachment] | None = None,
) -> tuple[str, bool]:
    """A case for one form; returns (case id, refused)."""
    att = read.attachment
    case = store.create_case(
        s,
        received_at=sub.received_at,
        year=svc.local_date(sub.received_at).year,
        source=sub.source,
        source_ref=sub.source_ref,
        sender=sub.sender,
        form_filename=att.filename,
        form_sha256=intake.sha256(att.content),
        what=f"Aanvraag ontvangen via {'mail' if sub.source == 'mail' else 'dropmap'}",
    )
    events.moved(s, case.id, CaseState.ontvangen)
    new = NewCase(svc, s, sub, read, case, extra or [])
    if read.by_hand:
        return by_hand(new), False
    validate_form(new)
    file_originals(new)
    file_record(new)
    if has_errors(new.meldingen):
        refuse(new)
        return case.id, True
    note_facts(new)
    route(new)
    receipt(new)
    return case.id, False


def validate_form(new: NewCase) -> None:
    """The region's rules on what was read; an unreadable file: one blocking finding."""
    extraction, case, s = new.extraction, new.case, new.s
    if extraction is None:
        reason = new.read.unreadable or ""
        new.meldingen = [Melding(veld=None, ernst="fout", tekst=reason)]
    else:
        record = extraction.record
        today = new.svc.local_date(new.sub.received_at)
        new.meldingen = extraction.meldingen + validate(
            record, new.svc.mappings, today, extraction.confidence
        )
        if record.zorgned_nummer:
            earlier = [
                (c.id, c.aanbieder, c.startdatum, c.einddatum)
                for c in store.cases_of_client(
                    s, record.zorgned_nummer, exclude=case.id
                )
            ]
            new.meldingen += earlier_case_warnings(record, earlier)
        case.gemeente = record.gemeente
        case.aanbieder = record.aanbieder.naam
        case.spoed = bool(record.spoed)
        case.zorgned_nummer = record.zorgned_nummer
        case.startdatum, case.einddatum = record.startdatum, record.einddatum
        case.record_json = record.model_dump_json()
    case.meldingen_json = json.dumps(
        [m.model_dump() for m in new.meldingen], ensure_ascii=False
    )


def file_originals(new: NewCase) -> None:
    """The form, the mail it came in and the files beside it, in the case's register
    folder. The mail is stored once, however many cases it made: the others link to it.
    """
    svc, sub, case = new.svc, new.sub, new.case
    register = svc.register
    new.folder = folder = register.new_case_dir(case.year, case.gemeente, case.id)
    case.register_dir = str(folder)
    new.day = day = svc.local_date(sub.received_at)
    content = new.att.content
    register.file(
        folder, day, "aanvraagformulier", case.id, extension_for(content), content
    )
    if sub.raw:
        filed = svc.mail_filed.get(sub.dedupe_key)
        if filed is not None and filed.exists():
            register.refer(filed, folder, day, "aanvraagmail", case.id, ".eml")
        else:
            path = register.file(folder, day, "aanvraagmail", case.id, ".eml", sub.raw)
            svc.mail_filed = {sub.dedupe_key: path}
    for n, other in enumerate(new.extra, start=1):
        ext = extension_for(other.content)
        register.file(folder, day, f"bijlage {n}", case.id, ext, other.content)


def file_record(new: NewCase) -> None:
    """The record as read, with its findings, beside the form."""
    extraction = new.extraction
    if extraction:
        meldingen = [m.model_dump() for m in new.meldingen]
        data = json.dumps(
            extraction.as_json_dict() | {"meldingen": meldingen},
            ensure_ascii=False,
            indent=2,
        ).encode()
        new.svc.register.file(
            new.folder, new.day, "gegevens", new.case.id, ".json", data
        )
    layout = extraction.layout if extraction else "-"
    log.debug(
        "case %s created from %s (layout %s)", new.case.id, new.sub.source, layout
    )


def salutation(new: NewCase) -> str:
    """The person addressed, by a name read with certainty."""
    extraction = new.extraction
    sure = (
        extraction is not None
        and extraction.confidence.get("contactpersoon.naam", 1.0) >= CERTAIN
    )
    record = extraction.record if extraction and sure else None
    return greeting(new.case, record, new.sub.sender_name)


def refuse(new: NewCase) -> None:
    """A blocking finding: refused, and the refusal goes back to whoever sent it."""
    case, sub = new.case, new.sub
    errors = [m.tekst for m in new.meldingen if m.ernst == "fout"]
    store.transition(
        new.s,
        case,
        CaseState.geweigerd,
        source=sub.source_ref,
        what="Geweigerd: " + "; ".join(errors),
    )
    events.moved(new.s, case.id, CaseState.geweigerd)
    if sub.sender:
        new.svc.queue(
            new.s,
            Mail(
                Kind.geweigerd,
                {
                    "zaak": case.id,
                    "naam": salutation(new),
                    "fouten": errors,
                    "waarschuwingen": [
                        m.tekst for m in new.meldingen if m.ernst == "waarschuwing"
                    ],
                },
                to=[sub.sender],
                case_id=case.id,
                reply_to=sub,
            ),
        )
    log.debug("case %s refused (%d problems)", case.id, len(errors))


def note_facts(new: NewCase) -> None:
    """Crisis (care may start at once), a JR measure, and an earlier case of the same
    client and provider (possibly an extension), in the case history."""
    case, record = new.case, new.record
    assert new.extraction is not None
    case.crisis = "crisis" in new.extraction.kenmerken
    if case.crisis:
        case.spoed = True
        new.note(
            "Crisis: de zorg mag direct starten; de aanvraag wordt achteraf verwerkt"
        )
    if record.maatregel == "JR":
        new.note(
            "JR-maatregel: de GI mag zelf de aanbieder kiezen, ook een"
            " niet-gecontracteerde"
        )
    earlier = store.earlier_case(
        new.s, record.zorgned_nummer, record.aanbieder.naam, exclude=case.id
    )
    if earlier is not None:
        case.vorige_zaak = earlier.id
        new.note(
            f"Gekoppeld aan eerdere zaak {earlier.id} (zelfde cliënt en aanbieder;"
            " mogelijk verlenging)"
        )


def route(new: NewCase) -> None:
    """The profile's first step for this request begins: its roles are asked."""
    svc, case, sub = new.svc, new.case, new.sub
    if not steps.steps_of(svc, new.record):
        raise ConfigError(
            f"Regioprofiel {svc.region.naam}: geen stap voor deze aanvraag."
        )
    store.transition(
        new.s,
        case,
        CaseState.advies_gevraagd,
        source=sub.source_ref,
        what="Aanvraag compleet; de eerste stap begint",
    )
    steps.start(
        svc,
        new.s,
        case,
        sub.received_at,
        source=sub.source_ref,
        named=named_roles(svc, sub),
    )


def receipt(new: NewCase) -> None:
    """The receipt: the advisers' deadline, the warnings, what is still missing."""
    case, record = new.case, new.record
    assert case.deadline is not None  # the first step has begun
    to, cc = referrer_addresses(new.svc, case, record)
    new.svc.queue(
        new.s,
        Mail(
            Kind.ontvangen,
            {
                "zaak": case.id,
                "naam": salutation(new),
                "gemeente": record.gemeente,
                "aanbieder": record.aanbieder.naam,
                "deadline": dutch_date(case.deadline),
                "meldingen": [
                    m.tekst for m in new.meldingen if m.ernst == "waarschuwing"
                ],
                "adviseurs": ", ".join(role_name(r) for r in case.adviseurs),
                "ontbrekend": provider_data.missing_provider_data(record),
            },
            to=to,
            cc=cc,
            case_id=case.id,
            reply_to=new.sub,
        ),
    )


def by_hand(new: NewCase) -> str:
    """A form the readers failed on (a fault of ours): the case waits in `ontvangen`,
    ICM gets the form to read by hand, the sender a receipt that says so. Nothing
    refused."""
    svc, sub, case = new.svc, new.sub, new.case
    file_originals(new)
    new.note("Formulier kon niet automatisch worden gelezen; ICM leest het handmatig")
    svc.queue(
        new.s,
        Mail(
            Kind.handmatig_lezen,
            {"zaak": case.id, "van": sub.sender or "de dropmap"},
            to=svc.icm,
            case_id=case.id,
            attachments=[new.att],
        ),
    )
    if sub.sender:
        svc.queue(
            new.s,
            Mail(
                Kind.ontvangen,
                {"zaak": case.id, "naam": "aanvrager"},
                to=[sub.sender],
                template="ontvangen_handmatig",
                case_id=case.id,
                reply_to=sub,
            ),
        )
    log.warning("case %s: form not read automatically; ICM reads it by hand", case.id)
    return case.id
