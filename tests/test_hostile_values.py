"""Values never become control, and the drop folder reads regular files only.

A provider name with control characters and Rich markup goes the whole way through real
Maildir mail: no control character reaches a Subject, a document, the register index or
the terminal, and `maatwerk status` / `case` / `inzage` print the markup literally. The
drop folder refuses a link to /etc/passwd, a FIFO and a sparse 2 GB file unread; what
maatwerk writes is for owner and group only.
"""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import NameObject, TextStringObject
from sqlalchemy import text

from pipeline.errors import ExitCode
from pipeline.mail import MaildirPostOffice
from tests.conftest import (
    BACKOFFICE,
    INKOOP,
    attachment,
    docx_text,
    mail_with_form,
    make_settings,
    parse,
    reply_to,
    sample,
)

REFERRER = "o.vanleeuwen@heuvelrug.nl"
# C0 (NUL, BEL, ESC), a CSI sequence, C1 CSI: what the form's provider-name field holds
HOSTILE_NAME = "Kompas\x00\x07\x1b[31m\x9b Jeugd B.V."
MARKUP = "[/b] [link=https://evil.test]x[/link]"
# the request's Message-ID: shown as the source of the case's history and in the inzage
# log
HOSTILE_ID = (
    "<a[/b][link=https://evil.test]x[/link]\x1b]8;;https://evil.test\x07@gemeente.test>"
)
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own colours, when it writes to a terminal


