"""Problems as page messages, never tracebacks: located problems become a list in an alert,
and any other exception in a page callback becomes one line (the traceback goes to the log)."""

from __future__ import annotations

import functools
import html
import logging

import panel as pn

from ..errors import InputError, Problem

log = logging.getLogger("sdgsim.app")


def problems_alert(problems: list[Problem] | list[str]) -> pn.pane.Alert:
    items = "\n".join("- `" + str(p).replace("`", "'") + "`" for p in problems)
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
