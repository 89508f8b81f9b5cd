"""Real mail servers on loopback for the tests: Dovecot (IMAP + LMTP) from Debian's
packages, and an SMTP server (aiosmtpd) that hands every message to Dovecot's LMTP, so
delivery is Dovecot's own. Installed by scripts/setup-system --tests; started per test session.

Dovecot runs from a short base_dir under /tmp (unix socket paths over ~100 characters
fail), with passwd-file users, mail as uid nobody, and free loopback ports.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.loopback import HOST, free_port

PASSWORD = "geheim-test"

Tables = dict[str, dict[str, object]]


def available() -> bool:
    return shutil.which("dovecot") is not None


def connection_tables(imap_port: int, smtp_port: int, **imap: object) -> Tables:
    """The [imap] and [smtp] settings for mail servers on loopback at these ports,
    without TLS; `imap` adds keys to [imap] (`sent_folder=""`, `idle=False`)."""
    return {
        "imap": {"host": HOST, "port": imap_port, "security": "none", **imap},
        "smtp": {"host": HOST, "port": smtp_port, "security": "none"},
    }


def toml(tables: Mapping[str, Mapping[str, object]]) -> str:
    """`tables` (of strings, numbers and booleans) as the text of a TOML file."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v) if isinstance(v, str) else str(v)

    return "".join(
        f"[{name}]\n" + "".join(f"{k} = {value(v)}\n" for k, v in table.items())
        for name, table in tables.items()
    )


class _ToLmtp:
    def __init__(self, server: MailServer):
        self.server = server

    async def handle_DATA(self, _server, _session, envelope):
        try:
            self.server.lmtp_deliver(
                envelope.content, envelope.rcpt_tos, envelope.mail_from
            )
        except smtplib.SMTPException as exc:
            return f"451 lokale aflevering mislukt: {type(exc).__name__}"
        return "250 OK"


class MailServer:
    def __init__(self, users: list[str]):
        self.root = Path(tempfile.mkdtemp(prefix="mwdc-", dir="/tmp"))
        os.chmod(self.root, 0o755)
        self.imap_port, self.lmtp_port, self.smtp_port = (
            free_port(),
            free_port(),
            free_port(),
        )
        self.users = set(u.lower() for u in users)
        self.proc: subprocess.Popen | None = None
        self.smtp: Controller | None = None

    # --- lifecycle
    # ---------------------------------------------------------------------

    def start(self) -> MailServer:
        nobody = pwd.getpwnam("nobody")
        for sub in ("run", "home"):
            (self.root / sub).mkdir(mode=0o755, exist_ok=True)
        os.chown(self.root / "home", nobody.pw_uid, nobody.pw_gid)
        (self.root / "passwd").write_text(
            "".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in sorted(self.users))
        )
        os.chmod(self.root / "passwd", 0o644)
        (self.root / "dovecot.conf").write_text(self.dovecot_conf(nobody))
        self.proc = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_port(self.imap_port)
        self._wait_port(self.lmtp_port)
        self.start_smtp()
        return self

    def dovecot_conf(self, nobody: pwd.struct_passwd) -> str:
        """Dovecot's configuration: IMAP and LMTP on 127.0.0.1, plain passwords."""
        return f"""
base_dir = {self.root}/run
state_dir = {self.root}/run
log_path = {self.root}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={self.root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
}}
"""

    def start_smtp(self) -> None:
        self.smtp = Controller(_ToLmtp(self), hostname=HOST, port=self.smtp_port)
        self.smtp.start()

    def stop_smtp(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None

    def stop(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        if self.proc is not None:
            # Dovecot's master leaves its imap processes running when it stops: a real
            # outage ends the sessions too, so they are stopped with it
            children = subprocess.run(
                ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
            ).stdout
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            for pid in map(int, children.split()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def tables(self, **imap: object) -> Tables:
        """The [imap] and [smtp] settings of a maatwerk.toml for this server (see
        `connection_tables`)."""
        return connection_tables(self.imap_port, self.smtp_port, **imap)

    def _wait_port(self, port: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    return
            except OSError:
                if self.proc is not None and self.proc.poll() is not None:
                    log = (self.root / "dovecot.log").read_text()[-2000:]
                    raise RuntimeError(f"dovecot stopped: {log}") from None
                time.sleep(0.05)
        raise RuntimeError(f"port {port} not open")

    # --- mail
    # --------------------------------------------------------------------------

    def lmtp_deliver(
        self, raw: bytes, recipients: list[str], sender: str = "test@localhost"
    ) -> None:
        local = [r for r in recipients if r.lower() in self.users]
        # one recipient per transaction: smtplib reads only one LMTP reply after DATA
        for rcpt in local:
            with smtplib.LMTP(HOST, self.lmtp_port) as lmtp:
                lmtp.sendmail(sender, [rcpt], raw)

    def imap(self, user: str):
        from imapclient import IMAPClient

        client = IMAPClient(HOST, port=self.imap_port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        with self.imap(user) as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            data = c.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [data[u][b"BODY[]"] for u in sorted(data)]


def serve_forever(users: list[str]) -> None:
    """Run a MailServer in this process until stdin closes; prints its ports as one JSON
    line. (Benchmarks run it in a child process, so the servers' work does not share our
    GIL.)
    """
    srv = MailServer(users).start()
    try:
        print(
            json.dumps(
                {
                    "imap": srv.imap_port,
                    "smtp": srv.smtp_port,
                    "lmtp": srv.lmtp_port,
                    "root": str(srv.root),
                }
            ),
            flush=True,
        )
        sys.stdin.read()
    finally:
        srv.cleanup()


class ChildMailServer:
    """Dovecot + SMTP run by `serve_forever` in a child process: their work is the
    floor, and it must not share this process's interpreter lock with the pipeline being
    measured.
    """

    def __init__(self, users: list[str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.mailserver", *users],
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        ports = json.loads(self.proc.stdout.readline())
        self.imap_port, self.smtp_port, self.lmtp_port = (
            ports["imap"],
            ports["smtp"],
            ports["lmtp"],
        )
        self.password = PASSWORD
        self.users = set(users)

    def lmtp_deliver(self, raw: bytes, recipients: list[str]) -> None:
        for rcpt in recipients:
            with smtplib.LMTP(HOST, self.lmtp_port) as lmtp:
                lmtp.sendmail("bench@localhost", [rcpt], raw)

    def imap(self, user: str):
        from imapclient import IMAPClient

        client = IMAPClient(HOST, port=self.imap_port, ssl=False, timeout=10)
        client.login(user, self.password)
        return client

    def tables(self, **imap: object) -> Tables:
        """The [imap] and [smtp] settings of a maatwerk.toml for this server (see
        `connection_tables`)."""
        return connection_tables(self.imap_port, self.smtp_port, **imap)

    def cleanup(self) -> None:
        self.stdin.close()
        self.proc.wait(timeout=30)


if __name__ == "__main__":
    serve_forever(sys.argv[1:])
