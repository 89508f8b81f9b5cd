"""A local HTTPS server that answers like Microsoft Graph and the Microsoft identity
platform.

No Graph server or emulator can run here, so the tests talk to this one. Its answers are
shaped after Microsoft's documentation examples (token response; message delta pages
with @odata.nextLink / @odata.deltaLink and @removed entries; /$value MIME; mailFolders;
move; sendMail with a base64 MIME body → 202; draft, createUploadSession → uploadUrl,
chunked PUTs with Content-Range and no Authorization header → 200/201; send → 202;
throttling: 429 TooManyRequests or 503 with a Retry-After header in seconds). It keeps
a little state (the inbox, folders, what was sent, when each request came) so the tests
can check what a user would see.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from tests import fake_graph_endpoints as ep
from tests.fake_graph_endpoints import TENANT, TOKEN, Call, Reply, error

__all__ = ["TENANT", "TOKEN", "FakeGraph"]


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
    def __init__(self, secret: str = "app-secret-from-keyvault"):
        self.secret = secret  # the app's client secret; the token endpoint wants it
        self.tmp = Path(tempfile.mkdtemp(prefix="fakegraph-"))
        self.cert, key = self_signed(self.tmp)
        self.inbox: dict[str, dict] = {}  # id → {"mime", "received", "seq"}
        self.folders: dict[str, str] = {"inbox": "AAMkInbox"}  # displayName → id
        self.moved: dict[str, list[str]] = {}  # folder name → message ids
        # id → MIME of every message outside the inbox (moved, sent)
        self.kept: dict[str, bytes] = {}
        self.removed: list[tuple[int, str]] = []
        self.sent: list[bytes] = []  # MIME of every sendMail
        self.drafts: dict[str, dict] = {}
        self.uploads: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        # (time.monotonic() on arrival, method, path) of every request
        self.arrivals: list[tuple[float, str, str]] = []
        self.seq = 0
        # answer 500 to this many Graph calls (an outage that asking again at once
        # does not mend)
        self.fail_next = 0
        self.throttled: list[Reply] = []  # the answers to the next Graph calls
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

    def throttle(
        self, times: int, status: int = 429, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` Graph calls (not sign-in, not uploads) with
        `status` (429 or 503) and, unless None, `Retry-After: retry_after` seconds."""
        self.throttled += [ep.throttled(status, retry_after)] * times

    def deliver(self, mime: bytes) -> str:
        self.seq += 1
        mid = f"AAMkAGI2TG93AAA{self.seq:04d}="
        self.inbox[mid] = {
            "mime": mime,
            "seq": self.seq,
            "received": dt.datetime(2027, 3, 11, 10, 36, self.seq % 60, tzinfo=dt.UTC),
        }
        return mid


Endpoint = Callable[[Call], Reply]

IDENTITY: dict[str, Endpoint] = {
    f"/{TENANT}/v2.0/.well-known/openid-configuration": ep.openid_configuration,
    f"/{TENANT}/oauth2/v2.0/token": ep.token,
}

# (method, path under /v1.0/users/{user}, endpoint)
ENDPOINTS: list[tuple[str, re.Pattern[str], Endpoint]] = [
    (method, re.compile(pattern), endpoint)
    for method, pattern, endpoint in [
        ("GET", r"/mailFolders/inbox/messages/delta", ep.delta),
        ("GET", r"/messages/([^/]+)/\$value", ep.mime_value),
        ("GET", r"/mailFolders/(inbox)", ep.get_inbox),
        ("GET", r"/mailFolders", ep.find_folders),
        ("POST", r"/mailFolders", ep.create_folder),
        ("POST", r"/messages/([^/]+)/move", ep.move),
        ("GET", r"/messages", ep.find_messages),
        ("POST", r"/messages/([^/]+)/permanentDelete", ep.permanent_delete),
        ("POST", r"/sendMail", ep.send_mail),
        ("POST", r"/messages", ep.create_draft),
        (
            "POST",
            r"/messages/([^/]+)/attachments/createUploadSession",
            ep.create_upload_session,
        ),
        ("POST", r"/messages/([^/]+)/attachments", ep.add_attachment),
        ("POST", r"/messages/([^/]+)/send", ep.send_draft),
    ]
]

UNAUTHENTICATED = Reply(
    401,
    {
        "error": {
            "code": "InvalidAuthenticationToken",
            "message": "Access token is empty.",
        }
    },
)
UNAVAILABLE = Reply(
    500, {"error": {"code": "generalException", "message": "An error occurred."}}
)


def answer(method: str, path: str, call: Call) -> Reply:
    """What Graph answers to `method` on `path`: the identity platform, an upload URL,
    or (signed in, no outage) a mailbox endpoint."""
    g = call.graph
    if path in IDENTITY:
        return IDENTITY[path](call)
    if path.startswith("/upload/"):
        return ep.upload(call, path.rsplit("/", 1)[1])
    if call.headers.get("Authorization") != f"Bearer {TOKEN}":
        return UNAUTHENTICATED
    if g.fail_next:
        g.fail_next -= 1
        return UNAVAILABLE
    if g.throttled:
        return g.throttled.pop(0)
    m = re.fullmatch(r"/v1\.0/users/([^/]+)(/.*)", path)
    if not m:
        return error(404, "ResourceNotFound")
    call.user, rest = m.group(1), m.group(2)
    for verb, pattern, endpoint in ENDPOINTS:
        if verb == method and (match := pattern.fullmatch(rest)):
            call.match = match
            return endpoint(call)
    return error(404, "ResourceNotFound")


class _Handler(BaseHTTPRequestHandler):
    graph: FakeGraph
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, reply: Reply) -> None:
        status, body, headers = reply
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

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.graph.arrivals.append((time.monotonic(), method, path))
        self.graph.requests.append((method, path, dict(self.headers)))
        self._send(answer(method, path, Call(self.graph, self.headers, body, query)))

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")
