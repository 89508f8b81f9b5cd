"""OCR for scanned forms: page images → Dutch text with positions → question/answer rows.

Pages are rendered with pypdfium2 at the scan's own resolution and read by tesseract
(`-l nld+tur` by default: Debian's tesseract-ocr-nld and -tur, installed by
scripts/setup-system) one page at a time with
OMP_THREAD_LIMIT=1 (tesseract's own threading made it several times slower here).
A PDF that has a text layer never comes here.

A scanned two-column form loses its table lines to noise, so rows are rebuilt from word
positions: words right of the column split are answer text; a left-column line starts a
new question when it begins with a capital and the question so far is complete (ends in
'?', '.' or ':', or already matches a known question).
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from statistics import median
from typing import Optional

from .errors import UnreadableForm
from .mappings import Mappings

DPI = 300  # for pages whose scan resolution cannot be told
DPI_RANGE = (150, 600)
# Dutch first; Turkish adds ı ş ğ ç for the names that are common in Dutch municipalities
DEFAULT_LANGUAGES = "nld+tur"
TESSERACT_TIMEOUT = 120
NOISE = re.compile(r"^[\W_]{1,3}$")  # table rules and specks read as '|', '‚', '—'
MIN_COLUMN_GAP = 60  # px at 300 dpi: a gap this wide on many lines marks the column split
WORD_GAP = 35  # px at 300 dpi: wider than a word space (≈ 15–20 px at 11 pt), so a column break
QUESTION_DONE_SCORE = 95.0


@dataclass
class Word:
    text: str
    left: int
    top: int
    right: int
    conf: float


@dataclass
class Line:
    words: list[Word]

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def left(self) -> int:
        return self.words[0].left

    @property
    def right(self) -> int:
        return max(w.right for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Row:
    question: list[str] = field(default_factory=list)
    answer: list[Line] = field(default_factory=list)


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    if shutil.which("tesseract") is None:
        return frozenset()
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (subprocess.SubprocessError, OSError):
        return frozenset()
    return frozenset(ln.strip() for ln in out.splitlines()[1:] if ln.strip())


def usable_languages(languages: str) -> str:
    """The configured languages that are installed; Dutch must be there."""
    have = installed_languages()
    if "nld" not in have:
        raise UnreadableForm("Dit is een scan, maar tekstherkenning in het Nederlands (tesseract met 'nld') is op "
                             "deze server niet geïnstalleerd. Stuur het formulier als Word-bestand.")
    return "+".join(lang for lang in languages.split("+") if lang in have) or "nld"


def _scan_dpi(page) -> float:
    """The resolution the page was scanned at (its largest image), so OCR sees the scan's own pixels."""
    import pypdfium2.raw as pdfium_raw

    best = 0.0
    for obj in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]):
        best = max(best, obj.get_metadata().horizontal_dpi or 0.0)
    best = round(best)  # scanners write whole dpi; 225.00001 in the metadata is float noise
    return best if DPI_RANGE[0] <= best <= DPI_RANGE[1] else DPI


def ocr_pdf(content: bytes, languages: str = DEFAULT_LANGUAGES) -> list[list[Line]]:
    """Each page's text lines, read by tesseract (Dutch, plus the configured languages)."""
    import pypdfium2 as pdfium

    languages = usable_languages(languages)
    pages: list[list[Line]] = []
    pdf = pdfium.PdfDocument(content)
    try:
        with tempfile.TemporaryDirectory(prefix="maatwerk-ocr-") as tmp:
            for i in range(len(pdf)):
                page = pdf[i]
                dpi = _scan_dpi(page)
                image = page.render(scale=dpi / 72, grayscale=True).to_pil()
                path = Path(tmp) / f"p{i}.png"
                image.save(path)
                lines = _tesseract_lines(path, languages)
                pages.append(_to_300_dpi(lines, dpi))
    finally:
        pdf.close()
    return pages


def _to_300_dpi(lines: list[Line], dpi: float) -> list[Line]:
    """Word positions in 300-dpi pixels, whatever the scan's resolution (the layout rules use them)."""
    f = 300 / dpi
    for line in lines:
        for w in line.words:
            w.left, w.top, w.right = round(w.left * f), round(w.top * f), round(w.right * f)
    return lines


