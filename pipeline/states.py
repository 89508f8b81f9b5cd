"""A case's states, the moves between them and the groups other modules ask about:
defined here once."""

from __future__ import annotations

from enum import StrEnum, auto
from typing import Final


class CaseState(StrEnum):
    ontvangen = auto()
    geweigerd = auto()
    advies_gevraagd = auto()
    positief = auto()
    negatief = auto()
    contract_verstuurd = auto()
    getekend = auto()


S = CaseState
ALLOWED: Final[dict[CaseState | None, frozenset[CaseState]]] = {
    None: frozenset({S.ontvangen}),
    S.ontvangen: frozenset({S.geweigerd, S.advies_gevraagd}),
    S.advies_gevraagd: frozenset({S.positief, S.negatief}),
    S.positief: frozenset({S.contract_verstuurd}),
    S.negatief: frozenset(),
    S.contract_verstuurd: frozenset({S.getekend}),
    S.geweigerd: frozenset(),
    S.getekend: frozenset(),
}
# still moving: someone has to do or answer something
OPEN_STATES: Final = frozenset(
    {S.ontvangen, S.advies_gevraagd, S.positief, S.contract_verstuurd}
)
# a contract exists or is being made: the register index lists these
CONTRACT_STATES: Final = frozenset({S.positief, S.contract_verstuurd, S.getekend})
# a contract that was sent (and may be signed back): what can run out
ACTIVE_CONTRACT_STATES: Final = frozenset({S.contract_verstuurd, S.getekend})
# How a contract's state reads where people look (register, reports, `maatwerk
# status`): sent is not signed — a contract is "getekend" only once a signed copy came
# back (pipeline/signed.py).
CONTRACT_STATUS: Final = {
    S.positief: "positief, contract in de maak",
    S.contract_verstuurd: "verstuurd, nog niet getekend",
    S.getekend: "getekend",
}


class Received(StrEnum):
    """What became of an incoming mail or dropped file, as the store records it."""

    zaak = auto()  # a new case
    geweigerd = auto()  # a new case, refused
    antwoord = auto()  # an answer on a case
    dubbel = auto()  # the same form again
    geen_formulier = auto()  # no form (or a sender not allowed): held
    eigen_mail = auto()  # the product's own mail
    automatisch = auto()  # an automatic reply, noted on its case
    automatisch_onbekend = auto()  # an automatic reply without a case


# what stays in Quarantaine
HELD: Final = frozenset({Received.geen_formulier, Received.automatisch_onbekend})
