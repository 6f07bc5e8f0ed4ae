"""The analysis layer: paired comparison statistics and sensitivity analysis of sweeps."""
