"""The repository stands alone: no tracked file points to a file outside it.

A newcomer with a clone has only the clone: a design document, a data note or an extraction
script that lives in a sibling folder or on the author's machine is a dangling reference
(docs/model.md is the model's design; scenarios' `sources:` name published sources). Checked:
every tracked file's text for a sibling "shared" folder, a design file kept outside, an
absolute path on a developer's machine, and any relative "../" path that leaves the
repository from the file's own folder.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# built from parts, so that this file does not name what it looks for
OUTSIDE = re.compile("|".join([
    r"\.\./" + "shared",                                  # a sibling folder of the clone
    r"(?<![\w/.-])" + "shared/" + r"reference/",          # the same, without its ../
    "DESIGN" + r"\.md",                                   # the design file kept beside the repository
    r"(?<![\w.~-])/(?:" + "work|home|Users|root|mnt" + r")/[\w.*-]",  # an absolute path on a machine
    r"[A-Za-z]:\\" + r"Users\\",
]))
UP = re.compile(r"(?<![\w.])((?:\.\./)+)[\w*-]")


def tracked_files() -> list[Path]:
    """The files git tracks (every file of the source tree when there is no git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        names = [n for n in out.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build"}
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def outside_references(path: Path, text: str) -> list[str]:
    """'LINE: the reference' for each reference in `text` (the file at `path`) to a file outside the repository."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        found += [f"{number}: {m.group(0)}" for m in OUTSIDE.finditer(line)]
        for m in UP.finditer(line):
            target = (path.parent / m.group(1)).resolve()
            if target != ROOT and ROOT not in target.parents:
                found.append(f"{number}: {m.group(0)} (leaves the repository)")
    return found


def test_the_checker_sees_each_kind_of_outside_reference():
    here = ROOT / "docs" / "x.md"
    for text in ["see `../" "shared/DESIGN" ".md`", "the DESIGN" ".md question", "(/wo" "rk/data-research/x.py)",
                 "/ho" "me/me/notes.txt", "`../../" "../elsewhere.md`", "shared/" "reference/domain-data.md"]:
        assert outside_references(here, text), text
    for text in ["scenario: ../baseline.yaml", "docs/model.md", "`/etc/passwd` is refused", "~/work/x"]:
        assert not outside_references(here, text), text


def test_no_tracked_file_mentions_a_path_outside_the_repository():
    bad = {}
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images and other binary files
        if found := outside_references(path, text):
            bad[str(path.relative_to(ROOT))] = found[:3]
    assert not bad, bad
