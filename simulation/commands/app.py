"""`sdgsim app`: start the local web app and print its address."""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

import click

from ..errors import InputError, Problem
from .common import fail as _fail


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple]:
    """The socket family and address `host` names (an IPv4 or IPv6 address or a host name);
    socket.gaierror (an OSError) if it names none."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return family, address


def _loopback(host: str) -> bool:
    """True if every address `host` stands for is on this computer only (127.x, ::1)."""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
        return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found)
    except (OSError, ValueError):
        return False


@click.command()
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=Path("results"), show_default=True,
              help="Results folder: the app reads and writes results only under it.")
@click.option("--scenarios", type=click.Path(file_okay=False, path_type=Path), default=Path("scenarios-app"),
              show_default=True, help="Folder for your scenarios: the app saves new scenarios only here.")
@click.option("--port", type=click.IntRange(0, 65535), default=5006, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (an IPv4 address or a host name); the default is reachable from this computer "
                   "only. The app has no authentication: any other address prints a warning.")
def app(results: Path, scenarios: Path, port: int, host: str) -> None:
    """Start the local web app (scenarios, run and compare, sweeps) and print its address.

    Stop it with Ctrl-C.

    \b
    Example:
      sdgsim app                  then open http://127.0.0.1:5006/ in a browser
    """
    from ..app import Folders

    try:
        folders = Folders.make(scenarios, results)
    except OSError as err:
        _fail(InputError([Problem(str(err.filename or results), 1, "<folder>", f"cannot create: {err.strerror}")]))
    if ":" in host:
        _fail(InputError([Problem("--host", 1, host, "an IPv6 address is not supported: the app's web server (Bokeh) "
                                                   "cannot check the origin of IPv6 pages; use 127.0.0.1, or a host "
                                                   "name such as localhost")]))
    try:
        family, address = _address(host, port)
        if port == 0:
            with socket.socket(family) as s:
                s.bind(address)
                port = s.getsockname()[1]
    except OSError as err:
        _fail(InputError([Problem("--host", 1, host, f"cannot listen there: {err.strerror or err}")]))
    if not _loopback(host):
        click.secho(f"warning: the app has no authentication: anyone who can reach {host}:{port} can read and "
                    f"write {folders.results} and {folders.scenarios} and run the model; use the default "
                    "--host 127.0.0.1 unless this network is trusted", fg="yellow", err=True)
    from ..app.server import serve

    def ready(url: str) -> None:
        click.echo(f"sdgsim app: open {url} in a browser (Ctrl-C stops it)\n"
                   f"  scenarios folder: {folders.scenarios}\n  results folder:   {folders.results}")
        sys.stdout.flush()

    try:
        serve(folders, port=port, host=host, on_ready=ready)
    except (OSError, ValueError) as err:
        _fail(InputError([Problem("--port", 1, f"{host}:{port}", f"cannot listen there: "
                                                                  f"{getattr(err, 'strerror', None) or err}")]))
    click.echo("sdgsim app: stopped")
