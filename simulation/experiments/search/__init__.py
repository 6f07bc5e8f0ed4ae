"""Robust policy search: search files (spec.py) and NSGA-II over levers and futures (running.py)."""
