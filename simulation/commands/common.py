"""What every command shares: turning library errors into FILE:LINE lines and exit code 2."""

from __future__ import annotations

import signal
import sys
import threading

import click

from ..errors import FolderExists, InputError, MissingExtra, Problem, TooLarge

EXIT_BAD_INPUT = 2
FLAG_HINTS = {"scheduler": "--scheduler", "executor": "--executor", "reference": "--reference", "runs": "--runs",
              "metrics": "--metric", "min_effects": "--min-effect", "wtp": "--wtp", "threshold": "--threshold",
              "budget": "--budget", "seed": "--seed", "workers": "--workers", "evaluations": "--evaluations",
              "resamples": "--resamples", "contrast": "--contrast"}  # the API's argument → the command's option
EXTRA_FLAGS = {"dask": " --executor dask"}  # an extra that one option of a command needs, not the command


def missing_extra_line(err: MissingExtra, command: list[str]) -> str:
    """A missing extra in one line: which command needs which extra and how to install it."""
    return (f"{' '.join(['sdgsim', *command])}{EXTRA_FLAGS.get(err.extra, '')} needs the '{err.extra}' extra "
            f"(missing: {', '.join(err.modules)}): pip install 'sdgsim[{err.extra}]'")


def _command_path() -> list[str]:
    """The names of the running (sub)commands below `sdgsim`, e.g. ['ppi', 'run']."""
    names, ctx = [], click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return names[::-1]


class Commands(click.Group):
    """The root command group: a missing extra, wherever a command meets it, is one line and exit 2
    (commands that catch `InputError` themselves word it the same way through `fail`)."""

    def main(self, args=None, *rest, **kwargs):
        """Run the command; once it has ended (done, failed or interrupted), Ctrl-C is ignored:
        the interpreter's shutdown (joining threads, closing pools) can no longer be cut short
        into exit code -2 with a traceback, and the exit code stays the command's own (0 done,
        130 interrupted, 2 bad input). Only as the program itself (`sdgsim ...`, no `args`
        given): a caller such as a test runner keeps its own Ctrl-C."""
        try:
            return super().main(args, *rest, **kwargs)
        finally:
            if args is None and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MissingExtra as err:
            click.echo(missing_extra_line(err, [ctx.invoked_subcommand] if ctx.invoked_subcommand else []), err=True)
            sys.exit(EXIT_BAD_INPUT)


def fail(err: InputError) -> None:
    """Print the located problems of a library error, in the CLI's own words, and exit 2."""
    if isinstance(err, MissingExtra):
        click.echo(missing_extra_line(err, _command_path()), err=True)
        sys.exit(EXIT_BAD_INPUT)
    for p in err.problems:
        if isinstance(err, FolderExists):
            p = Problem(p.file, p.line, p.field, "results folder already exists (use --force to replace it, "
                                                 "or --out DIR)")
        elif isinstance(err, TooLarge):
            p = Problem(FLAG_HINTS.get(p.file, p.file), p.line, p.field, f"{p.message} (--force-size runs it anyway)")
        elif p.file in FLAG_HINTS:
            p = Problem(FLAG_HINTS[p.file], p.line, p.field, p.message)
        if "with force" in p.message:  # the API's argument is `force`; on the command line it is --force
            p = Problem(p.file, p.line, p.field, p.message.replace("with force", "with --force"))
        click.echo(str(p), err=True)
    sys.exit(EXIT_BAD_INPUT)


def scheduler_needs_dask(scheduler: str | None, executor: str | None) -> None:
    """--scheduler is only used by --executor dask: refuse it rather than ignore it."""
    if scheduler and executor != "dask":
        raise InputError([Problem("--scheduler", 1, scheduler, "a scheduler address needs --executor dask")])
