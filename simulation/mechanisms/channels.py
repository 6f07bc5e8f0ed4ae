"""Why pooled funds exist: channel costs to recipients, the cost of unpredictable money, a
facility's reserve and start-up, and coordination between funders (docs/model.md "Pooled funds").

Pure array functions. Shapes: S replications, F funders, C countries, G goals. Money in USD
per year.
"""

from __future__ import annotations

import numpy as np


def recipient_cost(flow: np.ndarray, share: float, reference: float, elasticity: float) -> np.ndarray:
    """Recipient-side transaction cost of each funder→country channel: missions, reports and
    separate project units the recipient must service.

    cost = share · reference · (flow / reference)^elasticity for a channel with a positive flow,
    at most the flow. Below elasticity 1 a channel's cost per dollar falls with its size, so one
    large channel (a pooled facility) costs its recipient less than several small ones carrying
    the same money. flow: (S, F, C) → (S, F, C); share, reference, elasticity: numbers or
    (1|S, 1, 1) (a batch of scenarios that differ in them).
    """
    exponents = np.reshape(elasticity, -1)
    if len(exponents) == 1:
        return _recipient_cost(flow, share, reference, float(exponents[0]))
    out = np.empty_like(flow)  # each exponent on its replications, as a number: NumPy's power
    S = (len(flow), 1, 1)  # differs in the last bit between a number and an array exponent
    for value in np.unique(exponents):
        rows = np.flatnonzero(exponents == value)
        out[rows] = _recipient_cost(flow[rows], np.broadcast_to(share, S)[rows], np.broadcast_to(reference, S)[rows],
                                    float(value))
    return out


def _recipient_cost(flow: np.ndarray, share, reference, elasticity: float) -> np.ndarray:
    ratio = np.divide(flow, reference)
    cost = np.power(ratio, elasticity, out=np.zeros_like(ratio), where=flow > 0)
    cost *= share * reference
    return np.minimum(cost, flow, out=cost)


def planned_flow(flow: np.ndarray, previous: np.ndarray | None, planned_growth: np.ndarray) -> np.ndarray:
    """What a recipient could plan on from each channel: last year's flow times the funder's scheduled
    growth (a donor's budget trend, a new facility's ramp-up). A channel that is new this year
    (previous 0), or the first year (previous None), is planned as it comes: not a surprise.
    flow, previous: (S, F, C); planned_growth: (1|S, F) → (S, F, C)."""
    if previous is None:
        return flow
    return np.where(previous > 0, previous * planned_growth[..., None], flow)


def volatility_loss(total: np.ndarray, planned: np.ndarray, cost: float) -> np.ndarray:
    """What unpredictable aid loses: a recipient whose total aid departs by a share v from what it
    could plan on loses min(1, λ·v²) of this year's aid.

    v = total / planned − 1, capped at ±1; measured on the recipient's total aid from every funder,
    so one funder's surprise is diluted by the others' flows and surprises of several funders can
    offset each other. total, planned: (S, C) USD; cost λ: a number or (1|S, 1, 1) → (S, C).
    """
    if not np.any(cost):
        return np.zeros_like(total)
    v = np.divide(total, planned, out=np.ones_like(total), where=planned > 0) - 1.0
    np.clip(v, -1.0, 1.0, out=v)
    return total * np.minimum(np.reshape(cost, np.shape(cost)[:-1]) * v * v, 1.0)


def provision_share(risk: np.ndarray | float, provisioning: np.ndarray | float, leverage: np.ndarray) -> np.ndarray:
    """Share of a blended dollar committed with risk sharing that its guarantee fund holds idle.

    Risk sharing r lets a blended dollar that reaches a goal with leverage L mobilise r·L more
    private money; a guarantee covering it must be provisioned at rate p (EU budgetary guarantees:
    9-50 %). Committing B, the facility delivers b and holds p·r·L·b: b = B / (1 + p·r·L), so the
    share held is p·r·L / (1 + p·r·L). Risk sharing then raises what a committed dollar puts to work,
    (1 + L(1 + r)) / (1 + p·r·L) against 1 + L, only if p < 1 / (1 + L).
    """
    x = np.multiply(np.multiply(risk, provisioning), leverage)
    return x / (1.0 + x)


def ramp(year: int, lag: float) -> float:
    """Share of its payout a facility in its `year`-th year (0, 1, ...) can disburse: it reaches
    full disbursement after `lag` years, linearly (min(1, (year + 1)/(lag + 1)))."""
    return np.minimum(1.0, (year + 1.0) / (lag + 1.0))


def scheduled_payout(inflow: np.ndarray, payout_rate: float, lag: float) -> np.ndarray:
    """(T,) what a facility pays out each year when its contributions follow their trend `inflow`
    (T,) exactly: the part of its payout's changes recipients can plan on (see volatility_loss)."""
    paid, reserve = np.zeros(len(inflow)), 0.0
    for t, x in enumerate(inflow):
        held = reserve + x
        paid[t] = held * payout_rate * ramp(t, lag)
        reserve = held - paid[t]
    return paid


def reserve_step(reserve: np.ndarray, inflow: np.ndarray, payout_rate: float, ramp_share: float):
    """A facility's reserve: it pays out payout_rate · ramp of what it holds (reserve plus this
    year's inflow) and keeps the rest. A buffer stock: a shock to contributions reaches
    recipients spread over later years. reserve, inflow (S,) → (paid, reserve after) (S,)."""
    held = reserve + inflow
    paid = held * (payout_rate * ramp_share)
    return paid, held - paid


def coordinate(plans: np.ndarray, mask: np.ndarray, per_usd: np.ndarray, spend_scale: np.ndarray) -> np.ndarray:
    """Coordinated funders adjust their plans to each other's: each scales its planned money
    in a cell by exp(−s_other / s_g), the share of the cell's marginal value left after the
    effective money per capita s_other the *other* coordinated funders plan there (the
    diminishing returns of docs/model.md), and re-spreads its budget over its cells in
    proportion. One round, from the plans all of them announced: no one reacts to anyone's
    reaction.

    plans: (S, F, C, G) planned USD; mask: (F, C, G) eligible cells; per_usd: (1|S, C) effective
    money per capita per USD (retention / population); spend_scale: (1|S, G) → (S, F, C, G)
    with each funder's total unchanged.
    """
    if plans.shape[1] < 2:
        return plans
    # w = plans · exp(−others / s_g), others = (total − plans) · per_usd, in one array
    w = np.subtract(plans.sum(axis=1, keepdims=True), plans)
    w *= per_usd[..., None, :, None]
    np.negative(w, out=w)
    w /= spend_scale[..., None, None, :]
    np.exp(w, out=w)
    w *= plans
    budget = plans.sum(axis=(-2, -1), keepdims=True)
    wsum = w.sum(axis=(-2, -1), keepdims=True)
    w *= budget
    ok = wsum > 0
    np.divide(w, wsum, out=w, where=ok)
    if not ok.all():  # a funder whose every cell is crowded out to zero weight keeps its plan (none: zeros)
        np.copyto(w, np.where(budget == 0, 0.0, plans), where=~ok)
    w *= mask.astype(w.dtype)  # a float mask: multiplying by a bool array casts every element
    return w
