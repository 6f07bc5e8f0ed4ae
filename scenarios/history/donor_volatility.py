"""Donors' aid-budget volatility from their ODA series: the baseline's noise_sd and noise_persistence.

    python scenarios/history/donor_volatility.py        # from the project root

Per donor of oda_gni_ts.csv (OECD DAC1 totals, 2000-2023; SOURCES.md): a log-linear trend fitted by
least squares, the sd of the deviations from it (ddof 2) and their lag-one correlation, the AR(1)
that `donors.*.noise_sd` and `noise_persistence` describe. Prints one line per donor and the
medians over the members (tests/test_calibration.py checks the baseline carries these values).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILE = Path(__file__).with_name("oda_gni_ts.csv")
YEARS = (2000, 2023)


def volatility(file: Path = FILE, years: tuple[int, int] = YEARS) -> pd.DataFrame:
    """donor, years, growth (log-linear trend), sd (of the log deviation), persistence (lag-one correlation)."""
    d = pd.read_csv(file)
    d.columns = ["donor", "year", "oda", "oda_gni"]
    d = d[(d.year >= years[0]) & (d.year <= years[1]) & (d.oda > 0)]
    rows = []
    for donor, g in d.groupby("donor", sort=True):
        g = g.sort_values("year")
        if len(g) < 20:
            continue
        y, t = np.log(g.oda.to_numpy()), g.year.to_numpy() - years[0]
        slope, level = np.polyfit(t, y, 1)
        u = y - (level + slope * t)
        rows.append({"donor": donor, "years": len(g), "growth": slope, "sd": u.std(ddof=2),
                     "persistence": float(np.corrcoef(u[1:], u[:-1])[0, 1])})
    return pd.DataFrame(rows)


def main() -> None:
    v = volatility()
    print(v.round(3).to_string(index=False))
    members = v[~v.donor.isin(["DAC countries", "EU Institutions"])]
    print(f"\nmedian over {len(members)} DAC members: sd {members.sd.median():.2f}, "
          f"persistence {members.persistence.median():.2f}")


if __name__ == "__main__":
    main()
