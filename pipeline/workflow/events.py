"""What happened to a case, told on the console one line each (`maatwerk run`):
"MW-2027-0001 advies ontvangen (beleidsadviseur)". A line is told only once the
transaction that made it is committed — never for what was rolled back — and names the
case and the event, never a person's data.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Final

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from pipeline.states import CaseState

# the console's own logger: maatwerk/shared.py prints it as a plain line
log = logging.getLogger("maatwerk.gebeurtenis")


class Event(StrEnum):
    ontvangen = "ontvangen"
    geweigerd = "geweigerd"
    advies_gevraagd = "advies gevraagd"
    advies_ontvangen = "advies ontvangen"
    besluit = "besluit"
    contract_verstuurd = "contract verstuurd"
    herinnering = "herinnering"
    escalatie = "escalatie"
    getekend = "getekend"


# a move to this state is that event (advies_gevraagd: each step's ask tells it)
OF_STATE: Final = {
    CaseState.ontvangen: Event.ontvangen,
    CaseState.geweigerd: Event.geweigerd,
    CaseState.positief: Event.besluit,
    CaseState.negatief: Event.besluit,
    CaseState.contract_verstuurd: Event.contract_verstuurd,
    CaseState.getekend: Event.getekend,
}


def happened(s: Session, case_id: str, what: Event, detail: str = "") -> None:
    """`what` happened to `case_id`: told once `s` commits. `detail` is a word of
    ours (a role, an outcome), never a value from a form or a mail."""
    line = f"{case_id} {what}" + (f" ({detail})" if detail else "")
    sa_event.listen(s, "after_commit", lambda _s: log.info(line), once=True)


def moved(s: Session, case_id: str, state: CaseState) -> None:
    """The case moved to `state`: its event, if that is one."""
    if (what := OF_STATE.get(state)) is not None:
        happened(s, case_id, what, state.value if what is Event.besluit else "")
