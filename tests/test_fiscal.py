"""Fiscal space, loans and debt levers (docs/model.md "Fiscal space, loans and debt"): domestic money
comes from revenue less debt service, loans are repaid and shrink later fiscal space, the DAC counts
them at their grant equivalent, and a swap commits freed debt service to goals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.errors import InputError
from simulation.experiments.replications import run_scenario
from simulation.mechanisms import fiscal as fs
from simulation.model import FinancingModel, rng
from simulation.model.fiscal import FIELDS
from simulation.model.ledger import ACCOUNTS
from simulation.outcomes.registry import column_values
from simulation.scenario import load_scenario
from tests.factory import BASELINE, no_noise, run_model, scenario, small_dict

DEBT, SPACE, RELIEF, LOANS, GE = (FIELDS.index(x) for x in FIELDS)


def fiscal_dict(loan_share: float = 0.0, **terms) -> dict:
    """The small scenario with fiscal blocks for AAA and BBB (CCC keeps a share of GDP) and a donor
    that lends `loan_share` of its grants on short terms, so that repayments fall in the horizon."""
    d = small_dict()
    d["countries"][0]["fiscal"] = {"revenue_share": 0.15, "debt_service_usd": [1.0e9, 1.2e9, 1.5e9, 1.4e9],
                                   "income_group": "LDC"}
    d["countries"][1]["fiscal"] = {"revenue_share": 0.25, "debt_service_usd": [0.8e9], "income_group": "UMIC"}
    d["donors"][0]["loan_share"] = loan_share
    d["donors"][0]["loan_terms"] = {"rate": 0.02, "grace_years": 1, "maturity_years": 5, **terms}
    return d


def domestic_flows(m: FinancingModel) -> np.ndarray:
    """(T, C) domestic spending, mean over replications, from the ledger's flows."""
    return m.ledger.blocks["domestic"].total.sum(axis=-1) / m.S


# ------------------------------------------------------------------ the arithmetic


@settings(max_examples=200, deadline=None)
@given(st.floats(1e8, 1e11), st.floats(0, 1e10), st.floats(0, 1e10), st.floats(0.01, 1.0), st.floats(0.0, 1.0),
       st.floats(1e9, 1e11))
def test_higher_debt_service_never_raises_domestic_spending(revenue, service, more, average, marginal, path):
    low = fs.domestic_from_space(np.array(revenue - service), np.array(path), average, marginal)
    high = fs.domestic_from_space(np.array(revenue - service - more), np.array(path), average, marginal)
    assert high <= low and high >= 0


def test_on_its_path_fiscal_space_gives_the_scenarios_domestic_share():
    # revenue and debt service at their start shares of GDP: the goals get their start share of fiscal space
    assert fs.domestic_from_space(np.array(70.0), np.array(70.0), 0.2, 0.9) == pytest.approx(14.0)


@given(st.floats(0.0, 0.1), st.integers(0, 10), st.integers(1, 30))
def test_a_loan_is_repaid_in_full_with_interest_on_what_is_outstanding(rate, grace, extra):
    unit = fs.loan_schedule(rate, grace, grace + extra)
    assert unit[:, 0].sum() == pytest.approx(1.0)
    assert (unit[:grace, 0] == 0).all()
    outstanding = 1.0 - np.concatenate([[0.0], np.cumsum(unit[:, 0])[:-1]])
    np.testing.assert_allclose(unit[:, 1], rate * outstanding, atol=1e-12)


def test_grant_element_is_zero_at_the_discount_rate_and_rises_with_concessionality():
    at_market = fs.loan_schedule(0.07, 5, 20)
    assert fs.grant_element(at_market, 0.07) == pytest.approx(0.0, abs=1e-12)
    ida = fs.loan_schedule(0.0075, 6, 38)
    ge = {r: float(fs.grant_element(ida, r)) for r in (0.06, 0.07, 0.09)}
    assert 0 < ge[0.06] < ge[0.07] < ge[0.09] < 1  # the DAC's higher rates for poorer countries count more
    assert fs.grant_element(fs.loan_schedule(0.0075, 10, 40), 0.09) > ge[0.09]


