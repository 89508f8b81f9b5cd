"""What the documents need from the provider, one table: the `Aanbieder` field, the
Dutch phrase that asks the referrer for it when the form left it out (the mail 'these
provider data are missing', the case history), and the label words the referrer's reply
gives it under (pipeline/readers/reply.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from pipeline.models import Aanvraag


@dataclass(frozen=True)
class ProviderField:
    """A provider field the documents need."""

    key: str  # the `Aanbieder` field
    question: str  # what the referrer is asked for, in Dutch
    label: re.Pattern[str]  # the label words a reply line gives it under
    # read before the others: an 'IBAN op naam van' line is a name, not an IBAN
    read_first: bool = False


# In the order the referrer is asked.
PROVIDER_FIELDS: Final[tuple[ProviderField, ...]] = (
    ProviderField(
        "kvk",
        "het KvK-nummer",
        re.compile(r"\bkvk\b|kamer van koophandel|handelsregister", re.I),
    ),
    ProviderField("agb_code", "de AGB-code", re.compile(r"\bagb\b", re.I)),
    ProviderField(
        "iban",
        "het IBAN",
        re.compile(r"\biban\b|rekeningnummer|bankrekening", re.I),
    ),
    ProviderField(
        "rekeninghouder",
        "de tenaamstelling van de rekening (naam van de rekeninghouder)",
        re.compile(
            r"tenaamstelling|rekeninghouder|op naam van|naam (van de )?rekening", re.I
        ),
        read_first=True,
    ),
    ProviderField(
        "adres",
        "het adres van de aanbieder (straat, huisnummer, postcode en plaats)",
        re.compile(r"\badres\b|vestigingsadres|bezoekadres|postadres|gevestigd", re.I),
    ),
)


def missing_provider_data(record: Aanvraag) -> list[str]:
    """What the referrer still has to give before the contract can be made, as Dutch
    phrases."""
    return [f.question for f in PROVIDER_FIELDS if not getattr(record.aanbieder, f.key)]


def questions(keys: Collection[str]) -> list[str]:
    """The Dutch phrases of these provider fields, in the order the referrer is asked
    ('het KvK-nummer', 'het IBAN')."""
    return [f.question for f in PROVIDER_FIELDS if f.key in keys]
