"""A policy difference as an outcome: "B − A", per sweep run, from paired replications.

A sweep runs every policy at every design point with the same random streams per
(point, replication) (designs.run_seeds), so policy B's run and policy A's run of one
(point, replication) are paired. `contrast_runs` turns a sweep's runs into the runs of one
pseudo-policy "B − A" whose outcome values are those paired differences (over the
replications where both succeeded). `sdgsim discover` and `sdgsim analyze` then treat the
difference as they treat any outcome: where in the uncertainty space pooling beats bilateral
aid, and which parameters decide by how much.

Syntax: `B - A` (spaces around the minus; '−' also reads), or `B-A` when exactly one hyphen
splits the text into two policy names (policy names may contain hyphens: `pooled-20-bilateral`
is read as pooled-20 − bilateral only if that is the one split into known names).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import OptionError, Problem

MINUS = " − "
"""How a contrast is written in tables and plots."""


@dataclass(frozen=True)
class Contrast:
    """Policy `policy` minus policy `reference`, per paired run."""

    policy: str
    reference: str

    @property
    def name(self) -> str:
        """'B − A', the pseudo-policy's name in tables."""
        return f"{self.policy}{MINUS}{self.reference}"

    @property
    def stem(self) -> str:
        """'B-minus-A', for file names."""
        return f"{self.policy}-minus-{self.reference}"


def parse_contrast(spec: str, policies: list[str], field: str = "contrast") -> Contrast:
    """Read 'B - A' (or 'B − A', or 'B-A' when only one hyphen splits it into two known policy
    names) against the sweep's `policies`; a located OptionError (field `field`) otherwise."""
    text = str(spec).replace("\u2212", "-").strip()
    allowed = f"allowed: 'B - A' with B and A among {', '.join(policies)}"
    if " - " in text:
        cuts = [tuple(x.strip() for x in text.split(" - ", 1))]
    else:
        cuts = [(text[:i].strip(), text[i + 1:].strip()) for i, ch in enumerate(text) if ch == "-"]
    known = [(b, a) for b, a in cuts if b in policies and a in policies]
    said = f"'{spec}'"
    if len(known) > 1:
        raise OptionError([Problem(field, 1, "contrast", f"{said} is ambiguous: it splits into " + " or ".join(
            f"'{b} - {a}'" for b, a in known) + "; write it with spaces around the minus")])
    if not known:
        if not cuts or not all(cuts[0]):
            raise OptionError([Problem(field, 1, "contrast", f"{said} is not a difference of two policies ({allowed})")])
        unknown = [x for x in cuts[0] if x not in policies] if len(cuts) == 1 else [text]
        raise OptionError([Problem(field, 1, "contrast", f"unknown policy {', '.join(repr(x) for x in unknown)} "
                                                         f"in {said} ({allowed})")])
    b, a = known[0]
    if a == b:
        raise OptionError([Problem(field, 1, "contrast", f"{said}: a policy minus itself is 0 everywhere ({allowed})")])
    return Contrast(b, a)


def contrast_runs(runs: pd.DataFrame, outcomes: list[str], c: Contrast) -> pd.DataFrame:
    """The runs of the pseudo-policy `c.name`: per (point, replication) that both policies ran
    successfully, each outcome's value under `c.policy` minus its value under `c.reference`.
    Columns: policy, point, replication, status ('ok'), error (''), then the outcomes."""
    ok = runs[(runs.status == "ok") & runs.policy.isin([c.policy, c.reference])]
    if not {c.policy, c.reference} <= set(ok.policy):  # one of them never ran successfully: no pair
        return pd.DataFrame(columns=["policy", "point", "replication", "status", "error", *outcomes])
    wide = ok.set_index(["point", "replication", "policy"])[outcomes].unstack("policy")
    d = pd.DataFrame({o: wide[(o, c.policy)] - wide[(o, c.reference)] for o in outcomes}).dropna(how="all")
    d = d.reset_index().sort_values(["point", "replication"], ignore_index=True)
    d.insert(0, "policy", c.name)
    d.insert(3, "status", "ok")
    d.insert(4, "error", "")
    return d
