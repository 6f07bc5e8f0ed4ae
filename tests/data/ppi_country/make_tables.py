"""Regenerate the SYNTHETIC PPI tables of this folder (not Kenyan data).

Nine made-up indicators for a Kenya-like country — five for SDG 3 (one collateral), four
for SDG 6 — with levels in [0, 1], chosen so that 100 × the mean initial level of each
goal's indicators equals KEN's SDG3 / SDG6 start scores in scenarios/baseline.yaml
(50.9 and 46.7). Ten yearly periods of made-up expenditure in units of USD 10 million
(~ 230 units a year, the order of KEN's domestic money for SDG 3 + 6 in the baseline).
parameters.csv was produced from these tables by

    sdgsim ppi calibrate -i indicators.csv --network network.csv --expenditure expenditure.csv \\
        --relations relations.csv --seed 1 --opposite 0.002 --out /tmp/ppi-cal && cp /tmp/ppi-cal/parameters.csv .

Run `python make_tables.py` from this folder to rewrite the four tables.
"""

import csv

INDICATORS = [  # id, I0, IF, success_rate, instrumental, qm, rl
    ("h_immunisation", 0.62, 0.74, 0.70, 1, 0.5, 0.5),
    ("h_skilled_births", 0.55, 0.66, 0.65, 1, 0.5, 0.5),
    ("h_uhc_coverage", 0.44, 0.52, 0.60, 1, 0.5, 0.5),
    ("h_tb_treatment", 0.48, 0.57, 0.62, 1, 0.5, 0.5),
    ("h_life_expectancy", 0.0, 0.0, 0.58, 0, "", ""),  # collateral; I0 set below
    ("w_basic_water", 0.58, 0.66, 0.62, 1, 0.5, 0.5),
    ("w_basic_sanitation", 0.31, 0.36, 0.55, 1, 0.5, 0.5),
    ("w_wastewater", 0.40, 0.44, 0.52, 1, 0.5, 0.5),
    ("w_water_stress", 0.0, 0.0, 0.50, 1, 0.5, 0.5),  # I0 set below
]
SCORES = {"h_": 0.509, "w_": 0.467}
NETWORK = [("w_basic_water", "h_life_expectancy", 0.15), ("w_basic_sanitation", "h_life_expectancy", 0.10),
           ("h_immunisation", "h_life_expectancy", 0.20), ("w_basic_water", "w_basic_sanitation", 0.05),
           ("h_uhc_coverage", "h_tb_treatment", 0.10)]
PROGRAMMES = {"health_services": [10, 11], "water_supply": [7, 7], "sanitation": [5, 5]}  # share x 10
RELATIONS = [("h_immunisation", "health_services"), ("h_skilled_births", "health_services"),
             ("h_uhc_coverage", "health_services"), ("h_tb_treatment", "health_services"),
             ("w_basic_water", "water_supply"), ("w_water_stress", "water_supply"),
             ("w_basic_sanitation", "sanitation"), ("w_wastewater", "sanitation")]
YEARS = range(2010, 2020)


def main() -> None:
    rows = [list(r) for r in INDICATORS]
    for prefix, mean in SCORES.items():  # the last indicator of each goal makes the mean exact
        group = [r for r in rows if r[0].startswith(prefix)]
        rest = sum(r[1] for r in group[:-1])
        level = round(mean * len(group) - rest, 6)
        group[-1][1] = level
        group[-1][2] = round(level * 1.08, 6)
    with open("indicators.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "I0", "IF", "success_rate", "instrumental", "qm", "rl"])
        w.writerows(rows)
    with open("network.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["origin", "destination", "weight"])
        w.writerows(NETWORK)
    with open("expenditure.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["program", *YEARS])
        for p, (a, b) in PROGRAMMES.items():  # grows linearly from a x 10 to b x 10 units
            w.writerow([p, *(round(10 * (a + (b - a) * i / (len(YEARS) - 1)), 3) for i in range(len(YEARS)))])
    with open("relations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["indicator", "program"])
        w.writerows(RELATIONS)


if __name__ == "__main__":
    main()
