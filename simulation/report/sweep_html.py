"""The top of a sweep's report: per outcome, the most robust policy and the most influential
parameter (a paragraph each), then one table of every policy against the reference policy —
how often it is clearly better, equivalent, clearly worse or undecided across the design, and
which parameter decides it. From `sdgsim analyze`'s frames (robustness, sobol, contrasts: in
memory, or the CSV tables of a saved analysis, `read_tables`); any of them may be missing (an
analysis with one policy, without Sobol').
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.decisions import LEVEL, MIN_PAIRED
from ..analysis.sensitivity import near_best_text, replications_text
from ..outcomes.registry import readable
from .page_parts import _esc, _items, _own_file


def read_tables(folder: Path, index: dict) -> list[tuple[dict, Path, pd.DataFrame]]:
    """The CSV tables a sweep's analysis index (analysis.json, read) lists, each read once, with its
    entry and path: only regular files inside `folder` (a tampered index cannot read elsewhere).
    `{path.stem: frame}` is what `headline` and `contrasts_table` take."""
    out = []
    for item in _items(index.get("tables")):
        path = _own_file(folder, item.get("file"))
        if path is not None and path.suffix == ".csv":
            out.append((item, path, pd.read_csv(path)))
    return out


def _read(frames: dict[str, pd.DataFrame], name: str, needs: set[str]) -> pd.DataFrame:
    """A frame of the analysis if it is there with the columns used here, else an empty one."""
    t = frames.get(name)
    return t if t is not None and needs <= set(t.columns) and len(t) else pd.DataFrame()


def headline(frames: dict[str, pd.DataFrame]) -> list[str]:
    """One paragraph per outcome: its most robust policy, then its most influential parameter."""
    sob = _read(frames, "sobol", {"outcome", "parameter", "ST", "policy"})
    rob = _read(frames, "robustness", {"outcome", "policy", "regret_mean"})
    said: dict[str, list[str]] = {}
    if len(rob) and rob.policy.nunique() > 1:
        for outcome, g in rob.groupby("outcome", sort=False):
            best = g.sort_values("regret_mean").iloc[0]
            said.setdefault(outcome, []).append(
                f"most robust policy {best.policy} (lowest mean regret across the design, best at "
                f"{best.best_share:.0%} of points{near_best_text(g, best.policy)})")
    if len(sob):
        for outcome, g in sob[~sob.policy.astype(str).str.contains(" − ")].groupby("outcome", sort=False):
            top = g.groupby("parameter").ST.mean().sort_values(ascending=False)
            said.setdefault(outcome, []).append(f"most influential parameter {top.index[0]} (total Sobol' index "
                                                f"{top.iloc[0]:.2f}, mean over policies)")
    return [f"<p><b>{_esc(o)}:</b> {_esc('; '.join(parts))}.</p>" for o, parts in said.items()]


def _decider(sob: pd.DataFrame, policy: str, reference: str, outcome: str) -> str:
    """The parameter with the largest total Sobol' index of the paired difference, in words."""
    if not len(sob):
        return "—"
    g = sob[(sob.policy == f"{policy} − {reference}") & (sob.outcome == outcome)]
    if not len(g) or not g.ST.notna().any():
        return "—"
    top = g.loc[g.ST.idxmax()]
    return f"{top.parameter} ({top.ST:.2f})"


def _share(x: float, colour: str) -> str:
    """A share of points as a cell shaded in proportion (green better, red worse, grey undecided)."""
    return f"<td style='background:rgba({colour},{0.55 * float(x):.2f})'>{float(x):.0%}</td>"


GREEN, BLUE, RED, GREY = "46,160,67", "31,95,168", "214,39,40", "127,127,127"


def contrasts_table(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Each policy against the reference, per outcome: the mean paired difference and the shares of
    the design's points where its interval says clearly better, equivalent, worse or undecided."""
    con = _read(frames, "contrasts", {"policy", "reference", "outcome", "diff_mean", "better_share",
                                      "worse_share"})
    if not len(con):
        return []
    sob = _read(frames, "sobol", {"outcome", "parameter", "ST", "policy"})
    intervals = "undecided_share" in con.columns
    head = ["outcome", "policy", "Δ on average"] + (
        ["clearly better", "clearly equivalent", "clearly worse", "undecided"] if intervals
        else ["better", "worse"]) + ["decided most by (total Sobol' index)"]
    rows = []
    for r in con.itertuples():
        cells = [f"<td>{_esc(r.outcome)}</td>", f"<td>{_esc(r.policy)}</td>"]
        if not getattr(r, "points", 1):
            rows.append("<tr>" + "".join(cells) + f"<td colspan={len(head) - 2}>no point where both have a "
                        "successful run</td></tr>")
            continue
        cells.append(f"<td>{_esc(readable(r.outcome, r.diff_mean, True))}</td>")
        if intervals and not r.replications_median >= MIN_PAIRED:  # no interval at all
            cells.append(f"<td colspan=4>{_esc(replications_text(r.replications_median))}</td>")
        elif intervals:
            cells += [_share(r.clearly_better_share, GREEN), _share(r.clearly_equivalent_share, BLUE),
                      _share(r.clearly_worse_share, RED), _share(r.undecided_share, GREY)]
        else:
            cells += [_share(r.better_share, GREEN), _share(r.worse_share, RED)]
        cells.append(f"<td>{_esc(_decider(sob, r.policy, r.reference, r.outcome))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ref = ", ".join(dict.fromkeys(con.reference.astype(str)))
    if intervals:
        reps = sorted({int(n) for n in con.replications_median if n >= MIN_PAIRED})
        how = (f"Share of the design's points where the {LEVEL:.0%} interval of the paired difference over "
               f"{'/'.join(map(str, reps)) or 'too few'} replications per point lies clearly beyond the smallest "
               "effect that matters (better or worse), clearly inside it (equivalent), or neither (undecided"
               + ("; more replications per point might decide those" if (con.undecided_share > 0).any() else "")
               + ").")
    else:  # an analysis written before the intervals: point means only
        how = ("Share of points where the policy's point mean is better or worse than the reference's by more "
               "than the smallest effect that matters (point means, Monte Carlo error ignored).")
    return [f"<h2>Each policy against {_esc(ref)}</h2><p class=muted>Δ on average: the paired difference, mean "
            f"over the design. {_esc(how)} Decided most by: the parameter with the largest total Sobol' index "
            "of the paired difference. All columns: analysis/contrasts.csv.</p>",
            "<div class=tw><table class=contrasts><thead><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head)
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"]
