"""The page Quarantaine: the mails held and why, and for ICM what `maatwerk quarantaine`
does — take a mail back after a fix, release it as handled by hand, or delete it. Each
action is logged with the login name and the reason given (the held mails' log)."""

from __future__ import annotations

import hashlib
import logging
from contextlib import closing
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pipeline import store
from pipeline.errors import MaatwerkError
from pipeline.workflow.pipeline import Pipeline
from pipeline.workflow.quarantine import HeldMail
from web.auth import Rol, User
from web.guard import checked_form
from web.site import Site

log = logging.getLogger(f"maatwerk.{__name__}")
ACTIONS: Final = {
    "opnieuw": "opnieuw verwerkt",
    "vrijgeven": "vrijgegeven",
    "verwijderen": "verwijderd",
}


def token(mail: HeldMail) -> str:
    """Names the held mail in a form: its number may belong to another mail by the
    time the form is sent."""
    return hashlib.sha256(mail.dedupe_key.encode()).hexdigest()[:32]


class HeldPages:
    def __init__(self, site: Site):
        self.site = site

    def quarantaine(self, request: Request) -> Response:
        self.site.user(request, Rol.icm)
        with closing(Pipeline(self.site.settings)) as pipeline:
            mails = pipeline.held()
        with self.site.session() as s:
            actions = list(reversed(store.held_actions(s)))[:50]
        return self.site.render(
            request,
            "quarantaine.html",
            mails=[(m, token(m)) for m in mails],
            actions=actions,
            melding=request.session.pop("melding", None),
        )

    async def actie(self, request: Request) -> Response:
        user = self.site.user(request, Rol.icm)
        form = await checked_form(request)
        request.session["melding"] = await run_in_threadpool(self._act, user, form)
        return RedirectResponse("/quarantaine", status_code=303)

    def _act(self, user: User, form: dict[str, str]) -> str:
        """Does what the form asks; what to tell the user (Dutch)."""
        action = form.get("actie", "")
        reden = form.get("reden", "").strip()[:500] or None
        if action not in ACTIONS:
            return "Onbekende handeling; er is niets gedaan."
        with closing(Pipeline(self.site.settings)) as pipeline:
            chosen = [m for m in pipeline.held() if token(m) == form.get("mail")]
            if not chosen:
                return (
                    "Deze mail staat niet meer in Quarantaine (iemand anders heeft"
                    " hem al behandeld); er is niets gedaan."
                )
            nummer = chosen[0].nummer
            try:
                if action == "opnieuw":
                    report = pipeline.reprocess([nummer], wie=user.login, reden=reden)
                    made = ", ".join(report.cases) or "geen nieuwe zaak"
                    return (
                        f"Mail opnieuw verwerkt: {made};"
                        f" {report.quarantined} opnieuw in quarantaine."
                    )
                how = {"wie": user.login, "reden": reden}
                if action == "vrijgeven":
                    pipeline.release_held(nummer, **how)
                else:
                    pipeline.delete_held(nummer, **how)
            except MaatwerkError as exc:
                return str(exc)
        log.info("held mail %s", ACTIONS[action])
        return f"Mail {ACTIONS[action]}."
