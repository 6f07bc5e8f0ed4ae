"""A country's fiscal block from the evidence base: revenue (WDI) and external debt service (IDS).

`fiscal_block(country, start, end, gdp_usd)` gives the `fiscal:` block of a scenario's country (the
schema's `Fiscal`) with the provenance of each value, or None with the reason when the data cannot
support one (then domestic spending stays a share of GDP). `sdgsim new` calls it for every country;
the shipped baseline's blocks were written by it (`python -m simulation.data.fiscal ETH,GHA,... 2020 2031 2019`
prints them).

Revenue: WDI GC.REV.XGRT.GD.ZS (central government revenue excluding grants, % of GDP), the last
value at or before the start year; without it, tax revenue GC.TAX.TOTL.GD.ZS (a lower bound).
Debt service: World Bank IDS public and publicly guaranteed external debt service (all creditors,
principal and interest) for the spending years start … end − 1 up to the edition's last year (2030;
years after its last actual year are the schedule on debt then outstanding). The service after the
start year is read only for a start year from SCHEDULE_FROM on, when it is the schedule; an earlier
start (a back-test) reads its start year's service alone, carried at its share of GDP (no look-ahead).
"""

from __future__ import annotations

import sys
from typing import Container

from .store import countries as country_table
from .store import debt_service, series

DISCOUNT_GROUP = {"LIC": "LIC", "LMC": "LMIC", "UMC": "UMIC"}
SCHEDULE_FROM = 2024
"""The first year after the shipped IDS edition's last actual year (2023 or 2024: the file does not
say, so the later): from then on its values are the schedule, known at the start."""


def fiscal_block(country: str, start: int, end: int, gdp_usd: float, revenue_year: int | None = None,
                 read_ahead: bool = False, *, revenue_share: Container[float] | None = None
                 ) -> tuple[dict | None, dict[str, str]]:
    """(the fiscal block or None, {field: source}) for `country`, spending years start … end − 1,
    `gdp_usd` its start-year GDP as the scenario states it, revenue the last value at or before
    `revenue_year` (default: start; the year of that GDP). `read_ahead`: the service of every spending
    year whatever the start (the shipped 2020 scenarios: what was paid, then the schedule). A missing
    block's reason is under "fiscal". `revenue_share`: the values the schema allows for
    fiscal.revenue_share (`scenario.typeinfo.field_range(Fiscal, "revenue_share")`, which this layer
    cannot import: sdgsim new passes it in its Templates); a share outside them leaves the country
    without a block. None: not checked (main, which prints blocks for the schema to check on load)."""
    got = None
    for code, what in (("GC.REV.XGRT.GD.ZS", "revenue excluding grants"), ("GC.TAX.TOTL.GD.ZS", "tax revenue")):
        s = series(code, [country], end=start if revenue_year is None else revenue_year)
        if len(s):
            row = s.loc[s.year.idxmax()]
            got = (float(row.value) / 100, int(row.year), code, what)
            break
    if got is None:
        return None, {"fiscal": f"default: no WDI government revenue or tax series for {country} at or before {start}: "
                                "domestic spending stays domestic_sdg_share of GDP"}
    if revenue_share is not None and got[0] not in revenue_share:  # Timor-Leste 274 %, Nauru 116 %: resource-fund
        # revenue against a small GDP
        return None, {"fiscal": f"default: {country}'s WDI {got[2]} is {got[0]:.1%} of GDP in {got[1]}, outside "
                                f"what fiscal.revenue_share allows ({revenue_share}, a share of GDP): domestic "
                                "spending stays domestic_sdg_share of GDP"}
    d = debt_service()
    last = end - 1 if start >= SCHEDULE_FROM or read_ahead else start
    d = d[(d.country == country) & (d.year >= start) & (d.year <= last)].groupby("year").usd.sum()
    service = [round(float(v), -5) for v in d.sort_index().values]
    years = [int(y) for y in d.sort_index().index]
    if years and years != list(range(start, start + len(years))):
        years, service = [], []
    if got[0] * gdp_usd <= (service[0] if service else 0.0):
        return None, {"fiscal": f"default: {country}'s revenue ({got[0]:.1%} of GDP) does not exceed its start year's "
                                "debt service: domestic spending stays domestic_sdg_share of GDP"}
    t = country_table().set_index("country")
    group = "LDC" if bool(t.ldc.get(country, False)) else DISCOUNT_GROUP.get(str(t.income_code.get(country)), "LMIC")
    block = {"revenue_share": round(got[0], 4), "debt_service_usd": service, "income_group": group}
    sources = {
        "fiscal.revenue_share": f"World Bank WDI {got[2]} ({got[3]}, central government, % of GDP), {got[1]}",
        "fiscal.debt_service_usd": (f"World Bank IDS (via ONE Campaign, CC-BY-4.0), public and publicly guaranteed "
                                    f"external debt service, all creditors, {years[0]}"
                                    f"{'' if len(years) == 1 else f'-{years[-1]}'}" if years else
                                    "default: no IDS debt service for these years (not an IDS reporter): none"),
        "fiscal.income_group": "World Bank income group and UN LDC list (country table), for the DAC discount rate",
    }
    return block, sources


def main(argv: list[str]) -> None:
    """Print the fiscal blocks of countries (comma-separated) for start and end years (and the year of
    the scenario's GDP and revenue, default start), reading ahead (as for the shipped scenarios)."""
    codes, start, end = argv[0].split(","), int(argv[1]), int(argv[2])
    data_year = int(argv[3]) if len(argv) > 3 else start
    gdp = series("NY.GDP.MKTP.CD", codes, end=data_year)
    for c in codes:
        g = gdp[gdp.country == c]
        block, src = fiscal_block(c, start, end, float(g.loc[g.year.idxmax()].value) if len(g) else 0.0, data_year,
                                  read_ahead=True)
        print(c, block, src)


if __name__ == "__main__":  # pragma: no cover - a maintenance helper
    main(sys.argv[1:])
