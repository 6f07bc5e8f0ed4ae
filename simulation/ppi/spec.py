"""Checked, normalised inputs of a PPI model (the arguments of PPI 3.0.7's `run_ppi`).

`prepare(...)` takes the same arguments with the same meanings as PPI's `run_ppi`,
checks them (a `PPIInputError` that says which argument is wrong and what is allowed,
instead of PPI's bare assertions), copies them (PPI mutates `R`, `Bs` and
`success_rates`; we never touch the caller's arrays) and returns a frozen `PPISpec`
that the engine and the calibration share.

Notation (PPI's): N indicators, n of them instrumental (R == 1), K expenditure
programmes (rows of Bs), T periods (columns of Bs).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

COMPAT_MODES = ("3.0.7", "fixed")
Compat = Literal["3.0.7", "fixed"]
BUDGET_FLOOR = 10e-12
"""PPI replaces zero budgets and zero initial allocations by 10e-12 (= 1e-11)."""
DEFAULT_T = 50
DEFAULT_BUDGET = 100.0


class PPIInputError(ValueError):
    """Inconsistent or invalid PPI inputs; the message names the argument."""


@dataclass(frozen=True)
class Governance:
    """Quality of monitoring (qm) or of the rule of law (rl).

    kind "exogenous": `values` (n,) one value per instrumental indicator, constant.
    kind "endogenous": `index` is the indicator whose current level is the quality
    (PPI clamps that indicator to [0, 1] after each update).
    """

    kind: Literal["exogenous", "endogenous"]
    values: np.ndarray | None = None
    index: int | None = None


@dataclass(frozen=True, eq=False)
class PPISpec:
    """Everything a PPI simulation needs, checked and copied (arrays are read-only).

    Attributes:
        I0, alphas, alphas_prime, betas: (N,)
        A: (N, N) spillover network with zero diagonal, or None when it has no edge
        R: (N,) bool, instrumental indicators; inst: (n,) their indices
        bs: (n,) budget modulating exponents
        qm, rl: Governance
        Imax, Imin: (N,) with NaN where unbounded, or None
        Bs: (K, T) budgets by programme and period, as given (non-negative)
        Bs_floor: (K, T) Bs with zeros replaced by 1e-11, used from period 0 on
        prog_members: K arrays of positions (0..n-1) of the instrumental indicators
            each programme funds, in PPI's order (B_dict key order)
        P_init: (n,) the initial allocation when it is deterministic (G given), else None
        G: (N,) goals or None; frontier: (N,) or None
        T, compat
    """

    I0: np.ndarray
    alphas: np.ndarray
    alphas_prime: np.ndarray
    betas: np.ndarray
    A: np.ndarray | None
    R: np.ndarray
    inst: np.ndarray
    bs: np.ndarray
    qm: Governance
    rl: Governance
    Imax: np.ndarray | None
    Imin: np.ndarray | None
    Bs: np.ndarray
    Bs_floor: np.ndarray
    prog_members: tuple[np.ndarray, ...]
    P_init: np.ndarray | None
    G: np.ndarray | None
    frontier: np.ndarray | None
    T: int
    compat: str

    @property
    def N(self) -> int:
        return self.I0.shape[0]

    @property
    def n(self) -> int:
        return self.inst.shape[0]

    @property
    def K(self) -> int:
        return self.Bs.shape[0]

    def with_params(self, alphas: np.ndarray, alphas_prime: np.ndarray, betas: np.ndarray) -> "PPISpec":
        """The same model with other α, α', β (used by the calibration)."""
        vals = {k: getattr(self, k) for k in self.__dataclass_fields__}
        vals.update(alphas=_frozen(alphas), alphas_prime=_frozen(alphas_prime), betas=_frozen(betas))
        return PPISpec(**vals)


def _frozen(x: np.ndarray) -> np.ndarray:
    x = np.array(x, dtype=float, copy=True)
    x.setflags(write=False)
    return x


