"""Route stage: a valid request → who is asked, step by step, as the region profile
says.

A region profile (`mappings/regions/<profile>.toml`) lists its steps. Each step asks
some roles at once ("beleidsadviseur" and "icm" in ZOU; the poortwachter in Rijk van
Nijmegen; the gemeente and RIOZ in Noordoost-Brabant); a step may apply only when the
case's facts match (`als`), add or replace roles under conditions (`extra`), or depend
on a config switch (`instelling`). Roles resolve to addresses per gemeente first, then
region-wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import ConfigError
from pipeline.models import Aanvraag
from pipeline.region.profile import Region, Step


@dataclass(frozen=True)
class Facts:
    """What conditions in the profile may test."""

    gemeente: str | None
    hulpvorm: str | None
    kader: str | None
    maatregel: str | None
    spoed: bool
    nieuwe_aanbieder: bool

    def matches(self, conditions: dict[str, Any]) -> bool:
        """Whether every condition (fact name → value) holds."""
        return all(getattr(self, key) == value for key, value in conditions.items())


def facts_of(record: Aanvraag, region: Region) -> Facts:
    """The case's facts; a provider not among the region's known ones is new."""
    known = {name.lower() for name in region.bekende_aanbieders}
    return Facts(
        gemeente=record.gemeente,
        hulpvorm=record.hulpvorm,
        kader=record.kader,
        maatregel=record.maatregel,
        spoed=bool(record.spoed),
        nieuwe_aanbieder=(record.aanbieder.naam or "").lower() not in known,
    )


def steps_for(region: Region, facts: Facts, switches: dict[str, bool]) -> list[Step]:
    """The profile's steps that apply to this case, in order."""
    return [
        step
        for step in region.stappen
        if facts.matches(step.als)
        and (step.instelling is None or switches.get(step.instelling, False))
    ]


def roles_for(step: Step, facts: Facts) -> list[str]:
    """The roles a step asks for these facts: its own, with the matching `extra` roles
    added or put in their place."""
    roles = list(step.rollen)
    for extra in step.extra:
        if facts.matches(extra.als):
            roles = (
                list(extra.rollen)
                if extra.vervangt
                else roles + [r for r in extra.rollen if r not in roles]
            )
    return roles


def route(
    region: Region, step: Step, facts: Facts, named: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """{role: addresses} for one step. `named` holds addresses the referrer chose for a
    role (e.g. the poortwachter in Cc), used when they are among that role's configured
    addresses.

    Raises ConfigError when a role has no address for the case's gemeente.
    """
    out: dict[str, list[str]] = {}
    for role in roles_for(step, facts):
        addresses = region.addresses(role, facts.gemeente)
        chosen = (named or {}).get(role)
        if chosen and chosen.lower() in {a.lower() for a in region.all_addresses(role)}:
            addresses = (chosen,)
        if not addresses:
            raise ConfigError(
                f"Geen adres ingesteld voor de rol '{role}' (gemeente {facts.gemeente})"
                f" in regio {region.naam}."
            )
        out[role] = list(addresses)
    return out
