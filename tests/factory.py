"""Small scenarios for tests, built as plain dicts (then validated like files)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from simulation.model import FinancingModel, rng
from simulation.scenario import Scenario, load_scenario, validate_data

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

_SMALL = {
    "name": "small",
    "start_year": 2020,
    "end_year": 2028,
    "goals": [
        {"id": "SDG2", "effectiveness": 0.05, "spend_scale_usd_per_capita": 30, "decay": 0.003, "leverage": 0.5},
        {"id": "SDG3", "effectiveness": 0.06, "spend_scale_usd_per_capita": 40, "decay": 0.002},
        {"id": "SDG6", "effectiveness": 0.05, "spend_scale_usd_per_capita": 25, "decay": 0.002, "leverage": 1.0},
        {"id": "SDG7", "effectiveness": 0.06, "spend_scale_usd_per_capita": 30, "decay": 0.002, "leverage": 2.0},
    ],
    "interlinkages": [
        {"source": "SDG7", "target": "SDG6", "weight": 0.1},
        {"source": "SDG6", "target": "SDG3", "weight": 0.15},
    ],
    "countries": [
        {"id": "AAA", "pilot": True, "population_m": 50, "gdp_usd_bn": 60, "gdp_growth": 0.05,
         "domestic_sdg_share": 0.04, "governance": 60, "absorptive_capacity": 0.3,
         "roadmap_priority": {"SDG2": 0.4, "SDG3": 0.3, "SDG6": 0.2, "SDG7": 0.1},
         "scores": {"SDG2": 55, "SDG3": 45, "SDG6": 40, "SDG7": 35}},
        {"id": "BBB", "pilot": True, "population_m": 20, "gdp_usd_bn": 40, "gdp_growth": 0.03,
         "domestic_sdg_share": 0.05, "governance": 80, "absorptive_capacity": 0.5,
         "scores": {"SDG2": 65, "SDG3": 60, "SDG6": 58, "SDG7": 50}},
        {"id": "CCC", "population_m": 80, "gdp_usd_bn": 50, "gdp_growth": 0.04,
         "domestic_sdg_share": 0.03, "governance": 40, "absorptive_capacity": 0.2,
         "scores": {"SDG2": 50, "SDG3": 35, "SDG6": 45, "SDG7": 25}},
    ],
    "donors": [
        {"id": "D1", "budget_usd": 5e8, "growth": 0.02, "noise_sd": 0.1, "strategy": "needs",
         "blended_share": 0.2, "capacity_share": 0.05, "overhead_rate": 0.08, "channel_cost_usd": 2e6},
        {"id": "D2", "budget_usd": 3e8, "growth": 0.0, "noise_sd": 0.05, "strategy": "performance",
         "eligible_countries": ["AAA", "CCC"], "overhead_rate": 0.1, "channel_cost_usd": 1e6},
    ],
    "technologies": [
        {"id": "T1", "goals": {"SDG7": 0.8}, "trl": 6, "stage_cost_usd": 5e6, "stage_years": 1,
         "success_probability": 0.7},
        {"id": "T2", "goals": {"SDG3": 0.5, "SDG6": 0.2}, "trl": 4, "stage_cost_usd": 1e7, "stage_years": 2,
         "success_probability": 0.5},
    ],
    "research_bodies": [
        {"id": "R1", "budget_usd": 8e6, "portfolio": {"T1": 1, "T2": 2}},
    ],
    "uncertainty": {"effectiveness_sd": 0.1, "score_noise_sd": 0.2},
}


def small_dict() -> dict:
    return copy.deepcopy(_SMALL)


def scenario(data: dict | None = None) -> Scenario:
    return validate_data(data if data is not None else small_dict(), "<test>")


def baseline() -> Scenario:
    return load_scenario(BASELINE)


def run_model(sc: Scenario, runs: int = 4, seed: int = 1, record_flows: bool = False) -> FinancingModel:
    return FinancingModel(sc, rng.replication_seeds(seed, runs), record_flows=record_flows).run()


def no_noise(d: dict) -> dict:
    d["uncertainty"] = {"effectiveness_sd": 0.0, "score_noise_sd": 0.0}
    for donor in d.get("donors", []):
        donor["noise_sd"] = 0.0
    return d


def mean_scores(m: FinancingModel) -> np.ndarray:
    """(T+1, C, G) mean over replications."""
    return m.history["scores"].mean(axis=1)
