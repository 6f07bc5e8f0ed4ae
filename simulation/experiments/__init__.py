"""The experiments layer: replications, executors, sweeps (spec, designs, chunks, running)."""
