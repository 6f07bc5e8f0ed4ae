"""The ledger: every flow of money (source → recipient → goal → instrument) and the balance.

Flows are kept as dense per-year arrays with labelled axes (cheap to write from the
vectorised model) and turned into a tidy table only when asked. The balance keeps, per
replication and year, the accounts that must reconcile:

    sources = spent + leaked + overhead + unspent        (to 1e-9 relative)

sources: donor, domestic, research and partnership budgets and mobilised private money;
spent: money that reached a goal, capacity building or a research stage;
leaked: lost to governance; overhead: channel costs; unspent: money nobody could use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ACCOUNTS = ("sources", "spent", "leaked", "overhead", "unspent")
NO_GOAL = "-"
FLOW_MODES = ("full", "yearly", "none")
"""How much flow detail is kept: `full` every (run, year, source, recipient, goal,
instrument) amount; `yearly` each (year, source, recipient, goal, instrument) amount summed
over the replications (column `runs` says over how many); `none` nothing."""
LABELS = ("source", "recipient", "goal", "instrument")
FULL_COLUMNS = ("run", "year", *LABELS, "amount_usd")
YEARLY_COLUMNS = ("year", *LABELS, "amount_usd", "runs")


def flow_mode(value) -> str:
    """A flow detail from FLOW_MODES; True means "full" and False or None "none"."""
    if value is True:
        return "full"
    if value is False or value is None:
        return "none"
    if isinstance(value, str) and value in FLOW_MODES:
        return value
    raise ValueError(f"flows: got {value!r} (allowed: {', '.join(FLOW_MODES)}, True, False)")


@dataclass
class FlowBlock:
    """One kind of flow over labelled axes (source, recipient, goal): amounts per year
    `years` (each (S, *axes), flows "full") or their sums over replications `total`
    (T, *axes), flows "yearly"."""

    instrument: str
    sources: list[str] | str
    recipients: list[str] | str
    goals: list[str] | str
    years: list[np.ndarray] = field(default_factory=list)  # each (S, *axes)
    total: np.ndarray | None = None  # (T, *axes) summed over replications
    calls: int = 0

    def labels(self) -> dict[str, list[str] | str]:
        return dict(zip(LABELS, (self.sources, self.recipients, self.goals, self.instrument)))


class Ledger:
    """Collects flows and balances of a batch of S replications over T years.

    `record_flows`: a flow detail from FLOW_MODES (True = "full", False = "none").
    """

    def __init__(self, replications: int, years: int, record_flows: bool | str = True):
        self.flows = flow_mode(record_flows)
        self.record_flows = self.flows != "none"
        self.years = years
        self.balance = np.zeros((years, replications, len(ACCOUNTS)))
        self.blocks: dict[str, FlowBlock] = {}

    def book(self, t: int, **accounts: np.ndarray) -> None:
        """Add (S,) amounts to accounts of year t (keys from ACCOUNTS)."""
        for name, amount in accounts.items():
            self.balance[t, :, ACCOUNTS.index(name)] += amount

    def flow(self, key: str, amount: np.ndarray, instrument: str, sources, recipients, goals) -> None:
        """Record one year's flows of one kind (called once a year per kind, from the first
        year). amount is (S, *axes); axes follow the label lists given (a plain string label
        means that axis is absent)."""
        if self.flows == "none":
            return
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = FlowBlock(instrument, sources, recipients, goals)
        if self.flows == "full":
            block.years.append(np.array(amount, dtype=float, copy=True))
        else:
            if block.total is None:
                block.total = np.zeros((self.years,) + np.shape(amount)[1:])
            np.add(block.total[block.calls], np.sum(amount, axis=0), out=block.total[block.calls])
        block.calls += 1

    def yearly_blocks(self) -> dict[str, FlowBlock]:
        """The yearly sums over this batch's replications (flows "yearly"), labels included."""
        return {k: FlowBlock(b.instrument, b.sources, b.recipients, b.goals, total=b.total)
                for k, b in self.blocks.items() if b.total is not None}

    def imbalance(self) -> np.ndarray:
        """(T, S) relative imbalance |sources − uses| / max(sources, 1)."""
        b = self.balance
        uses = b[..., 1:].sum(axis=-1)
        return np.abs(b[..., 0] - uses) / np.maximum(b[..., 0], 1.0)

    def flows_frame(self, run_ids: np.ndarray, year_labels: list[int]) -> pd.DataFrame:
        """Tidy non-zero flows of a "full" ledger, rows by run and year (stable):
        run, year, source, recipient, goal, instrument, amount_usd."""
        frame = flows_table(self.blocks, year_labels, run_ids=np.asarray(run_ids))
        return frame.sort_values(["run", "year"], kind="stable", ignore_index=True)


