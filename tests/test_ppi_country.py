"""PPI countries in scenarios: a country's SDG3/SDG6 scores driven by PPI dynamics.

The example is tests/data/ppi_country (synthetic indicators, calibrated by `sdgsim ppi
calibrate`), a scenario that extends scenarios/baseline.yaml and makes KEN a PPI country.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulation.errors import InputError
from simulation.model import FinancingModel, rng
from simulation.model.ppi_country import PPICountry
from simulation.ppi import prepare, run_ppi
from simulation.ppi.country_tables import goal_scores, load_country_tables
from simulation.ppi.engine import (
    Allocator,
    UniformSource,
    _generator_fns,
    _Recorder,
    _simulate_chunk,
    exact_parts,
    internal_order,
    setup_length,
)
from simulation.scenario import load_scenario

HERE = Path(__file__).parent / "data" / "ppi_country"
EXAMPLE = HERE / "scenario.yaml"
KEN, PPI_GOALS = 3, [1, 2]  # KEN's row; SDG3, SDG6 in baseline's goal order


def run(sc, seeds):
    return FinancingModel(sc, seeds).run()


@pytest.fixture(scope="module")
def example():
    return load_scenario(EXAMPLE)


@pytest.fixture(scope="module")
def model(example):
    return run(example, rng.replication_seeds(5, 16))


# --------------------------------------------------------------------------- the engine

def small_model():
    r = np.random.default_rng(1)
    N = 8
    I0 = r.uniform(0.2, 0.6, N)
    al = r.uniform(0.001, 0.01, N)
    A = r.normal(0, 0.2, (N, N)) * (r.random((N, N)) < 0.3)
    R = np.array([1, 0, 1, 1, 0, 1, 1, 1.0])
    B_dict = {0: [0], 2: [0, 1], 3: [1], 5: [0], 6: [1], 7: [1]}
    return dict(I0=I0, alphas=al, alphas_prime=0.3 * al, betas=r.uniform(0.1, 0.6, N), A=A, R=R, B_dict=B_dict)


@pytest.mark.parametrize("goals", [False, True])
@pytest.mark.parametrize("compat", ["3.0.7", "fixed"])
def test_a_ppi_country_with_constant_budgets_is_run_ppi_number_for_number(goals, compat):
    kw = small_model()
    if goals:
        kw["G"] = kw["I0"] + 0.3
    S, T = 5, 12
    Bs = np.tile([[50.0], [30.0]], (1, T))
    ref = run_ppi(**kw, Bs=Bs, runs=S, seed=3, compat=compat)
    spec = prepare(**kw, Bs=Bs[:, :1], compat=compat)
    country = PPICountry(spec, [None] * S, 1, draws=_generator_fns(3, range(S)))
    for t in range(T - 1):
        year = country.step(np.tile(Bs[:, t], (S, 1)))
        np.testing.assert_array_equal(year.I, ref.tsI[:, :, t + 1])  # levels after period t
        np.testing.assert_array_equal(year.P, ref.tsP[:, :, t])
        np.testing.assert_array_equal(year.C, ref.tsC[:, :, t])
        np.testing.assert_allclose(year.diverted, (ref.tsP[:, :, t] - ref.tsC[:, :, t]).sum(axis=1), rtol=1e-12)


def test_more_money_raises_ppi_indicators_in_expectation():
    kw = small_model()
    spec = prepare(**kw, Bs=np.ones((2, 1)))
    seeds = rng.replication_seeds(11, 300)
    finals = []
    for budget in (5.0, 500.0):
        c = PPICountry(spec, seeds, 2, "X")
        for _ in range(10):
            year = c.step(np.full((300, 2), budget))
        finals.append(year.I)
    gain = finals[1].mean(axis=0) - finals[0].mean(axis=0)
    se = np.sqrt(finals[1].var(axis=0) / 300 + finals[0].var(axis=0) / 300)
    inst = spec.inst  # funded indicators gain far beyond Monte Carlo error; collateral ones a little
    assert (gain > 0).all() and (gain[inst] / se[inst]).min() > 10, (gain, gain / se)


def test_several_periods_per_year_split_the_year_budget():
    kw = small_model()
    spec = prepare(**kw, Bs=np.ones((2, 1)))
    S = 4
    two = PPICountry(spec, [None] * S, 2, draws=_generator_fns(9, range(S)))
    one = PPICountry(spec, [None] * S, 1, draws=_generator_fns(9, range(S)))
    for _ in range(3):
        y2 = two.step(np.full((S, 2), 80.0))
        one.step(np.full((S, 2), 40.0))
        y1 = one.step(np.full((S, 2), 40.0))
    np.testing.assert_array_equal(y2.I, y1.I)
    assert two.periods == 6


# --------------------------------------------------------------------------- the scenario

def test_the_example_validates_with_start_scores_from_the_indicators(example):
    ken = example.countries[KEN]
    assert ken.id == "KEN" and ken.ppi is not None
    assert Path(ken.ppi.tables).is_absolute()
    tab = load_country_tables(ken.ppi.tables, ken.ppi.parameters)
    ids = {x: i for i, x in enumerate(tab.ids)}
    want = [100 * tab.spec.I0[[ids[x] for x in ken.ppi.goal_scores[g].indicators]].mean() for g in ("SDG3", "SDG6")]
    assert ken.scores["SDG3"] == pytest.approx(want[0], abs=1e-12) == pytest.approx(50.9, abs=1e-6)
    assert ken.scores["SDG6"] == pytest.approx(want[1], abs=1e-12) == pytest.approx(46.7, abs=1e-6)


def test_ppi_goal_scores_are_the_indicator_levels_and_money_is_conserved(model):
    assert model.ledger.imbalance().max() < 1e-9
    hook = model.ppi
    levels = hook.countries[0].levels
    np.testing.assert_array_equal(model.scores[:, KEN, PPI_GOALS],
                                  goal_scores(levels, hook.score_cols[0], hook.scales[0]))
    h = model.history["scores"]
    assert (h >= 0).all() and (h <= 100).all()
    assert np.ptp(h[-1, :, KEN, 1]) > 0  # PPI is stochastic: replications differ


def test_ppi_diversion_is_booked_as_leaked(example):
    seeds = rng.replication_seeds(5, 4)
    with_ppi = run(example, seeds)
    base = run(load_scenario(Path(__file__).parents[1] / "scenarios" / "baseline.yaml"), seeds)
    # the same sources in the first year (later, donors react to different scores)
    np.testing.assert_allclose(with_ppi.ledger.balance[0, :, 0], base.ledger.balance[0, :, 0], rtol=1e-12)
    # KEN's SDG3/6 money loses PPI's diversion instead of the model's governance leakage
    leak_ppi, leak_base = with_ppi.ledger.balance[..., 2], base.ledger.balance[..., 2]
    assert (np.abs(leak_ppi - leak_base) > 1e6).all()
    assert with_ppi.ledger.imbalance().max() < 1e-9
    # the other countries' scores are those of the baseline in year 1 (before donors react)
    others = [i for i in range(10) if i != KEN]
    np.testing.assert_allclose(with_ppi.history["scores"][1][:, others], base.history["scores"][1][:, others],
                               rtol=1e-12)


def test_same_seed_same_results_for_any_batch_size(example, model):
    seeds = rng.replication_seeds(5, 16)
    parts = [run(example, seeds[a:b]).history["scores"] for a, b in ((0, 3), (3, 4), (4, 16))]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), model.history["scores"])


def test_more_domestic_money_raises_the_ppi_goals(model):
    rich = run(load_scenario(EXAMPLE, ["countries.KEN.domestic_sdg_share=0.2"]), rng.replication_seeds(5, 16))
    more = rich.history["scores"][-1, :, KEN, PPI_GOALS].mean(axis=0)
    base = model.history["scores"][-1, :, KEN, PPI_GOALS].mean(axis=0)
    assert (more > base + 0.5).all(), (more, base)


def test_with_zero_money_the_ppi_goals_follow_ppis_own_dynamics():
    sc = load_scenario(EXAMPLE, ["countries.KEN.domestic_sdg_share=0", "donors=[]", "partnerships=[]"])
    S = 6
    seeds = rng.replication_seeds(2, S)
    m = run(sc, seeds)
    assert m.ledger.imbalance().max() < 1e-9
    # reference: PPI's engine with zero (= 1e-11) budgets in every period, on the same streams
    ken = sc.countries[KEN]
    tab = load_country_tables(ken.ppi.tables, ken.ppi.parameters)
    T = m.T
    spec = prepare(tab.spec.I0, tab.spec.alphas, tab.spec.alphas_prime, tab.spec.betas, A=tab.spec.A,
                   R=tab.spec.R.astype(float), qm=tab.spec.qm.values, rl=tab.spec.rl.values,
                   Bs=np.full((tab.spec.K, T + 1), 1e-11),
                   B_dict={int(i): [k for k, mem in enumerate(tab.spec.prog_members) if p in mem]
                           for p, i in enumerate(tab.spec.inst)})
    ispec, order = internal_order(spec)
    src = UniformSource(setup_length(ispec), 2 * ispec.n + ispec.N, T + 1, S)
    u_setup = src.start([rng.stream(s, "ppi", "KEN").random for s in seeds], fills=True)
    rec = _Recorder(S, T + 1, ispec.N, ispec.n, "series")
    _simulate_chunk(ispec, order, src, u_setup, rec, 0, exact_parts(ispec.A), Allocator(ispec))
    levels = rec.series["I"]  # (S, T + 1, N): level at the start of each period
    hook = m.ppi
    for t in range(T + 1):
        want = goal_scores(levels[:, t], hook.score_cols[0], hook.scales[0])
        np.testing.assert_array_equal(m.history["scores"][t][:, KEN, PPI_GOALS], want)
    # without money PPI indicators do not improve: γ is ~0, so they fall by α' every period
    assert (m.history["scores"][-1][:, KEN, PPI_GOALS] < m.history["scores"][0][:, KEN, PPI_GOALS]).all()


# --------------------------------------------------------------------------- errors

def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(f"extends: {EXAMPLE}\n" + body)
    return p


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        load_scenario(path)
    return [str(p) for p in err.value.problems]


@pytest.mark.parametrize("body, line, field, words", [
    ("countries:\n  - id: KEN\n    ppi:\n      programmes:\n        SDG6: {sanitation: 0.3, santation: 0.1}\n",
     5, "countries.KEN.ppi.programmes.SDG6.santation", "did you mean 'sanitation'"),
    ("countries:\n  - id: KEN\n    ppi:\n      programmes:\n        SDG6: {sanitation: 0.1}\n",
     5, "countries.KEN.ppi.programmes.SDG6", "shares sum to 0.7"),
    ("countries:\n  - id: KEN\n    ppi:\n      goal_scores:\n        SDG3: {indicators: [h_nothing], scale: [0, 1]}\n",
     5, "countries.KEN.ppi.goal_scores.SDG3.indicators.0", "unknown indicator 'h_nothing'"),
    ("countries:\n  - id: KEN\n    ppi:\n      goal_scores:\n"
     "        SDG3: {indicators: [h_immunisation], scale: [1, 0]}\n",
     5, "countries.KEN.ppi.goal_scores.SDG3.scale", "lo < hi"),
    ("countries:\n  - id: KEN\n    scores: {SDG3: 40}\n",
     3, "countries.KEN.scores.SDG3", "initial levels give 50.9"),
    ("countries:\n  - id: KEN\n    ppi:\n      tables: nowhere\n",
     4, "countries.KEN.ppi.tables", "'nowhere' not found"),
    ("countries:\n  - id: KEN\n    ppi:\n      usd_per_budget_unit: 0\n",
     4, "countries.KEN.ppi.usd_per_budget_unit", "below the minimum"),
    ("countries:\n  - id: KEN\n    ppi:\n      periods_per_year: 0\n",
     4, "countries.KEN.ppi.periods_per_year", "below the minimum"),
    ("countries:\n  - id: KEN\n    ppi:\n      compat: '3.0.8'\n",
     4, "countries.KEN.ppi.compat", "allowed: one of 3.0.7, fixed"),
    ("countries:\n  - id: KEN\n    ppi:\n      programme: {}\n",
     4, "countries.KEN.ppi.programme", "unknown field 'programme'"),
    ("countries:\n  - id: KEN\n    ppi:\n      programmes:\n        SDG2: {sanitation: 1.0}\n"
     "      goal_scores:\n        SDG7: {indicators: [w_wastewater], scale: [0, 1]}\n",
     4, "countries.KEN.ppi.programmes", "no programmes for goal SDG7"),
])
def test_a_bad_ppi_block_gives_located_errors(tmp_path, body, line, field, words):
    found = problems(write(tmp_path, body))
    want = f"{tmp_path / 's.yaml'}:{line + 1}: {field}: "  # + 1: the `extends:` line
    assert any(p.startswith(want) and words in p for p in found), found


def test_a_bad_ppi_table_is_located_in_the_table(tmp_path):
    tables = tmp_path / "tables"
    shutil.copytree(HERE, tables, ignore=shutil.ignore_patterns("*.yaml", "*.py"))
    rows = (tables / "indicators.csv").read_text().splitlines()
    rows[2] = rows[2].replace("0.55", "abc", 1)
    (tables / "indicators.csv").write_text("\n".join(rows) + "\n")
    body = f"countries:\n  - id: KEN\n    ppi:\n      tables: tables\n      parameters: {HERE / 'parameters.csv'}\n"
    found = problems(write(tmp_path, body))
    assert found == [f"{tables.resolve() / 'indicators.csv'}:3: I0: 'abc' is not a number (expected a number)"], found


def test_sdgsim_run_on_the_example_writes_results(tmp_path):
    out = tmp_path / "r"
    res = CliRunner().invoke(main, ["run", str(EXAMPLE), "--runs", "3", "--seed", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(out / "scores.parquet")
    ken = scores[(scores.country == "KEN") & (scores.goal == "SDG3")]
    assert len(ken) == 3 * 11 and ken[ken.year == 2020].score.eq(ken[ken.year == 2020].score.iloc[0]).all()
    bad = write(tmp_path, "countries:\n  - id: KEN\n    ppi:\n      usd_per_budget_unit: -1\n")
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2 and "countries.KEN.ppi.usd_per_budget_unit" in res.output
