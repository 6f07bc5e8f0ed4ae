"""Starting a command as a terminal would, for the tests that press Ctrl-C.

A process started in the background by a non-interactive shell (`make test &`, a CI step, a
tool that runs commands with `&`) has SIGINT ignored, and every process it starts inherits
that: Python then installs no KeyboardInterrupt handler, and a Ctrl-C test sends a signal
the command never sees (a sweep runs to its end and exits 0; a pool waiting for the rest of
a half-sent result waits forever). That, not the machine's load, is why the two Ctrl-C tests
failed in pytest's own process and passed in an xdist worker (which restores SIGINT).
`interruptible(argv)` starts argv with SIGINT as a terminal's foreground process has it:
its default action, and not blocked.
"""

from __future__ import annotations

import sys

_RESTORE_CTRL_C = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                   "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); os.execv(sys.argv[1], sys.argv[1:])")


def interruptible(argv: list[str]) -> list[str]:
    """The command line that runs `argv` (argv[0] a path to an executable) with Ctrl-C restored."""
    return [sys.executable, "-c", _RESTORE_CTRL_C, *map(str, argv)]
