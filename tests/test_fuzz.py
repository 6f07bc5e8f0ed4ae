"""Fuzzing the scenario loader: any input gives a Scenario or located problems, never a crash.

A valid scenario (scenarios/baseline.yaml) is mutated at random, at two levels:
- data: replace the value at a random path with a wrong type, a negative, NaN, a huge or
  nested-garbage value, another item's id; delete keys; add unknown keys; duplicate items;
  plus random `--set` overrides;
- text: insert tabs or random bytes (incl. non-UTF-8), truncate, duplicate or delete a
  line, replace a value with a random YAML token, append alias bombs or odd documents.
For each input `load_scenario` must return a valid Scenario or raise `InputError` whose
every problem has a file, a line >= 1 (within the file), a non-empty field and message,
and prints as one `FILE:LINE: field.path: message` line. Any other exception fails.
A smaller number of inputs goes through the real CLI: exit code 0 or 2, located stderr.

Hypothesis is derandomized with no example database, so CI runs the same examples.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cli
from simulation.errors import InputError
from simulation.scenario import Scenario, load_scenario
from simulation.scenario.yamlio import load_located, to_plain

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
BASE_TEXT = BASELINE.read_text(encoding="utf-8")
BASE_DATA: dict = to_plain(load_located(BASELINE))
LOCATED = re.compile(r"^[^:]+:\d+: \S+: .+")


def fuzz_settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


# --------------------------------------------------------------------------- the property


def n_lines(raw: bytes) -> int:
    return raw.count(b"\n") + 1


def check_loader(path: Path, sets: list[str] = ()) -> Scenario | None:
    """Load; a Scenario or located problems are fine, anything else propagates (fails)."""
    raw = path.read_bytes() if path.is_file() else b""
    try:
        sc = load_scenario(path, list(sets))
    except InputError as err:
        assert err.problems, "InputError with no problems"
        for p in err.problems:
            assert isinstance(p.file, str) and p.file, p
            assert isinstance(p.line, int) and p.line >= 1, p
            assert isinstance(p.field, str) and p.field.strip(), p
            assert isinstance(p.message, str) and p.message.strip(), p
            text = str(p)
            assert LOCATED.match(text) and "\n" not in text, text
            if p.file == str(path):
                assert p.line <= n_lines(raw), f"line {p.line} beyond the end of the file: {text}"
            elif p.file.startswith("--set #"):
                assert p.line == 1 and 1 <= int(p.file[7:]) <= len(sets), text
        return None
    assert isinstance(sc, Scenario)
    return sc


# --------------------------------------------------------------------------- data-level mutations


def all_paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += all_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += all_paths(v, (*prefix, i))
    return out


PATHS = all_paths(BASE_DATA)
CHILD_PATHS = [p for p in PATHS if p]


def node_at(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


DICT_PATHS = [p for p in PATHS if isinstance(node_at(BASE_DATA, p), dict)]
LIST_PATHS = [p for p in PATHS if isinstance(node_at(BASE_DATA, p), list) and node_at(BASE_DATA, p)]
IDS = sorted({str(v) for p in PATHS if p and p[-1] == "id" for v in [node_at(BASE_DATA, p)]})
FIELD_NAMES = sorted({k for p in PATHS for k in p if isinstance(k, str)})

special_numbers = st.sampled_from([
    -1, -1e9, 0, -0.0, 1, 1.0000001, 100, 101, 2020, 1e15, 1e16, 2**63, -(2**70), 1e308, 5e-324,
    math.nan, math.inf, -math.inf,
])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), special_numbers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(IDS), st.sampled_from(FIELD_NAMES),
    st.sampled_from(["", "yes", "NO", "1e9", "1_000", "0x1F", "1:30", "2020-01-01", ".nan", "SDG99", "needs", "pandemic"]),
)
garbage = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.sampled_from(FIELD_NAMES),
                                                                 inner, max_size=3),
    max_leaves=6,
)
mutation = st.one_of(
    st.tuples(st.just("replace"), st.sampled_from(CHILD_PATHS), garbage),
    st.tuples(st.just("delete"), st.sampled_from(CHILD_PATHS), st.none()),
    st.tuples(st.just("add"), st.sampled_from(DICT_PATHS),
              st.tuples(st.text(max_size=8) | st.sampled_from(FIELD_NAMES), garbage)),
    st.tuples(st.just("duplicate"), st.sampled_from(LIST_PATHS), st.integers(0, 50)),
    st.tuples(st.just("numeric"), st.sampled_from(CHILD_PATHS), special_numbers),
)


def apply(data: Any, op: str, path: tuple, arg: Any) -> None:
    try:
        parent = node_at(data, path[:-1])
        if op in ("replace", "numeric"):
            parent[path[-1]] = arg
        elif op == "delete":
            del parent[path[-1]]
        elif op == "add":
            target = node_at(data, path)
            if isinstance(target, dict):
                target[arg[0]] = arg[1]
        elif op == "duplicate":
            target = node_at(data, path)
            if isinstance(target, list) and target:
                target.append(copy.deepcopy(target[arg % len(target)]))
    except (KeyError, IndexError, TypeError):
        pass  # an earlier mutation changed the shape under this path: skip


def set_path(path: tuple, data: dict) -> str:
    """A --set path for `path`, addressing list items by id where they have one."""
    names = []
    node: Any = data
    for k in path:
        item = node[k]
        names.append(str(item["id"]) if isinstance(node, list) and isinstance(item, dict) and "id" in item else str(k))
        node = item
    return ".".join(names)


set_exprs = st.one_of(
    st.builds(lambda p, v: f"{set_path(p, BASE_DATA)}={v}", st.sampled_from(CHILD_PATHS),
              st.sampled_from(["-1", "2e9", ".nan", "1e400", "[1, 2", "{a: 1}", "x", "", "~", "0.5", "[SDG2]", "\t", "&a [*a]",
                              "\udcff", "\x1b[31m", "a\u2028b"])),
    st.builds(lambda p, v: f"{p}={v}", st.sampled_from(["donors.NOPE.budget_usd", "name.x", "a..b", "facility.overhead_rate",
                                                          "extends", "countries.0.scores.SDG2", "donors.JPN-ODA"]),
              st.text(max_size=8)),
    st.text(max_size=20),
)


def dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


@fuzz_settings(250)
@given(muts=st.lists(mutation, min_size=1, max_size=4), sets=st.lists(set_exprs, max_size=2))
def test_data_mutations_give_a_scenario_or_located_problems(tmp_path: Path, muts: list, sets: list[str]) -> None:
    data = copy.deepcopy(BASE_DATA)
    for op, path, arg in muts:
        apply(data, op, path, arg)
    path = tmp_path / "mutated.yaml"
    path.write_text(dump(data), encoding="utf-8")
    check_loader(path, sets)


def test_unmutated_dump_is_valid(tmp_path: Path) -> None:
    """The fuzzer's starting point is valid, so mutations are what the loader sees."""
    path = tmp_path / "same.yaml"
    path.write_text(dump(BASE_DATA), encoding="utf-8")
    assert check_loader(path) is not None


