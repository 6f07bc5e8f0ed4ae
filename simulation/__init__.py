"""sdgsim: financing and impact simulation for STI-for-SDGs roadmaps.

Modules, one job each: scenario (files and schema), model and agents (the Mesa model),
allocation / dynamics / technology (pure array mechanisms), ledger (money flows),
rng (random streams), runner (replications), metrics (outcomes), store (results folder).
"""

__version__ = "0.1.0"
