"""Allocators use only what a funder could know (issue "Decision-grade comparisons", item 3).

A replication's own draw of goal effectiveness is hidden from every strategy: changing only
`uncertainty.effectiveness_sd` (the spread of that draw) must leave every funder's first-year
allocation unchanged, for every strategy, the pooled facility included.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.mechanisms.allocation import STRATEGIES
from tests import factory


def _first_year_allocation(strategy: str, effectiveness_sd: float):
    d = factory.small_dict()
    for donor in d["donors"]:
        donor["strategy"] = strategy
        donor.pop("strategy_params", None)
    d["donors"][0]["pooled_share"] = 0.3
    facility = strategy if strategy not in ("adaptive", "persistence") else "impact"  # donors only: learning, a record
    d["facility"] = {"strategy": facility, "blended_share": 0.2, "overhead_rate": 0.03}
    d["uncertainty"] = {"effectiveness_sd": effectiveness_sd, "score_noise_sd": 0.2}
    sc = factory.scenario(d)
    m = factory.run_model(sc, runs=6, seed=3, record_flows=True)
    f = m.ledger.flows_frame(np.arange(6), sc.years[:-1])
    first = f[(f.year == sc.start_year) & f.source.isin(["D1", "D2", "facility"])]
    return m, first.sort_values(["run", "source", "recipient", "goal", "instrument"]).reset_index(drop=True)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_first_year_allocation_ignores_the_replications_own_effectiveness_draw(strategy):
    a, fa = _first_year_allocation(strategy, 0.0)
    b, fb = _first_year_allocation(strategy, 0.4)
    assert set(fa.source) >= {"D1", "D2", "facility"}
    assert len(fa) == len(fb) and len(fa) > 0
    assert (fa.amount_usd.to_numpy() == fb.amount_usd.to_numpy()).all()
    # the realised draw still drives the dynamics
    assert (a.history["scores"][-1] != b.history["scores"][-1]).any()

