"""The shipped sweep files, installed as package data of `simulation.shipped.sweeps` (see
scenarios/__init__.py). They name their scenarios by paths relative to this folder."""
