"""The region's tables beside its profile in `mappings/` (product-code exceptions,
contracted providers, standard tariffs, reasons), read when first asked, and the rules
that use them (a maatwerk product code, a contracted provider)."""

from __future__ import annotations

import csv
import logging
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz

from pipeline.readers.questions import Labels
from pipeline.region.model import Region
from pipeline.text import norm

log = logging.getLogger(f"maatwerk.{__name__}")


@dataclass
class Mappings:
    root: Path  # where the tables are: the region's own folder, or the shipped one
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
            if naam and fuzz.token_sort_ratio(norm(naam), norm(p["naam"])) >= 92:
                return p["naam"]
        return None
