"""A real PostgreSQL server for the tests: its own cluster in a temporary folder,
listening on loopback only, started and stopped by the tests (the Debian package is
installed by scripts/setup-system --tests; its system cluster is never started).

Run as root, the server runs as the `postgres` user (PostgreSQL refuses root). Usable as
a child process too: `python -m tests.pgserver` prints the URL and keeps running until
stopped.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.loopback import free_port


def _bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: int(p.split("/")[4]),
    )
    return Path(found[-1]).parent if found else None


def available() -> bool:
    return _bindir() is not None


class PostgresServer:
    def __init__(self, *, durable: bool = False):
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed; run scripts/setup-system --tests"
            )
        self.bindir: Path = bindir
        self.base = Path(tempfile.mkdtemp(prefix="mw-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.durable = durable  # fsync on (the soak benchmark); tests run without it
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def start(self) -> PostgresServer:
        if self._as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "maatwerk",
            "-E",
            "UTF8",
            "--no-locale",
        )
        self.resume()
        return self

    def halt(self) -> None:
        """Stop the server, keeping its data (an outage); `resume` starts it again."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c"
            " max_connections=60"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.base / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://maatwerk@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=maatwerk dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    server = PostgresServer(durable="--durable" in sys.argv).start()
    print(server.create_database("maatwerk"), flush=True)

    def stop_and_exit(*_: object) -> None:
        server.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_and_exit)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
