# Two commands do everything on a fresh machine:
#   make demo   create .venv if missing, install, validate and run the shipped scenario
#   make test   same bootstrap, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
RUNS   ?= 200

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sdgsim validate scenarios/*.yaml
	$(VENV)/bin/sdgsim run scenarios/baseline.yaml --runs $(RUNS) --seed 2030 --out results/demo-baseline --force
	@echo "Results folder: $(CURDIR)/results/demo-baseline"

test: $(STAMP)
	$(PY) -m pytest -n 2 --durations=10

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) results/demo-* .pytest_cache .hypothesis
