"""Bad scenario input gives one clear located line per problem: FILE:LINE: field.path: message.

Each test copies scenarios/baseline.yaml into tmp_path, breaks one thing, and checks the
exact file, the line (of the key for a wrong value, of the key for an unknown key, of the
mapping for a missing key, `--set #N` for command-line overrides), the field path and a
message that says what is wrong and what is allowed. Line numbers are looked up in the
copied text, so the tests follow edits of the baseline file.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import cli
from simulation.errors import InputError, Problem
from simulation.mechanisms.allocation import STRATEGIES
from simulation.scenario import load_scenario
from simulation.scenario.yamlio import load_located, to_plain

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
LOCATED = re.compile(r"^[^:]+:\d+: \S+: .+")


# --------------------------------------------------------------------------- helpers


def base_text() -> str:
    return BASELINE.read_text(encoding="utf-8")


def base_data() -> dict:
    return to_plain(load_located(BASELINE))


def line_of(text: str, pattern: str, after: int = 0) -> int:
    """1-based number of the first line after `after` that matches `pattern`.

    Lines are split at '\\n' only (as editors and the loader count them), not at the other
    breaks `str.splitlines` knows (U+2028, U+0085, ...).
    """
    for n, line in enumerate(text.split("\n"), 1):
        if n > after and re.search(pattern, line):
            return n
    raise AssertionError(f"no line matches {pattern!r} after line {after}")


def item_line(text: str, section: str, item_id: str) -> int:
    """Line where the list item `item_id` of top-level `section` starts (block or flow style)."""
    start = line_of(text, rf"^{section}:")
    return line_of(text, rf"^\s*- (\{{\s*)?id: {re.escape(item_id)}\s*[,}}]?\s*$|^\s*- \{{id: {re.escape(item_id)},", start)


def key_line(text: str, section: str, item_id: str, key: str) -> int:
    """Line of `key:` inside the block-style item `item_id` of `section`."""
    return line_of(text, rf"^\s+{key}:", item_line(text, section, item_id))


def set_line(text: str, n: int, new: str) -> str:
    lines = text.split("\n")
    lines[n - 1] = new
    return "\n".join(lines)


def insert_after(text: str, n: int, new: str) -> str:
    lines = text.split("\n")
    lines.insert(n, new)
    return "\n".join(lines)


def delete_line(text: str, n: int) -> str:
    lines = text.split("\n")
    del lines[n - 1]
    return "\n".join(lines)


def replace_in_line(text: str, n: int, old: str, new: str) -> str:
    line = text.split("\n")[n - 1]
    assert old in line, f"{old!r} not in line {n}: {line!r}"
    return set_line(text, n, line.replace(old, new, 1))


def write(tmp_path: Path, text: str | bytes, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, sets: tuple[str, ...] = ()) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_scenario(path, sets)
    probs = info.value.problems
    assert probs, "InputError without problems"
    for p in probs:
        assert LOCATED.match(str(p)), str(p)
        assert "\n" not in str(p)
    return probs


def the_problem(path: Path, field: str, sets: tuple[str, ...] = ()) -> Problem:
    """The one problem reported for `field` (other problems may be reported too)."""
    probs = problems_of(path, sets)
    found = [p for p in probs if p.field == field]
    assert len(found) == 1, f"expected one problem at {field}, got: " + " | ".join(map(str, probs))
    return found[0]


def first_key_line(text: str) -> int:
    return line_of(text, r"^[A-Za-z_]")


# --------------------------------------------------------------------------- the valid base


def test_baseline_is_valid_and_loads() -> None:
    sc = load_scenario(BASELINE)
    assert sc.name == "baseline"
    assert [c.id for c in sc.countries][:1] == ["ETH"]
    assert "JPN-ODA" in [d.id for d in sc.donors]


# --------------------------------------------------------------------------- schema: keys, types, ranges


def test_unknown_key_points_at_its_line_and_lists_allowed_keys(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "pilot")
    path = write(tmp_path, insert_after(text, n, "    pilto: true"))
    p = the_problem(path, "countries.ETH.pilto")
    assert (p.file, p.line) == (str(path), n + 1)
    assert p.message.startswith("unknown field 'pilto' (did you mean 'pilot'? allowed: id, name, pilot, population_m,")
    assert "scores" in p.message


def test_unknown_top_level_key_suggests_the_close_one(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^end_year:")
    path = write(tmp_path, insert_after(text, n, "end_yaer: 2040"))
    p = the_problem(path, "end_yaer")
    assert p.line == n + 1
    assert "did you mean 'end_year'?" in p.message and "allowed: name, description, start_year, end_year" in p.message


def test_negative_budget(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "budget_usd")
    path = write(tmp_path, set_line(text, n, "    budget_usd: -1.5e9"))
    p = the_problem(path, "donors.JPN-ODA.budget_usd")
    assert (p.file, p.line) == (str(path), n)
    assert p.message == "got -1500000000, below the minimum (allowed: a number, 0 <= value <= 1e+15)"
    assert str(p) == f"{path}:{n}: donors.JPN-ODA.budget_usd: {p.message}"


def test_share_above_one(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "absorptive_capacity")
    path = write(tmp_path, set_line(text, n, "    absorptive_capacity: 1.5"))
    p = the_problem(path, "countries.ETH.absorptive_capacity")
    assert p.line == n
    assert p.message == "got 1.5, above the maximum (allowed: a number, 0 <= value <= 1)"


def test_share_sum_above_one_is_a_cross_check(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "blended_share")
    path = write(tmp_path, set_line(text, n, "    blended_share: 0.99"))
    p = the_problem(path, "donors.JPN-ODA.blended_share")
    assert p.line == n
    assert "more than the bilateral budget (allowed: a sum of at most 1)" in p.message


@pytest.mark.parametrize("raw, shown", [(".nan", "nan"), (".NaN", "nan"), (".inf", "inf"), ("-.inf", "-inf"), ("+.inf", "inf")])
def test_nan_and_infinity_are_rejected(tmp_path: Path, raw: str, shown: str) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "gdp_growth")
    path = write(tmp_path, set_line(text, n, f"    gdp_growth: {raw}"))
    p = the_problem(path, "countries.ETH.gdp_growth")
    assert p.line == n
    assert p.message == f"got {shown}, not a finite number (allowed: a number, -0.5 <= value <= 0.5)"


def test_nan_inside_a_mapping_of_numbers(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "scores")
    path = write(tmp_path, replace_in_line(text, n, "scores: {SDG2: ", "scores: {SDG2: .nan, SDGX: "))
    probs = problems_of(path)
    p = [p for p in probs if p.field == "countries.ETH.scores.SDG2"]
    assert p and p[0].line == n and "not a finite number" in p[0].message


def test_string_for_number(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "budget_usd")
    path = write(tmp_path, set_line(text, n, "    budget_usd: lots"))
    p = the_problem(path, "donors.JPN-ODA.budget_usd")
    assert p.line == n
    assert p.message == "got text 'lots', wrong type (allowed: a number, 0 <= value <= 1e+15)"


def test_quoted_number_is_text_not_a_number(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^end_year:")
    path = write(tmp_path, set_line(text, n, 'end_year: "2030"'))
    p = the_problem(path, "end_year")
    assert p.message == "got text '2030', wrong type (allowed: a whole number, 1900 <= value <= 2300)"


def test_yes_is_text_not_true(tmp_path: Path) -> None:
    """YAML 1.2 booleans: `pilot: yes` is text (and a country id `NO` would stay text)."""
    text = base_text()
    n = key_line(text, "countries", "ETH", "pilot")
    path = write(tmp_path, set_line(text, n, "    pilot: yes"))
    p = the_problem(path, "countries.ETH.pilot")
    assert p.message == "got text 'yes', wrong type (allowed: true or false)"


def test_list_for_mapping(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^governance:")
    path = write(tmp_path, set_line(text, n, "governance: [0.3, 1.0]"))
    p = the_problem(path, "governance")
    assert p.line == n
    assert p.message == "got a list, wrong type (allowed: a mapping with fields leakage_max, exponent)"


def test_mapping_for_list_and_for_number(tmp_path: Path) -> None:
    text = base_text()
    n1 = key_line(text, "donors", "IND-DPA", "eligible_countries")
    n2 = key_line(text, "donors", "IND-DPA", "budget_usd")
    text = set_line(text, n1, "    eligible_countries: {ETH: 1}")
    path = write(tmp_path, set_line(text, n2, "    budget_usd: {a: [1, {b: 2}]}"))
    p1 = the_problem(path, "donors.IND-DPA.eligible_countries")
    p2 = the_problem(path, "donors.IND-DPA.budget_usd")
    assert (p1.line, p2.line) == (n1, n2)
    assert p1.message == "got a mapping, wrong type (allowed: a list of text)"
    assert p2.message.startswith("got a mapping, wrong type (allowed: a number")


def test_empty_value_for_required_number(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "budget_usd")
    path = write(tmp_path, set_line(text, n, "    budget_usd:"))
    p = the_problem(path, "donors.JPN-ODA.budget_usd")
    assert p.message.startswith("got an empty value, wrong type (allowed: a number")


def test_float_for_whole_number(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^end_year:")
    path = write(tmp_path, set_line(text, n, "end_year: 2030.5"))
    p = the_problem(path, "end_year")
    assert p.line == n and p.message.startswith("got 2030.5, wrong type (allowed: a whole number")


def test_missing_required_field_points_at_the_mapping(tmp_path: Path) -> None:
    text = base_text()
    item = item_line(text, "countries", "ETH")
    path = write(tmp_path, delete_line(text, key_line(text, "countries", "ETH", "population_m")))
    p = the_problem(path, "countries.ETH.population_m")
    assert (p.file, p.line) == (str(path), item)
    assert p.message == "required field is missing (allowed: a number, 0 < value <= 100000)"


def test_missing_top_level_field_points_at_the_root_mapping(tmp_path: Path) -> None:
    text = delete_line(base_text(), line_of(base_text(), r"^name:"))
    path = write(tmp_path, text)
    p = the_problem(path, "name")
    assert p.line == first_key_line(text)
    assert p.message.startswith("required field is missing (allowed: an id of letters, digits")


def test_bad_id_pattern(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^name:")
    path = write(tmp_path, set_line(text, n, "name: 'my scenario'"))
    p = the_problem(path, "name")
    assert p.message == ("got text 'my scenario', not a valid id "
                         "(allowed: an id of letters, digits and _ . : - starting with a letter or digit)")


def test_unknown_goal_id_literal(tmp_path: Path) -> None:
    text = base_text()
    n = item_line(text, "goals", "SDG2")
    path = write(tmp_path, replace_in_line(text, n, "id: SDG2", "id: SDG18"))
    probs = problems_of(path)
    p = [p for p in probs if p.line == n and p.field.endswith(".id")]
    assert p and p[0].message.startswith("got text 'SDG18', not an allowed value (allowed: one of SDG1, SDG2,")


def test_too_many_problems_are_all_reported(tmp_path: Path) -> None:
    text = base_text()
    n1 = key_line(text, "donors", "JPN-ODA", "budget_usd")
    n2 = key_line(text, "donors", "DAC-OTHER", "budget_usd")
    text = set_line(set_line(text, n1, "    budget_usd: -1"), n2, "    budget_usd: -2")
    probs = problems_of(write(tmp_path, text))
    assert [(p.field, p.line) for p in probs] == [("donors.JPN-ODA.budget_usd", n1), ("donors.DAC-OTHER.budget_usd", n2)]


# --------------------------------------------------------------------------- cross-references


def test_unknown_goal_in_country_scores(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "scores")
    path = write(tmp_path, replace_in_line(text, n, "scores: {", "scores: {SDG9: 50, "))
    p = the_problem(path, "countries.ETH.scores.SDG9")
    goals = ", ".join(g["id"] for g in base_data()["goals"])
    assert (p.file, p.line) == (str(path), n)
    assert p.message == f"unknown goal 'SDG9' (declared: {goals})"


def test_missing_score_for_a_declared_goal(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "scores")
    path = write(tmp_path, set_line(text, n, "    scores: {SDG2: 50}"))
    probs = problems_of(path)
    assert all(p.field == "countries.ETH.scores" and p.line == n for p in probs)
    assert "missing score for goal SDG3" in probs[0].message


def test_unknown_goal_in_donor_goals(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "strategy")
    path = write(tmp_path, insert_after(text, n, "    goals: [SDG2, SDG11]"))
    p = the_problem(path, "donors.JPN-ODA.goals.1")
    assert p.line == n + 1
    assert p.message.startswith("unknown goal 'SDG11' (declared: SDG2,")


def test_unknown_goal_in_technology_goals(tmp_path: Path) -> None:
    text = base_text()
    n = item_line(text, "technologies", "precision-agri")
    path = write(tmp_path, replace_in_line(text, n, "goals: {SDG2:", "goals: {SDG12:"))
    p = the_problem(path, "technologies.precision-agri.goals.SDG12")
    assert p.line == n
    assert p.message.startswith("unknown goal 'SDG12' (declared: SDG2")


def test_unknown_goal_in_interlinkage(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^\s+- \{source: \w+, target: \w+", line_of(text, r"^interlinkages:"))
    line = text.split("\n")[n - 1]
    target = re.search(r"target: (\w+)", line).group(1)
    path = write(tmp_path, replace_in_line(text, n, f"target: {target}", "target: SDG16"))
    p = the_problem(path, "interlinkages.0.target")
    assert p.line == n and p.message.startswith("unknown goal 'SDG16' (declared: ")


def test_unknown_eligible_country(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "IND-DPA", "eligible_countries")
    path = write(tmp_path, replace_in_line(text, n, "[ETH,", "[ETH, XYZ,"))
    p = the_problem(path, "donors.IND-DPA.eligible_countries.1")
    countries = ", ".join(sorted(c["id"] for c in base_data()["countries"]))
    assert (p.file, p.line) == (str(path), n)
    assert p.message == f"unknown country 'XYZ' (declared: {countries})"


def test_unknown_technology_in_research_portfolio_suggests(tmp_path: Path) -> None:
    text = base_text()
    n = item_line(text, "research_bodies", "ICAR")
    path = write(tmp_path, replace_in_line(text, n, "portfolio: {precision-agri:", "portfolio: {precision-agr:"))
    p = the_problem(path, "research_bodies.ICAR.portfolio.precision-agr")
    assert p.line == n and p.message.startswith("unknown technology 'precision-agr' (did you mean 'precision-agri'?")


def test_duplicate_ids(tmp_path: Path) -> None:
    text = base_text()
    first = item_line(text, "countries", "ETH")
    n = item_line(text, "countries", "GHA")
    path = write(tmp_path, set_line(text, n, "  - id: ETH"))
    p = the_problem(path, "countries.ETH.id")
    assert p.line == n
    assert p.message == f"duplicate id 'ETH' (first at line {first}; ids must be unique in countries)"


def test_duplicate_yaml_keys(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "gdp_growth")
    path = write(tmp_path, insert_after(text, n, "    gdp_growth: 0.07"))
    probs = problems_of(path)
    assert probs == [Problem(str(path), n + 1, "countries.ETH.gdp_growth",
                             f"duplicate key 'gdp_growth' (first at line {n}; each key once)")]


def test_duplicate_key_in_flow_mapping(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^governance:")
    path = write(tmp_path, set_line(text, n, "governance: {leakage_max: 0.3, leakage_max: 0.2}"))
    [p] = problems_of(path)
    assert (p.line, p.field) == (n, "governance.leakage_max")
    assert p.message.startswith("duplicate key 'leakage_max'")


def test_end_year_not_after_start_year(tmp_path: Path) -> None:
    text = base_text()
    start = base_data()["start_year"]
    n = line_of(text, r"^end_year:")
    path = write(tmp_path, set_line(text, n, f"end_year: {start}"))
    p = the_problem(path, "end_year")
    assert p.line == n
    assert p.message == f"got {start}, not after start_year {start} (allowed: a year > {start})"


def test_unknown_strategy(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "strategy")
    path = write(tmp_path, set_line(text, n, "    strategy: greedy"))
    p = the_problem(path, "donors.JPN-ODA.strategy")
    assert p.line == n
    assert p.message == f"unknown strategy 'greedy' (allowed: {', '.join(STRATEGIES)})"


def test_unknown_strategy_suggests_a_close_name(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "strategy")
    path = write(tmp_path, set_line(text, n, "    strategy: need"))
    assert "did you mean 'needs'?" in the_problem(path, "donors.JPN-ODA.strategy").message


def test_bad_strategy_params(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "strategy")
    text = set_line(text, n, "    strategy: needs")
    path = write(tmp_path, insert_after(text, n, "    strategy_params: {gap_exponent: 9, gap_exponant: 1}"))
    probs = problems_of(path)
    by_field = {p.field: p for p in probs}
    lo, hi = STRATEGIES["needs"].params["gap_exponent"]
    assert by_field["donors.JPN-ODA.strategy_params.gap_exponent"].line == n + 1
    assert by_field["donors.JPN-ODA.strategy_params.gap_exponent"].message == (
        f"got 9, above the maximum (allowed: {lo:g} <= value <= {hi:g})")
    unknown = by_field["donors.JPN-ODA.strategy_params.gap_exponant"]
    assert unknown.line == n + 1
    assert unknown.message.startswith("unknown parameter for strategy 'needs' (did you mean 'gap_exponent'? allowed: ")


def test_strategy_param_of_wrong_type(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "strategy")
    path = write(tmp_path, insert_after(text, n, "    strategy_params: {gap_exponent: high}"))
    p = the_problem(path, "donors.JPN-ODA.strategy_params.gap_exponent")
    assert p.line == n + 1 and p.message == "got text 'high', wrong type (allowed: a number)"


def test_shock_with_unknown_kind(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^shocks:")
    start = base_data()["start_year"]
    text = set_line(text, n, f"shocks:\n  - kind: meteor\n    start_year: {start + 2}")
    path = write(tmp_path, text)
    p = the_problem(path, "shocks.0.kind")
    assert p.line == n + 1
    assert p.message == "unknown shock kind 'meteor' (allowed: pandemic, budget_cut)"


def test_shock_without_kind_and_with_unknown_field(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^shocks:")
    start = base_data()["start_year"]
    text = set_line(text, n, f"shocks:\n  - {{start_year: {start}}}\n  - {{kind: pandemic, start_year: {start}, strength: 2}}")
    probs = problems_of(write(tmp_path, text))
    assert [(p.line, p.field) for p in probs] == [(n + 1, "shocks.0"), (n + 2, "shocks.1.strength")]
    assert probs[0].message == "shock has no 'kind' (allowed: pandemic, budget_cut)"
    assert probs[1].message.startswith("unknown field 'strength' (allowed: kind, start_year,")


def test_shock_outside_the_simulated_years(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^shocks:")
    d = base_data()
    text = set_line(text, n, f"shocks:\n  - {{kind: budget_cut, start_year: {d['end_year'] + 5}, cut: 0.2}}")
    p = the_problem(write(tmp_path, text), "shocks.0.start_year")
    assert p.line == n + 1
    assert p.message == f"got {d['end_year'] + 5}, outside the simulated years (allowed: {d['start_year']} to {d['end_year']})"


# --------------------------------------------------------------------------- YAML-level problems


def test_empty_file(tmp_path: Path) -> None:
    for i, text in enumerate(["", "\n\n", "# only a comment\n", "---\n"]):
        path = write(tmp_path, text, f"empty{i}.yaml")
        assert problems_of(path) == [Problem(str(path), 1, "(root)",
                                             "file is empty (allowed: a scenario mapping with name, start_year, ...)")]


def test_file_that_is_a_list_or_a_scalar(tmp_path: Path) -> None:
    path = write(tmp_path, "- name: baseline\n- start_year: 2020\n")
    [p] = problems_of(path)
    assert (p.line, p.field) == (1, "(root)")
    assert p.message.startswith("got a list, not a mapping of fields")
    [p] = problems_of(write(tmp_path, "just some words\n", "words.yaml"))
    assert p.message.startswith("got text 'just some words', not a mapping of fields")


def test_tab_indentation(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "pilot")
    path = write(tmp_path, set_line(text, n, "\tpilot: true"))
    assert problems_of(path) == [Problem(str(path), n, "<syntax>",
                                         "tab character where YAML expects spaces (indent with spaces, not tabs)")]


def test_non_utf8_bytes(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "GHA", "name")
    raw = text.encode("utf-8")
    lines = raw.split(b"\n")
    lines[n - 1] = b"    name: Gh\xe2na"  # Latin-1 'â'
    path = write(tmp_path, b"\n".join(lines))
    assert problems_of(path) == [Problem(str(path), n, "<encoding>", "byte 0xe2 is not valid UTF-8 (save the file as UTF-8)")]


def test_control_character(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "GHA", "name")
    path = write(tmp_path, set_line(text, n, "    name: Gh\x07na"))
    [p] = problems_of(path)
    assert (p.line, p.field) == (n, "<syntax>")
    assert p.message.startswith("character U+0007 is not allowed in YAML")


def test_line_numbers_count_only_newlines(tmp_path: Path) -> None:
    """YAML also breaks lines at U+2028 / U+0085; editors do not, so neither do our lines."""
    text = base_text()
    n = line_of(text, r"^name:")
    text = insert_after(text, n, 'note_a: "one\u2028two\x85three"')
    m = key_line(text, "donors", "JPN-ODA", "budget_usd")
    path = write(tmp_path, set_line(text, m, "    budget_usd: -1"))
    probs = problems_of(path)
    assert sorted((p.field, p.line) for p in probs) == [("donors.JPN-ODA.budget_usd", m), ("note_a", n + 1)]


def test_binary_file(tmp_path: Path) -> None:
    [p] = problems_of(write(tmp_path, b"name: x\n\x00\x01\x02"))
    assert (p.line, p.field) == (2, "<syntax>") and "NUL character" in p.message


def test_syntax_error_is_located(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "IND-DPA", "eligible_countries")
    path = write(tmp_path, replace_in_line(text, n, "]", ""))
    [p] = problems_of(path)
    assert p.field == "<syntax>" and p.message.startswith("invalid YAML: ")
    assert n <= p.line <= n + 2  # the parser notices at the next line at the latest


def test_truncated_file(tmp_path: Path) -> None:
    text = base_text()
    cut = text.index("budget_usd:", text.index("donors:"))
    [p] = problems_of(write(tmp_path, text[: cut + 5]))
    assert p.field in ("<syntax>", "donors.JPN-ODA.budg") or p.field.startswith("donors")
    assert p.line >= 1


def test_second_document(tmp_path: Path) -> None:
    text = base_text()
    last = len(text.rstrip("\n").split("\n"))
    [p] = problems_of(write(tmp_path, text + "---\nname: other\n"))
    assert (p.line, p.field) == (last + 1, "<syntax>")
    assert p.message == "a second YAML document ('---') (allowed: one document per file)"


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    lol = ['lol0: &l0 "lol"']
    for i in range(1, 10):
        lol.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    text = "name: bomb\n" + "\n".join(lol) + "\n"
    path = write(tmp_path, text)
    started = time.perf_counter()
    [p] = problems_of(path)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"alias bomb took {elapsed:.2f} s"
    assert p.message.startswith("document expands to more than 200000 values (YAML alias/anchor bomb?")
    assert p.field.startswith("lol") and p.line >= 2


def test_recursive_alias(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^governance:")
    path = write(tmp_path, set_line(text, n, "governance: &g {leakage_max: 0.3, inner: *g}"))
    [p] = problems_of(path)
    assert (p.line, p.field) == (n, "governance.inner")
    assert p.message == "recursive YAML alias (an anchor used inside itself)"


def test_undefined_alias(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^governance:")
    [p] = problems_of(write(tmp_path, set_line(text, n, "governance: *nothing")))
    assert (p.line, p.field) == (n, "<syntax>")
    assert p.message == "alias '*nothing' has no anchor '&nothing' before it"


def test_aliases_that_resolve_to_valid_values_are_fine(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "overhead_rate")
    n2 = key_line(text, "donors", "IND-DPA", "overhead_rate")
    text = set_line(set_line(text, n, "    overhead_rate: &oh 0.05"), n2, "    overhead_rate: *oh")
    sc = load_scenario(write(tmp_path, text))
    assert {d.id: d.overhead_rate for d in sc.donors}["IND-DPA"] == 0.05


def test_deep_nesting(tmp_path: Path) -> None:
    text = base_text() + "deep: " + "[" * 100 + "]" * 100 + "\n"
    [p] = problems_of(write(tmp_path, text))
    assert p.field == "<syntax>" and p.message == "nesting deeper than 50 levels"


def test_yaml_tags_are_refused(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^name:")
    [p] = problems_of(write(tmp_path, set_line(text, n, "name: !!python/object/apply:os.system ['echo hi']")))
    assert (p.line, p.field) == (n, "name")
    assert p.message.startswith("YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed")


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    text = base_text()
    n = line_of(text, r"^capacity:")
    text = set_line(text, n, "capacity:\n  <<: {max: 1.0}")
    [p] = problems_of(write(tmp_path, text))
    assert (p.line, p.field) == (n + 1, "capacity")
    assert "merge keys ('<<') are not supported" in p.message


def test_huge_numbers(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "budget_usd")
    path = write(tmp_path, set_line(text, n, "    budget_usd: 1e400"))
    assert problems_of(path) == [Problem(str(path), n, "donors.JPN-ODA.budget_usd",
                                         "number 1e400 is too large (allowed: a finite number, at most about 1.8e308)")]
    path = write(tmp_path, set_line(text, n, "    budget_usd: 1e300"), "big.yaml")
    p = the_problem(path, "donors.JPN-ODA.budget_usd")
    assert p.message == "got 1e+300, above the maximum (allowed: a number, 0 <= value <= 1e+15)"
    m = line_of(text, r"^end_year:")
    path = write(tmp_path, set_line(text, m, "end_year: " + "9" * 5000), "digits.yaml")
    assert problems_of(path) == [Problem(str(path), m, "end_year",
                                         "number with 5000 digits is too large (allowed: a finite number)")]
    path = write(tmp_path, set_line(text, m, "end_year: " + "9" * 60), "digits60.yaml")
    p = the_problem(path, "end_year")
    assert p.message.startswith("got a 60-digit number, above the maximum (allowed: a whole number")


def test_odd_keys_keep_the_field_path_one_token(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "countries", "ETH", "pilot")
    path = write(tmp_path, insert_after(text, n, '    "my key": 1'))
    p = the_problem(path, 'countries.ETH."my\\u0020key"')
    assert p.line == n + 1 and p.message.startswith("unknown field 'my key'")
    path = write(tmp_path, insert_after(text, n, "    ~: 1"), "nullkey.yaml")
    [p] = problems_of(path)
    assert (p.line, p.field) == (n + 1, "countries.ETH")
    assert p.message == "mapping key None is not a name (allowed: text such as 'budget_usd')"


def test_file_not_found_and_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert problems_of(missing) == [Problem(str(missing), 1, "<file>", "file not found")]
    assert problems_of(tmp_path) == [Problem(str(tmp_path), 1, "<file>", "is a directory (allowed: a YAML file)")]


# --------------------------------------------------------------------------- extends


def child_file(tmp_path: Path, body: str, name: str = "child.yaml") -> Path:
    (tmp_path / "baseline.yaml").write_text(base_text(), encoding="utf-8")
    return write(tmp_path, "extends: baseline.yaml\nname: child\n" + body, name)


def test_extends_merges_items_by_id(tmp_path: Path) -> None:
    path = child_file(tmp_path, (
        "donors:\n"
        "  - id: JPN-ODA\n"
        "    budget_usd: 2.0e9\n"
        "  - id: NEW-FUND\n"
        "    kind: foundation\n"
        "    budget_usd: 1.0e7\n"
        "  - id: IND-DPA\n"
        "    remove: true\n"
    ))
    child = load_scenario(path)
    base = load_scenario(BASELINE)
    donors = {d.id: d for d in child.donors}
    base_donors = {d.id: d for d in base.donors}
    assert child.name == "child"
    assert donors["JPN-ODA"].budget_usd == 2.0e9
    assert donors["JPN-ODA"].strategy == base_donors["JPN-ODA"].strategy  # other fields inherited
    assert donors["JPN-ODA"].overhead_rate == base_donors["JPN-ODA"].overhead_rate
    assert "IND-DPA" not in donors
    assert [d.id for d in child.donors] == [d for d in base_donors if d != "IND-DPA"] + ["NEW-FUND"]
    assert donors["NEW-FUND"].kind == "foundation" and donors["NEW-FUND"].strategy == "needs"
    assert child.countries == base.countries and child.goals == base.goals


def test_extends_child_error_points_at_child_and_parent_error_at_parent(tmp_path: Path) -> None:
    path = child_file(tmp_path, "donors:\n  - id: JPN-ODA\n    budget_usd: -2.0e9\n")
    p = the_problem(path, "donors.JPN-ODA.budget_usd")
    assert (p.file, p.line) == (str(path), 5)
    text = base_text()
    n = key_line(text, "donors", "DAC-OTHER", "budget_usd")
    parent = write(tmp_path, set_line(text, n, "    budget_usd: -1"), "parent.yaml")
    child = write(tmp_path, "extends: parent.yaml\nname: child\n", "child2.yaml")
    p = the_problem(child, "donors.DAC-OTHER.budget_usd")
    assert (p.file, p.line) == (str(parent), n)


def test_extends_new_item_missing_a_field_points_at_the_child(tmp_path: Path) -> None:
    path = child_file(tmp_path, "donors:\n  - id: NEW-FUND\n    kind: foundation\n")
    p = the_problem(path, "donors.NEW-FUND.budget_usd")
    assert (p.file, p.line) == (str(path), 4)
    assert p.message.startswith("required field is missing")


def test_extends_remove_of_unknown_id(tmp_path: Path) -> None:
    path = child_file(tmp_path, "donors:\n  - id: NOPE\n    remove: true\n")
    ids = ", ".join(d["id"] for d in base_data()["donors"])
    assert problems_of(path) == [Problem(str(path), 4, "donors.NOPE.id",
                                         f"no item with id 'NOPE' in the parent to remove (parent has: {ids})")]


def test_extends_remove_must_be_true_or_false(tmp_path: Path) -> None:
    path = child_file(tmp_path, "donors:\n  - id: JPN-ODA\n    remove: maybe\n")
    assert problems_of(path) == [Problem(str(path), 5, "donors.JPN-ODA.remove",
                                         "got text 'maybe', wrong type (allowed: true or false)")]
    path = child_file(tmp_path, "donors:\n  - id: JPN-ODA\n    remove: false\n", "keep.yaml")
    assert "JPN-ODA" in [d.id for d in load_scenario(path).donors]


def test_remove_without_extends(tmp_path: Path) -> None:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "budget_usd")
    p = the_problem(write(tmp_path, insert_after(text, n, "    remove: true")), "donors.JPN-ODA.remove")
    assert p.line == n + 1 and "only works in a file with 'extends:'" in p.message


def test_extends_empty_list_replaces_the_parents_list(tmp_path: Path) -> None:
    path = child_file(tmp_path, "research_bodies: []\npartnerships: []\n")
    sc = load_scenario(path)
    assert sc.research_bodies == [] and sc.partnerships == []
    assert load_scenario(BASELINE).research_bodies  # the parent had some


def test_extends_chain_of_three(tmp_path: Path) -> None:
    (tmp_path / "baseline.yaml").write_text(base_text(), encoding="utf-8")
    write(tmp_path, "extends: baseline.yaml\nname: middle\ndonors:\n  - {id: JPN-ODA, budget_usd: 1.0e9}\n", "middle.yaml")
    path = write(tmp_path, "extends: middle.yaml\nname: leaf\ndonors:\n  - {id: JPN-ODA, growth: 0.05}\n", "leaf.yaml")
    jpn = {d.id: d for d in load_scenario(path).donors}["JPN-ODA"]
    assert (jpn.budget_usd, jpn.growth) == (1.0e9, 0.05)


def test_extends_cycle_is_reported_with_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    b = write(tmp_path, "# b extends a\nextends: a.yaml\nname: b\n", "b.yaml")
    assert problems_of(a) == [Problem(str(b), 2, "extends",
                                      "cycle in extends chain: a.yaml -> b.yaml -> a.yaml (allowed: a chain without loops)")]
    me = write(tmp_path, "name: me\nextends: me.yaml\n", "me.yaml")
    assert problems_of(me) == [Problem(str(me), 2, "extends",
                                       "cycle in extends chain: me.yaml -> me.yaml (allowed: a chain without loops)")]


def test_extends_missing_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "name: orphan\nextends: nowhere.yaml\n")
    [p] = problems_of(path)
    assert (p.file, p.line, p.field) == (str(path), 2, "extends")
    assert p.message.startswith(f"parent scenario 'nowhere.yaml' not found (looked for {tmp_path / 'nowhere.yaml'}; "
                                "allowed: a file relative to this one, or the name of a shipped scenario: ")
    assert "baseline, " in p.message


def test_extends_not_a_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nextends: [a.yaml, b.yaml]\n")
    assert problems_of(path) == [Problem(str(path), 2, "extends",
                                         "got a list (allowed: a file name, e.g. extends: baseline.yaml)")]


def test_extends_unusable_parent_names(tmp_path: Path) -> None:
    path = write(tmp_path, 'name: x\nextends: "a\\0b.yaml"\n')
    assert problems_of(path) == [Problem(str(path), 2, "extends",
                                         "parent scenario 'a\\x00b.yaml' cannot be used (embedded null byte)")]
    path = write(tmp_path, "name: x\nextends: " + "x" * 5000 + "\n", "long.yaml")
    [p] = problems_of(path)
    assert (p.line, p.field) == (2, "extends") and len(str(p)) < 300
    assert p.message.startswith("parent scenario 'xxxx") and "cannot be used (File name too long)" in p.message


def test_extends_parent_with_bad_yaml_points_at_parent(tmp_path: Path) -> None:
    parent = write(tmp_path, "name: p\nstart_year: [2020\n", "p.yaml")
    child = write(tmp_path, "extends: p.yaml\n", "c.yaml")
    [p] = problems_of(child)
    assert p.file == str(parent) and p.field == "<syntax>"


# --------------------------------------------------------------------------- --set


def test_set_by_id_changes_the_value() -> None:
    sc = load_scenario(BASELINE, ["donors.JPN-ODA.budget_usd=2e9", "facility.overhead_rate=0.02"])
    assert {d.id: d.budget_usd for d in sc.donors}["JPN-ODA"] == 2e9
    assert sc.facility is not None and sc.facility.overhead_rate == 0.02


def test_set_bad_value_points_at_the_set() -> None:
    probs = problems_of(BASELINE, ("name=ok-name", "donors.JPN-ODA.budget_usd=-5"))
    assert probs == [Problem("--set #2", 1, "donors.JPN-ODA.budget_usd",
                             "got -5, below the minimum (allowed: a number, 0 <= value <= 1e+15)")]


def test_set_unknown_id_lists_known_ids() -> None:
    ids = ", ".join(d["id"] for d in base_data()["donors"])
    assert problems_of(BASELINE, ("donors.JPN_ODA.budget_usd=1",)) == [
        Problem("--set #1", 1, "donors.JPN_ODA", f"no item with id 'JPN_ODA' (known ids: {ids})")]


def test_set_unknown_field_suggests() -> None:
    [p] = problems_of(BASELINE, ("donors.JPN-ODA.budget=1",))
    assert (p.file, p.line, p.field) == ("--set #1", 1, "donors.JPN-ODA.budget")
    assert p.message.startswith("unknown field 'budget' (did you mean 'budget_usd'? allowed: id, name,")


@pytest.mark.parametrize("expr, field, start", [
    ("donors.JPN-ODA.budget_usd", "donors.JPN-ODA.budget_usd",
     "no '=' in 'donors.JPN-ODA.budget_usd' (allowed: field.path=value"),
    ("", "<set>", "no '=' in '' (allowed: field.path=value"),
    ("=5", "<set>", "field path '' has an empty name (allowed: field.path=value"),
    ("donors..budget_usd=5", "donors..budget_usd", "field path 'donors..budget_usd' has an empty name"),
    ("name=[1, 2", "name", "value '[1, 2' cannot be read: invalid YAML: "),
    ("name=a: b: c", "name", "value 'a: b: c' cannot be read: invalid YAML: "),
    ("name.first=x", "name.first", "cannot set a field inside text 'baseline' (allowed: a path through mappings and lists)"),
    ("extends=other.yaml", "extends", "'extends' cannot be set on the command line"),
    ("a b=1", '"a\\u0020b"', "unknown field 'a b'"),
    ("name=\udcff", "name", "value '\\udcff' cannot be read: character U+DCFF is not allowed in YAML"),
    ("donors.\x1bc.budget_usd=1", 'donors."\\u001bc"', "no item with id '\\x1bc' (known ids: "),
    # brackets name one id with dots (indicators[SH.DYN.MORT]); a broken bracket is a located error
    ("indicators[SH.DYN.MORT.unit_cost_usd=1", '"indicators[SH.DYN.MORT.unit_cost_usd"',
     "field path 'indicators[SH.DYN.MORT.unit_cost_usd' has a '[' without its ']' (allowed: field.path=value"),
    ("indicators[].unit_cost_usd=1", '"indicators[].unit_cost_usd"',
     "field path 'indicators[].unit_cost_usd' has empty brackets"),
    ("donors.\u00b2.budget_usd=1", "donors.\u00b2", "no item with id '\u00b2' (known ids: "),
    ("x" * 500, "x" * 500, "no '=' in 'xxxxxxxx"),
])
def test_set_bad_syntax(expr: str, field: str, start: str) -> None:
    [p] = problems_of(BASELINE, (expr,))
    assert (p.file, p.line, p.field) == ("--set #1", 1, field)
    assert str(p).startswith(f"--set #1:1: {field}: {start}"), str(p)  # control characters printed escaped


# --------------------------------------------------------------------------- CLI


def assert_located_stderr(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "no error output"
    for line in lines:  # every line is one located problem, nothing else
        assert LOCATED.match(line), line
    return lines


def bad_file(tmp_path: Path) -> tuple[Path, int]:
    text = base_text()
    n = key_line(text, "donors", "JPN-ODA", "budget_usd")
    return write(tmp_path, set_line(text, n, "    budget_usd: -1"), "bad.yaml"), n


def test_cli_validate_ok() -> None:
    result = CliRunner().invoke(cli.main, ["validate", str(BASELINE)])
    assert result.exit_code == 0, result.output
    assert f"{BASELINE}: ok (" in result.stdout


def test_cli_validate_bad_file_exits_2_with_located_lines(tmp_path: Path) -> None:
    path, n = bad_file(tmp_path)
    result = CliRunner().invoke(cli.main, ["validate", str(BASELINE), str(path)])
    assert result.exit_code == 2
    assert f"{BASELINE}: ok (" in result.stdout
    lines = assert_located_stderr(result.stderr)
    assert lines == [f"{path}:{n}: donors.JPN-ODA.budget_usd: got -1, below the minimum (allowed: a number, 0 <= value <= 1e+15)"]


def test_cli_run_bad_file_exits_2(tmp_path: Path) -> None:
    path, n = bad_file(tmp_path)
    result = CliRunner().invoke(cli.main, ["run", str(path), "--runs", "2", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    [line] = assert_located_stderr(result.stderr)
    assert line.startswith(f"{path}:{n}: donors.JPN-ODA.budget_usd: ")
    assert not (tmp_path / "out").exists()


def test_cli_run_bad_set_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["run", str(BASELINE), "--runs", "2", "--out", str(tmp_path / "out"),
                                           "--set", "donors.NOPE.budget_usd=1"])
    assert result.exit_code == 2
    [line] = assert_located_stderr(result.stderr)
    assert line.startswith("--set #1:1: donors.NOPE: no item with id 'NOPE' (known ids: ")


@pytest.mark.parametrize("content", [
    b"", b"- a\n- b\n", b"name: x\n\tstart_year: 2020\n", b"name: \xff\xfe\n", b"a: &a [*a]\n",
    b"a: &a [1,1,1,1,1,1,1,1,1,1]\n" + b"".join(
        b"%c: &%c [" % (c, c) + b",".join([b"*%c" % (c - 1)] * 10) + b"]\n" for c in b"bcdef"),
    b"name: x\nstart_year: 1e400\n", b"extends: missing.yaml\n", b"\x00\x01binary",
], ids=["empty", "list", "tab", "non-utf8", "recursive", "bomb", "huge", "missing-parent", "binary"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_bad_input_never_tracebacks(tmp_path: Path, content: bytes, command: str) -> None:
    path = write(tmp_path, content, "in.yaml")
    args = [command, str(path)] + (["--runs", "1", "--out", str(tmp_path / "out")] if command == "run" else [])
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    for line in assert_located_stderr(result.stderr):
        assert line.startswith(f"{path}:")


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert assert_located_stderr(result.stderr) == [f"{tmp_path / 'nope.yaml'}:1: <file>: file not found"]


def test_facility_cannot_use_the_adaptive_strategy(tmp_path: Path) -> None:
    d = yaml.safe_load(BASELINE.read_text())
    d["facility"] = {"strategy": "adaptive"}
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    [p] = problems_of(path)
    assert p.field == "facility.strategy" and "cannot use 'adaptive'" in p.message


def test_a_partnership_recipient_listed_twice_is_an_error(tmp_path: Path) -> None:
    d = yaml.safe_load(BASELINE.read_text())
    tech, body = d["technologies"][0]["id"], d["research_bodies"][0]["id"]
    d["partnerships"] = [{"id": "P", "technology": tech, "provider": body, "recipients": ["ETH", "KEN", "ETH"]}]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    [p] = problems_of(path)
    assert p.field == "partnerships.P.recipients.2" and "listed twice" in p.message


def test_set_errors_name_the_file_when_several_are_validated(tmp_path: Path) -> None:
    pia = BASELINE.parent / "partnership-in-action.yaml"
    result = CliRunner().invoke(cli.main, ["validate", str(BASELINE), str(pia),
                                           "--set", "donors.JPN-ODA.pooled_share=0.2"])
    assert result.exit_code == 2
    lines = assert_located_stderr(result.stderr)
    assert lines == [f"--set #1 (for {BASELINE}):1: donors.JPN-ODA.pooled_share: "
                     "pooled_share > 0 but the scenario has no 'facility'"]


def test_set_names_ids_with_dots_plainly_or_in_brackets() -> None:
    sc = load_scenario(BASELINE, ["indicators.SH.DYN.MORT.unit_cost_usd=6000",
                                  "countries.ETH.indicators[SH.H2O.BASW.ZS].value=51.5"])
    assert next(i for i in sc.indicators if i.id == "SH.DYN.MORT").unit_cost_usd == 6000
    assert next(c for c in sc.countries if c.id == "ETH").indicators["SH.H2O.BASW.ZS"].value == 51.5
