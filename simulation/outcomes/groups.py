"""Country groups: named sets of a scenario's countries, reported like a country.

A group comes from the scenario file (`groups: {pilots: [ETH, GHA, IND, KEN, SRB, UKR]}`), from
the command line (`--group NAME=ISO3,ISO3,...`), or is a shipped group selected by name
(`--group ldc`; `data.groups()`: the Global Pilot Programme `gpp`, `ldc`, `sids`, `lldc`, `fcs`,
`oda-recipients`, the World Bank regions `eas`, `ecs`, `lcn`, `mea`, `nac`, `sas`, `ssf` and income
groups `lic`, `lmc`, `umc`, `hic`), filtered to the scenario's countries (a shipped group none of
them belongs to is dropped).

`resolve_groups(scenario, extra)` gives every group as name -> country ids in the scenario's
order; `with_groups` stores them in the scenario, from which every outcome reads them: a group's
values sit beside the countries' under the country label `group:NAME` (`label`), in summaries,
comparison rows, cost tables and sweep columns (`people_gain:EG.ELC.ACCS.ZS@group:pilots`).

A group's value is computed per run from its countries' values of that run (`group_sum`; people,
deaths and money add up, indices are weighted by population), so its interval comes from the
paired runs, never from adding intervals.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

import numpy as np

from .. import data
from ..errors import OptionError, Problem
from ..scenario import Scenario

PREFIX = "group:"
"""Country label of a group's values: group:NAME."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

Extra = Iterable[str] | Mapping[str, Iterable[str]]


def label(name: str) -> str:
    """The country label of group `name`'s values: 'group:NAME'."""
    return PREFIX + name


def is_group(country: str) -> bool:
    """Whether a country label names a group (group:NAME)."""
    return str(country).startswith(PREFIX)


def name_of(country: str) -> str:
    """The group's name in a label group:NAME ('pilots')."""
    return str(country)[len(PREFIX):]


def shipped() -> dict[str, tuple[str, str]]:
    """The shipped groups: id -> (description, selection rule) (`data.groups`)."""
    return data.groups()


def _in_order(scenario: Scenario, members: Iterable[str]) -> list[str]:
    wanted = set(members)
    return [c for c in scenario.country_ids if c in wanted]


def _specs(extra: Extra) -> list[tuple[str, list[str] | None]]:
    """(name, members or None for a shipped/scenario group) of each --group given."""
    if isinstance(extra, Mapping):
        return [(str(k), [str(c) for c in v]) for k, v in extra.items()]
    out = []
    for spec in extra:
        name, eq, members = str(spec).partition("=")
        out.append((name.strip(), [c.strip().upper() for c in re.split(r"[,\s]+", members) if c.strip()]
                    if eq else None))
    return out


def resolve_groups(scenario: Scenario, extra: Extra = ()) -> dict[str, list[str]]:
    """Every country group of `scenario`: its own `groups:` plus `extra`, as name -> country ids
    in the scenario's order.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (its `groups:` are already checked).
    extra : iterable of str, or mapping
        More groups, as on the command line: "NAME=ISO3,ISO3,..." defines one (only the
        scenario's countries), "NAME" selects a shipped group (filtered to the scenario's
        countries; dropped when none of them is in it) or repeats one of the scenario's; or a
        mapping name -> country ids.

    Returns
    -------
    dict of str to list of str
        Group name -> its countries, in the scenario's country order.

    Raises
    ------
    OptionError
        A group names a country the scenario does not have, is empty, has a country's id or a
        shipped group's name for other countries, has a name that is not an id, or is defined
        twice differently; a plain NAME is neither shipped nor the scenario's.
    """
    out = {name: _in_order(scenario, members) for name, members in scenario.groups.items()}
    ships = shipped()
    countries = scenario.country_ids
    problems = []

    def bad(n: int, spec: str, why: str) -> None:
        problems.append(Problem("--group", n, spec, why))

    for n, (name, members) in enumerate(_specs(extra), 1):
        spec = name if members is None else f"{name}={','.join(members)}"
        if not _NAME.match(name):
            bad(n, spec, "a group needs a name: NAME=ISO3,ISO3,... (letters, digits, _ . -), or the name of a "
                         f"shipped group ({', '.join(ships)})")
            continue
        if members is None:
            if name in out:
                continue
            if name.lower() not in ships:
                bad(n, spec, f"unknown group (allowed: NAME=ISO3,ISO3,... to define one; shipped: {', '.join(ships)}"
                             f"{'; the scenario has: ' + ', '.join(scenario.groups) if scenario.groups else ''})")
                continue
            own = _in_order(scenario, data.group_members(name))
            if own:
                out[name.lower()] = own
            continue
        if name in countries:
            bad(n, spec, f"'{name}' is a country's id (allowed: a name no country has)")
            continue
        if name.lower() in ships:
            bad(n, spec, f"'{name}' is a shipped group ({ships[name.lower()][0]}); select it with --group "
                         f"{name.lower()}, or give your group another name")
            continue
        unknown = [c for c in members if c not in countries]
        if unknown or not members:
            bad(n, spec, f"unknown countr{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} "
                         f"(allowed: the scenario's countries {', '.join(countries)})" if unknown
                else "empty group (allowed: one or more of the scenario's country ids)")
            continue
        members = _in_order(scenario, members)
        if name in out and out[name] != members:
            bad(n, spec, f"group '{name}' is already {', '.join(out[name])} (in the scenario or an earlier "
                         "--group); give this one another name")
            continue
        out[name] = members
    if problems:
        raise OptionError(problems)
    return out


def with_groups(scenario: Scenario, extra: Extra = ()) -> Scenario:
    """`scenario` with every group of `resolve_groups(scenario, extra)` in its `groups:` (the
    scenario itself when there is nothing to add)."""
    if not extra:
        return scenario
    groups = resolve_groups(scenario, extra)
    return scenario if groups == scenario.groups else scenario.model_copy(update={"groups": groups})


def positions(scenario: Scenario) -> dict[str, np.ndarray]:
    """Group name -> positions of its countries on the scenario's country axis."""
    index = {c: i for i, c in enumerate(scenario.country_ids)}
    return {name: np.array([index[c] for c in members], dtype=int) for name, members in scenario.groups.items()}


def group_sum(values: np.ndarray, country_ids: list[str], groups: Mapping[str, Iterable[str]],
              axis: int = 1) -> np.ndarray:
    """Per-run sums over each group's countries: `values` (..., countries on `axis`, ...) ->
    (..., groups on `axis`, ...), groups in the order of `groups`.

    Run by run, so a group's interval comes from its paired runs; a group of one country is
    exactly that country's values.
    """
    index = {c: i for i, c in enumerate(country_ids)}
    values = np.asarray(values, dtype=float)
    parts = [np.take(values, [index[c] for c in members], axis=axis).sum(axis=axis) for members in groups.values()]
    if not parts:
        shape = list(values.shape)
        shape[axis] = 0
        return np.zeros(shape)
    return np.stack(parts, axis=axis)


def weighted_mean(values: np.ndarray, weights: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Mean over the countries `idx` of the last axis of `values`, weighted by `weights` (same
    last axis; e.g. population): a group of one country is exactly that country's value."""
    w = np.asarray(weights, dtype=float)[..., idx]
    return (np.asarray(values)[..., idx] * (w / w.sum(axis=-1, keepdims=True))).sum(axis=-1)
