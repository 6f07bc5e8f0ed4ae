"""The HTML report in a real browser: every image loads and the console stays clean.

Uses Debian's chromium (headless) driven by Playwright with `executable_path`, so no
browser is downloaded. `.ci/run` installs chromium; where it cannot be installed the
test is skipped and says why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.factory import BASELINE

CHROMIUM = os.environ.get("SDGSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); "
                                                           ".ci/run installs it")


def _open(report: Path, shot: Path) -> tuple[dict, list[str]]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(report.resolve().as_uri())
        page.wait_for_load_state("load")
        info = page.evaluate("""() => ({
            images: document.images.length,
            broken: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length,
            title: document.title,
            headline: (document.querySelector('.headline') || {}).textContent || '',
            tables: document.querySelectorAll('table').length,
        })""")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    return info, errors


def test_compare_report_renders_in_chromium_with_all_images_and_no_errors(tmp_path):
    alt = tmp_path / "alt.yaml"
    alt.write_text(f"extends: {BASELINE}\nname: alt\ndonors:\n  - {{id: JPN-ODA, budget_usd: 4.0e9}}\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["compare", str(BASELINE), str(alt), "--runs", "12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    info, errors = _open(out / "report.html", tmp_path / "shot.png")
    assert errors == []
    assert info["images"] == 8 and info["broken"] == 0  # with the difference fan, the slide and the world map
    assert info["tables"] >= 3 and "does best" in info["headline"]
    assert (tmp_path / "shot.png").stat().st_size > 50_000


def test_run_report_renders_in_chromium(tmp_path):
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", str(BASELINE), "--runs", "5", "--out", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    info, errors = _open(out / "report.html", tmp_path / "shot.png")
    assert errors == [] and info["images"] == 5 and info["broken"] == 0  # four plots and the world map
