"""Record the scores of every shipped scenario for a fixed seed (the behaviour-unchanged check).

    python tests/golden/record.py          # rewrites tests/golden/scores.json

Run it only when a change is meant to alter the model's results, and say so in the commit.
tests/test_golden.py compares the current engine with this record.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the repository's simulation package
    sys.path.insert(0, str(ROOT))

from simulation import load_scenario, run  # the public API; no fallback: if it breaks, the golden test says so

RUNS, SEED = 4, 1


def fingerprint(scores: np.ndarray) -> dict:
    """A hash of the scores rounded to 1e-9 (robust to last-bit noise) and a few plain numbers."""
    rounded = np.round(np.asarray(scores, dtype=float), 9)
    return {"sha256": hashlib.sha256(np.ascontiguousarray(rounded).tobytes()).hexdigest(),
            "shape": list(rounded.shape), "mean": float(rounded.mean()), "last": float(rounded.reshape(-1)[-1])}


def scores_of(path: Path) -> np.ndarray:
    """The scores (runs × years × countries × goals) of the scenario file at `path`, through the public API."""
    return run(load_scenario(path), runs=RUNS, seed=SEED, flows=False).arrays["scores"]


def current() -> dict:
    """The fingerprint of every shipped scenario's scores, by file stem."""
    return {p.stem: fingerprint(scores_of(p)) for p in sorted((ROOT / "scenarios").glob("*.yaml"))}


if __name__ == "__main__":
    (HERE / "scores.json").write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {HERE / 'scores.json'}")
