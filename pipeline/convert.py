"""Document conversion with headless LibreOffice: old formats (.doc, .odt, .rtf) to
.docx on intake, and generated .docx documents to PDF/A for the contract package and the
register.

Each call runs with its own throw-away profile (`-env:UserInstallation`): two
conversions sharing one profile made one of them exit silently without output. Several
files go in one call (about as fast as one). A crash or a missing output is retried
once.

LibreOffice never reaches the network: a sender's .odt, .doc or .rtf with a linked
image, frame or OLE link made it fetch `http://…` during intake (server-side request
forgery). It runs in a network namespace of its own, with only a loopback that is down
(`unshare --net`, or as another user than root `unshare -r -n`); and its profile blocks
links from documents outside trusted locations (`BlockUntrustedRefererLinks`), which
also holds where namespaces are not allowed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from pipeline.errors import ConversionFailed, UnreadableForm

TIMEOUT = 180
SUFFIX = {"ole": ".doc", "odt": ".odt", "rtf": ".rtf"}
PDF_A = (  # PDF/A-2b
    'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
)


log = logging.getLogger(f"maatwerk.{__name__}")
# the throw-away profile's settings: no links followed from a document (none is trusted)
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop
 oor:name="BlockUntrustedRefererLinks"
 oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop
 oor:name="MacroSecurityLevel"
 oor:op="fuse"><value>3</value></prop></item>
</oor:items>
"""
NAMESPACES = (
    ["unshare", "--net"],
    ["unshare", "--map-root-user", "--net"],
)  # as root; as another user


def soffice() -> str | None:
    """LibreOffice's soffice: $MAATWERK_SOFFICE when set (e.g. a specific install), else
    from PATH."""
    return (
        os.environ.get("MAATWERK_SOFFICE")
        or shutil.which("soffice")
        or shutil.which("libreoffice")
    )


@lru_cache(maxsize=1)
def without_network() -> tuple[str, ...]:
    """The command prefix that runs a program in a network namespace of its own; () when
    this system allows none (then the profile's link blocking is what holds)."""
    for prefix in NAMESPACES:
        try:
            if (
                subprocess.run(
                    [*prefix, "true"], capture_output=True, timeout=10
                ).returncode
                == 0
            ):
                return tuple(prefix)
        except (OSError, subprocess.SubprocessError):
            continue
    log.warning(
        "no network namespace for LibreOffice (unshare not allowed): links are blocked"
        " by its profile only"
    )
    return ()


def _profile(folder: Path) -> Path:
    """A fresh LibreOffice profile in `folder` with PROFILE_SETTINGS."""
    settings = folder / "user" / "registrymodifications.xcu"
    settings.parent.mkdir(parents=True)
    settings.write_text(PROFILE_SETTINGS, encoding="utf-8")
    return folder


def convert(files: dict[str, bytes], target: str) -> dict[str, bytes]:
    """{file name: content} → {file stem: converted content}; names are ours, never a
    sender's."""
    exe = soffice()
    if exe is None:
        raise ConversionFailed(
            "LibreOffice (soffice) is niet geïnstalleerd; het product heeft het nodig."
        )
    ext = target.split(":")[0]
    with tempfile.TemporaryDirectory(prefix="maatwerk-lo-") as tmp:
        paths = []
        for name, content in files.items():
            path = Path(tmp) / name
            path.write_bytes(content)
            paths.append(path)
        out_dir = Path(tmp) / "out"
        cmd = [
            *without_network(),
            exe,
            f"-env:UserInstallation={_profile(Path(tmp) / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            *map(str, paths),
        ]
        for _attempt in range(2):
            try:
                subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                continue
            outputs = {p.stem: out_dir / f"{p.stem}.{ext}" for p in paths}
            if all(o.exists() and o.stat().st_size > 0 for o in outputs.values()):
                return {stem: o.read_bytes() for stem, o in outputs.items()}
    raise ConversionFailed(f"LibreOffice heeft geen {ext}-bestand gemaakt.")


def to_docx(content: bytes, kind: str) -> bytes:
    """An incoming .doc/.odt/.rtf form as .docx; UnreadableForm (Dutch) when that cannot
    be done."""
    if soffice() is None:
        raise UnreadableForm(
            "Dit formulier is een .doc-, .odt- of .rtf-bestand; omzetten kan op deze"
            " server niet (LibreOffice ontbreekt). Sla het formulier op als .docx en"
            " stuur het opnieuw."
        )
    try:
        return convert({f"formulier{SUFFIX[kind]}": content}, "docx:MS Word 2007 XML")[
            "formulier"
        ]
    except ConversionFailed:
        raise UnreadableForm(
            "Het bestand kon niet worden omgezet naar Word (.docx); het is mogelijk"
            " beschadigd. Sla het formulier op als .docx en stuur het opnieuw."
        ) from None


def to_pdf(documents: dict[str, bytes]) -> dict[str, bytes]:
    """Generated .docx documents as PDF/A, in one LibreOffice call: {stem: pdf}."""
    return convert(
        {f"{stem}.docx": content for stem, content in documents.items()}, PDF_A
    )
