"""Sweeps know which way an indicator outcome is better: fewer deaths, fewer undernourished.

The registry cannot tell on its own (people_end counts people with electricity, better when
higher, and under-5 deaths, better when lower), so a sweep records each outcome column's
direction from its scenarios' indicators, and analyze and discover read it from there.
"""

from pathlib import Path

import numpy as np

import simulation as sim

ROOT = Path(__file__).resolve().parents[1]
DEATHS = "people_end:SH.DYN.MORT"
POWER = "people_end:EG.ELC.ACCS.ZS"


def small_sweep(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"""
scenario: {ROOT / 'scenarios' / 'baseline.yaml'}
design: {{method: lhs, samples: 12}}
parameters:
  donors.DAC-OTHER.budget_usd: {{distribution: uniform, low: 1.0e9, high: 8.0e9}}
replications: 2
seed: 3
outcomes: [{DEATHS}, {POWER}]
""")
    return sim.run_sweep(sim.Sweep.load(path))


def test_a_sweep_records_that_fewer_deaths_are_better(tmp_path):
    runs = small_sweep(tmp_path)
    senses = runs.manifest["senses"]
    assert senses[DEATHS] == -1 and senses[POWER] == +1
    rob = sim.analyze(runs).frames["robustness"].set_index("outcome")
    assert rob.loc[DEATHS, "better"] == "lower" and rob.loc[POWER, "better"] == "higher"


def test_discover_takes_the_worst_cases_as_the_most_deaths(tmp_path):
    runs = small_sweep(tmp_path)
    cases = sim.discover(runs, DEATHS, worst=0.25).discovery.cases
    chosen = cases.outcome[cases.y]
    assert chosen.min() >= np.quantile(cases.outcome, 0.7)  # the worst quarter: the highest death counts
    assert "lower is better" in cases.rule
