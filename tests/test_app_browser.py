"""`sdgsim app` in a real browser: the analyst's path from the shipped scenarios to a saved report.

The app starts in a subprocess on a free port; Playwright drives Debian's chromium (headless,
no browser download). A variant of Partnership in Action with a bigger pooled share is made and
saved, compared with the baseline (20 runs, progress shown), the charts render, the report is
saved, every request stays on the app's address (no CDN) and the console has no errors.
Set SDGSIM_APP_SHOTS=docs/img to refresh the screenshots in docs/app.md.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import BASELINE
from tests.processes import interruptible

CHROMIUM = os.environ.get("SDGSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); "
                                                           ".ci/run installs it")


TWO_POLICIES = """\
name: two
policies:
  bilateral: {baseline}
  more-dac:
    scenario: {baseline}
    set: {{donors.DAC-OTHER.budget_usd: 8.0e9}}
parameters:
  donors.JPN-ODA.budget_usd: {{low: 1.0e9, high: 3.0e9}}
  governance.leakage_max: {{low: 0.1, high: 0.4}}
design: {{method: saltelli, samples: 8}}
replications: 2
seed: 5
outcomes: [sdg_index_end]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(tmp_path):
    port = _free_port()
    sdgsim = Path(sys.executable).parent / "sdgsim"
    proc = subprocess.Popen(interruptible([str(sdgsim), "app", "--port", str(port), "--scenarios", "my-scenarios",
                                           "--results", "results"]), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    line = ""
    while "http://" not in line:  # the app says where it listens once it does: an observed state, no deadline
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
    assert f"http://127.0.0.1:{port}/" in line, line
    yield f"http://127.0.0.1:{port}/", tmp_path, proc
    proc.send_signal(signal.SIGINT)  # Ctrl-C stops it cleanly
    try:
        assert proc.wait(timeout=300) == 0  # a hang, not a slow machine: it stops in about a second
    finally:
        if proc.poll() is None:
            proc.kill()


def _shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if os.environ.get("SDGSIM_APP_SHOTS"):
        dest = ROOT / os.environ["SDGSIM_APP_SHOTS"]
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / f"{name}.png", dest / f"{name}.png")


def test_variant_compare_and_report_in_chromium(app):
    url, tmp_path, proc = app
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
    errors: list[str] = []
    foreign: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((url, url.replace("http", "ws"),
                                                                                       "data:", "blob:")) else None)
        page.goto(url)
        page.get_by_text("Make a variant").wait_for()

        # Scenarios: Partnership in Action -> a variant with a bigger pooled share
        pick = page.locator("select").first
        labels = pick.locator("option").all_text_contents()
        pick.select_option(label=next(t for t in labels if t.strip() == "partnership-in-action (shipped)"))
        page.get_by_text("Triangular cooperation plus a pooled").first.wait_for()
        name = page.locator("input[type=text]").first
        name.fill("pia-bigger-pool")
        page.get_by_text("name: pia-bigger-pool").wait_for()
        pooled = page.locator(".lever-JPN-ODA-pooled_share input")
        pooled.fill("1.5")
        pooled.press("Enter")
        page.get_by_text("above the maximum").wait_for()  # the CLI's located message, as you type
        pooled.fill("0.5")
        pooled.press("Enter")
        page.get_by_text("Valid: ready to save.").wait_for()
        _shot(page, tmp_path, "app-scenarios")
        page.get_by_role("button", name="Save scenario").click()
        page.get_by_text("Saved pia-bigger-pool.yaml").wait_for()
        saved = (tmp_path / "my-scenarios" / "pia-bigger-pool.yaml").read_text()
        assert "extends: partnership-in-action" in saved and "pooled_share: 0.5" in saved

        # Run and compare: baseline (reference) against the variant, 20 runs
        page.locator(".bk-tab", has_text="Run and compare").click()
        boxes = page.locator(".pick-scenarios")
        boxes.get_by_text("baseline (shipped)", exact=True).click()
        boxes.get_by_text("pia-bigger-pool (yours)", exact=True).click()
        for label, value in (("Runs", "20"),):
            box = page.get_by_label(label)
            box.fill(value)
            box.press("Enter")
        try:
            page.get_by_role("button", name="Run comparison").click()
            page.get_by_text(re.compile(r"of 40 runs")).first.wait_for()  # progress shown
            page.get_by_text(re.compile(r"Done: 40 runs")).wait_for(timeout=60_000)
            # opening the comparison draws its figures: slow on a busy 2-core machine, not a hang
            page.get_by_text("Comparison table").wait_for(timeout=120_000)
        except Exception:
            page.screenshot(path="/tmp/fail.png", full_page=True)
            raise
        page.wait_for_timeout(1500)
        _shot(page, tmp_path, "app-compare")
        canvases = page.locator("canvas").count()
        assert canvases >= 4, canvases
        page.get_by_role("button", name="Save HTML report").click()
        page.get_by_text("Download report.html").wait_for(timeout=120_000)
        folders = [p for p in (tmp_path / "results").iterdir() if not p.name.startswith(".")]
        assert len(folders) == 1 and (folders[0] / "report.html").is_file() and (folders[0] / "comparison.csv").is_file()

        # a sweep of two policies, analysed: its page once showed nothing (a parameter per policy on one
        # categorical axis is an error in the browser), so it is opened here and the errors checked below
        (tmp_path / "two.yaml").write_text(TWO_POLICIES.format(baseline=BASELINE))
        sdgsim = str(Path(sys.executable).parent / "sdgsim")
        for args in (["sweep", "two.yaml", "--out", "results/two"], ["analyze", "results/two", "--no-plots"]):
            done = subprocess.run([sdgsim, *args], cwd=tmp_path, capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr
        page.locator(".bk-tab", has_text="Sweeps").click()
        page.get_by_text("Sweeps and searches").wait_for()
        pick = page.locator("select:visible").last
        pick.select_option(label="two")
        before = page.locator("canvas").count()
        page.get_by_role("button", name="Open").click()
        page.get_by_text("From the saved analysis").wait_for(timeout=120_000)
        page.get_by_text("Each policy against bilateral").wait_for()
        for _ in range(240):  # the scatter and the Sobol' bars draw (an observed state; a browser error fails below)
            if page.locator("canvas").count() >= before + 2:
                break
            page.wait_for_timeout(500)
        assert page.locator("canvas").count() >= before + 2
        _shot(page, tmp_path, "app-sweeps")
        browser.close()
    assert errors == []
    assert foreign == []
