"""What staff do with the mails held in Quarantaine (`maatwerk quarantaine`): list them,
take them back after a fix, release them as handled by hand, or delete them; each action
recorded with who did it and why."""

from __future__ import annotations

import logging

from pipeline import store
from pipeline.errors import HeldMailNotFound
from pipeline.folders import QUARANTINE
from pipeline.workflow import inbox, incoming, quarantine
from pipeline.workflow.services import Services

log = logging.getLogger(f"maatwerk.{__name__}")


def held(svc: Services, folder: str = QUARANTINE) -> list[quarantine.HeldMail]:
    """The mails held in Quarantaine, oldest first, numbered, each with why it is held.
    Raises ConfigError when the mailbox backend cannot list the folder."""
    mails = svc.mailbox.list_folder(folder)
    with svc.store.session() as s:
        return quarantine.describe(
            s, mails, lambda sender: incoming.sender_allowed(svc, sender)
        )


def reprocess(
    svc: Services,
    nummers: list[int] | None = None,
    *,
    wie: str | None = None,
    reden: str | None = None,
    folder: str = QUARANTINE,
) -> inbox.RunReport:
    """After a fix (a sender added to the allowlist, a form template repaired, an outage
    over): the held mails with these numbers (as `held` lists them; None: all) are
    forgotten as 'handled', go back to the inbox and run again. A mail answered before
    is not answered the same way again. Raises ConfigError when the mailbox backend
    cannot, HeldMailNotFound for a number not held."""
    chosen = quarantine.chosen(held(svc, folder), nummers)
    keys = [m.dedupe_key for m in chosen]
    with (
        svc.store.session() as s
    ):  # forgotten first: back in the inbox it must run again
        store.forget_received(s, keys)
        for mail in chosen:
            action = quarantine.HeldAction.opnieuw
            quarantine.record(s, mail, action, wie or store.worker_actor(), reden)
            # one more try: a mail that fails again after the fix is set aside again at
            # once
            store.attempt_failed(s, mail.dedupe_key, "opnieuw verwerkt").failures = (
                svc.settings.intake.max_pogingen - 1
            )
    for mail in chosen:
        svc.mailbox.move_from(folder, mail.key)
    log.info("%d quarantined mail(s) back in the inbox", len(chosen))
    report = inbox.handle_inbox(svc)
    # held again (still no form, sender still not allowed) or failed again: what the
    # user asks
    taken = set(keys)
    report.quarantined = (
        sum(m.dedupe_key in taken for m in held(svc, folder)) if taken else 0
    )
    return report


def settle(
    svc: Services,
    nummer: int,
    action: quarantine.HeldAction,
    *,
    wie: str,
    reden: str | None = None,
    folder: str = QUARANTINE,
) -> quarantine.HeldMail:
    """A held mail released (`vrijgegeven`: handled by hand, to the processed folder
    unprocessed and never taken in later, also when it is put back in the inbox) or
    deleted (`verwijderd`) from the mailbox. Who did it and why is recorded in the same
    transaction: no change without its record. Raises HeldMailNotFound, ConfigError."""
    [mail] = quarantine.chosen(held(svc, folder), [nummer])
    with svc.store.session() as s:
        quarantine.record(s, mail, action, wie, reden)
        if action is quarantine.HeldAction.vrijgegeven and (
            store.already_received(s, mail.dedupe_key) is None
        ):
            store.record_received(
                s,
                key=mail.dedupe_key,
                source="mail",
                source_ref=mail.message_id or mail.key,
                case_id=None,
                outcome=action.value,
            )
        s.flush()
        try:
            if action is quarantine.HeldAction.vrijgegeven:
                processed = svc.settings.mailbox.processed_folder
                svc.mailbox.move_from(folder, mail.key, processed)
            else:
                svc.mailbox.delete_from(folder, mail.key)
        except KeyError:  # taken away meanwhile (by another person, or a mail client)
            raise HeldMailNotFound(
                f"Mail {nummer} staat niet meer in Quarantaine; 'maatwerk quarantaine'"
                " toont de lijst zoals die nu is."
            ) from None
    return mail
