"""A local HTTP server that answers EWS SOAP requests the way Exchange does.

No EWS server or emulator exists as a package, so the EWS tests talk to this one. Its
answers follow the SOAP shapes in Microsoft's EWS reference (GetFolder, FindFolder,
CreateFolder, FindItem, GetItem with MimeContent, MoveItem, CreateItem with
SendAndSaveCopy), with the ServerVersionInfo header of Exchange 2016. It keeps the
mailbox's state so tests can check what a user would see: what is in the inbox, what was
moved where, and the MIME of every sent mail.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree as ET

M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
S = "http://schemas.xmlsoap.org/soap/envelope/"
NS = {"m": M, "t": T, "s": S}

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
        self.events: list[
            tuple[int, str]
        ] = []  # (watermark number, item id) of new mail
        self.operations: list[str] = []
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

    def key_of(self, el) -> str | None:
        dist = el.find("t:DistinguishedFolderId", NS)
        if dist is not None:
            return dist.get("Id")
        fid = el.find("t:FolderId", NS)
        return (
            next((k for k, f in self.folders.items() if f[0] == fid.get("Id")), None)
            if fid is not None
            else None
        )


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
        op_el = root.find("s:Body", NS)[0]
        op = op_el.tag.split("}")[1]
        e.operations.append(op)
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            return self._reply(
                500,
                envelope(
                    "<s:Fault><faultcode>s:Client</faultcode>"
                    f"<faultstring>{op} not recorded</faultstring></s:Fault>"
                ),
            )
        self._reply(200, envelope(handler(op_el)))

    # one method per EWS operation
    # ---------------------------------------------------------

    def op_GetFolder(self, req) -> str:
        msgs = []
        for el in req.find("m:FolderIds", NS):
            key = self.ews.key_of(ET.Element("x", {}) if el is None else _wrap(el))
            if key in self.ews.folders:
                msgs.append(
                    "<m:GetFolderResponseMessage"
                    ' ResponseClass="Success"><m:ResponseCode>NoError'
                    f"</m:ResponseCode><m:Folders>{self.ews.folder_xml(key)}</m:Folders>"
                    "</m:GetFolderResponseMessage>"
                )
            else:
                msgs.append(
                    "<m:GetFolderResponseMessage"
                    ' ResponseClass="Error"><m:MessageText>The specified folder '
                    "could not be found in the"
                    " store.</m:MessageText><m:ResponseCode>ErrorFolderNotFound"
                    "</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
                    "</m:GetFolderResponseMessage>"
                )
        return (
            f'<m:GetFolderResponse xmlns:m="{M}"'
            f' xmlns:t="{T}"><m:ResponseMessages>{"".join(msgs)}'
            "</m:ResponseMessages></m:GetFolderResponse>"
        )

    def op_FindFolder(self, req) -> str:
        parent = self.ews.key_of(_wrap(req.find("m:ParentFolderIds", NS)[0]))
        children = [k for k, f in self.ews.folders.items() if f[2] == parent]
        if req.get("Traversal") == "Deep":  # every folder below, as Exchange answers
            level = children
            while level:
                level = [k for k, f in self.ews.folders.items() if f[2] in level]
                children += level
        folders = "".join(self.ews.folder_xml(k) for k in children)
        return (
            f'<m:FindFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
            "<m:FindFolderResponseMessage"
            ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f'<m:RootFolder IndexedPagingOffset="{len(children)}"'
            f' TotalItemsInView="{len(children)}" '
            f'IncludesLastItemInRange="true"><t:Folders>{folders}</t:Folders></m:RootFolder>'
            "</m:FindFolderResponseMessage></m:ResponseMessages></m:FindFolderResponse>"
        )

    def op_CreateFolder(self, req) -> str:
        parent = self.ews.key_of(_wrap(req.find("m:ParentFolderId", NS)[0]))
        name = req.find(".//t:DisplayName", NS).text
        fid = (  # folders are never removed: ids stay unique
            f"AAMkFolder{len(self.ews.folders)}"
        )
        self.ews.folders[name.lower()] = (fid, name, parent)
        return (
            f'<m:CreateFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
            "<m:CreateFolderResponseMessage"
            ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f'<m:Folders><t:Folder><t:FolderId Id="{fid}"'
            ' ChangeKey="AQAAABYAAAA="/></t:Folder></m:Folders>'
            "</m:CreateFolderResponseMessage></m:ResponseMessages></m:CreateFolderResponse>"
        )

    def op_FindItem(self, req) -> str:
        key = self.ews.key_of(_wrap(req.find("m:ParentFolderIds", NS)[0]))
        fid = self.ews.folders[key][0]
        found = sorted(
            (i for i, it in self.ews.items.items() if it["folder"] == fid),
            key=lambda i: self.ews.items[i]["received"],
        )
        wanted = req.find(
            "m:Restriction/t:IsEqualTo", NS
        )  # the one restriction used: InternetMessageId
        if wanted is not None:
            if (
                wanted.find("t:FieldURI", NS).get("FieldURI")
                != "message:InternetMessageId"
            ):
                raise ValueError("only InternetMessageId restrictions are answered")
            value = wanted.find("t:FieldURIOrConstant/t:Constant", NS).get("Value")
            found = [
                i for i in found if _message_id(self.ews.items[i]["mime"]) == value
            ]
        items = "".join(
            f'<t:Message><t:ItemId Id="{i}" ChangeKey="CQAAABYAAAA="/>'
            f"<t:DateTimeReceived>{self.ews.items[i]['received']:%Y-%m-%dT%H:%M:%SZ}</t:DateTimeReceived>"
            "</t:Message>"
            for i in found
        )
        return (
            f'<m:FindItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
            "<m:FindItemResponseMessage"
            ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f'<m:RootFolder IndexedPagingOffset="{len(found)}"'
            f' TotalItemsInView="{len(found)}" '
            f'IncludesLastItemInRange="true"><t:Items>{items}</t:Items></m:RootFolder>'
            "</m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"
        )

    def op_GetItem(self, req) -> str:
        msgs = []
        for el in req.find("m:ItemIds", NS):
            item = self.ews.items.get(el.get("Id"))
            if item is None:
                msgs.append(_not_found("GetItem"))
                continue
            mime = base64.b64encode(item["mime"]).decode()
            msgs.append(
                "<m:GetItemResponseMessage"
                ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                "<m:Items><t:Message><t:MimeContent"
                f' CharacterSet="UTF-8">{mime}</t:MimeContent>'
                f'<t:ItemId Id="{el.get("Id")}" ChangeKey="CQAAABYAAAA="/>'
                f"<t:DateTimeReceived>{item['received']:%Y-%m-%dT%H:%M:%SZ}</t:DateTimeReceived>"
                "</t:Message></m:Items></m:GetItemResponseMessage>"
            )
        return (
            f'<m:GetItemResponse xmlns:m="{M}"'
            f' xmlns:t="{T}"><m:ResponseMessages>{"".join(msgs)}'
            "</m:ResponseMessages></m:GetItemResponse>"
        )

    def op_MoveItem(self, req) -> str:
        key = self.ews.key_of(_wrap(req.find("m:ToFolderId", NS)[0]))
        fid = self.ews.folders[key][0]
        msgs = []
        for el in req.find("m:ItemIds", NS):
            item = self.ews.items.get(el.get("Id"))
            if item is None:
                msgs.append(_not_found("MoveItem"))
                continue
            item["folder"] = fid
            msgs.append(
                "<m:MoveItemResponseMessage"
                ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                f'<m:Items><t:Message><t:ItemId Id="{el.get("Id")}M"'
                ' ChangeKey="CQAAABYAAAB="/>'
                "</t:Message></m:Items></m:MoveItemResponseMessage>"
            )
        return (
            f'<m:MoveItemResponse xmlns:m="{M}"'
            f' xmlns:t="{T}"><m:ResponseMessages>{"".join(msgs)}'
            "</m:ResponseMessages></m:MoveItemResponse>"
        )

    def op_CreateItem(self, req) -> str:
        if req.get("MessageDisposition") != "SendAndSaveCopy":
            raise ValueError("only SendAndSaveCopy is recorded")
        mime = req.find(".//t:MimeContent", NS)
        self.ews.sent.append(base64.b64decode(mime.text))
        self.ews.items[
            f"AAMkSentItem{len(self.ews.sent):04d}="
        ] = {  # the copy in Sent Items
            "mime": self.ews.sent[-1],
            "folder": "AAMkSent",
            "received": dt.datetime.now(dt.UTC),
        }
        return (
            f'<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
            "<m:CreateItemResponseMessage"
            ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            "<m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"
        )


def _delete_item(self, req) -> str:
    if req.get("DeleteType") != "HardDelete":
        raise ValueError("only HardDelete is answered")
    msgs = []
    for el in req.find("m:ItemIds", NS):
        gone = self.ews.items.pop(el.get("Id"), None) is not None
        msgs.append(
            "<m:DeleteItemResponseMessage"
            ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            "</m:DeleteItemResponseMessage>"
            if gone
            else _not_found("DeleteItem", items=False)
        )
    return (
        f'<m:DeleteItemResponse xmlns:m="{M}"'
        f' xmlns:t="{T}"><m:ResponseMessages>{"".join(msgs)}'
        "</m:ResponseMessages></m:DeleteItemResponse>"
    )


def _not_found(op: str, items: bool = True) -> str:
    """EWS's answer for an item id that is not (or no longer) there."""
    return (
        f'<m:{op}ResponseMessage ResponseClass="Error"><m:MessageText>The specified'
        " object was not found in "
        "the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode>"
        f"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{'<m:Items/>' if items else ''}</m:{op}ResponseMessage>"
    )


