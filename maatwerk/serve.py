"""`maatwerk web`: the web pages (web/), served by uvicorn on [web] host and port."""

from __future__ import annotations

import errno
import logging
import os
import socket
from pathlib import Path

import typer

from maatwerk.shared import ConfigOpt, settings_of
from pipeline.errors import MaatwerkError, os_reason


def web(
    config: Path | None = ConfigOpt,
    host: str | None = typer.Option(
        None,
        "--host",
        metavar="ADRES",
        help="Luister op dit adres (standaard \\[web] host).",
    ),
    port: int | None = typer.Option(
        None,
        "--poort",
        min=1,
        max=65535,
        metavar="POORT",
        help="Luister op deze poort (\\[web] port).",
    ),
) -> None:
    """Start de webpagina's voor ICM, beleidsadviseurs en backoffice (Werkvoorraad,
    Zaak, Quarantaine, Register, Aflopend, Monitoring); aanmelden met het account van
    de gemeente (OpenID Connect, \\[web] in de configuratie).

    Voorbeeld: maatwerk web --config /etc/maatwerk/maatwerk.toml
    """
    import uvicorn

    from web import create_app

    settings = settings_of(config)
    host = host or settings.web.host
    port = port or settings.web.port
    app = create_app(settings)
    listening = _listen(host, port)
    typer.echo(f"Webpagina's op http://{host}:{port} (stoppen met Ctrl+C).")
    if not os.environ.get(settings.web.session_key_env):
        typer.echo(
            f"Let op: {settings.web.session_key_env} is niet gezet; bij elke herstart"
            " moet iedereen opnieuw aanmelden (zie README, Webpagina's)."
        )
    # the server's own start and stop lines, and each request to the provider, are
    # not news on the console
    for name in ("uvicorn.error", "httpx2", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,  # web/guard.py logs requests without their query
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
            server_header=False,
        )
    )
    server.run(sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port. Raises MaatwerkError when it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        fix = (
            "kies met --poort of [web] port een vrije poort"
            if exc.errno == errno.EADDRINUSE
            else "kies met --host of [web] host een adres van deze machine"
        )
        unknown = isinstance(exc, socket.gaierror)
        reason = "onbekend adres" if unknown else os_reason(exc)
        raise MaatwerkError(
            f"Kan niet luisteren op {host}:{port}: {reason}; {fix}."
        ) from None
    sock.listen(128)
    return sock
