"""The region profile as data (`mappings/regions/<profile>.toml`): the region, its
gemeenten, the steps of its workflow and what follows an approval. Loaded by
`pipeline.region.profile.load_mappings`; the rules are read from here, never written as
`if` chains."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz, process

from pipeline.text import norm

log = logging.getLogger(f"maatwerk.{__name__}")


@dataclass(frozen=True)
class Gemeente:
    naam: str
    beleidsadviseur: tuple[str, ...]
    aliassen: tuple[str, ...] = ()
    mandaat_grens: Decimal | None = None
    rapportage: tuple[
        str, ...
    ] = ()  # who gets the expiry report; empty: the beleidsadviseur
    rollen: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # roles held in this gemeente
    cc: tuple[
        str, ...
    ] = ()  # copied on every request this gemeente's cases send to its advisers

    @property
    def report_to(self) -> tuple[str, ...]:
        return (
            self.rapportage or self.beleidsadviseur or self.rollen.get("gemeente", ())
        )


@dataclass(frozen=True)
class Extra:
    als: dict[str, Any]
    rollen: tuple[str, ...]
    vervangt: bool = False


@dataclass(frozen=True)
class Step:
    """One step of the region's workflow: these roles are asked at once."""

    naam: str
    rollen: tuple[str, ...]
    # the role whose answer decides when they differ, or "allen": all must agree
    besluit: str = "allen"
    # advies: 'Advies: positief/negatief'; akkoord: 'akkoord' / 'niet akkoord' / 'Vraag:
    # …'
    soort: str = "advies"
    vragen: bool = (
        False  # the role may put questions to the referrer; the answer re-enters review
    )
    als: dict[str, Any] = field(default_factory=dict)
    instelling: str | None = None  # only when this config switch ([advice]) is on
    extra: tuple[Extra, ...] = ()
    uitleg: str = ""  # what the asked role is to do, in the request mail


@dataclass(frozen=True)
class AfterApproval:
    document: str = "maatwerkovereenkomst"  # or "opdrachtbevestiging"
    aan: tuple[str, ...] = (
        "backoffice",
        "verwijzer",
    )  # roles, 'backoffice' or 'verwijzer'
    cc_verwijzer_als: dict[str, Any] | None = None
    toelichting: str = ""


@dataclass
class Region:
    key: str
    naam: str
    backoffice: tuple[str, ...]
    gemeenten: dict[str, Gemeente]
    mandaat_grens: Decimal
    ondertekenaar_onder: str
    ondertekenaar_vanaf: str
    rollen: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # region-wide roles
    stappen: tuple[Step, ...] = ()
    na_goedkeuring: AfterApproval = AfterApproval()
    escalatie: tuple[str, ...] = ("icm",)  # roles told when advice is late
    bekende_aanbieders: tuple[
        str, ...
    ] = ()  # providers with an agreement already (RIOZ: not 'nieuw')
    # (from, to) → how many `to` one `from` is, e.g. ("dagdeel", "uur") → 4 (seed 003)
    omrekening: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    maatwerk_letter: str | None = (
        None  # seed 001 step 9: the code's third letter becomes "M"
    )
    domeinen: tuple[
        str, ...
    ] = ()  # mail domains of the region's organisations, beyond its addresses
    meldingen: dict[str, str] = field(
        default_factory=dict
    )  # region-specific warnings, by occasion

    @property
    def domains(self) -> frozenset[str]:
        """The mail domains of the region's own organisations: those of every address in
        the profile, and `domeinen`."""
        addresses = [*self.backoffice, *(a for v in self.rollen.values() for a in v)]
        for g in self.gemeenten.values():
            addresses += [
                *g.beleidsadviseur,
                *g.rapportage,
                *g.cc,
                *(a for v in g.rollen.values() for a in v),
            ]
        return frozenset(
            {a.rpartition("@")[2].lower() for a in addresses if "@" in a}
            | {d.lower().lstrip("@") for d in self.domeinen}
        )

    @property
    def icm(self) -> tuple[str, ...]:
        """ICM / the regional team told about stray replies: the `icm` role, else the
        escalation roles."""
        return self.rollen.get("icm") or tuple(
            a for r in self.escalatie for a in self.rollen.get(r, ())
        )

    def addresses(self, role: str, gemeente: str | None) -> tuple[str, ...]:
        g = self.gemeenten.get(gemeente or "")
        if role == "backoffice":
            return (g.rollen.get("backoffice") if g else None) or self.backoffice
        if g is not None and role == "beleidsadviseur" and g.beleidsadviseur:
            return g.beleidsadviseur
        if g is not None and g.rollen.get(role):
            return g.rollen[role]
        return self.rollen.get(role, ())

    def all_addresses(self, role: str) -> tuple[str, ...]:
        """Every address that holds `role` anywhere in the region (for a referrer's
        choice)."""
        out = list(self.rollen.get(role, ()))
        for g in self.gemeenten.values():
            out += g.rollen.get(role, ()) + (
                g.beleidsadviseur if role == "beleidsadviseur" else ()
            )
        return tuple(out)

    def match_gemeente(self, text: str | None) -> tuple[str | None, float]:
        """Canonical gemeente for what a form says ('gem. zeist', 'Houtn') and a score
        0–100."""
        if not text:
            return None, 0.0
        choices: dict[str, str] = {}
        for g in self.gemeenten.values():
            choices[norm(g.naam)] = g.naam
            for alias in g.aliassen:
                choices[norm(alias)] = g.naam
        t = norm(re.sub(r"\(.*?\)", "", text))
        t = re.sub(r"^(gemeente|gem)\s+", "", t)
        if t in choices:
            return choices[t], 100.0
        best = process.extractOne(t, list(choices), scorer=fuzz.WRatio)
        if best is None:
            return None, 0.0
        return choices[best[0]], float(best[1])

    def signatory(self, gemeente: str | None, total: Decimal) -> str:
        g = self.gemeenten.get(gemeente or "")
        grens = (
            g.mandaat_grens if g and g.mandaat_grens is not None else self.mandaat_grens
        )
        return self.ondertekenaar_onder if total < grens else self.ondertekenaar_vanaf

    def role_of(self, address: str, gemeente: str | None) -> str | None:
        """The role `address` holds for a case of `gemeente` (any step), or None."""
        a = address.lower()
        roles = {
            role
            for step in self.stappen
            for role in step.rollen + tuple(r for e in step.extra for r in e.rollen)
        }
        for role in sorted(roles):
            if a in (x.lower() for x in self.addresses(role, gemeente)):
                return role
        return None
