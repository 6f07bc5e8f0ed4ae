"""Figures that read: stable colours per funding source, heat-map labels, money axes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from simulation.report.figures import money, stable_color
from simulation.report.plots import heat_label, text_color


def _line_colours(names: list[str], hash_seed: str) -> dict[str, str]:
    """Each scenario's line colour in a fan chart drawing `names` in that order, drawn by a fresh
    report process (nothing remembered from other charts; Python's str hash seeded with `hash_seed`)."""
    code = ("import json, sys, numpy as np, pandas as pd; from matplotlib.colors import to_hex; "
            "from simulation.report.plots import draw_fan_chart; names = json.loads(sys.argv[1]); "
            "ax = draw_fan_chart(None, {n: pd.DataFrame(np.full((3, 2), float(i)), columns=[2020, 2021]) "
            "for i, n in enumerate(names)}); "
            "print(json.dumps({l.get_label(): to_hex(l.get_color()) for l in ax.get_lines()}))")
    res = subprocess.run([sys.executable, "-c", code, json.dumps(names)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "agg"})
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def test_a_source_has_one_colour_whatever_else_is_drawn():
    """A funder or scenario has the same colour in every chart and report: not its place among the
    names drawn, not the order, not the process (fixed colours for the shipped funders, else a
    hash of the name that does not change between runs)."""
    alone = _line_colours(["JPN-ODA", "my-scenario"], "1")
    crowded = _line_colours(["facility", "some-new-donor", "my-scenario", "IND-DPA", "JPN-ODA"], "2")
    assert alone["JPN-ODA"] == crowded["JPN-ODA"] and alone["my-scenario"] == crowded["my-scenario"]
    assert crowded == {n: stable_color(n) for n in reversed(crowded)}  # this process, another order
    shipped = ["JPN-ODA", "IND-DPA", "DAC-OTHER", "facility", "private", "JPN-FOUND", "IND-FOUND", "AFR-FOUND",
               "JPN-PRIV", "IND-PRIV", "AFR-PRIV", "RES-ORGS", "THINK-TANKS"]
    assert len({stable_color(s) for s in shipped}) == len(shipped)  # shipped funders never share a colour


def test_heat_map_labels_never_say_plus_zero():
    assert heat_label(0.004, 0.9, signed=True) == "0"
    assert heat_label(-0.004, 0.9, signed=True) == "0"
    assert heat_label(0.25, 0.9, signed=True) == "+0.25"
    assert heat_label(3.14, 5.0, signed=False) == "3.1"
    assert text_color((0.03, 0.19, 0.38, 1.0)) == "white" and text_color((0.97, 0.97, 0.97, 1.0)) == "black"


def test_money_ticks_are_in_millions_and_billions():
    assert money(1.5e9) == "1.5 bn" and money(2.5e8) == "250 M" and money(0) == "0" and money(-3e10) == "-30 bn"
    assert money(999_950) == "1 M" and money(-999.7e6) == "-1 bn"  # rounded before the scale is chosen


def _axes_without_labels(figures) -> list[str]:
    """Every drawn axes of these figures whose x or y axis does not say what it shows (a colour
    bar: its long axis)."""
    missing = []
    for fig in figures:
        title = fig._suptitle.get_text() if fig._suptitle else ""
        for ax in fig.axes:
            if not ax.axison:
                continue
            if ax.get_label() == "<colorbar>":
                if not (ax.get_ylabel() or ax.get_xlabel()):
                    missing.append(f"{title}: colour bar")
                continue
            for axis, text in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
                if not text.strip():
                    missing.append(f"{title or ax.get_title()}: {axis} axis")
    return missing


def test_every_axis_of_every_report_figure_says_what_it_shows(tmp_path, monkeypatch):
    import simulation as sim
    from simulation.report import backtest_plots, figures, plots, search_plots, sweep_plots
    from tests.factory import ROOT

    drawn = []

    def recording(*args, **kw):
        fig, axes = figures.subplots(*args, **kw)
        drawn.append(fig)
        return fig, axes

    for module in (plots, backtest_plots, search_plots, sweep_plots):
        monkeypatch.setattr(module, "subplots", recording)
    sim.compare(["baseline", "partnership-in-action"], runs=3, seed=1, flows="yearly").save(tmp_path / "c")
    sim.run("baseline", runs=3, seed=1).save(tmp_path / "r")
    sim.backtest(ROOT / "scenarios" / "backtest.yaml", ROOT / "scenarios" / "history" / "wdi.csv", 2015, 2020,
                 runs=10, seed=1).save(tmp_path / "bt")
    sim.calibrate("baseline", ROOT / "scenarios" / "history" / "wdi.csv", 2019).save(tmp_path / "cal")
    assert len(drawn) >= 10
    missing = _axes_without_labels(drawn)
    assert missing == [], sorted(set(missing))
