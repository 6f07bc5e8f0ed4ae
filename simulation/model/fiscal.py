"""The governments' budgets: fiscal space, the loans they repay, debt relief and swaps
(docs/model.md "Fiscal space, loans and debt"; the arithmetic is in mechanisms/fiscal.py).

    domestic     this year's domestic spending on the goals: from fiscal space (revenue less debt
                 service) for countries with a `fiscal:` block, a share of GDP for the others; plus
                 what a debt-for-SDG swap commits to its goals
    lend         a funder's loans: split from its grant money, their service scheduled, their DAC
                 grant equivalent recorded

History `fiscal` (T, S, C, 5) holds per year and country: debt service paid to creditors, fiscal
space, debt service cancelled by levers, loans disbursed and the grant equivalent of all external
public money (NaN where a country has no fiscal block, for the first three). Shapes: S replications,
C countries, G goals, F funders of one kind; money in US$ a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..mechanisms import dynamics
from ..mechanisms import fiscal as fs
from ..mechanisms.allocation import sum_goals
from .ledger import NO_GOAL

if TYPE_CHECKING:
    from .funding import Funders
    from .model import FinancingModel

FIELDS = ("debt_service", "fiscal_space", "debt_relief", "loans", "grant_equivalent")
"""The parts of history["fiscal"], in order (results: fiscal.parquet's columns, with _usd)."""


def domestic(m: FinancingModel, t: int, gdp: np.ndarray) -> np.ndarray:
    """(1|S, C, G) domestic spending on the goals in year t, US$; records debt service, fiscal
    space and relief, and books loan repayments due this year."""
    c, f = m.p.countries, m.p.fiscal
    share = dynamics.domestic_spending(gdp, c.domestic_share, c.priority)
    loans = repay(m, t)  # (S, C) or 0
    if not f.has.any():
        return share
    cancelled, committed, cost, paid = fs.lever_split(f.scheduled[t], f.relief[t], f.swap[t], f.commitment[t],
                                                      f.swap_cost[t])
    service = paid + loans  # to creditors
    space = fs.revenue(f.revenue0, gdp / c.gdp0, f.buoyancy) - service - committed
    own = fs.domestic_from_space(space, f.path_share * gdp, f.average, f.marginal)
    ring_fenced = (committed - cost)[..., None] * f.swap_goals[t]
    spend = np.where(f.has[:, None], own[..., None] * c.priority, share) + ring_fenced
    m.ledger.book(t, sources=cost.sum(axis=-1), overhead=cost.sum(axis=-1))  # the swap's cost: lost on the way
    h = m.history["fiscal"][t]
    h[..., 0], h[..., 1], h[..., 2] = (np.where(f.has, x, np.nan) for x in (service, space, cancelled))
    return spend


def repay(m: FinancingModel, t: int) -> np.ndarray | float:
    """The loans' principal and interest due in year t (S, C), booked in the loan account and as
    flows from each country to its lenders; 0 when nobody lends."""
    if m.loan_due is None:
        return 0.0
    due = m.loan_due[:, :, t]  # (S, C, 2)
    m.loan_outstanding -= due[..., 0]
    m.ledger.book_loans(t, repaid=due[..., 0].sum(axis=1), interest=due[..., 1].sum(axis=1))
    m.ledger.flow("repayment", due.sum(axis=-1), "repayment", m.p.countries.ids, "lenders", NO_GOAL)
    return due.sum(axis=-1)


def lend(m: FinancingModel, t: int, who: Funders, grant: np.ndarray, face: np.ndarray) -> np.ndarray | None:
    """Split `who`'s loan share off its grant money (S, F, C, G), in place; schedule the loans'
    service and record their disbursement and the DAC grant equivalent of all its money (`face`
    (S, F, C): grants, blended and capacity money at face value; loans at their grant element).
    Returns the loans, or None when the scenario has no loans (the grant equivalent is then the
    face value)."""
    f = m.p.fiscal
    share, unit, ge = (f.donor_loan, f.donor_unit, f.donor_ge) if who.key == "donor" else \
        (f.facility_loan, f.facility_unit, f.facility_ge)
    h = m.history["fiscal"][t]
    if not f.lends:
        h[..., 4] += face.sum(axis=1)
        return None
    loan = grant * share[..., None, None]
    grant -= loan
    principal = sum_goals(loan)  # (S, F, C)
    fs.schedule_service(m.loan_due, t, principal, unit)
    m.loan_outstanding += principal.sum(axis=1)
    m.ledger.book_loans(t, lent=principal.sum(axis=(1, 2)))
    h[..., 3] += principal.sum(axis=1)
    h[..., 4] += (face - principal + principal * ge).sum(axis=1)
    return loan
