"""The region's rules as data: loaded from `mappings/`, never written as `if` chains."""
from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Optional

from rapidfuzz import fuzz, process

from .errors import ConfigError


PARTIAL_DISCOUNT = 8  # a partial match (abbreviated question) counts a little less than a whole one


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-zà-ÿ]+", " ", text.lower()).strip()


@dataclass(frozen=True)
class Gemeente:
    naam: str
    beleidsadviseur: tuple[str, ...]
    aliassen: tuple[str, ...] = ()
    mandaat_grens: Optional[Decimal] = None
    rapportage: tuple[str, ...] = ()  # who gets the expiry report; empty: the beleidsadviseur

    @property
    def report_to(self) -> tuple[str, ...]:
        return self.rapportage or self.beleidsadviseur


@dataclass
class Region:
    key: str
    naam: str
    icm: tuple[str, ...]
    backoffice: tuple[str, ...]
    gemeenten: dict[str, Gemeente]
    mandaat_grens: Decimal
    ondertekenaar_onder: str
    ondertekenaar_vanaf: str
    beslisser: str = "beleidsadviseur"

    def match_gemeente(self, text: Optional[str]) -> tuple[Optional[str], float]:
        """Canonical gemeente for what a form says ('gem. zeist', 'Houtn') and a score 0–100."""
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

    def signatory(self, gemeente: Optional[str], total: Decimal) -> str:
        g = self.gemeenten.get(gemeente or "")
        grens = g.mandaat_grens if g and g.mandaat_grens is not None else self.mandaat_grens
        return self.ondertekenaar_onder if total < grens else self.ondertekenaar_vanaf

    def role_of(self, address: str, gemeente: Optional[str]) -> Optional[str]:
        """'beleidsadviseur' or 'icm' when `address` advises on a case of `gemeente`."""
        a = address.lower()
        g = self.gemeenten.get(gemeente or "")
        if g and a in (x.lower() for x in g.beleidsadviseur):
            return "beleidsadviseur"
        if a in (x.lower() for x in self.icm):
            return "icm"
        return None


