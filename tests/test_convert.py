"""Forms in .doc, .odt and .rtf are converted with real LibreOffice (headless) and read
like Word."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.convert import soffice
from pipeline.errors import ExitCode
from tests.conftest import sample

pytestmark = pytest.mark.skipif(
    soffice() is None, reason="LibreOffice not installed (scripts/setup-system)"
)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conv")
    src = folder / "legacy-table.docx"
    src.write_bytes(sample("legacy-table.docx").read_bytes())
    for fmt in ("odt", "rtf", "doc"):
        subprocess.run(
            [
                soffice(),
                f"-env:UserInstallation={(folder / f'profile-{fmt}').as_uri()}",
                "--headless",
                "--convert-to",
                fmt,
                "--outdir",
                str(folder),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return folder


@pytest.mark.parametrize("fmt", ["odt", "rtf", "doc"])
def test_other_word_processor_formats_read_as_the_same_record(converted, fmt):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "maatwerk",
            "extract",
            str(converted / f"legacy-table.{fmt}"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    meldingen = got.pop("meldingen")
    assert got == json.loads(sample("legacy-table.json").read_text())
    assert [m for m in meldingen if m["ernst"] == "fout"] == []


def test_a_broken_doc_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "kapot.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    result = subprocess.run(
        [sys.executable, "-m", "maatwerk", "extract", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == ExitCode.unreadable_form and "omgezet" in result.stderr
