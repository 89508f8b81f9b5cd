"""What every response of `maatwerk web` carries and every request passes: security
headers (a strict Content-Security-Policy: no script at all, styles from this server
only), no caching of pages with personal data, CSRF tokens on every form that changes
something, and an access log without query strings (a search may hold a name)."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("maatwerk.web.toegang")
log = logging.getLogger(f"maatwerk.{__name__}")

# a number typed into an address (a BSN, a ZorgNed number) never reaches the log
DIGITS: Final = re.compile(r"\d{5,}")
CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class CsrfFailed(Exception):
    """A form came without this session's token (or with another)."""


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form's fields, once its CSRF token is this session's. Raises
    CsrfFailed."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    expected = str(request.session.get("csrf", ""))
    if not expected or not secrets.compare_digest(fields.get("csrf", ""), expected):
        raise CsrfFailed()
    return fields


class Guard:
    """ASGI middleware: the headers above on every response, and one access-log line
    per request (method, path, status, time; never the query string). What fails
    unexpectedly is logged by its type only (its text may quote a value) and answered
    with the page `failed`."""

    def __init__(self, app: ASGIApp, https: bool, failed: bytes):
        self.app = app
        self.https = https
        self.failed = failed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers["Cache-Control"] = "no-store"
                if self.https:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            log.error("unexpected error in %s (%s)", scope["path"], type(exc).__name__)
            if status == 0:
                response = Response(self.failed, 500, media_type="text/html")
                await response(scope, receive, send_with_headers)
        finally:
            access.info(
                "%s %s %d %.0f ms",
                scope["method"],
                DIGITS.sub("…", scope["path"]),
                status,
                (time.perf_counter() - started) * 1000,
            )
