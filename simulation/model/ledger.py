"""The ledger: every flow of money (source → recipient → goal → instrument) and the balance.

Flows are kept as dense per-year arrays with labelled axes (cheap to write from the
vectorised model) and turned into a tidy table only when asked. The balance keeps, per
replication and year, the accounts that must reconcile:

    sources = spent + leaked + overhead + unspent        (to 1e-9 relative)

sources: donor, domestic, research and partnership budgets and mobilised private money;
(loans are booked apart: lent = repaid + outstanding, `loan_imbalance`)
spent: money that reached a goal, capacity building or a research stage;
leaked: lost to governance; overhead: channel costs; unspent: money nobody could use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ACCOUNTS = ("sources", "spent", "leaked", "overhead", "unspent")
LOAN_ACCOUNTS = ("lent", "repaid", "interest")
"""Loans: principal disbursed, principal repaid and interest paid (repayments leave the countries'
budgets for their lenders; they are not SDG money, so they stay out of ACCOUNTS)."""
NO_GOAL = "-"
"""The goal of money not aimed at a goal, and of an outcome without a goal dimension (outcomes.registry)."""
FLOW_MODES = ("full", "yearly", "none")
"""How much flow detail is kept: `full` every (run, year, source, recipient, goal,
instrument) amount; `yearly` each (year, source, recipient, goal, instrument) amount summed
over the replications (column `runs` says over how many); `none` nothing."""
LABELS = ("source", "recipient", "goal", "instrument")
FULL_COLUMNS = ("run", "year", *LABELS, "amount_usd")
YEARLY_COLUMNS = ("year", *LABELS, "amount_usd", "runs")
_FULL_DTYPES = {"run": np.int32, "year": np.int16, "amount_usd": np.float64}


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
    """One kind of flow over labelled axes (source, recipient, goal): every replication's
    amounts per year `full` ((S, T, cells), the axes flattened in C order; flows "full") or
    their sums over replications `total` ((T, *axes); flows "yearly")."""

    instrument: str
    sources: list[str] | str
    recipients: list[str] | str
    goals: list[str] | str
    full: np.ndarray | None = None  # (S, T, cells)
    total: np.ndarray | None = None  # (T, *axes) summed over replications
    calls: int = 0

    def labels(self) -> dict[str, list[str] | str]:
        return dict(zip(LABELS, (self.sources, self.recipients, self.goals, self.instrument)))


@dataclass
class FullFlows:
    """A batch's every non-zero flow (flows "full"), kept as the ledger's dense per-block
    arrays and turned into rows run by run when asked, so a batch's rows never all exist at
    once (27 bytes a row against 8 a cell: a replication of the large synthetic scenario is
    2 million rows, 54 MB).

    Rows (FULL_COLUMNS) come by run, then year, then block (in the order the model first
    recorded them) and the block's axes (C order); the four labels are integer codes into
    `categories` (int8 up to 127 labels), run int32, year int16, amount_usd float64.
    """

    amounts: list[np.ndarray]  # per block (S, T, cells)
    codes: dict[str, np.ndarray]  # per label: the code of every cell, blocks one after another
    categories: dict[str, list[str]]
    run_ids: np.ndarray  # (S,)
    years: np.ndarray  # (T,) int16

    def rows(self, i: int) -> dict[str, np.ndarray]:
        """Replication i's rows (i counts from 0 in this batch): the run's years of all blocks
        side by side as one (T, cells) array, its positive entries found once, their year and
        labels gathered from the per-cell codes; nothing sorted."""
        T = len(self.years)
        if not self.amounts:
            return {name: np.zeros(0, _FULL_DTYPES.get(name, np.int8)) for name in FULL_COLUMNS}
        year_rows = (self.amounts[0][i, :T] if len(self.amounts) == 1
                     else np.concatenate([a[i, :T] for a in self.amounts], axis=1))
        positive = year_rows > 0
        per_year = np.count_nonzero(positive, axis=1)
        where = np.flatnonzero(positive)
        out = {"run": np.full(len(where), self.run_ids[i], dtype=np.int32),
               "year": np.repeat(self.years, per_year), "amount_usd": year_rows.ravel()[where]}
        where -= np.repeat(np.arange(T, dtype=np.int64) * year_rows.shape[1], per_year)  # each row's cell
        for name in LABELS:
            out[name] = self.codes[name][where]
        return {name: out[name] for name in FULL_COLUMNS}

    def chunks(self, rows: int = 2**20):
        """Consecutive replications' rows, as column dicts of about `rows` rows or more (a
        replication is never split)."""
        parts: list[dict[str, np.ndarray]] = []
        n = 0
        for i in range(len(self.run_ids)):
            part = self.rows(i)
            parts.append(part)
            n += len(part["amount_usd"])
            if n >= rows:
                yield _join(parts)
                parts, n = [], 0
        if n:
            yield _join(parts)

    @staticmethod
    def frame_of(parts: list[FullFlows]) -> pd.DataFrame:
        """The batches' rows, one after the other, as one DataFrame (labels categoricals).
        Each column is allocated once and filled run by run."""
        total = sum(int(np.count_nonzero(a[:, :len(p.years)] > 0)) for p in parts for a in p.amounts)
        out = {name: np.empty(total, parts[0].codes[name].dtype if name in LABELS else _FULL_DTYPES[name])
               for name in FULL_COLUMNS}
        at = 0
        for p in parts:
            for i in range(len(p.run_ids)):
                rows = p.rows(i)
                n = len(rows["amount_usd"])
                for name, col in rows.items():
                    out[name][at:at + n] = col
                at += n
        cols = {name: (pd.Categorical.from_codes(col, categories=pd.Index(parts[0].categories[name], dtype="str"),
                                                 validate=False) if name in LABELS else col)
                for name, col in out.items()}
        return pd.DataFrame(cols, copy=False)


def _join(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class Ledger:
    """Collects flows and balances of a batch of S replications over T years.

    `record_flows`: a flow detail from FLOW_MODES (True = "full", False = "none").
    """

    def __init__(self, replications: int, years: int, record_flows: bool | str = True):
        self.flows = flow_mode(record_flows)
        self.record_flows = self.flows != "none"
        self.years = years
        self.balance = np.zeros((years, replications, len(ACCOUNTS)))
        self.loans = np.zeros((years, replications, len(LOAN_ACCOUNTS)))  # loans lent and repaid
        self.blocks: dict[str, FlowBlock] = {}

    def book(self, t: int, **accounts: np.ndarray) -> None:
        """Add (S,) amounts to accounts of year t (keys from ACCOUNTS)."""
        for name, amount in accounts.items():
            self.balance[t, :, ACCOUNTS.index(name)] += amount

    def book_loans(self, t: int, **accounts: np.ndarray) -> None:
        """Add (S,) amounts to the loan accounts of year t (keys from LOAN_ACCOUNTS)."""
        for name, amount in accounts.items():
            self.loans[t, :, LOAN_ACCOUNTS.index(name)] += amount

    def loan_imbalance(self, outstanding: np.ndarray) -> np.ndarray:
        """(S,) relative gap between what was lent less the principal repaid and the principal
        still `outstanding` (S,): |lent − repaid − outstanding| / max(lent, 1)."""
        lent, repaid = self.loans[..., 0].sum(axis=0), self.loans[..., 1].sum(axis=0)
        return np.abs(lent - repaid - outstanding) / np.maximum(lent, 1.0)

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
            amount = np.asarray(amount)
            if block.full is None:
                block.full = np.zeros((amount.shape[0], self.years, math.prod(amount.shape[1:])))
            block.full[:, block.calls] = amount.reshape(amount.shape[0], -1)
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

    def full_flows(self, run_ids: np.ndarray, year_labels: list[int]) -> FullFlows:
        """The flows of a "full" ledger for replications `run_ids`, years `year_labels`."""
        blocks = [b for b in self.blocks.values() if b.full is not None]
        vocab = _vocabulary(self.blocks)
        return FullFlows([b.full for b in blocks], _cell_codes(blocks, vocab),
                         {name: list(v) for name, v in vocab.items()}, np.asarray(run_ids),
                         np.asarray(year_labels, dtype=np.int16))

    def flows_frame(self, run_ids: np.ndarray, year_labels: list[int]) -> pd.DataFrame:
        """Tidy non-zero flows of a "full" ledger, rows by run and year:
        run, year, source, recipient, goal, instrument, amount_usd."""
        return FullFlows.frame_of([self.full_flows(run_ids, year_labels)])


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


def _codes_dtype(n: int) -> type:
    """The smallest signed integer type for codes 0..n-1 (what pandas' categoricals use)."""
    return np.int8 if n <= 127 else np.int16 if n <= 32767 else np.int32


def _cell_codes(blocks: list[FlowBlock], vocab: dict[str, dict[str, int]]) -> dict[str, np.ndarray]:
    """Per label, the code of every cell of the blocks' flattened axes, blocks one after the other."""
    out: dict[str, list[np.ndarray]] = {name: [] for name in LABELS}
    for block in blocks:
        labels = block.labels()
        axes = [len(lab) for lab in labels.values() if isinstance(lab, list)]
        grid = np.unravel_index(np.arange(math.prod(axes)), axes) if axes else ()
        k = 0
        for name, lab in labels.items():
            dtype = _codes_dtype(len(vocab[name]))
            if isinstance(lab, list):
                lookup = np.array([vocab[name][x] for x in lab], dtype=dtype)
                out[name].append(lookup[grid[k]])
                k += 1
            else:
                out[name].append(np.full(math.prod(axes), vocab[name][lab], dtype=dtype))
    return {name: np.concatenate(parts) if parts else np.zeros(0, np.int8) for name, parts in out.items()}


def flows_table(blocks: dict[str, FlowBlock], year_labels: list[int], runs: int = 0) -> pd.DataFrame:
    """Yearly flows (the blocks' `total`s: sums over `runs` replications) as a compact tidy
    table, YEARLY_COLUMNS, non-zero rows by year, then block and axes: source, recipient,
    goal and instrument are categoricals, year int16 and runs int32."""
    vocab = _vocabulary(blocks)
    cols: dict[str, list[np.ndarray]] = {name: [] for name in YEARLY_COLUMNS[:-1]}
    years = np.asarray(year_labels, dtype=np.int16)
    for block in blocks.values():
        if block.total is None:
            continue
        codes = _cell_codes([block], vocab)
        total = block.total.reshape(len(block.total), -1)  # (T, cells), axes flattened as for full flows
        year, cell = np.nonzero(total > 0)
        cols["year"].append(years[year])
        for name in LABELS:
            cols[name].append(codes[name][cell])
        cols["amount_usd"].append(total[year, cell])
    out = {name: np.concatenate(parts) if parts else np.zeros(0, _FULL_DTYPES.get(name, np.int32))
           for name, parts in cols.items()}
    for name in LABELS:
        out[name] = pd.Categorical.from_codes(out[name], categories=pd.Index(list(vocab[name]), dtype="str"))
    frame = pd.DataFrame(out).sort_values("year", kind="stable", ignore_index=True)
    frame["runs"] = np.full(len(frame), runs, dtype=np.int32)
    return frame
