"""`maatwerk web`: the web pages (web/), served by uvicorn on [web] host and port."""

from __future__ import annotations

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
        raise MaatwerkError(
            f"Kan niet luisteren op {host}:{port}: {os_reason(exc)}. Kies met --poort"
            " of [web] port een vrije poort."
        ) from None
    sock.listen(128)
    return sock
