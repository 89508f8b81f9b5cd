"""A local HTTPS server that answers like Microsoft Graph and the Microsoft identity
platform.

No Graph server or emulator can run here, so the tests talk to this one. Its answers are
shaped after Microsoft's documentation examples (token response; message delta pages
with @odata.nextLink / @odata.deltaLink and @removed entries; /$value MIME; mailFolders;
move; sendMail with a base64 MIME body → 202; draft, createUploadSession → uploadUrl,
chunked PUTs with Content-Range and no Authorization header → 200/201; send → 202). It
keeps a little state (the inbox, folders, what was sent) so the tests can check what a
user would see.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

TENANT = "contoso-tenant-id"
TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UifQ.fake.token"


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class FakeGraph:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fakegraph-"))
        self.cert, key = self_signed(self.tmp)
        self.inbox: dict[str, dict] = {}  # id → {"mime", "received", "seq"}
        self.folders: dict[str, str] = {"inbox": "AAMkInbox"}  # displayName → id
        self.moved: dict[str, list[str]] = {}  # folder name → message ids
        self.kept: dict[
            str, bytes
        ] = {}  # id → MIME of every message outside the inbox (moved, sent)
        self.removed: list[tuple[int, str]] = []
        self.sent: list[bytes] = []  # MIME of every sendMail
        self.drafts: dict[str, dict] = {}
        self.uploads: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.seq = 0
        self.fail_next = 0  # answer 503 to this many Graph calls (an outage)
        handler = type("Handler", (_Handler,), {"graph": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> FakeGraph:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def deliver(self, mime: bytes) -> str:
        self.seq += 1
        mid = f"AAMkAGI2TG93AAA{self.seq:04d}="
        self.inbox[mid] = {
            "mime": mime,
            "seq": self.seq,
            "received": dt.datetime(2027, 3, 11, 10, 36, self.seq % 60, tzinfo=dt.UTC),
        }
        return mid


def _message_id(mime: bytes) -> str:
    from email.parser import BytesHeaderParser

    return str(BytesHeaderParser().parsebytes(mime).get("Message-ID", "")).strip()


class _Handler(BaseHTTPRequestHandler):
    graph: FakeGraph
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body=None, headers: dict | None = None) -> None:
        data = (
            b""
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        if body is not None and not isinstance(body, bytes):
            self.send_header(
                "Content-Type",
                "application/json; odata.metadata=minimal; charset=utf-8",
            )
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def _route(self, method: str) -> None:
        g = self.graph
        url = urlparse(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        body = self._body()
        g.requests.append((method, path, dict(self.headers)))
        if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            base = f"{g.base}/{TENANT}"
            return self._send(
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
        if path == f"/{TENANT}/oauth2/v2.0/token":
            form = parse_qs(body.decode())
            if form.get("grant_type") != ["client_credentials"] or not form.get(
                "client_secret"
            ):
                return self._send(400, {"error": "invalid_request"})
            return self._send(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": TOKEN,
                },
            )
        if path.startswith("/upload/"):
            if (
                "Authorization" in self.headers
            ):  # Graph docs: the upload URL carries its own token
                return self._send(
                    401, {"error": {"code": "InvalidAuthenticationToken"}}
                )
            return self._upload(path.rsplit("/", 1)[1], body)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(
                401,
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token is empty.",
                    }
                },
            )
        if g.fail_next:
            g.fail_next -= 1
            return self._send(
                503,
                {
                    "error": {
                        "code": "ServiceNotAvailable",
                        "message": "Service unavailable",
                    }
                },
            )
        m = re.fullmatch(r"/v1\.0/users/([^/]+)(/.*)", path)
        if not m:
            return self._send(404, {"error": {"code": "ResourceNotFound"}})
        user, rest = m.group(1), m.group(2)
        ctx = f"https://graph.microsoft.com/v1.0/$metadata#users('{user}')"
        if method == "GET" and rest == "/mailFolders/inbox/messages/delta":
            return self._delta(user, query, ctx)
        if method == "GET" and (mm := re.fullmatch(r"/messages/([^/]+)/\$value", rest)):
            item = g.inbox.get(mm.group(1))
            return (
                self._send(200, item["mime"], {"Content-Type": "text/plain"})
                if item
                else self._send(404)
            )
        if method == "GET" and rest == "/mailFolders":
            name = re.search(r"displayName eq '([^']*)'", query.get("$filter", [""])[0])
            found = [
                {
                    "id": fid,
                    "displayName": n,
                    "parentFolderId": "AAMkRoot",
                    "childFolderCount": 0,
                    "unreadItemCount": 0,
                    "totalItemCount": len(g.moved.get(n, [])),
                    "isHidden": False,
                }
                for n, fid in g.folders.items()
                if name and n == name.group(1)
            ]
            return self._send(
                200, {"@odata.context": f"{ctx}/mailFolders", "value": found}
            )
        if method == "POST" and rest == "/mailFolders":
            name = json.loads(body)["displayName"]
            g.folders[name] = f"AAMkFolder{len(g.folders)}"
            return self._send(
                201,
                {
                    "@odata.context": f"{ctx}/mailFolders/$entity",
                    "id": g.folders[name],
                    "displayName": name,
                    "parentFolderId": "AAMkRoot",
                    "childFolderCount": 0,
                    "unreadItemCount": 0,
                    "totalItemCount": 0,
                    "isHidden": False,
                },
            )
        if method == "POST" and (mm := re.fullmatch(r"/messages/([^/]+)/move", rest)):
            target = json.loads(body)["destinationId"]
            name = next(n for n, fid in g.folders.items() if fid == target)
            item = g.inbox.pop(mm.group(1), None)
            if item is None:
                return self._send(404, {"error": {"code": "ErrorItemNotFound"}})
            g.seq += 1
            g.removed.append((g.seq, mm.group(1)))
            g.moved.setdefault(name, []).append(mm.group(1))
            g.kept[mm.group(1)] = item["mime"]
            return self._send(
                201,
                {
                    "@odata.context": f"{ctx}/messages/$entity",
                    "id": mm.group(1) + "moved",
                    "parentFolderId": target,
                },
            )
        if (
            method == "GET" and rest == "/messages"
        ):  # the whole mailbox, filtered by internetMessageId
            wanted = re.fullmatch(
                r"internetMessageId eq '(.*)'", query.get("$filter", [""])[0]
            )
            if not wanted:
                return self._send(
                    400, {"error": {"code": "ErrorInvalidUrlQueryFilter"}}
                )
            value = wanted.group(1).replace("''", "'")
            mailbox = {**{mid: i["mime"] for mid, i in g.inbox.items()}, **g.kept}
            found = [
                {"@odata.etag": 'W/"CQAAABYAAAB"', "id": mid}
                for mid, mime in mailbox.items()
                if _message_id(mime) == value
            ]
            return self._send(
                200, {"@odata.context": f"{ctx}/messages(id)", "value": found}
            )
        if method == "POST" and (
            mm := re.fullmatch(r"/messages/([^/]+)/permanentDelete", rest)
        ):
            if (
                g.kept.pop(mm.group(1), None) is None
                and g.inbox.pop(mm.group(1), None) is None
            ):
                return self._send(404, {"error": {"code": "ErrorItemNotFound"}})
            return self._send(204)
        if method == "POST" and rest == "/sendMail":
            if self.headers.get("Content-Type", "").split(";")[0] != "text/plain":
                return self._send(
                    400, {"error": {"code": "ErrorMimeContentInvalidBase64String"}}
                )
            g.sent.append(base64.b64decode(body))
            g.kept[f"AAMkSent{len(g.sent)}"] = g.sent[
                -1
            ]  # saveToSentItems defaults to true
            return self._send(202)
        if method == "POST" and rest == "/messages":
            did = f"AAMkDraft{len(g.drafts)}"
            g.drafts[did] = {"json": json.loads(body), "attachments": [], "sent": False}
            return self._send(
                201,
                {
                    "@odata.context": f"{ctx}/messages/$entity",
                    "id": did,
                    "isDraft": True,
                },
            )
        if method == "POST" and (
            mm := re.fullmatch(
                r"/messages/([^/]+)/attachments/createUploadSession", rest
            )
        ):
            item = json.loads(body)["AttachmentItem"]
            sid = uuid.uuid4().hex
            g.uploads[sid] = {
                "draft": mm.group(1),
                "name": item["name"],
                "size": item["size"],
                "data": b"",
            }
            return self._send(
                201,
                {
                    "@odata.context": (
                        "https://graph.microsoft.com/v1.0/$metadata#"
                        "microsoft.graph.uploadSession"
                    ),
                    "uploadUrl": (
                        f"{g.base}/upload/{sid}?authtoken=eyJhbGciOiJSUzI1NiIsImtpZCI6"
                    ),
                    "expirationDateTime": "2027-03-11T12:00:00.000Z",
                    "nextExpectedRanges": ["0-"],
                },
            )
        if method == "POST" and (
            mm := re.fullmatch(r"/messages/([^/]+)/attachments", rest)
        ):
            att = json.loads(body)
            g.drafts[mm.group(1)]["attachments"].append(
                (att["name"], base64.b64decode(att["contentBytes"]))
            )
            return self._send(
                201,
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "id": "AAMkAtt",
                    "name": att["name"],
                },
            )
        if method == "POST" and (mm := re.fullmatch(r"/messages/([^/]+)/send", rest)):
            g.drafts[mm.group(1)]["sent"] = True
            return self._send(202)
        return self._send(404, {"error": {"code": "ResourceNotFound"}})

    def _delta(self, user: str, query: dict, ctx: str) -> None:
        g = self.graph
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
        link = f"https://127.0.0.1:{g.port}/v1.0/users/{user}/mailFolders/inbox/messages/delta"
        out = {
            "@odata.context": (
                f"{ctx}/mailFolders('inbox')/messages(id,receivedDateTime,internetMessageId)"
            ),
            "value": page,
        }
        if skip + 2 < len(items):
            out["@odata.nextLink"] = f"{link}?$skiptoken={skip + 2}" + (
                f"&$deltatoken={since}" if since else ""
            )
        else:
            out["@odata.deltaLink"] = f"{link}?$deltatoken={g.seq}"
        self._send(200, out)

    def _upload(self, sid: str, body: bytes) -> None:
        up = self.graph.uploads[sid]
        start, end, total = map(
            int,
            re.fullmatch(
                r"bytes (\d+)-(\d+)/(\d+)", self.headers["Content-Range"]
            ).groups(),
        )
        if (
            start != len(up["data"])
            or end - start + 1 != len(body)
            or total != up["size"]
        ):
            return self._send(416, {"error": {"code": "InvalidRange"}})
        up["data"] += body
        if len(up["data"]) == up["size"]:
            self.graph.drafts[up["draft"]]["attachments"].append(
                (up["name"], up["data"])
            )
            return self._send(
                201,
                headers={
                    "Location": "https://outlook.office.com/api/v2.0/Users/Attachments"
                },
            )
        self._send(
            200,
            {
                "expirationDateTime": "2027-03-11T12:00:00.000Z",
                "nextExpectedRanges": [f"{len(up['data'])}-"],
            },
        )
