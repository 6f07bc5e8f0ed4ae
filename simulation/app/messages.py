"""Problems as page messages, never tracebacks: located problems become a list in an alert,
and any other exception in a page callback becomes one line (the traceback goes to the log)."""

from __future__ import annotations

import functools
import html
import logging
import re

import panel as pn

from ..errors import InputError, Problem, one_line

log = logging.getLogger("sdgsim.app")


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def text(value: object) -> str:
    """Any text a page shows that came from a file (a scenario's name, description or sources,
    a folder or file name, a manifest field) as inert Markdown: HTML escaped, Markdown
    punctuation backslash-escaped, on one line, so it can never become markup or script."""
    return _MARKDOWN.sub(r"\\\1", html.escape(one_line(str(value)), quote=False))


def code(value: object) -> str:
    """Like `text`, shown as code (the HTML element, since a code span cannot hold escapes)."""
    return f"<code>{html.escape(one_line(str(value)), quote=True)}</code>"


def code_block(value: object, language: str = "") -> str:
    """Text from a file shown whole, as a fenced Markdown code block: its lines kept, nothing in it
    markup (the fence is longer than any run of backticks inside)."""
    body = str(value)
    runs = [len(m) for m in re.findall(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{language}\n{body.rstrip()}\n{fence}"


def problem_line(p: Problem | str) -> str:
    """A problem as the page shows it: the app's own fields by name (`results folder: ...`),
    others as FILE:LINE: field: message, the field never JSON-quoted (`"results\\u0020folder"`)."""
    if not isinstance(p, Problem):
        return str(p)
    where = "" if p.file == "<app>" else f"{p.file}:{max(int(p.line), 1)}: "
    return f"{where}{one_line(p.field) or '(root)'}: {one_line(p.message) or 'invalid'}"


def problems_alert(problems: list[Problem] | list[str]) -> pn.pane.Alert:
    items = "\n".join("- " + code(problem_line(p)) for p in problems)
    return pn.pane.Alert(f"**Please fix:**\n\n{items}", alert_type="danger", css_classes=["problems"],
                         sizing_mode="stretch_width")


def safe(fn):
    """Decorate a page method: an error shows in the page's `status` column instead of raising."""

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except InputError as err:
            self.status.objects = [problems_alert(err.problems)]
        except Exception as err:  # never a traceback on the page
            log.exception("app callback failed")
            self.status.objects = [pn.pane.Alert(f"Something went wrong: {html.escape(type(err).__name__)}: "
                                                 f"{html.escape(str(err))}", alert_type="danger",
                                                 css_classes=["problems"])]
    return wrapper
