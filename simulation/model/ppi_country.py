"""PPI dynamics for a country of a scenario: budgets by programme in, indicator levels out.

A scenario country with a `ppi:` block (docs/ppi.md, "PPI countries in scenarios") has
its goal scores for the PPI goals driven by Policy Priority Inference instead of the
model's own score dynamics:

    load_country_tables(...)   the `sdgsim ppi` tables + a calibration's parameters.csv → CountryTables
    goal_scores(levels, ...)   indicator levels (S, N) → goal scores 0–100 (S, G_ppi)
    PPICountry                 one country's PPI model advanced year by year for S replications
    PPICountries               the model hook: withholds the PPI goals' money from the standard
                               dynamics, turns it into programme budgets, steps PPI, books the
                               ledger and writes the PPI goals' scores

Timing. PPI allocates the budget of period t at the end of period t for period t + 1
(`Bs[:, t]` funds period t + 1). In a scenario the money of year t must move the scores
of year t (as it does for every other goal, and as adaptive donors assume when they learn)
and must be accounted for in year t (the ledger balances every year), so `PPICountry.step`
allocates the year's budget *first* and then runs the period with it; the very first
allocation is PPI's initial one (random propensities, or the goal gaps G) with the first
year's budget. Year t is therefore PPI's period t with Bs[:, t − 1] = budget of year t;
with constant budgets the two are the same model and, given the same random streams,
the same numbers (tests/test_ppi_country.py checks this against `run_ppi`). With
`periods_per_year` p > 1 each year runs p periods with a p-th of the year's budget each.

Randomness: replication s of country c draws from `rng.stream(seeds[s], "ppi", c)`, in
PPI's order (setup, then per period: monitoring n, growth N, allocation n), so a
replication does not depend on the batch it runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..ppi.country_tables import gap_propensities, goal_scores, load_country_tables
from ..ppi.engine import Allocator, Batch, exact_parts, internal_order, setup_length
from ..ppi.spec import BUDGET_FLOOR, PPISpec
from . import rng


@dataclass
class YearResult:
    """What one year of PPI did, for S replications (levels in the caller's indicator order).

    I (S, N) levels after the year; gamma (S, N) mean growth probability over the year's
    periods; C, P (S, n) contributions and allocations summed over the periods (budget
    units); diverted (S,) = Σ(P − C).
    """

    I: np.ndarray
    gamma: np.ndarray
    C: np.ndarray
    P: np.ndarray
    diverted: np.ndarray


class _BudgetAllocator(Allocator):
    """PPI's allocation by programme with per-replication budgets `budgets` (S, K)."""

    budgets: np.ndarray

    def __call__(self, P0: np.ndarray, t: int) -> np.ndarray:
        return self.split(P0, self.budgets)


def _initial_allocation(p0: np.ndarray, b0: np.ndarray, members: tuple[np.ndarray, ...]) -> np.ndarray:
    """spec.initial_allocation with per-replication first budgets b0 (S, K); p0 (S, n) or (n,)."""
    P0 = np.zeros((b0.shape[0], p0.shape[-1]))
    for k, idx in enumerate(members):
        w = np.take(p0, idx, axis=-1)  # C order, as simulation.ppi.spec.initial_allocation
        P0[..., idx] += b0[:, k, None] * w / w.sum(axis=-1, keepdims=True)
    P0 = b0.sum(axis=1, keepdims=True) * P0 / P0.sum(axis=-1, keepdims=True)
    P0[P0 == 0] = BUDGET_FLOOR
    return P0


class PPICountry:
    """One country's PPI model for S replications, advanced one scenario year at a time.

    PPICountry(spec, seeds, periods_per_year, ident): seeds are the replications'
    SeedSequences; replication s draws from `rng.stream(seeds[s], "ppi", ident)`.
    `draws` (one fill-style `random(out=...)` per replication) replaces those streams
    (tests use it to share streams with `run_ppi`). spec.Bs is not used: budgets come
    with each `step`.
    """

    def __init__(self, spec: PPISpec, seeds: Sequence[np.random.SeedSequence], periods_per_year: int = 1,
                 ident: str = "", *, draws: Sequence[Callable[..., np.ndarray]] | None = None):
        if periods_per_year < 1:
            raise ValueError("periods_per_year must be >= 1")
        self.spec0 = spec
        self.spec, self.order = internal_order(spec)
        self.back = None if self.order is None else np.argsort(self.order)
        self.p0 = gap_propensities(spec) if spec.G is not None else None
        self.ppy = int(periods_per_year)
        self.draws = list(draws) if draws is not None else \
            [rng.stream(s, "ppi", ident).random for s in seeds]
        self.S = len(self.draws)
        self.parts = exact_parts(self.spec.A) if self.spec.A is not None else []
        self.allocator = _BudgetAllocator(self.spec)
        n, N = self.spec.n, self.spec.N
        self.setup_len = setup_length(self.spec)
        self.period_len = 2 * n + N
        self._u = np.empty((self.S, self.period_len))
        self.batch: Batch | None = None
        self.periods = 0

    @property
    def levels(self) -> np.ndarray:
        """(S, N) current indicator levels in the tables' order (I0 before the first step)."""
        if self.batch is None:
            return np.broadcast_to(self.spec0.I0, (self.S, self.spec0.N)).copy()
        return self._orig(self.batch.I)

    def _orig(self, x: np.ndarray) -> np.ndarray:
        return x.copy() if self.back is None else x[:, self.back]

    def _start(self, b0: np.ndarray) -> None:
        spec = self.spec
        u = np.empty((self.S, self.setup_len))
        for s, f in enumerate(self.draws):
            f(out=u[s])
        if self.order is not None:  # the N initial lags come in the tables' order
            k = self.setup_len - spec.N
            u[:, k:] = u[:, k:][:, self.order]
        self.batch = b = Batch(spec, u, self.parts, self.allocator, self.order)
        p0 = u[:, :spec.n] if spec.P_init is None else self.p0  # with goals G, PPI draws no propensities
        b.P = _initial_allocation(p0, b0, spec.prog_members)
        b.P0 = b.P.copy()
        self._u_alloc = None

    def step(self, budgets: np.ndarray) -> YearResult:
        """One year: budgets (S, K) money per programme for the year (budget units) → YearResult."""
        budgets = np.asarray(budgets, dtype=float)
        if budgets.shape != (self.S, self.spec.K):
            raise ValueError(f"budgets must have shape {(self.S, self.spec.K)}, got {budgets.shape}")
        per = budgets / self.ppy
        floor = np.where(per == 0, BUDGET_FLOOR, per)  # PPI: zero budgets become 1e-11
        n, N = self.spec.n, self.spec.N
        gam = np.zeros((self.S, N))
        C_sum, P_sum = np.zeros((self.S, n)), np.zeros((self.S, n))
        for _ in range(self.ppy):
            if self.batch is None:  # PPI's initial allocation (a zero budget: PPI's floor, 1e-11)
                self._start(np.where(per.sum(axis=1, keepdims=True) > 0, per, floor))
            else:  # allocate this period's budget (PPI's step 7, with the previous period's draws)
                self.allocator.budgets = floor
                self.batch.allocation(self._u_alloc, self.periods)
            b = self.batch
            for s, f in enumerate(self.draws):
                f(out=self._u[s])
            b.advance(self._u[:, None], count=False)  # steps 1–6 (allocation: above, with this year's budgets)
            gam += b.gamma
            C_sum += b.C
            P_sum += b.P
            self._u_alloc = self._u[:, n + N:].copy()
            self.periods += 1
        # C and P: the instrumental indicators in the tables' order (internal order keeps it)
        return YearResult(I=self._orig(b.I), gamma=self._orig(gam / self.ppy), C=C_sum, P=P_sum,
                          diverted=(P_sum - C_sum).sum(axis=1))


# --------------------------------------------------------------------------- the model hook

class PPICountries:
    """The PPI countries of a scenario, as the model uses them each year.

    Attributes: rows (Cp,) country indices; goal_mask (Cp, G) bool, the PPI goals of each;
    countries: one PPICountry each; shares: (Gp, K) programme shares of each PPI goal;
    units: USD per budget unit; score_cols / scales: how levels become goal scores.
    """

    def __init__(self, scenario, seeds: Sequence[np.random.SeedSequence]):
        gi = {g: i for i, g in enumerate(scenario.goal_ids)}
        self.rows, self.goals, self.shares, self.units = [], [], [], []
        self.countries, self.score_cols, self.scales = [], [], []
        self.goal_mask = np.zeros((0, len(gi)), dtype=bool)
        masks = []
        for i, c in enumerate(scenario.countries):
            if c.ppi is None:
                continue
            p = c.ppi
            tab = load_country_tables(p.tables, p.parameters, p.compat)
            goals = list(p.goal_scores)
            pk = {name: k for k, name in enumerate(tab.programs)}
            share = np.zeros((len(goals), len(tab.programs)))
            for j, g in enumerate(goals):
                w = p.programmes[g]
                for name, v in w.items():
                    share[j, pk[name]] = v
                share[j] /= share[j].sum()  # validated to sum to 1; make it exact
            ii = {name: k for k, name in enumerate(tab.ids)}
            self.rows.append(i)
            self.goals.append(np.array([gi[g] for g in goals]))
            self.shares.append(share)
            self.units.append(p.usd_per_budget_unit)
            self.score_cols.append([np.array([ii[x] for x in p.goal_scores[g].indicators]) for g in goals])
            self.scales.append([tuple(p.goal_scores[g].scale) for g in goals])
            self.countries.append(PPICountry(tab.spec, seeds, p.periods_per_year, c.id))
            m = np.zeros(len(gi), dtype=bool)
            m[self.goals[-1]] = True
            masks.append(m)
        self.rows = np.array(self.rows, dtype=np.intp)
        if masks:
            self.goal_mask = np.array(masks)

    @classmethod
    def build(cls, scenario, seeds) -> "PPICountries | None":
        """None when no country of the scenario uses PPI (the model then runs unchanged)."""
        if not any(getattr(c, "ppi", None) is not None for c in scenario.countries):
            return None
        return cls(scenario, seeds)

    def withhold(self, gross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split gross money (S, C, G): (money for the standard dynamics, PPI goals zeroed;
        money of the PPI countries' PPI goals (S, Cp, G), zero elsewhere)."""
        gross = np.array(gross, dtype=float, copy=True)
        sub = gross[:, self.rows]
        money = np.where(self.goal_mask[None], sub, 0.0)
        sub[:, self.goal_mask] = 0.0
        gross[:, self.rows] = sub
        return gross, money

    def absorb(self, m, t: int, money: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Step each PPI country with its money (S, Cp, G); book spent and leaked in m.ledger;
        return `scores` (S, C, G) with the PPI goals' scores replaced."""
        scores = scores.copy()
        spent = np.zeros(money.shape[0])
        leaked = np.zeros(money.shape[0])
        for j, (row, goals, country) in enumerate(zip(self.rows, self.goals, self.countries)):
            M = money[:, j][:, goals]  # (S, Gp) USD
            budgets = (M @ self.shares[j]) / self.units[j]
            res = country.step(budgets)
            total = M.sum(axis=1)
            P = res.P.sum(axis=1)
            rate = np.divide(res.diverted, P, out=np.zeros_like(P), where=P > 0)
            lost = total * np.clip(rate, 0.0, 1.0)  # = diverted × unit when every programme has money
            leaked += lost
            spent += total - lost
            scores[:, row, goals] = goal_scores(res.I, self.score_cols[j], self.scales[j])
        m.ledger.book(t, spent=spent, leaked=leaked)
        return scores

    def initial_scores(self, j: int) -> np.ndarray:
        """(Gp,) goal scores of PPI country j at the initial indicator levels."""
        return goal_scores(self.countries[j].spec0.I0[None], self.score_cols[j], self.scales[j])[0]
