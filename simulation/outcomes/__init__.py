"""Outcomes: every quantity sdgsim reports, defined once (registry) and computed from a RunArrays."""
