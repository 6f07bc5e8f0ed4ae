"""The app: three pages in tabs, served by Panel (Bokeh server) on a local address.

Every asset (Bokeh's and Panel's JavaScript and CSS) is served by this server from the
installed wheels; nothing is fetched from a CDN (tests/test_app_browser.py checks every
request the page makes stays on the app's address).
"""

from __future__ import annotations

import panel as pn

from .compare_page import ComparePage
from .data_page import DataPage
from .folders import Folders
from .messages import code
from .scenarios_page import ScenariosPage
from .sweeps_page import SweepsPage

TITLE = "sdgsim"


def make_app(folders: Folders) -> pn.viewable.Viewable:
    """One session's page: Scenarios, From data, Run and compare, Sweeps."""
    compare = ComparePage(folders)
    sweeps = SweepsPage(folders)

    def saved():
        compare.refresh()
        sweeps.refresh()

    scenarios = ScenariosPage(folders, on_saved=saved)

    def built():
        scenarios.refresh()
        saved()

    from_data = DataPage(folders, on_saved=built)
    tabs = pn.Tabs(("Scenarios", scenarios.view()), ("Run and compare", compare.view()), ("Sweeps", sweeps.view()),
                   ("From data", from_data.view()), dynamic=False, sizing_mode="stretch_width")

    def on_tab(event):
        if event.new == 1:
            compare.refresh()
        elif event.new == 2:
            sweeps.refresh()

    tabs.param.watch(on_tab, "active")
    head = pn.pane.Markdown(f"# {TITLE}: what-if simulations of SDG financing\nScenarios in {code(folders.scenarios)} · "
                            f"results in {code(folders.results)}", sizing_mode="stretch_width")
    return pn.Column(head, tabs, sizing_mode="stretch_width", margin=(0, 20))


def serve(folders: Folders, port: int = 5006, host: str = "127.0.0.1", on_ready=None) -> None:
    """Serve the app until interrupted (Ctrl-C). `on_ready(url)` is called once it listens."""
    pn.extension("tabulator")  # Tabulator's JS/CSS, from panel's bundled copy (served by this server)
    server = pn.serve({"/": lambda: make_app(folders)}, port=port, address=host, show=False, start=False,
                      title=TITLE, websocket_origin=[f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
                      verbose=False)
    server.start()
    if on_ready:
        on_ready(f"http://{host}:{port}/")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
