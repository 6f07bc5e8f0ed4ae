"""Providers of development finance in the OECD DAC tables: DAC code -> id (ISO3 or a group id).

The ids are what scenarios and `sdgsim data` use; `dac_code` is the OECD's numeric donor code
(DAC1/DAC2a legacy exports); `sector_name` is how ONE's sector chart spells a donor when it
differs from the OECD name. DAC membership as of 2024 (32 members: 31 countries and the EU).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Donor:
    id: str
    dac_code: int
    name: str
    kind: str          # country | multilateral | group
    dac_member: bool
    sector_name: str = ""


_COUNTRIES = (  # (dac_code, id, name, DAC member)
    (1, "AUT", "Austria", True), (2, "BEL", "Belgium", True), (3, "DNK", "Denmark", True),
    (4, "FRA", "France", True), (5, "DEU", "Germany", True), (6, "ITA", "Italy", True),
    (7, "NLD", "Netherlands", True), (8, "NOR", "Norway", True), (9, "PRT", "Portugal", True),
    (10, "SWE", "Sweden", True), (11, "CHE", "Switzerland", True), (12, "GBR", "United Kingdom", True),
    (18, "FIN", "Finland", True), (20, "ISL", "Iceland", True), (21, "IRL", "Ireland", True),
    (22, "LUX", "Luxembourg", True), (26, "MCO", "Monaco", False), (30, "CYP", "Cyprus", False),
    (40, "GRC", "Greece", True), (45, "MLT", "Malta", False), (50, "ESP", "Spain", True),
    (55, "TUR", "Türkiye", False), (61, "SVN", "Slovenia", True), (62, "HRV", "Croatia", False),
    (68, "CZE", "Czechia", True), (69, "SVK", "Slovak Republic", True), (70, "LIE", "Liechtenstein", False),
    (72, "BGR", "Bulgaria", False), (75, "HUN", "Hungary", True), (76, "POL", "Poland", True),
    (77, "ROU", "Romania", False), (82, "EST", "Estonia", True), (83, "LVA", "Latvia", False),
    (84, "LTU", "Lithuania", True), (301, "CAN", "Canada", True), (302, "USA", "United States", True),
    (546, "ISR", "Israel", False), (552, "KWT", "Kuwait", False), (561, "QAT", "Qatar", False),
    (566, "SAU", "Saudi Arabia", False), (576, "ARE", "United Arab Emirates", False),
    (611, "AZE", "Azerbaijan", False), (613, "KAZ", "Kazakhstan", False), (701, "JPN", "Japan", True),
    (732, "TWN", "Chinese Taipei", False), (742, "KOR", "Korea", True), (764, "THA", "Thailand", False),
    (765, "TLS", "Timor-Leste", False), (801, "AUS", "Australia", True), (820, "NZL", "New Zealand", True),
)
_SECTOR_NAMES = {"SVK": "Slovakia", "KOR": "South Korea"}
_OTHERS = (
    Donor("EUI", 918, "EU Institutions", "multilateral", True),
    Donor("DAC_MEMBERS", 20000, "DAC Members", "group", False),
    Donor("DAC", 20001, "DAC countries", "group", False, "DAC Countries, Total"),
    Donor("MULTILATERALS", 20002, "Multilaterals organisations", "group", False),
    Donor("G7", 20003, "G7", "group", False),
    Donor("NON_DAC", 20006, "Non-DAC countries", "group", False),
    Donor("DAC_EU", 20011, "DAC EU countries", "group", False),
)

DONORS: dict[int, Donor] = {
    **{c: Donor(i, c, n, "country", m, _SECTOR_NAMES.get(i, "")) for c, i, n, m in _COUNTRIES},
    **{d.dac_code: d for d in _OTHERS},
}
BY_ID: dict[str, Donor] = {d.id: d for d in DONORS.values()}

OECD_RECIPIENT_NAMES = {  # how the OECD's DAC2a spells recipients whose World Bank name differs -> ISO3
    "china (people's republic of)": "CHN", "congo": "COG", "côte d'ivoire": "CIV", "cote d'ivoire": "CIV",
    "democratic people's republic of korea": "PRK", "democratic republic of the congo": "COD", "egypt": "EGY",
    "gambia": "GMB", "iran": "IRN", "kyrgyzstan": "KGZ", "lao people's democratic republic": "LAO",
    "saint kitts and nevis": "KNA", "saint lucia": "LCA", "saint vincent and the grenadines": "VCT",
    "sao tome and principe": "STP", "venezuela": "VEN", "viet nam": "VNM", "west bank and gaza strip": "PSE",
    "yemen": "YEM", "micronesia": "FSM", "syrian arab republic": "SYR", "turkey": "TUR", "bahamas": "BHS",
    "slovak republic": "SVK", "korea": "KOR", "north macedonia": "MKD", "kosovo": "XKX",
}
"""DAC2a recipient names (lower case) that the country table spells otherwise (checked against the
OECD's spelling in a DAC2a export of 2009-2022); territories the World Bank does not list (Anguilla,
Mayotte, Niue, Tokelau, ...) stay unmatched and are left out as not countries."""
