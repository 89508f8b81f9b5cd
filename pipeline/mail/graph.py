"""Microsoft Graph mailbox backend, for Exchange Online (where EWS is switched off).

- Sign-in: app-only (client credentials) with msal; the client secret comes from the
  environment (`secret_env`). The app should be limited to the one mailbox (an
  application access policy / RBAC for Applications scope — see the README for what to
  ask IT for).
- New mail: a delta query on the inbox (needs no public endpoint); the first round lists
  what is in the inbox now, later rounds only what changed. Handled mail is moved out,
  so a restart (a new first round) sees exactly what still waits.
- Each mail is read as MIME (`/messages/{id}/$value`), so intake treats it like any
  other.
- Sending: the MIME message as is (`sendMail`, base64), keeping our Message-ID and
  threading headers; a message over the request limit is sent as a draft whose large
  attachments go up through upload sessions.
- Throttling: a 429, 503 or 504 is asked again after as long as its Retry-After header
  says, never sooner (Microsoft's throttling guidance; without the header an
  exponential back-off), within `server.THROTTLING`; beyond that it is an outage
  (ServerBusy) and the mail waits for a later round.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, Final

import requests

from pipeline.config import GraphSettings
from pipeline.errors import ConfigError
from pipeline.mail.mailbox import IncomingMail
from pipeline.mail.server import (
    THROTTLING,
    MailServerUnavailable,
    NoHeldMailMixin,
    ServerBusy,
    outages,
    patiently,
    secret,
)

log = logging.getLogger(f"maatwerk.{__name__}")
MIME_SEND_LIMIT = (
    3 * 1024 * 1024
)  # larger messages (base64 grows them by a third) go through upload sessions
UPLOAD_CHUNK = 4 * 320 * 1024  # upload session chunks are multiples of 320 KiB
# the statuses Graph throttles with (429) or asks to come back later with (503, 504),
# each with a Retry-After header as a rule
THROTTLED: Final = frozenset({429, 503, 504})


class _Session(requests.Session):
    """A configured CA bundle wins over REQUESTS_CA_BUNDLE in the environment (requests
    lets the environment override `Session.verify`); proxies from the environment still
    apply."""

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(
            url, proxies, stream, verify, cert
        )
        if self.verify is not True and verify in (None, True):
            settings["verify"] = self.verify
        return settings


class GraphError(MailServerUnavailable):
    """Graph answered with an error status (an outage like any other: the mail waits
    and is tried again later)."""


def retry_after(value: str | None) -> float | None:
    """The seconds a Retry-After header asks to wait (Graph sends seconds; an HTTP date
    is read too); None when there is none or it cannot be read."""
    if not value:
        return None
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", value.strip()):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def check_status(response: requests.Response, server: str, doing: str) -> None:
    """Raises ServerBusy for a throttled answer (THROTTLED, how long to wait from its
    Retry-After), GraphError (Dutch, naming `doing`) for another error status."""
    if response.status_code in THROTTLED:
        raise ServerBusy(server, retry_after(response.headers.get("Retry-After")))
    if response.status_code >= 400:
        raise GraphError(
            f"Microsoft Graph antwoordde {response.status_code} op {doing}; de mail"
            " wacht en wordt later opnieuw geprobeerd."
        )


def draft_json(msg: EmailMessage, recipients: list[str]) -> dict[str, Any]:
    """A Graph draft of `msg`: its subject, text and recipients (To or Cc as in
    `msg`)."""
    body = msg.get_body(("html", "plain"))
    to = {a.lower() for a in recipients}
    cc = {a.addr_spec.lower() for a in getattr(msg.get("Cc"), "addresses", ())}
    draft: dict[str, Any] = {
        "subject": str(msg.get("Subject", "")),
        "body": {
            "contentType": (
                "HTML" if body and body.get_content_subtype() == "html" else "Text"
            ),
            "content": body.get_content() if body else "",
        },
        "toRecipients": [{"emailAddress": {"address": a}} for a in sorted(to - cc)],
        "ccRecipients": [{"emailAddress": {"address": a}} for a in sorted(to & cc)],
    }
    if msg.get("X-Maatwerk-Zaak"):  # Graph allows only x- headers on a draft
        draft["internetMessageHeaders"] = [
            {"name": "X-Maatwerk-Zaak", "value": str(msg["X-Maatwerk-Zaak"])}
        ]
    return draft


class GraphMailbox(
    NoHeldMailMixin, backend="graph", mail_client="Outlook (op het web)"
):
    """An Exchange Online mailbox (Microsoft Graph) behind the `Mailbox` interface.
    Held mails one at a time (`maatwerk quarantaine`) are not built yet: staff handle
    the folder Quarantaine in Outlook (op het web)."""

    def __init__(self, cfg: GraphSettings, address: str, processed_folder: str):
        self.cfg = cfg
        self.address = address
        self.processed_folder = processed_folder
        self.user = cfg.mailbox or address
        self._http = _Session()
        self._http.verify = cfg.ca_bundle or True
        self._app: Any = None  # msal's ConfidentialClientApplication, made when used
        self.server = f"Microsoft Graph ({cfg.base_url})"
        self._delta_link: str | None = None
        self._folders: dict[str, str] = {}
        self._lock = threading.Lock()
        self.throttling = THROTTLING

    # --- plumbing
    # --------------------------------------------------------------------------

    def _token(self) -> str:
        import msal

        if self._app is None:
            client_secret = secret(
                self.cfg.secret_env,
                "Client secret voor Microsoft Graph ontbreekt: zet"
                f" {self.cfg.secret_env}.",
            )
            authority = f"{self.cfg.authority}/{self.cfg.tenant_id}"
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.cfg.client_id,
                    client_credential=client_secret,
                    authority=authority,
                    # the same session: the same trusted CAs and proxies
                    http_client=self._http,
                    instance_discovery=self.cfg.authority.endswith(
                        "login.microsoftonline.com"
                    ),
                )
            except ValueError:  # msal: no https address, or no such tenant
                raise ConfigError(
                    f"Microsoft Graph: {authority} is geen aanmeldadres van Entra ID;"
                    " controleer [graph] authority (https://…) en tenant_id."
                ) from None
        result = self._app.acquire_token_for_client(scopes=[self.cfg.scope])
        if "access_token" not in result:
            raise GraphError(
                "Microsoft Graph gaf geen toegangstoken"
                f" ({result.get('error', 'onbekende fout')})."
            )
        return result["access_token"]

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Every call to Graph goes through here (and `_upload`). Throttled, it is
        asked again after as long as Graph says (`patiently`). Raises ServerBusy when
        Graph stays busy beyond `self.throttling`, GraphError for an error status,
        MailServerUnavailable for the connection's errors (requests, msal)."""
        if not url.startswith("http"):
            url = f"{self.cfg.base_url}{url}"
        extra = kwargs.pop("headers", {})

        def once() -> requests.Response:
            with outages(self.server):
                headers = {"Authorization": f"Bearer {self._token()}", **extra}
                response = self._http.request(
                    method, url, headers=headers, timeout=self.cfg.timeout, **kwargs
                )
            check_status(response, self.server, method)
            return response

        return patiently(once, self.throttling)

    def _user(self, path: str) -> str:
        return f"/users/{requests.utils.quote(self.user)}{path}"

    # --- the mailbox interface
    # -------------------------------------------------------------

    def waiting(self) -> int:
        """The inbox folder read (GET /users/{id}/mailFolders/{folder})."""
        inbox = self._request("GET", self._user(f"/mailFolders/{self.cfg.folder}"))
        return int(inbox.json().get("totalItemCount") or 0)

    def check(self) -> str:
        """A token, and the inbox folder read."""
        return (
            f"Microsoft Graph: token gekregen, map {self.cfg.folder} van {self.user}"
            f" met {self.waiting()} mail(s)"
        )

    def receive(self) -> Iterator[IncomingMail]:
        with self._lock:
            items = self._delta()
        for item in items:
            raw = self._request(
                "GET", self._user(f"/messages/{item['id']}/$value")
            ).content
            when = item.get("receivedDateTime")
            received = (
                datetime.fromisoformat(when.replace("Z", "+00:00"))
                if when
                else datetime.now(UTC)
            )
            yield IncomingMail(key=item["id"], raw=raw, received_at=received)

    def _delta(self) -> list[dict[str, Any]]:
        url = self._delta_link or self._user(
            f"/mailFolders/{self.cfg.folder}/messages/delta"
            "?$select=id,receivedDateTime,internetMessageId"
        )
        items: dict[str, dict[str, Any]] = {}
        while True:
            try:
                page = self._request(
                    "GET", url, headers={"Prefer": "odata.maxpagesize=50"}
                ).json()
            except GraphError:
                if (
                    self._delta_link is not None
                ):  # an expired delta link (410): start a new round
                    self._delta_link = None
                    return self._delta()
                raise
            for item in page.get("value", []):
                if "@removed" in item:
                    items.pop(item["id"], None)
                else:
                    items[item["id"]] = item
            if "@odata.nextLink" in page:
                url = page["@odata.nextLink"]
                continue
            self._delta_link = page.get("@odata.deltaLink")
            return sorted(items.values(), key=lambda i: i.get("receivedDateTime") or "")

    def mark_processed(self, key: str, folder: str | None = None) -> None:
        target = self._folder_id(folder or self.processed_folder)
        self._request(
            "POST", self._user(f"/messages/{key}/move"), json={"destinationId": target}
        )

    def purge(self, message_ids: set[str]) -> int:
        """Delete every copy of these mails in the mailbox (Verwerkt, Quarantaine, Sent
        Items, …) for retention: found by internetMessageId, removed with
        permanentDelete (not to Deleted Items; Exchange keeps them only as its own
        recoverable-items policy says)."""
        removed = 0
        for message_id in sorted(message_ids):
            quoted = message_id.replace("'", "''")
            found = (
                self._request(
                    "GET",
                    self._user("/messages"),
                    params={
                        "$filter": f"internetMessageId eq '{quoted}'",
                        "$select": "id",
                    },
                )
                .json()
                .get("value", [])
            )
            for item in found:
                self._request(
                    "POST", self._user(f"/messages/{item['id']}/permanentDelete")
                )
                removed += 1
        return removed

    def _folder_id(self, name: str) -> str:
        if name not in self._folders:
            query = self._user(f"/mailFolders?$filter=displayName eq '{name}'")
            found = self._request("GET", query).json().get("value", [])
            if found:
                self._folders[name] = found[0]["id"]
            else:
                created = self._request(
                    "POST", self._user("/mailFolders"), json={"displayName": name}
                ).json()
                self._folders[name] = created["id"]
        return self._folders[name]

    def send(self, raw: bytes, recipients: list[str]) -> None:
        """The MIME message as is (`sendMail`); over the request limit as a draft.
        Raises GraphError or MailServerUnavailable when Graph is away or refuses."""
        if len(raw) <= MIME_SEND_LIMIT:
            self._request(
                "POST",
                self._user("/sendMail"),
                data=base64.b64encode(raw),
                headers={"Content-Type": "text/plain"},
            )
            return
        self._send_large(raw, recipients)

    def _send_large(self, raw: bytes, recipients: list[str]) -> None:
        """A draft with the text, small attachments inline and large ones by upload
        session."""
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        draft = self._request(
            "POST", self._user("/messages"), json=draft_json(msg, recipients)
        ).json()
        for part in msg.iter_attachments():
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            name = part.get_filename() or "bijlage"
            if len(content) < MIME_SEND_LIMIT:
                self._request(
                    "POST",
                    self._user(f"/messages/{draft['id']}/attachments"),
                    json={
                        "@odata.type": "#microsoft.graph.fileAttachment",
                        "name": name,
                        "contentType": part.get_content_type(),
                        "contentBytes": base64.b64encode(content).decode(),
                    },
                )
            else:
                self._upload(draft["id"], name, content)
        self._request("POST", self._user(f"/messages/{draft['id']}/send"))

    def _upload(self, draft_id: str, name: str, content: bytes) -> None:
        """A large attachment through an upload session, in chunks."""
        session = self._request(
            "POST",
            self._user(f"/messages/{draft_id}/attachments/createUploadSession"),
            json={
                "AttachmentItem": {
                    "attachmentType": "file",
                    "name": name,
                    "size": len(content),
                }
            },
        ).json()
        for start in range(0, len(content), UPLOAD_CHUNK):
            chunk = content[start : start + UPLOAD_CHUNK]
            headers = {
                "Content-Length": str(len(chunk)),
                "Content-Range": (
                    f"bytes {start}-{start + len(chunk) - 1}/{len(content)}"
                ),
            }
            patiently(
                partial(self._put_chunk, session["uploadUrl"], chunk, headers),
                self.throttling,
            )

    def _put_chunk(self, url: str, chunk: bytes, headers: dict[str, str]) -> None:
        """One chunk to an upload session. The upload URL carries its own token: no
        Authorization header (Graph docs). Raises as `check_status` does."""
        with outages(self.server):
            r = self._http.put(
                url, data=chunk, timeout=self.cfg.timeout, headers=headers
            )
        check_status(r, self.server, "het uploaden van een bijlage")

    def watch(self, timeout: float) -> None:
        """Graph gives no push without a public endpoint: wait `timeout` seconds; the
        next `receive` asks the delta query what changed."""
        time.sleep(timeout)

    def close(self) -> None:
        self._http.close()
