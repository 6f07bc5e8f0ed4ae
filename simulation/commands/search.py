"""`sdgsim discover` and `sdgsim optimize`: scenario discovery and robust policy search."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import simulation as sim

from ..errors import InputError
from ..extras import require
from .common import fail as _fail
from .common import scheduler_needs_dask


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--outcome", required=True, help="Outcome column, e.g. sdg_index_end.")
@click.option("--worst", type=float, default=None, help="Cases of interest: the worst FRACTION by the outcome's direction.")
@click.option("--below", type=float, default=None, help="Cases of interest: outcome below X.")
@click.option("--above", type=float, default=None, help="Cases of interest: outcome above X.")
@click.option("--policy", default=None, help="Only this policy's cases [default: all policies].")
@click.option("--contrast", default=None, metavar="'B - A'",
              help="Cases are the difference policy B minus policy A at each point (mean over the paired "
                   "replications), e.g. --contrast 'pooled-20 - bilateral'; not with --policy.")
@click.option("--method", type=click.Choice(["prim", "cart"]), default="prim", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON file [default: FOLDER/discovery/<outcome>-<selection>-<method>[-<policy>].json, the "
                   "selection as worst-0.2, below-0 or above-minus1.5; listed in the report]; never inside "
                   "another results folder.")
@click.option("--force", is_flag=True, help="Replace an existing result (the JSON file, its table and plots).")
def discover(folder, outcome, worst, below, above, policy, contrast, method, out, force) -> None:
    """Scenario discovery on a sweep FOLDER: where do the chosen cases concentrate? (PRIM or CART)

    \b
    Examples:
      sdgsim discover results/baseline-sobol --outcome sdg_index_end --worst 0.2
      sdgsim discover results/pooling --outcome people_gain:EG.ELC.ACCS.ZS --contrast 'pooled-20 - bilateral' --below 0
    """
    try:
        d = sim.discover(folder, outcome, worst=worst, below=below, above=above, policy=policy, method=method,
                         contrast=contrast)
        path = d.save(out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(d.summary() + f"\nResult: {path}")


@click.command()
@click.argument("search_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--evaluations", type=click.IntRange(1, 10_000_000), default=None, help="Policies to evaluate.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="Override the file's seed.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Search folder [default: results/<search name>].")
@click.option("--executor", "-e", type=click.Choice(["serial", "process", "dask"]), default="process",
              show_default=True, help="Where policies are evaluated; dask uses --scheduler or a local cluster of "
                                      "--workers. Results are identical.")
@click.option("--workers", "-w", type=click.IntRange(1, 4096), default=None, help="Worker processes.")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask).")
@click.option("--resume", is_flag=True, help="Continue a stopped search in --out.")
@click.option("--force", is_flag=True, help="Replace an existing search folder.")
@click.option("--dry-run", is_flag=True, help="Validate, print the number of evaluations and runs and a time and "
                                              "disk estimate (from a few timing runs); write nothing.")
def optimize(search_file, evaluations, seed, out, executor, workers, scheduler, resume, force, dry_run) -> None:
    """Robust policy search (NSGA-II) over SEARCH_FILE's levers and futures: pareto.csv, report.html.

    \b
    Example:
      sdgsim optimize scenarios/searches/pia-levers.yaml --dry-run
      sdgsim optimize scenarios/searches/pia-levers.yaml --out results/pia-levers
      sdgsim optimize big.yaml --executor dask --scheduler tcp://head-node:8786 --out /shared/big

    Worker processes are capped at the population and the machine's cores.
    """
    from simulation.api.search import load_search
    from simulation.errors import SearchInterrupted

    try:
        scheduler_needs_dask(scheduler, executor)
        if executor == "dask" and not dry_run:
            require("dask")
        sw = load_search(search_file)
        out = out or Path("results") / sw.name
        if dry_run:
            from ..experiments.search.estimate import estimate_search, estimate_text

            est = estimate_search(sw, evaluations, 1 if executor == "serial" else workers)
            click.echo(f"{sw.name}: {len(sw.levers)} levers, {len(sw.objectives)} objectives, "
                       f"{sw.spec.futures.count} futures\n{estimate_text(est)}\n  output:      {out}/")
            return
        s = sim.optimize(sw, out, evaluations=evaluations, seed=seed, executor=executor, workers=workers,
                         scheduler=scheduler, resume=resume, force=force,
                         progress=lambda g, n: click.echo(f"generation {g}/{n}", err=True), command=sys.argv)
    except InputError as err:
        _fail(err)
    except SearchInterrupted as stop:
        click.echo(f"\nInterrupted after {stop.generations} generations; resume with:\n"
                   f"  sdgsim optimize {search_file} --resume --out {out}", err=True)
        sys.exit(130)
    click.echo(s.summary() + f"\nResults: {out}/  (pareto.csv, convergence.csv, report.html)")