# --------------------------------------------------------------------------- text-level mutations

BOMB = "\n".join(
    ["b0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]" for i in range(1, 7)]
) + "\n"
TOKENS = ["\t", "1e400", "-1e400", ".nan", ".inf", "-1", "~", "[", "]", "{", "}", "{a: b}", "[1, [2, [3]]]",
          "&a", "*a", "*undefined", "&x [*x]", "!!python/object:os.system", "!!binary aGk=", "<<: *a", "'", '"',
          "|", ">-", "? ", "- ", ": ", "#", "---", "...", "%YAML 1.2", "yes", "NO", "0x10", "1:30", "2020-01-01",
          "9" * 400, "SDG99", "\u00e9", "\ufeff", "\u2028", "\x85"]

text_mutation = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(TOKENS)),
    st.tuples(st.just("bytes"), st.floats(0, 1), st.binary(min_size=1, max_size=6)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.none()),
    st.tuples(st.just("dup_line"), st.floats(0, 1), st.none()),
    st.tuples(st.just("del_line"), st.floats(0, 1), st.none()),
    st.tuples(st.just("value"), st.floats(0, 1), st.sampled_from(TOKENS) | st.text(max_size=10)),
    st.tuples(st.just("indent"), st.floats(0, 1), st.integers(-4, 4)),
    st.tuples(st.just("append"), st.floats(0, 1), st.sampled_from([BOMB, "x: &r [*r]\n", "a: 1\na: 2\n", "---\nname: b\n",
                                                                    "extends: missing.yaml\n", "extends: mutated.yaml\n",
                                                                    "deep: " + "[" * 80 + "]" * 80 + "\n"])),
    st.tuples(st.just("empty"), st.floats(0, 1), st.sampled_from([b"", b"\n", b"# c\n", b"[]", b"- 1\n", b"~\n", b"\xff\xfe"])),
)


