"""Route stage: a valid request → who is asked for advice (addresses from `mappings/`)."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError
from .mappings import Region


@dataclass(frozen=True)
class AdviceRoute:
    gemeente: str
    beleidsadviseur: tuple[str, ...]
    icm: tuple[str, ...]

    @property
    def advisers(self) -> dict[str, tuple[str, ...]]:
        return {"beleidsadviseur": self.beleidsadviseur, "icm": self.icm}


def route(region: Region, gemeente: str) -> AdviceRoute:
    g = region.gemeenten.get(gemeente)
    if g is None or not g.beleidsadviseur:
        raise ConfigError(f"Geen beleidsadviseur ingesteld voor gemeente {gemeente} in regio {region.naam}.")
    if not region.icm:
        raise ConfigError(f"Geen ICM-adres ingesteld voor regio {region.naam}.")
    return AdviceRoute(gemeente=gemeente, beleidsadviseur=g.beleidsadviseur, icm=region.icm)
