"""Reliability, second round: round-trips, hostile folders and paths, size limits, signals.

docs/reliability.md lists the guarantees these tests prove.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.scenario import validate_data
from simulation.scenario.catalog import to_yaml
from simulation.scenario.yamlio import parse_located
from tests.factory import scenario, small_dict

IDENT = st.from_regex(re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}", re.ASCII), fullmatch=True)
TRICKY = st.sampled_from(["1e9", "-.5", "E1", "e5", "1_000", "010", "1:30", "0x1F", ".5", "1.", "+1", "NaN",
                          ".inf", "yes", "NO", "null", "~", "true", "2020-01-01", "1e", "-", "#x", "'q", "a: b"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.one_of(TRICKY.filter(lambda s: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", s)), IDENT),
       donor=st.one_of(TRICKY.filter(lambda s: re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", s)), IDENT),
       description=st.one_of(TRICKY, st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                                max_size=30)))
def test_show_output_loads_back_to_the_same_content_hash(name, donor, description):
    data = small_dict()
    data["name"], data["description"] = name, description
    data["donors"][0]["id"] = donor if donor != data["donors"][1]["id"] else donor + "x"
    sc = scenario(data)
    again = validate_data(parse_located(to_yaml(sc), "<shown>"), "<shown>")
    assert again.content_hash() == sc.content_hash()


def test_a_plain_id_like_E1_is_text_and_numbers_stay_numbers():
    data = parse_located("a: E1\nb: e5\nc: 1e9\nd: -.5\ne: 1_000\nf: 1.\n", "<t>")
    assert data == {"a": "E1", "b": "e5", "c": 1e9, "d": -0.5, "e": 1000, "f": 1.0}
