"""The region's rules as data: loaded from `mappings/`, never written as `if` chains."""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from pipeline.errors import ConfigError
from pipeline.readers.questions import Labels
from pipeline.readers.questions import norm as _norm


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
            choices[_norm(g.naam)] = g.naam
            for alias in g.aliassen:
                choices[_norm(alias)] = g.naam
        t = _norm(re.sub(r"\(.*?\)", "", text))
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


@dataclass
class Mappings:
    root: Path
    region: Region
    labels: Labels

    @cached_property
    def productcode_exceptions(self) -> dict[str, str]:
        path = self.root / "productcode_uitzonderingen.csv"
        if not path.exists():
            return {}
        with path.open(encoding="utf-8", newline="") as fh:
            return {
                r["regionale_productcode"].strip().upper(): (
                    r["maatwerk_productcode"].strip().upper()
                )
                for r in csv.DictReader(fh)
                if r.get("regionale_productcode")
            }

    @cached_property
    def contracted_providers(self) -> list[dict[str, str]]:
        path = self.root / "gecontracteerde_aanbieders.csv"
        if not path.exists():
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            return [dict(r) for r in csv.DictReader(fh) if r.get("naam")]

    @cached_property
    def standard_tariffs(self) -> dict[tuple[str, str], Decimal]:
        """(productcode, eenheid) → the region's standard tariff
        (mappings/tarieven.csv)."""
        path = self.root / "tarieven.csv"
        if not path.exists():
            return {}
        with path.open(encoding="utf-8", newline="") as fh:
            return {
                (r["productcode"].strip().upper(), r["eenheid"].strip()): Decimal(
                    r["tarief"].strip()
                )
                for r in csv.DictReader(fh)
                if r.get("productcode") and r.get("tarief")
            }

    @cached_property
    def reason_groups(self) -> dict[str, list[str]]:
        """Groups of reasons for not choosing a contracted provider
        (mappings/redenen.toml)."""
        path = self.root / "redenen.toml"
        if not path.exists():
            return {}
        return {
            k: [w.lower() for w in v]
            for k, v in (
                tomllib.loads(path.read_text(encoding="utf-8"))
                .get("groepen", {})
                .items()
            )
        }

    def maatwerk_productcode(self, code: str) -> str:
        """The code a maatwerk contract declares on: with the region's M-rule 45A53 →
        45M53, unless the exception table says otherwise; without the rule the regional
        code itself.
        """
        code = code.upper()
        if code in self.productcode_exceptions:
            return self.productcode_exceptions[code]
        letter = self.region.maatwerk_letter
        if not letter or len(code) < 3 or code[2] == letter:
            return code
        return code[:2] + letter + code[3:]

    def product_codes(
        self, chosen: str | None, form_code: str | None
    ) -> tuple[str | None, str | None]:
        """(regional code, maatwerk code) from one source: the code the advice chose
        (ICM's proposal) or else the form's. A chosen code that is a maatwerk code
        already has the regional code it was made from (the form's, or the exception
        table's), else none.
        """
        code = (chosen or form_code or "").upper() or None
        if code is None:
            return None, None
        made_from = {
            self.maatwerk_productcode(c): c
            for c in (*self.productcode_exceptions, (form_code or "").upper())
            if c
        }
        if code in made_from and made_from[code] != code:
            return made_from[code], code
        letter = self.region.maatwerk_letter
        if (
            letter and len(code) >= 3 and code[2] == letter
        ):  # a maatwerk code already, made from an unknown code
            return None, code
        return code, self.maatwerk_productcode(code)

    def contracted_match(self, naam: str | None, kvk: str | None = None) -> str | None:
        """The contracted provider a proposed aanbieder is (by KvK or a close name), if
        any."""
        if not naam and not kvk:
            return None
        for p in self.contracted_providers:
            if kvk and p.get("kvk") and p["kvk"].strip() == kvk:
                return p["naam"]
            if naam and fuzz.token_sort_ratio(_norm(naam), _norm(p["naam"])) >= 92:
                return p["naam"]
        return None


UNITS = ("uur", "dagdeel", "etmaal")


