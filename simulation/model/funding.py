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
from . import fiscal, stacking
from .agents import Donor, Facility
from .ledger import NO_GOAL

if TYPE_CHECKING:
    from .model import FinancingModel, Year


@dataclass(frozen=True)
class Funders:
    """Funders of one kind on the common path: their ledger key and ids, eligible cells (F, C, G),
    windows (blended and capacity shares of the allocation, (1|S, F)), channel overhead
    (rate and fixed cost), the planned growth of their flows this year, how much more their
    blended money mobilises (risk sharing; None: leverage alone) and the guarantee fund that
    risk sharing needs (share of the private money it adds)."""
    key: str
    ids: list[str]
    mask: np.ndarray
    blended: np.ndarray
    capacity: np.ndarray
    overhead: np.ndarray
    channel_cost: np.ndarray
    growth: np.ndarray
    risk: np.ndarray | float | None = None
    provisioning: np.ndarray | float = 0.0
    diverts: bool = False  # a pandemic's diversion to health applies to its grants


@dataclass
class Sent:
    """One kind of funder's money on its way, (S, F, C, G) USD by instrument and (S, F, C) per
    channel: the flow and the funder's own overhead on it (funding.send)."""
    who: Funders
    grant: np.ndarray
    blended: np.ndarray
    capacity: np.ndarray
    flow: np.ndarray
    overhead: np.ndarray
    loan: np.ndarray | None = None  # (S, F, C, G) concessional loans split off the grants; None: no loans


def donors(m: FinancingModel) -> Funders:
    """Donors' bilateral money: its windows are shares of what each donor does not pool."""
    d = m.p.donors
    return Funders("donor", d.ids, d.mask, d.blended_share, d.capacity_share, d.overhead_rate, d.channel_cost,
                   1.0 + d.growth, diverts=True)


def facility(m: FinancingModel, t: int, pooled: np.ndarray) -> Funders:
    """The facility as a funder; `pooled` (S, D) this year's contributions (they set its windows where
    the scenario leaves them to the pooled money's own mix)."""
    f = m.p.facility
    blended, capacity = windows(m, pooled)
    return Funders("facility", ["facility"], f.mask, blended, capacity, f.overhead, f.channel_cost,
                   f.growth[t - 1][..., None] if t else np.ones(1), risk=f.risk, provisioning=f.provisioning)


