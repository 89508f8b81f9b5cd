"""Decide stage: the advices on a case → the decision, once every adviser has answered.

Seed 001 step 5: when the beleidsadviseur and ICM disagree, the beleidsadviseur's
advice decides (the region profile names the deciding role). ICM's proposal of
product code and tariff is carried into the contract.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from .models import Advies, Tarief

ROLES = ("beleidsadviseur", "icm")


@dataclass(frozen=True)
class Decision:
    oordeel: Literal["positief", "negatief"]
    toelichting: Optional[str]
    eens: bool
    productcode: Optional[str]
    tarief: Optional[Tarief]


def decide(advices: dict[str, Advies], deciding_role: str = "beleidsadviseur") -> Optional[Decision]:
    """None while an adviser has not answered yet."""
    if any(role not in advices for role in ROLES):
        return None
    leading = advices[deciding_role]
    icm = advices["icm"]
    return Decision(
        oordeel=leading.oordeel,
        toelichting=leading.toelichting,
        eens=len({a.oordeel for a in advices.values()}) == 1,
        productcode=icm.productcode,
        tarief=icm.tarief,
    )