def test_scheduled_service_carries_its_share_of_gdp_beyond_the_data():
    s = fs.debt_schedule([100.0, 110.0], 2020, 2018, 6, 0.05)
    np.testing.assert_allclose(s, [100 / 1.05**2, 100 / 1.05, 100, 110, 110 * 1.05, 110 * 1.05**2])


# ------------------------------------------------------------------ the model


def test_money_is_conserved_with_loans_and_repayments_are_booked():
    m = run_model(scenario(fiscal_dict(0.5)), runs=4, record_flows="yearly")
    b = m.ledger.balance
    assert np.abs(b[..., 0] - b[..., 1:].sum(axis=-1)).max() <= 1e-9 * b[..., 0].max()
    lent, repaid, interest = (m.ledger.loans[..., i].sum(axis=0) for i in range(3))
    assert (lent > 0).all() and (repaid > 0).all() and (interest > 0).all()
    assert m.ledger.loan_imbalance(m.loan_outstanding.sum(axis=1)).max() <= 1e-12
    np.testing.assert_allclose(m.loan_outstanding, m.loan_due[:, :, m.T:, 0].sum(axis=-1), rtol=1e-12)
    flows = m.ledger.blocks
    assert flows["repayment"].total.sum() == pytest.approx((repaid + interest).sum(), rel=1e-12)
    assert flows["donor:loan"].total.sum() == pytest.approx(lent.sum(), rel=1e-12)


def test_the_facility_lends_on_its_own_terms_and_its_loans_are_repaid():
    d = fiscal_dict()
    d["donors"][0]["pooled_share"] = 0.5
    d["facility"] = {"strategy": "needs", "payout_rate": 1.0, "start_lag_years": 0, "loan_share": 1.0,
                     "loan_terms": {"rate": 0.01, "grace_years": 2, "maturity_years": 4}}
    m = run_model(scenario(d), runs=2, record_flows="yearly")
    lent = m.ledger.blocks["facility:loan"].total.sum()
    assert lent > 0 and "facility:grant" in m.ledger.blocks
    assert m.ledger.blocks["facility:grant"].total.sum() == 0  # all of its grant window is lent
    assert m.ledger.loans[..., 0].sum() == pytest.approx(lent, rel=1e-12)  # the donor gives grants only
    assert m.ledger.loan_imbalance(m.loan_outstanding.sum(axis=1)).max() <= 1e-12
    assert (m.ledger.loans[..., 1].sum(axis=0) > 0).all()  # repaid within the horizon (4-year maturity)


def test_loans_add_to_later_debt_service_and_shrink_fiscal_space_and_domestic_money():
    grants = run_model(scenario(no_noise(fiscal_dict(0.0))), runs=2, record_flows="yearly")
    loans = run_model(scenario(no_noise(fiscal_dict(0.6))), runs=2, record_flows="yearly")
    g, ln = grants.history["fiscal"], loans.history["fiscal"]
    assert np.array_equal(g[0, ..., DEBT], ln[0, ..., DEBT], equal_nan=True)  # nothing due in year 0
    fiscal = [0, 1]  # AAA, BBB; CCC has no fiscal block
    assert (ln[2:, :, fiscal, DEBT] > g[2:, :, fiscal, DEBT]).all()
    assert (ln[2:, :, fiscal, SPACE] < g[2:, :, fiscal, SPACE]).all()
    assert (domestic_flows(loans)[2:, fiscal] < domestic_flows(grants)[2:, fiscal]).all()
    assert np.isnan(ln[..., 2, DEBT]).all() and (ln[..., 2, LOANS] >= 0).all()
    # the DAC's measure counts the loans at less than face value, grants at face value
    assert (ln[..., GE].sum(axis=(0, 2)) < g[..., GE].sum(axis=(0, 2))).all()
    assert (ln[..., LOANS].sum() > 0) and (g[..., LOANS].sum() == 0)