def _tesseract_lines(image: Path, languages: str) -> list[Line]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        out = subprocess.run(["tesseract", str(image), "stdout", "-l", languages, "--psm", "3", "tsv"],
                             capture_output=True, text=True, env=env, timeout=TESSERACT_TIMEOUT, check=True)
    except (subprocess.SubprocessError, OSError):
        raise UnreadableForm("De scan kon niet worden gelezen (tekstherkenning mislukt). "
                             "Stuur het formulier als Word-bestand of als betere scan.") from None
    lines: dict[tuple[str, str, str], list[Word]] = {}
    for r in csv.DictReader(io.StringIO(out.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (r.get("text") or "").strip()
        if r.get("level") != "5" or not text:
            continue
        left, top, width = int(r["left"]), int(r["top"]), int(r["width"])
        lines.setdefault((r["block_num"], r["par_num"], r["line_num"]), []).append(
            Word(text=text, left=left, top=top, right=left + width, conf=float(r["conf"])))
    out_lines = []
    for words in lines.values():
        words = [w for w in sorted(words, key=lambda w: w.left) if not NOISE.match(w.text)]
        for w in words:
            w.text = w.text.lstrip("|‚'`")
        words = [w for w in words if w.text]
        if words:
            out_lines.append(Line(words))
    return sorted(out_lines, key=lambda ln: ln.top)


def column_split(pages: list[list[Line]]) -> Optional[int]:
    """The x where the answer column starts: the word after the widest gap, over many lines."""
    starts = []
    for lines in pages:
        for line in lines:
            gaps = [(b.left - a.right, b.left) for a, b in zip(line.words, line.words[1:])]
            if gaps:
                gap, x = max(gaps)
                if gap >= MIN_COLUMN_GAP:
                    starts.append(x)
    if len(starts) < 3:
        return None
    return int(median(starts)) - MIN_COLUMN_GAP // 2


def rows(pages: list[list[Line]], mappings: Mappings) -> list[Row]:
    split = column_split(pages)
    if split is None:
        return []
    result: list[Row] = []
    in_table = False
    for lines in pages:
        for line in lines:
            left = [w for w in line.words if (w.left + w.right) / 2 < split]
            right = [w for w in line.words if (w.left + w.right) / 2 >= split]
            if left and right and right[0].left - left[-1].right < WORD_GAP:
                in_table = False  # running text across the page (introduction, closing lines)
                continue
            if left:
                text = " ".join(w.text for w in left)
                if not in_table or _starts_question(result[-1].question, text, mappings):
                    result.append(Row(question=[text]))
                    in_table = True
                else:
                    result[-1].question.append(text)
            if right and in_table:
                result[-1].answer.append(Line(right))
    return result


def _starts_question(question_so_far: list[str], text: str, mappings: Mappings) -> bool:
    """Does this left-column line begin a new question, or continue the one before?"""
    if not text[:1].isupper():
        return False
    so_far = " ".join(question_so_far)
    if so_far.rstrip().endswith(("?", ".", ":")):
        return True
    done = mappings.labels.match(so_far)[1]
    if done >= QUESTION_DONE_SCORE:
        return True
    return mappings.labels.match(text)[1] > mappings.labels.match(f"{so_far} {text}")[1]


def answer_paragraphs(lines: list[Line], right_edge: int) -> list[str]:
    """Answer lines → paragraphs: a line ends its paragraph when the next line's first word
    would still have fitted behind it."""
    paragraphs: list[str] = []
    prev: Optional[Line] = None
    for line in lines:
        text = line.text
        if prev is not None:
            first = line.words[0]
            if prev.right + (first.right - first.left) + 40 < right_edge:
                paragraphs.append(text)
            else:
                paragraphs[-1] += ("" if paragraphs[-1].endswith("-") else " ") + text
        else:
            paragraphs.append(text)
        prev = line
    return paragraphs


def confidence(lines: list[Line]) -> float:
    confs = [w.conf for line in lines for w in line.words if w.conf >= 0]
    return sum(confs) / len(confs) / 100 if confs else 1.0
