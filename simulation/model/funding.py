"""The funders' year: budgets, the pooled facility, allocation, coordination, and the one path
money takes from any funder to the countries (docs/model.md "One year", steps 1-4).

Donors and the pooled facility are funders of the same kind (`Funders`): each allocates its
budget over its eligible (country, goal) cells, splits the allocation into its windows
(grant, blended, capacity building) and delivers it through channels that cost overhead
(`split`, `deliver`). The facility differs only in where its budget comes from: what donors
pool into it, through its reserve (`pool`).

Shapes: S replications, F funders of one kind, C countries, G goals; money in USD per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..mechanisms import channels, dynamics
from ..mechanisms.allocation import AllocationContext, sum_goals
from . import stacking
from .agents import Donor, Facility
from .ledger import NO_GOAL

if TYPE_CHECKING:
    from .model import FinancingModel, Year


@dataclass(frozen=True)
class Funders:
    """Funders of one kind on the common path: their ledger key and ids, eligible cells (F, C, G),
    windows (blended and capacity shares of the allocation, (1|S, F)), channel overhead
    (rate and fixed cost), the planned growth of their flows this year, and how much more
    their blended money mobilises (risk sharing; None: leverage alone)."""
    key: str
    ids: list[str]
    mask: np.ndarray
    blended: np.ndarray
    capacity: np.ndarray
    overhead: np.ndarray
    channel_cost: np.ndarray
    growth: np.ndarray
    risk: np.ndarray | float | None = None
    diverts: bool = False  # a pandemic's diversion to health applies to its grants


def donors(m: FinancingModel) -> Funders:
    d = m.p.donors
    return Funders("donor", d.ids, d.mask, dynamics.share_of_rest(d.blended_share, d.pooled_share),
                   dynamics.share_of_rest(d.capacity_share, d.pooled_share), d.overhead_rate, d.channel_cost,
                   1.0 + d.growth, diverts=True)


def facility(m: FinancingModel, t: int) -> Funders:
    f = m.p.facility
    return Funders("facility", ["facility"], f.mask, f.blended, f.capacity, f.overhead, f.channel_cost,
                   f.growth[t - 1][..., None] if t else np.ones(1), risk=f.risk)


def budgets(m: FinancingModel, year: Year) -> None:
    """1. This year's budgets of donors, research bodies and partnerships, and domestic spending;
    all booked as sources."""
    p, t, S = m.p, year.t, m.S
    d = p.donors
    m.donor_budget = dynamics.donor_budgets(d.base, d.growth, t, m.budget_noise[:, :, t], d.noise_sd,
                                            p.shocks.donor_cut[t])
    year.body_budget = p.research.base * (1.0 + p.research.growth) ** t * (1.0 - p.shocks.research_cut[t])
    year.partner_budget = p.partnerships.budget[t]
    total = stacking.total  # sums over all but the replication axis
    m.ledger.book(t, sources=m.donor_budget.sum(axis=1) + total(year.domestic) + total(year.body_budget)
                  + total(year.partner_budget))
    m.ledger.flow("domestic", np.broadcast_to(year.domestic, (S,) + year.domestic.shape[-2:]), "domestic",
                  "domestic", p.countries.ids, p.goals.ids)


def context(m: FinancingModel, year: Year) -> AllocationContext:
    """What funders can observe when they plan (allocation.AllocationContext)."""
    c, g = m.p.countries, m.p.goals
    retention, pop = c.retention, year.population
    other = np.broadcast_to((year.domestic * retention[..., None] / pop[..., None]), m.scores.shape)
    return AllocationContext(
        scores=m.scores, population=pop, gdp_per_capita=year.gdp / pop, governance=c.governance,
        priority=c.priority, effectiveness=m.expected_effectiveness, spend_scale=g.spend_scale,
        retention=retention, other_spend_pc=other, propensity=None)


def plans(m: FinancingModel, year: Year) -> dict[str, tuple[Funders, np.ndarray]]:
    """2. Every funder's plan (S, F, C, G): donors allocate what they do not pool, the facility
    its payout; then coordinated funders adjust to each other's plans."""
    ctx = context(m, year)
    pooled = m.donor_budget * m.p.donors.pooled_share
    out = {"donor": (donors(m), Donor.allocate(m, ctx, m.donor_budget - pooled) if m.p.donors.ids else
                     np.zeros((m.S, 0) + m.scores.shape[1:]))}
    paid = pool(m, year, pooled)
    if paid is not None:
        out["facility"] = (facility(m, year.t), Facility.allocate(m, ctx, paid[:, None]))
    coordinate(m, year, out)
    return out


def pool(m: FinancingModel, year: Year, pooled: np.ndarray) -> np.ndarray | None:
    """2b. The facility takes the pooled contributions (S, D) (each donor's transfer costs its
    channel cost once), adds them to its reserve and pays out its share of what it holds;
    returns the payout (S,), or None when it has nothing to do."""
    f, t = m.p.facility, year.t
    if not (f.exists and (pooled.any() or m.facility_reserve.any())):
        if pooled.any():  # pragma: no cover - the schema forbids pooling without a facility
            raise ValueError("pooled money without a facility")
        return None
    pool_cost = np.minimum(pooled, np.where(pooled > 0, m.p.donors.channel_cost, 0.0))
    m.ledger.book(t, overhead=pool_cost.sum(axis=1))
    m.ledger.flow("pooled", pooled, "pooled", m.p.donors.ids, "facility", NO_GOAL)
    inflow = (pooled - pool_cost).sum(axis=1)
    paid, m.facility_reserve = channels.reserve_step(m.facility_reserve, inflow, f.payout, channels.ramp(t, f.lag))
    m.ledger.book(t, unspent=inflow - paid)  # negative when the reserve pays out more than came in
    return paid


