"""What `maatwerk status` shows: the open cases with what each waits on and its
deadline, the mail waiting to be sent or left in the inbox by an outage, the mail set
aside, and the running workers. Typed rows; the command line only prints them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy.orm import Session

from pipeline import store
from pipeline.register.index import status_text
from pipeline.states import CaseState
from pipeline.store import Case

# a worker not seen for this long is shown as silent (it beats every round)
SILENT_AFTER_SECONDS: Final = 120


@dataclass(frozen=True)
class CaseRow:
    zaak: str
    status: str  # in Dutch words (pipeline/states.py CONTRACT_STATUS)
    gemeente: str | None
    aanbieder: str | None
    spoed: str  # "crisis", "ja" or "nee"
    wacht_op: str  # who owes an answer or a document; "—" for nobody
    uiterlijk: date | None  # the advisers' deadline while an advice is owed
    te_laat: bool  # that deadline has passed
    adressen: list[str]  # the addresses of whoever owes the advice


@dataclass(frozen=True)
class MailOutage:
    """Mail left in the inbox because `wat` is away (since the first such mail)."""

    wat: str
    since: datetime
    mails: int


@dataclass(frozen=True)
class WorkerRow:
    id: str
    seen_at: datetime
    waiting_on: str | None
    waiting_since: datetime | None
    silent: bool  # not heard of for SILENT_AFTER_SECONDS


class Gezondheid(StrEnum):
    gezond = "gezond"
    verminderd = "verminderd"  # working, but waiting on an outage
    buiten_werking = "buiten werking"  # no worker running


@dataclass(frozen=True)
class Health:
    state: Gezondheid
    reasons: list[str]


@dataclass(frozen=True)
class Status:
    cases: list[CaseRow]
    unsent: int  # mails in the outbox not sent yet
    unsent_since: datetime | None
    send_errors: list[str]  # the outbox's last errors, each once
    outages: list[MailOutage]
    set_aside: int  # mails set aside in Quarantaine after failing again and again
    last_set_aside: datetime | None
    workers: list[WorkerRow]

    @property
    def late(self) -> int:
        return sum(row.te_laat for row in self.cases)

    @property
    def health(self) -> Health:
        """How the workers are, for monitoring: down when none is heard of, degraded
        when one waits on an outage or mail is left waiting, else healthy."""
        if not any(not w.silent for w in self.workers):
            return Health(Gezondheid.buiten_werking, ["er draait geen 'maatwerk run'"])
        reasons = [
            f"verwerker {w.id} wacht op {w.waiting_on}"
            for w in self.workers
            if w.waiting_on and not w.silent
        ]
        reasons += [f"mail wacht op {o.wat}" for o in self.outages]
        if self.send_errors:
            reasons.append(f"{self.unsent} mail(s) niet verzonden")
        return Health(Gezondheid.verminderd if reasons else Gezondheid.gezond, reasons)


def status(s: Session, today: date, now: datetime) -> Status:
    """The status of the store on `today` (local date) at `now` (aware)."""
    unsent = store.unsent_mails(s)
    set_aside = store.set_aside_mails(s)
    return Status(
        cases=[case_row(s, c, today) for c in store.open_cases(s)],
        unsent=len(unsent),
        unsent_since=min((m.created_at for m in unsent), default=None),
        send_errors=sorted({m.last_error for m in unsent if m.last_error}),
        outages=_outages(s),
        set_aside=len(set_aside),
        last_set_aside=set_aside[-1].set_aside_at if set_aside else None,
        workers=[_worker_row(w, now) for w in store.workers(s)],
    )


def case_row(s: Session, c: Case, today: date) -> CaseRow:
    """An open case as `maatwerk status` lists it."""
    owing = store.owing(s, c) if c.state == CaseState.advies_gevraagd else {}
    due = c.deadline if owing else None
    return CaseRow(
        zaak=c.id,
        status=status_text(c.state),
        gemeente=c.gemeente,
        aanbieder=c.aanbieder,
        spoed=("crisis" if c.crisis else "ja") if c.spoed else "nee",
        wacht_op=_waiting_on(c, owing),
        uiterlijk=due,
        te_laat=due is not None and due < today,
        adressen=[a.lower() for addresses in owing.values() for a in addresses],
    )


def _waiting_on(c: Case, owing: dict[str, list[str]]) -> str:
    if owing:
        return "; ".join(f"{r} ({', '.join(a)})" for r, a in owing.items())
    if c.vraag_van and c.state == CaseState.positief:
        # an approval waits for the provider data (referrer) or the tariff (ICM)
        return (
            "verwijzer (gegevens aanbieder)"
            if c.vraag_van == "verwijzer"
            else "ICM (tarief)"
        )
    if c.vraag_van:
        return "verwijzer (vraag)"
    if c.state == CaseState.contract_verstuurd:
        return "getekend contract"
    return "—"


def _outages(s: Session) -> list[MailOutage]:
    """Per outage met while handling mail, in the order they began."""
    waiting = store.waiting_mails(s)
    result = []
    for wat in dict.fromkeys(m.waiting_on for m in waiting):
        if wat is None:  # waiting_mails selects on it
            continue
        mails = [m for m in waiting if m.waiting_on == wat]
        result.append(MailOutage(wat, min(m.last_at for m in mails), len(mails)))
    return result


def _worker_row(w: store.Worker, now: datetime) -> WorkerRow:
    silent = (now - store.aware(w.seen_at)).total_seconds() > SILENT_AFTER_SECONDS
    return WorkerRow(w.id, w.seen_at, w.waiting_on, w.waiting_since, silent)


def status_json(st: Status) -> dict[str, Any]:
    """The status as JSON for monitoring: case numbers, gemeenten and providers, no
    personal data."""

    def plain(value: Any) -> Any:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    health = st.health
    return {
        "gezondheid": str(health.state),
        "redenen": health.reasons,
        "open_zaken": len(st.cases),
        "te_laat": st.late,
        "niet_verzonden": st.unsent,
        "in_quarantaine_gezet": st.set_aside,
        "zaken": [plain(asdict(row)) for row in st.cases],
        "storingen": [plain(asdict(o)) for o in st.outages],
        "verwerkers": [plain(asdict(w)) for w in st.workers],
    }


def status_prometheus(st: Status) -> str:
    """The status in Prometheus' text format (a textfile collector's .prom file)."""
    health = st.health.state
    lines = [
        "# HELP maatwerk_gezondheid 0 gezond, 1 verminderd, 2 buiten werking",
        "# TYPE maatwerk_gezondheid gauge",
        f"maatwerk_gezondheid {list(Gezondheid).index(health)}",
    ]
    for name, value, help_text in (
        ("open_zaken", len(st.cases), "openstaande zaken"),
        ("te_laat", st.late, "zaken over de adviestermijn"),
        ("niet_verzonden", st.unsent, "mails die wachten op verzending"),
        ("storingen", len(st.outages), "storingen waarop mail wacht"),
        ("verwerkers", sum(not w.silent for w in st.workers), "draaiende verwerkers"),
    ):
        lines += [
            f"# HELP maatwerk_{name} {help_text}",
            f"# TYPE maatwerk_{name} gauge",
            f"maatwerk_{name} {value}",
        ]
    return "\n".join(lines) + "\n"
