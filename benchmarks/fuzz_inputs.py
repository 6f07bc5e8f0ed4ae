"""Fuzzing the newer inputs: history files, fit files, search files and the app's form fields.

    .venv/bin/python benchmarks/fuzz_inputs.py                  # 2,500 cases per input: 10^4 (~5 min)
    .venv/bin/python benchmarks/fuzz_inputs.py --examples 50    # a quick look (tests/test_reliability3.py)
    .venv/bin/python benchmarks/fuzz_inputs.py --only history

Each input starts from a valid file (or form) and is mutated at random, as tests/test_fuzz.py
does for scenario files: cells and values replaced by hostile tokens (numbers in other
scripts' digits, digit separators, `inf`, `True`, huge, empty, quotes, control characters,
markup), lines dropped, duplicated or truncated, random bytes (non-UTF-8), duplicate header
columns. The rule checked is the same everywhere: the loader returns a result or raises
`InputError` whose every problem names a file (the input's own label), a line within the
file (>= 1), a field and a message, and prints as one `FILE:LINE: field: message` line. Any
other exception is a failure. For the app's form fields: a name is a plain name inside the
app's folder or an `InputError`, and `messages.text` never leaves markup in what it returns.

Hypothesis is derandomized (`--seed`), so a run can be repeated. Prints cases and failures
per input; exits 1 if any input failed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.errors import InputError  # noqa: E402

LOCATED = re.compile(r"^[^\n]+:\d+: \S+: [^\n]+$")
TOKENS = ["", " ", "41.6", "-0.5", ".5", "1e9", "1e400", "-1e400", "inf", "-inf", "nan", "NaN", "True", "false",
          "2_015", "1_000", "1,5", "٢٠١٥", "２０１５", "१२", "0x1F", "1e", "-", "+", "2015.0", "2015.5", "99999999999999999999",
          "KEN", "ETH", "XXX", "EG.ELC.ACCS.ZS", "SH.DYN.MORT", "\"", "'", "\"\"\"", "a,b", "\t", "\x00", "\x1b[31m",
          "<script>alert(1)</script>", "..", "../x", "${HOME}", "%s", "{}", "[]", "null", "~", "é", "\u202e",
          "\ufeff", "x" * 300, "0", "-0", "1e-320", "150", "-20"]
HISTORY = ("country,indicator,year,value,source\n"
           "KEN,EG.ELC.ACCS.ZS,2015,41.6,WDI\nKEN,EG.ELC.ACCS.ZS,2016,53.1,WDI\n"
           "ETH,SH.DYN.MORT,2015,70.2,WDI\nETH,SH.DYN.MORT,2016,65.0,WDI\n")
FIT = ("country,indicator,value,trend,trend_sd,noise_sd\n"
       "ETH,EG.ELC.ACCS.ZS,45.0,1.2,0.3,0.5\nGHA,SH.DYN.MORT,45.0,-1.0,0.2,0.4\n")
SEARCH = """\
scenario: {scenario}
levers:
  donors.JPN-ODA.pooled_share: {{low: 0.0, high: 0.5}}
  facility.strategy: [priority, needs]
objectives:
  sdg_index_end: {{robustness: mean}}
  adoption_end: {{robustness: percentile, percentile: 90}}
constraints:
  - {{sum: [donors.JPN-ODA.pooled_share], max: 0.4}}
futures:
  count: 2
  parameters:
    governance.leakage_max: {{low: 0.15, high: 0.45}}
replications: 1
search: {{population: 8, generations: 2}}
seed: 5
"""


def token() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TOKENS), st.text(max_size=12))


@st.composite
def mutated(draw, text: str, sep: str) -> bytes:
    """`text` with cells (split on `sep`) replaced, lines dropped/duplicated, bytes or a header column added."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "drop", "dup", "cut", "header", "blank", "bytes"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "cell":
            cells = lines[i].split(sep)
            j = draw(st.integers(0, max(0, len(cells) - 1)))
            cells[j] = draw(token())
            lines[i] = sep.join(cells)
        elif kind == "drop" and len(lines) > 1:
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif kind == "header":
            lines[0] = lines[0] + sep + draw(st.sampled_from(["value", "country", "year", "x", "trend"]))
        elif kind == "blank":
            lines.insert(i, draw(st.sampled_from(["", " ", ",,,", "#"])))
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


