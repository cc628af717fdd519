"""``narrascope serve``: the web dashboard and REST API over a stored corpus."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

DEFAULT_DB = "narrascope.duckdb"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--db", "db", default=lambda: os.environ.get("NARRASCOPE_DB", DEFAULT_DB),
              show_default=f"$NARRASCOPE_DB or {DEFAULT_DB}", type=click.Path(dir_okay=False),
              help="The DuckDB file that holds the corpus (opened read-only).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the corpus to the network: set a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--token", default=None, envvar="NARRASCOPE_TOKEN", show_envvar=True,
              help="Require this token: 'Authorization: Bearer TOKEN' on API calls, or a sign-in form in the browser.")
@click.option("--allow-private-urls", is_flag=True,
              help="Let the Analyse page fetch URLs on private, loopback and link-local addresses (refused by default).")
def serve(db: str, host: str, port: int, token: str | None, allow_private_urls: bool) -> None:
    """Browse a stored corpus in the browser: overview, article view with highlighted
    techniques, outlet comparison, actors, search, and on-the-fly analysis.

    Every page has a JSON twin under /api/ (OpenAPI at /openapi.json, listed at /docs).

    \b
    Examples:
      narrascope serve                          # http://127.0.0.1:8000 over narrascope.duckdb
      narrascope serve --db corpus.duckdb --port 8080
      NARRASCOPE_TOKEN=s3cret narrascope serve --host 0.0.0.0
    """
    import uvicorn

    from .store import Store
    from .errors import NarrascopeError
    from .web.app import create_app

    if not Path(db).exists():
        raise click.ClickException(f"{db}: no such store; run `narrascope analyze ...` first (or `make demo`)")
    try:  # fail now, not on the first request, when the file is not a store
        Store(db, read_only=True).close()
    except NarrascopeError as exc:
        raise click.ClickException(str(exc)) from exc
    if not _is_loopback(host) and not token:
        click.secho(f"warning: listening on {host} without a token: anyone who reaches this port can read the corpus "
                    "(set --token or NARRASCOPE_TOKEN)", fg="yellow", err=True)
    app = create_app(db, token=token, allow_private_urls=allow_private_urls)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"narrascope: serving {db} on http://{shown}:{port}  (Ctrl+C to stop)", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
