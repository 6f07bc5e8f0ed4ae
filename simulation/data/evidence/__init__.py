"""Shipped evidence tables (Parquet) and their manifest; SOURCES.md names every source file."""
