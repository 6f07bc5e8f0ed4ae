"""Click command groups of `sdgsim`, registered by cli.py (the CLI layer, above simulation.api)."""
