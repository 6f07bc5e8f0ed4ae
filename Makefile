# Two commands do everything on a fresh machine:
#   make demo   create .venv if missing, install (every extra: .[all,dev]), validate, run the baseline and compare it
#               with triangular cooperation and the Partnership in Action (report.html)
#   make test   same bootstrap, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
KERNELS := $(VENV)/.ppi-kernels-stamp
RUNS   ?= 200

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,dev]"
	@touch $(STAMP)

# numba compiles the PPI loops into its cache once (about 10 s), here rather than in the first
# command or test that needs them; again whenever kernels.py changes (the cache is keyed on it)
$(KERNELS): $(STAMP) simulation/ppi/kernels.py
	$(PY) -c "import simulation.ppi.kernels"
	@touch $(KERNELS)

demo: $(STAMP) $(KERNELS)
	$(VENV)/bin/sdgsim validate scenarios/*.yaml
	$(VENV)/bin/sdgsim run scenarios/baseline.yaml --runs $(RUNS) --seed 2030 --out results/demo-baseline --force
	$(VENV)/bin/sdgsim compare scenarios/baseline.yaml scenarios/triangular-cooperation.yaml \
		scenarios/partnership-in-action.yaml --runs $(RUNS) --seed 2030 --out results/demo-compare --force \
		--metric sdg_index_end --metric overhead_usd --metric private_per_public
	@echo ""
	@echo "Baseline results: $(CURDIR)/results/demo-baseline/"
	@echo "Comparison:       $(CURDIR)/results/demo-compare/comparison.csv"
	@echo "Report:           $(CURDIR)/results/demo-compare/report.html"

test: $(STAMP) $(KERNELS)
	$(PY) -m pytest -n 2 --durations=10

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) results/demo-* .pytest_cache .hypothesis
