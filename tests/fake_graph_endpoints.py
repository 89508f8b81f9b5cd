"""What the fake Microsoft Graph (tests/fake_graph.py) answers: one function per
endpoint of the identity platform and of Graph's mail API, each shaped after Microsoft's
documentation examples.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from tests.fake_graph import FakeGraph

TENANT = "contoso-tenant-id"
TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UifQ.fake.token"


def message_id(mime: bytes) -> str:
    """The Message-ID header of `mime` ('' if it has none)."""
    from email.parser import BytesHeaderParser

    return str(BytesHeaderParser().parsebytes(mime).get("Message-ID", "")).strip()


Body = dict | bytes | None


class Reply(NamedTuple):
    """An answer: the status, a JSON body (a dict) or a raw one (bytes), headers."""

    status: int
    body: Body = None
    headers: dict[str, str] | None = None


def error(status: int, code: str) -> Reply:
    """Graph's error body: {"error": {"code": ...}}."""
    return Reply(status, {"error": {"code": code}})


def throttled(status: int, retry_after: int | None) -> Reply:
    """Graph throttling (429) or a service asking to come back later (503), with the
    error body of Microsoft's throttling guidance and the seconds to wait in
    Retry-After."""
    code = "TooManyRequests" if status == 429 else "ServiceNotAvailable"
    body = {
        "error": {
            "code": code,
            "message": "Please retry again later.",
            "innerError": {"code": str(status), "date": "2027-03-11T10:36:00"},
        }
    }
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return Reply(status, body, headers)


@dataclass
class Call:
    """One request: the fake's state, what was sent; for a mailbox endpoint also the
    user and the match of the endpoint's path pattern."""

    graph: FakeGraph
    headers: Message
    body: bytes
    query: dict[str, list[str]]
    user: str = ""
    match: re.Match[str] | None = None

    @property
    def ctx(self) -> str:
        return f"https://graph.microsoft.com/v1.0/$metadata#users('{self.user}')"

    @property
    def id(self) -> str:
        """The message id in the path."""
        assert self.match is not None
        return self.match.group(1)

    def json(self) -> dict:
        return json.loads(self.body)


# --- the identity platform
# ---------------------------------------------------------------------


def openid_configuration(call: Call) -> Reply:
    base = f"{call.graph.base}/{TENANT}"
    return Reply(
        200,
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
        },
    )


def token(call: Call) -> Reply:
    form = parse_qs(call.body.decode())
    if form.get("grant_type") != ["client_credentials"] or not form.get(
        "client_secret"
    ):
        return Reply(400, {"error": "invalid_request"})
    if form["client_secret"] != [call.graph.secret]:
        return Reply(
            401,
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
                "error_codes": [7000215],
            },
        )
    return Reply(
        200,
        {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": TOKEN,
        },
    )


# --- Graph: one function per endpoint under /v1.0/users/{user}
# -----------------------------------------------------------------


