"""The store of bench/web_speed.py: a region's cases of 2024–2027, evenly in time,
mostly closed (getekend, negatief, geweigerd), about 3 % open (the newest: advies
gevraagd, some past their deadline; positief; contract verstuurd). Each has the record
of the sample template form, an audit event per state it went through, its advices,
the mails that came in and the product's mails that went out. Batched ORM inserts."""

from __future__ import annotations

import functools
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from pipeline import store
from pipeline.config import MailboxSettings, StoreSettings
from pipeline.mail.compose import text_to_html
from pipeline.region.profile import load_mappings
from pipeline.stages.extract import extract_bytes
from pipeline.states import ALLOWED, OPEN_STATES, S

FORM: Final = Path(__file__).resolve().parents[2] / "shared/samples/template.docx"
MAPPINGS: Final = load_mappings(None, "zou")
REGION: Final = MAPPINGS.region
ICM: Final = REGION.rollen["icm"][0]
TO: Final = {  # per gemeente: who is who, their addresses
    naam: {
        "beleidsadviseur": g.beleidsadviseur[0],
        "verwijzer": "jeugdteam@" + g.beleidsadviseur[0].split("@")[1],
        "ICM": ICM,
        "backoffice": REGION.backoffice[0],
    }
    for naam, g in REGION.gemeenten.items()
}
AANBIEDERS: Final = ("Stichting Het Vlonder", "Sterk Thuis", "De Hoeve", "Op Koers")
# the moment the pages are looked at: the end of the history the store holds
NOW: Final = datetime(2027, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
FIRST: Final = datetime(2024, 1, 2, 8, 30, tzinfo=NOW.tzinfo)
OPEN_SHARE: Final = 0.03
BATCH: Final = 1000  # cases per transaction
CASE: Final = "MW-0000-0000"  # a mail template's case number…
DATE: Final = format_datetime(FIRST)  # …and date, replaced per case
DAY: Final = timedelta(days=1)
# per state: what the audit log says, how long after the form came, the mails it sends
STEPS: Final = {
    S.ontvangen: ("aanvraag ontvangen", 0 * DAY, ()),
    S.geweigerd: ("geweigerd: geen formulier van de regio", DAY / 96, ("geweigerd",)),
    S.advies_gevraagd: (
        "advies gevraagd aan beleidsadviseur en ICM",
        DAY / 96,
        ("ontvangen", "advies-beleidsadviseur", "advies-ICM"),
    ),
    S.positief: ("besluit: positief", 7 * DAY, ("uitkomst",)),
    S.negatief: ("besluit: negatief", 7 * DAY, ("uitkomst",)),
    S.contract_verstuurd: ("contract verstuurd", 10 * DAY, ("contractpakket",)),
    S.getekend: ("getekend contract ontvangen", 20 * DAY, ("contract-getekend",)),
}
MAILS: Final = {  # kind: (subject, to whom)
    "ontvangen": ("Aanvraag maatwerkovereenkomst ontvangen", "verwijzer"),
    "geweigerd": ("Aanvraag maatwerkovereenkomst niet in behandeling", "verwijzer"),
    "advies-beleidsadviseur": ("Adviesaanvraag maatwerk", "beleidsadviseur"),
    "advies-ICM": ("Adviesaanvraag maatwerk", "ICM"),
    "uitkomst": ("Uitkomst adviesaanvraag", "beleidsadviseur"),
    "contractpakket": ("Maatwerkovereenkomst ter ondertekening", "backoffice"),
    "contract-getekend": ("Maatwerkovereenkomst getekend", "ICM"),
}
BEFORE: Final = {after: before for before, nexts in ALLOWED.items() for after in nexts}


@dataclass(frozen=True)
class Zaak:
    """One case as made up: its rows follow from it."""

    i: int
    nr: str
    at: datetime  # when its form came
    state: S
    gemeente: str
    aanbieder: str
    spoed: bool
    answered: tuple[str, ...]  # the roles whose advice came

    @property
    def states(self) -> list[S]:
        """The states it went through, first to last."""
        states = [self.state]
        while (before := BEFORE[states[-1]]) is not None:
            states.append(before)
        return states[::-1]

    @property
    def deadline(self) -> date | None:
        asked = S.advies_gevraagd in self.states
        return (self.at + 14 * DAY).date() if asked else None

    def when(self, state: S) -> datetime:
        return self.at + STEPS[state][1]


@dataclass
class Filled:
    cases: int
    open: int
    late: int
    rows: int
    ids: list[str]
    seconds: float


def made_up(n: int, rng: random.Random) -> list[Zaak]:
    """`n` cases, evenly from FIRST to a day before NOW; the newest open."""
    opened = max(1, round(n * OPEN_SHARE))
    seqs: Counter[int] = Counter()
    out = []
    for i in range(n):
        at = FIRST + (NOW - DAY - FIRST) * i / n
        seqs[at.year] += 1
        nr = f"MW-{at.year}-{seqs[at.year]:04d}"
        rank = (n - 1 - i) / opened  # under 1: open, 0 the newest
        state = rng.choices((S.getekend, S.negatief, S.geweigerd), (65, 17, 18))[0]
        if rank < 1:
            state = S.positief if rank < 0.75 else S.contract_verstuurd
            state = S.advies_gevraagd if rank < 0.55 else state
        answered: tuple[str, ...] = ("beleidsadviseur", "ICM")
        if state is S.geweigerd:
            answered = ()
        elif state is S.advies_gevraagd:  # the beleidsadviseur may have answered
            answered = answered[:1] if rng.random() < 0.3 else ()
        gemeente, aanbieder = rng.choice(list(TO)), rng.choice(AANBIEDERS)
        spoed = rng.random() < 0.1
        out.append(Zaak(i, nr, at, state, gemeente, aanbieder, spoed, answered))
    return out


@functools.cache
def template(kind: str, to: str, gemeente: str, aanbieder: str) -> bytes:
    """The product's mail of `kind`, text and HTML, for case CASE on DATE."""
    subject = f"[{CASE}] {MAILS[kind][0]} – {gemeente} – {aanbieder}"
    body = (
        f"Beste collega,\n\nDit bericht gaat over zaak {CASE}: een aanvraag voor een"
        f" maatwerkovereenkomst\nvan gemeente {gemeente} bij {aanbieder}"
        " (Behandeling ASS, 45A24).\n\nHet aanvraagformulier en de gegevens zoals"
        " gelezen staan in de zaak.\nAntwoord op deze mail als u vragen heeft.\n\n"
        f"Noem het zaaknummer {CASE} als u over deze aanvraag mailt.\n\n"
        "Met vriendelijke groet,\n\nInkoop Maatwerk regio Zuidoost Utrecht\n"
    )
    msg = EmailMessage()
    mailbox = MailboxSettings()
    msg["From"] = f"{mailbox.display_name} <{mailbox.address}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = DATE
    msg["Message-ID"] = f"<{CASE}.{kind}@zorginzou.nl>"
    msg["X-Maatwerk-Zaak"] = CASE
    msg.set_content(body, cte="8bit")  # 8bit: CASE and DATE stay as written
    msg.add_alternative(text_to_html(body, subject=subject), subtype="html", cte="8bit")
    return msg.as_bytes()


def mail_row(z: Zaak, kind: str, at: datetime) -> dict[str, Any]:
    """A mail the product sent: its template with the case's number and date."""
    to = TO[z.gemeente][MAILS[kind][1]]
    raw = template(kind, to, z.gemeente, z.aanbieder)
    raw = raw.replace(CASE.encode(), z.nr.encode())
    return {
        "message_id": f"<{z.nr}.{kind}@zorginzou.nl>",
        "case_id": z.nr,
        "kind": kind,
        "recipients": to,
        "raw": raw.replace(DATE.encode(), format_datetime(at).encode()),
        "created_at": at,
        "sent_at": at + timedelta(seconds=30),
        "attempts": 1,
    }


def case_row(z: Zaak, record: dict[str, Any]) -> dict[str, Any]:
    to = TO[z.gemeente]
    start = (z.at + 30 * DAY).date() if S.positief in z.states else None
    asked = {"beleidsadviseur": [to["beleidsadviseur"]], "ICM": [ICM]}
    zorgned = f"{7_000_000 + z.i}"
    record = record | {
        "gemeente": z.gemeente,
        "spoed": z.spoed,
        "zorgned_nummer": zorgned,
    }
    record["aanbieder"] = record["aanbieder"] | {"naam": z.aanbieder}
    record["contactpersoon"] = record["contactpersoon"] | {"email": to["verwijzer"]}
    return {
        "id": z.nr,
        "year": z.at.year,
        "seq": int(z.nr[8:]),
        "state": z.state.value,
        "gemeente": z.gemeente,
        "aanbieder": z.aanbieder,
        "spoed": z.spoed,
        "received_at": z.at,
        "deadline": z.deadline,
        "sender": to["verwijzer"],
        "source": "mail",
        "source_ref": f"<{z.nr}.aanvraag@gemeente.nl>",
        "zorgned_nummer": zorgned,
        "startdatum": start,
        "einddatum": start + 182 * DAY if start else None,
        "adviseurs_json": json.dumps(asked) if z.deadline else None,
        "record_json": json.dumps(record, ensure_ascii=False),
        "updated_at": z.when(z.state),
    }


def rows_of(z: Zaak, record: dict[str, Any]) -> dict[type, list[dict[str, Any]]]:
    """The case's rows, per table (the case first: the others refer to it)."""
    form = f"<{z.nr}.aanvraag@gemeente.nl>"
    advices = [
        (rol, f"<{z.nr}.{rol}@gemeente.nl>", z.at + (2 + 20 * n) * DAY / 24)
        for n, rol in enumerate(z.answered)
    ]
    incoming = [(form, "geweigerd" if z.state is S.geweigerd else "zaak", z.at)]
    incoming += [(ref, "antwoord", at) for _, ref, at in advices]
    if z.state is S.getekend:
        incoming.append((f"<{z.nr}.getekend@gemeente.nl>", "antwoord", z.when(z.state)))
    return {
        store.Case: [case_row(z, record)],
        store.AuditEvent: [
            {
                "case_id": z.nr,
                "at": z.when(s),
                "from_state": before,
                "to_state": s,
                "source": "cli" if STEPS[s][1] > DAY else form,
                "what": STEPS[s][0],
            }
            for before, s in zip([None, *z.states], z.states)
        ],
        store.AdviceRow: [
            {
                "case_id": z.nr,
                "rol": rol,
                "sender": TO[z.gemeente][rol],
                "oordeel": "negatief" if z.state is S.negatief else "positief",
                "toelichting": "Past in het beleid; de inzet past bij de hulpvraag.",
                "message_id": ref,
                "received_at": at,
            }
            for rol, ref, at in advices
        ],
        store.Received: [
            {
                "dedupe_key": f"mail:{ref}",
                "source": "mail",
                "source_ref": ref,
                "case_id": z.nr,
                "outcome": outcome,
                "at": at,
            }
            for ref, outcome, at in incoming
        ],
        store.OutboxMail: [
            mail_row(z, kind, z.when(s)) for s in z.states for kind in STEPS[s][2]
        ],
    }


def fill(url: str, n: int, rng: random.Random) -> Filled:
    """A fresh store at `url` with `n` cases (see the module docstring)."""
    t0 = time.perf_counter()
    read = extract_bytes(FORM.read_bytes(), MAPPINGS).record
    record = json.loads(read.model_dump_json())
    zaken = made_up(n, rng)
    last = Counter(z.at.year for z in zaken)
    rows = len(last)
    db = store.open_store(StoreSettings(url=url), create=True)
    try:
        with db.session() as s:
            if s.scalar(select(func.count()).select_from(store.Case)):
                raise SystemExit(f"{url}: de database heeft al zaken; geef een lege.")
            s.execute(
                insert(store.CaseCounter),
                [{"year": y, "last": k} for y, k in last.items()],
            )
        for lo in range(0, n, BATCH):
            batch: dict[type, list[dict[str, Any]]] = defaultdict(list)
            for z in zaken[lo : lo + BATCH]:
                for table, made in rows_of(z, record).items():
                    batch[table] += made
            with db.session() as s:
                for table, made in batch.items():
                    # NULL as NULL: else the ORM groups rows by the columns they
                    # fill, and a batch becomes many small INSERTs
                    s.execute(insert(table).execution_options(render_nulls=True), made)
                    rows += len(made)
    finally:
        db.close()
    waiting = [z.deadline for z in zaken if z.state is S.advies_gevraagd]
    late = sum(d is not None and d < NOW.date() for d in waiting)
    opened = sum(z.state in OPEN_STATES for z in zaken)
    ids = [z.nr for z in zaken]
    return Filled(n, opened, late, rows, ids, time.perf_counter() - t0)