def test_a_swap_that_frees_nothing_changes_nothing():
    plain = run_model(scenario(fiscal_dict()), runs=3)
    for lever in ({"kind": "swap", "countries": ["AAA"], "start_year": 2021, "duration_years": 3, "share": 0.0,
                   "goals": ["SDG3"]},
                  {"kind": "swap", "countries": ["BBB"], "start_year": 2021, "duration_years": 3, "share": 0.5,
                   "commitment": 0.0, "transaction_cost": 0.0, "goals": ["SDG3"]}):
        d = fiscal_dict()
        if lever["share"]:  # BBB owes nothing: a swap of its (empty) service frees nothing
            d["countries"][1]["fiscal"]["debt_service_usd"] = []
        d["debt_levers"] = [lever]
        m = run_model(scenario(d), runs=3)
        assert np.array_equal(m.history["scores"], plain.history["scores"])
        assert np.array_equal(m.ledger.balance, plain.ledger.balance)


def test_a_swap_commits_freed_service_to_its_goals_less_its_cost():
    d = no_noise(fiscal_dict())
    d["debt_levers"] = [{"kind": "swap", "countries": ["AAA"], "start_year": 2021, "duration_years": 2, "share": 0.5,
                         "commitment": 0.6, "goals": ["SDG3"], "transaction_cost": 0.1}]
    plain, swap = run_model(scenario(no_noise(fiscal_dict())), runs=2), run_model(scenario(d), runs=2)
    freed = 0.5 * np.array([1.2e9, 1.5e9])
    np.testing.assert_allclose(swap.history["fiscal"][1:3, 0, 0, RELIEF], freed)
    np.testing.assert_allclose(plain.history["fiscal"][1:3, 0, 0, DEBT] - swap.history["fiscal"][1:3, 0, 0, DEBT],
                               freed)
    # fiscal space rises by the uncommitted part only; the committed part, less its cost, goes to SDG 3
    np.testing.assert_allclose(swap.history["fiscal"][1:3, 0, 0, SPACE] - plain.history["fiscal"][1:3, 0, 0, SPACE],
                               0.4 * freed, rtol=1e-9)
    # in the swap's first year (donors planned on the same scores) the extra overhead is the swap's cost
    overhead = ACCOUNTS.index("overhead")
    extra = swap.ledger.balance[1, 0, overhead] - plain.ledger.balance[1, 0, overhead]
    assert extra == pytest.approx(0.1 * 0.6 * freed[0], rel=1e-9)
    b = swap.ledger.balance
    assert np.abs(b[..., 0] - b[..., 1:].sum(axis=-1)).max() <= 1e-9 * b[..., 0].max()


def test_relief_raises_domestic_money_and_people_reached_in_the_baseline():
    base = load_scenario(BASELINE)
    d = base.model_dump(mode="json")
    d["debt_levers"] = [{"kind": "relief", "countries": ["ETH", "GHA", "KEN"], "start_year": 2020,
                         "duration_years": 10, "share": 0.5}]
    relieved = scenario(d)
    a, b = (run_scenario(s, runs=4, seed=2, record_flows=False) for s in (base, relieved))
    gain = [f"people_gain:{i}" for i in ("SH.DYN.MORT", "SH.H2O.BASW.ZS", "EG.ELC.ACCS.ZS")]
    va, vb = column_values(a, gain + ["debt_relief_usd"]), column_values(b, gain + ["debt_relief_usd"])
    assert (va["debt_relief_usd"] == 0).all() and (vb["debt_relief_usd"] > 1e10).all()
    for key in gain:
        assert (vb[key] >= va[key]).all(), key


