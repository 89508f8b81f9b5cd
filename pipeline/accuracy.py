"""Extraction accuracy: a folder of forms with their expected `.json` → field accuracy per layout.

Behind `maatwerk bench extract DIR`; the tests hold the sample set to it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UnreadableForm
from .extract import DEFAULT_OCR_LANGUAGES, extract_file
from .mappings import Mappings

FORM_SUFFIXES = {".docx", ".pdf", ".doc", ".odt", ".rtf"}


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
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, expected, got)
    error: str | None = None


@dataclass
class LayoutResult:
    layout: str
    files: int = 0
    fields: int = 0
    right: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.fields if self.fields else 0.0


def measure_file(path: Path, expected_json: Path, mappings: Mappings, ocr_languages: str) -> FileResult:
    expected = flatten(json.loads(expected_json.read_text(encoding="utf-8")))
    try:
        extraction = extract_file(path, mappings, ocr_languages)
    except UnreadableForm as exc:
        return FileResult(path, "onleesbaar", len(expected), 0, error=exc.melding)
    got = flatten(extraction.record.model_dump(mode="json"))
    diffs = [(k, v, got.get(k)) for k, v in expected.items() if got.get(k) != v]
    return FileResult(path, extraction.layout, len(expected), len(expected) - len(diffs), diffs)


def measure(folder: Path, mappings: Mappings, ocr_languages: str = DEFAULT_OCR_LANGUAGES,
            ) -> tuple[list[FileResult], dict[str, LayoutResult]]:
    results = []
    for path in sorted(Path(folder).iterdir()):
        expected = path.with_suffix(".json")
        if path.suffix.lower() in FORM_SUFFIXES and expected.exists():
            results.append(measure_file(path, expected, mappings, ocr_languages))
    layouts: dict[str, LayoutResult] = {}
    for r in results:
        agg = layouts.setdefault(r.layout, LayoutResult(r.layout))
        agg.files += 1
        agg.fields += r.fields
        agg.right += r.right
    return results, layouts
