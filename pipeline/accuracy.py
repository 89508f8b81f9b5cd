"""Extraction accuracy: a folder of forms with their expected `.json` → figures per
layout.

Behind `maatwerk bench extract DIR`; CI holds the samples and the corpus to thresholds.
Per layout: field accuracy, straight-through rate (every field right and a blocking
finding exactly where one belongs), forms that failed, and silently wrong fields (wrong,
and no melding names them). Where the folder has an `INDEX.csv` (`file,kind,notes` with
`validation: …` in the notes), a form's expected blocking findings come from it;
otherwise a form is straight-through when every field is right and no blocking finding
was raised.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import ReadSettings
from pipeline.errors import MaatwerkError
from pipeline.region.profile import Mappings
from pipeline.stages.extract import extract_file
from pipeline.stages.validate import validate

FORM_SUFFIXES = {".docx", ".pdf", ".doc", ".odt", ".rtf"}
# INDEX.csv's problem names → the fields whose blocking finding is that problem
PROBLEM_FIELDS = {
    "jeugdwet_gecheckt": {"jeugdwet_gecheckt"},
    "periode": {"startdatum", "einddatum"},
    "vrijwillig": {"pgb_verkend", "pgb_argumenten"},
    "gedwongen": {"maatregel"},
    "reden": {"reden_niet_gecontracteerd"},
    "gemeente": {"gemeente"},
}
NOT_BLOCKING = {
    "aanbieder_ids"
}  # a waarschuwing at intake: advice can start without them


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and not key.startswith("advies_"):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@dataclass
class FileResult:
    path: Path
    layout: str
    fields: int
    right: int
    differences: list[tuple[str, Any, Any]] = field(
        default_factory=list
    )  # (field, expected, got)
    silent: list[str] = field(default_factory=list)  # wrong fields no melding names
    blocking_ok: bool = True
    error: str | None = None

    @property
    def straight_through(self) -> bool:
        return self.error is None and not self.differences and self.blocking_ok


@dataclass
class LayoutResult:
    layout: str
    files: int = 0
    fields: int = 0
    right: int = 0
    straight: int = 0
    failed: int = 0
    silent: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.fields if self.fields else 0.0

    @property
    def straight_rate(self) -> float:
        return self.straight / self.files if self.files else 0.0

    def add(self, r: FileResult) -> None:
        self.files += 1
        self.fields += r.fields
        self.right += r.right
        self.straight += r.straight_through
        self.failed += r.error is not None
        self.silent += len(r.silent)


def read_index(folder: Path) -> dict[str, tuple[str, set[str] | None]]:
    """file name → (its kind, the blocking problems INDEX.csv lists for it; None: not
    listed)."""
    index = folder / "INDEX.csv"
    out: dict[str, tuple[str, set[str] | None]] = {}
    if not index.exists():
        return out
    with index.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            m = re.search(r"validation:\s*([^;]*)", row.get("notes") or "")
            problems = None
            if m:
                problems = {
                    p.strip()
                    for p in m.group(1).split(",")
                    if p.strip() and p.strip() != "none"
                }
                problems -= NOT_BLOCKING
            out[row["file"]] = (row.get("kind") or "", problems)
    return out


def _named(veld: str, meldingen) -> bool:
    """Does some melding name this field (or the group it belongs to, e.g. 'inzet')?"""
    head = veld.partition(".")[0]
    return any(
        m.veld
        and (
            m.veld == veld
            or m.veld == head
            or m.veld.partition(".")[0] == head
            and m.veld.count(".") == 0
        )
        for m in meldingen
    )


def measure_file(
    path: Path,
    expected_json: Path,
    mappings: Mappings,
    how: ReadSettings,
    problems: set[str] | None = None,
    kind: str | None = None,
) -> FileResult:
    expected = flatten(json.loads(expected_json.read_text(encoding="utf-8")))
    try:
        extraction = extract_file(path, mappings, how)
    except MaatwerkError as exc:
        return FileResult(
            path,
            kind or "onleesbaar",
            len(expected),
            0,
            error=exc.melding,
            differences=[(k, v, None) for k, v in expected.items()],
        )
    except (
        Exception
    ) as exc:  # a bench prints its table whatever happens; counted as all wrong
        return FileResult(
            path,
            kind or "onleesbaar",
            len(expected),
            0,
            error=f"fout in de lezer ({type(exc).__name__})",
            differences=[(k, v, None) for k, v in expected.items()],
        )
    got = flatten(extraction.record.model_dump(mode="json"))
    meldingen = extraction.meldingen + validate(
        extraction.record, mappings, date.today(), extraction.confidence
    )
    diffs = [(k, v, got.get(k)) for k, v in expected.items() if got.get(k) != v]
    silent = [k for k, _, _ in diffs if not _named(k, meldingen)]
    blocking = {m.veld for m in meldingen if m.ernst == "fout"}
    if problems is None:
        blocking_ok = not blocking
    else:
        raised = {p for p, fields in PROBLEM_FIELDS.items() if blocking & fields}
        unknown = {
            b for b in blocking if not any(b in f for f in PROBLEM_FIELDS.values())
        }
        blocking_ok = raised == problems and not unknown
    return FileResult(
        path,
        kind or extraction.layout,
        len(expected),
        len(expected) - len(diffs),
        diffs,
        silent,
        blocking_ok,
    )


def measure(
    folder: Path,
    mappings: Mappings,
    how: ReadSettings = ReadSettings(),
) -> tuple[list[FileResult], dict[str, LayoutResult]]:
    folder = Path(folder)
    index = read_index(folder)
    results = []
    for path in sorted(folder.iterdir()):
        expected = path.with_suffix(".json")
        if path.suffix.lower() in FORM_SUFFIXES and expected.exists():
            kind, problems = index.get(path.name, (None, None))
            results.append(
                measure_file(path, expected, mappings, how, problems, kind or None)
            )
    layouts: dict[str, LayoutResult] = {}
    for r in results:
        layouts.setdefault(r.layout, LayoutResult(r.layout)).add(r)
    return results, layouts


def total(layouts: dict[str, LayoutResult], scans: bool | None = None) -> LayoutResult:
    """All layouts together; `scans` True/False: only scans / only digital forms."""
    out = LayoutResult("alle" if scans is None else "scans" if scans else "digitaal")
    for agg in layouts.values():
        if scans is None or agg.layout.startswith("scan") == scans:
            for name in ("files", "fields", "right", "straight", "failed", "silent"):
                setattr(out, name, getattr(out, name) + getattr(agg, name))
    return out


@dataclass(frozen=True)
class Thresholds:
    """What the reading stage must reach (issue: 'Read forms nobody showed us')."""

    digital: float = 0.995  # field accuracy on digital forms
    scans: float = 0.97  # field accuracy on scans
    straight_through: float = 0.95  # forms that go straight through
    silent: float = (
        0.002  # at most this share of fields wrong without a melding naming them
    )
    failed: int = 0  # forms that could not be read at all


def shortfalls(
    layouts: dict[str, LayoutResult], eisen: Thresholds = Thresholds()
) -> list[str]:
    """Each threshold not reached, in Dutch (empty: all reached)."""
    out = []
    digital, scans, every = (
        total(layouts, scans=False),
        total(layouts, scans=True),
        total(layouts),
    )
    if digital.files and digital.accuracy < eisen.digital:
        out.append(
            f"nauwkeurigheid digitaal {digital.accuracy:.1%} < {eisen.digital:.1%}"
        )
    if scans.files and scans.accuracy < eisen.scans:
        out.append(f"nauwkeurigheid scans {scans.accuracy:.1%} < {eisen.scans:.1%}")
    if every.straight_rate < eisen.straight_through:
        out.append(
            f"direct door {every.straight_rate:.0%} < {eisen.straight_through:.0%}"
        )
    if every.fields and every.silent / every.fields > eisen.silent:
        out.append(f"stil fout {every.silent / every.fields:.2%} > {eisen.silent:.1%}")
    if every.failed > eisen.failed:
        out.append(f"{every.failed} formulier(en) niet gelezen")
    return out


def write_differences(results: list[FileResult], path: Path) -> None:
    """Every differing field, one line each (the form values it holds are the test
    forms' own)."""
    lines = []
    for r in results:
        if r.error:
            lines.append(f"{r.path.name}\tniet gelezen\t{r.error}")
        for veld, expected, got in r.differences if not r.error else []:
            stil = "stil" if veld in r.silent else "gemeld"
            lines.append(
                f"{r.path.name}\t{veld}\t{stil}\tverwacht {expected!r}\tgelezen {got!r}"
            )
        if not r.blocking_ok and not r.error:
            lines.append(f"{r.path.name}\tblokkerende meldingen wijken af")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
