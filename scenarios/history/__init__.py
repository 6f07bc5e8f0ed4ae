"""The shipped history files (package data: installed with sdgsim as simulation.shipped.history)."""
