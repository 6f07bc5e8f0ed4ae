"""The shipped portfolio files, installed as package data of `simulation.shipped.portfolios` (see
scenarios/__init__.py). They name their base scenario by a path relative to this folder."""
