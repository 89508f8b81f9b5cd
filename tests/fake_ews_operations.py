"""What the fake EWS server (tests/fake_ews.py) answers: one function per EWS
operation, each returning the SOAP body in the shape of Microsoft's EWS reference.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from tests.fake_graph_endpoints import message_id

if TYPE_CHECKING:
    from tests.fake_ews import FakeEws

M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
S = "http://schemas.xmlsoap.org/soap/envelope/"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
NS = {"m": M, "t": T, "s": S}


def child(el: ET.Element, path: str) -> ET.Element:
    """The element at `path` below `el`.

    Raises:
        ValueError: there is none.
    """
    found = el.find(path, NS)
    if found is None:
        raise ValueError(f"no {path} in the request")
    return found


def text(el: ET.Element, path: str) -> str:
    """The text of the element at `path` below `el`.

    Raises:
        ValueError: there is no such element, or it is empty.
    """
    value = child(el, path).text
    if value is None:
        raise ValueError(f"{path} is empty")
    return value


def folder_named(ews: FakeEws, req: ET.Element, path: str) -> str | None:
    """The key of the folder the first element at `path` names (None: no such folder)."""
    return ews.key_of(wrap(child(req, path)[0]))


def folder_id(ews: FakeEws, req: ET.Element, path: str) -> str:
    """The id of the folder the first element at `path` names.

    Raises:
        KeyError: no such folder.
    """
    key = folder_named(ews, req, path)
    if key is None:
        raise KeyError(path)
    return ews.folders[key][0]


def get_folder(ews: FakeEws, req: ET.Element) -> str:
    msgs = []
    for el in child(req, "m:FolderIds"):
        key = ews.key_of(wrap(el))
        if key is not None and key in ews.folders:
            msgs.append(
                "<m:GetFolderResponseMessage"
                ' ResponseClass="Success"><m:ResponseCode>NoError'
                f"</m:ResponseCode><m:Folders>{ews.folder_xml(key)}</m:Folders>"
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


def find_folder(ews: FakeEws, req: ET.Element) -> str:
    parent = folder_named(ews, req, "m:ParentFolderIds")
    children = [k for k, f in ews.folders.items() if f[2] == parent]
    if req.get("Traversal") == "Deep":  # every folder below, as Exchange answers
        level = children
        while level:
            level = [k for k, f in ews.folders.items() if f[2] in level]
            children += level
    folders = "".join(ews.folder_xml(k) for k in children)
    return (
        f'<m:FindFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        "<m:FindFolderResponseMessage"
        ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        f'<m:RootFolder IndexedPagingOffset="{len(children)}"'
        f' TotalItemsInView="{len(children)}" '
        f'IncludesLastItemInRange="true"><t:Folders>{folders}</t:Folders></m:RootFolder>'
        "</m:FindFolderResponseMessage></m:ResponseMessages></m:FindFolderResponse>"
    )


def create_folder(ews: FakeEws, req: ET.Element) -> str:
    parent = folder_named(ews, req, "m:ParentFolderId")
    name = text(req, ".//t:DisplayName")
    fid = (  # folders are never removed: ids stay unique
        f"AAMkFolder{len(ews.folders)}"
    )
    ews.folders[name.lower()] = (fid, name, parent)
    return (
        f'<m:CreateFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        "<m:CreateFolderResponseMessage"
        ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        f'<m:Folders><t:Folder><t:FolderId Id="{fid}"'
        ' ChangeKey="AQAAABYAAAA="/></t:Folder></m:Folders>'
        "</m:CreateFolderResponseMessage></m:ResponseMessages></m:CreateFolderResponse>"
    )


def find_item(ews: FakeEws, req: ET.Element) -> str:
    fid = folder_id(ews, req, "m:ParentFolderIds")
    found = sorted(
        (i for i, it in ews.items.items() if it["folder"] == fid),
        key=lambda i: ews.items[i]["received"],
    )
    wanted = req.find(
        "m:Restriction/t:IsEqualTo", NS
    )  # the one restriction used: InternetMessageId
    if wanted is not None:
        if child(wanted, "t:FieldURI").get("FieldURI") != "message:InternetMessageId":
            raise ValueError("only InternetMessageId restrictions are answered")
        value = child(wanted, "t:FieldURIOrConstant/t:Constant").get("Value")
        found = [i for i in found if message_id(ews.items[i]["mime"]) == value]
    items = "".join(
        f'<t:Message><t:ItemId Id="{i}" ChangeKey="CQAAABYAAAA="/>'
        f"<t:DateTimeReceived>{ews.items[i]['received']:%Y-%m-%dT%H:%M:%SZ}</t:DateTimeReceived>"
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


def get_item(ews: FakeEws, req: ET.Element) -> str:
    msgs = []
    for el in child(req, "m:ItemIds"):
        item = ews.items.get(el.get("Id", ""))
        if item is None:
            msgs.append(not_found("GetItem"))
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


def move_item(ews: FakeEws, req: ET.Element) -> str:
    fid = folder_id(ews, req, "m:ToFolderId")
    msgs = []
    for el in child(req, "m:ItemIds"):
        item = ews.items.get(el.get("Id", ""))
        if item is None:
            msgs.append(not_found("MoveItem"))
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


def create_item(ews: FakeEws, req: ET.Element) -> str:
    if req.get("MessageDisposition") != "SendAndSaveCopy":
        raise ValueError("only SendAndSaveCopy is recorded")
    ews.sent.append(base64.b64decode(text(req, ".//t:MimeContent")))
    ews.items[f"AAMkSentItem{len(ews.sent):04d}="] = {  # the copy in Sent Items
        "mime": ews.sent[-1],
        "folder": "AAMkSent",
        "received": dt.datetime.now(dt.UTC),
    }
    return (
        f'<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        "<m:CreateItemResponseMessage"
        ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        "<m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"
    )


def delete_item(ews: FakeEws, req: ET.Element) -> str:
    if req.get("DeleteType") != "HardDelete":
        raise ValueError("only HardDelete is answered")
    msgs = []
    for el in child(req, "m:ItemIds"):
        gone = ews.items.pop(el.get("Id", ""), None) is not None
        msgs.append(
            "<m:DeleteItemResponseMessage"
            ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            "</m:DeleteItemResponseMessage>"
            if gone
            else not_found("DeleteItem", items=False)
        )
    return (
        f'<m:DeleteItemResponse xmlns:m="{M}"'
        f' xmlns:t="{T}"><m:ResponseMessages>{"".join(msgs)}'
        "</m:ResponseMessages></m:DeleteItemResponse>"
    )


def not_found(op: str, items: bool = True) -> str:
    """EWS's answer for an item id that is not (or no longer) there."""
    return (
        f'<m:{op}ResponseMessage ResponseClass="Error"><m:MessageText>The specified'
        " object was not found in "
        "the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode>"
        f"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{'<m:Items/>' if items else ''}</m:{op}ResponseMessage>"
    )


