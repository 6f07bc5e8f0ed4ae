"""World country outlines for maps: Natural Earth 1:110m admin-0 (public domain), shipped as JSON.

`world_shapes()` returns {ISO3: [ring, ...]} with each ring an (n, 2) array of longitude and
latitude in degrees, read from evidence/world_110m.json (60 kB). That file is converted by
`python -m simulation.data.geometry SHP DBF OUT` from the shapefile `naturalearth_lowres`
that GeoPandas 0.14.4 ships (geopandas/datasets/naturalearth_lowres/, the wheel on PyPI; its
`naturalearth_creation.py` made it from Natural Earth's ne_110m_admin_0_countries, with
ISO_A3 "-99" of sovereign countries replaced by ADM0_A3). Natural Earth is in the public
domain; evidence/SOURCES.md records the file and its checksum. Coordinates are rounded to
0.01 degree. Only the standard library reads the shapefile (no GIS package is needed).
"""

from __future__ import annotations

import json
import struct
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from .tables import EVIDENCE_DIR, write_bytes_atomic

FILE = "world_110m.json"
RENAMED = {"-99": None}   # territories without a code (N. Cyprus, Somaliland) are dropped
KOSOVO = ("Kosovo", "XKX")  # Natural Earth's KOS / -99; the World Bank's code is XKX


def read_dbf(path: Path) -> list[dict[str, str]]:
    """The records of a dBASE III file (a shapefile's attributes) as text fields."""
    raw = path.read_bytes()
    n, header_len, rec_len = struct.unpack("<IHH", raw[4:12])
    fields, pos = [], 32
    while raw[pos] != 0x0D:
        name = raw[pos:pos + 11].split(b"\0")[0].decode()
        fields.append((name, raw[pos + 16]))
        pos += 32
    out = []
    for i in range(n):
        rec, at = raw[header_len + i * rec_len: header_len + (i + 1) * rec_len], 1
        row = {}
        for name, width in fields:
            row[name] = rec[at:at + width].decode("utf-8", "replace").strip()
            at += width
        out.append(row)
    return out


def read_polygons(path: Path) -> list[list[np.ndarray]]:
    """The rings of every record of a polygon shapefile (shape types 5 and 15), in file order."""
    raw = path.read_bytes()
    pos, shapes = 100, []
    while pos < len(raw):
        _, words = struct.unpack(">II", raw[pos:pos + 8])
        body = raw[pos + 8: pos + 8 + 2 * words]
        kind = struct.unpack("<i", body[:4])[0]
        rings = []
        if kind in (5, 15):
            n_parts, n_points = struct.unpack("<ii", body[36:44])
            parts = list(struct.unpack(f"<{n_parts}i", body[44:44 + 4 * n_parts])) + [n_points]
            pts = np.frombuffer(body, "<f8", 2 * n_points, 44 + 4 * n_parts).reshape(-1, 2)
            rings = [pts[a:b] for a, b in zip(parts[:-1], parts[1:])]
        shapes.append(rings)
        pos += 8 + 2 * words
    return shapes


def convert(shp: Path, dbf: Path) -> dict[str, list[list[list[float]]]]:
    """{ISO3: rings as [[lon, lat], ...] rounded to 0.01 degree} from Natural Earth's shapefile."""
    out: dict[str, list] = {}
    for row, rings in zip(read_dbf(dbf), read_polygons(shp)):
        code = KOSOVO[1] if row.get("name") == KOSOVO[0] else row.get("iso_a3", "-99")
        if RENAMED.get(code, code) is None:
            continue
        out.setdefault(code, []).extend(np.round(r, 2).tolist() for r in rings)
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def world_shapes() -> dict[str, list[np.ndarray]]:
    """{ISO3: [ring (n, 2) of longitude, latitude], ...} for the countries Natural Earth draws at 1:110m."""
    doc = json.loads((EVIDENCE_DIR / FILE).read_text())
    return {k: [np.asarray(r, dtype=float) for r in rings] for k, rings in doc["countries"].items()}


def main(argv: list[str]) -> None:
    """python -m simulation.data.geometry SHP DBF OUT: write the shipped JSON from the shapefile."""
    shp, dbf, out = (Path(a) for a in argv)
    doc = {"source": "Natural Earth 1:110m admin-0 countries (public domain), as naturalearth_lowres in the "
                     "GeoPandas 0.14.4 wheel (PyPI); converted by simulation/data/geometry.py",
           "countries": convert(shp, dbf)}
    write_bytes_atomic(json.dumps(doc, separators=(",", ":")).encode(), out)
    print(f"{out}: {len(doc['countries'])} countries, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1:])
