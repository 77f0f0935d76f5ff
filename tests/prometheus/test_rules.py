"""The shipped alerting rules pass `promtool check rules` and their `promtool test rules` tests
(rules_test.yml beside this file)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.prometheus import MISSING, PROMTOOL, quick_rules
from tui.exporter.command import shipped_text

HERE = Path(__file__).resolve().parent
RULES = HERE.parents[1] / "tui" / "exporter" / "rules.yml"

pytestmark = pytest.mark.skipif(PROMTOOL is None, reason=MISSING)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False, cwd=HERE
    )


def test_promtool_checks_the_rules_livetop_prints(tmp_path: Path) -> None:
    printed = tmp_path / "livetop-rules.yml"
    printed.write_text(shipped_text("rules"))
    checked = promtool("check", "rules", str(printed))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    tested = promtool("test", "rules", "rules_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_unit_tests_fail_for_rules_that_page_at_once(tmp_path: Path) -> None:
    """The tests can fail: with `for:` cut to 1s, "not yet firing" expectations break."""
    (tmp_path / "tui" / "exporter").mkdir(parents=True)
    (tmp_path / "tui" / "exporter" / "rules.yml").write_text(quick_rules(RULES.read_text()))
    (tmp_path / "tests" / "prometheus").mkdir(parents=True)
    copied = tmp_path / "tests" / "prometheus" / "rules_test.yml"  # the same relative path
    copied.write_text((HERE / "rules_test.yml").read_text())
    assert PROMTOOL is not None
    tested = subprocess.run(
        [PROMTOOL, "test", "rules", copied.name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=copied.parent,
    )
    assert tested.returncode != 0
    assert "LivetopProviderDown" in tested.stdout + tested.stderr