def subscribe(ews: FakeEws, req: ET.Element) -> str:
    return (
        f'<m:SubscribeResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        "<m:SubscribeResponseMessage"
        ' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        "<m:SubscriptionId>JwBkYjFwcm5hMTE0Lm5hbXByZDAxLnByb2Qub3V0bG9vay5jb20QAAAAt2z</m:SubscriptionId>"
        f"<m:Watermark>WM{ews.seq}</m:Watermark></m:SubscribeResponseMessage></m:ResponseMessages>"
        "</m:SubscribeResponse>"
    )


def get_events(ews: FakeEws, req: ET.Element) -> str:
    since = int(text(req, "m:Watermark").removeprefix("WM"))
    new = [(n, iid) for n, iid in ews.events if n > since]
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


def server_busy(back_off_ms: int) -> bytes:
    """Exchange throttling: the SOAP fault ErrorServerBusy (sent with HTTP 500, no SOAP
    header) with the back-off in its detail, as in Microsoft's "EWS throttling in
    Exchange"."""
    busy = "The server cannot service this request right now. Try again later."
    return (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{S}"><s:Body>'
        f'<s:Fault><faultcode xmlns:a="{T}">a:ErrorServerBusy</faultcode>'
        f'<faultstring xml:lang="en-US">{busy}</faultstring><detail>'
        f'<e:ResponseCode xmlns:e="{E}">ErrorServerBusy</e:ResponseCode>'
        f'<e:Message xmlns:e="{E}">{busy}</e:Message>'
        f'<t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">'
        f"{back_off_ms}</t:Value></t:MessageXml></detail></s:Fault></s:Body>"
        "</s:Envelope>"
    ).encode()


def wrap(el: ET.Element) -> ET.Element:
    """FolderId/DistinguishedFolderId as the child of a wrapper, for FakeEws.key_of."""
    wrapper = ET.Element("w")
    wrapper.append(el)
    return wrapper