@dataclass
class Labels:
    rows: dict[str, list[str]]
    hint_prefixes: list[str]
    hint_label_only: list[str]
    hint_texts: list[str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    _choices: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        self._choices = [(_norm(label), kind) for kind, labels in self.rows.items() for label in labels]
        self._names = [c[0] for c in self._choices]
        self._hint_only = {_norm(x) for x in self.hint_label_only}
        self._hints = [_norm(x) for x in self.hint_texts]

    def match(self, question: str) -> tuple[Optional[str], float]:
        """The row kind a question asks for, with its match score (0–100).

        token_sort for reworded/reordered questions; partial (slightly discounted) for abbreviated
        ones — never for a text much longer than the label (a paragraph that mentions it) nor for a
        mere word or two (OCR specks like 'In')."""
        q = _norm(question)
        if not q:
            return None, 0.0
        score, index = process.extractOne(q, self._names, scorer=fuzz.token_sort_ratio)[1:]
        if len(q) >= 8:
            eligible = [i for i, name in enumerate(self._names) if len(name) * 0.3 <= len(q) <= len(name) * 1.3]
            partial = process.extractOne(q, [self._names[i] for i in eligible], scorer=fuzz.partial_ratio)
            if partial and partial[1] - PARTIAL_DISCOUNT > score:
                score, index = partial[1] - PARTIAL_DISCOUNT, eligible[partial[2]]
        return self._choices[index][1], float(score)

    def match_field(self, name: str) -> Optional[str]:
        """The canonical field a named form field (e.g. a PDF field 'Naam verwijzer') stands for."""
        n = _norm(name)
        best, best_score = None, 0.0
        for target, names in self.fields.items():
            for candidate in names:
                score = 100.0 if _norm(candidate) == n else fuzz.ratio(_norm(candidate), n)
                if score > best_score:
                    best, best_score = target, score
        return best if best_score >= 90 else None

    def is_hint(self, paragraph: str) -> bool:
        """Is this paragraph printed guidance (or a bare label like 'JB / JR'), not an answer?"""
        p = _norm(paragraph)
        if not p or p in self._hint_only:
            return True
        if len(p) < 20:
            return False
        if any(p in hint for hint in self._hints):
            return True
        if process.extractOne(p, self._hints, scorer=fuzz.ratio, score_cutoff=90):
            return True
        return len(p) > 40 and bool(process.extractOne(p, self._hints, scorer=fuzz.partial_ratio, score_cutoff=95))

    def strip_prefix(self, paragraph: str) -> str:
        p = paragraph.strip()
        for prefix in self.hint_prefixes:
            if p.lower().startswith(prefix.lower()):
                return p[len(prefix):].strip()
        return p


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
            return {r["regionale_productcode"].strip().upper(): r["maatwerk_productcode"].strip().upper()
                    for r in csv.DictReader(fh) if r.get("regionale_productcode")}

    @cached_property
    def contracted_providers(self) -> list[dict[str, str]]:
        path = self.root / "gecontracteerde_aanbieders.csv"
        if not path.exists():
            return []
        with path.open(encoding="utf-8", newline="") as fh:
            return [dict(r) for r in csv.DictReader(fh) if r.get("naam")]

    @cached_property
    def standard_tariffs(self) -> dict[tuple[str, str], Decimal]:
        """(productcode, eenheid) → the region's standard tariff (mappings/tarieven.csv)."""
        path = self.root / "tarieven.csv"
        if not path.exists():
            return {}
        with path.open(encoding="utf-8", newline="") as fh:
            return {(r["productcode"].strip().upper(), r["eenheid"].strip()): Decimal(r["tarief"].strip())
                    for r in csv.DictReader(fh) if r.get("productcode") and r.get("tarief")}

    @cached_property
    def reason_groups(self) -> dict[str, list[str]]:
        """Groups of reasons for not choosing a contracted provider (mappings/redenen.toml)."""
        path = self.root / "redenen.toml"
        if not path.exists():
            return {}
        return {k: [w.lower() for w in v] for k, v in tomllib.loads(path.read_text(encoding="utf-8"))
                .get("groepen", {}).items()}

    def maatwerk_productcode(self, code: str) -> str:
        """45A53 → 45M53, unless the region's exception table says otherwise."""
        code = code.upper()
        if code in self.productcode_exceptions:
            return self.productcode_exceptions[code]
        return code[:2] + "M" + code[3:]

    def contracted_match(self, naam: Optional[str], kvk: Optional[str] = None) -> Optional[str]:
        """The contracted provider a proposed aanbieder is (by KvK or a close name), if any."""
        if not naam and not kvk:
            return None
        for p in self.contracted_providers:
            if kvk and p.get("kvk") and p["kvk"].strip() == kvk:
                return p["naam"]
            if naam and fuzz.token_sort_ratio(_norm(naam), _norm(p["naam"])) >= 92:
                return p["naam"]
        return None


def load_mappings(root: Path, profile: str) -> Mappings:
    root = Path(root)
    region_file = root / "regions" / f"{profile}.toml"
    if not region_file.exists():
        raise ConfigError(f"Regioprofiel '{profile}' niet gevonden in {root / 'regions'}")
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
        )
        for naam, g in r.get("gemeenten", {}).items()
    }
    mandaat = r.get("mandaat", {})
    region = Region(
        key=profile,
        naam=r.get("naam", profile),
        icm=tuple(r.get("icm", [])),
        backoffice=tuple(r.get("backoffice", [])),
        gemeenten=gemeenten,
        mandaat_grens=Decimal(mandaat.get("grens", "50000")),
        ondertekenaar_onder=mandaat.get("onder", "coördinator/teammanager"),
        ondertekenaar_vanaf=mandaat.get("vanaf", "afdelingsmanager"),
        beslisser=r.get("beslisser", "beleidsadviseur"),
    )
    hints = lab.get("hints", {})
    labels = Labels(
        rows={k: v["labels"] for k, v in lab.get("rows", {}).items()},
        hint_prefixes=hints.get("prefixes", []),
        hint_label_only=hints.get("label_only", []),
        hint_texts=hints.get("texts", []),
        fields=lab.get("fields", {}),
    )
    return Mappings(root=root, region=region, labels=labels)
