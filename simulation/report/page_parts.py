"""The parts every HTML report page is built from: the style sheet, escaping, tables, numbers with
intervals, figures embedded as PNG, links confined to the results folder, manifests and scenario
differences (simulation/report/html.py assembles the pages from them)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, Problem
from ..scenario import Scenario, validate_data
from . import plots

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1.2em;
color:#1d2733;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:2px solid #e3e8ee;padding-bottom:.2em}
.headline{background:#eef5fc;border-left:5px solid #1f5fa8;padding:.8em 1em;font-size:1.1em}
.headline p{margin:.35em 0}
td.better{background:#eaf6ee}td.worse{background:#fdecea}
table.people td:nth-child(2),table.people th:nth-child(2),table.contrasts td:nth-child(2),
table.contrasts th:nth-child(2){text-align:left}
details summary{cursor:pointer;color:#1f5fa8;margin:.4em 0}
.warn{background:#fff5e6;border-left:5px solid #d9822b;padding:.5em 1em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em;display:block;max-width:100%;overflow-x:auto}
th,td{border-bottom:1px solid #e3e8ee;padding:.25em .6em;
text-align:right}th{background:#f5f7fa}td:first-child,th:first-child{text-align:left}
td.best{font-weight:700;background:#eaf6ee}figure{margin:1.2em 0;page-break-inside:avoid}
figure img{max-width:100%;border:1px solid #e3e8ee}figcaption{color:#55606e;font-size:.9em}
code,pre{background:#f5f7fa;padding:.1em .3em;font-size:.85em}pre{padding:.6em;overflow-x:auto;white-space:pre-wrap}
.muted{color:#55606e}.tw{overflow-x:auto}
@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}.headline{border:1px solid #1f5fa8}}
"""


BENCHMARKS = {
    "EG.ELC.ACCS.ZS": ("US$733 per connection (solar mini-grids, Africa, 2019); ≥ US$1,500 per rural grid "
                       "connection; ≈ US$440 per person for planned mini-grids",
                       "AMDA/ECA, Benchmarking Africa's Minigrids (2020); ESMAP, Mini Grids for Half a Billion "
                       "People (2019)"),
    "SH.H2O.BASW.ZS": ("no sourced per-person benchmark found (WASH capital needs ≈ US$114 bn a year "
                       "globally, unverified)", "Hutton & Varughese, World Bank WSP (2016)"),
    "SH.DYN.MORT": ("US$4,205 (low income) to 10,016 (upper-middle income) of child-health spending per child "
                    "life saved, 2000-2014; US$50,000-100,000 of public health spending per child death averted",
                    "IHME, Keeping score, Lancet (2015); Filmer & Pritchett, Soc. Sci. Med. 49:1309 (1999)"),
    "SN.ITK.DEFC.ZS": ("no sourced per-person benchmark found", "—"),
}
"""Published cost-per-outcome benchmarks beside the model's cost per person reached
(each with its source)."""

def _esc(x: Any) -> str:
    return html.escape(str(x))


def _own_file(folder: Path, rel: Any) -> Path | None:
    """`rel`, a path an index or manifest of `folder` names, if it is a regular file inside
    `folder` (symlinks resolved): a tampered index cannot embed a file from elsewhere."""
    if not isinstance(rel, str) or not rel or "\0" in rel:
        return None
    root, path = folder.resolve(), (folder / rel).resolve()
    return path if root in path.parents and path.is_file() else None


def _items(value: Any) -> list[dict]:
    """The entries of an index list that are mappings (a tampered index may hold anything)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _link(folder: Path, rel: Any, text: str) -> str:
    """` (<a href=REL>TEXT</a>)` for a file inside `folder` named by a plain relative path; nothing
    for anything else (a `javascript:` or other URL, an absolute path, a file outside)."""
    if not isinstance(rel, str) or ":" in rel or rel.startswith(("/", "\\")) or _own_file(folder, rel) is None:
        return ""
    return f" (<a href='{_esc(rel)}'>{_esc(text)}</a>)"


def _own_folders(folder: Path, names: list[Any]) -> list[str]:
    """The scenario folders a comparison manifest names, each a folder inside `folder`; a name
    leading elsewhere (`../../x`) is a located error, never read."""
    root = folder.resolve()
    for n in names:
        if not isinstance(n, str) or not n or n in (".", "..") or (root / n).resolve().parent != root:
            raise InputError([Problem(str(folder / "manifest.json"), 1, "scenarios",
                                      f"names the folder {n!r}, which is not a folder inside this comparison "
                                      "(re-create the folder)")])
    return names


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(path.stem)}">'


def _figure(out: Path, fig: plots.Figure | None) -> str:
    if fig is None:
        return ""
    return (f"<figure>{_img(out / f'{fig.stem}.png')}<figcaption><b>{_esc(fig.title)}.</b> {_esc(fig.caption)} "
            f"(<a href='plots/{fig.stem}.svg'>SVG</a>)</figcaption></figure>")


def _cell(v: Any) -> str:
    """Numbers as people read them: 4 significant digits, money-sized values in m / bn."""
    if isinstance(v, float):
        if v != v:
            return "—"
        return _num(v, 2) if abs(v) >= 1e6 else f"{v:.4g}"
    return str(v)


def _table(df: pd.DataFrame, best: set[tuple[int, int]] | None = None) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
    body = []
    for i, row in enumerate(df.itertuples(index=False)):
        cells = "".join(f"<td{' class=best' if best and (i, j) in best else ''}>{_esc(_cell(v))}</td>"
                        for j, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<div class=tw><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _read_json(path: Path, what: str, hint: str) -> Any:
    """A JSON file of a results folder, or a located error (never a traceback)."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), exc.lineno, "<json>", f"{what} is not valid JSON: {exc.msg} ({hint})")]) \
            from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), 1, "<encoding>", f"{what} is not UTF-8 text (byte {exc.start}; "
                                                              f"{hint})")]) from None
    except IsADirectoryError:
        raise InputError([Problem(str(path), 1, "<file>", f"{what} is a directory, not a file ({hint})")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), 1, "<file>", f"cannot read the {what} ({exc.strerror or exc})")]) \
            from None


