"""Why pooled funds exist (docs/model.md "Pooled funds"): each mechanism alone, then in the model.

Recipient transaction costs per channel, the cost of unpredictable money, a facility's reserve
and start-up lag, risk sharing in its blended window, its capacity window, and coordination.
Each can make pooling win or lose; these tests pin down the direction of each effect.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.mechanisms import channels
from simulation.model import ACCOUNTS, FinancingModel
from simulation.scenario import Scenario, validate_data
from tests.factory import baseline, no_noise, run_model, scenario, small_dict

money = st.floats(min_value=1e6, max_value=1e10, allow_nan=False)  # channels whose cost is below their flow


# ---------------------------------------------------------------- the mechanisms alone

@given(st.lists(money, min_size=2, max_size=8), st.floats(0.0, 0.99))
def test_one_channel_costs_its_recipient_less_than_several_carrying_the_same_money(flows, elasticity):
    many = channels.recipient_cost(np.array(flows)[None, :, None], 0.05, 1e7, elasticity).sum()
    one = channels.recipient_cost(np.array([[[sum(flows)]]]), 0.05, 1e7, elasticity).sum()
    assert one < many


@given(money, money)
def test_recipient_cost_is_a_flat_rate_at_elasticity_one_and_never_more_than_the_flow(a, b):
    flows = np.array([a, b])[None, :, None]
    np.testing.assert_allclose(channels.recipient_cost(flows, 0.05, 1e7, 1.0), 0.05 * flows)
    assert (channels.recipient_cost(flows, 0.5, 1e7, 0.0) <= flows).all()
    assert channels.recipient_cost(np.zeros((1, 1, 1)), 0.05, 1e7, 0.5)[0, 0, 0] == 0.0


@given(money, st.floats(0.5, 1.5), st.floats(-0.9, 0.9))
def test_only_surprises_cost_and_bigger_surprises_cost_more(previous, growth, surprise):
    prev = np.array([[[previous]]])
    planned = channels.planned_flow(prev * growth, prev, np.array([[growth]]))[:, 0]  # (S, C)
    on_plan = channels.volatility_loss((prev * growth)[:, 0], planned, 4.0)
    assert on_plan[0, 0] == pytest.approx(0.0, abs=1e-6 * previous)
    small_flow, big_flow = planned * (1 + surprise / 2), planned * (1 + surprise)
    small = channels.volatility_loss(small_flow, planned, 4.0)
    big = channels.volatility_loss(big_flow, planned, 4.0)
    assert big[0, 0] / big_flow[0, 0] >= small[0, 0] / small_flow[0, 0] - 1e-12
    assert 0.0 <= big[0, 0] <= big_flow[0, 0]


def test_a_new_channel_and_the_first_year_are_not_surprises():
    flow = np.array([[[5e6, 3e6]]])
    assert np.array_equal(channels.planned_flow(flow, None, np.ones((1, 1))), flow)
    assert np.array_equal(channels.planned_flow(flow, np.zeros_like(flow), np.ones((1, 1))), flow)


@given(money, st.floats(0.05, 0.9))
def test_surprises_of_two_funders_offset_in_the_recipients_total_aid(flow, surprise):
    # two funders of the same size give one country: one more than planned, the other as much less
    previous = np.array([[[flow], [flow]]])  # (S, F, C)
    now = previous * np.array([[[1 + surprise], [1 - surprise]]])
    planned = channels.planned_flow(now, previous, np.ones((1, 2)))
    total = channels.volatility_loss(now.sum(axis=1), planned.sum(axis=1), 4.0)
    assert total[0, 0] == pytest.approx(0.0, abs=1e-9 * flow)
    # measured channel by channel, as before, each surprise would have cost
    alone = channels.volatility_loss(now[:, 0], planned[:, 0], 4.0)
    assert alone[0, 0] > 0


@given(st.floats(0.0, 2.0), st.floats(0.0, 1.0), st.floats(0.05, 3.0))
def test_risk_sharing_helps_only_while_its_guarantee_fund_is_cheap(risk, provisioning, leverage):
    # what one committed blended dollar puts to work: itself and the private money it mobilises
    held = channels.provision_share(risk, provisioning, leverage)
    at_work = (1 - held) * (1 + leverage * (1 + risk))
    without = 1 + leverage
    assert 0.0 <= held < 1.0
    if risk > 1e-3 and provisioning < 1 / (1 + leverage) - 1e-3:
        assert at_work > without
    if risk > 1e-3 and provisioning > 1 / (1 + leverage) + 1e-3:
        assert at_work < without


@given(st.lists(st.floats(0.0, 1e9), min_size=1, max_size=30), st.floats(0.05, 1.0), st.floats(0.0, 5.0))
def test_the_reserve_conserves_money(inflows, payout, lag):
    reserve, paid_total = np.zeros(1), 0.0
    for t, x in enumerate(inflows):
        paid, reserve = channels.reserve_step(reserve, np.array([x]), payout, channels.ramp(t, lag))
        assert paid[0] >= 0 and reserve[0] >= -1e-6
        paid_total += paid[0]
    assert paid_total + reserve[0] == pytest.approx(sum(inflows), rel=1e-9, abs=1e-3)


def test_a_reserve_smooths_what_recipients_receive():
    rng = np.random.default_rng(0)
    inflow = 1e8 * np.exp(0.2 * rng.standard_normal(400))
    out = {}
    for payout in (1.0, 0.5, 0.3):
        reserve, paid = np.zeros(1), []
        for x in inflow:
            p, reserve = channels.reserve_step(reserve, np.array([x]), payout, 1.0)
            paid.append(p[0])
        paid = np.array(paid[50:])
        out[payout] = np.std(np.diff(paid) / paid[:-1])
    assert out[0.3] < out[0.5] < out[1.0]


def test_a_new_facility_ramps_up_over_its_lag():
    assert channels.ramp(0, 0.0) == 1.0
    shares = [channels.ramp(t, 2.0) for t in range(5)]
    assert shares == sorted(shares) and shares[0] == pytest.approx(1 / 3) and shares[2:] == [1.0, 1.0, 1.0]


@given(st.floats(1e6, 1e9), st.floats(1e6, 1e9))
@settings(max_examples=30)
def test_coordination_keeps_each_budget_and_moves_money_out_of_crowded_cells(a, b):
    # two funders, one country, two goals; both put most of their money into goal 0
    plans = np.array([[[[0.8 * a, 0.2 * a]], [[0.9 * b, 0.1 * b]]]])  # (1, 2, 1, 2)
    mask = np.ones((2, 1, 2), dtype=bool)
    out = channels.coordinate(plans, mask, per_usd=np.array([1e-7]), spend_scale=np.array([30.0, 30.0]))
    np.testing.assert_allclose(out.sum(axis=(-2, -1)), plans.sum(axis=(-2, -1)), rtol=1e-12)
    assert out[..., 0].sum() < plans[..., 0].sum()
    assert (out >= 0).all()


def test_a_funder_coordinating_with_no_one_keeps_its_plan():
    plans = np.random.default_rng(1).random((3, 1, 4, 2))
    assert np.array_equal(channels.coordinate(plans, np.ones((1, 4, 2), bool), np.ones(4), np.ones(2)), plans)


# ---------------------------------------------------------------- in the model

def _pooled(**facility) -> dict:
    d = small_dict()
    d["facility"] = {"overhead_rate": 0.03, "channel_cost_usd": 5e5, "blended_share": 0.3, **facility}
    for donor in d["donors"]:
        donor["pooled_share"] = 0.5
    return d


def _account(m: FinancingModel, name: str) -> np.ndarray:
    return m.ledger.balance[..., ACCOUNTS.index(name)]


def _balanced(m: FinancingModel) -> None:
    assert m.ledger.imbalance().max() < 1e-9


def test_money_is_conserved_with_a_reserve_a_lag_and_every_window():
    d = _pooled(payout_rate=0.4, start_lag_years=3, capacity_share=0.2, risk_sharing=0.5)
    d["research_bodies"] = []  # their unspent budgets would mix with the facility's reserve
    m = run_model(scenario(d))
    _balanced(m)
    unspent = _account(m, "unspent")
    assert (unspent[:3] > 0).all(), "a new facility builds its reserve in its first years"
    assert m.facility_guarantee.min() > 0, "risk sharing holds a guarantee fund"
    assert unspent.sum(axis=0) == pytest.approx(m.facility_reserve + m.facility_guarantee, rel=1e-9), \
        "what it holds at the end"


def test_risk_sharing_raises_the_private_money_a_facility_mobilises():
    private = [run_model(scenario(_pooled(risk_sharing=r))).history["private"].sum() for r in (0.0, 0.5, 1.0)]
    assert private[0] < private[1] < private[2]


def test_risk_sharing_costs_what_its_guarantee_fund_holds_idle():
    def run(risk: float, provisioning: float) -> FinancingModel:
        return run_model(scenario(_pooled(risk_sharing=risk, guarantee_provisioning=provisioning)))
    free, cheap, dear = run(0.0, 1.0), run(1.0, 0.1), run(1.0, 1.0)
    assert free.facility_guarantee.max() == 0.0
    assert 0 < cheap.facility_guarantee.min() < dear.facility_guarantee.min()
    spent = {k: _account(m, "spent").sum() for k, m in (("free", free), ("cheap", cheap), ("dear", dear))}
    # small_dict's leverage is 0.5-2: a 10 % guarantee fund pays for itself, a cash-funded one does not
    assert spent["cheap"] > spent["free"] > spent["dear"]


def test_the_capacity_window_builds_capacity():
    cap = [run_model(scenario(_pooled(capacity_share=s))).capacity.mean() for s in (0.0, 0.3)]
    assert cap[1] > cap[0]


def test_a_longer_start_up_lag_pays_out_less_early():
    first = [_account(run_model(scenario(_pooled(start_lag_years=lag))), "unspent")[0].mean() for lag in (0, 2, 5)]
    assert first[0] < first[1] < first[2]


def test_budgets_on_plan_lose_little_to_volatility_and_noisy_ones_much_more():
    def loss(noise: float) -> float:
        d = small_dict()
        for donor in d["donors"]:
            donor["noise_sd"] = noise
        d["channels"] = {"recipient_cost_share": 0.0, "volatility_cost": 4.0}
        with_cost = _account(run_model(scenario(d)), "overhead").sum()
        d["channels"]["volatility_cost"] = 0.0
        return with_cost - _account(run_model(scenario(d)), "overhead").sum()
    # on plan, only the small shifts of allocations between countries as scores move are surprises
    assert 0.0 <= loss(0.0) < 0.1 * loss(0.1)


def test_noisier_budgets_lose_more_to_volatility():
    def overhead(noise: float) -> float:
        d = small_dict()
        for donor in d["donors"]:
            donor["noise_sd"] = noise
        return _account(run_model(scenario(d), runs=8), "overhead").sum()
    assert overhead(0.0) < overhead(0.1) < overhead(0.3)


def test_coordinated_donors_spread_money_over_more_cells():
    def concentration(coordinated: bool) -> float:
        d = no_noise(small_dict())
        for donor in d["donors"]:
            donor["coordinated"] = coordinated
            donor["strategy"] = "needs"
        m = run_model(scenario(d), runs=1, record_flows=True)
        f = m.ledger.flows_frame(np.arange(1), scenario(d).years[:-1])
        cells = f[f.source.isin(["D1", "D2"]) & (f.instrument == "grant")].groupby(["recipient", "goal"],
                                                                                   observed=True).amount_usd.sum()
        share = cells / cells.sum()
        return float((share ** 2).sum())  # Herfindahl of the donors' combined grants
    assert concentration(True) < concentration(False)


def test_the_facility_and_a_coordinated_donor_plan_together_but_an_uncoordinated_one_does_not():
    base = _pooled()
    alone = run_model(scenario(base), runs=1, record_flows=True)
    for donor in base["donors"]:
        donor["coordinated"] = True
    together = run_model(scenario(base), runs=1, record_flows=True)
    assert not np.array_equal(alone.scores, together.scores)
    base["facility"]["coordinated"] = False
    for donor in base["donors"][1:]:
        donor["coordinated"] = False
    one = run_model(scenario(base), runs=1, record_flows=True)  # one coordinated donor: no one to plan with
    assert np.array_equal(one.scores, alone.scores)


def test_a_facility_whose_windows_exceed_its_payout_is_refused():
    from simulation.errors import InputError
    with pytest.raises(InputError, match="blended_share \\+ capacity_share"):
        scenario(_pooled(blended_share=0.7, capacity_share=0.5))


# ---------------------------------------------------------------- pooling alone changes nothing

def _neutral_pooling(pooled: float, **facility) -> Scenario:
    """The baseline with Japan pooling `pooled` of its aid into a facility that does exactly what
    Japan does (its strategy, cells and overhead; no reserve, lag, risk sharing or coordination),
    fixed channel costs off and recipient costs proportional to the money (elasticity 1): every
    pooled-fund mechanism neutral."""
    d = baseline().model_dump(mode="json")
    d["channels"]["cost_elasticity"] = 1.0
    jpn = next(x for x in d["donors"] if x["id"] == "JPN-ODA")
    jpn.update(pooled_share=pooled, channel_cost_usd=0.0)
    d["facility"] = {"strategy": jpn["strategy"], "strategy_params": jpn["strategy_params"],
                     "eligible_countries": [c["id"] for c in d["countries"]], "overhead_rate": jpn["overhead_rate"],
                     "payout_rate": 1.0, "start_lag_years": 0.0, "risk_sharing": 0.0, "coordinated": False,
                     **facility}
    return validate_data(d, "<neutral pooling>")


def _blended_usd(m: FinancingModel) -> float:
    f = m.ledger.flows_frame(np.arange(m.S), m.scenario.years[:-1])
    return float(f[f.instrument == "blended"].amount_usd.sum())


def test_pooling_with_every_pooled_fund_mechanism_neutral_changes_nothing():
    bilateral = run_model(_neutral_pooling(0.0), runs=3)
    pooled = run_model(_neutral_pooling(0.2), runs=3)  # its windows: the pooled money's own mix
    np.testing.assert_allclose(pooled.history["indicators"], bilateral.history["indicators"], rtol=1e-9)
    np.testing.assert_allclose(pooled.history["scores"], bilateral.history["scores"], rtol=1e-9)
    np.testing.assert_allclose(pooled.history["private"], bilateral.history["private"], rtol=1e-9)
    for account in ("spent", "leaked", "overhead"):
        np.testing.assert_allclose(_account(pooled, account), _account(bilateral, account), rtol=1e-9)


def test_the_facilitys_windows_replace_the_pooled_moneys_mix_and_never_stack_on_it():
    japan = 0.10  # Japan's blended share in the baseline
    own = run_model(_neutral_pooling(0.2), runs=2, record_flows=True)
    stated = run_model(_neutral_pooling(0.2, blended_share=japan, capacity_share=0.05), runs=2, record_flows=True)
    none = run_model(_neutral_pooling(0.2, blended_share=0.0, capacity_share=0.0), runs=2, record_flows=True)
    more = run_model(_neutral_pooling(0.2, blended_share=0.3, capacity_share=0.05), runs=2, record_flows=True)
    bilateral = run_model(_neutral_pooling(0.0), runs=2, record_flows=True)
    assert _blended_usd(own) == pytest.approx(_blended_usd(bilateral), rel=1e-9)
    assert _blended_usd(stated) == pytest.approx(_blended_usd(bilateral), rel=1e-9)
    # windows at zero: the pooled fifth of Japan's blended money becomes grants, nothing more
    pooled_blended = _blended_usd(bilateral) - _blended_usd(none)
    assert pooled_blended > 0
    assert _blended_usd(more) - _blended_usd(bilateral) == pytest.approx(2.0 * pooled_blended, rel=0.02)
    # and no one is lost to an artefact: losing that blended money loses only what it mobilised
    people = {k: m.history["indicators"][-1].mean() for k, m in (("none", none), ("bilateral", bilateral))}
    assert people["none"] == pytest.approx(people["bilateral"], rel=1e-3)