def windows(m: FinancingModel, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The facility's blended and capacity windows (1|S, 1). A window the scenario leaves unset (NaN)
    keeps the pooled money's own mix: the contributors' shares weighted by what each pools this
    year (by their pooled trend budgets in a year nothing comes in), so pooling alone does not change
    the total instrument mix. The capacity window yields to the blended one if they exceed 1."""
    f, d = m.p.facility, m.p.donors
    weight = np.where(pooled.sum(axis=1, keepdims=True) > 0, pooled, d.base * d.pooled_share)
    total = weight.sum(axis=1, keepdims=True)

    def own(share: np.ndarray) -> np.ndarray:
        return np.divide((weight * share).sum(axis=1, keepdims=True), total, out=np.zeros_like(total),
                         where=total > 0)

    blended = np.where(np.isnan(f.blended), own(d.blended_share), f.blended)
    capacity = np.where(np.isnan(f.capacity), own(d.capacity_share), f.capacity)
    return blended, np.minimum(capacity, 1.0 - blended)


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
        retention=retention, other_spend_pc=other, propensity=None, year_index=year.t)


def plans(m: FinancingModel, year: Year) -> dict[str, tuple[Funders, np.ndarray]]:
    """2. Every funder's plan (S, F, C, G): donors allocate what they do not pool, the facility
    its payout; then coordinated funders adjust to each other's plans."""
    ctx = context(m, year)
    pooled = m.donor_budget * m.p.donors.pooled_share
    out = {"donor": (donors(m), Donor.allocate(m, ctx, m.donor_budget - pooled) if m.p.donors.ids else
                     np.zeros((m.S, 0) + m.scores.shape[1:]))}
    paid = pool(m, year, pooled)
    if paid is not None:
        out["facility"] = (facility(m, year.t, pooled), Facility.allocate(m, ctx, paid[:, None]))
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
    grant = np.multiply(alloc, keep, out=m.buffer(f"grant:{who.key}", alloc.shape))
    if not who.blended.any():  # no funder blends (every built scenario): the same zeros, four passes fewer
        blend = m.buffer(f"blended:{who.key}", alloc.shape)
        blend.fill(0.0)
        cap = sum_goals(alloc) * who.capacity[..., None] if who.capacity.any() else np.zeros(alloc.shape[:-1])
        return grant, blend, cap
    lev_mask = (who.mask & (m.p.goals.leverage > 0)[..., None, None, :]).astype(alloc.dtype)  # 1 or 0
    blend = np.multiply(grant, lev_mask, out=m.buffer(f"blended:{who.key}", alloc.shape))  # available for blending
    avail_total = blend.sum(axis=(-2, -1))
    want = alloc.sum(axis=(-2, -1)) * who.blended
    ratio = np.divide(np.minimum(want, avail_total), avail_total, out=np.zeros_like(avail_total),
                      where=avail_total > 0)
    blend *= ratio[..., None, None]
    grant -= blend
    cap = sum_goals(alloc) * who.capacity[..., None]
    return grant, blend, cap


def send(m: FinancingModel, t: int, who: Funders, alloc: np.ndarray) -> Sent:
    """A funder kind's plan (S, F, C, G) on its way: split into its windows, diverted in a pandemic,
    less what risk sharing must hold back, and the funder's own channel overhead on each channel."""
    grant, blended, capacity = split(m, who, alloc)
    if who.diverts:
        divert(m, t, grant)
    if who.risk is not None:
        provision(m, t, who, blended)
    face = face_value(who, grant, blended, capacity)  # (S, F, C)
    loan = fiscal.lend(m, t, who, grant, face)  # None: no loans in the scenario
    flow = face if loan is None else face_value(who, grant, blended, capacity) + sum_goals(loan)
    return Sent(who, grant, blended, capacity, flow, dynamics.channel_overhead(flow, who.overhead, who.channel_cost),
                loan)


def face_value(who: Funders, grant: np.ndarray, blended: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """(S, F, C) grant, blended and capacity money per channel, summed in that order."""
    flow = sum_goals(grant)
    if who.blended.any():  # else blended money is all zeros (split)
        flow += sum_goals(blended)
    flow += capacity
    return flow


def provision(m: FinancingModel, t: int, who: Funders, blended: np.ndarray) -> None:
    """Risk sharing's price: the guarantee fund. Of each blended dollar committed, the share
    channels.provision_share is held idle against the extra private money the guarantee covers; it
    leaves `blended` (in place), is booked unspent and stays in m.facility_guarantee."""
    share = channels.provision_share(np.asarray(who.risk)[..., None], np.asarray(who.provisioning)[..., None],
                                     m.p.goals.leverage[..., None, None, :])
    if not np.any(share):
        return
    held = blended * share
    blended -= held
    total = held.sum(axis=(1, 2, 3))
    m.ledger.book(t, unspent=total)
    m.facility_guarantee += total


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


def deliver(m: FinancingModel, t: int, sent: list[Sent]) -> list[dict[str, np.ndarray]]:
    """Pass every funder→country channel's money to its country; record flows.

    A channel loses the funder's overhead (rate and fixed cost, in `sent`), then the recipient's
    transaction cost and its part of what the unpredictability of the recipient's total aid
    costs (recipient_losses), all booked as overhead. Returns each kind's net amounts (grant,
    blended (S, F, C, G), capacity (S, F, C)); the arrays sent are scaled in place (they are
    recorded in the ledger first).
    """
    losses = recipient_losses(m, t, sent)
    out = []
    for s, loss in zip(sent, losses):
        overhead = s.overhead + loss
        keep = 1.0 - np.divide(overhead, s.flow, out=np.zeros_like(s.flow), where=s.flow > 0)
        m.ledger.book(t, overhead=overhead.sum(axis=(1, 2)))
        c, g, who = m.p.countries.ids, m.p.goals.ids, s.who
        windows = {"grant": s.grant, "blended": s.blended, **({} if s.loan is None else {"loan": s.loan})}
        for inst, a in windows.items():
            m.ledger.flow(f"{who.key}:{inst}", a, inst, who.ids, c, g)
            if inst != "blended" or who.blended.any():  # else all zeros (split)
                a *= keep[..., None]
        m.ledger.flow(f"{who.key}:capacity", s.capacity, "capacity", who.ids, c, NO_GOAL)
        s.capacity *= keep
        out.append({**windows, "capacity": s.capacity})
    return out


def recipient_losses(m: FinancingModel, t: int, sent: list[Sent]) -> list[np.ndarray]:
    """What the money that arrived on each channel (S, F, C) costs its recipient: the channel's
    transaction cost, and its share (by amount) of what the surprise in the recipient's *total*
    aid costs (channels.volatility_loss: surprises of several funders offset each other); at most
    all of it. Recorded in history["channel_costs"]."""
    ch = m.p.channels
    arrived = [np.subtract(s.flow, s.overhead) for s in sent]
    total = sum(a.sum(axis=1) for a in arrived)  # (S, C)
    planned = sum(channels.planned_flow(a, m.arrived.get(s.who.key), s.who.growth).sum(axis=1)
                  for s, a in zip(sent, arrived))
    lost = channels.volatility_loss(total, planned, ch.volatility)  # (S, C)
    lost_share = np.divide(lost, total, out=np.zeros_like(total), where=total > 0)[:, None]
    out = []
    for s, a in zip(sent, arrived):
        recipient = channels.recipient_cost(a, ch.share, ch.reference, ch.elasticity)
        volatility = a * lost_share
        friction = recipient + volatility
        capped = np.minimum(friction, a)
        m.arrived[s.who.key] = a
        # the two parts of what the recipients lose, in proportion where all that arrived was lost
        part = np.divide(capped, friction, out=np.zeros_like(friction), where=friction > 0)
        recipient *= part
        volatility *= part
        m.history["channel_costs"][t, :, 0] += recipient.sum(axis=(1, 2))
        m.history["channel_costs"][t, :, 1] += volatility.sum(axis=(1, 2))
        out.append(capped)
    return out
