"""Exit codes and docs agree (issue 12): 0 ok, 1 input problems, 2 usage — for every command.

``validate-projects`` used to exit 2 both for a usage error and for an unusable file; and
``check`` passed inputs that ``build`` then rejected.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import config
from tests.cli_helpers import copy_geodata

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "projects"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


@pytest.mark.parametrize(("args", "code"), [
    (("validate-projects",), 2),  # no file: usage
    (("validate-projects", str(FIX / "koordinaten.csv"), "--lang", "fr"), 2),
    (("validate-projects", str(FIX / "win1252_semikolon.csv")), 0),
    (("validate-projects", str(FIX / "probleme.csv")), 1),
    (("validate-projects", str(FIX / "bild.csv")), 1),  # unusable file: an input problem, not usage
    (("validate-projects", "/nonexistent/liste.csv"), 1),
    (("build", "--city", "hamburg"), 2),
    (("no-such-command",), 2),
])
def test_exit_codes(args: tuple[str, ...], code: int) -> None:
    res = _cli(*args)
    assert res.returncode == code, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_docs_state_the_same_codes() -> None:
    readme = (ROOT / "geodata" / "projects" / "README.md").read_text(encoding="utf-8")
    assert "2 = nichts nutzbar" not in readme and "2 nothing usable" not in readme
    assert re.search(r"2 = Aufruf falsch", readme) and "2 usage error" in readme


@pytest.mark.slow
def test_check_runs_the_build_checks(tmp_path: Path) -> None:
    """A mistake only a build stage sees (an unknown ``from``) fails ``check`` too; check writes nothing."""
    g = copy_geodata(config.GEODATA_DIR, tmp_path / "geodata")
    toml = g / "indicators.toml"
    text = toml.read_text(encoding="utf-8")
    first = re.search(r'(?m)^from = "([^"]+)"', text)
    assert first, "indicators.toml has a from = mapping"
    toml.write_text(text.replace(first.group(0), 'from = "no_such_indicator"', 1), encoding="utf-8")
    before = sorted(p.relative_to(g).as_posix() for p in g.rglob("*"))
    res = _cli("check", "--geodata", str(g))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "no_such_indicator" in res.stderr and "Traceback" not in res.stderr
    assert sorted(p.relative_to(g).as_posix() for p in g.rglob("*")) == before
