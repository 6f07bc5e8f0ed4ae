"""PPI-style input tables (CSV) → model arguments, with `FILE:LINE: column: message` errors.

Tables (header on line 1; blank cells mean "not given"; see docs/ppi.md):

indicators.csv  one row per indicator:
    id (or seriesCode)                   unique name
    I0                                   initial level                       required
    IF                                   final level                         calibrate
    success_rate (or successRates)       share of positive changes, (0, 1]   calibrate
    instrumental                         1 = funded by programmes, 0 = collateral (default 1)
    goal                                 target for the initial allocation (G)
    qm, rl                               monitoring / rule of law per instrumental indicator
    Imax, Imin                           theoretical bounds (blank = none)
    alpha, alpha_prime, beta             parameters (run, unless --params is given)
    bs                                   budget modulating factor (instrumental, default 1)
network.csv     origin, destination, weight: one spillover edge per row (indicator ids)
expenditure.csv program, then one column per period: budget of each programme per period
relations.csv   indicator, program: which programme funds which instrumental indicator
params.csv      id, alpha, alpha_prime, beta (a calibration's parameters.csv)
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem

MAX_BYTES = 50_000_000
# Bounds that make overflow impossible: a file of MAX_BYTES holds fewer than 2.5e7 cells,
# so any sum of budgets stays below 2.5e25 and any spillover sum below 2.5e13 (the
# model's exp(-S) may then round to 0 or inf, but never gives NaN).
MAX_BUDGET = 1e18
MAX_WEIGHT = 1e6
ALIASES = {
    "id": ("id", "seriesCode", "indicator"),
    "I0": ("I0",),
    "IF": ("IF",),
    "success_rate": ("success_rate", "successRates", "success_rates"),
    "instrumental": ("instrumental", "R"),
    "goal": ("goal", "G"),
    "qm": ("qm",),
    "rl": ("rl",),
    "Imax": ("Imax", "max_value"),
    "Imin": ("Imin", "min_value"),
    "alpha": ("alpha", "alphas"),
    "alpha_prime": ("alpha_prime", "alphas_prime"),
    "beta": ("beta", "betas"),
    "bs": ("bs",),
}


@dataclass
class Table:
    """A parsed CSV: header names, rows (dict per row) and the file line of each row."""

    label: str
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    sha256: str

    def column(self, key: str, aliases: tuple[str, ...] | None = None) -> str | None:
        for name in aliases or (key,):
            if name in self.header:
                return name
        return None


@dataclass
class PPIInputs:
    """Everything read from the tables: model arguments and where they came from."""

    ids: list[str]
    kwargs: dict[str, Any]  # run_ppi / calibrate keyword arguments (I0, A, R, Bs, B_dict, ...)
    IF: np.ndarray | None = None
    success_rates: np.ndarray | None = None
    params: dict[str, np.ndarray] | None = None  # alphas, alphas_prime, betas
    programs: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)  # role → {"path", "sha256"}


class _Problems:
    def __init__(self):
        self.items: list[Problem] = []

    def add(self, file: str, line: int, column: str, message: str) -> None:
        self.items.append(Problem(file, line, column, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items[:50])


def _read_regular(path: Path, label: str, role: str) -> bytes:
    """The bytes of `path`: a regular file of at most MAX_BYTES. Opened without blocking and
    checked with fstat first, so a FIFO or a device (/dev/zero, also behind a symlink) is
    refused at once instead of being read forever."""
    def fail(message: str) -> InputError:
        return InputError([Problem(label, 1, "<file>", message)])

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise fail(f"{role} table not found") from None
    except IsADirectoryError:
        raise fail(f"is a directory, expected the {role} table (CSV)") from None
    except OSError as exc:
        raise fail(f"cannot read file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise fail(f"is a directory, expected the {role} table (CSV)")
        if not stat.S_ISREG(st.st_mode):
            raise fail(f"is not a regular file (a device, pipe or socket), expected the {role} table (CSV)")
        if st.st_size > MAX_BYTES:
            raise fail(f"file is {st.st_size} bytes (at most {MAX_BYTES})")
        try:
            raw = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise fail(f"cannot read file ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise fail(f"file is over {MAX_BYTES} bytes (at most {MAX_BYTES})")
    return raw


def read_table(path: str | Path, role: str, required: tuple[str, ...] = ()) -> Table:
    """Read a CSV file with its line numbers; InputError on unreadable files or missing columns."""
    path = Path(path)
    label = str(path)
    raw = _read_regular(path, label, role)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(label, line, "<encoding>", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 "
                                                             "(save the table as UTF-8 CSV)")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError([Problem(label, line, "<file>", "NUL character (is this a binary file, not a CSV?)")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise InputError([Problem(label, 1, "<header>", f"empty file; the {role} table needs a header row")])
        header = [h.strip() for h in header]
        seen: dict[str, int] = {}
        for i, h in enumerate(header):
            if h and h in seen:
                raise InputError([Problem(label, 1, h, f"column '{h}' appears twice (columns {seen[h] + 1} and "
                                                       f"{i + 1})")])
            seen[h] = i
        rows, lines = [], []
        prev = reader.line_num
        for rec in reader:
            line = prev + 1
            prev = reader.line_num
            if not any(c.strip() for c in rec):
                continue  # blank line
            if len(rec) > len(header) and any(c.strip() for c in rec[len(header):]):
                raise InputError([Problem(label, line, "<row>", f"{len(rec)} cells but the header has "
                                                                f"{len(header)} columns")])
            rows.append({h: (rec[i].strip() if i < len(rec) else "") for i, h in enumerate(header) if h})
            lines.append(line)
    except csv.Error as exc:
        raise InputError([Problem(label, reader.line_num, "<syntax>", f"invalid CSV: {exc}")]) from None
    missing = [r for r in required if r not in header]
    if missing:
        raise InputError([Problem(label, 1, m, f"missing column '{m}' (the {role} table needs columns "
                                               f"{', '.join(required)})") for m in missing])
    if not rows:
        raise InputError([Problem(label, 2, "<row>", f"the {role} table has no rows")])
    return Table(label, header, rows, lines, hashlib.sha256(raw).hexdigest())


def _number(t: Table, i: int, col: str, probs: _Problems, *, blank: float | None = None, lo: float | None = None,
            hi: float | None = None, lo_open: bool = False, what: str = "a number") -> float | None:
    cell = t.rows[i].get(col, "")
    if cell == "":
        if blank is None:
            probs.add(t.label, t.lines[i], col, f"missing value (expected {what})")
        return blank
    try:
        v = float(cell)
    except ValueError:
        probs.add(t.label, t.lines[i], col, f"'{cell}' is not a number (expected {what})")
        return None
    if not math.isfinite(v):
        probs.add(t.label, t.lines[i], col, f"'{cell}' is not a finite number")
        return None
    if lo is not None and (v < lo or (lo_open and v == lo)):
        probs.add(t.label, t.lines[i], col, f"{v:g} is out of range (expected {what})")
        return None
    if hi is not None and v > hi:
        probs.add(t.label, t.lines[i], col, f"{v:g} is out of range (expected {what})")
        return None
    return v


def load_inputs(indicators: str | Path, *, network: str | Path | None = None, expenditure: str | Path | None = None,
                relations: str | Path | None = None, params: str | Path | None = None, periods: int | None = None,
                qm_indicator: str | None = None, rl_indicator: str | None = None,
                purpose: str = "run") -> PPIInputs:
    """Read and cross-check the tables; raise InputError with every located problem found."""
    probs = _Problems()
    ind = read_table(indicators, "indicators", ())
    files = {"indicators": {"path": str(indicators), "sha256": ind.sha256}}
    col = {k: ind.column(k, a) for k, a in ALIASES.items()}
    need = ["id", "I0"] + (["IF", "success_rate"] if purpose == "calibrate" else [])
    if purpose == "run" and params is None:
        need += ["alpha", "alpha_prime", "beta"]
    missing = [k for k in need if col[k] is None]
    if missing:
        why = {"alpha": "or give --params", "alpha_prime": "or give --params", "beta": "or give --params"}
        raise InputError([Problem(ind.label, 1, k, f"missing column '{k}'"
                                  + (f" (also accepted: {', '.join(ALIASES[k][1:])})" if len(ALIASES[k]) > 1 else "")
                                  + (f" {why[k]}" if k in why else "")) for k in missing])
    N = len(ind.rows)
    ids: list[str] = []
    where: dict[str, int] = {}
    for i, r in enumerate(ind.rows):
        name = r[col["id"]]
        if not name:
            probs.add(ind.label, ind.lines[i], col["id"], "missing indicator id")
        elif name in where:
            probs.add(ind.label, ind.lines[i], col["id"], f"duplicate id '{name}' (first at line "
                                                          f"{ind.lines[where[name]]})")
        else:
            where[name] = i
        ids.append(name)

    def vec(key: str, **kw) -> np.ndarray | None:
        c = col[key]
        if c is None:
            return None
        out = [_number(ind, i, c, probs, **kw) for i in range(N)]
        return np.array([np.nan if v is None else v for v in out])

    I0 = vec("I0")
    R = vec("instrumental", blank=1.0)
    if R is not None:
        for i, v in enumerate(R):
            if not np.isnan(v) and v not in (0.0, 1.0):
                probs.add(ind.label, ind.lines[i], col["instrumental"], f"{v:g} must be 1 (instrumental) or 0 "
                                                                        "(collateral)")
    else:
        R = np.ones(N)
    inst = R == 1
    if N and not inst.any() and not probs.items:
        probs.add(ind.label, 2, col["instrumental"] or "instrumental", "no instrumental indicator (PPI needs at "
                                                                       "least one row with instrumental = 1)")
    kwargs: dict[str, Any] = {"I0": I0, "R": R}
    IF = vec("IF") if purpose == "calibrate" else None
    sr = vec("success_rate", lo=0.0, hi=1.0, what="a rate in [0, 1]") if purpose == "calibrate" else None
    if IF is not None and I0 is not None:
        for i in np.flatnonzero(IF == I0):
            probs.add(ind.label, ind.lines[i], col["IF"], "IF equals I0; calibration needs a change (GoF divides "
                                                          "by |IF - I0|)")
    G = vec("goal", blank=np.nan)
    if G is not None and np.isnan(G).all():
        G = None
    if G is not None:
        bad = np.flatnonzero(np.isnan(G))
        for i in bad:
            probs.add(ind.label, ind.lines[i], col["goal"], "missing goal (give a goal for every indicator or none)")
        kwargs["G"] = G
    for key in ("Imax", "Imin"):
        v = vec(key, blank=np.nan)
        if v is not None and not np.isnan(v).all():
            for i in range(N):
                if not np.isnan(v[i]) and I0 is not None and not np.isnan(I0[i]) and \
                        (v[i] < I0[i] if key == "Imax" else v[i] > I0[i]):
                    probs.add(ind.label, ind.lines[i], col[key], f"{v[i]:g} is {'below' if key == 'Imax' else 'above'}"
                                                                 f" I0 = {I0[i]:g}")
            kwargs[key] = v
    for key in ("qm", "rl"):
        v = vec(key, blank=np.nan)
        chosen = qm_indicator if key == "qm" else rl_indicator
        if chosen is not None:
            if chosen not in where:
                probs.add(ind.label, 1, col["id"], f"--{key}-indicator '{chosen}' is not an indicator id")
            else:
                kwargs[key] = int(where[chosen])
                lvl = I0[where[chosen]] if I0 is not None else np.nan
                if not 0 <= lvl <= 1:
                    probs.add(ind.label, ind.lines[where[chosen]], col["I0"], f"indicator '{chosen}' measures {key} "
                                                                              f"and must lie in [0, 1], got {lvl:g}")
            continue
        if v is None or np.isnan(v).all():
            continue
        for i in np.flatnonzero(inst & np.isnan(v)):
            probs.add(ind.label, ind.lines[i], col[key], f"missing {key} for an instrumental indicator (give it for "
                                                         "all instrumental indicators or for none)")
        for i in np.flatnonzero(~np.isnan(v) & ((v < 0) | (v > 1))):
            probs.add(ind.label, ind.lines[i], col[key], f"{v[i]:g} is out of range (expected a quality in [0, 1])")
        kwargs[key] = v[inst]
    bs = vec("bs", blank=np.nan)
    if bs is not None and not np.isnan(bs).all():
        for i in np.flatnonzero(inst & np.isnan(bs)):
            probs.add(ind.label, ind.lines[i], col["bs"], "missing bs for an instrumental indicator")
        kwargs["bs"] = bs[inst]
    par = None
    if params is None and purpose == "run":
        par = {"alphas": vec("alpha", lo=0.0, what="a step size >= 0"),
               "alphas_prime": vec("alpha_prime", lo=0.0, what="a step size >= 0"),
               "betas": vec("beta", lo=0.0, what="a number >= 0")}
    probs.raise_if_any()

    if params is not None:
        pt = read_table(params, "parameters", ("alpha", "alpha_prime", "beta"))
        files["params"] = {"path": str(params), "sha256": pt.sha256}
        idc = pt.column("id", ALIASES["id"])
        if idc is None:
            raise InputError([Problem(pt.label, 1, "id", "missing column 'id' (which indicator each row is)")])
        vals: dict[str, list[float]] = {}
        for i, r in enumerate(pt.rows):
            name = r[idc]
            if name not in where:
                probs.add(pt.label, pt.lines[i], idc, f"unknown indicator '{name}' (not in {ind.label})")
                continue
            if name in vals:
                probs.add(pt.label, pt.lines[i], idc, f"duplicate indicator '{name}'")
                continue
            vals[name] = [_number(pt, i, c, probs, lo=0.0, what="a number >= 0") for c in
                          ("alpha", "alpha_prime", "beta")]
        for name in ids:
            if name and name not in vals:
                probs.add(pt.label, 1, idc, f"no parameters for indicator '{name}'")
        probs.raise_if_any()
        arr = np.array([vals[name] for name in ids], dtype=float)
        par = {"alphas": arr[:, 0], "alphas_prime": arr[:, 1], "betas": arr[:, 2]}

    if network is not None:
        net = read_table(network, "network", ("origin", "destination", "weight"))
        files["network"] = {"path": str(network), "sha256": net.sha256}
        A = np.zeros((N, N))
        seen_edge: dict[tuple[int, int], int] = {}
        for i, r in enumerate(net.rows):
            o, d = r["origin"], r["destination"]
            ok = True
            for c, name in (("origin", o), ("destination", d)):
                if name not in where:
                    probs.add(net.label, net.lines[i], c, f"unknown indicator '{name}' (not in {ind.label})")
                    ok = False
            w = _number(net, i, "weight", probs, lo=-MAX_WEIGHT, hi=MAX_WEIGHT,
                        what=f"a weight in [-{MAX_WEIGHT:g}, {MAX_WEIGHT:g}]; larger ones would overflow")
            if not ok or w is None:
                continue
            a, b = where[o], where[d]
            if a == b:
                probs.add(net.label, net.lines[i], "destination", "self-loop (PPI ignores the diagonal of A; "
                                                                  "remove the row)")
                continue
            if (a, b) in seen_edge:
                probs.add(net.label, net.lines[i], "origin", f"edge {o} -> {d} given twice (first at line "
                                                             f"{seen_edge[(a, b)]})")
                continue
            seen_edge[(a, b)] = net.lines[i]
            A[a, b] = w
        kwargs["A"] = A

    programs: list[str] = []
    period_names: list[str] = []
    if expenditure is not None:
        ex = read_table(expenditure, "expenditure", ("program",))
        files["expenditure"] = {"path": str(expenditure), "sha256": ex.sha256}
        period_names = [h for h in ex.header if h and h != "program"]
        if not period_names:
            raise InputError([Problem(ex.label, 1, "<header>", "no period columns (after 'program', one column per "
                                                               "simulation period)")])
        if periods is not None and periods != len(period_names):
            probs.add(ex.label, 1, "<header>", f"{len(period_names)} period columns but --periods {periods}; "
                                               "they must agree (or leave --periods out)")
        Bs = np.zeros((len(ex.rows), len(period_names)))
        pwhere: dict[str, int] = {}
        for i, r in enumerate(ex.rows):
            p = r["program"]
            if not p:
                probs.add(ex.label, ex.lines[i], "program", "missing programme name")
            elif p in pwhere:
                probs.add(ex.label, ex.lines[i], "program", f"duplicate programme '{p}' (first at line "
                                                            f"{ex.lines[pwhere[p]]})")
            pwhere.setdefault(p, i)
            programs.append(p)
            for j, c in enumerate(period_names):
                v = _number(ex, i, c, probs, lo=0.0, hi=MAX_BUDGET,
                            what=f"a budget in [0, {MAX_BUDGET:g}]; larger ones would overflow")
                Bs[i, j] = np.nan if v is None else v
        if not probs.items and Bs[:, 0].sum() <= 0:
            probs.add(ex.label, 2, period_names[0], "the first-period budget is zero in every programme")
        kwargs["Bs"] = Bs
        if relations is not None:
            rel = read_table(relations, "relations", ("indicator", "program"))
            files["relations"] = {"path": str(relations), "sha256": rel.sha256}
            B_dict: dict[int, list[int]] = {}
            first: dict[tuple[int, int], int] = {}
            for i, r in enumerate(rel.rows):
                name, p = r["indicator"], r["program"]
                if name not in where:
                    probs.add(rel.label, rel.lines[i], "indicator", f"unknown indicator '{name}' (not in "
                                                                    f"{ind.label})")
                    continue
                if not inst[where[name]]:
                    probs.add(rel.label, rel.lines[i], "indicator", f"'{name}' is collateral (instrumental = 0 in "
                                                                    f"{ind.label}); only instrumental indicators "
                                                                    "are funded")
                    continue
                if p not in pwhere:
                    probs.add(rel.label, rel.lines[i], "program", f"unknown programme '{p}' (not in {ex.label})")
                    continue
                key = (where[name], pwhere[p])
                if key in first:
                    probs.add(rel.label, rel.lines[i], "program", f"link {name} -> {p} given twice (first at line "
                                                                  f"{first[key]})")
                    continue
                first[key] = rel.lines[i]
                B_dict.setdefault(where[name], []).append(pwhere[p])
            for i in np.flatnonzero(inst):
                if int(i) not in B_dict and ids[i]:
                    probs.add(rel.label, 1, "indicator", f"instrumental indicator '{ids[i]}' has no programme")
            used = {k for v in B_dict.values() for k in v}
            for k, p in enumerate(programs):
                if k not in used:
                    probs.add(ex.label, ex.lines[k], "program", f"programme '{p}' funds no indicator in {rel.label}")
            kwargs["B_dict"] = {k: sorted(v) for k, v in sorted(B_dict.items())}
        elif len(programs) > 1:
            pass  # PPI's default: every programme funds every instrumental indicator
    elif relations is not None:
        probs.add(str(relations), 1, "<file>", "a relations table needs an expenditure table (--expenditure)")
    else:
        kwargs["T"] = periods if periods is not None else 50
    probs.raise_if_any()
    return PPIInputs(ids=ids, kwargs=kwargs, IF=IF, success_rates=sr, params=par, programs=programs,
                     periods=period_names, files=files)
