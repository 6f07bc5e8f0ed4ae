"""docs/api.md is true: every python block in it runs, in order, in an empty folder."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_example_in_the_api_page_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), flags=re.S)
    assert len(blocks) >= 5
    here = os.getcwd()
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")  # the page's sweep example names a path
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        for i, code in enumerate(blocks):
            exec(compile(code, f"docs/api.md block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(here)
    assert (tmp_path / "results" / "api-compare" / "report.html").is_file()