def check_located(err: InputError, label: str, n_lines: int) -> None:
    assert err.problems, "an InputError without problems"
    for p in err.problems:
        line = str(p)
        assert LOCATED.match(line), f"not one located line: {line!r}"
        assert p.file == label or p.file.startswith(label), f"problem names {p.file!r}, not {label!r}"
        assert 1 <= p.line <= max(1, n_lines), f"line {p.line} outside the file's {n_lines} lines: {line}"


def fuzz_history(examples: int, folder: Path):
    from simulation.scenario.history import load_history

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=mutated(HISTORY, ","), parquet=st.integers(0, 9))
    def one(data, parquet):
        path = folder / "h.csv"
        path.write_bytes(data)
        if parquet == 0:  # the same table as Parquet, when pandas can read it at all
            import pandas as pd

            try:
                pd.read_csv(path, dtype=str).to_parquet(folder / "h.parquet")
                path = folder / "h.parquet"
            except Exception:  # noqa: BLE001 - not a table: fuzz the CSV
                pass
        try:
            h = load_history(path)
            assert len(h.frame) and h.frame.value.map(lambda v: v == v).all()
        except InputError as err:
            check_located(err, str(path), data.count(b"\n") + 1 if path.suffix == ".csv" else 10**9)
    return one


def fuzz_fit(examples: int, folder: Path):
    from simulation.scenario.loading import load_scenario
    from simulation.scenario.parameters import load_parameters, with_parameters

    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=mutated(FIT, ","))
    def one(data):
        path = folder / "fit.csv"
        path.write_bytes(data)
        try:
            with_parameters(base, load_parameters(path))
        except InputError as err:
            check_located(err, str(path), data.count(b"\n") + 1)
    return one


def fuzz_search(examples: int, folder: Path):
    from simulation.experiments.search.spec import load_search

    text = SEARCH.format(scenario=ROOT / "scenarios" / "partnership-in-action.yaml")

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=mutated(text, ": "))
    def one(data):
        path = folder / "search.yaml"
        path.write_bytes(data)
        try:
            load_search(path)
        except InputError as err:
            for p in err.problems:  # a problem of the scenario it names is located in that file
                assert LOCATED.match(str(p)), f"not one located line: {str(p)!r}"
                assert p.line >= 1
    return one


def fuzz_app(examples: int, folder: Path):
    from simulation.app import Folders
    from simulation.app.messages import code, problem_line, text

    folders = Folders.make(folder / "sc", folder / "res")
    names = st.one_of(st.sampled_from(TOKENS), st.text(max_size=40),
                      st.from_regex(r"[A-Za-z0-9._/-]{1,20}", fullmatch=True))

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(name=names, shown=st.text(max_size=60))
    def one(name, shown):
        for make, root in ((folders.scenario_file, folders.scenarios), (folders.result_folder, folders.results)):
            try:
                path = make(name)
                assert path.parent == root.resolve() and not path.name.startswith("."), path
            except InputError as err:
                assert all(LOCATED.match(str(p)) and problem_line(p) for p in err.problems)
        try:
            folders.existing_result(name)
        except InputError:
            pass
        for out in (text(shown), code(shown)):
            inner = out[len("<code>"):-len("</code>")] if out.startswith("<code>") else out
            assert "<" not in inner and ">" not in inner.replace("\\>", "") and "\n" not in out, out
    return one


TARGETS = {"history": fuzz_history, "fit": fuzz_fit, "search": fuzz_search, "app": fuzz_app}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=2500, help="cases per input (default 2500: 10^4 in all)")
    ap.add_argument("--only", choices=list(TARGETS), action="append", help="fuzz only this input (repeatable)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    failed = 0
    for name in args.only or list(TARGETS):
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            test = seed(args.seed)(TARGETS[name](args.examples, Path(tmp)))
            try:
                test()
                result = "ok"
            except Exception as exc:  # noqa: BLE001 - reported, then the next input
                failed += 1
                result = f"FAILED: {type(exc).__name__}: {exc}"
                traceback.print_exc()
        print(f"{name:8s} {args.examples:6d} cases  {time.perf_counter() - t:6.1f} s  {result}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