def _hostile_form() -> bytes:
    """The project's fillable PDF with control characters in the provider's name."""
    writer = PdfWriter(clone_from=str(sample("acroform-canonical.pdf")))
    values = {
        ("aanbieder", "naam"): HOSTILE_NAME,
        ("contactpersoon", "email"): REFERRER,
    }
    for field in writer._root_object["/AcroForm"]["/Fields"]:
        field = field.get_object()
        for kid in field.get("/Kids", []):
            kid = kid.get_object()
            value = values.get((field.get("/T"), kid.get("/T")))
            if value is not None:
                kid[NameObject("/V")] = TextStringObject(value)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _all_mail(root: Path):
    """Every mail in every Maildir folder under `root`, as (address, message)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.parent.name in ("new", "cur"):
            yield path.relative_to(root).parts[0], parse(path.read_bytes())


def _cli(
    tmp_path: Path, *args: str, color: bool = False
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "NO_COLOR", "TERM")
    }
    if color:  # as on an operator's terminal: Rich writes escape sequences of its own
        env.update(FORCE_COLOR="1", TERM="xterm-256color", COLUMNS="200")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "maatwerk",
            *args,
            "--config",
            str(tmp_path / "m.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    # `status` says 'down': no worker runs after the one-off rounds
    expected = ExitCode.down if args[0] == "status" else ExitCode.ok
    assert result.returncode == expected, result.stderr
    return result


def _assert_literal(output: str, *texts: str) -> None:
    flat = " ".join(SGR.sub("", output).split())
    for t in texts:
        assert t in flat, (t, output)


def test_a_hostile_provider_name_never_becomes_control(env, tmp_path):
    raw = mail_with_form(
        REFERRER, f"aanvraag {MARKUP}", "aanvraag.pdf", _hostile_form()
    )
    raw = raw.replace(
        re.search(rb"Message-ID: [^\r\n]+", raw).group(),
        b"Message-ID: " + HOSTILE_ID.encode(),
    )
    env.deliver(raw)
    env.run()
    asks = [
        (a, m)
        for a, m in _all_mail(env.root / "mail")
        if a != INKOOP and "Adviesaanvraag" in str(m["Subject"])
    ]
    assert len(asks) == 2 and all(
        "Kompas[31m Jeugd B.V." in str(m["Subject"]) for _, m in asks
    ), asks
    for address, ask in asks:
        env.deliver(reply_to(ask, address, "Advies: positief"))
    env.run()
    [ask] = [m for m in env.inbox(REFERRER) if "Nog nodig" in str(m["Subject"])]
    env.deliver(
        reply_to(
            ask,
            REFERRER,
            "Adres: Stationsweg 12, 3701 AB Zeist\n"
            "Tenaamstelling: Kompas\x07\x1b[31m Jeugd B.V.",
        )
    )
    env.run()
    [package] = env.inbox(BACKOFFICE)

    # mail headers: no control character in any header of any mail sent
    sent = [m for a, m in _all_mail(env.root / "mail") if a != INKOOP]
    assert len(sent) >= 5
    for msg in sent:
        for name, value in msg.items():
            assert not CONTROLS.search(str(value)), (name, str(value))
    # documents: the values are there, their control characters are not
    for suffix in (
        "maatwerkovereenkomst MW-2027-0001.docx",
        "leveranciersformulier MW-2027-0001.docx",
    ):
        content = docx_text(attachment(package, suffix))
        assert "Kompas[31m Jeugd B.V." in content and not CONTROLS.search(
            content.replace("\n", " ")
        ), suffix

    # the register index is rebuilt from whatever the store holds: a row written past
    # the records
    with env.pipeline.store.session() as s:
        s.execute(
            text(
                "UPDATE cases SET aanbieder = :a, gemeente = :g WHERE id ="
                " 'MW-2027-0001'"
            ),
            {
                "a": f"Kompas\x07\x1b[31m\x0b\x9b {MARKUP}",
                "g": "Utrechtse Heuvelrug\x1b[2J",
            },
        )
    env.pipeline.rebuild_index()
    from openpyxl import load_workbook

    sheet = load_workbook(env.root / "register" / "register.xlsx").active
    row = [c.value for c in sheet[2]]
    assert row[0] == "MW-2027-0001" and row[1] == "Utrechtse Heuvelrug[2J", row
    assert (
        row[2] == f"Kompas[31m\n {MARKUP}"
    )  # a vertical tab (Word's line break) is a line break
    assert not CONTROLS.search(
        (env.root / "register" / "register.csv").read_text(encoding="utf-8-sig")
    )

    # the terminal: markup and escape sequences print literally and harmless
    (tmp_path / "m.toml").write_text(f'[store]\nurl = "{env.settings.store.url}"\n')
    for color in (False, True):
        status = _cli(tmp_path, "status", color=color).stdout
        case = _cli(
            tmp_path,
            "case",
            "MW-2027-0001",
            "--reden",
            "test [/b] \x1b[31m",
            color=color,
        ).stdout
        inzage = _cli(tmp_path, "inzage", "MW-2027-0001", color=color).stdout
        for out in (status, case, inzage):
            assert "\x1b]8;" not in out  # never a live hyperlink (OSC 8)
            assert "\x1b" not in (SGR.sub("", out) if color else out)
            assert not CONTROLS.search(SGR.sub("", out).replace("\n", " "))
        _assert_literal(status, MARKUP, "Utrechtse Heuvelrug[2J")
        _assert_literal(
            case, MARKUP, "<a[/b][link=https://evil.test]x[/link]]8;;https://evil.test"
        )
        _assert_literal(
            inzage, "test [/b] [31m", "<a[/b][link=https://evil.test]x[/link]]8;;"
        )


def _world(path: Path) -> bool:
    return bool(os.lstat(path).st_mode & 0o007)


def test_drop_folder_reads_regular_files_only_and_everything_is_owner_group_only(
    tmp_path,
):
    settings = make_settings(tmp_path)
    root = tmp_path / "run"
    config = tmp_path / "m.toml"
    config.write_text(
        f'[store]\nurl = "{settings.store.url}"\n'
        f'[mailbox]\nmaildir_root = "{tmp_path / "mail"}"\n'
        f'[drop]\npath = "{tmp_path / "drop"}"\nstable_seconds = 0.2\n'
        f'[register]\npath = "{tmp_path / "register"}"\n'
    )
    root.mkdir()
    run = [
        sys.executable,
        "-m",
        "maatwerk",
        "run",
        "--once",
        "--config",
        str(config),
    ]
    first = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, (
        first.stderr
    )  # the first run makes the store, Maildirs and drop folder

    drop = tmp_path / "drop"
    (drop / "passwd.docx").symlink_to("/etc/passwd")
    (drop / "map").symlink_to("/etc")
    os.mkfifo(drop / "pijp.docx")
    with open(drop / "groot.pdf", "wb") as fh:  # 2 GB apparent size, 4 KB on disk
        fh.write(b"%PDF-1.4\n")
        fh.truncate(2 * 1024**3)
    (drop / "aanvraag.docx").write_bytes(sample("legacy-table.docx").read_bytes())
    MaildirPostOffice(tmp_path / "mail").deliver(  # as the mail server delivers it
        mail_with_form(
            "r.jansen@zeist.nl",
            "aanvraag",
            "aanvraag.pdf",
            sample("acroform-other-region.pdf").read_bytes(),
        ),
        [INKOOP],
    )
    second = subprocess.run(run, cwd=root, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr

    refused = drop / "geweigerd"
    names = sorted(p.name for p in refused.iterdir())
    for name, why in (
        ("passwd.docx", "snelkoppeling"),
        ("map", "snelkoppeling"),
        ("pijp.docx", "een pipe"),
        ("groot.pdf", "groter dan 25 MB"),
    ):
        [entry] = [n for n in names if n.endswith(f" {name}")]
        reason = (refused / f"{entry}.reden.txt").read_text(encoding="utf-8")
        assert why in reason and "niet gelezen" in reason, reason
    assert os.path.islink(
        refused / next(n for n in names if n.endswith(" passwd.docx"))
    )  # moved, not copied
    assert stat.S_ISFIFO(
        os.lstat(refused / next(n for n in names if n.endswith(" pijp.docx"))).st_mode
    )
    assert [p.name for p in (drop / "verwerkt").iterdir()][0].endswith(
        " aanvraag.docx"
    )  # the next file is handled
    passwd = Path("/etc/passwd").read_bytes()[:64]
    register_files = [p for p in (tmp_path / "register").rglob("*") if p.is_file()]
    assert register_files and not any(passwd in p.read_bytes() for p in register_files)
    assert (
        sum(p.stat().st_size for p in register_files) < 20 * 1024 * 1024
    )  # no 2 GB copy

    # owner and group only: the store and its journal files, every Maildir folder and
    # file, the drop folder with what maatwerk moved into it, the register
    db = Path(settings.store.url.removeprefix("sqlite:///"))
    if db.exists():  # (not on the PostgreSQL run)
        assert not _world(db) and not _world(db.parent)
        for journal in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            assert not journal.exists() or not _world(journal)
    checked = 0
    for top in (tmp_path / "mail", drop, tmp_path / "register"):
        for path in [top, *top.rglob("*")]:
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode) or (
                stat.S_ISREG(st.st_mode) and st.st_nlink == 1
            ):
                assert not st.st_mode & 0o007, (oct(st.st_mode), path)
                checked += 1
    assert checked > 30
