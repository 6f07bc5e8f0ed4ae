"""The report layer: HTML reports, plots and text tables, drawn from results."""
