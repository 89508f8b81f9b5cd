"""Document conversion with headless LibreOffice: old formats (.doc, .odt, .rtf) to .docx on
intake, and generated .docx documents to PDF/A for the contract package and the register.

Each call runs with its own throw-away profile (`-env:UserInstallation`): two conversions
sharing one profile made one of them exit silently without output. Several files go in one
call (about as fast as one). A crash or a missing output is retried once.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import UnreadableForm

TIMEOUT = 180
SUFFIX = {"ole": ".doc", "odt": ".odt", "rtf": ".rtf"}
PDF_A = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'  # PDF/A-2b


class ConversionFailed(Exception):
    """LibreOffice is missing or produced no output (after a retry)."""


def soffice() -> str | None:
    """LibreOffice's soffice: $MAATWERK_SOFFICE when set (e.g. a specific install), else from PATH."""
    return os.environ.get("MAATWERK_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: dict[str, bytes], target: str) -> dict[str, bytes]:
    """{file name: content} → {file stem: converted content}; names are ours, never a sender's."""
    exe = soffice()
    if exe is None:
        raise ConversionFailed("LibreOffice (soffice) is not installed")
    ext = target.split(":")[0]
    with tempfile.TemporaryDirectory(prefix="maatwerk-lo-") as tmp:
        paths = []
        for name, content in files.items():
            path = Path(tmp) / name
            path.write_bytes(content)
            paths.append(path)
        out_dir = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(out_dir), *map(str, paths)]
        for _attempt in range(2):
            try:
                subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                continue
            outputs = {p.stem: out_dir / f"{p.stem}.{ext}" for p in paths}
            if all(o.exists() and o.stat().st_size > 0 for o in outputs.values()):
                return {stem: o.read_bytes() for stem, o in outputs.items()}
    raise ConversionFailed(f"LibreOffice made no {ext} output")


def to_docx(content: bytes, kind: str) -> bytes:
    """An incoming .doc/.odt/.rtf form as .docx; UnreadableForm (Dutch) when that cannot be done."""
    if soffice() is None:
        raise UnreadableForm("Dit formulier is een .doc-, .odt- of .rtf-bestand; omzetten kan op deze server niet "
                             "(LibreOffice ontbreekt). Sla het formulier op als .docx en stuur het opnieuw.")
    try:
        return convert({f"formulier{SUFFIX[kind]}": content}, "docx:MS Word 2007 XML")["formulier"]
    except ConversionFailed:
        raise UnreadableForm("Het bestand kon niet worden omgezet naar Word (.docx); het is mogelijk beschadigd. "
                             "Sla het formulier op als .docx en stuur het opnieuw.") from None


def to_pdf(documents: dict[str, bytes]) -> dict[str, bytes]:
    """Generated .docx documents as PDF/A, in one LibreOffice call: {stem: pdf}."""
    return convert({f"{stem}.docx": content for stem, content in documents.items()}, PDF_A)
