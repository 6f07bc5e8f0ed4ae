"""Donors' allocation rules fitted to the aid record (DAC2a) and tested out of sample.

    fit = fit_donors(["FRA", "JPN"], fit_until=2018, to=2022)   # or donors="all-dac"
    fit.fits          # donor, strategy, parameters, in-sample error (fit.csv)
    fit.skill         # donor, strategy, share_mae, persistence_mae, needs_mae (skill.csv)
    fit.best          # per donor: the rule with the least out-of-sample error, or persistence
    fit.save("results/donors")   # fit.csv, skill.csv, forecast.csv, report.html

The record is an imported DAC2a file (`sdgsim data import`, docs/data.md); what donors could
observe comes from the shipped WDI. How each strategy is fitted: simulation/analysis/donor_fit.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import data
from ..analysis import donor_fit, donor_panel
from ..data.donors import BY_ID
from ..data.store import DAC2A_MEASURES
from ..errors import InputError, OptionError, Problem
from ..mechanisms import dynamics
from ..report import donor_plots
from ..report.html import build_report
from ..results.folders import atomic_folder
from .arguments import checked
from .scenarios import load_scenario

__all__ = ["DonorFit", "fit_donors"]

TEMPLATE = "baseline-all-goals"   # its indicators stand for the goals, as in `sdgsim new`


@dataclass
class DonorFit:
    """Fitted allocation rules per donor, their out-of-sample skill, and the forecasts scored."""

    fits: pd.DataFrame
    """donor, strategy, parameters (JSON), in_sample_mae, note."""
    skill: pd.DataFrame
    """donor, strategy, share_mae, persistence_mae, needs_mae, years, recipients, best, beats_persistence."""
    forecast: pd.DataFrame
    """donor, year, recipient, observed, persistence, needs and one column per fitted strategy (shares)."""
    fit_until: int
    to: int
    source: str
    measure: str
    notes: list[str] = field(default_factory=list)
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)
    """donor, share_mae (persistence with drift), persistence_mae, equal_mae, drift_weight, window, years,
    goals: the donor's shares over goals (shipped CRS sector groups), where the data allow."""
    panels: dict = field(default_factory=dict, repr=False)
    fitted: dict = field(default_factory=dict, repr=False)

    @property
    def best(self) -> pd.DataFrame:
        """Return each donor's rule and its out-of-sample errors.

        The rule is the one with the least out-of-sample error, or persistence with drift when none
        beats persistence; columns donor, strategy, share_mae, persistence_mae, needs_mae, beats_persistence.
        """
        b = self.skill[self.skill.best]
        return b[["donor", "strategy", "share_mae", "persistence_mae", "needs_mae", "beats_persistence"]] \
            .reset_index(drop=True)

    def summary(self) -> str:
        """Describe in a few lines each donor's rule and its error against persistence and needs-only."""
        lines = [f"Donor rules fitted on {self.source} ({self.measure}) up to {self.fit_until}, forecast "
                 f"{self.fit_until + 1}-{self.to}; mean absolute error of recipient shares (percentage points)",
                 f"{'donor':<7}{'rule':<22}{'rule':>7}{'persist.':>10}{'needs':>7}   best rule on recipients' data"]
        params = self.fits.set_index(["donor", "strategy"]).parameters
        for r in self.best.itertuples():
            rule = r.strategy
            if rule == "persistence":
                rule += f" (drift {json.loads(params[(r.donor, rule)])['drift_weight']:g})"
            other = self.skill[(self.skill.donor == r.donor) & (self.skill.strategy != "persistence")]
            o = other.loc[other.share_mae.idxmin()]
            lines.append(f"{r.donor:<7}{rule:<22}{100 * r.share_mae:>7.3f}{100 * r.persistence_mae:>10.3f}"
                         f"{100 * r.needs_mae:>7.3f}   {o.strategy} {100 * o.share_mae:.3f}"
                         + ("" if r.beats_persistence else "; no rule beats persistence"))
        b = self.best
        lines.append(f"{int(b.beats_persistence.sum())} of {len(b)} donors have a rule beating persistence; "
                     f"{int((b.share_mae < b.needs_mae).sum())} beat needs-only")
        if len(self.sectors):
            s = self.sectors
            lines.append(f"shares over goals (CRS sectors, {len(s)} donors): persistence with drift "
                         f"{100 * s.share_mae.mean():.2f} points, persistence {100 * s.persistence_mae.mean():.2f}, "
                         f"equal split {100 * s.equal_mae.mean():.2f} (means over donors); drift beats "
                         f"persistence for {int((s.share_mae < s.persistence_mae * (1 - 1e-9)).sum())}")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])

    def plot(self, ax=None):
        """Each donor's best rule's error against persistence and needs-only (bars, percentage points)."""
        return donor_plots.draw_skill(ax, self.best)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write fit.csv, skill.csv, forecast.csv, sectors.csv, summary.txt, manifest.json and report.html.

        Parameters
        ----------
        path : str or Path
            The results folder (written atomically).
        force : bool
            Replace an existing folder.

        Returns
        -------
        Path
            The folder written.

        """
        path = Path(path)
        with atomic_folder(path, force) as tmp:
            self.fits.to_csv(tmp / "fit.csv", index=False, float_format="%.6g")
            self.skill.to_csv(tmp / "skill.csv", index=False, float_format="%.6g")
            self.forecast.to_csv(tmp / "forecast.csv", index=False, float_format="%.6g")
            self.sectors.to_csv(tmp / "sectors.csv", index=False, float_format="%.6g")
            (tmp / "summary.txt").write_text(self.summary() + "\n")
            (tmp / "manifest.json").write_text(json.dumps({
                "kind": "donors", "fit_until": self.fit_until, "to": self.to, "source": self.source,
                "measure": self.measure, "notes": self.notes}, indent=2))
            build_report(tmp)
        return path


def parse_donors(text: str | Sequence[str]) -> list[str]:
    """Return donor ids from a list or "JPN,FRA" or "all-dac" (every DAC member).

    Parameters
    ----------
    text : str or sequence of str
        DAC1 donor ids (ISO3 such as JPN, EUI for EU institutions), or "all-dac".

    Returns
    -------
    list of str
        The ids, in the order given, without repeats.

    Raises
    ------
    OptionError
        A name that is not a DAC1 donor, located at `--donors`.
    """
    items = [y.strip() for y in text.split(",")] if isinstance(text, str) else [str(y).strip() for y in text]
    items = [x for x in items if x]
    if [x.lower() for x in items] == ["all-dac"]:
        return [d.id for d in BY_ID.values() if d.dac_member]
    out, problems = [], []
    for x in (y.upper() for y in items):
        if x in BY_ID and BY_ID[x].kind != "group":
            out.append(x)
        else:
            problems.append(Problem("--donors", 1, x, "not a DAC1 donor (allowed: an ISO3 code such as FRA, EUI, or "
                                                      "all-dac; sdgsim data show donors lists them)"))
    if problems:
        raise OptionError(problems)
    return list(dict.fromkeys(out))

def _needs_template() -> donor_panel.Needs:
    """Read the indicators and goal definitions `sdgsim new` uses: the needs donors could observe."""
    t = load_scenario(TEMPLATE)
    proxy = {i.goal: i.model_dump() for i in t.indicators}   # one indicator per goal stands for it
    retention = 1.0 - float(dynamics.leakage(np.array(donor_panel.GOVERNANCE), t.governance.leakage_max,
                                             t.governance.exponent))
    return donor_panel.Needs(list(proxy.values()), {g.id: g.effectiveness for g in t.goals},
                             {g.id: g.spend_scale_usd_per_capita for g in t.goals}, retention)


def _dac2a_record() -> tuple[pd.DataFrame, str]:
    """Read the imported DAC2a flows and a label naming their import; a located error if there is none."""
    flows = data.dac2a()
    if not len(flows):
        raise InputError([Problem(str(data.user_dir()), 1, "DAC2a",
                                  "no DAC2a import in the user data folder: download DAC2A from the OECD Data "
                                  "Explorer (data-explorer.oecd.org, search 'DAC2A', CSV) and import it with "
                                  "`sdgsim data import FILE` (docs/data.md)")])
    return flows, ", ".join(sorted(set(flows.source.astype(str))))


@checked
def fit_donors(donors: str | Sequence[str] = "all-dac", fit_until: int = 2018, to: int = 2022,
               measure: str = "auto") -> DonorFit:
    """Fit every allocation strategy to each donor's DAC2a shares and score them out of sample.

    Parameters
    ----------
    donors : str or list of str
        Donor ids (ISO3 such as ``"FRA"``, ``"EUI"``), a comma-separated string, or ``"all-dac"``.
    fit_until : int
        Last year the fit reads (no later allocation is used for fitting).
    to : int
        Last year forecast and scored.
    measure : {"auto", "gross", "net"}
        DAC2a aid type: gross ODA disbursements (240), total net ODA (206), or gross where present.

    Returns
    -------
    DonorFit
        Fits, skill and forecasts; ``.save(path)`` writes the results folder.

    """
    if to <= fit_until:
        raise OptionError([Problem("--to", 1, str(to), f"must be after --fit-until ({fit_until})")])
    if measure not in ("auto", *DAC2A_MEASURES):
        raise OptionError([Problem("--measure", 1, measure, "allowed: auto, gross, net")])
    ids = parse_donors(donors)
    flows, source = _dac2a_record()
    flows, used = data.dac2a_flows(flows, measure, source)
    panels, notes = donor_panel.panels(flows, ids, _needs_template(), fit_until, to, source)
    if not panels:
        raise InputError([Problem(source, 1, "DAC2a", f"none of the donors ({', '.join(ids[:8])}) has DAC2a years "
                                                      f"up to {fit_until} and after it: " + "; ".join(notes[:5]))])
    fits, skill, fitted = [], [], {}
    for donor, panel in panels.items():
        fitted[donor] = donor_fit.fit_panel(panel, fit_until)
        rows = donor_fit.skill(panel, fitted[donor], fit_until, to)
        best, beats = donor_fit.best_rule(rows)
        for f, r in zip(fitted[donor], rows):
            fits.append({"donor": donor, "strategy": f.strategy, "parameters": json.dumps(f.params, sort_keys=True),
                         "in_sample_mae": f.in_sample_mae, "fit_years": f"{int(panel.years.min())}-{fit_until}",
                         "note": f.note})
            skill.append({**r, "best": f.strategy == best, "beats_persistence": donor_fit.beats_persistence(r)})
        for name, why in donor_fit.NOT_FITTED.items():
            fits.append({"donor": donor, "strategy": name, "parameters": "{}", "in_sample_mae": np.nan,
                         "fit_years": "", "note": f"not fitted: {why}"})
    sectors = [r for p in donor_panel.sector_panels(ids, to).values()
               if (r := donor_fit.sector_skill(p, fit_until, to)) is not None]
    return DonorFit(pd.DataFrame(fits), pd.DataFrame(skill), _forecasts(panels, fitted, fit_until, to), fit_until,
                    to, source, used, notes, pd.DataFrame(sectors), panels, fitted)


def _forecasts(panels: dict, fitted: dict, fit_until: int, to: int) -> pd.DataFrame:
    frames = []
    for donor, panel in panels.items():
        past = panel.until(fit_until)
        last = past.shares[np.flatnonzero(~np.isnan(past.shares).any(axis=1))[-1]]
        for y, year in enumerate(panel.years):
            if not fit_until < year <= to or np.isnan(panel.shares[y]).any():
                continue
            cols = {"donor": donor, "year": int(year), "recipient": panel.recipients, "observed": panel.shares[y],
                    "persistence_last": last,
                    "needs_only": donor_fit.rule_shares("needs", panel.contexts[y], panel.eligible, [{}])[0]}
            cols.update({f.strategy: donor_fit.forecast(panel, f, fit_until, int(year)) for f in fitted[donor]})
            frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


HOLDOUT = 4   # `sdgsim new`: the last years of the record up to --start that pick each donor's rule


def apply_fitted_rules(doc: dict, start: int) -> list[str]:
    """Give the donors of a scenario built by `sdgsim new` their best rule on the DAC2a record.

    Each donor's rule is the one with the least error over the last HOLDOUT years of the record
    up to `start` when fitted on the years before (persistence with drift when none beats
    persistence, with drift weight 0 when the drift did not help on those years either); its
    parameters are then fitted on the whole record up to `start`. The fit is
    written to the scenario's `sources:` (provenance). Without a DAC2a import nothing changes.

    Parameters
    ----------
    doc : dict
        The scenario body (`simulation.data.newscenario.build_scenario`), changed in place.
    start : int
        The scenario's start year: no later record is read.

    Returns
    -------
    list of str
        What could not be fitted and why (one line per donor).

    """
    flows = data.dac2a()
    if not len(flows) or not doc["donors"]:
        return []
    flows, used = data.dac2a_flows(flows[flows.year <= start], "auto", "DAC2a")
    source = ", ".join(sorted(set(flows.source.astype(str))))
    last = int(flows.year.max())
    ids = [d["id"].removesuffix("-ODA") for d in doc["donors"]]
    panels, notes = donor_panel.panels(flows, ids, _needs_template(), last - HOLDOUT, last, source)
    for entry in doc["donors"]:
        donor = entry["id"].removesuffix("-ODA")
        if donor in panels:
            _apply(doc, entry, panels[donor], last, start, f"{source}, {used}")
    return [n for n in notes if n.split(":")[0] not in panels]


def _apply(doc: dict, entry: dict, panel, last: int, start: int, source: str) -> None:
    fit_until = last - HOLDOUT
    rows = donor_fit.skill(panel, donor_fit.fit_panel(panel, fit_until), fit_until, last)
    rule, beats = donor_fit.best_rule(rows)
    row = next(r for r in rows if r["strategy"] == rule)
    final = donor_fit.fit_persistence(panel) if rule == "persistence" else donor_fit.fit_rule(panel, rule)
    held = rule == "persistence" and not donor_fit.beats_persistence(row)
    if held:   # its drift did not help out of sample: hold the record (drift weight 0)
        final = donor_fit.Fit(rule, {**final.params, "drift_weight": 0.0}, final.in_sample_mae)
    entry["strategy"], entry["strategy_params"] = rule, {k: v for k, v in final.params.items() if k != "window"}
    if rule == "persistence":
        ok = np.flatnonzero(~np.isnan(panel.shares).any(axis=1))
        window = min(int(final.params["window"]), len(ok))
        rec, drift = donor_fit.drift_record(panel.shares[ok], panel.years[ok], len(ok) - 1, window) \
            if window > 1 else (panel.shares[ok[-1]], np.zeros(len(panel.recipients)))
        chosen = {c["id"] for c in doc["countries"]}
        keep = [i for i, r in enumerate(panel.recipients) if r in chosen]
        entry["recorded_shares"] = {panel.recipients[i]: round(float(rec[i]), 6) for i in keep}
        entry["share_drift"] = {panel.recipients[i]: round(float(drift[i]), 6) for i in keep}
        entry["strategy_params"]["offset"] = float(start - int(panel.years[ok[-1]]))
    why = "" if beats else ("; no rule beat persistence, so persistence with drift" +
                            ("; its drift did not help on the test years, so drift weight 0" if held else ""))
    doc["sources"][f"donors.{entry['id']}.strategy"] = (
        f"fitted on {source} (`sdgsim donors fit` method): rule picked by its error on "
        f"{fit_until + 1}-{last} when fitted on {int(panel.years.min())}-{fit_until} (share MAE "
        f"{100 * row['share_mae']:.3f} points vs persistence {100 * row['persistence_mae']:.3f}, needs-only "
        f"{100 * row['needs_mae']:.3f}; {len(panel.recipients)} recipients){why}; " + (
            f"recorded shares of {last}, drift over its last {int(final.params['window'])} years"
            if rule == "persistence" else f"parameters fitted on {int(panel.years.min())}-{last} (in-sample MAE "
                                          f"{100 * final.in_sample_mae:.3f} points)"))
