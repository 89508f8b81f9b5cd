"""Decide stage: the answers in one workflow step → the step's decision, once it can be
made.

Seed 001 step 5: when the beleidsadviseur and ICM disagree, the beleidsadviseur's advice
decides (the step's `besluit` names the deciding role). With `besluit = "allen"` every
role must agree: one negative answer decides at once. ICM's proposal of product code and
tariff is carried into the contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import NEGATIEF, POSITIEF, Advies, Oordeel, Tarief
from pipeline.region.profile import Step


@dataclass(frozen=True)
class Decision:
    """A step's decision: the verdict, its explanation, whether the advisers agreed,
    and ICM's proposal of product code and tariff (None when there was none)."""

    oordeel: Oordeel
    toelichting: str | None
    eens: bool
    productcode: str | None
    tarief: Tarief | None


def decide(step: Step, roles: list[str], advices: dict[str, Advies]) -> Decision | None:
    """The decision of a step from its roles' advices (`advices` by role); None while
    the step still waits for an answer that matters. Never raises."""
    answered = {role: advices[role] for role in roles if role in advices}
    proposal = next((a for a in answered.values() if a.productcode or a.tarief), None)
    code, tarief = (proposal.productcode, proposal.tarief) if proposal else (None, None)
    eens = len({a.oordeel for a in answered.values()}) <= 1
    if step.besluit == "allen":
        negative = next((a for a in answered.values() if a.oordeel == NEGATIEF), None)
        if negative is not None:
            return Decision(NEGATIEF, negative.toelichting, eens, code, tarief)
        if len(answered) < len(roles):
            return None
        return Decision(
            POSITIEF,
            "; ".join(a.toelichting for a in answered.values() if a.toelichting)
            or None,
            eens,
            code,
            tarief,
        )
    if len(answered) < len(roles):
        return None
    leading = answered.get(step.besluit) or next(iter(answered.values()))
    return Decision(leading.oordeel, leading.toelichting, eens, code, tarief)
