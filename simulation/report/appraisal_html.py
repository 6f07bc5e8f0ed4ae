"""Appraisal sections of the HTML reports: an appraisal folder's page (`sdgsim appraise`), and the
value-of-information section of a sweep's report (`sdgsim voi`, voi.csv + voi.json in the sweep folder).

Self-contained (no import of html.py, which includes these sections): the page uses the CSS it is given.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

CE_COLUMNS = ["option", "d_cost", "d_cost_low", "d_cost_high", "d_effect", "d_effect_low", "d_effect_high", "quadrant", "icer",
              "icer_low", "icer_high", "status", "icer_frontier", "d_net_benefit", "p_best"]


def _esc(x) -> str:
    return html.escape(str(x))


def _img(path: Path) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}" alt="{_esc(path.stem)}">'


def _cell(v) -> str:
    if isinstance(v, float):
        return "—" if v != v else f"{v:,.4g}"
    return str(v)


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_esc(_cell(v))}</td>" for v in r) + "</tr>"
                   for r in df.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def _figures(folder: Path, items: list[dict], prefix: str = "") -> list[str]:
    out = []
    for item in items:
        png = folder / str(item.get("png", ""))
        if png.suffix == ".png" and png.is_file():
            out.append(f"<figure>{_img(png)}<figcaption><b>{_esc(item.get('title', ''))}.</b> "
                       f"{_esc(item.get('caption', ''))} (<a href='{_esc(prefix + item.get('svg', ''))}'>SVG</a>)"
                       "</figcaption></figure>")
    return out


def appraisal_sections(folder: Path, man: dict, prefix: str = "") -> list[str]:
    """The appraisal's headline, CE table, plane and acceptability curve (links relative to `prefix`)."""
    body = ["<h2>Cost-effectiveness</h2>",
            "<div class=headline>" + "<br>".join(_esc(x) for x in str(man.get("summary", "")).splitlines())
            + "</div>"]
    ce = folder / "ce.csv"
    if ce.is_file():
        t = pd.read_csv(ce)
        body += ["<div class=tw>" + _table(t[[c for c in CE_COLUMNS if c in t.columns]]) + "</div>",
                 f"<p class=muted>Costs in US$ over the horizon; effect in {_esc(man.get('unit', ''))}; net benefit "
                 f"and P(best) at US${float(man.get('threshold', 0)):,.4g} per unit. All columns in "
                 f"{_esc(prefix)}ce.csv; the curve in {_esc(prefix)}ceac.csv.</p>"]
    return body + _figures(folder, man.get("plots", []), prefix)


def appraisal_page(folder: Path, man: dict, css: str = "") -> str:
    """report.html of an appraisal folder."""
    body = [f"<h1>sdgsim appraisal: {_esc(man.get('outcome', ''))} against {_esc(man.get('reference', ''))}</h1>",
            f"<p class=muted>From {_esc(man.get('source') or 'a comparison in memory')}; willingness to pay "
            f"{_esc(man.get('wtp'))} US$ per {_esc(man.get('unit', ''))}.</p>",
            *appraisal_sections(folder, man),
            *[f"<p class=warn>{_esc(n)}</p>" for n in man.get("notes", [])],
            "<p class=muted>Methods and what the numbers do not mean: docs/appraisal.md.</p>"]
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>sdgsim appraisal</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>")


def compare_appraisal_section(folder: Path) -> list[str]:
    """In a comparison's report: the appraisal written into its `appraisal/` subfolder, if any."""
    man_path = folder / "appraisal" / "manifest.json"
    if not man_path.is_file():
        return []
    man = json.loads(man_path.read_text())
    return appraisal_sections(folder / "appraisal", man, "appraisal/")


def voi_section(folder: Path) -> list[str]:
    """In a sweep's report: the value of information written by `sdgsim voi` (voi.json, voi.csv, voi.png)."""
    meta_path = folder / "voi.json"
    if not meta_path.is_file():
        return []
    meta = json.loads(meta_path.read_text())
    table = folder / str(meta.get("table", "voi.csv"))
    body = ["<h2>Value of information</h2>",
            "<div class=headline>" + "<br>".join(_esc(x) for x in str(meta.get("summary", "")).splitlines())
            + "</div>"]
    if table.is_file():
        body.append(_table(pd.read_csv(table)))
    png = table.with_suffix(".png")
    if png.is_file():
        body.append(f"<figure>{_img(png)}<figcaption><b>EVPPI per parameter (±2 SE) and the EVPI.</b> "
                    "Regression method of Strong, Oakley &amp; Brennan (2014); docs/appraisal.md.</figcaption></figure>")
    return body