def test_fiscal_arrays_have_the_replication_axis_and_a_batch_equals_its_scenarios_alone():
    a = fiscal_dict(0.3)
    b = fiscal_dict(0.3)
    b["countries"][0]["fiscal"]["revenue_share"] = 0.2
    b["debt_levers"] = [{"kind": "relief", "countries": ["AAA"], "start_year": 2022, "share": 0.4}]
    a["debt_levers"] = [{"kind": "relief", "countries": ["AAA"], "start_year": 2022, "share": 0.1}]
    sa, sb = scenario(a), scenario(b)
    seeds = rng.replication_seeds(5, 6)
    batch = FinancingModel.batch([(sa, seeds[:3]), (sb, seeds[3:])]).run()
    assert batch.p.fiscal.revenue0.shape == (6, 3) and batch.p.fiscal.relief.shape == (8, 6, 3)
    assert batch.history["fiscal"].shape == (8, 6, 3, len(FIELDS))
    alone = [FinancingModel(sa, seeds[:3], record_flows=False).run(), FinancingModel(sb, seeds[3:], record_flows=False).run()]
    np.testing.assert_array_equal(batch.history["fiscal"][:, :3], alone[0].history["fiscal"])
    np.testing.assert_array_equal(batch.history["fiscal"][:, 3:], alone[1].history["fiscal"])
    np.testing.assert_array_equal(batch.history["scores"][:, 3:], alone[1].history["scores"])


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("change, where, words", [
    (lambda d: d["donors"][0]["loan_terms"].update(maturity_years=1), "donors.D1.loan_terms.maturity_years",
     "not after grace_years 1"),
    (lambda d: d["countries"][0]["fiscal"].update(revenue_share=0.001), "countries.AAA.fiscal.revenue_share",
     "does not exceed the start year's debt service"),
    (lambda d: d.update(debt_levers=[{"kind": "relief", "countries": ["CCC"], "start_year": 2021, "share": 0.2}]),
     "debt_levers.0.countries.0", "'CCC' has no fiscal block"),
    (lambda d: d.update(debt_levers=[{"kind": "swap", "countries": ["AAA"], "start_year": 2021, "share": 0.2,
                                      "goals": ["SDG9"]}]), "debt_levers.0.goals.0", "unknown goal 'SDG9'"),
    (lambda d: d.update(debt_levers=[{"kind": "relief", "countries": ["AAA"], "start_year": 2021, "share": 0.2,
                                      "goals": ["SDG3"]}]), "debt_levers.0.goals", "unknown field 'goals'"),
    (lambda d: d.update(debt_levers=[{"kind": "loan", "countries": ["AAA"], "start_year": 2021, "share": 0.2}]),
     "debt_levers.0.kind", "unknown debt lever kind 'loan' (allowed: relief, swap)"),
    (lambda d: d.update(debt_levers=[{"kind": "relief", "countries": ["AAA"], "start_year": 2041, "share": 0.2}]),
     "debt_levers.0.start_year", "outside the simulated years"),
])
def test_bad_fiscal_input_is_a_located_error(change, where, words):
    d = fiscal_dict()
    change(d)
    with pytest.raises(InputError) as e:
        scenario(d)
    text = str(e.value)
    assert where in text and words in text, text


def test_a_revenue_share_outside_the_schemas_range_gives_no_fiscal_block_and_says_why():
    """Timor-Leste's WDI revenue is 274 % of GDP in 2010 (a resource fund against a small GDP):
    `sdgsim new --group oda-recipients` stopped on it; the country keeps a share of GDP instead."""
    from simulation.data.fiscal import fiscal_block
    from simulation.scenario.schema import Fiscal
    from simulation.scenario.typeinfo import field_range

    allowed = field_range(Fiscal, "revenue_share")
    block, sources = fiscal_block("TLS", 2010, 2023, 1e9, revenue_share=allowed)
    assert block is None and "outside what fiscal.revenue_share allows (0 < value <= 1" in sources["fiscal"]
    assert fiscal_block("GHA", 2024, 2035, 7e10, revenue_share=allowed)[0] is not None  # an ordinary share


def test_the_revenue_share_bound_is_the_schemas_alone():
    """One source of truth: sdgsim new applies the schema's bound on fiscal.revenue_share (passed
    down in its templates, as the data layer cannot import the schema), no literal of its own."""
    from simulation.api.new import _templates
    from simulation.data.fiscal import fiscal_block
    from simulation.scenario.schema import Fiscal
    from simulation.scenario.typeinfo import Range, field_range

    allowed = _templates().ranges["fiscal.revenue_share"]
    assert allowed == field_range(Fiscal, "revenue_share") == Range(0.0, True, 1.0, False)
    assert 1.0 in allowed and 0.0 not in allowed and 1.0001 not in allowed
    gha = fiscal_block("GHA", 2024, 2035, 7e10, revenue_share=allowed)[0]["revenue_share"]
    tighter = Range(0.0, True, gha / 2, False)  # a narrower schema refuses the same data, in its own words
    block, sources = fiscal_block("GHA", 2024, 2035, 7e10, revenue_share=tighter)
    assert block is None and f"(0 < value <= {gha / 2:g}, a share of GDP)" in sources["fiscal"]
