"""Reading forms: every Word sample gives exactly its expected record, and the rules
report what INDEX.csv says; unreadable files give a Dutch reason (exit 11), never a
traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.config import Settings
from pipeline.errors import ExitCode, UnreadableForm
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_file
from tests.conftest import sample

FORMS = [
    "legacy-table.docx",
    "legacy-no-ids.docx",
    "legacy-split-table.docx",
    "legacy-invalid-jeugdwet.docx",
    "template.docx",
    "template-gedwongen.docx",
    "acroform-canonical.pdf",
    "acroform-other-region.pdf",
    "legacy-table-as-pdf.pdf",
]
# validation problems per INDEX.csv: `fout` fields; aanbieder_ids is a waarschuwing
EXPECTED_FOUT = {"legacy-invalid-jeugdwet": {"jeugdwet_gecheckt"}}
EXPECTED_WARN = {
    "legacy-no-ids": {"aanbieder.kvk", "aanbieder.agb_code", "aanbieder.iban"},
    "legacy-split-table": {"hulpvorm"},
}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "maatwerk", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("filename", FORMS)
def test_cli_extract_json_matches_the_expected_record(filename):
    name = filename.rsplit(".", 1)[0]
    result = _cli("extract", str(sample(filename)), "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    expected = json.loads(sample(f"{name}.json").read_text())
    meldingen = got.pop("meldingen")
    assert got == expected
    fout = {m["veld"] for m in meldingen if m["ernst"] == "fout"}
    warn = {m["veld"] for m in meldingen if m["ernst"] == "waarschuwing"}
    assert fout == EXPECTED_FOUT.get(name, set())
    assert EXPECTED_WARN.get(name, set()) <= warn
    assert all(m["tekst"] for m in meldingen)


@pytest.mark.parametrize(
    "name,reason",
    [
        ("bad-truncated.docx", "beschadigd"),
        ("bad-encrypted.pdf", "wachtwoord"),
        ("bad-letter-not-a-form.docx", "geen aanvraagformulier"),
    ],
)
def test_cli_extract_unreadable_file_exits_11_with_one_dutch_line(name, reason):
    result = _cli("extract", str(sample(name)), "--json")
    assert result.returncode == ExitCode.unreadable_form
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_extract_missing_file_is_a_dutch_error():
    result = _cli("extract", "bestaat-niet.docx")
    assert result.returncode == ExitCode.not_found
    assert result.stderr == "Het bestand bestaat-niet.docx bestaat niet.\n"


def test_reworded_and_typo_questions_still_match(tmp_path):
    from docx import Document

    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    doc = Document(str(sample("legacy-table.docx")))
    rows = doc.tables[0].rows
    rows[0].cells[0].paragraphs[0].runs[0].text = "Spoed aanvraag?"
    rows[1].cells[0].paragraphs[0].runs[0].text = "Uit welke gemeente komt het verzoek?"
    rows[1].cells[1].paragraphs[0].runs[0].text = "gem. Zeits"
    path = tmp_path / "form.docx"
    doc.save(str(path))
    record = extract_file(path, mappings).record
    assert record.spoed is False and record.gemeente == "Zeist"


def test_a_letter_is_not_a_form():
    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    with pytest.raises(UnreadableForm):
        extract_file(sample("bad-letter-not-a-form.docx"), mappings)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 50,
        b"%PDF-1.4\n%%EOF",
        b"hallo, dit is geen formulier",
    ],
)
def test_garbage_gives_a_dutch_reason_never_a_traceback(tmp_path, content):
    path = tmp_path / "bijlage.docx"
    path.write_bytes(content)
    result = _cli("extract", str(path), "--json")
    assert result.returncode == ExitCode.unreadable_form, result.stderr
    assert (
        len(result.stderr.strip().splitlines()) == 1
        and "Traceback" not in result.stderr
    )


def test_accuracy_on_the_sample_set_every_digital_field_right_and_no_scanned_field_silently_wrong():
    from pipeline.accuracy import measure

    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    sample("legacy-table.docx")
    results, layouts = measure(sample("INDEX.csv").parent, mappings)
    assert {r.path.name for r in results} >= {f for f in FORMS} | {
        "legacy-table-scan.pdf"
    }
    for name, agg in layouts.items():
        if (
            name == "scan-pdf"
        ):  # one field at the edge of OCR: 'Yılmaz' is read 'Yilmaz' (with a warning)
            assert agg.accuracy >= 0.96, [
                r.differences for r in results if r.layout == name
            ]
            assert agg.silent == 0, [r.silent for r in results if r.layout == name]
        else:
            assert agg.accuracy == 1.0, [
                (r.path.name, r.differences) for r in results if r.layout == name
            ]
    assert "onleesbaar" not in layouts


def test_bench_extract_command_prints_accuracy_per_layout():
    result = _cli("bench", "extract", str(sample("INDEX.csv").parent))
    assert result.returncode == 0, result.stderr
    assert (
        "legacy-docx" in result.stdout
        and "100.0%" in result.stdout
        and "scan-pdf" in result.stdout
    )


def test_a_tariff_above_the_regions_standard_warns_icm():
    from datetime import date
    from decimal import Decimal

    from pipeline.models import Aanvraag
    from pipeline.stages.validate import validate

    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    record = Aanvraag.model_validate(
        json.loads(sample("legacy-table.json").read_text())
    )
    record.productcode = "45A53"
    record.tarief.bedrag = Decimal("99.00")
    meldingen = validate(record, mappings, date(2027, 1, 4))
    assert any(
        m.veld == "tarief.bedrag" and "standaardtarief" in m.tekst for m in meldingen
    )
    record.tarief.bedrag = Decimal("92.40")
    assert not any(
        m.veld == "tarief.bedrag" for m in validate(record, mappings, date(2027, 1, 4))
    )


def test_an_empty_scan_is_refused_with_a_reason(tmp_path):
    from PIL import Image

    path = tmp_path / "leeg.pdf"
    Image.new("L", (1654, 2339), 255).save(path, "PDF", resolution=200.0)
    result = _cli("extract", str(path), "--json")
    assert (
        result.returncode == ExitCode.unreadable_form
        and "geen leesbare tekst" in result.stderr
    )


def test_a_field_read_with_low_confidence_is_named_in_a_warning_by_its_question():
    from pipeline.readers.cells import Cell, Reading
    from pipeline.readers.record import build

    mappings = load_mappings(Settings().region.mappings_dir, "zou")
    pairs = [
        ("Heeft deze aanvraag spoed?", "nee"),
        ("Uit welke gemeente komt dit verzoek?", "Zeist"),
        ("Met welk registratie nummer staat client in ZorgNed?", "644475"),
        ("Wat is de leeftijd van de client?", "9"),
        ("Welk tarief stel je voor?", "€ 84,00 per uur"),
        ("Omvang van de inzet", "3 uur per week"),
    ]
    confidence = [0.97, 0.97, 0.6, 0.97, 0.97, 0.97]
    extraction = build(
        Reading(
            "scan-pdf",
            [Cell(q, a, confidence=c) for (q, a), c in zip(pairs, confidence)],
            scanned=True,
        ),
        mappings,
    )
    low = [m for m in extraction.meldingen if "lage zekerheid" in m.tekst]
    assert [m.veld for m in low] == ["zorgned_nummer"] and low[
        0
    ].ernst == "waarschuwing"
    assert (
        "ZorgNed" in low[0].tekst and "zorgned_nummer" not in low[0].tekst
    )  # the question, not our name
    assert (
        extraction.record.zorgned_nummer == "644475"
    )  # read, but flagged for a person to check


def _zip_with(tmp_path, name: str, files: dict[str, bytes], compression=None) -> str:
    import zipfile

    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression or zipfile.ZIP_DEFLATED) as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return str(path)


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = _zip_with(
        tmp_path,
        "bom.docx",
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<a/>",
            "word/media/x.bin": b"\0" * (60 * 1024 * 1024),
        },
    )
    result = _cli("extract", path, "--json")
    assert (
        result.returncode == ExitCode.unreadable_form
        and "verdacht groot" in result.stderr
    )


def test_a_macro_enabled_word_file_is_refused(tmp_path):
    import zipfile

    src = zipfile.ZipFile(sample("legacy-table.docx"))
    files = {n: src.read(n) for n in src.namelist()}
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"word.document.macroEnabled.main+xml"
    )
    files["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 fake macros"
    result = _cli("extract", _zip_with(tmp_path, "aanvraag.docx", files), "--json")
    assert result.returncode == ExitCode.unreadable_form and "macro" in result.stderr
