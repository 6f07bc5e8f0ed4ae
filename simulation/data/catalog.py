"""What the evidence base holds: its indicators (unit, valid range, direction, goal) and sources.

Pure tables, no I/O: the build script, the importers and the checks all read these, so a
value is checked against the same range wherever it enters.
"""

from __future__ import annotations

from dataclasses import dataclass

NAN = float("nan")


@dataclass(frozen=True)
class Indicator:
    """One series of the evidence base: a World Bank code and what its values mean."""

    code: str
    name: str
    unit: str
    lower: float            # smallest valid value (NaN: no bound)
    upper: float            # largest valid value (NaN: no bound)
    higher_is_better: bool | None   # None: not an outcome (population, GDP, budgets)
    goal: str               # the SDG it measures ("" for context series)
    source: str             # id of the source in SOURCES (where the shipped values come from)


PCT = "% of population"
INDICATORS: dict[str, Indicator] = {i.code: i for i in (
    Indicator("SP.POP.TOTL", "Population, total", "people", 0, NAN, None, "", "wdi"),
    Indicator("NY.GDP.MKTP.CD", "GDP (current US$)", "US$", 0, NAN, None, "", "wdi"),
    Indicator("SP.DYN.CBRT.IN", "Birth rate, crude", "per 1,000 people", 0, 100, None, "", "wdi"),
    Indicator("SI.POV.DDAY", "Poverty headcount ratio at the international poverty line", PCT, 0, 100, False,
              "SDG1", "wdi"),
    Indicator("SN.ITK.DEFC.ZS", "Prevalence of undernourishment", PCT, 0, 100, False, "SDG2", "wdi"),
    Indicator("SH.STA.STNT.ZS", "Prevalence of stunting, height for age (survey)", "% of children under 5", 0, 100,
              False, "SDG2", "wdi"),
    Indicator("SH.STA.STNT.ME.ZS", "Prevalence of stunting, height for age (modeled estimate)",
              "% of children under 5", 0, 100, False, "SDG2", "wb-bblocks"),
    Indicator("SH.DYN.MORT", "Mortality rate, under-5", "per 1,000 live births", 0, 1000, False, "SDG3", "wdi"),
    Indicator("SH.STA.MMRT", "Maternal mortality ratio (modeled estimate)", "per 100,000 live births", 0, 100_000,
              False, "SDG3", "wdi"),
    Indicator("SE.PRM.CMPT.ZS", "Primary completion rate (gross, can exceed 100)", "% of relevant age group", 0, 250,
              True, "SDG4", "wdi"),
    Indicator("SH.H2O.BASW.ZS", "People using at least basic drinking water services", PCT, 0, 100, True, "SDG6",
              "unsd-sdg"),
    Indicator("EG.ELC.ACCS.ZS", "Access to electricity", PCT, 0, 100, True, "SDG7", "wdi"),
    Indicator("EG.FEC.RNEW.ZS", "Renewable energy consumption", "% of total final energy consumption", 0, 100, True,
              "SDG7", "wdi"),
    Indicator("GB.XPD.RSDV.GD.ZS", "Research and development expenditure", "% of GDP", 0, 100, True, "SDG9", "wdi"),
    Indicator("SP.POP.SCIE.RD.P6", "Researchers in R&D", "per million people", 0, 1_000_000, True, "SDG9", "wdi"),
    Indicator("GC.REV.XGRT.GD.ZS", "Revenue, excluding grants", "% of GDP", 0, 1000, None, "SDG17", "wdi"),
    Indicator("GC.TAX.TOTL.GD.ZS", "Tax revenue", "% of GDP", 0, 1000, None, "SDG17", "wdi"),
    Indicator("GC.XPN.TOTL.GD.ZS", "Expense (general government)", "% of GDP", 0, 1000, None, "", "wdi"),
    Indicator("GC.DOD.TOTL.GD.ZS", "Central government debt, total", "% of GDP", 0, 1000, None, "", "wdi"),
    Indicator("SE.XPD.TOTL.GD.ZS", "Government expenditure on education, total", "% of GDP", 0, 100, None, "SDG4",
              "wdi"),
    Indicator("SE.XPD.TOTL.GB.ZS", "Government expenditure on education, total", "% of government expenditure", 0,
              100, None, "SDG4", "wdi"),
    Indicator("SH.XPD.GHED.GE.ZS", "Domestic general government health expenditure",
              "% of general government expenditure", 0, 100, None, "SDG3", "wb-bblocks"),
    Indicator("SH.XPD.CHEX.GD.ZS", "Current health expenditure", "% of GDP", 0, 100, None, "SDG3", "wb-bblocks"),
    Indicator("DT.ODA.ODAT.CD", "Net official development assistance received (can be negative)", "US$", NAN, NAN,
              None, "SDG17", "wdi"),
)}

# The SDR's goal-score importer: columns it reads and their range.
SDR_GOALS = tuple(f"SDG{i}" for i in range(1, 18))

# DAC1 measures kept (aid type x flow x amount type of OECD table DAC1), as (id, description, unit).
DAC1_MEASURES = {
    "oda_ge_current": ("Total ODA, grant equivalent, current prices", "US$ million"),
    "oda_ge_constant": ("Total ODA, grant equivalent, constant prices of the base year", "US$ million"),
    "oda_net_current": ("Total ODA, net disbursements, current prices", "US$ million"),
    "oda_net_constant": ("Total ODA, net disbursements, constant prices of the base year", "US$ million"),
    "bilateral_ge_current": ("Bilateral ODA, grant equivalent, current prices", "US$ million"),
    "multilateral_ge_current": ("Multilateral ODA, grant equivalent, current prices", "US$ million"),
    "oda_gni_pct": ("ODA as percent of GNI (grant equivalent from 2018, net disbursements before)", "% of GNI"),
    "gni_current": ("Gross national income, current prices", "US$ million"),
}

# Where each DAC1 measure sits in OECD table DAC1: (aid type, flow type, price basis) -> measure.
DAC1_CODES = {
    ("11010", "1160", "current"): "oda_ge_current", ("11010", "1160", "constant"): "oda_ge_constant",
    ("1010", "1140", "current"): "oda_net_current", ("1010", "1140", "constant"): "oda_net_constant",
    ("11015", "1160", "current"): "bilateral_ge_current", ("12000", "1160", "current"): "multilateral_ge_current",
    ("1", "1140", "current"): "gni_current",
    ("2", "1140", "pct_gni"): "oda_gni_pct", ("11002", "1160", "pct_gni"): "oda_gni_pct",
}

# Debt service kinds of the IDS table (public and publicly guaranteed external debt).
IDS_CREDITORS = ("bilateral", "multilateral", "bonds", "commercial_banks", "other_private")

# Groups `sdgsim new --group` and the API know, besides regions and income groups in the country table.
# The Global Pilot Programme on STI for SDGs Roadmaps: first wave (HLPF, July 2019) and Ukraine (2021).
PILOT_COUNTRIES = ("ETH", "GHA", "IND", "KEN", "SRB", "UKR")
