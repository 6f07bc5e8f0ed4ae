"""Write the calibrated indicator start values and trends into scenarios/baseline.yaml.

    python scenarios/history/recalibrate.py        # from the project root

Runs `simulation.api.calibration.calibrate(baseline, wdi.csv, fit_until=2019)` and replaces
each country's `indicators:` and `birth_rate_per_1000:` lines (placed right after its
`scores:` line) and each indicator's `trend_range` (the range of decade-long trends in
history). tests/test_calibration.py checks that the file matches a fresh calibration.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulation.api.calibration import calibrate  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
HISTORY = ROOT / "scenarios" / "history" / "wdi.csv"
FIT_UNTIL = 2019
PLACEHOLDER = {"SN.ITK.DEFC.ZS": 15.0, "SH.DYN.MORT": 50.0, "SH.H2O.BASW.ZS": 70.0, "EG.ELC.ACCS.ZS": 60.0}


def strip(text: str) -> str:
    """Remove every country's indicator and birth-rate lines (as this script writes them)."""
    text = re.sub(r"^      [A-Z]{2}\.[A-Z0-9.]+: \{.*\n", "", text, flags=re.M)
    return re.sub(r"^    (indicators|birth_rate_per_1000):.*\n", "", text, flags=re.M)


def with_lines(text: str, lines: dict[str, list[str]]) -> str:
    """Insert each country's lines after its `scores:` line."""
    out, country = [], None
    for line in text.splitlines(keepends=True):
        m = re.match(r"^  - id: (\S+)", line)
        if m:
            country = m.group(1)
        out.append(line)
        if line.startswith("    scores: ") and country in lines:
            out += [f"    {x}\n" for x in lines[country]]
    return "".join(out)


def with_ranges(text: str, ranges: dict[str, list[float]]) -> str:
    """Set `trend_range: [lo, hi]` at the end of each indicator's flow mapping (`  - {id: CODE, ...}`)."""
    for key, (lo, hi) in ranges.items():
        start = text.index(f"  - {{id: {key},")
        end = text.index("}\n", start)
        body = re.sub(r",\s*trend_range: \[[^\]]*\]", "", text[start:end])
        text = text[:start] + body + f", trend_range: [{lo:.4f}, {hi:.4f}]" + text[end:]
    return text


def main() -> None:
    text = strip(BASELINE.read_text())
    ids = re.findall(r"^  - id: (\S+)\n    name:", text, flags=re.M)
    placeholder = {c: ["indicators: {" + ", ".join(f"{k}: {{value: {v}}}" for k, v in PLACEHOLDER.items()) + "}"]
                   for c in ids}
    BASELINE.write_text(with_lines(text, placeholder))
    cal = calibrate(BASELINE, HISTORY, FIT_UNTIL)
    final = {}
    for c in cal.calibrated.countries:
        parts = []
        for key, v in c.indicators.items():
            parts.append(f"{key}: {{value: {v.value:.4g}, trend: {v.trend:.4f}, trend_sd: {v.trend_sd:.4f}, "
                         f"noise_sd: {v.noise_sd:.4f}, baseline_usd_per_capita: {v.baseline_usd_per_capita:.4g}}}")
        final[c.id] = [f"birth_rate_per_1000: {c.birth_rate_per_1000:.2f}",
                       "indicators:", *[f"  {p}" for p in parts]]
    ranges = {i.id: i.trend_range for i in cal.calibrated.indicators if i.trend_range is not None}
    BASELINE.write_text(with_ranges(with_lines(strip(BASELINE.read_text()), final), ranges))
    print(f"{BASELINE}: calibrated on {HISTORY.name} up to {FIT_UNTIL}; skipped:")
    print("\n".join(f"  {s}" for s in cal.skipped))


if __name__ == "__main__":
    main()
