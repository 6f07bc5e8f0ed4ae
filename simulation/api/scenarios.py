"""Load a scenario for the API.

`load_scenario` lives on its own so that checking files
(`sdgsim validate`) loads the scenario layer only, not the engine and its reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import InputError, ScenarioError
from ..scenario import Scenario
from ..scenario.catalog import resolve
from ..scenario.loading import load_scenario as _load_file
from ..scenario.parameters import load_parameters, with_parameters
from .arguments import checked


@checked
def load_scenario(name_or_path: str | Path, sets: Sequence[str] = (), parameters: str | Path | None = None
                  ) -> Scenario:
    """Load a validated scenario from a file, or a shipped scenario by name (`"baseline"`).

    `sets` are overrides `"field.path=value"` (list items by id), applied after `extends:`;
    `parameters` a calibration's fit.csv whose indicator values, trends and their uncertainty
    replace the scenario's (rows for countries or indicators it lacks are ignored).
    Raises ScenarioError with located problems.
    """
    try:
        sc = _load_file(resolve(str(name_or_path)), list(sets))
    except ScenarioError:
        raise
    except InputError as err:
        raise ScenarioError(err.problems) from None
    return with_parameters(sc, load_parameters(parameters))[0] if parameters is not None else sc


__all__ = ["load_scenario"]