def delta(call: Call) -> Reply:
    g, query = call.graph, call.query
    since = int(query.get("$deltatoken", ["0"])[0])
    skip = int(query.get("$skiptoken", ["0"])[0])
    items = [
        {
            "@odata.type": "#microsoft.graph.message",
            "@odata.etag": 'W/"CQAAABYAAAB"',
            "id": mid,
            "receivedDateTime": i["received"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "internetMessageId": "<x@y>",
        }
        for mid, i in g.inbox.items()
        if i["seq"] > since
    ]
    if since:
        items += [
            {"id": mid, "@removed": {"reason": "deleted"}}
            for seq, mid in g.removed
            if seq > since
        ]
    page = items[skip : skip + 2]  # two per page, so paging is exercised
    link = f"{g.base}/v1.0/users/{call.user}/mailFolders/inbox/messages/delta"
    out = {
        "@odata.context": (
            f"{call.ctx}/mailFolders('inbox')/messages(id,receivedDateTime,internetMessageId)"
        ),
        "value": page,
    }
    if skip + 2 < len(items):
        out["@odata.nextLink"] = f"{link}?$skiptoken={skip + 2}" + (
            f"&$deltatoken={since}" if since else ""
        )
    else:
        out["@odata.deltaLink"] = f"{link}?$deltatoken={g.seq}"
    return Reply(200, out)


def mime_value(call: Call) -> Reply:
    item = call.graph.inbox.get(call.id)
    return (
        Reply(200, item["mime"], {"Content-Type": "text/plain"}) if item else Reply(404)
    )


def folder(fid: str, name: str, total: int) -> dict:
    """A mailFolder resource."""
    return {
        "id": fid,
        "displayName": name,
        "parentFolderId": "AAMkRoot",
        "childFolderCount": 0,
        "unreadItemCount": 0,
        "totalItemCount": total,
        "isHidden": False,
    }


def get_inbox(call: Call) -> Reply:
    """GET /users/{id}/mailFolders/inbox: the well-known folder (mailFolder resource)."""
    return Reply(
        200,
        {"@odata.context": f"{call.ctx}/mailFolders/$entity"}
        | folder("AAMkInbox", "Inbox", len(call.graph.inbox)),
    )


def find_folders(call: Call) -> Reply:
    g = call.graph
    name = re.search(r"displayName eq '([^']*)'", call.query.get("$filter", [""])[0])
    found = [
        folder(fid, n, len(g.moved.get(n, [])))
        for n, fid in g.folders.items()
        if name and n == name.group(1)
    ]
    return Reply(200, {"@odata.context": f"{call.ctx}/mailFolders", "value": found})


def create_folder(call: Call) -> Reply:
    g = call.graph
    name = call.json()["displayName"]
    g.folders[name] = f"AAMkFolder{len(g.folders)}"
    return Reply(
        201,
        {"@odata.context": f"{call.ctx}/mailFolders/$entity"}
        | folder(g.folders[name], name, 0),
    )


def move(call: Call) -> Reply:
    g = call.graph
    target = call.json()["destinationId"]
    name = next(n for n, fid in g.folders.items() if fid == target)
    item = g.inbox.pop(call.id, None)
    if item is None:
        return error(404, "ErrorItemNotFound")
    g.seq += 1
    g.removed.append((g.seq, call.id))
    g.moved.setdefault(name, []).append(call.id)
    g.kept[call.id] = item["mime"]
    return Reply(
        201,
        {
            "@odata.context": f"{call.ctx}/messages/$entity",
            "id": call.id + "moved",
            "parentFolderId": target,
        },
    )


def find_messages(call: Call) -> Reply:
    """The whole mailbox, filtered by internetMessageId."""
    g = call.graph
    wanted = re.fullmatch(
        r"internetMessageId eq '(.*)'", call.query.get("$filter", [""])[0]
    )
    if not wanted:
        return error(400, "ErrorInvalidUrlQueryFilter")
    value = wanted.group(1).replace("''", "'")
    mailbox = {**{mid: i["mime"] for mid, i in g.inbox.items()}, **g.kept}
    found = [
        {"@odata.etag": 'W/"CQAAABYAAAB"', "id": mid}
        for mid, mime in mailbox.items()
        if message_id(mime) == value
    ]
    return Reply(200, {"@odata.context": f"{call.ctx}/messages(id)", "value": found})


def permanent_delete(call: Call) -> Reply:
    g = call.graph
    if g.kept.pop(call.id, None) is None and g.inbox.pop(call.id, None) is None:
        return error(404, "ErrorItemNotFound")
    return Reply(204)


def send_mail(call: Call) -> Reply:
    g = call.graph
    if call.headers.get("Content-Type", "").split(";")[0] != "text/plain":
        return error(400, "ErrorMimeContentInvalidBase64String")
    g.sent.append(base64.b64decode(call.body))
    g.kept[f"AAMkSent{len(g.sent)}"] = g.sent[-1]  # saveToSentItems defaults to true
    return Reply(202)


def create_draft(call: Call) -> Reply:
    g = call.graph
    did = f"AAMkDraft{len(g.drafts)}"
    g.drafts[did] = {"json": call.json(), "attachments": [], "sent": False}
    return Reply(
        201,
        {"@odata.context": f"{call.ctx}/messages/$entity", "id": did, "isDraft": True},
    )


def create_upload_session(call: Call) -> Reply:
    g = call.graph
    item = call.json()["AttachmentItem"]
    sid = uuid.uuid4().hex
    g.uploads[sid] = {
        "draft": call.id,
        "name": item["name"],
        "size": item["size"],
        "data": b"",
    }
    return Reply(
        201,
        {
            "@odata.context": (
                "https://graph.microsoft.com/v1.0/$metadata#"
                "microsoft.graph.uploadSession"
            ),
            "uploadUrl": f"{g.base}/upload/{sid}?authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6",
            "expirationDateTime": "2027-03-11T12:00:00.000Z",
            "nextExpectedRanges": ["0-"],
        },
    )


def add_attachment(call: Call) -> Reply:
    att = call.json()
    call.graph.drafts[call.id]["attachments"].append(
        (att["name"], base64.b64decode(att["contentBytes"]))
    )
    return Reply(
        201,
        {
            "@odata.type": "#microsoft.graph.fileAttachment",
            "id": "AAMkAtt",
            "name": att["name"],
        },
    )


def send_draft(call: Call) -> Reply:
    call.graph.drafts[call.id]["sent"] = True
    return Reply(202)


def upload(call: Call, sid: str) -> Reply:
    """A chunk PUT to an upload URL (which carries its own token, Graph docs say: a
    request with an Authorization header is refused)."""
    if "Authorization" in call.headers:
        return error(401, "InvalidAuthenticationToken")
    up = call.graph.uploads[sid]
    ranges = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", call.headers["Content-Range"])
    assert ranges is not None
    start, end, total = map(int, ranges.groups())
    if (
        start != len(up["data"])
        or end - start + 1 != len(call.body)
        or total != up["size"]
    ):
        return error(416, "InvalidRange")
    up["data"] += call.body
    if len(up["data"]) == up["size"]:
        call.graph.drafts[up["draft"]]["attachments"].append((up["name"], up["data"]))
        return Reply(
            201,
            headers={
                "Location": "https://outlook.office.com/api/v2.0/Users/Attachments"
            },
        )
    return Reply(
        200,
        {
            "expirationDateTime": "2027-03-11T12:00:00.000Z",
            "nextExpectedRanges": [f"{len(up['data'])}-"],
        },
    )
