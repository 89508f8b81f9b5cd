"""A question recognised by its own words (`[concepten]` of mappings/labels.toml), when
its wording is new: per kind, word stems with a weight; a question whose words point
clearly to one kind is that question, to two parts of one composite question the
composite, two ways none (and warned about)."""

from __future__ import annotations

import re

from pipeline.text import norm

COMPOUND_STEM = 7  # letters: a stem this long is found inside compound words too
CONCEPT_MIN = 3.0  # the weight of words that must point to a kind
CONCEPT_MARGIN = 2.0  # ... ahead of any other kind by this much
CONCEPT_MAX_WORDS = 25  # a question this long ends in '?' or ':'
CONCEPT_PLAIN_WORDS = 18  # a heading-like question without '?' is at most this long
CONCEPT_SCORE = (
    86.0  # a question recognised by its words counts as recognised with certainty
)
CONCEPT_UNSURE = 65.0  # words pointing two ways: below a question, above 'near'
NOTHING: tuple[str | None, float] = (None, 0.0)


class Concepts:
    """The word stems of every kind, and the words of texts that are never a
    question."""

    def __init__(
        self,
        concepten: dict[str, dict[str, float]],
        geen_vraag: list[str],
        samengesteld: dict[str, list[str]],
        omvat: dict[str, list[str]],
    ) -> None:
        self.samengesteld = samengesteld
        self.omvat = omvat
        # a stem matches at the start of a word; a long one also inside a compound
        # ('woongemeente')
        self._stems = [
            (
                kind,
                re.compile(
                    ("" if len(norm(stem)) >= COMPOUND_STEM else r"(?<![0-9a-zà-ÿ])")
                    + re.escape(norm(stem))
                ),
                weight,
            )
            for kind, stems in concepten.items()
            for stem, weight in stems.items()
        ]
        self._no_question = [
            re.compile(r"(?<![0-9a-zà-ÿ])" + re.escape(norm(w))) for w in geen_vraag
        ]

    def kind_of(self, text: str) -> tuple[str | None, float]:
        """The kind a question's own words point to, or None when they point to none or
        two ways. Running text (several sentences, many words) is no question."""
        words = len(text.split())
        if (
            re.search(r"[a-zà-ÿ]{2}[.!]\s+[A-ZÀ-Þ]", text)
            or words > CONCEPT_MAX_WORDS
            or (words > CONCEPT_PLAIN_WORDS and not text.rstrip().endswith(("?", ":")))
        ):
            return NOTHING
        q = norm(text)
        if not q or any(rx.search(q) for rx in self._no_question):
            return NOTHING
        totals = self._totals(q)
        ranked = sorted(totals.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < CONCEPT_MIN:
            return NOTHING
        return self._decide(ranked, totals)

    def _totals(self, q: str) -> dict[str, float]:
        """The weight of the words pointing to each kind; a composite question gets the
        weight of its parts when two of them are pointed to."""
        totals: dict[str, float] = {}
        for kind, stem, weight in self._stems:
            if stem.search(q):
                totals[kind] = totals.get(kind, 0.0) + weight
        strong = {k for k, t in totals.items() if t >= CONCEPT_MIN}
        for composite, listed in self.samengesteld.items():
            parts = {p for p in listed if not p.startswith("+")}
            extra = {p[1:] for p in listed if p.startswith("+")}
            if len(strong & parts) >= 2:
                totals[composite] = max(
                    totals.get(composite, 0.0),
                    sum(totals[p] for p in strong & (parts | extra)),
                )
        return totals

    def _decide(
        self, ranked: list[tuple[str, float]], totals: dict[str, float]
    ) -> tuple[str | None, float]:
        top, total = ranked[0]
        wider = next(
            (
                k
                for k, covered in self.omvat.items()
                if top in covered and totals.get(k, 0) >= CONCEPT_MIN
            ),
            None,
        )
        # 'Welke aanbieder stelt u voor? Vermeld … KvK, AGB en IBAN': the provider, ids
        # and all
        if wider:
            return wider, CONCEPT_SCORE
        parts_of_top = {p.lstrip("+") for p in self.samengesteld.get(top, ())}
        rivals = [
            t
            for k, t in ranked[1:]
            if k not in parts_of_top and top not in self.samengesteld.get(k, ())
        ]
        second = rivals[0] if rivals else 0.0
        if total - second < CONCEPT_MARGIN:
            return (
                top,
                CONCEPT_UNSURE,
            )  # the words point two ways: not recognised, but warned about
        present = [p for p in parts_of_top if totals.get(p)]
        if (
            len(present) == 1 and top not in present
        ):  # 'Is er gekeken naar een PGB?' asks one part of it
            return present[0], CONCEPT_SCORE
        return top, CONCEPT_SCORE
