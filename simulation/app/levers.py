"""A new scenario from an existing one: the levers a form changes, written as a file that
`extends` its parent, and validated by the same loader as the CLI (located problems).

`levers(scenario)` reads the values a form shows; `derived_yaml(...)` writes only what differs
from the parent under `extends:`; `check(...)` loads that text exactly as it would be saved (a
hidden draft file next to where it goes, so `extends:` resolves the same way) and returns the
scenario or the problems with the target file's name; `save(...)` writes it, never over an
existing file.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from ..mechanisms.allocation import STRATEGIES
from ..scenario.library import SHIPPED_DIR
from ..scenario.loading import load_scenario
from ..scenario.schema import Scenario
from .folders import Folders

DONOR_LEVERS = ("budget_usd", "pooled_share", "blended_share", "capacity_share")
FACILITY_LEVERS = ("strategy", "blended_share", "capacity_share", "overhead_rate", "payout_rate", "start_lag_years",
                   "risk_sharing", "coordinated")
"""The facility's levers a form edits (docs/scenarios.md "Pooled funds: parameters" gives their ranges)."""
STRATEGY_NAMES = sorted(STRATEGIES)


@dataclass
class Levers:
    """The values a form edits: years, each donor's money levers, the facility's."""

    start_year: int
    end_year: int
    donors: dict[str, dict[str, float]] = field(default_factory=dict)
    facility: dict[str, Any] | None = None


def levers(s: Scenario) -> Levers:
    """The current lever values of scenario `s`."""
    donors = {d.id: {k: float(getattr(d, k)) for k in DONOR_LEVERS} for d in s.donors}
    fac = None if s.facility is None else {k: getattr(s.facility, k) for k in FACILITY_LEVERS}
    return Levers(s.start_year, s.end_year, donors, fac)


def extends_value(parent: Path, folders: Folders) -> str:
    """What `extends:` says in a file of the scenarios folder to name `parent`."""
    parent = parent.resolve()
    if parent.parent == folders.scenarios:
        return parent.name
    if parent.parent == SHIPPED_DIR and not (folders.scenarios / parent.name).exists():
        return parent.stem  # a bare name: the shipped scenario
    return str(parent)


def derived_data(parent_file: Path, old: Levers, new: Levers, name: str, description: str,
                 folders: Folders) -> dict[str, Any]:
    """The new file's content: `extends:` the parent plus only the levers that changed from the
    parent's (`old`: `levers(parent)`, read once per parent by the form, not on every keystroke)."""
    data: dict[str, Any] = {"extends": extends_value(parent_file, folders), "name": name}
    if description.strip():
        data["description"] = description.strip()
    for key in ("start_year", "end_year"):
        if getattr(new, key) != getattr(old, key):
            data[key] = int(getattr(new, key))
    if new.facility is not None and old.facility is not None:
        fac = {k: v for k, v in new.facility.items() if v != old.facility.get(k)}
        if fac:
            data["facility"] = fac
    donors = []
    for did, vals in new.donors.items():
        changed = {k: float(v) for k, v in vals.items() if did in old.donors and v != old.donors[did].get(k)}
        if changed:
            donors.append({"id": did, **changed})
    if donors:
        data["donors"] = donors
    return data


def to_text(data: dict[str, Any]) -> str:
    head = "# Made with `sdgsim app`: the levers changed from the scenario it extends.\n"
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def check(text: str, target: Path) -> tuple[Scenario | None, list[Problem]]:
    """Load `text` as if it were the file `target` (which need not exist yet)."""
    draft = target.parent / f".draft-{secrets.token_hex(6)}.yaml"
    try:
        draft.write_text(text, encoding="utf-8")
        try:
            return load_scenario(draft), []
        except InputError as err:
            return None, [Problem(p.file.replace(str(draft), str(target)).replace(draft.name, target.name),
                                  p.line, p.field, p.message) for p in err.problems]
    finally:
        draft.unlink(missing_ok=True)


def save(text: str, target: Path) -> Path:
    """Write `text` to `target` if it validates and no file of that name exists."""
    scenario, problems = check(text, target)
    if problems:
        raise InputError(problems)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise InputError([Problem(str(target), 1, "file name", "a scenario file of that name exists already "
                                                               "(choose another name)")]) from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return target
