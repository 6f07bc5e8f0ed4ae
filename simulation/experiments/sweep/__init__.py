"""Sweeps: sweep files, experimental designs, and running experiments in resumable chunks."""
