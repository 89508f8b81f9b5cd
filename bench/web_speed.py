"""How fast `maatwerk web` shows its pages on a region's 3–4 years of history.

    python bench/web_speed.py [--cases 10000] [--requests 200] [--store-url URL]
                              [--postgres] [--seed N]

Fills a fresh store (bench/web_store.py: SQLite in a temporary folder, `--store-url` an
empty database, `--postgres` a throwaway server of tests/pgserver.py), serves the app in
uvicorn (tests/webregion.py), signs in as ICM by a session cookie signed as Starlette
signs it, with a reason for 20 random cases, and times GETs of the Werkvoorraad (`/`)
and Zaak (`/zaak/<id>`, those 20) over HTTP, each checked to be that page. Target: p95
≤ 200 ms. Appends its table to bench/RESULTS.md."""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Final

import itsdangerous
import requests
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extract_speed import pct  # noqa: E402
from bench.results import RESULTS, append_results  # noqa: E402
from bench.web_store import FIRST, ICM, NOW, Filled, fill  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402
from tests.webregion import free_port, serve  # noqa: E402
from web.app import SESSION_COOKIE  # noqa: E402
from web.pages import REMEMBERED_REASONS  # noqa: E402

SESSION_KEY: Final = "bench-web-speed-sessiesleutel-" + "x" * 32
TARGET_MS: Final = 200.0
WARMUP: Final = 20  # requests per page before the timing starts


def settings_for(url: str) -> Settings:
    """The app's settings on the store at `url`, ICM by address; the provider is
    never contacted (the session cookie is made here)."""
    settings = Settings.model_validate(
        {
            "store": {"url": url},
            "web": {"issuer": "http://127.0.0.1:9", "client_id": "b", "icm": [ICM]},
        }
    )
    os.environ[settings.web.secret_env] = "x"
    os.environ[settings.web.session_key_env] = SESSION_KEY
    return settings


def session_cookie(reasons: dict[str, str]) -> str:
    """An ICM's session, signed in at NOW, signed as SessionMiddleware signs it."""
    session = {
        "user": {"login": ICM, "naam": "ICM", "rol": "ICM", "gemeente": None},
        "since": NOW.timestamp(),
        "csrf": "t",
        "redenen": reasons,
    }
    data = base64.b64encode(json.dumps(session).encode("utf-8"))
    return itsdangerous.TimestampSigner(SESSION_KEY).sign(data).decode("utf-8")


def timed_gets(
    http: requests.Session, pages: dict[str, list[str]], count: int
) -> list[float]:
    """`count` GETs cycling over `pages` (url: texts it must show), each checked: 200
    and its texts. Milliseconds."""
    urls = list(pages)
    out = []
    for i in range(count):
        url = urls[i % len(urls)]
        t = time.perf_counter()
        r = http.get(url, allow_redirects=False, timeout=60)
        body = r.text
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200 or any(m not in body for m in pages[url]):
            raise SystemExit(f"GET {url}: {r.status_code}, not the page:\n{body[:800]}")
    return out


def measure(
    base: str, filled: Filled, reasons: dict[str, str], n: int
) -> list[list[float]]:
    """The Werkvoorraad's and Zaak's times, after WARMUP requests each."""
    http = requests.Session()
    http.headers["Cookie"] = f"{SESSION_COOKIE}={session_cookie(reasons)}"
    late = [f"{filled.late} over de adviestermijn"] if filled.late else []
    home = {f"{base}/": ["Werkvoorraad", f"{filled.open} open zaak/zaken", *late]}
    zaak = ["Gegevens zoals gelezen", "Geschiedenis", "Mails"]
    zaken = {f"{base}/zaak/{c}": [f"Zaak {c}", *zaak] for c in reasons}
    timed_gets(http, home, WARMUP)
    timed_gets(http, zaken, WARMUP)
    return [timed_gets(http, home, n), timed_gets(http, zaken, n)]


def report(
    command: str,
    backend: str,
    filled: Filled,
    timings: list[list[float]],
    up_s: float,
    load: float,
) -> str:
    what = [
        f"Werkvoorraad `/` ({filled.open} open cases, {filled.late} late; page 1"
        " shown, 100 a page)",
        f"Zaak `/zaak/<id>` ({REMEMBERED_REASONS} random cases, each view logged in"
        " inzage)",
    ]
    lines = [
        f"## web pages — {datetime.now():%Y-%m-%d %H:%M}, {platform.node()},"
        f" {os.cpu_count()} cores",
        "",
        f"`{command}` on {backend}: {filled.cases:,} cases over"
        f" {FIRST.year}–{NOW.year},"
        f" {filled.rows:,} rows, made and filled through the ORM in"
        f" {filled.seconds:.1f} s; app up in {up_s:.1f} s. Sequential GETs over"
        f" HTTP (uvicorn in a thread, requests), after {WARMUP} warm-up GETs per"
        f" page, signed in as ICM; load average {load:.1f} when the timing began.",
        "",
        "| page | n | p50 ms | p95 ms | max ms | target | |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    lines += [
        f"| {page} | {len(ms)} | {pct(ms, 0.5):.1f} | {pct(ms, 0.95):.1f} |"
        f" {max(ms):.1f} | p95 ≤ {TARGET_MS:.0f} ms |"
        f" {'pass' if pct(ms, 0.95) <= TARGET_MS else 'FAIL'} |"
        for page, ms in zip(what, timings)
    ]
    return "\n".join(lines) + "\n"


def store_at(args: argparse.Namespace, stack: ExitStack) -> tuple[str, str]:
    """The store's URL, and what it is on."""
    if args.postgres:
        server = stack.enter_context(PostgresServer())
        return server.create_database("webspeed"), "PostgreSQL (local)"
    if args.store_url:
        return args.store_url, make_url(args.store_url).get_backend_name()
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    return f"sqlite:///{tmp}/maatwerk.db", "SQLite (temp dir)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--store-url", help="an empty database (default: SQLite, temp)")
    ap.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL server"
    )
    ap.add_argument("--seed", type=int, default=20271130)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with ExitStack() as stack:
        url, backend = store_at(args, stack)
        filled = fill(url, args.cases, rng)
        print(
            f"store: {filled.cases} cases ({filled.open} open, {filled.late} late),"
            f" {filled.rows} rows in {filled.seconds:.1f} s",
            flush=True,
        )
        reasons = {c: "advies" for c in rng.sample(filled.ids, REMEMBERED_REASONS)}
        t = time.perf_counter()
        served = stack.enter_context(serve(settings_for(url), free_port()))
        served.now[0] = NOW
        up_s = time.perf_counter() - t
        load = os.getloadavg()[0]  # others' work on the machine shows in the tail
        timings = measure(served.url, filled, reasons, args.requests)
    command = f"python bench/web_speed.py --cases {args.cases} --requests"
    command += f" {args.requests}{' --postgres' * args.postgres}"
    command += " --store-url …" * bool(args.store_url)
    text = report(command, backend, filled, timings, up_s, load)
    print(text)
    # a blank line between sections, also after one that was written by hand
    ended = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "\n\n"
    append_results(("" if ended.endswith("\n\n") else "\n") + text + "\n")


if __name__ == "__main__":
    main()
