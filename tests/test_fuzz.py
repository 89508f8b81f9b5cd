"""Fuzzing the extractors with mutated Word and PDF files: whatever the bytes, the
answer is a record or the documented refusal (UnreadableForm with a Dutch reason) —
never a crash. CI runs a few hundred cases; `pytest -m slow` runs 10,000."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import OcrSettings, ReadSettings, Settings
from pipeline.errors import UnreadableForm
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from tests.conftest import SAMPLES

MAPPINGS = load_mappings(Settings().region.mappings_dir, "zou")
NLD = ReadSettings(ocr=OcrSettings(languages="nld"))
SEEDS = {
    name: (SAMPLES / name).read_bytes()
    for name in (
        "legacy-table.docx",
        "template.docx",
        "acroform-canonical.pdf",
        "legacy-table-as-pdf.pdf",
    )
    if (SAMPLES / name).exists()
}


def _check(content: bytes) -> None:
    try:
        extraction = extract_bytes(content, MAPPINGS, NLD)
    except UnreadableForm as exc:
        assert (
            exc.melding and exc.melding[0].isupper()
        )  # a Dutch sentence for the sender
        return
    assert extraction.record is not None


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "splice"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[pos : pos + draw(st.integers(1, 4096))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        if not data:
            break
    return bytes(data)


@st.composite
def mutated_docx_member(draw):
    """A well-formed zip whose document.xml is damaged: exercises the XML readers, not
    just unzip."""
    src = zipfile.ZipFile(io.BytesIO(SEEDS["legacy-table.docx"]))
    xml = bytearray(src.read("word/document.xml"))
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(xml) - 1))
        xml[pos : pos + draw(st.integers(0, 40))] = draw(st.binary(max_size=20))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in src.namelist():
            zf.writestr(n, bytes(xml) if n == "word/document.xml" else src.read(n))
    return out.getvalue()


CI_EXAMPLES = int(os.environ.get("MAATWERK_FUZZ_EXAMPLES", "60"))


@pytest.mark.skipif(not SEEDS, reason="samples not found (../shared/samples)")
@settings(
    max_examples=CI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_mutated_files_are_read_or_refused(content):
    _check(content)


@pytest.mark.skipif(not SEEDS, reason="samples not found (../shared/samples)")
@settings(
    max_examples=CI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated_docx_member())
def test_damaged_document_xml_is_read_or_refused(content):
    _check(content)


@pytest.mark.slow
@pytest.mark.skipif(not SEEDS, reason="samples not found (../shared/samples)")
@settings(
    max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.one_of(mutated(), mutated_docx_member()))
def test_ten_thousand_mutations(content):
    _check(content)


@pytest.mark.skipif(
    "template.docx" not in SEEDS, reason="samples not found (../shared/samples)"
)
def test_a_document_without_its_body_is_refused_as_damaged():
    """Found by the slow fuzz trial: a document.xml whose w:body is gone made our reader
    fail."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO((SAMPLES / "template.docx").read_bytes())) as zin,
        zipfile.ZipFile(out, "w") as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:bodx>").replace(
                    b"</w:body>", b"</w:bodx>"
                )
            zout.writestr(info, data)
    with pytest.raises(UnreadableForm, match="beschadigd"):
        extract_bytes(out.getvalue(), MAPPINGS)
