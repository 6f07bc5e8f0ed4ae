"""The model layer: the Mesa model of countries, donors, a pooled facility and research bodies.

    model        FinancingModel: state arrays (replications × countries × goals) and the year's phases
    parameters   the scenario's parameters by entity, each field with its replication axis
    stacking     one batch for several scenarios of the same structure (sweeps' design points)
    agents       Mesa agents, one per entity, that own their type's decisions (allocation, research, learning)
    funding      the funders' year: budgets, the facility's pool, one allocate / split / deliver path
    impact       how money moves capacity, adoption, goal scores and indicators (the countries' year)
    ledger       every money flow, and the balance that proves money is conserved
    rng          one random stream per replication, process and entity
    ppi_country  PPI indicator dynamics for countries that ask for them
    result       RunArrays: what a batch of replications produced

The arithmetic lives in simulation.mechanisms (pure array functions).
"""

from . import rng
from .ledger import ACCOUNTS, NO_GOAL
from .model import FinancingModel
from .parameters import Parameters, parameters
from .result import RunArrays, result_arrays
from .stacking import StructureMismatch, signature

__all__ = ["ACCOUNTS", "NO_GOAL", "FinancingModel", "Parameters", "RunArrays", "StructureMismatch", "parameters",
           "result_arrays", "rng", "signature"]
