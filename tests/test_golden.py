"""Behaviour unchanged: every shipped scenario gives the recorded scores for a fixed seed.

A change that is meant to alter results re-records them (`python tests/golden/record.py`)
and says so in its commit; any other change that moves a score fails here.
"""

import json
from pathlib import Path

from tests.golden.record import current

RECORD = Path(__file__).parent / "golden" / "scores.json"


def test_shipped_scenarios_give_the_recorded_scores():
    recorded = json.loads(RECORD.read_text())
    now = current()
    assert sorted(now) == sorted(recorded), "the set of shipped scenarios changed: re-record"
    changed = {name: (recorded[name]["mean"], now[name]["mean"]) for name in now
               if now[name]["sha256"] != recorded[name]["sha256"]}
    assert not changed, f"scores moved (recorded mean, now mean): {changed}"
