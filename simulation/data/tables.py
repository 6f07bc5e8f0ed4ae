"""Where the evidence tables live and how they are written: Parquet, atomically, with a manifest.

The shipped tables are package data in `simulation/data/evidence/`; a user's imports go to
their data folder (`$SDGSIM_DATA_DIR`, else `$XDG_DATA_HOME/sdgsim`, else
`~/.local/share/sdgsim`), so a newer download is used without a code change.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

EVIDENCE_DIR = Path(__file__).resolve().parent / "evidence"
MANIFEST = "datasets.json"

# What each shipped table is: its title and the sources (ids in build.SOURCES) it is built from.
TABLES = {
    "countries": ("Countries: ISO3 code, name, World Bank region and income group, LDC/SIDS/LLDC/FCS flags, "
                  "OECD ODA eligibility", ("wb-groups", "country-codes")),
    "indicators": ("Catalogue of the series: name, unit, valid range, direction, goal, source", ()),
    "series": ("Country series (WDI and UN SDG), tidy: country, indicator, year, value", ("wdi", "wb-bblocks",
                                                                                         "unsd-sdg")),
    "donors": ("Donors of the DAC tables: id (ISO3 or group), DAC code, kind, DAC membership", ()),
    "dac1": ("OECD DAC1 donor totals: ODA (grant equivalent and net), bilateral, multilateral, ODA/GNI",
             ("dac1",)),
    "dac_sectors": ("Bilateral ODA by donor and sector group, with each sector's share of the donor's year",
                    ("dac-sectors",)),
    "debt_service": ("Public and publicly guaranteed external debt service by debtor, creditor type, "
                     "principal/interest (IDS)", ("ids",)),
}


def user_dir() -> Path:
    """The folder `sdgsim data import` writes to (created when first written)."""
    if os.environ.get("SDGSIM_DATA_DIR"):
        return Path(os.environ["SDGSIM_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "sdgsim"


def write_bytes_atomic(data: bytes, path: Path) -> None:
    """Write to a temporary file beside `path`, then rename it over: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """A compact, deterministic Parquet file (zstd; low-cardinality text as dictionaries)."""
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith(("str", "string")):
            frame[col] = frame[col].astype(str)
    write_bytes_atomic(_parquet_bytes(frame), path)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, compression="zstd", use_dictionary=True, write_statistics=False)
    return buf.getvalue().to_pybytes()


def describe(name: str, frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, years and coverage of one table (for `sdgsim data` and the manifest)."""
    info: dict[str, Any] = {"rows": int(len(frame))}
    if "year" in frame and len(frame):
        info["years"] = [int(frame.year.min()), int(frame.year.max())]
    for col, what in (("country", "countries"), ("donor", "donors"), ("indicator", "indicators")):
        if col in frame and name != "indicators":
            info[what] = int(frame[col].nunique())
    return info


def write_manifest(out: Path, tables: dict[str, pd.DataFrame], sources, commits: dict[str, str],
                   notes: dict[str, Any]) -> dict:
    by_id = {s.id: s for s in sources}
    datasets = []
    for name, frame in tables.items():
        title, src_ids = TABLES[name]
        srcs = [by_id[i] for i in src_ids]
        datasets.append({
            "id": name, "title": title, "file": f"{name}.parquet", "bytes": (out / f"{name}.parquet").stat().st_size,
            "licence": ", ".join(dict.fromkeys(s.licence for s in srcs)) or "MIT (this project's table)",
            "sources": [{"id": s.id, "publisher": s.publisher, "repository": s.repo, "commit": commits[s.id],
                         "paths": list(s.paths)} for s in srcs],
            **describe(name, frame), **({"notes": notes[name]} if name in notes else {}),
        })
    manifest = {"datasets": datasets}
    write_bytes_atomic((json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode(), out / MANIFEST)
    write_bytes_atomic(sources_md(sources, commits).encode(), out / "SOURCES.md")
    return manifest


GEOMETRY_SOURCE_MD = """## world-110m: country outlines for maps (world_110m.json)

- publisher: Natural Earth (ne_110m_admin_0_countries), as packaged by GeoPandas
- licence: public domain (Natural Earth's terms of use); the GeoPandas wheel is BSD-3-Clause
- package: geopandas 0.14.4 on PyPI, `geopandas-0.14.4-py3-none-any.whl`
  (sha256 3bb6473cb59d51e1a7fe2dbc24a1a063fb0ebdeddf3ce08ddbf8c7ddc99689aa)
- paths:
  - `geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp`
    (sha256 1f689e60b357e1e98702d5d9f774e95e77fc6b324487cadf57eb9317d533ce12)
  - `geopandas/datasets/naturalearth_lowres/naturalearth_lowres.dbf`
    (sha256 5cfbcaa21ce5fad798abf2ec65ab0db59538f9bb8a37273ef62b6aa8121487fd)
- converted by `python -m simulation.data.geometry SHP DBF simulation/data/evidence/world_110m.json`
  (not by the build: it does not change with the data)
"""
"""The map outlines' source (simulation/data/geometry.py), appended to SOURCES.md."""


def sources_md(sources, commits: dict[str, str]) -> str:
    lines = ["# Sources of the shipped evidence base", "",
             "Written by `python -m simulation.data.build` (docs/data.md). Every file read, at the commit read:", ""]
    for s in sources:
        licence = s.licence + (f" ({s.terms})" if s.terms else "")
        lines += [f"## {s.id}: {s.title}", "", f"- publisher: {s.publisher}", f"- licence: {licence}",
                  f"- repository: https://github.com/{s.repo} at commit {commits[s.id]}", "- paths:"]
        lines += [f"  - `{p}`" for p in s.paths] + [""]
    return "\n".join(lines) + "\n" + GEOMETRY_SOURCE_MD
