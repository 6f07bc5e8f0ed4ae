"""The evidence base: a sourced, checked, tidy copy of public data for every country.

Shipped tables (simulation/data/evidence/, built by `python -m simulation.data.build` from the
pinned sources in evidence/SOURCES.md): country table with regions, income groups and
classifications; World Bank WDI and UN SDG series 2000 to the latest year; OECD DAC1 donor
totals and donor x sector shares; World Bank IDS public debt service. A user adds newer WDI,
OECD DAC1/DAC2a or SDR downloads with `import_file` (`sdgsim data import FILE`). docs/data.md
describes every table, its licence and its gaps.

    from simulation import data
    data.datasets()                                  # what there is
    data.series("SH.DYN.MORT", ["KEN", "ETH"])       # tidy: country, indicator, year, value, source
    data.group_members("ldc")                        # ISO3 codes
"""

from __future__ import annotations

from .catalog import INDICATORS, PILOT_COUNTRIES, Indicator
from .checks import DataFileError
from .store import (
    AlreadyImported,
    Dataset,
    countries,
    country_names,
    dac1,
    dac2a,
    dac2a_flows,
    dac_sectors,
    datasets,
    debt_service,
    group_members,
    groups,
    import_file,
    resolve,
    sdr_scores,
    series,
    table,
    value_at,
)
from .tables import user_dir

__all__ = ["INDICATORS", "PILOT_COUNTRIES", "AlreadyImported", "DataFileError", "Dataset", "Indicator", "countries",
           "country_names", "dac1", "dac2a", "dac2a_flows", "dac_sectors", "datasets", "debt_service", "group_members", "groups",
           "import_file", "resolve", "sdr_scores", "series", "table", "user_dir", "value_at"]
