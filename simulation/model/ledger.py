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


@dataclass
class FlowBlock:
    """One kind of flow: amounts (T, S, *axes) over labelled axes (source, recipient, goal)."""

    instrument: str
    sources: list[str] | str
    recipients: list[str] | str
    goals: list[str] | str
    years: list[np.ndarray] = field(default_factory=list)  # each (S, *axes)


class Ledger:
    """Collects flows and balances of a batch of S replications over T years."""

    def __init__(self, replications: int, years: int, record_flows: bool = True):
        self.record_flows = record_flows
        self.balance = np.zeros((years, replications, len(ACCOUNTS)))
        self.blocks: dict[str, FlowBlock] = {}

    def book(self, t: int, **accounts: np.ndarray) -> None:
        """Add (S,) amounts to accounts of year t (keys from ACCOUNTS)."""
        for name, amount in accounts.items():
            self.balance[t, :, ACCOUNTS.index(name)] += amount

    def flow(self, key: str, amount: np.ndarray, instrument: str, sources, recipients, goals) -> None:
        """Record one year's flows of one kind. amount is (S, *axes); axes follow the label lists
        given (a plain string label means that axis is absent)."""
        if not self.record_flows:
            return
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = FlowBlock(instrument, sources, recipients, goals)
        block.years.append(np.array(amount, dtype=float, copy=True))

    def imbalance(self) -> np.ndarray:
        """(T, S) relative imbalance |sources − uses| / max(sources, 1)."""
        b = self.balance
        uses = b[..., 1:].sum(axis=-1)
        return np.abs(b[..., 0] - uses) / np.maximum(b[..., 0], 1.0)

    def flows_frame(self, run_ids: np.ndarray, year_labels: list[int]) -> pd.DataFrame:
        """Tidy non-zero flows: run, year, source, recipient, goal, instrument, amount_usd.

        Rows come block by block, then year, run and the block's axes in order. Labels are
        gathered as integer codes and turned into text columns once at the end.
        """
        names = ("source", "recipient", "goal", "instrument")
        vocab: dict[str, dict[str, int]] = {name: {} for name in names}
        cols: dict[str, list[np.ndarray]] = {name: [] for name in ("run", "year", *names, "amount_usd")}
        years = np.asarray(year_labels)
        for block in self.blocks.values():
            labels = dict(zip(names, (block.sources, block.recipients, block.goals, block.instrument)))
            lookup = {name: np.array([vocab[name].setdefault(x, len(vocab[name])) for x in lab], dtype=np.int64)
                      for name, lab in labels.items() if isinstance(lab, list)}
            for t, amount in enumerate(block.years):
                idx = np.nonzero(amount > 0)  # (run, *axes)
                n = len(idx[0])
                cols["run"].append(run_ids[idx[0]])
                cols["year"].append(np.full(n, years[t]))
                k = 1
                for name, lab in labels.items():
                    if isinstance(lab, list):
                        cols[name].append(lookup[name][idx[k]])
                        k += 1
                    else:
                        cols[name].append(np.full(n, vocab[name].setdefault(lab, len(vocab[name]))))
                cols["amount_usd"].append(amount[idx])
        if not cols["run"]:
            return pd.DataFrame(columns=["run", "year", "source", "recipient", "goal", "instrument", "amount_usd"])
        out = {name: np.concatenate(parts) for name, parts in cols.items()}
        for name in names:
            out[name] = pd.Index(list(vocab[name]), dtype="str").take(out[name])
        return pd.DataFrame(out)
