"""`sdgsim app`: a local web app (Panel) over the public API, for analysts who don't use a terminal.

Pages: Scenarios (browse, make a variant by changing levers, saved as a file that extends its
parent), Run and compare (background runs with progress, interactive charts, the comparison
table, the HTML report), Sweeps (sensitivity, robustness, discovery, Pareto sets). It reads and
writes only under its scenarios and results folders (folders.py). See docs/app.md.
"""

from ..extras import require

require("app")  # Panel and Bokeh come with the 'app' extra: without them a MissingExtra naming it
from .folders import Folders  # noqa: E402 - after the check above

__all__ = ["Folders"]
