"""The mails the workflow sends: each kind once, with its template(s) in
`templates/mail/`. The kind is stored with the queued mail: the outbox is searched by it
(the contract package that went, the check ICM answers) and an incoming mail is answered
once per kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from pipeline.models import Attachment, Submission

if TYPE_CHECKING:
    from pipeline.store import Case


class Kind(StrEnum):
    # to the referrer
    ontvangen = "ontvangen"
    geweigerd = "geweigerd"
    geen_formulier = "geen-formulier"
    al_ontvangen = "al-ontvangen"
    te_veel_formulieren = "te-veel-formulieren"
    niet_verwerkt = "niet-verwerkt"
    vraag_verwijzer = "vraag-verwijzer"
    gegevens_gevraagd = "gegevens-gevraagd"
    afwijzing = "afwijzing"
    herinnering_contract = "herinnering-contract"
    # to the advisers (suffixed with the role)
    advies = "advies"
    akkoord = "akkoord"
    herinnering = "herinnering"
    uitkomst = "uitkomst"
    advies_onduidelijk = "advies-onduidelijk"
    # to ICM, the escalation roles and the backoffice
    handmatig_lezen = "handmatig-lezen"
    niet_verwerkt_icm = "niet-verwerkt-icm"
    automatisch = "automatisch"
    afzender_niet_toegestaan = "afzender-niet-toegestaan"
    onbekende_afzender = "onbekende-afzender"
    ongeverifieerd = "ongeverifieerd"  # (suffixed with the mail's key)
    advies_voorwaarde = "advies-voorwaarde"
    waarde_gevraagd = "waarde-gevraagd"
    waarde_onduidelijk = "waarde-onduidelijk"
    escalatie = "escalatie"
    contractpakket = "contractpakket"
    contract_controle = "contract-controle"  # asks ICM whether a return is signed
    contract_getekend = "contract-getekend"
    rapport_verlopend = "rapport-verlopend"


# each kind's templates; the first is the one used unless the mail names another
TEMPLATES: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.ontvangen: ("ontvangstbevestiging", "ontvangen_handmatig"),
    Kind.geweigerd: ("geweigerd",),
    Kind.geen_formulier: ("geen_formulier", "niet_geopend"),
    Kind.al_ontvangen: ("al_ontvangen",),
    Kind.te_veel_formulieren: ("te_veel_formulieren",),
    Kind.niet_verwerkt: ("niet_verwerkt",),
    Kind.vraag_verwijzer: ("vraag_aan_verwijzer",),
    Kind.gegevens_gevraagd: ("gegevens_gevraagd",),
    Kind.afwijzing: ("afwijzing",),
    Kind.herinnering_contract: ("herinnering_contract",),
    Kind.advies: ("adviesaanvraag",),
    Kind.akkoord: ("akkoordverzoek",),
    Kind.herinnering: ("herinnering",),
    Kind.uitkomst: ("uitkomst",),
    Kind.advies_onduidelijk: ("advies_onduidelijk",),
    Kind.handmatig_lezen: ("handmatig_lezen",),
    Kind.niet_verwerkt_icm: ("niet_verwerkt_icm",),
    Kind.automatisch: ("automatisch_antwoord",),
    Kind.afzender_niet_toegestaan: ("afzender_niet_toegestaan",),
    Kind.onbekende_afzender: ("antwoord_onbekende_afzender",),
    Kind.ongeverifieerd: ("niet_geverifieerd",),
    Kind.advies_voorwaarde: ("advies_voorwaarde",),
    Kind.waarde_gevraagd: ("waarde_gevraagd",),
    Kind.waarde_onduidelijk: ("waarde_onduidelijk",),
    Kind.escalatie: ("escalatie",),
    Kind.contractpakket: ("contractpakket", "opdrachtbevestiging"),
    Kind.contract_controle: ("contract_controle",),
    Kind.contract_getekend: ("contract_getekend",),
    Kind.rapport_verlopend: ("verlopend",),
}


@dataclass
class Mail:
    """One mail to queue: its kind (and for whom or what, `about`), the template's
    context, and where it goes."""

    kind: Kind
    context: dict
    to: list[str]
    about: str | None = None  # the role asked, or the key of the mail it is about
    template: str | None = None  # one of the kind's templates (default: its first)
    case_id: str | None = None
    cc: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: Submission | None = (
        None  # the mail this answers (threaded, answered once)
    )
    references: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        templates = TEMPLATES[self.kind]
        self.template = self.template or templates[0]
        if self.template not in templates:
            raise ValueError(f"template {self.template} is not one of {self.kind}")

    @property
    def stored_kind(self) -> str:
        """The kind as the outbox stores it: 'advies-icm', 'ongeverifieerd-3f2a…'."""
        return f"{self.kind}-{self.about}" if self.about else str(self.kind)


def about(case: Case) -> dict[str, str | None]:
    """What every mail about a case names: its number, gemeente and provider."""
    return {"zaak": case.id, "gemeente": case.gemeente, "aanbieder": case.aanbieder}