def coordinate(m: FinancingModel, year: Year, funders: dict[str, tuple[Funders, np.ndarray]]) -> None:
    """2c. Coordinated funders (and the facility, if coordinated) adjust their plans to each
    other's, in place (channels.coordinate)."""
    d, alloc = m.p.donors, funders["donor"][1]
    members = np.flatnonzero(d.coordinated)
    per_usd, scale = m.p.countries.retention / year.population, m.p.goals.spend_scale
    if "facility" in funders and m.p.facility.coordinated:
        kind, falloc = funders["facility"]
        plans_ = np.concatenate([alloc[:, members], falloc], axis=1)
        mask = np.concatenate([d.mask[members], m.p.facility.mask])
        plans_ = channels.coordinate(plans_, mask, per_usd, scale)
        alloc[:, members] = plans_[:, :len(members)]
        funders["facility"] = (kind, plans_[:, len(members):])
    elif len(members) > 1:
        alloc[:, members] = channels.coordinate(alloc[:, members], d.mask[members], per_usd, scale)


def split(m: FinancingModel, who: Funders, alloc: np.ndarray):
    """Split an allocation (S, F, C, G) into grant, blended and capacity money.

    Blended finance is taken proportionally from the funder's cells on goals with
    leverage > 0; what those cells cannot hold stays grant. Capacity money is per country
    (S, F, C). The three parts add up to `alloc` exactly. Grant and blended money are scratch
    buffers of the model, valid until the next call.
    """
    keep = (1.0 - who.capacity)[..., None, None]
    grant = np.multiply(alloc, keep, out=m.buffer("grant", alloc.shape))
    if not who.blended.any():  # no funder blends (every built scenario): the same zeros, four passes fewer
        blend = m.buffer("blended", alloc.shape)
        blend.fill(0.0)
        cap = sum_goals(alloc) * who.capacity[..., None] if who.capacity.any() else np.zeros(alloc.shape[:-1])
        return grant, blend, cap
    lev_mask = who.mask & (m.p.goals.leverage > 0)[..., None, None, :]
    blend = np.multiply(grant, lev_mask, out=m.buffer("blended", alloc.shape))  # available for blending
    avail_total = blend.sum(axis=(-2, -1))
    want = alloc.sum(axis=(-2, -1)) * who.blended
    ratio = np.divide(np.minimum(want, avail_total), avail_total, out=np.zeros_like(avail_total),
                      where=avail_total > 0)
    blend *= ratio[..., None, None]
    grant -= blend
    cap = sum_goals(alloc) * who.capacity[..., None]
    return grant, blend, cap


def divert(m: FinancingModel, t: int, grant: np.ndarray) -> None:
    """During a pandemic, a share of every grant to a non-health goal of an affected country moves
    to its health goal (in place)."""
    diversion = m.p.shocks.diversion[t]
    if not diversion.any():
        return
    h = m.p.shocks.health_goal[t]
    moved = grant * diversion[..., None, :, None]
    moved[..., h] = 0.0
    grant -= moved
    grant[..., h] += moved.sum(axis=-1)


def deliver(m: FinancingModel, t: int, who: Funders, grant: np.ndarray, blended: np.ndarray,
            capacity: np.ndarray) -> dict[str, np.ndarray]:
    """Pass funder→country money through channels; record flows.

    A channel loses the funder's overhead (rate and fixed cost), then the recipient's
    transaction cost and what its unpredictability costs (mechanisms/channels.py), all booked
    as overhead. grant, blended (S, F, C, G) and capacity (S, F, C) gross USD. Returns the net
    amounts; the arrays given are scaled in place (they are recorded in the ledger first).
    """
    flow = sum_goals(grant)  # (S, F, C)
    if who.blended.any():  # else blended money is all zeros (split)
        flow += sum_goals(blended)
    flow += capacity
    overhead = dynamics.channel_overhead(flow, who.overhead, who.channel_cost)
    overhead += recipient_losses(m, t, who, flow - overhead)
    keep = 1.0 - np.divide(overhead, flow, out=np.zeros_like(flow), where=flow > 0)
    m.ledger.book(t, overhead=overhead.sum(axis=(1, 2)))
    c, g = m.p.countries.ids, m.p.goals.ids
    for inst, a in (("grant", grant), ("blended", blended)):
        m.ledger.flow(f"{who.key}:{inst}", a, inst, who.ids, c, g)
        a *= keep[..., None]
    m.ledger.flow(f"{who.key}:capacity", capacity, "capacity", who.ids, c, NO_GOAL)
    capacity *= keep
    return {"grant": grant, "blended": blended, "capacity": capacity}


def recipient_losses(m: FinancingModel, t: int, who: Funders, arrived: np.ndarray) -> np.ndarray:
    """What money that arrived (S, F, C) costs its recipient to service, and costs more the less
    it was expected (at most all of it); recorded in history["channel_costs"]."""
    ch = m.p.channels
    recipient = channels.recipient_cost(arrived, ch.share, ch.reference, ch.elasticity)
    volatility = channels.volatility_loss(arrived, m.arrived.get(who.key), who.growth, ch.volatility)
    friction = recipient + volatility
    capped = np.minimum(friction, arrived)
    m.arrived[who.key] = arrived
    # the two parts of what the recipients lose, in proportion where all that arrived was lost
    part = np.divide(capped, friction, out=np.zeros_like(friction), where=friction > 0)
    m.history["channel_costs"][t, :, 0] += (recipient * part).sum(axis=(1, 2))
    m.history["channel_costs"][t, :, 1] += (volatility * part).sum(axis=(1, 2))
    return capped