def merge_yearly(into: dict[str, FlowBlock] | None, part: dict[str, FlowBlock]) -> dict[str, FlowBlock]:
    """Add a batch's yearly sums to those of earlier batches (in place; `into` may be None)."""
    if into is None:
        return {k: FlowBlock(b.instrument, b.sources, b.recipients, b.goals, total=b.total.copy())
                for k, b in part.items()}
    for k, b in part.items():
        into[k].total += b.total
    return into


def _vocabulary(blocks: dict[str, FlowBlock]) -> dict[str, dict[str, int]]:
    """Label → code for each label column, in the order the blocks name them (the same for
    every batch of a scenario, so batches' categoricals agree)."""
    vocab: dict[str, dict[str, int]] = {name: {} for name in LABELS}
    for block in blocks.values():
        for name, lab in block.labels().items():
            for x in (lab if isinstance(lab, list) else [lab]):
                vocab[name].setdefault(x, len(vocab[name]))
    return vocab


def flows_table(blocks: dict[str, FlowBlock], year_labels: list[int], run_ids: np.ndarray | None = None,
                runs: int = 0) -> pd.DataFrame:
    """Non-zero flows as a compact tidy table: source, recipient, goal and instrument are
    categoricals (integer codes), year int16 and run int32.

    With `run_ids`, the blocks' per-replication `years` (FULL_COLUMNS; rows block by block,
    then year, run and the block's axes); otherwise their `total`s (YEARLY_COLUMNS, rows by
    year, then block and axes; `runs` is the number of replications summed).
    """
    vocab = _vocabulary(blocks)
    full = run_ids is not None
    cols: dict[str, list[np.ndarray]] = {name: [] for name in (FULL_COLUMNS if full else YEARLY_COLUMNS[:-1])}
    years = np.asarray(year_labels, dtype=np.int16)
    for block in blocks.values():
        labels = block.labels()
        lookup = {name: np.array([vocab[name][x] for x in lab], dtype=np.int32)
                  for name, lab in labels.items() if isinstance(lab, list)}
        arrays = block.years if full else ([] if block.total is None else [block.total])
        for t, amount in enumerate(arrays):
            idx = np.nonzero(amount > 0)  # full: (run, *axes); yearly: (year, *axes)
            n = len(idx[0])
            if full:
                cols["run"].append(run_ids[idx[0]].astype(np.int32))
                cols["year"].append(np.full(n, years[t], dtype=np.int16))
            else:
                cols["year"].append(years[idx[0]])
            k = 1
            for name, lab in labels.items():
                if isinstance(lab, list):
                    cols[name].append(lookup[name][idx[k]])
                    k += 1
                else:
                    cols[name].append(np.full(n, vocab[name][lab], dtype=np.int32))
            cols["amount_usd"].append(amount[idx])
    dtypes = {"run": np.int32, "year": np.int16, "amount_usd": np.float64}
    out = {name: np.concatenate(parts) if parts else np.zeros(0, dtypes.get(name, np.int32))
           for name, parts in cols.items()}
    for name in LABELS:
        out[name] = pd.Categorical.from_codes(out[name], categories=pd.Index(list(vocab[name]), dtype="str"))
    frame = pd.DataFrame(out)
    if not full:
        frame = frame.sort_values("year", kind="stable", ignore_index=True)
        frame["runs"] = np.full(len(frame), runs, dtype=np.int32)
    return frame
