"""The public API a maintainer would publish: each api module exports only public names,
result classes are named *Result, every error type lives in simulation.errors."""

from __future__ import annotations

import importlib
import inspect
import warnings

import simulation
from simulation import api, errors

PPI = {"PPICalibrationResult", "PPIRunResult", "ppi_calibrate", "ppi_run"}


def test_every_api_module_exports_only_public_api_names():
    for module in api.SUBMODULES:
        exported = set(importlib.import_module(f"simulation.api.{module}").__all__)
        assert exported <= set(api.__all__) | PPI, (module, exported - set(api.__all__))


def test_result_classes_are_named_consistently_and_old_names_warn():
    results = {n for n in api.__all__ if inspect.isclass(getattr(api, n)) and n.endswith("Result")}
    assert results == {"RunResult", "ComparisonResult", "SweepResult", "SearchResult", "DiscoveryResult",
                       "AnalysisResult", "AppraisalResult", "VoiResult", "PortfolioResult"}
    for old, new in api.DEPRECATED.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert getattr(simulation, old) is getattr(simulation, new)
        assert any(issubclass(w.category, DeprecationWarning) for w in caught)
        assert old not in simulation.__all__


def test_calibrate_and_backtest_are_exported_and_every_error_type_is_in_errors():
    assert simulation.calibrate is importlib.import_module("simulation.api.calibration").calibrate
    assert simulation.backtest is importlib.import_module("simulation.api.calibration").backtest
    for name in ("SearchInterrupted", "SweepInterrupted", "SweepIncomplete", "HistoryError", "ParametersError"):
        assert getattr(simulation, name).__module__ == "simulation.errors" and hasattr(errors, name)