def _conversions(table: dict[str, Any], profile: str) -> dict[tuple[str, str], Decimal]:
    """[omrekening] dagdeel = { uur = "4" } → {("dagdeel", "uur"): 4}."""
    out: dict[tuple[str, str], Decimal] = {}
    for unit, to in table.items():
        for other, n in to.items() if isinstance(to, dict) else ():
            if unit not in UNITS or other not in UNITS:
                raise ConfigError(
                    f"Regioprofiel '{profile}': [omrekening] kent alleen"
                    f" {', '.join(UNITS)}."
                )
            out[(unit, other)] = Decimal(str(n))
    return out


def load_mappings(root: Path, profile: str) -> Mappings:
    root = Path(root)
    region_file = root / "regions" / f"{profile}.toml"
    if not region_file.exists():
        raise ConfigError(
            f"Regioprofiel '{profile}' niet gevonden in {root / 'regions'}"
        )
    try:
        r = tomllib.loads(region_file.read_text(encoding="utf-8"))
        lab = tomllib.loads((root / "labels.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Mappings in {root} zijn niet leesbaar: {exc}") from None
    gemeenten = {
        naam: Gemeente(
            naam=naam,
            beleidsadviseur=tuple(g.get("beleidsadviseur", [])),
            aliassen=tuple(g.get("aliassen", [])),
            mandaat_grens=Decimal(g["mandaat_grens"]) if "mandaat_grens" in g else None,
            rapportage=tuple(g.get("rapportage", [])),
            rollen={k: tuple(v) for k, v in g.get("rollen", {}).items()},
            cc=tuple(g.get("cc", [])),
        )
        for naam, g in r.get("gemeenten", {}).items()
    }
    mandaat = r.get("mandaat", {})
    stappen = tuple(
        Step(
            naam=st["naam"],
            rollen=tuple(st["rollen"]),
            besluit=st.get("besluit", "allen"),
            soort=st.get("soort", "advies"),
            vragen=st.get("vragen", False),
            als=st.get("als", {}),
            instelling=st.get("instelling"),
            uitleg=st.get("uitleg", ""),
            extra=tuple(
                Extra(
                    als=e.get("als", {}),
                    rollen=tuple(e["rollen"]),
                    vervangt=e.get("vervangt", False),
                )
                for e in st.get("extra", [])
            ),
        )
        for st in r.get("stappen", [])
    )
    if not stappen:
        raise ConfigError(f"Regioprofiel '{profile}' heeft geen [[stappen]].")
    after = r.get("na_goedkeuring", {})
    region = Region(
        key=profile,
        naam=r.get("naam", profile),
        backoffice=tuple(r.get("backoffice", [])),
        gemeenten=gemeenten,
        mandaat_grens=Decimal(mandaat.get("grens", "50000")),
        ondertekenaar_onder=mandaat.get("onder", "coördinator/teammanager"),
        ondertekenaar_vanaf=mandaat.get("vanaf", "afdelingsmanager"),
        rollen={k: tuple(v) for k, v in r.get("rollen", {}).items()},
        stappen=stappen,
        na_goedkeuring=AfterApproval(
            document=after.get("document", "maatwerkovereenkomst"),
            aan=tuple(after.get("aan", ["backoffice", "verwijzer"])),
            cc_verwijzer_als=after.get("cc_verwijzer_als"),
            toelichting=after.get("toelichting", ""),
        ),
        escalatie=tuple(r.get("escalatie", ["icm"])),
        bekende_aanbieders=tuple(r.get("bekende_aanbieders", [])),
        omrekening=_conversions(r.get("omrekening", {}), profile),
        maatwerk_letter=r.get("productcode", {}).get("maatwerk_letter"),
        domeinen=tuple(r.get("domeinen", [])),
        meldingen={k: str(v) for k, v in r.get("meldingen", {}).items()},
    )
    hints = lab.get("hints", {})
    labels = Labels(
        rows={k: v["labels"] for k, v in lab.get("rows", {}).items()},
        hint_prefixes=hints.get("prefixes", []),
        hint_label_only=hints.get("label_only", []),
        hint_texts=hints.get("texts", []),
        fields=lab.get("fields", {}),
        velden=lab.get("velden", {}),
        concepten=lab.get("concepten", {}),
        samengesteld=lab.get("samengesteld", {}),
        geen_vraag=lab.get("geen_vraag", {}).get("woorden", []),
        omvat=lab.get("omvat", {}),
    )
    return Mappings(root=root, region=region, labels=labels)
