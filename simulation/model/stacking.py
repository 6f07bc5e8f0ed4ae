"""Stacking the parameters of several scenarios that share a structure into one batch.

A sweep runs many design points whose scenarios differ only in numbers (a donor's budget,
the facility's overhead, governance leakage, ...). `FinancingModel` can advance all their
replications in one batch: it builds each scenario's parameter arrays (`parameters`, no
random numbers involved), and `stack` merges them:

* a parameter that is the same in every scenario stays as it is (e.g. (D,) for a donor
  field), so a batch of one scenario runs exactly as before;
* a parameter listed in STACKED that differs gets a replication axis: each scenario's
  value repeated over its replications (e.g. (S, D));
* anything else that differs (ids, eligibility masks, strategy names, shapes, the number
  of years, index arrays) is structure: `stack` raises StructureMismatch and the caller runs
  those scenarios as separate batches.

Where a stacked parameter is used, the model's arithmetic broadcasts it against the
state's leading replication axis (`x[..., None]` instead of `x[None, :, None]`), so
replication s sees exactly its own scenario's numbers: results are bit-identical to
running each scenario on its own. STACKED says, per parameter, where the replication
axis goes: `axis` 1 for arrays indexed by year first (`x[t]` then gives (S, ...)), and
`pad` singleton axes after it, so that e.g. a (G,) goal parameter used only against
(S, C, G) state becomes (S, 1, G) and the use needs no change. A numeric scenario field
that is not (yet) listed here still works: scenarios that differ in it fall back to
separate batches (tests/test_sweep_vectorised.py checks both ways on every numeric field).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


class StructureMismatch(ValueError):
    """The scenarios differ in something that cannot get a replication axis."""


STACKED: dict[str, tuple[int, int]] = {
    # goals
    "kappa": (0, 0), "spend_scale": (0, 0), "decay": (0, 1), "leverage": (0, 0), "links": (0, 0),
    # countries
    "population0": (0, 0), "population_growth": (0, 0), "gdp0": (0, 0), "gdp_growth": (0, 0),
    "domestic_share": (0, 0), "governance": (0, 0), "retention": (0, 0), "priority": (0, 0),
    "capacity0": (0, 0), "scores0": (0, 0), "remainder0": (0, 0), "birth_rate": (0, 0),
    "cap_scale": (0, 1), "cap_max": (0, 1), "abs_share": (0, 1), "abs_ref": (0, 1),
    # donors
    "donor_base": (0, 0), "donor_growth": (0, 0), "donor_noise_sd": (0, 0), "pooled_share": (0, 0),
    "blended_share": (0, 0), "capacity_share": (0, 0), "overhead_rate": (0, 0), "channel_cost": (0, 0),
    "donor_params": (0, 0),
    # facility
    "fac_overhead": (0, 0), "fac_channel_cost": (0, 0), "fac_blended": (0, 0), "fac_params": (0, 0),
    "fac_capacity": (0, 0), "fac_payout": (0, 0), "fac_lag": (0, 0), "fac_risk": (0, 2), "facility_growth": (1, 0),
    # channels: what a channel costs its recipient (used against (S, F, C) flows)
    "ch_share": (0, 2), "ch_reference": (0, 2), "ch_elasticity": (0, 2), "ch_volatility": (0, 2),
    # technologies and research
    "efficacy": (0, 0), "stage_cost": (0, 0), "stage_years": (0, 0), "success_prob": (0, 0),
    "deploy_trl": (0, 0), "bass_p": (0, 1), "bass_q": (0, 1), "trl0": (0, 0),
    "body_base": (0, 0), "body_growth": (0, 0), "portfolio": (0, 0), "collab_bonus": (0, 0),
    # partnerships and shocks (indexed by year first)
    "access": (1, 0), "partner_budget": (1, 0), "partner_rate": (0, 0),
    "donor_cut": (1, 0), "research_cut": (1, 1), "gdp_cut": (1, 0), "hit": (1, 0), "diversion": (1, 0),
    "ind_shock": (1, 0),
    # uncertainty (used once, when the model is built)
    "effectiveness_sd": (0, 1), "score_noise_sd": (0, 3),
    # indicators: per-indicator money terms and each country's values and trends
    "ind_unit_cost": (0, 1), "ind_money_share": (0, 1), "ind_value0": (0, 0), "ind_gap0": (0, 0), "norm0": (0, 0),
    "ind_trend0": (0, 0), "ind_trend_sd": (0, 0), "ind_noise_sd": (0, 0), "ind_base_pc": (0, 0),
}
"""name -> (axis, pad): parameters that may differ between the scenarios of one batch."""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and a.tobytes() == b.tobytes())
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _stack_leaf(name: str, values: list, counts: np.ndarray, axis: int, pad: int) -> np.ndarray:
    arrays = [np.asarray(v) for v in values]
    first = arrays[0]
    if any(a.shape != first.shape or a.dtype != first.dtype for a in arrays):
        raise StructureMismatch(f"{name}: shapes differ")
    if first.ndim < axis:
        raise StructureMismatch(f"{name}: no axis {axis} to stack after")
    rows = np.repeat(np.stack(arrays), counts, axis=0)  # (S, *shape)
    rows = np.moveaxis(rows, 0, axis)  # the replication axis where the use expects it
    out = rows.reshape(rows.shape[:axis + 1] + (1,) * pad + rows.shape[axis + 1:])
    return np.ascontiguousarray(out)


def _merge(name: str, values: list, counts: np.ndarray, rule: tuple[int, int] | None) -> Any:
    first = values[0]
    if all(_same(first, v) for v in values[1:]):
        return first
    if rule is None:
        raise StructureMismatch(f"{name} differs")
    if isinstance(first, dict):
        if any(not isinstance(v, dict) or v.keys() != first.keys() for v in values):
            raise StructureMismatch(f"{name}: keys differ")
        return {k: _merge(f"{name}.{k}", [v[k] for v in values], counts, rule) for k in first}
    if isinstance(first, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(first, bool):
        return _stack_leaf(name, values, counts, *rule)
    raise StructureMismatch(f"{name} differs")


def stack(params: Sequence[dict[str, Any]], counts: Sequence[int]) -> dict[str, Any]:
    """Merge the parameters of scenarios run with counts[i] replications each (in order).

    Returns the parameters of the whole batch; raises StructureMismatch if the scenarios
    differ in anything not listed in STACKED (or in its shape).
    """
    if len(params) == 1:
        return dict(params[0])
    keys = params[0].keys()
    if any(p.keys() != keys for p in params):
        raise StructureMismatch("different parameter sets")
    if any(p.get("has_ppi") for p in params):
        raise StructureMismatch("PPI countries run one scenario per batch")
    n = np.asarray(counts, dtype=int)
    return {k: _merge(k, [p[k] for p in params], n, STACKED.get(k)) for k in keys}


def signature(params: dict[str, Any]) -> tuple:
    """A key equal for scenarios that `stack` can merge (the same structure): every parameter
    not in STACKED by value, the stacked ones by type and shape."""
    parts: list[Any] = []

    def add(name: str, v: Any, stacked: bool) -> None:
        if isinstance(v, dict):
            parts.append((name, tuple(v)))
            for k, x in v.items():
                add(k, x, stacked)
        elif isinstance(v, np.ndarray):
            parts.append((v.dtype.num, v.shape) if stacked else (v.dtype.num, v.shape, v.tobytes()))
        elif stacked and isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool):
            parts.append(type(v))
        else:
            parts.append(repr(v))

    ppi = bool(params.get("has_ppi"))
    for k in sorted(params):
        add(k, params[k], k in STACKED and not ppi)
    return tuple(parts)


def total(x: np.ndarray, core: int) -> np.ndarray | float:
    """The sum over the last `core` axes of a parameter: a number without replication axis,
    (S,) with one (the same order of additions either way)."""
    return x.reshape(x.shape[:x.ndim - core] + (-1,)).sum(axis=-1)
