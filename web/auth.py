"""Signing in with the municipality's accounts: OpenID Connect, authorization code flow
with PKCE (authlib), and who may see what.

The roles come from `[web]`: an entry is an e-mail address or "groep:<id>", matched
against the ID token's e-mail (or preferred_username) and its group claim. ICM sees
every gemeente and handles Quarantaine; a beleidsadviseur sees their own gemeente; the
backoffice the contracts only. Someone signed in without a role is refused.

The session (a signed cookie, HttpOnly, SameSite=Lax, Secure behind TLS) holds the
user, when they signed in, the CSRF token and the reasons given per case; it ends
`session_minutes` after signing in."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx2
from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request

from pipeline.config import WebSettings
from pipeline.errors import ConfigError, Outage

log = logging.getLogger(f"maatwerk.{__name__}")
GROUP = "groep:"
CALLBACK = "/aanmelden/terug"


class Rol(StrEnum):
    icm = "ICM"
    beleidsadviseur = "beleidsadviseur"
    backoffice = "backoffice"


@dataclass(frozen=True)
class User:
    login: str  # the e-mail address, as the inzage log names who looked
    naam: str
    rol: Rol
    gemeente: str | None  # a beleidsadviseur's own gemeente

    def sees(self, gemeente: str | None) -> bool:
        """May see the cases of `gemeente`."""
        return self.rol is not Rol.beleidsadviseur or gemeente == self.gemeente


class NotSignedIn(Exception):
    """The page needs a signed-in user; `expired` when the session ran out."""

    def __init__(self, expired: bool = False):
        self.expired = expired


class SignInUnavailable(Outage):
    """The OpenID Connect provider does not answer."""


class Forbidden(Exception):
    """The user's role does not cover the page or the case."""


def role_of(claims: dict[str, Any], web: WebSettings) -> User | None:
    """The user the ID token's claims name, with their role; None without one."""
    login = str(
        claims.get("email")
        or claims.get("preferred_username")
        or claims.get("upn")
        or ""
    ).lower()
    groups = claims.get(web.groups_claim) or []
    held = {login} | {
        f"{GROUP}{g}".lower() for g in (groups if isinstance(groups, list) else [])
    }

    def named(entries: list[str]) -> bool:
        return any(e.strip().lower() in held for e in entries)

    naam = str(claims.get("name") or login)
    if not login:
        return None
    if named(web.icm):
        return User(login, naam, Rol.icm, None)
    for gemeente, entries in web.beleidsadviseurs.items():
        if named(entries):
            return User(login, naam, Rol.beleidsadviseur, gemeente)
    if named(web.backoffice):
        return User(login, naam, Rol.backoffice, None)
    return None


class SignIn:
    """The OpenID Connect client of `[web]` (its secret from the environment)."""

    def __init__(self, web: WebSettings, clock: Callable[[], datetime]):
        if not web.issuer or not web.client_id:
            raise ConfigError(
                "Voor 'maatwerk web' zijn [web] issuer en client_id nodig (de"
                " app-registratie bij uw identiteitsprovider, bijv. Microsoft"
                " Entra ID)."
            )
        secret = os.environ.get(web.secret_env, "")
        if not secret:
            raise ConfigError(
                f"Het geheim van de app-registratie ontbreekt: zet omgevingsvariabele"
                f" {web.secret_env}."
            )
        self.web = web
        self.clock = clock
        self.oauth = OAuth()
        self.oauth.register(
            "gemeente",
            client_id=web.client_id,
            client_secret=secret,
            server_metadata_url=(
                web.issuer.rstrip("/") + "/.well-known/openid-configuration"
            ),
            client_kwargs={"scope": "openid email profile"},
            code_challenge_method="S256",
        )

    async def start(self, request: Request) -> Any:
        """To the provider's sign-in page. Raises SignInUnavailable."""
        redirect = self.web.base_url.rstrip("/") + CALLBACK
        with self.reaching():
            return await self.oauth.gemeente.authorize_redirect(request, redirect)

    @contextmanager
    def reaching(self) -> Iterator[None]:
        """The provider does not answer (down, a wrong issuer): SignInUnavailable."""
        try:
            yield
        except (httpx2.HTTPError, OSError) as exc:
            log.warning("identity provider %s: %s", self.web.issuer, type(exc).__name__)
            raise SignInUnavailable(
                "de aanmeldserver",
                f"De aanmeldserver ({self.web.issuer}) antwoordt niet; aanmelden kan"
                " nu niet. Probeer het later opnieuw; blijft het zo, meld het dan de"
                " beheerder ([web] issuer).",
            ) from None

    async def finish(self, request: Request) -> User | None:
        """Back from the provider: the user and their role (None: no role). Raises
        OAuthError when the sign-in was refused or does not check out."""
        if "error" in request.query_params:
            raise OAuthError(error=request.query_params["error"])
        with self.reaching():
            token = await self.oauth.gemeente.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        user = role_of(claims, self.web)
        request.session.clear()
        if user is not None:
            request.session.update(
                user=asdict(user),
                since=self.clock().timestamp(),
                csrf=secrets.token_urlsafe(32),
                redenen={},
            )
        log.info("signed in: %s", user.rol if user else "no role")
        return user


def signed_in(request: Request, web: WebSettings, now: float) -> User:
    """The signed-in user at `now` (a timestamp). Raises NotSignedIn (expired when the
    session ran out)."""
    data = request.session.get("user")
    if not data:
        raise NotSignedIn()
    if now - float(request.session.get("since", 0)) > web.session_minutes * 60:
        request.session.clear()
        raise NotSignedIn(expired=True)
    return User(data["login"], data["naam"], Rol(data["rol"]), data["gemeente"])


def require(user: User, *roles: Rol) -> User:
    """Raises Forbidden unless the user has one of `roles`."""
    if user.rol not in roles:
        raise Forbidden()
    return user


def session_key(web: WebSettings) -> str:
    """The key that signs session cookies: from the environment (several web
    processes share it), else new at every start (everyone signs in again)."""
    return os.environ.get(web.session_key_env) or secrets.token_urlsafe(48)