def _read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.exists():
        raise InputError([Problem(str(folder), 1, "<folder>", "not a results folder (no manifest.json)")])
    return _read_json(path, "manifest", "re-create the folder")


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths → values; list items with an id are keyed by id (like --set)."""
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list) and not obj:
        pass  # an empty list of items: its items' fields show up on the other side
    elif isinstance(obj, list) and all(isinstance(i, dict) and "id" in i for i in obj):
        for item in obj:
            out.update(_flatten(item, f"{prefix}.{item['id']}"))
    else:
        out[prefix] = obj
    return out


def scenario_differences(ref: dict, other: dict) -> list[tuple[str, Any, Any]]:
    a, b = _flatten(ref), _flatten(other)
    skip = ("name", "description")
    return [(k, a.get(k, "—"), b.get(k, "—")) for k in sorted(set(a) | set(b))
            if a.get(k, "—") != b.get(k, "—") and k not in skip and not k.startswith("sources.")]


def _assumptions(scenario: dict) -> str:
    goals = pd.DataFrame(scenario["goals"])[["id", "effectiveness", "spend_scale_usd_per_capita", "decay",
                                              "leverage", "target_score"]]
    parts = ["<h3>Goals</h3>", _table(goals),
             "<p>Governance: " + _esc(scenario["governance"]) + "; capacity building: " +
             _esc(scenario["capacity"]) + "; uncertainty: " + _esc(scenario["uncertainty"]) + "</p>"]
    if scenario.get("sources"):
        rows = pd.DataFrame(sorted(scenario["sources"].items()), columns=["field", "source"])
        parts += ["<h3>Sources</h3>", _table(rows)]
    return "".join(parts)


def _manifest_block(man: dict) -> str:
    shown = {k: v for k, v in man.items() if k not in ("scenario", "scenarios_resolved")}
    return f"<pre>{_esc(json.dumps(shown, indent=2))}</pre>"


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width,initial-scale=1'><title>{_esc(title)}</title><style>{CSS}</style>"
            f"</head><body>{body}</body></html>")


def _num(x: float, digits: int = 2, sign: bool = False) -> str:
    """Readable number: US$-sized values in tn / bn / m, thousands without decimals (counts of people
    with separators), smaller values with `digits` decimals."""
    s = "+" if sign else ""
    if abs(x) >= 1e12:  # fiscal space over a decade: 5.721 tn, not 5720.915 bn
        return f"{x / 1e12:{s}.{digits}f} tn"
    if abs(x) >= 1e9:
        return f"{x / 1e9:{s}.{digits}f} bn"
    if abs(x) >= 1e6:
        return f"{x / 1e6:{s}.{digits}f} m"
    if abs(x) >= 1e4:  # counts of people: 100,000
        return f"{x:{s},.0f}"
    if abs(x) >= 1e3:  # years and thousands: 2031, 5000
        return f"{x:{s}.0f}"
    return f"{x:{s}.{digits}f}"


def _fmt_ci(mean: float, lo: float, hi: float, digits: int = 2, sign: bool = False) -> str:
    return f"{_num(mean, digits, sign)} [{_num(lo, digits, sign)}, {_num(hi, digits, sign)}]"


def _runs(man: dict) -> int:
    """The manifest's number of runs (0 if it does not say): a size hint for the reduced tables."""
    runs = man.get("runs")
    return runs if isinstance(runs, int) and 0 < runs <= 10**7 else 0


def _scenario(man: dict, folder: Path) -> Scenario:
    """The scenario a run folder's manifest records (its labels and populations)."""
    return validate_data(man["scenario"], str(folder / "manifest.json"))