def _vector(name: str, x: Any, size: int | None, *, allow_nan: bool = False, what: str = "I0") -> np.ndarray:
    try:
        v = np.array(x, dtype=float, copy=True)
    except (TypeError, ValueError):
        raise PPIInputError(f"{name} must be a vector of numbers") from None
    if v.ndim != 1:
        raise PPIInputError(f"{name} must be a 1-D vector, got an array of shape {v.shape}")
    if size is not None and v.shape[0] != size:
        raise PPIInputError(f"{name} has {v.shape[0]} entries; it must have the same size as {what} ({size})")
    if np.isinf(v).any():
        raise PPIInputError(f"{name} contains infinite values")
    if not allow_nan and np.isnan(v).any():
        raise PPIInputError(f"{name} should not contain missing values (NaN at positions "
                            f"{np.flatnonzero(np.isnan(v))[:5].tolist()})")
    return v


def _is_index(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _governance(name: str, x: Any, N: int, R: np.ndarray) -> Governance:
    n = int(R.sum())
    if x is None:
        return Governance("exogenous", _frozen(np.full(n, 0.5)))
    if _is_index(x):
        # PPI: an integer (int or numpy.int64) is the index of the indicator that measures it.
        i = int(x)
        if not 0 <= i < N:
            raise PPIInputError(f"{name}={i} is read as the index of the indicator that measures it "
                                f"(an integer); it must be in 0..{N - 1} (use a float such as {i}.0 for a "
                                "constant quality)")
        return Governance("endogenous", index=i)
    if np.ndim(x) == 0:
        try:
            v = float(x)
        except (TypeError, ValueError):
            raise PPIInputError(f"{name} must be a number, an indicator index or a vector") from None
        if not math.isfinite(v):
            raise PPIInputError(f"{name} must be finite")
        return Governance("exogenous", _frozen(np.full(n, v)))
    v = _vector(name, x, None, allow_nan=True)
    if v.shape[0] == N:
        v = v[R]
    elif v.shape[0] != n:
        raise PPIInputError(f"{name} has {v.shape[0]} entries; a vector {name} needs one entry per indicator "
                            f"({N}) or per instrumental indicator ({n})")
    if np.isnan(v).any():
        raise PPIInputError(f"{name} should not contain missing values for instrumental indicators")
    return Governance("exogenous", _frozen(v))


def _programmes(B_dict: Any, R: np.ndarray, K: int) -> tuple[np.ndarray, ...]:
    """Positions (among instrumental indicators) funded by each programme row of Bs."""
    N = R.shape[0]
    inst = np.flatnonzero(R)
    pos = {int(i): p for p, i in enumerate(inst)}
    if B_dict is None:
        # PPI: every instrumental indicator is funded by every programme.
        return tuple(np.arange(len(inst)) for _ in range(K))
    if not isinstance(B_dict, dict):
        raise PPIInputError("B_dict must be a dictionary {indicator index: [programme indices]}")
    members: list[list[int]] = [[] for _ in range(K)]
    for key, progs in B_dict.items():
        if not _is_index(key) or not 0 <= int(key) < N:
            raise PPIInputError(f"B_dict key {key!r} must be an indicator index in 0..{N - 1}")
        if int(key) not in pos:
            raise PPIInputError(f"B_dict key {key} is a collateral indicator (R[{key}] is not 1); "
                                "keys must be exactly the instrumental indicators")
        if isinstance(progs, (str, bytes)) or not hasattr(progs, "__iter__"):
            raise PPIInputError(f"B_dict[{key}] must be a list of programme indices")
        progs = list(progs)
        if not progs:
            raise PPIInputError(f"B_dict[{key}] is empty; every instrumental indicator needs at least one "
                                "programme")
        if len(set(int(p) if _is_index(p) else -1 for p in progs)) != len(progs):
            raise PPIInputError(f"B_dict[{key}] lists a programme twice: {progs}")
        for p in progs:
            if not _is_index(p) or not 0 <= int(p) < K:
                raise PPIInputError(f"B_dict[{key}] names programme {p!r}; programme indices are the rows of "
                                    f"Bs, 0..{K - 1} (Bs has {K} row{'s' if K != 1 else ''})")
            members[int(p)].append(pos[int(key)])
    missing = [int(i) for i in inst if int(i) not in {int(k) for k in B_dict}]
    if missing:
        raise PPIInputError(f"B_dict has no entry for instrumental indicator(s) {missing[:10]}; every "
                            "indicator with R == 1 must be a key")
    unused = [k for k in range(K) if not members[k]]
    if unused:
        raise PPIInputError(f"programme row(s) {unused[:10]} of Bs fund no indicator in B_dict; the number of "
                            f"programmes named in B_dict must equal the number of rows of Bs ({K})")
    return tuple(np.array(m, dtype=np.intp) for m in members)


def initial_allocation(p0: np.ndarray, Bs0: np.ndarray, members: tuple[np.ndarray, ...]) -> np.ndarray:
    """PPI's first allocation P0: each programme's budget split in proportion to p0.

    p0: (..., n) propensities; Bs0: (K,) first-period budgets → (..., n), the total
    rescaled to Bs0.sum() and zero entries replaced by 1e-11 (as PPI does).
    """
    P0 = np.zeros(p0.shape)
    for k, idx in enumerate(members):
        w = np.take(p0, idx, axis=-1)  # C order: row sums then do not depend on the number of rows
        P0[..., idx] += Bs0[k] * w / w.sum(axis=-1, keepdims=True)
    P0 = Bs0.sum() * P0 / P0.sum(axis=-1, keepdims=True)
    P0[P0 == 0] = BUDGET_FLOOR
    return P0


def prepare(I0, alphas, alphas_prime, betas, A=None, R=None, bs=None, qm=None, rl=None, Imax=None, Imin=None,
            Bs=None, B_dict=None, G=None, T=None, frontier=None, *, compat: str = "3.0.7") -> PPISpec:
    """Check and normalise PPI's `run_ppi` arguments (see `simulation.ppi.run_ppi`)."""
    if compat not in COMPAT_MODES:
        raise PPIInputError(f"compat must be one of {COMPAT_MODES}, got {compat!r}")
    I0 = _vector("I0", I0, None)
    N = I0.shape[0]
    if N == 0:
        raise PPIInputError("I0 is empty; PPI needs at least one indicator")
    alphas = _vector("alphas", alphas, N)
    alphas_prime = _vector("alphas_prime", alphas_prime, N)
    betas = _vector("betas", betas, N)
    for name, v in (("alphas", alphas), ("alphas_prime", alphas_prime), ("betas", betas)):
        if (v < 0).any():
            raise PPIInputError(f"{name} must be non-negative (negative at {np.flatnonzero(v < 0)[:5].tolist()})")

    if A is None:
        A_ = None
    else:
        try:
            A_ = np.array(A, dtype=float, copy=True)
        except (TypeError, ValueError):
            raise PPIInputError("A must be an N x N matrix of numbers") from None
        if A_.shape != (N, N):
            raise PPIInputError(f"A has shape {A_.shape}; it should have as many rows and columns as the number "
                                f"of indicators ({N} x {N})")
        if not np.isfinite(A_).all():
            raise PPIInputError("A should not contain missing or infinite values")
        np.fill_diagonal(A_, 0.0)  # PPI: no self-loops
        if not A_.any():
            A_ = None

    if R is None:
        R_ = np.ones(N, dtype=bool)
    else:
        Rv = _vector("R", R, N)
        R_ = Rv == 1  # PPI: R[R != 1] = 0
        if not R_.any():
            raise PPIInputError("PPI needs at least one instrumental indicator; make sure that at least one "
                                "entry in R is 1")
    inst = np.flatnonzero(R_)
    n = inst.shape[0]

    bs_ = np.ones(n) if bs is None else _vector("bs", bs, n, what="the number of instrumental indicators (ones in R)")
    qm_ = _governance("qm", qm, N, R_)
    rl_ = _governance("rl", rl, N, R_)

    Imax_ = None if Imax is None else _vector("Imax", Imax, N, allow_nan=True)
    if Imax_ is not None:
        bad = np.flatnonzero(~np.isnan(Imax_) & (Imax_ < I0))
        if bad.size:
            raise PPIInputError(f"All entries in Imax should be greater than their corresponding value in I0 "
                                f"(not at {bad[:5].tolist()})")
        if np.isnan(Imax_).all():
            Imax_ = None
    Imin_ = None if Imin is None else _vector("Imin", Imin, N, allow_nan=True)
    if Imin_ is not None:
        bad = np.flatnonzero(~np.isnan(Imin_) & (Imin_ > I0))
        if bad.size:
            raise PPIInputError(f"All entries in Imin should be lower than their corresponding value in I0 "
                                f"(not at {bad[:5].tolist()})")
        if np.isnan(Imin_).all():
            Imin_ = None

    if T is not None:
        if not _is_index(T) and not (isinstance(T, float) and T.is_integer()):
            raise PPIInputError(f"T must be a whole number of periods, got {T!r}")
        T = int(T)
        if T < 1:
            raise PPIInputError(f"T must be at least 1, got {T}")
    if Bs is None:
        T_ = DEFAULT_T if T is None else T
        Bs_ = np.full((1, T_), DEFAULT_BUDGET)
    else:
        try:
            Bs_ = np.array(Bs, dtype=float, copy=True)
        except (TypeError, ValueError):
            raise PPIInputError("Bs must be a numpy vector or a matrix of numbers") from None
        if Bs_.ndim == 1:
            Bs_ = Bs_[None, :]
        if Bs_.ndim != 2 or Bs_.shape[0] == 0 or Bs_.shape[1] == 0:
            raise PPIInputError(f"Bs must be a non-empty vector or a programmes x periods matrix, got shape "
                                f"{np.shape(Bs)}")
        if T is not None and T != Bs_.shape[1]:
            # PPI silently lets the columns of Bs override T; we refuse the contradiction.
            raise PPIInputError(f"T={T} but Bs has {Bs_.shape[1]} columns (periods); give T equal to the "
                                "number of columns of Bs, or leave T out")
        if np.isnan(Bs_).any():
            raise PPIInputError("Bs should not contain missing values")
        if not np.isfinite(Bs_).all() or (Bs_ < 0).any():
            raise PPIInputError("Bs must contain finite, non-negative budgets")
        T_ = Bs_.shape[1]
        if Bs_[:, 0].sum() <= 0:
            raise PPIInputError("the first-period budget (first column of Bs) is zero in every programme; PPI "
                                "allocates it and would divide by zero")
    K = Bs_.shape[0]
    members = _programmes(B_dict, R_, K)
    Bs_floor = np.where(Bs_ == 0, BUDGET_FLOOR, Bs_)

    G_ = None if G is None else _vector("G", G, N)
    P_init = None
    if G_ is not None:
        gaps = G_ - I0
        gaps[G_ < I0] = 0.0
        if gaps.sum() <= 0:
            raise PPIInputError("G is not above I0 for any indicator, so there is no gap to allocate by "
                                "(PPI divides by zero here); leave G out for a random initial allocation")
        p0 = gaps / gaps.sum()
        # PPI 3.0.7 indexes the N gaps with positions of the instrumental indicators (0..n-1), i.e. it
        # uses the gaps of the first n indicators; "fixed" uses the instrumental indicators' own gaps.
        p0 = p0[:n] if compat == "3.0.7" else p0[inst]
        for k, idx in enumerate(members):
            if p0[idx].sum() <= 0:
                if compat == "3.0.7":
                    what = f"the first {n} indicators" if n < N else "its indicators"
                    raise PPIInputError(f"programme {k}: the goals G leave no positive gap among the indicators it "
                                        f"funds (PPI 3.0.7 reads the gaps of {what}); PPI would divide "
                                        "by zero. Use compat='fixed' or leave G out")
                p0 = p0.copy()
                p0[idx] = 1.0  # fixed: nothing to close, split the programme's budget equally
        P_init = initial_allocation(p0, Bs_[:, 0], members)

    fr = None if frontier is None else _vector("frontier", frontier, N, allow_nan=True)
    if fr is not None and ((fr[~np.isnan(fr)] < 0) | (fr[~np.isnan(fr)] > 1)).any():
        raise PPIInputError("frontier entries must be probabilities in [0, 1] (or NaN for endogenous)")

    def ro(x):
        if x is not None:
            x.setflags(write=False)
        return x

    for m in members:
        ro(m)
    return PPISpec(I0=ro(I0), alphas=ro(alphas), alphas_prime=ro(alphas_prime), betas=ro(betas), A=ro(A_),
                   R=ro(R_), inst=ro(inst), bs=ro(bs_), qm=qm_, rl=rl_, Imax=ro(Imax_), Imin=ro(Imin_),
                   Bs=ro(Bs_), Bs_floor=ro(Bs_floor), prog_members=members, P_init=ro(P_init), G=ro(G_),
                   frontier=ro(fr), T=T_, compat=compat)
