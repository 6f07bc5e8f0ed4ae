"""Measure the qualitative expectations of docs/scenarios.md ("Qualitative expectations and what
the model gives"): every claim's mean paired difference and its 95 % interval over 200 replications
(seed 2030), with the definitions tests/test_scenarios_library.py asserts, and the scenarios' index
levels.

    python benchmarks/library_claims.py        # about a minute; prints a Markdown table
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.scenario import load_scenario  # noqa: E402
from tests.test_scenarios_library import AFRICAN_PILOTS, LIBRARY, mean_score, overhead_usd, paired_ci, run  # noqa: E402


def row(claim: str, b, a, unit: str = "points", scale: float = 1.0, digits: int = 3) -> str:
    m, lo, hi = (x * scale for x in paired_ci(b, a))
    return f"| {claim} | {m:+,.{digits}f} [{lo:+,.{digits}f}, {hi:+,.{digits}f}] {unit} |"


def main() -> None:
    base, covid, roadmaps = run("baseline"), run("covid-shock"), run("india-japan-roadmaps")
    tri, pia, pia_covid = run("triangular-cooperation"), run("partnership-in-action"), run("partnership-in-action-covid")
    unpooled = tuple(f"donors.{d.id}.pooled_share=0" for d in load_scenario(LIBRARY / "partnership-in-action.yaml").donors)
    pia_unpooled = run("partnership-in-action", unpooled)
    k = base.trl.shape[-1]
    deployable = lambda r: (r.trl[:, 5, :k] >= r.scenario.technologies[0].deploy_trl).sum(axis=-1)  # noqa: E731
    ids = roadmaps.scenario.country_ids
    adoption = lambda r: r.adoption[:, -1, [ids.index(c) for c in AFRICAN_PILOTS]].mean(axis=(-2, -1))  # noqa: E731
    ratio = lambda r: r.private.sum(axis=1) / r.public_external.sum(axis=1)  # noqa: E731
    lines = [
        "| claim | paired difference (mean [95 % CI]) |", "|---|---|",
        row("The pandemic lowers mean SDG 3 in 2021 (covid-shock − baseline)",
            mean_score(covid, 2021, "SDG3"), mean_score(base, 2021, "SDG3")),
        row("… and in 2022", mean_score(covid, 2022, "SDG3"), mean_score(base, 2022, "SDG3")),
        row("… index 2030", mean_score(covid, 2030), mean_score(base, 2030)),
        row(f"Joint roadmaps bring more technologies to deployment by 2025 (roadmaps − baseline, of the "
            f"baseline's {k}; baseline {deployable(base).mean():.2f})", deployable(roadmaps), deployable(base),
            "technologies"),
        row("… index 2030", mean_score(roadmaps, 2030), mean_score(base, 2030)),
        row(f"Triangular cooperation raises adoption in the African pilots, 2030 (triangular − roadmaps; from "
            f"{adoption(roadmaps).mean():.3f} to {adoption(tri).mean():.3f})", adoption(tri), adoption(roadmaps), ""),
        row("… and their index 2030", mean_score(tri, 2030, countries=AFRICAN_PILOTS),
            mean_score(roadmaps, 2030, countries=AFRICAN_PILOTS)),
        row(f"Pooling changes total channel costs 2020–2029 (PiA − PiA with every `pooled_share` = 0; of "
            f"{overhead_usd(pia_unpooled).mean() / 1e6:,.0f} M)", overhead_usd(pia), overhead_usd(pia_unpooled),
            "US$ M", 1e-6, 0),
        row(f"PiA mobilises more private money per public dollar (PiA − triangular; {ratio(tri).mean():.3f} → "
            f"{ratio(pia).mean():.3f})", ratio(pia), ratio(tri), "", 1.0, 4),
        row("PiA under the pandemic still loses SDG 3 in 2021 (PiA-covid − PiA)",
            mean_score(pia_covid, 2021, "SDG3"), mean_score(pia, 2021, "SDG3")),
        row("PiA under the pandemic against business as usual under it, index 2030 (PiA-covid − covid-shock)",
            mean_score(pia_covid, 2030), mean_score(covid, 2030)),
        row("PiA against triangular cooperation, index 2030 (PiA − triangular)", mean_score(pia, 2030),
            mean_score(tri, 2030)),
        row("PiA against its own unpooled twin, index 2030", mean_score(pia, 2030), mean_score(pia_unpooled, 2030)),
    ]
    print("\n".join(lines))
    levels = {n: mean_score(r, 2030).mean() for n, r in (("baseline", base), ("covid-shock", covid),
              ("roadmaps", roadmaps), ("triangular", tri), ("PiA", pia), ("PiA-covid", pia_covid))}
    print(f"\nLevels (means over 200 runs): index {mean_score(base, 2020).mean():.1f} in 2020; 2030: "
          + ", ".join(f"{n} {v:.2f}" for n, v in levels.items()))
    print(f"channel costs: baseline {overhead_usd(base).mean() / 1e6:,.0f} M; "
          f"PiA unpooled {np.mean(overhead_usd(pia_unpooled)) / 1e6:,.0f} M")


if __name__ == "__main__":
    main()