def _message_id(mime: bytes) -> str:
    from email.parser import BytesHeaderParser

    return str(BytesHeaderParser().parsebytes(mime).get("Message-ID", "")).strip()


def _subscribe(self, req) -> str:
    return (
        f'<m:SubscribeResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        "<m:SubscribeResponseMessage"
        ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        "<m:SubscriptionId>JwBkYjFwcm5hMTE0Lm5hbXByZDAxLnByb2Qub3V0bG9vay5jb20QAAAAt2z</m:SubscriptionId>"
        f"<m:Watermark>WM{self.ews.seq}</m:Watermark></m:SubscribeResponseMessage></m:ResponseMessages>"
        "</m:SubscribeResponse>"
    )


def _get_events(self, req) -> str:
    since = int(req.find("m:Watermark", NS).text.removeprefix("WM"))
    new = [(n, iid) for n, iid in self.ews.events if n > since]
    events = "".join(
        f"<t:NewMailEvent><t:Watermark>WM{n}</t:Watermark><t:TimeStamp>2027-03-11T10:36:00Z"
        f'</t:TimeStamp><t:ItemId Id="{iid}" ChangeKey="CQAAAA=="/><t:ParentFolderId'
        ' Id="AAMkInbox" '
        'ChangeKey="AQAAAA=="/></t:NewMailEvent>'
        for n, iid in new
    ) or (f"<t:StatusEvent><t:Watermark>WM{since}</t:Watermark></t:StatusEvent>")
    return (
        f'<m:GetEventsResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        "<m:GetEventsResponseMessage"
        ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        "<m:Notification><t:SubscriptionId>JwBkYjFwcm5hMTE0Lm5hbXByZDAxLnByb2Qub3V0bG9vay5jb20QAAAAt2z"
        f"</t:SubscriptionId><t:PreviousWatermark>WM{since}</t:PreviousWatermark><t:MoreEvents>false"
        f"</t:MoreEvents>{events}</m:Notification></m:GetEventsResponseMessage></m:ResponseMessages>"
        "</m:GetEventsResponse>"
    )


_Handler.op_Subscribe = _subscribe
_Handler.op_GetEvents = _get_events
_Handler.op_DeleteItem = _delete_item


def _wrap(el):
    """FolderId/DistinguishedFolderId as the child of a wrapper, for FakeEws.key_of."""
    wrapper = ET.Element("w")
    wrapper.append(el)
    return wrapper
