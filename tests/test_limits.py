"""Every reader is bounded and isolated, and LibreOffice never reaches the network
(issue 14).

The hostile files come from tests/attacks.py. Each ends refused with a Dutch reason
within the limits of `[limits]`, while the worker's own memory stays where it was;
normal forms still read. A listener on loopback must see no request from a linked image,
frame or OLE link in .odt, .doc, .rtf and .docx, during intake conversion or PDF
rendering.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from pipeline import convert, sandbox
from pipeline.config import LimitSettings, OcrSettings, ReadSettings, Settings
from pipeline.errors import UnreadableForm
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from tests import attacks
from tests.conftest import mail_with_form, sample

REFERRER = "e.vandijk@zeist.nl"
TOO_BIG = "bij uitpakken verdacht groot"
REFUSED = {  # attack: what the sender is told
    "huge_page_pdf": "te groot om te lezen (meer dan 40 megapixel",
    "deflate_bomb_pdf": (
        ""
    ),  # too much memory, or damaged: whichever the parser says first
    "lying_zip_docx": TOO_BIG,
    "lying_zip_odt": TOO_BIG,
    "many_pages_pdf": "te groot om te verwerken (meer dan 50 pagina's)",
    "deep_pdf": "beschadigd",
    "deep_docx": "",
}
READ = ReadSettings(ocr=OcrSettings(languages="nld"))
needs_soffice = pytest.mark.skipif(
    convert.soffice() is None, reason="LibreOffice not installed (scripts/setup-system)"
)


@pytest.fixture(scope="module")
def mappings():
    settings = Settings()
    return load_mappings(settings.region.mappings_dir, settings.region.profile)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.parametrize("name", list(attacks.ATTACKS))
def test_each_attack_is_refused_in_dutch_within_the_limits(name, mappings):
    content = attacks.ATTACKS[name]()
    before = rss_mb()
    started = time.monotonic()
    with pytest.raises(UnreadableForm) as refused:
        extract_bytes(content, mappings, READ)
    elapsed = time.monotonic() - started
    assert REFUSED[name] in refused.value.melding
    assert refused.value.melding.startswith("Het ") or refused.value.melding.startswith(
        "Een "
    )
    assert elapsed < READ.limits.wall_seconds
    assert rss_mb() - before < 100  # the bytes were parsed in the child, not here


def test_a_reading_past_its_cpu_time_is_stopped():
    started = time.monotonic()
    with pytest.raises(UnreadableForm, match="te veel rekentijd"):
        sandbox.run(attacks.slow, (), LimitSettings(cpu_seconds=1, wall_seconds=30))
    assert time.monotonic() - started < 10


def test_a_reading_past_its_memory_is_stopped_and_the_worker_keeps_its_own():
    before = rss_mb()
    with pytest.raises(UnreadableForm, match="te veel geheugen \\(meer dan 256 MB\\)"):
        sandbox.run(attacks.hungry, (), LimitSettings(memory_mb=256))
    assert rss_mb() - before < 50


def test_a_reading_past_its_clock_time_is_stopped_with_the_programs_it_started():
    marker = uuid.uuid4().hex  # `sleep 600 <marker>`: found again by its command line
    started = time.monotonic()
    with pytest.raises(
        UnreadableForm, match="duurde te lang \\(meer dan 1 seconden\\)"
    ):
        sandbox.run(attacks.sleepy_program, (marker,), LimitSettings(wall_seconds=1))
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    left = [
        p
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _cmdline(p).endswith(marker)
    ]
    assert left == []


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


@pytest.mark.parametrize(
    "name",
    [
        "template.docx",
        "legacy-table.docx",
        "acroform-canonical.pdf",
        "legacy-table-as-pdf.pdf",
    ],
)
def test_normal_forms_read_as_before(name, mappings):
    extraction = extract_bytes(sample(name).read_bytes(), mappings, READ)
    got = extraction.record.model_dump(mode="json")
    assert got == json.loads(sample(name.rsplit(".", 1)[0] + ".json").read_text())


def test_a_page_limit_of_one_refuses_a_two_page_form(mappings):
    with pytest.raises(UnreadableForm, match="meer dan 1 pagina"):
        extract_bytes(
            sample("legacy-table-as-pdf.pdf").read_bytes(),
            mappings,
            READ.model_copy(update={"limits": LimitSettings(max_pages=1)}),
        )


def test_an_attack_by_mail_is_refused_to_its_sender_and_the_next_mail_is_handled(env):
    env.deliver(
        mail_with_form(REFERRER, "aanvraag", "aanvraag.pdf", attacks.huge_page_pdf())
    )
    env.deliver(sample("mail-submission.eml").read_bytes())
    env.run()
    refusals = [
        m for m in env.inbox(REFERRER) if "niet in behandeling" in str(m["Subject"])
    ]
    assert len(refusals) == 1
    assert "te groot om te lezen" in refusals[0].get_body(("plain",)).get_content()
    with env.pipeline.store.session() as s:
        from pipeline import store

        states = sorted(store.get_case(s, f"MW-2027-000{n}").state for n in (1, 2))
    assert states == ["advies_gevraagd", "geweigerd"]
    assert any(
        p.read_bytes() == attacks.huge_page_pdf() for p in env.register_files()
    )  # kept


# --- no network from LibreOffice
# ---------------------------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that records the first bytes of every connection."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(200) or b"(connected)")
                except OSError:
                    self.requests.append(b"(connected)")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.2"><office:body><office:text>
<text:p>Aanvraag <draw:frame draw:name="i" text:anchor-type="as-char" svg:width="2cm" svg:height="2cm"><draw:image
 xlink:href="{image}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
<text:p><draw:frame draw:name="f" text:anchor-type="as-char" svg:width="4cm" svg:height="2cm"><draw:floating-frame
 xlink:href="{frame}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
<text:p><draw:frame draw:name="o" text:anchor-type="as-char" svg:width="4cm" svg:height="2cm"><draw:object-ole
 xlink:href="{ole}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
<text:section text:name="s"><text:section-source xlink:href="{section}" xlink:type="simple"/></text:section>
</office:text></office:body></office:document-content>"""
ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"""


def linked_odt(listener: Listener) -> bytes:
    """An .odt with a linked image, a floating frame, a linked OLE object and a linked
    section."""
    path = Path(f"linked-{uuid.uuid4().hex}.odt")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text"
        )
        zf.writestr(
            "content.xml",
            ODT_CONTENT.format(
                image=listener.url("odt-image.png"),
                frame=listener.url("odt-frame.html"),
                ole=listener.url("odt-ole.xls"),
                section=listener.url("odt-section.odt"),
            ),
            zipfile.ZIP_DEFLATED,
        )
        zf.writestr("META-INF/manifest.xml", ODT_MANIFEST, zipfile.ZIP_DEFLATED)
    content = path.read_bytes()
    path.unlink()
    return content


def linked_rtf(listener: Listener) -> bytes:
    """An .rtf with an INCLUDEPICTURE field (not stored), a shape picture by name and a
    linked object."""
    return (
        "{\\rtf1\\ansi Aanvraag "
        f'{{\\field{{\\*\\fldinst {{INCLUDEPICTURE "{listener.url("rtf-field.png")}"'
        " \\\\d}}{\\fldrslt }} "
        "{\\shp{\\*\\shpinst\\shpleft0\\shptop0\\shpright2000\\shpbottom2000{\\sp{\\sn"
        " shapeType}{\\sv 75}}"
        f"{{\\sp{{\\sn pibName}}{{\\sv {listener.url('rtf-shape.png')}}}}}{{\\sp{{\\sn"
        " pibFlags}{\\sv 10}}}} "
        "{\\object\\objautlink\\objw100\\objh100{\\*\\objclass Excel.Sheet.8}"
        f"{{\\*\\linkself {listener.url('rtf-ole.xls')}}}{{\\result x}}}}\\par}}"
    ).encode()


def unprotected(content: bytes, suffix: str, target: str, folder: Path) -> bytes:
    """`content` converted by LibreOffice as it runs out of the box: network allowed, no
    settings."""
    src = folder / f"linked{suffix}"
    src.write_bytes(content)
    subprocess.run(
        [
            convert.soffice(),
            f"-env:UserInstallation={(folder / 'open-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(folder / "out"),
            str(src),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    return (folder / "out" / f"linked.{target}").read_bytes()


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """Documents with links to a listener, in the four formats; .doc and .docx made from
    the .odt by LibreOffice out of the box, which fetched the links as it did so (the
    attack is real).
    """
    listener = Listener()
    folder = tmp_path_factory.mktemp("linked")
    odt = linked_odt(listener)
    docs = {
        "odt": odt,
        "rtf": linked_rtf(listener),
        "doc": unprotected(odt, ".odt", "doc", folder),
        "docx": unprotected(odt, ".odt", "docx", folder),
    }
    fetched_by_default = list(listener.requests)
    listener.requests.clear()
    return listener, docs, fetched_by_default


@needs_soffice
def test_libreoffice_out_of_the_box_fetches_linked_content(linked):
    _, _, fetched = linked
    assert any(b"odt-image.png" in r for r in fetched) and any(
        b"odt-ole.xls" in r for r in fetched
    )


@needs_soffice
@pytest.mark.parametrize("fmt", ["odt", "doc", "rtf", "docx"])
def test_no_request_from_a_linked_document_during_intake_or_pdf_rendering(
    linked, mappings, fmt
):
    listener, docs, _ = linked
    kind = {"doc": "ole"}.get(fmt, fmt)
    try:
        extract_bytes(
            docs[fmt], mappings, READ
        )  # intake: conversion (not for .docx) and reading
    except UnreadableForm:
        pass  # no form: refused, which is fine here
    docx = docs[fmt] if fmt == "docx" else convert.to_docx(docs[fmt], kind)
    convert.to_pdf({"document": docx})
    time.sleep(0.5)
    assert listener.requests == []


@needs_soffice
@pytest.mark.parametrize("layer", ["namespace", "profile"])
def test_each_layer_alone_keeps_libreoffice_off_the_network(linked, monkeypatch, layer):
    listener, docs, _ = linked
    if layer == "namespace":
        monkeypatch.setattr(
            convert,
            "PROFILE_SETTINGS",
            '<?xml version="1.0"?><oor:items xmlns:oor='
            '"http://openoffice.org/2001/registry"/>',
        )
        assert convert.without_network()
    else:
        monkeypatch.setattr(convert, "without_network", lambda: ())
    convert.to_docx(docs["odt"], "odt")
    convert.to_pdf({"document": docs["docx"]})
    time.sleep(0.5)
    assert listener.requests == []


def test_without_network_names_a_working_namespace_here():
    prefix = convert.without_network()
    if os.geteuid() == 0:
        assert prefix == ("unshare", "--net")
    if prefix:  # inside it, loopback is down: nothing of this host is reachable
        out = subprocess.run(
            [
                *prefix,
                "python3",
                "-c",
                "import socket; socket.create_connection(('127.0.0.1', 9), 1)",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode != 0 and "unreachable" in out.stderr.lower()
