"""What a batch of replications of the model produced: arrays with a leading replication axis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..scenario import Scenario
from .ledger import ACCOUNTS
from .model import FinancingModel


@dataclass
class RunResult:
    """All replications of one scenario. Arrays have a leading replication axis (N)."""

    scenario: Scenario
    seed: int
    scores: np.ndarray  # (N, T+1, C, G)
    adoption: np.ndarray  # (N, T+1, C, K)
    capacity: np.ndarray  # (N, T+1, C)
    trl: np.ndarray  # (N, T+1, K)
    private: np.ndarray  # (N, T) private finance mobilised, USD
    public_external: np.ndarray  # (N, T) public external budgets, USD
    balance: np.ndarray  # (N, T, len(ACCOUNTS)) USD
    flows: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def runs(self) -> int:
        return self.scores.shape[0]

    @property
    def years(self) -> list[int]:
        return self.scenario.years

    def scores_frame(self) -> pd.DataFrame:
        """Tidy: run, year, country, goal, score."""
        N, Y, C, G = self.scores.shape
        sc = self.scenario
        return pd.DataFrame({
            "run": np.repeat(np.arange(N), Y * C * G),
            "year": np.tile(np.repeat(np.array(self.years), C * G), N),
            "country": np.tile(np.repeat(np.array(sc.country_ids, dtype=object), G), N * Y),
            "goal": np.tile(np.array(sc.goal_ids, dtype=object), N * Y * C),
            "score": self.scores.reshape(-1),
        })

    def balance_frame(self) -> pd.DataFrame:
        """Tidy: run, year, account, amount_usd."""
        N, T, A = self.balance.shape
        return pd.DataFrame({
            "run": np.repeat(np.arange(N), T * A),
            "year": np.tile(np.repeat(np.array(self.years[:-1]), A), N),
            "account": np.tile(np.array(ACCOUNTS, dtype=object), N * T),
            "amount_usd": self.balance.reshape(-1),
        })

    def adoption_frame(self) -> pd.DataFrame:
        """Tidy: run, year, country, technology, adoption (share 0..1)."""
        N, Y, C, K = self.adoption.shape
        sc = self.scenario
        techs = [k.id for k in sc.technologies]
        return pd.DataFrame({
            "run": np.repeat(np.arange(N), Y * C * K),
            "year": np.tile(np.repeat(np.array(self.years), C * K), N),
            "country": np.tile(np.repeat(np.array(sc.country_ids, dtype=object), K), N * Y),
            "technology": np.tile(np.array(techs, dtype=object), N * Y * C),
            "adoption": self.adoption.reshape(-1),
        })


def result_arrays(m: FinancingModel) -> dict[str, np.ndarray]:
    """A finished model's history and balance with the replication axis first (RunResult's fields)."""
    h = m.history
    out = {k: h[k].swapaxes(0, 1) for k in ("scores", "adoption", "capacity", "trl", "private", "public_external")}
    out["balance"] = m.ledger.balance.swapaxes(0, 1)
    return out
