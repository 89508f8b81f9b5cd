"""Convert old and other word-processor formats (.doc, .odt, .rtf) to .docx with LibreOffice.

Each conversion runs headless with its own throw-away profile (`-env:UserInstallation`):
two conversions sharing one profile made one of them exit silently without output.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import UnreadableForm

TIMEOUT = 120
SUFFIX = {"ole": ".doc", "odt": ".odt", "rtf": ".rtf"}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_docx(content: bytes, kind: str) -> bytes:
    """The same document as .docx bytes; UnreadableForm when LibreOffice cannot read it."""
    exe = soffice()
    if exe is None:
        raise UnreadableForm("Dit formulier is een .doc-, .odt- of .rtf-bestand; omzetten kan op deze server niet "
                             "(LibreOffice ontbreekt). Sla het formulier op als .docx en stuur het opnieuw.")
    with tempfile.TemporaryDirectory(prefix="maatwerk-convert-") as tmp:
        src = Path(tmp) / f"formulier{SUFFIX[kind]}"
        src.write_bytes(content)
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(Path(tmp) / "out"), str(src)]
        for _attempt in range(2):  # a LibreOffice crash is retried once
            try:
                subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                continue
            out = Path(tmp) / "out" / "formulier.docx"
            if out.exists() and out.stat().st_size > 0:
                return out.read_bytes()
    raise UnreadableForm("Het bestand kon niet worden omgezet naar Word (.docx); het is mogelijk beschadigd. "
                         "Sla het formulier op als .docx en stuur het opnieuw.")
