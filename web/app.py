"""The web application of `maatwerk web`: its addresses, signing in and out, and the
pages shown when something is refused or not found."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from authlib.integrations.starlette_client import OAuthError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.config import Settings
from pipeline.errors import MaatwerkError, Outage
from web.auth import CALLBACK, Forbidden, NotSignedIn, Rol, SignIn, session_key
from web.guard import CsrfFailed, Guard, checked_form
from web.held import HeldPages
from web.pages import Pages
from web.site import HERE, NotFound, Site

log = logging.getLogger(f"maatwerk.{__name__}")
SESSION_COOKIE = "maatwerk_sessie"


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> Starlette:
    """The application on `settings`' store. Raises ConfigError when [web] lacks what
    signing in needs, StoreMissing/StoreUnavailable when there is no store."""
    web = settings.web
    zone = ZoneInfo(settings.advice.timezone)
    clock = clock or (lambda: datetime.now(zone))
    # what signing in needs is checked first: no store opened for naught
    sign_in = SignIn(web, clock)
    site = Site(settings, clock)
    door = Door(site, sign_in)
    https = web.base_url.startswith("https://")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # the libraries' objects out of the collector's way: a full collection of them
        # took ~85 ms, every dozenth request of the Werkvoorraad (bench/web_speed.py)
        gc.collect()
        gc.freeze()
        yield
        site.store.close()

    return Starlette(
        routes=routes(site, door),
        middleware=[
            Middleware(Guard, https=https, failed=site.error_page()),
            Middleware(
                SessionMiddleware,
                secret_key=session_key(web),
                session_cookie=SESSION_COOKIE,
                # the signature outlives the session by an hour, so that an ended
                # session is told as such (web/auth.py signed_in)
                max_age=int(web.session_minutes * 60) + 3600,
                same_site="lax",
                https_only=https,
            ),
        ],
        exception_handlers={
            NotSignedIn: door.not_signed_in,
            Forbidden: door.forbidden,
            NotFound: door.not_found,
            CsrfFailed: door.csrf_failed,
            HTTPException: door.http_error,
            MaatwerkError: door.refused,
        },
        lifespan=lifespan,
    )


def routes(site: Site, door: Door) -> list[Route | Mount]:
    """Every address of the application."""
    pages, held = Pages(site), HeldPages(site)
    return [
        Route("/", pages.werkvoorraad),
        Route("/zaak/{zaak}", pages.zaak),
        Route("/zaak/{zaak}/reden", pages.reden, methods=["POST"]),
        Route("/zaak/{zaak}/document/{nr}", pages.document),
        Route("/register", pages.register, methods=["GET", "POST"]),
        Route("/aflopend", pages.aflopend),
        Route("/monitoring", pages.monitoring),
        Route("/monitoring.xlsx", pages.monitoring_xlsx),
        Route("/quarantaine", held.quarantaine),
        Route("/quarantaine", held.actie, methods=["POST"]),
        Route("/aanmelden", door.aanmelden),
        Route("/aanmelden/start", door.start),
        Route(CALLBACK, door.terug),
        Route("/afmelden", door.afmelden, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


class Door:
    """Signing in and out, and the pages for what is refused or not found."""

    def __init__(self, site: Site, sign_in: SignIn):
        self.site = site
        self.sign_in = sign_in

    async def aanmelden(self, request: Request) -> Response:
        return self.site.render(request, "aanmelden.html")

    async def start(self, request: Request) -> Response:
        return await self.sign_in.start(request)

    async def terug(self, request: Request) -> Response:
        try:
            user = await self.sign_in.finish(request)
        except OAuthError as exc:
            log.info("sign-in refused: %s", exc.error)
            return self.site.render(
                request, "aanmelden.html", status=401, geweigerd=True
            )
        if user is None:
            return self.site.render(request, "geen-toegang.html", status=403, rol=False)
        home = "/register" if user.rol is Rol.backoffice else "/"
        return RedirectResponse(home, status_code=303)

    async def afmelden(self, request: Request) -> Response:
        await checked_form(request)
        request.session.clear()
        return self.site.render(request, "aanmelden.html", afgemeld=True)

    async def not_signed_in(self, request: Request, exc: Exception) -> Response:
        expired = isinstance(exc, NotSignedIn) and exc.expired
        return self.site.render(request, "aanmelden.html", status=401, verlopen=expired)

    async def forbidden(self, request: Request, exc: Exception) -> Response:
        return self.site.render(request, "geen-toegang.html", status=403, rol=True)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.site.render(request, "niet-gevonden.html", status=404)

    async def csrf_failed(self, request: Request, exc: Exception) -> Response:
        return self.site.render(request, "verlopen-formulier.html", status=403)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        if code == 404:
            return await self.not_found(request, exc)
        return self.site.render(request, "fout.html", status=code)

    async def refused(self, request: Request, exc: Exception) -> Response:
        """What the product says when it cannot (the mailbox backend, an outage)."""
        code = 503 if isinstance(exc, Outage) else 500
        melding = exc.melding if isinstance(exc, MaatwerkError) else None
        return self.site.render(request, "fout.html", status=code, melding=melding)
