"""One rule for numbers in the table inputs (history files, a calibration's fit.csv).

A number is written with ASCII digits only, as a plain decimal or in e-notation
(`41.6`, `-0.5`, `.5`, `1e9`, `2.5E-3`): no digit separators (`1_000`, `1,000`), no other
scripts' digits (full-width `２０１５`, Arabic-Indic `٢٠١٥`, which Python's `float` would
accept), no `inf`/`nan`, no `True`. A whole number (a year) may carry a zero fraction
(`2015.0`, as a Parquet float column stores it), nothing else.
"""

from __future__ import annotations

import math
import re

NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)


def parse_number(text: object) -> float | None:
    """The finite number `text` writes under the rule above, or None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(text) else None
    s = str(text).strip()
    if not NUMBER.fullmatch(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def parse_whole(text: object) -> int | None:
    """The whole number `text` writes (`2015`, `2015.0`), or None."""
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) and abs(value) < 2**53 else None
