"""Tesseract, the OCR program: which languages are installed, and the words it reads on
a page image (one process per band, TSV)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from functools import lru_cache

import cv2
import numpy as np

from pipeline.errors import UnreadableForm
from pipeline.readers.scan_image import UNREADABLE, WORK_DPI, Word


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    if shutil.which("tesseract") is None:
        return frozenset()
    try:
        out = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return frozenset()
    return frozenset(ln.strip() for ln in out.splitlines()[1:] if ln.strip())


def usable_languages(languages: str) -> str:
    """The configured languages (`[ocr] languages`) that are installed. Raises
    UnreadableForm when Dutch is not installed."""
    have = installed_languages()
    if "nld" not in have:
        raise UnreadableForm(
            "Dit is een scan, maar tekstherkenning in het Nederlands (tesseract met"
            " 'nld') is op deze server niet geïnstalleerd. Stuur het formulier als"
            " Word-bestand."
        )
    return "+".join(lang for lang in languages.split("+") if lang in have) or "nld"


# automatic page segmentation: columns and boxes are found by tesseract
TESSERACT_PSM = "3"
TESSERACT_TIMEOUT = 120  # s per page


def read_words(gray: np.ndarray, languages: str) -> list[Word]:
    """Tesseract's words on the page (one process per page, TSV)."""
    ok, image = cv2.imencode(".png", gray)
    env = {
        **os.environ,
        "OMP_THREAD_LIMIT": "1",
    }  # tesseract's own threads made it slower here
    try:
        out = subprocess.run(
            [
                "tesseract",
                "stdin",
                "stdout",
                "-l",
                languages,
                "--dpi",
                str(WORK_DPI),
                "--psm",
                TESSERACT_PSM,
                "tsv",
            ],
            input=image.tobytes(),
            capture_output=True,
            env=env,
            timeout=TESSERACT_TIMEOUT,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        raise UnreadableForm(UNREADABLE) from None
    words = []
    rows = csv.DictReader(
        io.StringIO(out.stdout.decode("utf-8", "replace")),
        delimiter="\t",
        quoting=csv.QUOTE_NONE,
    )
    for r in rows:
        text = (r.get("text") or "").strip()
        if r.get("level") != "5" or not text:
            continue
        left, top, width, height = (
            int(r[k]) for k in ("left", "top", "width", "height")
        )
        words.append(
            Word(text, left, top, left + width, top + height, float(r["conf"]))
        )
    return words