def mutate_bytes(raw: bytes, op: str, where: float, arg: Any) -> bytes:
    lines = raw.split(b"\n")
    i = min(int(where * len(lines)), len(lines) - 1)
    pos = int(where * len(raw))
    if op == "insert":
        return raw[:pos] + arg.encode("utf-8") + raw[pos:]
    if op == "bytes":
        return raw[:pos] + arg + raw[pos:]
    if op == "truncate":
        return raw[:pos]
    if op == "dup_line":
        return b"\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    if op == "del_line":
        return b"\n".join(lines[:i] + lines[i + 1:])
    if op == "value":
        line = lines[i]
        if b": " in line:
            lines[i] = line.split(b": ", 1)[0] + b": " + arg.encode("utf-8")
        return b"\n".join(lines)
    if op == "indent":
        line = lines[i]
        lines[i] = b" " * arg + line if arg >= 0 else line[min(-arg, len(line) - len(line.lstrip(b" "))):]
        return b"\n".join(lines)
    if op == "append":
        return raw + (b"" if raw.endswith(b"\n") else b"\n") + arg.encode("utf-8")
    if op == "empty":
        return arg
    raise AssertionError(op)


@fuzz_settings(350)
@given(muts=st.lists(text_mutation, min_size=1, max_size=3))
def test_text_mutations_give_a_scenario_or_located_problems(tmp_path: Path, muts: list) -> None:
    raw = BASE_TEXT.encode("utf-8")
    for op, where, arg in muts:
        raw = mutate_bytes(raw, op, where, arg)
    path = tmp_path / "mutated.yaml"
    path.write_bytes(raw)
    check_loader(path)


@fuzz_settings(150)
@given(text=st.text(max_size=200))
def test_arbitrary_text_gives_a_scenario_or_located_problems(tmp_path: Path, text: str) -> None:
    path = tmp_path / "random.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_loader(path)


@fuzz_settings(60)
@given(muts=st.lists(mutation, min_size=1, max_size=3), parent_muts=st.lists(mutation, max_size=2))
def test_extends_chains_with_mutations(tmp_path: Path, muts: list, parent_muts: list) -> None:
    """A child that extends a (possibly broken) parent: problems name the right file."""
    parent = copy.deepcopy(BASE_DATA)
    for op, path, arg in parent_muts:
        apply(parent, op, path, arg)
    child: dict = {"extends": "parent.yaml", "name": "child"}
    scratch = copy.deepcopy(BASE_DATA)
    for op, path, arg in muts:
        apply(scratch, op, path, arg)
        if path and path[0] in scratch and path[0] != "name":
            child[path[0]] = scratch[path[0]]  # the child overrides the mutated top-level section
    (tmp_path / "parent.yaml").write_text(dump(parent), encoding="utf-8")
    path = tmp_path / "child.yaml"
    path.write_text(dump(child), encoding="utf-8")
    try:
        load_scenario(path)
    except InputError as err:
        for p in err.problems:
            assert p.file in (str(path), str(tmp_path / "parent.yaml")), p
            assert p.line >= 1 and p.field and p.message and LOCATED.match(str(p)), p


# --------------------------------------------------------------------------- through the CLI


def check_cli(result: Any, path: Path) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines, result.stderr
        for line in lines:  # every line is one located problem, nothing else
            assert LOCATED.match(line), line


@fuzz_settings(40)
@given(muts=st.lists(text_mutation, min_size=1, max_size=2), sets=st.lists(set_exprs, max_size=1))
def test_cli_validate_on_mutated_text(tmp_path: Path, muts: list, sets: list[str]) -> None:
    raw = BASE_TEXT.encode("utf-8")
    for op, where, arg in muts:
        raw = mutate_bytes(raw, op, where, arg)
    path = tmp_path / "cli.yaml"
    path.write_bytes(raw)
    args = ["validate", str(path)] + [a for s in sets for a in ("--set", s)]
    check_cli(CliRunner().invoke(cli.main, args), path)


@fuzz_settings(12)
@given(muts=st.lists(mutation, min_size=1, max_size=2))
def test_cli_run_on_mutated_data(tmp_path: Path, muts: list) -> None:
    data = copy.deepcopy(BASE_DATA)
    for op, path, arg in muts:
        apply(data, op, path, arg)
    path = tmp_path / "run.yaml"
    path.write_text(dump(data), encoding="utf-8")
    out = tmp_path / "out"
    try:
        args = ["run", str(path), "--runs", "1", "--no-flows", "--no-report", "--out", str(out), "--force"]
        result = CliRunner().invoke(cli.main, args)
    finally:
        forget_models()
    check_cli(result, path)


def forget_models() -> None:
    """Mesa 3.3 keeps every model built as a key of `mesa.Agent._ids`, and `sdgsim run` does not
    drop its models (simulation.sweep does): without this, models of this test outlive it and
    tests that count live models (test_sweep) fail when they run later in the same process."""
    import mesa

    from simulation.model import FinancingModel

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        for model in [m for m in ids if isinstance(m, FinancingModel)]:
            ids.pop(model, None)
