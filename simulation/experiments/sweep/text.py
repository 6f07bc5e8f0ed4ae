"""Plain-text descriptions of a sweep and of its time and disk estimate."""

from __future__ import annotations

from .chunks import Plan
from .spec import Sweep, shorten


def _human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _human_seconds(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def describe(sweep: Sweep, plan: Plan) -> str:
    """What a sweep will run: policies, parameters, design and the number of runs."""
    d = sweep.spec.design
    design = {"saltelli": f"{d.samples} base samples", "morris": f"{d.samples} trajectories",
              "grid": "full grid"}.get(d.method, f"{d.samples} samples")
    lines = [f"sweep {sweep.name} ({sweep.file})",
             f"  policies:    {', '.join(p.name for p in sweep.policies)}",
             f"  parameters:  {len(sweep.parameters)} ({len(sweep.dims)} design dimensions)"]
    for p in sweep.parameters:
        s = p.spec
        rng = {"uniform": f"uniform {shorten(s.low)}..{shorten(s.high)}",
               "log-uniform": f"log-uniform {shorten(s.low)}..{shorten(s.high)}",
               "normal": f"normal mean {shorten(s.mean)}, sd {shorten(s.sd)}",
               "discrete": f"one of {shorten(s.values)}"}[p.dist]
        size = f" (vector of {p.size})" if p.vector and p.dist != "discrete" else ""
        lines.append(f"    {p.path}: {rng}{size}")
    seeds = "common random numbers across points" if sweep.spec.common_random_numbers else "independent per point"
    lines += [f"  design:      {d.method}, {design} -> {plan.points} points",
              f"  runs:        {plan.points} points x {plan.policies} policies x {plan.replications} replications"
              f" = {plan.runs} runs, in {plan.chunks} chunks of <= {plan.points_per_chunk * plan.runs_per_point} runs",
              f"  seed:        {sweep.seed} ({seeds})"]
    return "\n".join(lines)


def estimate_text(est: dict, executor: str) -> str:
    par = "" if executor == "serial" or est["workers"] <= 1 else \
        f", about {_human_seconds(est['seconds_parallel'])} with {est['workers']} {executor} workers (ideal scaling)"
    return (f"  estimate:    {_human_seconds(est['seconds_serial'])} serial (calibrated: {est['rate_serial']:.0f} runs/s "
            f"over {est['calibration_runs']} runs on this machine){par}\n"
            f"  disk:        about {_human_bytes(est['bytes'])}")
