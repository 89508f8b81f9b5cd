"""Forms by writers the product has never seen: made by `tests/formgen.py`, not like the
corpus (own question wordings, answer phrasings and layouts). Measured as a user would
check them: every form is read, ≥ 99% of the fields are right, and no field is wrong
without a melding that names it."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import date

import pytest

from pipeline.accuracy import flatten
from pipeline.config import Settings
from pipeline.errors import MaatwerkError
from pipeline.models import Aanvraag
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from pipeline.stages.validate import validate
from tests import formgen

SEED = 20261202
N_FORMS = 25
MIN_ACCURACY = 0.99


@pytest.fixture(scope="module")
def mappings():
    return load_mappings(Settings().region.mappings_dir, "zou")


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """(name, docx bytes, expected record, style) for N_FORMS forms; also written to a
    tmp folder."""
    folder = tmp_path_factory.mktemp("unseen")
    rng = random.Random(SEED)
    out = []
    for i in range(1, N_FORMS + 1):
        record = formgen.random_record(rng)
        content, style = formgen.write_form_styled(record, rng)
        name = f"u{i:03d}.docx"
        (folder / name).write_bytes(content)
        (folder / name).with_suffix(".json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        out.append((name, content, record, style))
    return out


def _named(veld: str, meldingen) -> bool:
    head = veld.partition(".")[0]
    return any(m.veld in (veld, head) for m in meldingen)


def _read(content: bytes, mappings):
    """(flattened record or None, meldingen, error text)."""
    try:
        ex = extract_bytes(content, mappings)
    except MaatwerkError as exc:
        return None, [], exc.melding
    meldingen = ex.meldingen + validate(
        ex.record, mappings, date.today(), ex.confidence
    )
    return flatten(ex.record.model_dump(mode="json")), meldingen, None


@pytest.fixture(scope="module")
def readings(forms, mappings):
    return [
        (name, flatten(record), style, *_read(content, mappings))
        for name, content, record, style in forms
    ]


def _differences(expected: dict, got: dict) -> list[tuple[str, object, object]]:
    return [(k, v, got.get(k)) for k, v in expected.items() if got.get(k) != v]


# -- the generator itself: its expected JSON follows the corpus conventions
# -----------------------------


def test_generated_records_follow_the_json_conventions_and_are_valid(forms, mappings):
    for name, _, record, _ in forms:
        data = dict(record, inzet=record["inzet"] or {})
        model = Aanvraag.model_validate(data)
        dumped = model.model_dump(mode="json")
        for key in ("startdatum", "einddatum", "tarief", "aanbieder", "contactpersoon"):
            assert dumped[key] == record[key], (name, key)
        if record["inzet"]:
            assert dumped["inzet"] == record["inzet"] and type(
                dumped["inzet"]["aantal"]
            ) is type(record["inzet"]["aantal"])
        if record["kader"] == "gedwongen":
            assert (
                record["pgb_verkend"] is None
                and record["pgb_argumenten"] is None
                and record["maatregel"]
            )
        else:
            assert record["maatregel"] is None and record["pgb_argumenten"]
        assert (record["verblijfsvorm"] is None) == (record["hulpvorm"] == "ambulant")
        assert record["advies_beleidsadviseur"] is None and record["advies_icm"] is None
        fouten = [
            m for m in validate(model, mappings, date.today()) if m.ernst == "fout"
        ]
        assert not fouten, (name, fouten)


# -- the product on unseen forms
# ---------------------------------------------------------------------


def test_every_unseen_form_is_read(readings):
    failed = [
        (name, style["layout"], error)
        for name, _, style, _, _, error in readings
        if error
    ]
    assert not failed, f"{len(failed)}/{len(readings)} forms not read: {failed}"


def test_field_accuracy_on_unseen_forms(readings):
    fields = right = 0
    wrong = []
    for name, expected, style, got, _, error in readings:
        fields += len(expected)
        diffs = (
            [(k, v, None) for k, v in expected.items()]
            if error
            else _differences(expected, got)
        )
        right += len(expected) - len(diffs)
        wrong += [(name, style["layout"], *d) for d in diffs]
    accuracy = right / fields
    shown = "\n".join(
        f"  {n} ({lay}) {k}: expected {v!r}, read {g!r}"
        for n, lay, k, v, g in wrong[:40]
    )
    assert accuracy >= MIN_ACCURACY, (
        f"field accuracy {accuracy:.1%} < {MIN_ACCURACY:.0%} ({fields - right}"
        f" wrong):\n{shown}"
    )


def test_no_field_is_wrong_without_a_melding_naming_it(readings):
    silent = []
    for name, expected, style, got, meldingen, error in readings:
        if error:
            # a refused form tells its sender; counted by test_every_unseen_form_is_read
            continue
        silent += [
            (name, style["layout"], k, v, g)
            for k, v, g in _differences(expected, got)
            if not _named(k, meldingen)
        ]
    shown = "\n".join(
        f"  {n} ({lay}) {k}: expected {v!r}, read {g!r}"
        for n, lay, k, v, g in silent[:40]
    )
    assert not silent, f"{len(silent)} fields silently wrong:\n{shown}"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_unseen_forms_saved_as_pdf_read_as_the_same_record(forms, mappings, tmp_path):
    """Two of the forms saved as PDF by LibreOffice (Word-saved-PDF reader): same
    record."""
    problems = []
    for name, content, record, style in forms[:2]:
        src = tmp_path / name
        src.write_bytes(content)
        subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        got, _, error = _read(src.with_suffix(".pdf").read_bytes(), mappings)
        if error:
            problems.append(f"{name} ({style['layout']}) as PDF not read: {error}")
            continue
        problems += [
            f"{name} ({style['layout']}) as PDF {k}: expected {v!r}, read {g!r}"
            for k, v, g in _differences(flatten(record), got)
        ]
    assert not problems, "\n".join(problems)
