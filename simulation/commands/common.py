"""What every command shares: turning library errors into FILE:LINE lines and exit code 2."""

from __future__ import annotations

import sys

import click

from ..errors import FolderExists, InputError, Problem, TooLarge

EXIT_BAD_INPUT = 2
FLAG_HINTS = {"scheduler": "--scheduler", "executor": "--executor", "reference": "--reference", "runs": "--runs"}


def fail(err: InputError) -> None:
    """Print the located problems of a library error, in the CLI's own words, and exit 2."""
    for p in err.problems:
        if isinstance(err, FolderExists):
            p = Problem(p.file, p.line, p.field, "results folder already exists (use --force to replace it, "
                                                 "or --out DIR)")
        elif isinstance(err, TooLarge):
            p = Problem(FLAG_HINTS.get(p.file, p.file), p.line, p.field, f"{p.message} (--force-size runs it anyway)")
        elif p.file in FLAG_HINTS:
            p = Problem(FLAG_HINTS[p.file], p.line, p.field, p.message)
        click.echo(str(p), err=True)
    sys.exit(EXIT_BAD_INPUT)


def scheduler_needs_dask(scheduler: str | None, executor: str | None) -> None:
    """--scheduler is only used by --executor dask: refuse it rather than ignore it."""
    if scheduler and executor != "dask":
        raise InputError([Problem("--scheduler", 1, scheduler, "a scheduler address needs --executor dask")])
