"""The shipped scenario library: valid, runnable, sourced, and telling the programme's story.

Qualitative expectations of docs/scenarios.md are checked over replications with paired
differences: replication i of two scenarios run with the same seed shares its random
streams (rng.py), so scenario B minus scenario A per replication isolates the policy
difference. Each claim is asserted on the 95 % confidence interval of the mean paired
difference, never on a single run.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from cli import main
from simulation.experiments.replications import run_scenario
from simulation.model import ACCOUNTS, RunArrays
from simulation.scenario import catalog, load_scenario

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(LIBRARY.glob("*.yaml"))
BUILT = {"world"}  # built from the evidence base by `sdgsim new` (tests/test_new.py), not the programme's library
PROGRAMME = [p for p in FILES if p.stem not in BUILT]
RUNS, SEED = 200, 2030

# SDSN Sustainable Development Report 2023, back-dated SDG Index time series 2000-2022
# (sdg_index_2000-2022.csv), goal scores for data year 2020 = the scenarios' start year.
SDR_2020 = {
    "ETH": {"SDG2": 53.5, "SDG3": 48.3, "SDG6": 38.7, "SDG7": 34.1},
    "GHA": {"SDG2": 70.4, "SDG3": 53.5, "SDG6": 57.7, "SDG7": 50.9},
    "IND": {"SDG2": 53.8, "SDG3": 64.3, "SDG6": 58.1, "SDG7": 66.2},
    "KEN": {"SDG2": 57.1, "SDG3": 50.9, "SDG6": 46.7, "SDG7": 41.5},
    "SRB": {"SDG2": 77.2, "SDG3": 81.6, "SDG6": 75.0, "SDG7": 71.4},
    "UKR": {"SDG2": 65.1, "SDG3": 76.9, "SDG6": 76.1, "SDG7": 70.7},
    "NGA": {"SDG2": 60.9, "SDG3": 36.1, "SDG6": 59.7, "SDG7": 25.0},
    "RWA": {"SDG2": 62.4, "SDG3": 59.3, "SDG6": 57.8, "SDG7": 33.7},
    "TZA": {"SDG2": 61.9, "SDG3": 47.0, "SDG6": 51.7, "SDG7": 34.3},
    "UGA": {"SDG2": 66.6, "SDG3": 49.3, "SDG6": 47.4, "SDG7": 38.2},
}
# Same source, SDG 9 and 17 (two of the 11 extra goals of baseline-all-goals), data year 2020.
SDR_2020_EXTRA = {
    "ETH": {"SDG9": 25.7, "SDG17": 42.6}, "GHA": {"SDG9": 44.3, "SDG17": 45.0},
    "IND": {"SDG9": 49.7, "SDG17": 52.8}, "KEN": {"SDG9": 33.7, "SDG17": 52.1},
    "SRB": {"SDG9": 65.3, "SDG17": 83.6}, "UKR": {"SDG9": 45.3, "SDG17": 76.1},
    "NGA": {"SDG9": 39.2, "SDG17": 37.3}, "RWA": {"SDG9": 28.3, "SDG17": 60.0},
    "TZA": {"SDG9": 25.3, "SDG17": 48.8}, "UGA": {"SDG9": 27.6, "SDG17": 46.8},
}
# Mean yearly change 2015-2019 of each goal score over the ten countries, same source.
SDR_TREND_2015_2019 = {"SDG2": 0.468, "SDG3": 1.153, "SDG6": 0.438, "SDG7": 1.212}
AFRICAN_PILOTS = ["ETH", "GHA", "KEN"]


@lru_cache(maxsize=None)
def run(name: str, sets: tuple[str, ...] = ()) -> RunArrays:
    return run_scenario(load_scenario(LIBRARY / f"{name}.yaml", sets), runs=RUNS, seed=SEED, record_flows=False)


def paired_ci(b: np.ndarray, a: np.ndarray) -> tuple[float, float, float]:
    """Mean of the paired differences b − a and its 95 % t-interval."""
    d = np.asarray(b, float) - np.asarray(a, float)
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def mean_score(r: RunArrays, year: int, goal: str | None = None, countries: list[str] | None = None) -> np.ndarray:
    """(N,) mean over countries (and goals, unless one is named) of the scores in `year`."""
    sc = r.scenario
    s = r.scores[:, year - sc.start_year]
    if countries is not None:
        s = s[:, [sc.country_ids.index(c) for c in countries]]
    return s[..., sc.goal_ids.index(goal)].mean(axis=-1) if goal else s.mean(axis=(-2, -1))


def overhead_usd(r: RunArrays) -> np.ndarray:
    return r.balance[..., ACCOUNTS.index("overhead")].sum(axis=1)


# ------------------------------------------------------------------ the library itself


def test_library_ships_the_six_programme_scenarios_and_variants():
    names = {p.stem for p in FILES}
    assert {"baseline", "covid-shock", "india-japan-roadmaps", "triangular-cooperation", "partnership-in-action",
            "partnership-in-action-covid"} <= names
    assert {"baseline-2035", "partnership-in-action-2035", "baseline-all-goals"} <= names


def test_validate_is_clean_for_every_shipped_file():
    result = CliRunner().invoke(main, ["validate", *map(str, FILES)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (") == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_shipped_scenario_runs_and_conserves_money(path):
    sc = load_scenario(path)
    r = run_scenario(sc, runs=4, seed=1, record_flows=False)
    assert r.scores.shape == (4, sc.end_year - sc.start_year + 1, len(sc.countries), len(sc.goals))
    assert np.isfinite(r.scores).all() and r.scores.min() >= 0 and r.scores.max() <= 100
    sources, uses = r.balance[..., 0], r.balance[..., 1:].sum(axis=-1)
    assert np.abs(sources - uses).max() <= 1e-9 * sources.max()


def test_children_state_only_what_differs_from_their_parent():
    for path in PROGRAMME:
        text = path.read_text()
        if path.stem == "baseline":
            assert "extends:" not in text
            continue
        assert "extends:" in text, path.name
        # the all-goals variant adds goals to every country; the back-test world restates each
        # country's 2010 population and GDP
        assert "\ncountries:" not in text or path.stem in ("baseline-all-goals", "backtest"), path.name
        assert len(text.splitlines()) < 80, f"{path.name} repeats its parent?"


def test_covid_variants_apply_identical_shocks():
    shocks = load_scenario(LIBRARY / "covid-shock.yaml").shocks
    assert shocks and load_scenario(LIBRARY / "partnership-in-action-covid.yaml").shocks == shocks


def test_horizons_start_2020_and_variants_reach_2035():
    for path in PROGRAMME:
        sc = load_scenario(path)
        if path.stem == "backtest":  # the history world for back-tests
            assert (sc.start_year, sc.end_year) == (2010, 2023)
            continue
        assert sc.start_year == 2020
        assert sc.end_year == (2035 if path.stem.endswith("-2035") else 2030), path.name


# ------------------------------------------------------------------ provenance


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_source_key_names_a_real_field(path):
    sc = load_scenario(path)
    if path.stem not in BUILT:
        assert "countries.*.scores" in sc.sources and "2020" in sc.sources["countries.*.scores"]
    assert catalog.unmatched_sources(sc) == []


def test_a_misspelt_source_key_is_reported():
    sc = load_scenario(LIBRARY / "baseline.yaml")
    sc = sc.model_copy(update={"sources": {**sc.sources, "countries.*.populaton_m": "WDI", "shocks.0.gdp_cut": "x"}})
    assert catalog.unmatched_sources(sc) == ["countries.*.populaton_m", "shocks.0.gdp_cut"]


@pytest.mark.parametrize("path", PROGRAMME, ids=lambda p: p.stem)
def test_start_year_scores_equal_the_sourced_sdr_goal_scores(path):
    sc = load_scenario(path)
    r = run_scenario(sc, runs=2, seed=3, record_flows=False)
    expected = {c: {**SDR_2020[c], **(SDR_2020_EXTRA[c] if "SDG9" in sc.goal_ids else {})} for c in SDR_2020}
    assert sorted(sc.country_ids) == sorted(expected)
    for i, c in enumerate(sc.country_ids):
        for g, value in expected[c].items():
            assert sc.countries[i].scores[g] == value, (c, g)
            assert np.all(r.scores[:, 0, i, sc.goal_ids.index(g)] == value), (c, g)


# ------------------------------------------------------------------ CLI: scenarios, list, show


@pytest.mark.parametrize("command", ["scenarios", "list"])
def test_scenarios_lists_every_file_once_with_its_description_parents_first(command):
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    order = [next(i for i, ln in enumerate(lines) if ln.strip().split(" ")[0] == p.stem) for p in FILES]
    assert len(set(order)) == len(FILES)
    row = {p.stem: lines[i] for p, i in zip(FILES, order)}
    assert "2020-2030" in row["baseline"] and "Business as usual" in row["baseline"]
    assert lines.index(row["baseline"]) < lines.index(row["covid-shock"])
    assert lines.index(row["triangular-cooperation"]) < lines.index(row["partnership-in-action"])
    assert row["partnership-in-action"].index("partnership") > row["triangular-cooperation"].index("triangular")


def test_scenarios_lists_invalid_files_and_extends_cycles_once(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    (tmp_path / "baseline.yaml").write_text((LIBRARY / "baseline.yaml").read_text())
    rows = catalog.entries(tmp_path)
    assert [(e.name, e.valid) for e in rows] == [("baseline", True), ("a", False), ("b", False)]
    assert "cycle in extends chain" in rows[1].summary and rows[2].depth == 1


def test_scenarios_on_a_missing_folder_is_a_located_error():
    result = CliRunner().invoke(main, ["scenarios", "/no/such/folder"])
    assert result.exit_code == 2
    assert "/no/such/folder:1: <directory>: not a folder" in result.output


def test_show_prints_the_resolved_scenario_that_validates_to_the_same_hash(tmp_path):
    sets = ["donors.JPN-ODA.pooled_share=0.3", "facility.overhead_rate=0.02"]
    result = CliRunner().invoke(main, ["show", "partnership-in-action", *sum((["--set", s] for s in sets), [])])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# partnership-in-action: resolved from partnership-in-action.yaml <- "
                                    "triangular-cooperation.yaml <- india-japan-roadmaps.yaml <- baseline.yaml")
    out = tmp_path / "resolved.yaml"
    out.write_text(result.output)
    again = load_scenario(out)
    expected = load_scenario(LIBRARY / "partnership-in-action.yaml", sets)
    assert again == expected and again.content_hash() == expected.content_hash()
    assert expected.content_hash() in result.output
    assert again.donors[0].pooled_share == 0.3 and again.facility.overhead_rate == 0.02


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_show_round_trips_every_shipped_scenario(path, tmp_path):
    out = tmp_path / "x.yaml"
    out.write_text(catalog.show(str(path)))
    assert load_scenario(out).content_hash() == load_scenario(path).content_hash()


def test_show_unknown_scenario_names_the_shipped_ones():
    result = CliRunner().invoke(main, ["show", "baseline-typo"])
    assert result.exit_code == 2
    assert "baseline-typo:1: <scenario>: no such file and no shipped scenario" in result.output
    assert "covid-shock" in result.output


def test_show_bad_set_is_a_located_error():
    result = CliRunner().invoke(main, ["show", "baseline", "--set", "donors.JPN-ODA.budget_usd=-5"])
    assert result.exit_code == 2
    assert "--set #1:1: donors.JPN-ODA.budget_usd:" in result.output


# ------------------------------------------------------------------ calibration and story


def test_baseline_goal_trends_match_the_sdr_2015_2019_trends():
    r = run("baseline")
    drift = (r.scores[:, 5] - r.scores[:, 0]).mean(axis=(0, 1)) / 5  # 2020-2025, per goal
    for g, target in SDR_TREND_2015_2019.items():
        assert drift[r.scenario.goal_ids.index(g)] == pytest.approx(target, abs=0.1), g
    assert drift.mean() == pytest.approx(np.mean(list(SDR_TREND_2015_2019.values())), abs=0.05)


def test_pandemic_lowers_mean_sdg3_in_2021_and_2022_as_observed():
    base, covid = run("baseline"), run("covid-shock")
    m21, lo21, hi21 = paired_ci(mean_score(covid, 2021, "SDG3"), mean_score(base, 2021, "SDG3"))
    m22, lo22, hi22 = paired_ci(mean_score(covid, 2022, "SDG3"), mean_score(base, 2022, "SDG3"))
    assert hi21 < 0 and hi22 < 0
    assert -2.0 <= m21 <= -1.3  # SDR 2023 series: 1.3-2.0 points below the pre-pandemic trend in 2021
    assert -3.2 <= m22 <= -2.4  # and 2.4-3.2 points in 2022
    assert paired_ci(mean_score(covid, 2030), mean_score(base, 2030))[2] < 0  # a lasting setback


def test_joint_roadmaps_bring_technologies_to_deployment_sooner():
    base, roadmaps = run("baseline"), run("india-japan-roadmaps")
    k = base.trl.shape[-1]  # the baseline's technologies come first in the roadmaps too
    deployable = lambda r: (r.trl[:, 5, :k] >= r.scenario.technologies[0].deploy_trl).sum(axis=-1)  # noqa: E731
    assert [t.id for t in roadmaps.scenario.technologies[:k]] == [t.id for t in base.scenario.technologies]
    assert paired_ci(deployable(roadmaps), deployable(base))[1] > 0
    # technologies make only the money they are deployed with go further (docs/model.md): a few more
    # deployed technologies move the index by far less than the smallest effect that matters (0.5)
    mean, lo, hi = paired_ci(mean_score(roadmaps, 2030), mean_score(base, 2030))
    assert -0.05 < lo <= hi < 0.05


def test_triangular_cooperation_raises_adoption_in_the_african_pilots():
    roadmaps, tri = run("india-japan-roadmaps"), run("triangular-cooperation")
    ids = roadmaps.scenario.country_ids
    adoption = lambda r: r.adoption[:, -1, [ids.index(c) for c in AFRICAN_PILOTS]].mean(axis=(-2, -1))  # noqa: E731
    mean, lo, _ = paired_ci(adoption(tri), adoption(roadmaps))
    assert lo > 0 and mean > 0.5 * adoption(roadmaps).mean()  # more than half again
    assert paired_ci(mean_score(tri, 2030, countries=AFRICAN_PILOTS),
                     mean_score(roadmaps, 2030, countries=AFRICAN_PILOTS))[1] > 0


def test_pooling_lowers_total_overhead():
    pia = load_scenario(LIBRARY / "partnership-in-action.yaml")
    unpooled = tuple(f"donors.{d.id}.pooled_share=0" for d in pia.donors)
    _, _, hi = paired_ci(overhead_usd(run("partnership-in-action")), overhead_usd(run("partnership-in-action",
                                                                                     unpooled)))
    assert hi < 0


def test_partnership_in_action_mobilises_more_private_money_per_public_dollar():
    tri, pia = run("triangular-cooperation"), run("partnership-in-action")
    ratio = lambda r: r.private.sum(axis=1) / r.public_external.sum(axis=1)  # noqa: E731
    assert paired_ci(ratio(pia), ratio(tri))[1] > 0


def test_partnership_in_action_still_suffers_the_pandemic_but_beats_bau_under_it():
    pia, pia_covid, covid = run("partnership-in-action"), run("partnership-in-action-covid"), run("covid-shock")
    assert paired_ci(mean_score(pia_covid, 2021, "SDG3"), mean_score(pia, 2021, "SDG3"))[2] < 0
    assert paired_ci(mean_score(pia_covid, 2030), mean_score(covid, 2030))[1] > 0
