"""`sdgsim app`: start the local web app and print its address."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import click

from ..errors import InputError, Problem
from .common import fail as _fail


@click.command()
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=Path("results"), show_default=True,
              help="Results folder: the app reads and writes results only under it.")
@click.option("--scenarios", type=click.Path(file_okay=False, path_type=Path), default=Path("scenarios-app"),
              show_default=True, help="Folder for your scenarios: the app saves new scenarios only here.")
@click.option("--port", type=click.IntRange(0, 65535), default=5006, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default is reachable from this computer only.")
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
    if port == 0:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    from ..app.server import serve

    def ready(url: str) -> None:
        click.echo(f"sdgsim app: open {url} in a browser (Ctrl-C stops it)\n"
                   f"  scenarios folder: {folders.scenarios}\n  results folder:   {folders.results}")
        sys.stdout.flush()

    try:
        serve(folders, port=port, host=host, on_ready=ready)
    except OSError as err:
        _fail(InputError([Problem(f"{host}:{port}", 1, "--port", f"cannot listen there: {err.strerror or err}")]))
    click.echo("sdgsim app: stopped")
