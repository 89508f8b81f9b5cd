"""A real OpenID Connect provider for the web tests: tests/node/provider.mjs
(oidc-provider on Node.js) on loopback, started and stopped by the tests.

    with OidcProvider(["http://127.0.0.1:8000/auth/callback"], accounts) as op:
        op.issuer, op.client_id, op.client_secret

`accounts` maps a login to its claims: {"jan": {"email": ..., "name": ..., "groups": [...]}}.
The provider's login page has a text field name="login" (label "Gebruiker"), a button
id="aanmelden" and a button id="weigeren" (back to the app with error=access_denied).
Node.js and the npm packages are installed by scripts/setup-system --tests and
scripts/test (npm ci --prefix tests/node).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import requests

from tests.loopback import HOST, free_port

NODE_DIR = Path(__file__).resolve().parent / "node"
READY_TIMEOUT = 20.0


class OidcProvider:
    """The provider as a context manager; one confidential client, PKCE S256 required."""

    def __init__(
        self,
        redirect_uris: list[str],
        accounts: dict[str, dict[str, Any]],
        ttl_seconds: int | None = None,
    ) -> None:
        self.redirect_uris = list(redirect_uris)
        self.accounts = accounts
        self.ttl_seconds = ttl_seconds
        self.port = free_port()
        self.issuer = f"http://{HOST}:{self.port}"
        self.client_id = "maatwerk-test"
        self.client_secret = secrets.token_urlsafe(24)
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> OidcProvider:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError(
                "node is not installed; run scripts/setup-system --tests"
            )
        if not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(
                f"{NODE_DIR}/node_modules is missing; run "
                "npm ci --prefix tests/node --no-audit --no-fund"
            )
        self._dir = Path(tempfile.mkdtemp(prefix="mw-oidc-"))
        accounts_file = self._dir / "accounts.json"
        accounts_file.write_text(json.dumps(self.accounts), encoding="utf-8")
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_REDIRECT_URIS": ",".join(self.redirect_uris),
            "OIDC_ACCOUNTS": str(accounts_file),
        }
        if self.ttl_seconds is not None:
            env["OIDC_TTL_SECONDS"] = str(self.ttl_seconds)
        out, err = self._dir / "stdout", self._dir / "stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self._proc = subprocess.Popen(
                [node, str(NODE_DIR / "provider.mjs")],
                cwd=NODE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while b"ready" not in out.read_bytes():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._stop()
                stderr_text = err.read_text(errors="replace").strip()
                shutil.rmtree(self._dir, ignore_errors=True)
                raise RuntimeError(
                    f"the OpenID Connect provider did not start "
                    f"(exit code {self._proc.returncode}); node's stderr:\n{stderr_text}"
                )
            time.sleep(0.05)
        return self

    def _stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


class _FormParser(HTMLParser):
    """The action of the first form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form" and self.action is None:
            self.action = dict(attrs).get("action") or ""


def login_with_requests(
    session: requests.Session, start_url: str, login: str, refuse: bool = False
) -> requests.Response:
    """Sign in as a browser would: GET `start_url` (an app URL that redirects to the
    provider), submit the provider's login form as `login` (or press "weigeren" when
    `refuse`), follow the redirects back to the app and return the final response."""
    page = session.get(start_url, timeout=30)
    parser = _FormParser()
    parser.feed(page.text)
    if parser.action is None or 'name="login"' not in page.text:
        raise RuntimeError(
            f"no login form at {page.url} (status {page.status_code}); "
            "already signed in at the provider in this session?"
        )
    form = {"login": login, "actie": "weigeren" if refuse else "aanmelden"}
    return session.post(urljoin(page.url, parser.action), data=form, timeout=30)
