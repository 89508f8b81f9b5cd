"""A local HTTP server that answers EWS SOAP requests the way Exchange does.

No EWS server or emulator exists as a package, so the EWS tests talk to this one. Its
answers follow the SOAP shapes in Microsoft's EWS reference (GetFolder, FindFolder,
CreateFolder, FindItem, GetItem with MimeContent, MoveItem, CreateItem with
SendAndSaveCopy), with the ServerVersionInfo header of Exchange 2016, and throttling
(the ErrorServerBusy fault with BackOffMilliseconds). It keeps the mailbox's state so
tests can check what a user would see: what is in the inbox, what was moved where, the
MIME of every sent mail, and when each operation came. The answers themselves, one
function per operation, are in tests/fake_ews_operations.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree as ET

from tests import fake_ews_operations as ops
from tests.fake_ews_operations import NS, S

HEADER = """<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507"
 MinorBuildNumber="6" Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"
 xmlns="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>"""


def envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{S}">{HEADER}'
        '<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</s:Body></s:Envelope>'
    ).encode()


class FakeEws:
    def __init__(self, user: str = "svc-maatwerk", password: str = "ews-geheim"):
        self.user, self.password = user, password
        self.folders = {
            "root": ("AAMkRootRoot", "", None),
            "msgfolderroot": ("AAMkRoot", "Top of Information Store", "root"),
            "inbox": ("AAMkInbox", "Inbox", "msgfolderroot"),
            "sentitems": ("AAMkSent", "Sent Items", "msgfolderroot"),
        }
        self.items: dict[str, dict] = {}  # id → {"mime", "folder", "received"}
        self.sent: list[bytes] = []
        self.events: list[tuple[int, str]] = []  # (watermark number, item id), new mail
        self.operations: list[str] = []
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), operation)
        self.busy_next: list[int] = []  # BackOffMilliseconds of the next answers
        self.seq = 0
        handler = type("Handler", (_Handler,), {"ews": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/EWS/Exchange.asmx"

    def start(self) -> FakeEws:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def busy(self, times: int, back_off_ms: int) -> None:
        """Answer the next `times` operations with ErrorServerBusy, asking to back
        off `back_off_ms` milliseconds."""
        self.busy_next += [back_off_ms] * times

    def deliver(self, mime: bytes) -> str:
        self.seq += 1
        iid = f"AAMkAGItem{self.seq:04d}="
        self.items[iid] = {
            "mime": mime,
            "folder": "AAMkInbox",
            "received": dt.datetime(2027, 3, 11, 10, 36, self.seq % 60, tzinfo=dt.UTC),
        }
        self.events.append((self.seq, iid))
        return iid

    def in_folder(self, name: str) -> list[str]:
        fid = next((f[0] for f in self.folders.values() if f[1] == name), None)
        return [i for i, item in self.items.items() if item["folder"] == fid]

    # --- answers
    # ------------------------------------------------------------------------

    def folder_xml(self, key: str) -> str:
        fid, name, parent = self.folders[key]
        parent_xml = (
            f'<t:ParentFolderId Id="{self.folders[parent][0]}" ChangeKey="AQAAAA=="/>'
            if parent
            else ""
        )
        count = len([i for i in self.items.values() if i["folder"] == fid])
        return (
            f'<t:Folder><t:FolderId Id="{fid}" ChangeKey="AQAAABYAAAA="/>{parent_xml}'
            f"<t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>{name}</t:DisplayName>"
            f"<t:TotalCount>{count}</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>"
            "<t:UnreadCount>0</t:UnreadCount></t:Folder>"
        )

    def key_of(self, el: ET.Element) -> str | None:
        """The key of the folder a DistinguishedFolderId or FolderId child of `el`
        names (None: no such folder)."""
        dist = el.find("t:DistinguishedFolderId", NS)
        if dist is not None:
            return dist.get("Id")
        fid = el.find("t:FolderId", NS)
        return (
            next((k for k, f in self.folders.items() if f[0] == fid.get("Id")), None)
            if fid is not None
            else None
        )


# one function per EWS operation, by the operation's element name
OPERATIONS: dict[str, Callable[[FakeEws, ET.Element], str]] = {
    "GetFolder": ops.get_folder,
    "FindFolder": ops.find_folder,
    "CreateFolder": ops.create_folder,
    "FindItem": ops.find_item,
    "GetItem": ops.get_item,
    "MoveItem": ops.move_item,
    "CreateItem": ops.create_item,
    "DeleteItem": ops.delete_item,
    "Subscribe": ops.subscribe,
    "GetEvents": ops.get_events,
}


class _Handler(BaseHTTPRequestHandler):
    ews: FakeEws
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(
        self, status: int, body: bytes, ctype: str = "text/xml; charset=utf-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        e = self.ews
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        expected = (
            "Basic " + base64.b64encode(f"{e.user}:{e.password}".encode()).decode()
        )
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="127.0.0.1"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        root = ET.fromstring(body)
        op_el = ops.child(root, "s:Body")[0]
        op = op_el.tag.split("}")[1]
        e.operations.append(op)
        e.arrivals.append((time.monotonic(), op))
        if e.busy_next:
            return self._reply(500, ops.server_busy(e.busy_next.pop(0)))
        operation = OPERATIONS.get(op)
        if operation is None:
            return self._reply(
                500,
                envelope(
                    "<s:Fault><faultcode>s:Client</faultcode>"
                    f"<faultstring>{op} not recorded</faultstring></s:Fault>"
                ),
            )
        self._reply(200, envelope(operation(e, op_el)))
