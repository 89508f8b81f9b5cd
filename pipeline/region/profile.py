"""Loading a region's rules from `mappings/`: its profile (`regions/<profile>.toml`),
the form labels (`labels.toml`) and the tables beside them. The rules are data, never
written as `if` chains: the profile as data in `model`, the tables in `tables`."""

from __future__ import annotations

import logging
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline import bundled
from pipeline.errors import ConfigError
from pipeline.readers.questions import Labels
from pipeline.region.model import AfterApproval, Extra, Gemeente, Region, Step
from pipeline.region.tables import Mappings

log = logging.getLogger(f"maatwerk.{__name__}")

__all__ = [
    "AfterApproval",
    "Extra",
    "Gemeente",
    "Mappings",
    "Region",
    "Step",
    "UNITS",
    "load_mappings",
]

UNITS = ("uur", "dagdeel", "etmaal")


def load_mappings(own: Path | None, profile: str) -> Mappings:
    """The rules of region `profile`: its profile and the labels from the region's own
    mappings folder `own` when it has them, else the shipped ones; its tables from its
    own folder only (another region's tariffs are never a default). Raises ConfigError
    (Dutch) when the profile is missing, unreadable or incomplete."""
    folders = bundled.search_path(own, bundled.MAPPINGS)
    region_file = bundled.find(folders, f"regions/{profile}.toml")
    if not region_file.exists():
        looked = " en ".join(str(f / "regions") for f in folders)
        raise ConfigError(f"Regioprofiel '{profile}' niet gevonden in {looked}")
    try:
        r = tomllib.loads(region_file.read_text(encoding="utf-8"))
        labels_file = bundled.find(folders, "labels.toml")
        lab = tomllib.loads(labels_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"Mappings in {folders[0]} zijn niet leesbaar: {exc}"
        ) from None
    return Mappings(root=folders[0], region=_region(r, profile), labels=_labels(lab))


def _region(r: dict[str, Any], profile: str) -> Region:
    """The region of a profile's TOML. Raises ConfigError."""
    gemeenten = _gemeenten(r.get("gemeenten", {}))
    stappen = _steps(r.get("stappen", []), profile)
    mandaat = r.get("mandaat", {})
    after = r.get("na_goedkeuring", {})
    return Region(
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


def _gemeenten(table: dict[str, Any]) -> dict[str, Gemeente]:
    return {
        naam: Gemeente(
            naam=naam,
            beleidsadviseur=tuple(g.get("beleidsadviseur", [])),
            aliassen=tuple(g.get("aliassen", [])),
            mandaat_grens=Decimal(g["mandaat_grens"]) if "mandaat_grens" in g else None,
            rapportage=tuple(g.get("rapportage", [])),
            rollen={k: tuple(v) for k, v in g.get("rollen", {}).items()},
            cc=tuple(g.get("cc", [])),
        )
        for naam, g in table.items()
    }


def _steps(table: list[dict[str, Any]], profile: str) -> tuple[Step, ...]:
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
        for st in table
    )
    if not stappen:
        raise ConfigError(f"Regioprofiel '{profile}' heeft geen [[stappen]].")
    return stappen


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


def _labels(lab: dict[str, Any]) -> Labels:
    """The form labels of `labels.toml`."""
    hints = lab.get("hints", {})
    return Labels(
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
