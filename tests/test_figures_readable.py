"""Figures that read: stable colours per funding source, heat-map labels, money axes."""

from __future__ import annotations

from simulation.report.figures import money, stable_color
from simulation.report.plots import heat_label, text_color


def test_a_source_has_one_colour_whatever_else_is_drawn():
    assert stable_color("JPN-ODA") == stable_color("JPN-ODA")
    shipped = ["JPN-ODA", "IND-DPA", "DAC-OTHER", "facility", "private", "JPN-FOUND", "IND-FOUND", "AFR-FOUND",
               "JPN-PRIV", "IND-PRIV", "AFR-PRIV", "RES-ORGS", "THINK-TANKS"]
    assert len({stable_color(s) for s in shipped}) == len(shipped)  # shipped funders never share a colour
    assert stable_color("some-new-donor") == stable_color("some-new-donor")  # unknown names: a hash, not order


def test_heat_map_labels_never_say_plus_zero():
    assert heat_label(0.004, 0.9, signed=True) == "0"
    assert heat_label(-0.004, 0.9, signed=True) == "0"
    assert heat_label(0.25, 0.9, signed=True) == "+0.25"
    assert heat_label(3.14, 5.0, signed=False) == "3.1"
    assert text_color((0.03, 0.19, 0.38, 1.0)) == "white" and text_color((0.97, 0.97, 0.97, 1.0)) == "black"


def test_money_ticks_are_in_millions_and_billions():
    assert money(1.5e9) == "1.5 bn" and money(2.5e8) == "250 M" and money(0) == "0" and money(-3e10) == "-30 bn"
    assert money(999_950) == "1 M" and money(-999.7e6) == "-1 bn"  # rounded before the scale is chosen
