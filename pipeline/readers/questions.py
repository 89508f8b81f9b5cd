"""Question matching: a printed question → the canonical question of the form it asks.

The question texts, the form's printed guidance (hint texts) and answer prefixes are
data in `mappings/labels.toml`; matching is tolerant to renumbering, shortening,
rewording, word order and small typos (rapidfuzz), and a row that is no question of the
form matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from pipeline.readers.concepts import CONCEPT_SCORE, CONCEPT_UNSURE, Concepts
from pipeline.text import norm

QUESTION_MIN_SCORE = 72.0  # below this a printed text is no question of the form
# a text that scores this is probably a question we do not know
QUESTION_NEAR_SCORE = 55.0
QUESTION_SURE_SCORE = 85.0  # at or above this the question is recognised with certainty
PARTIAL_DISCOUNT = (
    8  # a partial match (abbreviated question) counts a little less than a whole one
)
# a short label found whole in a short question ('Gemeente' in 'Gemeente van het
# verzoek')
SUBSET_DISCOUNT = 12
SHORT_QUESTION_WORDS = 6
HINT_PART_MIN = (
    35  # a shorter text found inside a hint may be an answer that shares its words
)
STOPWORDS = {
    "de",
    "het",
    "een",
    "van",
    "en",
    "in",
    "op",
    "voor",
    "is",
    "je",
    "bij",
    "om",
    "te",
    "wat",
    "wie",
    "welke",
    "welk",
    "met",
    "aan",
    "der",
    "den",
    "of",
    "uw",
    "jouw",
    "die",
    "dat",
    "er",
}
BOXES = re.compile(r"[☒☑☐□✓✔■⊠]|\[\s*[xX]?\s*\]")
# a condition before the question names other questions' words: 'Alleen bij vrijwillig
# kader: …'
CONDITION = re.compile(
    r"^\W*(alleen\s+)?((bij|indien|als|in geval van|in het geval van)\s+[^:;?]{1,40}|"
    r"(vrijwillig|gedwongen|verblijf|ambulant)(\s+kader)?)\s*[:;]\s*",
    re.I,
)
ORGANISATION_ASKED = re.compile(
    r"\b(welke|voorgestelde|beoogde|naam van de)\s+(zorg)?aanbieder", re.I
)
# a note in brackets about when or how to answer, not part of what is asked
ASIDE = re.compile(
    r"\((?:[^)]*[a-zà-ÿ][.!]\s+[^)]*|\s*(alleen|indien|bij|in te vullen|niet"
    r" invullen|invullen|"
    r"maximaal|denk aan|zie|let op|twijfel)\b[^)]*)\)",
    re.I,
)
MEMO_SIZE = (
    4096  # questions remembered (a worker reads many forms with the same questions)
)
CONCEPT_SURE = 90.0  # a wording matched this well is not second-guessed by its words
# a wording matched less well than this counts only when its words agree
FUZZY_ALONE = 80.0
# the parts of a person's or organisation's details a question may ask for
PART_WORDS = {
    "naam": re.compile(r"\bnaam\b", re.I),
    "contactpersoon": (
        re.compile(r"\bcontact\s*(persoon|pers\.?)?\b|\baanspreekpunt\b", re.I)
    ),
    "telefoon": (
        re.compile(r"\b(tel|telefoon|telefoonnummer|tel\.?\s*nr|mobiel|mob)\b", re.I)
    ),
    "email": re.compile(r"\b(e-?mail|mailadres|e-?mailadres)\b", re.I),
}
NUMBERING = re.compile(
    r"^\s*(?:vraag\s*)?(?:\d+(?:\.\d+)*|[a-zA-Z])\s*[.):]\s+|^\s*\d+(?:\.\d+)*\s+", re.I
)


@dataclass
class Labels:
    rows: dict[str, list[str]]
    hint_prefixes: list[str]
    hint_label_only: list[str]
    hint_texts: list[str]
    fields: dict[str, list[str]] = field(default_factory=dict)
    velden: dict[str, str] = field(
        default_factory=dict
    )  # canonical field → its question, in Dutch
    concepten: dict[str, dict[str, float]] = field(
        default_factory=dict
    )  # kind → {word stem: weight}
    samengesteld: dict[str, list[str]] = field(
        default_factory=dict
    )  # composite kind → its parts
    geen_vraag: list[str] = field(
        default_factory=list
    )  # words of texts that are never a question
    omvat: dict[str, list[str]] = field(
        default_factory=dict
    )  # kind → kinds its reader also covers
    _choices: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        # the questions of the rows, and the short names of single fields ('Naam
        # contactpersoon')
        self._choices = [
            (norm(label), kind)
            for kind, labels in self.rows.items()
            for label in labels
        ]
        self._choices += [
            (norm(name), target)
            for target, names in self.fields.items()
            for name in names
            if (norm(name), target) not in self._choices
        ]
        self._names = [c[0] for c in self._choices]
        self._concepts = Concepts(
            self.concepten, self.geen_vraag, self.samengesteld, self.omvat
        )
        self._memo: dict[
            str, tuple[str | None, float]
        ] = {}  # the layout's fit and the record ask alike
        self._hint_only = {norm(x) for x in self.hint_label_only}
        self._hints = [norm(x) for x in self.hint_texts]

    def match(self, question: str) -> tuple[str | None, float]:
        """The kind of question a printed text asks (a row kind or a canonical field),
        with its match score (0–100).

        Numbering ('3.', 'Vraag 4:', 'b)') is ignored, and so is a bracketed aside when
        that scores better. token_sort for reworded/reordered questions; partial
        (slightly discounted) for abbreviated ones — never for a text much longer than
        the label (a paragraph that mentions it) nor for a mere word or two (OCR specks
        like 'In'); token_set (discounted more) for a short question that contains a
        short label whole ('Gemeente van het verzoek').
        """
        if question not in self._memo:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[question] = self._recognise(question)
        return self._memo[question]

    def _recognise(self, question: str) -> tuple[str | None, float]:
        text = NUMBERING.sub("", question)
        best: tuple[str | None, float] = (None, 0.0)
        for variant in dict.fromkeys(
            (norm(text), norm(re.sub(r"\([^)]*\)", " ", text)))
        ):
            if variant:
                found = self._match(variant)
                if found[1] > best[1]:
                    best = found
        if (
            best[1] < CONCEPT_SURE
        ):  # a wording we do not know well: what do its words point to?
            # the words of an aside in brackets ('(Alleen invullen bij vrijwillig
            # kader.)') are not the question's
            found = self._concepts.kind_of(CONDITION.sub("", ASIDE.sub(" ", text)))
            if found[1] < CONCEPT_SCORE:
                found = max(
                    found,
                    self._concepts.kind_of(CONDITION.sub("", text)),
                    key=lambda f: f[1],
                )
            if found[1] > best[1] or (
                found[1] == CONCEPT_SCORE and not self._refines(best[0], found[0])
            ):
                best = found
            elif (
                found[0] is None and best[1] < FUZZY_ALONE
            ):  # a loose likeness with no word of the question
                best = (best[0], min(best[1], CONCEPT_UNSURE))
        return self._part_asked(best[0], text), best[1]

    def _refines(self, kind: str | None, broader: str | None) -> bool:
        """Is `kind` the same as, or one part of, `broader` ('aanbieder.contactpersoon'
        of 'aanbieder')?"""
        if kind is None or broader is None:
            return False
        return kind == broader or kind.startswith(broader + ".")

    def _part_asked(self, kind: str | None, question: str) -> str | None:
        """A question about a person's details names the parts it asks: one part
        ('Telefoonnummer aanvrager', 'Naam zorgaanbieder') is that field, several ('…
        contactpersoon (met tel nr.)') the whole composite answer, whatever wording it
        matched."""
        if not kind:
            return kind
        group = kind.partition(".")[0]
        if f"{group}.telefoon" not in self.velden:
            return kind  # not about a person or organisation
        named = [
            part
            for part, rx in PART_WORDS.items()
            if rx.search(question) and f"{group}.{part}" in self.velden
        ]
        if (
            "contactpersoon" in named
            and set(named) <= {"naam", "contactpersoon", "telefoon", "email"}
            and not ORGANISATION_ASKED.search(question)
        ):  # 'Contactpersoon bij de aanbieder en zijn telefoonnummer'
            named = ["contactpersoon"]
        if len(named) == 1:
            return f"{group}.{named[0]}"
        if group in self.rows and (
            len(named) > 1 or kind.partition(".")[2] in PART_WORDS
        ):
            # several parts, or a part the question does not name: the whole answer
            return group
        return kind

    def person_group(self, kind: str | None) -> str | None:
        """The person or organisation a kind is about ('aanbieder' for
        'aanbieder.telefoon'), if any."""
        head = (kind or "").partition(".")[0]
        return head if head in self.rows and f"{head}.telefoon" in self.velden else None

    def part_named(self, question: str) -> str | None:
        """The one part of a person's details a question names ('E-mail', 'Bereikbaar op
        (telefoon)')."""
        named = [part for part, rx in PART_WORDS.items() if rx.search(question)]
        return named[0] if len(named) == 1 else None

    def _match(self, q: str) -> tuple[str | None, float]:
        score, index = process.extractOne(q, self._names, scorer=fuzz.token_sort_ratio)[
            1:
        ]
        if len(q) >= 8:
            eligible = [
                i
                for i, name in enumerate(self._names)
                if len(name) * 0.3 <= len(q) <= len(name) * 1.3
            ]
            partial = process.extractOne(
                q, [self._names[i] for i in eligible], scorer=fuzz.partial_ratio
            )
            if partial and partial[1] - PARTIAL_DISCOUNT > score:
                score, index = partial[1] - PARTIAL_DISCOUNT, eligible[partial[2]]
        words = set(q.split())
        content = words - STOPWORDS
        if 2 <= len(words) <= SHORT_QUESTION_WORDS and score < 100 - SUBSET_DISCOUNT:
            inside = [
                i
                for i, name in enumerate(self._names)
                if len(name.split()) <= 3
                and len(name) >= 4
                and set(name.split()) <= words
                and len(set(name.split()) - STOPWORDS) * 2 >= len(content)
            ]
            if inside:  # the label that covers most of the question
                score, index = (
                    100 - SUBSET_DISCOUNT,
                    max(
                        inside,
                        key=lambda i: (
                            len(self._names[i].split()),
                            len(self._names[i]),
                        ),
                    ),
                )
        return self._choices[index][1], float(score)

    def question_of(self, field: str) -> str:
        """The question a canonical field answers, as the form asks it (for
        warnings)."""
        return (
            self.velden.get(field) or self.velden.get(field.partition(".")[0]) or field
        )

    def match_field(self, name: str) -> str | None:
        """The canonical field a named form field (e.g. a PDF field 'Naam verwijzer')
        stands for."""
        n = norm(name)
        best, best_score = None, 0.0
        for target, names in self.fields.items():
            for candidate in names:
                score = (
                    100.0 if norm(candidate) == n else fuzz.ratio(norm(candidate), n)
                )
                if score > best_score:
                    best, best_score = target, score
        return best if best_score >= 90 else None

    def is_label_only(self, text: str) -> bool:
        """A bare printed label such as 'JB / JR' or 'Ja / Nee' (under a question, not a
        question); with a box ticked or not ('☒ Ja ☐ Nee') it is an answer."""
        return norm(text) in self._hint_only and not BOXES.search(text)

    def is_hint(self, paragraph: str) -> bool:
        """Is this paragraph printed guidance (or a bare label like 'JB / JR'), not an
        answer?"""
        p = norm(paragraph)
        if BOXES.search(paragraph):
            return False  # checkboxes: the writer's answer
        if not p or p in self._hint_only:
            return True
        if len(p) < 20:
            return False
        if any(
            p in hint and (len(p) >= HINT_PART_MIN or 2 * len(p) >= len(hint))
            for hint in self._hints
        ):
            return True
        if process.extractOne(p, self._hints, scorer=fuzz.ratio, score_cutoff=90):
            return True
        return len(p) > 40 and bool(
            process.extractOne(
                p, self._hints, scorer=fuzz.partial_ratio, score_cutoff=95
            )
        )

    def strip_prefix(self, paragraph: str) -> str:
        p = paragraph.strip()
        for prefix in self.hint_prefixes:
            if p.lower().startswith(prefix.lower()):
                return p[len(prefix) :].strip()
        return p


def answer_text(plain: list[str], with_italic: list[str], labels: Labels) -> str:
    """The answer in a cell: without printed guidance, hint prefixes and bare labels.

    `plain` are the cell's paragraphs without italic text (where the layout knows
    fonts), `with_italic` with it (used only when a writer typed the whole answer in
    italics).
    """

    def collect(paragraphs: list[str]) -> list[str]:
        out = []
        for text in paragraphs:
            text = text.strip()
            if not text or labels.is_hint(text):
                continue
            stripped = labels.strip_prefix(text)
            if stripped and (stripped == text or not labels.is_hint(stripped)):
                out.append(stripped)
        return out

    return "\n".join(collect(plain) or collect(with_italic))
