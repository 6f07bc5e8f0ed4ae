"""The shipped search files (package data: installed with sdgsim as simulation.shipped.searches)."""
