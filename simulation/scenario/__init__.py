"""The scenario layer: files, schema, `extends:`, overrides, located errors, the catalog.

    schema     the typed pydantic models (every field, its unit, range and default)
    loading    YAML files with locations, `extends:` chains, overrides, validation
    checks     cross-field checks (references, uniqueness, consistency)
    messages   the wording of every error message (scenario and sweep files)
    paths      dotted paths into scenario data (donors.JPN-ODA.budget_usd), for sweeps and --set
    typeinfo   reading schema types (Annotated and optional fields stripped)
    catalog    the shipped scenarios: listing, finding by name, showing
    library    where the shipped scenarios are installed; which file `extends:` names
    yamlio     safe YAML parsing that remembers file and line
"""

from .loading import apply_set, load_scenario, parse_set, validate_data
from .schema import BudgetCut, DebtRelief, DebtSwap, Ident, Pandemic, Scenario, Strict, Text

__all__ = ["BudgetCut", "DebtRelief", "DebtSwap",
           "Ident", "Pandemic", "Scenario", "Strict", "Text", "apply_set", "load_scenario", "parse_set",
           "validate_data"]
